//! A real ferroftp server on an ephemeral port, and a raw control-connection client for
//! checking reply codes byte for byte.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::guard::HashGate;
use ferroftp_server::users_file::{hash_password, StaticAuthenticator};
use ferroftp_server::{Authenticator, Server, ServerConfig};
use tempfile::TempDir;

pub use tls_support::*;

pub mod duplex;
mod wait;
// Not every test file waits for anything.
#[allow(unused_imports)]
pub use wait::*;

pub const USER: &str = "alice";
pub const PASS: &str = "wonderland";

/// A server running on its own runtime thread, stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub implicit_addr: Option<SocketAddr>,
    pub root: TempDir,
    /// The server's gate around password checks, kept so a test can read its permit
    /// counter (whether a login queued for an argon2 check).
    pub gate: Arc<HashGate>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_with_perms(Permissions::ALL, adjust)
    }

    pub fn start_with_perms(
        perms: Permissions,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let root = tempfile::tempdir().expect("tempdir");
        TestServer::start_in(root, perms, adjust)
    }

    pub fn start_in(
        root: TempDir,
        perms: Permissions,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let mut config = ServerConfig {
            login_failure_delay: Duration::from_millis(20),
            ..loopback_config()
        };
        adjust(&mut config);
        let auth = Arc::new(StaticAuthenticator::new(USER, PASS, root.path(), perms));
        TestServer::start_serving(root, auth, config)
    }

    /// A server with `config` as it is and the users of `auth`; `root` is kept with it
    /// (it need not be where `auth` homes anyone).
    pub fn start_serving(
        root: TempDir,
        auth: Arc<dyn Authenticator>,
        config: ServerConfig,
    ) -> TestServer {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = Server::bind(config, auth).await.expect("bind");
                let implicit = server.implicit_tls_addrs().first().copied();
                addr_tx
                    .send((server.local_addrs()[0], implicit, server.hash_gate()))
                    .expect("send addr");
                server
                    .run(async move {
                        let _ = stop_rx.await;
                    })
                    .await
                    .expect("run");
            });
        });
        let (addr, implicit_addr, gate) = addr_rx.recv().expect("server address");
        TestServer {
            addr,
            implicit_addr,
            root,
            gate,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Names in the root that look like temporary upload files (`.ferroftp-upload.*`).
    pub fn temp_files(&self) -> Vec<String> {
        std::fs::read_dir(self.root.path())
            .expect("read root")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".ferroftp-upload."))
            .collect()
    }

    pub fn write(&self, rel: &str, data: &[u8]) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, data).unwrap();
    }

    /// A server with FTPS on, and the certificate clients must trust.
    pub fn start_tls(
        required: ferroftp_proto::session::TlsRequired,
        reuse: ferroftp_server::tls::SessionReuse,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> (TestServer, TestCert) {
        let certs = tempfile::tempdir().expect("tempdir");
        let cert = TestCert::new(certs.path(), required, reuse);
        let options = cert.options.clone();
        let server = TestServer::start_with(move |c| {
            c.tls = Some(options);
            adjust(c);
        });
        (server, cert)
    }

    /// A logged-in suppaftp client.
    pub fn client(&self) -> suppaftp::FtpStream {
        let mut ftp = suppaftp::FtpStream::connect(self.addr).expect("connect");
        ftp.login(USER, PASS).expect("login");
        ftp.transfer_type(suppaftp::types::FileType::Binary)
            .expect("TYPE I");
        ftp
    }

    /// A raw control connection that has read the greeting.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr)
    }

    /// A raw control connection, logged in.
    pub fn raw_logged_in(&self) -> Raw {
        let mut r = self.raw();
        assert_eq!(r.cmd(&format!("USER {USER}")).0, 331);
        assert_eq!(r.cmd(&format!("PASS {PASS}")).0, 230);
        r
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A control connection driven line by line.
pub struct Raw {
    pub reader: BufReader<TcpStream>,
    pub greeting: (u16, String),
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut r = Raw {
            reader: BufReader::new(stream),
            greeting: (0, String::new()),
        };
        r.greeting = r.reply();
        r
    }

    pub fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\r\n").as_bytes());
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }

    /// Reads one whole reply (all lines of a multi-line one): its code and its wire text.
    pub fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        let mut first = String::new();
        if self.reader.read_line(&mut first).unwrap_or(0) == 0 {
            return (0, String::new());
        }
        text.push_str(&first);
        let code: u16 = first.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        (code, text)
    }

    pub fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send(line);
        self.reply()
    }

    pub fn code(&mut self, line: &str) -> u16 {
        self.cmd(line).0
    }

    /// Sends PASV and connects to the advertised port.
    /// Checks that STAT reports a running transfer, then aborts it with ABOR: `426` for the
    /// transfer, then `226` for the ABOR itself (RFC 959).
    pub fn abort_running_transfer(&mut self, what: &str) {
        let (code, text) = self.cmd("STAT");
        assert_eq!(code, 211, "{what}");
        assert!(text.contains("Transfer in progress"), "{what}: {text}");
        self.send("ABOR");
        assert_eq!(self.reply().0, 426, "{what}");
        assert_eq!(self.reply().0, 226, "{what}");
    }

    pub fn pasv(&mut self) -> TcpStream {
        let (code, text) = self.cmd("PASV");
        assert_eq!(code, 227, "{text}");
        TcpStream::connect(pasv_addr(&text)).expect("data connect")
    }

    /// Sends EPSV and returns the advertised port, without connecting.
    pub fn epsv_port(&mut self) -> u16 {
        let (code, text) = self.cmd("EPSV");
        assert_eq!(code, 229, "{text}");
        text.split("|||")
            .nth(1)
            .and_then(|t| t.split('|').next())
            .and_then(|p| p.parse().ok())
            .expect("EPSV port")
    }

    /// Sends EPSV and connects to the advertised port on the control connection's host.
    pub fn epsv(&mut self) -> TcpStream {
        let port = self.epsv_port();
        let host = self.reader.get_ref().peer_addr().unwrap().ip();
        TcpStream::connect((host, port)).expect("data connect")
    }

    /// Whether a reply has arrived that was not read yet; does not wait for one.
    pub fn has_pending(&mut self) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        let socket = self.reader.get_mut();
        socket.set_nonblocking(true).expect("nonblocking");
        let peeked = socket.peek(&mut [0u8; 1]);
        socket.set_nonblocking(false).expect("blocking");
        match peeked {
            Ok(n) => n > 0,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("control connection: {e}"),
        }
    }

    /// Whether the server has closed the connection.
    /// Anything the server still sends (a TLS alert, say) is read and dropped first.
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 512];
        for _ in 0..64 {
            match self.reader.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => {
                    return e.kind() != std::io::ErrorKind::WouldBlock
                        && e.kind() != std::io::ErrorKind::TimedOut
                }
            }
        }
        false
    }
}

/// The local backend behind a wrapper with only the `Storage` trait's own methods: no
/// formatted listing, so the transfer formats each entry itself, as for any backend without
/// one. `listing`, when given, is what every directory lists instead of its entries.
#[derive(Debug)]
pub struct EntryListing {
    /// The backend everything else goes to.
    pub inner: ferroftp_server::storage::LocalStorage,
    /// A listing of every directory, in place of the local one.
    pub listing: Option<fn() -> ferroftp_server::storage::EntryStream>,
}

mod entry_listing {
    use std::time::SystemTime;

    use ferroftp_proto::listing::EntryInfo;
    use ferroftp_proto::path::VPath;
    use ferroftp_server::storage::{
        Capabilities, EntryStream, ReadStream, Storage, StorageError, Upload, WriteMode,
    };

    use super::EntryListing;

    #[async_trait::async_trait]
    impl Storage for EntryListing {
        fn capabilities(&self) -> Capabilities {
            self.inner.capabilities()
        }
        async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
            self.inner.metadata(path).await
        }
        async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError> {
            match self.listing {
                Some(listing) => Ok(listing()),
                None => self.inner.list(path).await,
            }
        }
        async fn list_names(&self, path: &VPath) -> Result<EntryStream, StorageError> {
            match self.listing {
                Some(listing) => Ok(listing()),
                None => self.inner.list_names(path).await,
            }
        }
        async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError> {
            self.inner.read(path, offset).await
        }
        async fn write(
            &self,
            path: &VPath,
            mode: WriteMode,
        ) -> Result<Box<dyn Upload>, StorageError> {
            self.inner.write(path, mode).await
        }
        async fn mkdir(&self, path: &VPath) -> Result<(), StorageError> {
            self.inner.mkdir(path).await
        }
        async fn rmdir(&self, path: &VPath) -> Result<(), StorageError> {
            self.inner.rmdir(path).await
        }
        async fn delete(&self, path: &VPath) -> Result<(), StorageError> {
            self.inner.delete(path).await
        }
        async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), StorageError> {
            self.inner.rename(from, to).await
        }
        async fn set_modified(&self, path: &VPath, time: SystemTime) -> Result<(), StorageError> {
            self.inner.set_modified(path, time).await
        }
        async fn chmod(&self, path: &VPath, mode: u32) -> Result<(), StorageError> {
            self.inner.chmod(path, mode).await
        }
    }
}

/// A configuration for tests that build their own server: loopback, OS-picked control and
/// passive ports, no pause after a failed login, short data and shutdown waits.
pub fn loopback_config() -> ServerConfig {
    ServerConfig {
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        // Port 0 range: the OS picks each passive port, so parallel tests never collide.
        passive_ports: 0..=0,
        login_failure_delay: Duration::ZERO,
        data_connect_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    }
}

/// A runtime with one worker and one blocking thread: a listing that held its thread
/// while stalled would leave nothing for any other file operation.
pub fn one_blocking_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The address in a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` reply.
pub fn pasv_addr(text: &str) -> SocketAddr {
    let inner = text
        .split('(')
        .nth(1)
        .and_then(|t| t.split(')').next())
        .expect("PASV tuple");
    let n: Vec<u16> = inner
        .split(',')
        .map(|x| x.trim().parse().expect("number"))
        .collect();
    SocketAddr::from((
        [n[0] as u8, n[1] as u8, n[2] as u8, n[3] as u8],
        n[4] * 256 + n[5],
    ))
}

/// One login on a fresh connection to `addr`: the reply code to PASS. QUIT after it
/// gives the per-user session slot back, so many logins in a row never hit that limit.
pub fn login(addr: SocketAddr, user: &str, password: &str) -> u16 {
    let mut r = Raw::connect(addr);
    assert_eq!(r.code(&format!("USER {user}")), 331);
    let code = r.code(&format!("PASS {password}"));
    let _ = r.code("QUIT");
    code
}

/// Writes a users file of `(name, password)` accounts homed in `home`; written as text
/// so that names `ferroftp user add` refuses can be in it too.
pub fn write_users(path: &Path, home: &Path, accounts: &[(&str, &str)]) {
    let mut text = String::new();
    for (name, password) in accounts {
        let hash = hash_password(password).expect("hash");
        text.push_str(&format!(
            "[[user]]\nname = {name:?}\npassword = {hash:?}\nhome = {:?}\n\n",
            home.display().to_string()
        ));
    }
    std::fs::write(path, text).expect("write users file");
}

/// The sizes of all files under `dir`, however deep: what the server has on disk,
/// temporary upload files included, wherever in the tree it keeps them.
pub fn file_sizes(dir: &std::path::Path) -> Vec<u64> {
    let mut sizes = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return sizes;
    };
    for entry in entries.flatten() {
        match entry.metadata() {
            Ok(m) if m.is_dir() => sizes.extend(file_sizes(&entry.path())),
            Ok(m) => sizes.push(m.len()),
            // Gone between listing and looking: a temporary file being renamed or removed.
            Err(_) => {}
        }
    }
    sizes
}

/// Reads a data connection to its end.
pub fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("read data");
    v
}

mod tls_support {
    use std::path::Path;
    use std::sync::Arc;

    use ferroftp_proto::session::TlsRequired;
    use ferroftp_server::tls::{CertSource, SessionReuse};
    use ferroftp_server::TlsOptions;
    use suppaftp::{RustlsConnector, RustlsFtpStream};

    /// A certificate for "localhost", written as PEM files into `dir`.
    pub struct TestCert {
        pub der: Vec<u8>,
        pub options: TlsOptions,
    }

    impl TestCert {
        pub fn new(dir: &Path, required: TlsRequired, reuse: SessionReuse) -> TestCert {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
            let cert = dir.join("cert.pem");
            let key = dir.join("key.pem");
            std::fs::write(&cert, made.cert.pem()).unwrap();
            std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
            TestCert {
                der: made.cert.der().to_vec(),
                options: TlsOptions {
                    cert: CertSource::Files { cert, key },
                    required,
                    session_reuse: reuse,
                },
            }
        }

        /// A rustls client config that trusts this certificate; `resume` off makes every
        /// handshake a full one.
        pub fn client_config(&self, resume: bool) -> Arc<rustls::ClientConfig> {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(rustls_pki_types::CertificateDer::from(self.der.clone()))
                .unwrap();
            let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
            if !resume {
                config.resumption = rustls::client::Resumption::disabled();
            }
            Arc::new(config)
        }

        pub fn connector(&self, resume: bool) -> RustlsConnector {
            RustlsConnector::from(self.client_config(resume))
        }
    }

    /// An explicit-FTPS client: AUTH TLS, PBSZ 0, PROT P, then login.
    pub fn explicit_client(
        addr: std::net::SocketAddr,
        cert: &TestCert,
        resume: bool,
    ) -> RustlsFtpStream {
        let ftp = RustlsFtpStream::connect(addr).expect("connect");
        let mut ftp = ftp
            .into_secure(cert.connector(resume), "localhost")
            .expect("AUTH TLS");
        ftp.login(super::USER, super::PASS).expect("login");
        ftp.transfer_type(suppaftp::types::FileType::Binary)
            .expect("TYPE I");
        ftp
    }
}
