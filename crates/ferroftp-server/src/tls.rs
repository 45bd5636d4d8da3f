//! TLS for FTPS (RFC 4217): certificates, their reload on SIGHUP, and the binding of data
//! connections to the login they belong to.
//!
//! Every session ticket carries a token naming the control connection it was issued on.
//! When session reuse is required, a data connection must resume a session whose token
//! belongs to this control connection, or to another control connection from the same
//! address that has logged in as the same user (rclone and other clients open several and
//! share one session cache; a ticket of a connection still logging in waits, briefly, for
//! its login). A full handshake, or a ticket of another user, another address or a
//! connection that never logged in, is refused. A third party who races to the passive port
//! cannot take over the transfer without such a session: its connection is closed and the
//! transfer goes on waiting for the client. TLS 1.2 sessions carry the token too: rustls
//! does not hand it back, so each data handshake watches the ticket key and the session
//! cache for the session it resumes, and finds the token in it.
//!
//! Tickets are stateless, so one ticket can be resumed by every data connection: OpenSSL-,
//! GnuTLS- and Go-based clients (curl, lftp, Python, rclone) resume the control
//! connection's session each time. Clients that use each TLS 1.3 ticket once (rustls) get
//! several tickets on the control connection.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rustls::server::{
    ClientHello, ProducesTickets, ResolvesServerCert, ServerSessionMemoryCache,
    StoresServerSessions,
};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Where the server certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// A PEM certificate chain and a PEM private key; both are read again on reload.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate made at start-up for these names (quick starts and tests).
    SelfSigned {
        /// Subject alternative names.
        names: Vec<String>,
    },
}

/// Whether a data connection's TLS session must resume the control connection's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionReuse {
    /// A full handshake on a data connection is refused (`Msg::TlsSessionReuseRequired`).
    #[default]
    Required,
    /// Any handshake is accepted (for clients that cannot resume, e.g. Python's stock
    /// `FTP_TLS`).
    Optional,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("cannot read {path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    /// The key is of a kind rustls cannot sign with.
    #[error("unusable private key: {0}")]
    Key(rustls::Error),
    /// The key does not belong to the certificate.
    #[error("private key does not match the certificate: {0}")]
    KeyMismatch(rustls::Error),
    /// The self-signed certificate could not be made.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration error: {0}")]
    Config(rustls::Error),
}

/// The certificate in use, swapped on reload while sessions go on.
#[derive(Debug)]
struct ReloadableCert {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// The server's TLS setup.
#[derive(Debug)]
pub struct TlsConfig {
    source: CertSource,
    resolver: Arc<ReloadableCert>,
    acceptors: Acceptors,
    sessions: Arc<Registry>,
    /// The session-reuse policy for data connections.
    pub reuse: SessionReuse,
}

/// One configuration per kind of connection; all share the ticket key and session cache.
#[derive(Clone)]
struct Acceptors {
    /// Control connections: many TLS 1.3 tickets.
    control: TlsAcceptor,
    /// Data connections that send (RETR, LIST...): they carry fresh tickets.
    download: Arc<ServerConfig>,
    /// Data connections that receive (STOR, APPE, STOU): no tickets. A client that only
    /// writes never reads them, and closing a socket with unread data resets it, cutting
    /// the upload short (curl with TLS 1.3).
    upload: Arc<ServerConfig>,
    /// Marks the token in a session's resumption data, so it can be found again in a TLS
    /// 1.2 session's encoding (random per server).
    mark: [u8; MARK_LEN],
}

const MARK_LEN: usize = 16;

impl std::fmt::Debug for Acceptors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Acceptors")
    }
}

/// TLS 1.3 tickets sent on a control connection; rustls clients keep at most 8 per server.
const CONTROL_TICKETS: usize = 8;

/// TLS 1.2 sessions kept for resumption by session ID (clients without ticket support).
const SESSION_CACHE: usize = 1024;

impl TlsConfig {
    /// Loads (or makes) the certificate and builds the configuration.
    pub fn new(source: CertSource, reuse: SessionReuse) -> Result<TlsConfig, TlsError> {
        let key = load_key(&source)?;
        let resolver = Arc::new(ReloadableCert {
            current: RwLock::new(Arc::new(key)),
        });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // rustls defaults: TLS 1.2 and 1.3 only, with their safe cipher suites.
        let mut download = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        download.alpn_protocols = vec![b"ftp".to_vec()];
        download.ticketer = rustls::crypto::ring::Ticketer::new().map_err(TlsError::Config)?;
        download.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
        let mut control = download.clone();
        control.send_tls13_tickets = CONTROL_TICKETS;
        let mut upload = download.clone();
        upload.send_tls13_tickets = 0;
        Ok(TlsConfig {
            source,
            resolver,
            acceptors: Acceptors {
                control: TlsAcceptor::from(Arc::new(control)),
                download: Arc::new(download),
                upload: Arc::new(upload),
                mark: rand::random(),
            },
            sessions: Arc::new(Registry::default()),
            reuse,
        })
    }

    /// Reads the certificate files again and uses them for new handshakes; sessions already
    /// running keep theirs. A self-signed certificate is kept as it is.
    pub fn reload(&self) -> Result<(), TlsError> {
        if matches!(self.source, CertSource::SelfSigned { .. }) {
            return Ok(());
        }
        let key = load_key(&self.source)?;
        *self
            .resolver
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// The SHA-256 fingerprint of the leaf certificate, as `AB:CD:...`.
    pub fn fingerprint(&self) -> String {
        let current = self
            .resolver
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match current.cert.first() {
            Some(cert) => fingerprint(cert.as_ref()),
            None => String::new(),
        }
    }

    /// The TLS side of a new session from `peer`: a token for its tickets, registered
    /// until the last handle to it is dropped.
    pub fn session(&self, peer: IpAddr) -> SessionTls {
        let token = self.sessions.register(peer);
        SessionTls {
            inner: Arc::new(SessionInner {
                token,
                registry: self.sessions.clone(),
                acceptors: self.acceptors.clone(),
            }),
        }
    }
}

/// Who each token belongs to: live control connections, and closed ones whose tickets a
/// client may still hold (rclone's session cache outlives its connections).
#[derive(Debug, Default)]
struct Registry {
    tokens: Mutex<Tokens>,
    /// Woken when a connection logs in, out or closes: data connections that resumed a
    /// session of a connection still logging in wait for it.
    changed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Tokens {
    live: HashMap<u64, Principal>,
    /// Closed logged-in connections, with when they closed.
    retired: HashMap<u64, (Principal, Instant)>,
}

/// How long a closed connection's tickets still vouch for its login: the lifetime of
/// rustls' ticket keys.
const RETIRED_FOR: Duration = Duration::from_secs(6 * 3600);

/// Most closed connections remembered; beyond that the oldest are forgotten first.
const RETIRED_MAX: usize = 10_000;

/// The client address and, once logged in, the user of a control connection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Principal {
    ip: IpAddr,
    user: Option<String>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn register(&self, ip: IpAddr) -> u64 {
        let mut tokens = self.lock();
        loop {
            let token: u64 = rand::random();
            if token != 0
                && !tokens.live.contains_key(&token)
                && !tokens.retired.contains_key(&token)
            {
                tokens.live.insert(token, Principal { ip, user: None });
                return token;
            }
        }
    }

    fn retire(&self, token: u64) {
        self.retire_quietly(token);
        self.changed.notify_waiters();
    }

    fn retire_quietly(&self, token: u64) {
        let mut tokens = self.lock();
        let Some(principal) = tokens.live.remove(&token) else {
            return;
        };
        if principal.user.is_none() {
            return;
        }
        let now = Instant::now();
        if tokens.retired.len() >= RETIRED_MAX {
            tokens
                .retired
                .retain(|_, (_, closed)| now.duration_since(*closed) < RETIRED_FOR);
            if tokens.retired.len() >= RETIRED_MAX {
                let oldest = tokens
                    .retired
                    .iter()
                    .min_by_key(|(_, (_, closed))| *closed)
                    .map(|(t, _)| *t);
                if let Some(t) = oldest {
                    tokens.retired.remove(&t);
                }
            }
        }
        tokens.retired.insert(token, (principal, now));
    }
}

impl Tokens {
    fn principal(&self, token: u64) -> Option<&Principal> {
        self.live.get(&token).or_else(|| {
            self.retired
                .get(&token)
                .filter(|(_, closed)| closed.elapsed() < RETIRED_FOR)
                .map(|(p, _)| p)
        })
    }
}

/// The TLS side of one session: accepts its control and data connections and checks that
/// a data connection resumed a session of the same login.
#[derive(Clone)]
pub struct SessionTls {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    token: u64,
    registry: Arc<Registry>,
    acceptors: Acceptors,
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        self.registry.retire(self.token);
    }
}

impl std::fmt::Debug for SessionTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTls")
    }
}

impl SessionTls {
    /// The TLS handshake of the control connection (after AUTH TLS, or implicit).
    pub async fn accept_control(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        self.accept(&self.inner.acceptors.control, tcp).await
    }

    /// The TLS handshake of a data connection; `upload` when the client sends the data.
    pub async fn accept_data(
        &self,
        tcp: TcpStream,
        upload: bool,
    ) -> std::io::Result<DataHandshake> {
        let acceptors = &self.inner.acceptors;
        let base = if upload {
            &acceptors.upload
        } else {
            &acceptors.download
        };
        // rustls hands a resumed session's data back under TLS 1.3 only; under TLS 1.2 the
        // session is caught on its way out of the ticket key or the session cache, for this
        // one handshake.
        let seen = Arc::new(Mutex::new(None));
        let mut config = ServerConfig::clone(base);
        config.ticketer = Arc::new(Watching {
            inner: base.ticketer.clone(),
            seen: seen.clone(),
        });
        config.session_storage = Arc::new(Watching {
            inner: base.session_storage.clone(),
            seen: seen.clone(),
        });
        let stream = self
            .accept(&TlsAcceptor::from(Arc::new(config)), tcp)
            .await?;
        let session = seen.lock().unwrap_or_else(|p| p.into_inner()).take();
        Ok(DataHandshake {
            stream,
            tls12_session: session,
        })
    }

    async fn accept(
        &self,
        acceptor: &TlsAcceptor,
        tcp: TcpStream,
    ) -> std::io::Result<TlsStream<TcpStream>> {
        let mut data = self.inner.acceptors.mark.to_vec();
        data.extend_from_slice(&self.inner.token.to_be_bytes());
        acceptor
            .accept_with(tcp, |conn| conn.set_resumption_data(&data))
            .await
    }

    /// The token in a session's resumption data (`mark` then the token).
    fn token_in(&self, data: &[u8]) -> Option<u64> {
        let mark = &self.inner.acceptors.mark;
        let at = data.windows(MARK_LEN).position(|w| w == mark)? + MARK_LEN;
        let bytes = data.get(at..at + 8)?;
        <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
    }

    /// Records who logged in on this control connection (`None` after REIN).
    pub fn set_user(&self, user: Option<&str>) {
        if let Some(p) = self.inner.registry.lock().live.get_mut(&self.inner.token) {
            p.user = user.map(str::to_owned);
        }
        self.inner.registry.changed.notify_waiters();
    }

    /// Whether a data connection's handshake resumed a session of this control connection,
    /// or of another control connection from the same address logged in as the same user.
    /// Decides at once: a session of a connection still logging in does not count here
    /// (see [`SessionTls::check_data_session`], which waits for it).
    pub fn resumed_same_login(&self, conn: &DataHandshake) -> bool {
        match self.resumed_session(conn) {
            Resumed::Token(token) => self.judge(token) == Judgement::Same,
            Resumed::Full | Resumed::NoToken => false,
        }
    }

    /// What a data connection's TLS session says about who opened it. A session issued to
    /// another control connection of this address that has not logged in yet counts once
    /// that connection logs in as this connection's user, if it does within `login_wait`
    /// (clients that share one session cache, rclone's Go client among them, hand out the
    /// newest ticket, often one a connection received right before its USER). A connection
    /// that never logs in (an attacker who only sent AUTH TLS) never vouches for anyone.
    pub async fn check_data_session(
        &self,
        conn: &DataHandshake,
        login_wait: Duration,
    ) -> DataSession {
        let token = match self.resumed_session(conn) {
            Resumed::Full => {
                tracing::debug!("data connection made a full TLS handshake");
                return DataSession::FullHandshake;
            }
            Resumed::NoToken => {
                tracing::debug!("resumed TLS session carries no token");
                return DataSession::OtherLogin;
            }
            Resumed::Token(t) => t,
        };
        let deadline = tokio::time::Instant::now() + login_wait;
        loop {
            // Registered before judging, so a login in between still wakes us.
            let changed = self.inner.registry.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.judge(token) {
                Judgement::Same => return DataSession::SameLogin,
                Judgement::Other => return DataSession::OtherLogin,
                Judgement::NotYet => {}
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                tracing::debug!("resumed TLS session of a connection that did not log in");
                return DataSession::OtherLogin;
            }
        }
    }

    fn judge(&self, token: u64) -> Judgement {
        // Tokens travel inside tickets only this server can open, but compare them in
        // constant time all the same, like every other secret.
        if bool::from(subtle::ConstantTimeEq::ct_eq(&token, &self.inner.token)) {
            return Judgement::Same;
        }
        let tokens = self.inner.registry.lock();
        let ours = tokens.live.get(&self.inner.token);
        let judgement = match (tokens.principal(token), ours) {
            (Some(theirs), Some(ours)) if theirs.ip == ours.ip && ours.user.is_some() => {
                if theirs.user == ours.user {
                    Judgement::Same
                } else if theirs.user.is_none() && tokens.live.contains_key(&token) {
                    Judgement::NotYet
                } else {
                    Judgement::Other
                }
            }
            _ => Judgement::Other,
        };
        if judgement == Judgement::Other {
            tracing::debug!(
                theirs = ?tokens.principal(token),
                ours = ?ours,
                "resumed TLS session belongs to another login"
            );
        }
        judgement
    }
}

/// What a data connection's TLS session shows about who opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSession {
    /// A session of this login.
    SameLogin,
    /// No session was resumed.
    FullHandshake,
    /// A session of another user, another address, or a connection that never logged in:
    /// not the client's.
    OtherLogin,
}

/// A data connection's finished TLS handshake, with what is needed to tell whose session
/// it resumed.
pub struct DataHandshake {
    /// The connection.
    pub stream: TlsStream<TcpStream>,
    /// The encoded TLS 1.2 session it resumed, if any.
    tls12_session: Option<Vec<u8>>,
}

impl std::fmt::Debug for DataHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataHandshake")
    }
}

/// The session a data connection's handshake resumed, if any.
enum Resumed {
    Full,
    NoToken,
    Token(u64),
}

impl SessionTls {
    fn resumed_session(&self, data: &DataHandshake) -> Resumed {
        let conn = data.stream.get_ref().1;
        if conn.handshake_kind() != Some(rustls::HandshakeKind::Resumed) {
            return Resumed::Full;
        }
        let found = if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_2) {
            data.tls12_session.as_deref().and_then(|d| self.token_in(d))
        } else {
            conn.received_resumption_data()
                .and_then(|d| self.token_in(d))
        };
        match found {
            Some(t) => Resumed::Token(t),
            None => Resumed::NoToken,
        }
    }
}

/// Passes session lookups through to the ticket key or the session cache, keeping the
/// session found (see [`SessionTls::accept_data`]).
#[derive(Debug)]
struct Watching<T: ?Sized> {
    inner: Arc<T>,
    seen: Arc<Mutex<Option<Vec<u8>>>>,
}

impl<T: ?Sized> Watching<T> {
    fn keep(&self, found: Option<Vec<u8>>) -> Option<Vec<u8>> {
        if let Some(v) = &found {
            *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(v.clone());
        }
        found
    }
}

impl ProducesTickets for Watching<dyn ProducesTickets> {
    fn enabled(&self) -> bool {
        self.inner.enabled()
    }

    fn lifetime(&self) -> u32 {
        self.inner.lifetime()
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        self.inner.encrypt(plain)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        self.keep(self.inner.decrypt(cipher))
    }
}

impl StoresServerSessions for Watching<dyn StoresServerSessions> {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.inner.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.keep(self.inner.get(key))
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.keep(self.inner.take(key))
    }

    fn can_cache(&self) -> bool {
        self.inner.can_cache()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judgement {
    Same,
    NotYet,
    Other,
}

fn load_key(source: &CertSource) -> Result<CertifiedKey, TlsError> {
    let (chain, key) = match source {
        CertSource::Files { cert, key } => (read_chain(cert)?, read_key(key)?),
        CertSource::SelfSigned { names } => {
            let made = rcgen::generate_simple_self_signed(names.clone())?;
            let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
            (vec![made.cert.der().clone()], key)
        }
    };
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).map_err(TlsError::Key)?;
    let certified = CertifiedKey::new(chain, signer);
    certified.keys_match().map_err(TlsError::KeyMismatch)?;
    Ok(certified)
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_err = |source| TlsError::Pem {
        path: path.to_owned(),
        source,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(pem_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_err)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(path.to_owned()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::Pem {
        path: path.to_owned(),
        source,
    })
}

fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_has_a_fingerprint() {
        let tls = TlsConfig::new(
            CertSource::SelfSigned {
                names: vec!["localhost".into()],
            },
            SessionReuse::Required,
        )
        .unwrap();
        let fp = tls.fingerprint();
        assert_eq!(fp.len(), 32 * 3 - 1, "{fp}");
        assert!(fp.chars().all(|c| c == ':' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn files_load_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str| {
            let made = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
            std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).unwrap();
            std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        };
        write("one.example");
        let source = CertSource::Files {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        };
        let tls = TlsConfig::new(source, SessionReuse::Required).unwrap();
        let before = tls.fingerprint();
        write("two.example");
        tls.reload().unwrap();
        assert_ne!(tls.fingerprint(), before);
        // A broken file on reload keeps the certificate in use.
        std::fs::write(dir.path().join("cert.pem"), "garbage").unwrap();
        assert!(tls.reload().is_err());
        assert_ne!(tls.fingerprint(), "");
    }

    #[test]
    fn mismatched_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["a".to_owned()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["b".to_owned()]).unwrap();
        std::fs::write(dir.path().join("cert.pem"), a.cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), b.signing_key.serialize_pem()).unwrap();
        let err = TlsConfig::new(
            CertSource::Files {
                cert: dir.path().join("cert.pem"),
                key: dir.path().join("key.pem"),
            },
            SessionReuse::Required,
        )
        .unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch(_)), "{err}");
    }

    /// Runs one TLS handshake between `client` and `accept`, over loopback TCP, and sends
    /// a byte each way so that tickets are read; returns whether the server resumed a
    /// session of the same login.
    async fn handshake(
        client: &Arc<rustls::ClientConfig>,
        session: &SessionTls,
        data: bool,
    ) -> bool {
        let tls = connect(client, session, data).await;
        session.resumed_same_login(&tls)
    }

    /// Like [`handshake`], returning the server's side of the connection.
    async fn connect(
        client: &Arc<rustls::ClientConfig>,
        session: &SessionTls,
        data: bool,
    ) -> DataHandshake {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connector = tokio_rustls::TlsConnector::from(client.clone());
        let client_side = tokio::spawn(async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            let mut tls = connector.connect(name, tcp).await.unwrap();
            tls.write_all(b"x").await.unwrap();
            let mut b = [0u8; 1];
            tls.read_exact(&mut b).await.unwrap();
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = if data {
            session.accept_data(tcp, false).await.unwrap()
        } else {
            DataHandshake {
                stream: session.accept_control(tcp).await.unwrap(),
                tls12_session: None,
            }
        };
        let mut b = [0u8; 1];
        tls.stream.read_exact(&mut b).await.unwrap();
        tls.stream.write_all(b"y").await.unwrap();
        tls.stream.flush().await.unwrap();
        client_side.await.unwrap();
        tls
    }

    fn trusting_client(cert_der: Vec<u8>) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(cert_der)).unwrap();
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }

    #[tokio::test]
    async fn data_connections_must_resume_a_session_of_the_same_login() {
        let dir = tempfile::tempdir().unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(dir.path().join("c.pem"), made.cert.pem()).unwrap();
        std::fs::write(dir.path().join("k.pem"), made.signing_key.serialize_pem()).unwrap();
        let tls = TlsConfig::new(
            CertSource::Files {
                cert: dir.path().join("c.pem"),
                key: dir.path().join("k.pem"),
            },
            SessionReuse::Required,
        )
        .unwrap();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let elsewhere: IpAddr = "127.0.0.9".parse().unwrap();

        let der = made.cert.der().to_vec();
        // A client whose cache holds tickets from `session`'s control connection only.
        let client_of = |session: SessionTls| {
            let der = der.clone();
            async move {
                let client = trusting_client(der);
                assert!(
                    !handshake(&client, &session, false).await,
                    "fresh control handshake"
                );
                client
            }
        };
        let a = tls.session(here);
        // A data connection of A resumes A's session.
        assert!(handshake(&client_of(a.clone()).await, &a, true).await);

        // Session B, same address: A's tickets count once B has logged in, while A has not
        // logged in or logged in as the same user...
        let b = tls.session(here);
        assert!(!handshake(&client_of(a.clone()).await, &b, true).await);
        b.set_user(Some("bob"));
        // Guards point 6 of the hardening issue: a connection that has not logged in (an
        // attacker that only sent AUTH TLS) vouches for nobody.
        let a_not_logged_in = handshake(&client_of(a.clone()).await, &b, true).await;
        assert!(!a_not_logged_in, "a connection that has not logged in yet");
        a.set_user(Some("alice"));
        let another_user = handshake(&client_of(a.clone()).await, &b, true).await;
        assert!(!another_user, "another user's session");
        b.set_user(Some("alice"));
        let same_user = handshake(&client_of(a.clone()).await, &b, true).await;
        assert!(same_user, "the same user's other connection");

        // ...nor from another address.
        let c = tls.session(elsewhere);
        c.set_user(Some("alice"));
        assert!(!handshake(&client_of(a.clone()).await, &c, true).await);

        // A client without tickets never passes.
        let fresh = trusting_client(der.clone());
        assert!(!handshake(&fresh, &b, true).await);

        // Once A has closed, its tickets still vouch for the same login (a client's cache
        // outlives its connections), and for nobody else.
        let client = client_of(a.clone()).await;
        drop(a);
        assert!(handshake(&client, &b, true).await);
        let client = client_of(c.clone()).await;
        drop(c);
        assert!(!handshake(&client, &b, true).await);
    }

    // Guards point 6 while keeping rclone working: a ticket of a connection that is still
    // logging in counts once it logs in as the same user; one that never logs in, or
    // closes, never does.
    #[tokio::test]
    async fn a_ticket_of_a_connection_still_logging_in_counts_once_it_logs_in() {
        let tls = TlsConfig::new(
            CertSource::SelfSigned {
                names: vec!["localhost".to_owned()],
            },
            SessionReuse::Required,
        )
        .unwrap();
        let der = tls
            .resolver
            .current
            .read()
            .unwrap()
            .cert
            .first()
            .unwrap()
            .to_vec();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let b = tls.session(here);
        b.set_user(Some("alice"));
        let wait = Duration::from_secs(600);

        // A (same address) has done AUTH TLS only; B's data connection resumes A's ticket.
        let a = tls.session(here);
        let client = trusting_client(der.clone());
        connect(&client, &a, false).await;
        let stream = connect(&client, &b, true).await;
        let a_logs_in = async {
            tokio::task::yield_now().await;
            a.set_user(Some("alice"));
        };
        let (verdict, ()) = tokio::join!(b.check_data_session(&stream, wait), a_logs_in);
        assert_eq!(verdict, DataSession::SameLogin);

        // C never logs in and closes: refused as soon as it is gone.
        let c = tls.session(here);
        let client = trusting_client(der.clone());
        connect(&client, &c, false).await;
        let stream = connect(&client, &b, true).await;
        let c_closes = async {
            tokio::task::yield_now().await;
            drop(c);
        };
        let (verdict, ()) = tokio::join!(b.check_data_session(&stream, wait), c_closes);
        assert_eq!(verdict, DataSession::OtherLogin);

        // D logs in as someone else: refused.
        let d = tls.session(here);
        let client = trusting_client(der.clone());
        connect(&client, &d, false).await;
        let stream = connect(&client, &b, true).await;
        let d_logs_in = async {
            tokio::task::yield_now().await;
            d.set_user(Some("mallory"));
        };
        let (verdict, ()) = tokio::join!(b.check_data_session(&stream, wait), d_logs_in);
        assert_eq!(verdict, DataSession::OtherLogin);
    }
}
