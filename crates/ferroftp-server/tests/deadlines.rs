//! Deadlines that keep a hostile or broken client from holding a session, a transfer or a
//! slot: the login deadline, the idle timer that only whole commands restart, the write
//! deadline on replies, the stall timeout of transfers, the TLS handshake deadline of data
//! connections and the cut at the end of the shutdown grace. Also: commands read during a
//! transfer keep their order and ABOR acts at once, and a panicking session ends alone.
//!
//! Everything runs under paused time (see paused_time.rs): control connections are
//! in-memory duplex streams (or loopback TCP for TLS), data connections real loopback
//! sockets, and the clock jumps from timer to timer, so the time a reply arrives is exact.

mod common;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferroftp_proto::listing::{EntryInfo, EntryKind};
use ferroftp_server::storage::{
    Capabilities, EntryStream, LocalStorage, Storage, StorageError, StorageFactory,
};
use futures::StreamExt as _;

use common::duplex::{assert_took, pasv_port, Client, Harness};
use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::{ControlStream, Server, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::oneshot;
use tokio::time::Instant;

const IDLE: Duration = Duration::from_secs(600);
const LOGIN: Duration = Duration::from_secs(50);
const REPLY: Duration = Duration::from_secs(35);
const STALL: Duration = Duration::from_secs(70);
const DATA_TIMEOUT: Duration = Duration::from_secs(20);
const HANDSHAKE: Duration = Duration::from_secs(12);
const GRACE: Duration = Duration::from_secs(45);

/// A line that makes [`Tripwire`] panic inside the session that reads it.
const PANIC_LINE: &[u8] = b"TRIP-THE-WIRE";

/// The server side of an in-memory control connection, which panics when it reads
/// [`PANIC_LINE`]: a stand-in for a bug anywhere in a session, with no hook in the server.
struct Tripwire(DuplexStream);

impl AsyncRead for Tripwire {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.0).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if read.windows(PANIC_LINE.len()).any(|w| w == PANIC_LINE) {
            panic!("tripwire: a session bug");
        }
        r
    }
}

impl AsyncWrite for Tripwire {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl ControlStream for Tripwire {}

fn config() -> ServerConfig {
    ServerConfig {
        listen: Vec::new(),
        passive_ports: 0..=0,
        idle_timeout: IDLE,
        login_timeout: LOGIN,
        reply_timeout: REPLY,
        stall_timeout: STALL,
        data_connect_timeout: DATA_TIMEOUT,
        tls_handshake_timeout: HANDSHAKE,
        login_failure_delay: Duration::ZERO,
        shutdown_grace: GRACE,
        ..ServerConfig::default()
    }
}

/// A server fed with in-memory connections, each wrapped in a [`Tripwire`]: [`config`]
/// changed by `adjust`.
async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Harness<Tripwire> {
    Harness::start_wrapped(Tripwire, |c| {
        *c = config();
        adjust(c);
    })
    .await
}

/// Every file under `dir`, however deep: temporary upload files included.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A file large enough that loopback socket buffers cannot take it all: a download of it
/// blocks once the client stops reading.
fn big_file(path: &Path) {
    std::fs::write(path, vec![b'x'; 48 << 20]).expect("write big file");
}

/// PASV, then a (blocking, so finished on return) connection to the port.
async fn passive_data(c: &mut Client) -> std::net::TcpStream {
    let port = pasv_port(&c.cmd("PASV").await);
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("data connection")
}

// Guards point 1: a connection that does not log in is closed at the login deadline,
// however much it talks meanwhile (USER, NOOP): without the deadline it would live until the
// idle timeout, which each NOOP restarts.
#[tokio::test(start_paused = true)]
async fn a_connection_that_does_not_log_in_is_closed_at_the_login_deadline_despite_traffic() {
    let h = start(|_| {}).await;
    let start = Instant::now();
    let mut c = h.connect().await;
    assert!(c.cmd("USER alice").await.starts_with("331 "));
    for _ in 0..4 {
        // Virtual time passing: the stimulus, not synchronisation.
        tokio::time::sleep(LOGIN / 5).await;
        assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    }
    assert_eq!(
        c.reply_within(IDLE).await.as_deref(),
        Some("421 Login timeout: closing control connection.\r\n")
    );
    assert_took(start.elapsed(), LOGIN);
    assert_eq!(c.reply().await, None, "the session is closed");
}

// Guards point 1: logging in in time lifts the deadline.
#[tokio::test(start_paused = true)]
async fn a_session_that_logged_in_outlives_the_login_deadline() {
    let h = start(|_| {}).await;
    let mut c = h.logged_in().await;
    tokio::time::sleep(LOGIN * 3).await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

// Guards point 1: bytes that never make a whole command do not restart the idle timer
// (before, any byte did, so a byte a minute kept a session forever).
#[tokio::test(start_paused = true)]
async fn bytes_that_form_no_command_do_not_restart_the_idle_timer() {
    let h = start(|_| {}).await;
    let mut c = h.logged_in().await;
    let start = Instant::now();
    for _ in 0..5 {
        tokio::time::sleep(IDLE / 6).await;
        c.write.write_all(b"N").await.expect("send a byte");
    }
    assert_eq!(
        c.reply_within(IDLE * 2).await.as_deref(),
        Some("421 Timeout: closing control connection.\r\n")
    );
    assert_took(start.elapsed(), IDLE);
}

// Guards point 2: a client that pipelines commands and never reads the replies is closed
// once a reply has been blocked for the reply timeout (before, it kept its session forever).
#[tokio::test(start_paused = true)]
async fn a_client_that_never_reads_its_replies_is_closed_after_the_reply_timeout() {
    let h = start(|_| {}).await;
    // Small buffers, so that unread replies block the server's writes at once.
    let c = h.logged_in_with(512).await;
    let Client {
        mut read,
        mut write,
    } = c;
    let start = Instant::now();
    let flood = tokio::spawn(async move {
        let noops = "NOOP\r\n".repeat(4000);
        // The write fails once the server has closed the connection.
        let _ = write.write_all(noops.as_bytes()).await;
        Instant::now()
    });
    let ended = tokio::time::timeout(IDLE, flood)
        .await
        .expect("the server closes the session")
        .expect("flood task");
    assert_took(ended - start, REPLY);
    // What was written before is there, then the end; far from all 4000 replies.
    let mut replies = 0;
    let mut line = String::new();
    while read.read_line(&mut line).await.unwrap_or(0) > 0 {
        // The last one may be cut short by the close.
        assert!("200 NOOP ok.\r\n".starts_with(&line), "{line:?}");
        replies += 1;
        line.clear();
    }
    assert!(replies < 4000, "{replies}");
}

// Guards point 3: a download whose client stops reading ends with 426 once no byte has
// moved for the stall timeout, and the session goes on (before, it ran forever).
#[tokio::test(start_paused = true)]
async fn a_download_the_client_stops_reading_ends_with_426_after_the_stall_timeout() {
    let h = start(|_| {}).await;
    big_file(&h.path("big.bin"));
    let mut c = h.logged_in().await;
    let data = passive_data(&mut c).await;
    assert!(c.cmd("RETR big.bin").await.starts_with("150 "));
    c.expect_stall_abort(STALL, IDLE, "").await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    let stat = c.cmd("STAT").await;
    assert!(!stat.contains("Transfer in progress"), "{stat}");
    drop(data);
}

/// Every directory listed endlessly, from memory: a listing that only a stall (or ABOR)
/// can end. (The local backend lists from a blocking thread, which would keep paused time
/// from moving while it waits for the client.)
fn endless_listing() -> EntryStream {
    let names = futures::stream::iter(0u64..).map(|i| {
        Ok(EntryInfo {
            name: format!("{i:0>200}"),
            kind: EntryKind::File,
            size: 0,
            modified: None,
            mode: None,
            unique: None,
        })
    });
    Box::pin(names)
}

// Guards point 3: a listing whose client stops reading stalls the same way (before, it
// held its job and data connection forever).
#[tokio::test(start_paused = true)]
async fn a_listing_the_client_stops_reading_ends_with_426_after_the_stall_timeout() {
    let h = start(|c| {
        c.storage = StorageFactory::new(Capabilities::ALL, |account| {
            let local = LocalStorage::new(&account.home).map_err(StorageError::from_io)?;
            Ok(Arc::new(common::EntryListing {
                inner: local,
                listing: Some(endless_listing),
            }) as Arc<dyn Storage>)
        });
    })
    .await;
    let mut c = h.logged_in().await;
    let _data = passive_data(&mut c).await;
    assert!(c.cmd("NLST").await.starts_with("150 "));
    c.expect_stall_abort(STALL, IDLE, "").await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

// Guards point 3: an upload whose client stops sending ends with 426 after the stall
// timeout; the partial upload is discarded, the old file is intact, no temporary file stays.
#[tokio::test(start_paused = true)]
async fn an_upload_the_client_stops_sending_ends_with_426_and_the_old_file_stays() {
    let h = start(|_| {}).await;
    std::fs::write(h.path("up.bin"), b"old contents").expect("write file");
    let mut c = h.logged_in().await;
    let mut data = passive_data(&mut c).await;
    assert!(c.cmd("STOR up.bin").await.starts_with("150 "));
    std::io::Write::write_all(&mut data, b"the first part of the new").expect("send");
    c.expect_stall_abort(STALL, IDLE, "").await;
    assert_eq!(
        std::fs::read(h.path("up.bin")).expect("old file"),
        b"old contents"
    );
    assert_eq!(files_under(h.home.path()), [h.path("up.bin")]);
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

// Guards point 3: bytes that keep moving keep a slow transfer alive past the stall timeout.
#[tokio::test(start_paused = true)]
async fn a_slow_upload_that_keeps_moving_is_not_cut() {
    let h = start(|_| {}).await;
    let mut c = h.logged_in().await;
    let mut data = passive_data(&mut c).await;
    assert!(c.cmd("STOR slow.bin").await.starts_with("150 "));
    for _ in 0..5 {
        std::io::Write::write_all(&mut data, b"tick").expect("send");
        tokio::time::sleep(STALL / 2).await;
    }
    drop(data);
    assert_eq!(
        c.reply_within(IDLE).await.as_deref(),
        Some("226 Transfer complete.\r\n")
    );
    assert_eq!(
        std::fs::read(h.path("slow.bin")).expect("file"),
        b"tick".repeat(5)
    );
}

// Guards point 7: commands sent during a transfer are read at once. PWD waits for the
// transfer, NOOP waits behind PWD (it must not overtake it), and ABOR, sent after both,
// still stops the transfer at once: the wire shows the transfer's 426, then PWD's and
// NOOP's replies, then ABOR's 226. Before, reading stopped at PWD and ABOR was only read
// once the transfer ended by itself.
#[tokio::test(start_paused = true)]
async fn abor_behind_waiting_commands_stops_the_transfer_at_once_and_replies_keep_order() {
    let h = start(|_| {}).await;
    big_file(&h.path("big.bin"));
    let mut c = h.logged_in().await;
    let _data = passive_data(&mut c).await;
    assert!(c.cmd("RETR big.bin").await.starts_with("150 "));
    let start = Instant::now();
    c.write
        .write_all(b"PWD\r\nNOOP\r\nABOR\r\n")
        .await
        .expect("send");
    let mut wire = Vec::new();
    for _ in 0..4 {
        wire.push(c.reply_within(IDLE).await.expect("a reply"));
    }
    assert_eq!(
        wire,
        [
            "426 Transfer aborted by ABOR.\r\n",
            "257 \"/\" is the current directory.\r\n",
            "200 NOOP ok.\r\n",
            "226 ABOR successful.\r\n",
        ]
    );
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "nothing waited for a timer"
    );
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

// Guards point 7's bound: at most 16 commands wait behind a transfer; past that the
// server stops reading, so an ABOR behind them is only read once the transfer ends (here
// by the stall timeout), and then finds no transfer to abort.
#[tokio::test(start_paused = true)]
async fn at_most_sixteen_commands_wait_behind_a_transfer() {
    let h = start(|_| {}).await;
    big_file(&h.path("big.bin"));
    let mut c = h.logged_in().await;
    let _data = passive_data(&mut c).await;
    assert!(c.cmd("RETR big.bin").await.starts_with("150 "));
    let mut lines = "PWD\r\n".repeat(20);
    lines.push_str("ABOR\r\n");
    c.write.write_all(lines.as_bytes()).await.expect("send");
    assert_eq!(
        c.reply_within(IDLE).await.as_deref(),
        Some("426 No data moved for too long: transfer aborted.\r\n")
    );
    for _ in 0..20 {
        let r = c.reply_within(IDLE).await.expect("PWD reply");
        assert!(r.starts_with("257 "), "{r}");
    }
    assert_eq!(
        c.reply_within(IDLE).await.as_deref(),
        Some("225 No transfer to abort.\r\n")
    );
}

// Guards point 4: after the shutdown grace, a session stuck in a blocked write (a client
// that never reads, with a reply timeout longer than the grace) is cut like any other.
#[tokio::test(start_paused = true)]
async fn after_the_grace_a_session_stuck_writing_is_cut_too() {
    let mut h = start(|c| c.reply_timeout = GRACE * 10).await;
    let c = h.logged_in_with(512).await;
    let Client { read, mut write } = c;
    let flood = tokio::spawn(async move {
        let _ = write.write_all("NOOP\r\n".repeat(4000).as_bytes()).await;
    });
    // Let the flood fill the buffers: one virtual second, no reply timer is near.
    tokio::time::sleep(Duration::from_secs(1)).await;
    h.stop();
    let start = Instant::now();
    tokio::time::timeout(GRACE * 3, &mut h.server)
        .await
        .expect("the server ends after the grace")
        .expect("server task")
        .expect("server ends well");
    assert_took(start.elapsed(), GRACE);
    tokio::time::timeout(GRACE, flood)
        .await
        .expect("the session's connection is closed")
        .expect("flood task");
    drop(read);
}

// Guards point 8: a panic in one session ends only that session: its slot is given back,
// the other session goes on and new ones are served.
#[tokio::test(start_paused = true)]
async fn a_panicking_session_ends_alone() {
    let h = start(|c| c.max_connections = 2).await;
    let mut bystander = h.logged_in().await;
    let mut doomed = h.connect().await;
    doomed
        .write
        .write_all(&[PANIC_LINE, b"\r\n"].concat())
        .await
        .expect("send");
    assert_eq!(doomed.reply_within(IDLE).await, None, "that session ended");
    assert_eq!(bystander.cmd("NOOP").await, "200 NOOP ok.\r\n");
    // Its slot is free again: with a limit of two, a third session is served.
    let mut next = h.logged_in().await;
    assert_eq!(next.cmd("NOOP").await, "200 NOOP ok.\r\n");
    assert!(!h.server.is_finished());
}

mod tls {
    //! The data connection's TLS handshake has a deadline too.

    use super::*;
    use ferroftp_proto::session::TlsRequired;
    use ferroftp_server::tls::{CertSource, SessionReuse};
    use ferroftp_server::TlsOptions;
    use tokio::io::AsyncReadExt;
    use tokio_rustls::TlsConnector;

    fn client_config(der: Vec<u8>) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(der))
            .expect("trust the test certificate");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Arc::new(config)
    }

    /// Reads one single-line reply from `r`.
    async fn line<R: AsyncRead + Unpin>(r: &mut R) -> String {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while !out.ends_with(b"\n") {
            match tokio::time::timeout(IDLE, r.read(&mut b)).await {
                Ok(Ok(1)) => out.push(b[0]),
                other => panic!("no reply: {other:?}, so far {out:?}"),
            }
        }
        String::from_utf8(out).expect("text")
    }

    // Guards point 4: under PROT P, a data connection whose client never starts the TLS
    // handshake is given up after the handshake timeout, with 522, and the session goes on.
    #[tokio::test(start_paused = true)]
    async fn a_data_connection_that_never_shakes_hands_gets_522_after_the_deadline() {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(home.path().join("f.txt"), b"secret").expect("write file");
        let dir = tempfile::tempdir().expect("cert dir");
        let made =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, made.cert.pem()).expect("write cert");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("write key");
        let config = ServerConfig {
            listen: vec!["127.0.0.1:0".parse().expect("address")],
            tls: Some(TlsOptions {
                cert: CertSource::Files { cert, key },
                required: TlsRequired::None,
                session_reuse: SessionReuse::Optional,
            }),
            ..super::config()
        };
        let auth = StaticAuthenticator::new("alice", "right", home.path(), Permissions::ALL);
        let server = Server::bind(config, Arc::new(auth)).await.expect("bind");
        let addr = server.local_addrs()[0];
        let (_stop, stop) = oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stop.await;
        }));

        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        assert!(line(&mut tcp).await.starts_with("220 "));
        tcp.write_all(b"AUTH TLS\r\n").await.expect("send");
        assert!(line(&mut tcp).await.starts_with("234 "));
        let connector = TlsConnector::from(client_config(made.cert.der().to_vec()));
        let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
        let mut ctl = connector.connect(name, tcp).await.expect("TLS handshake");
        for (cmd, code) in [
            ("USER alice", "331 "),
            ("PASS right", "230 "),
            ("PBSZ 0", "200 "),
            ("PROT P", "200 "),
        ] {
            ctl.write_all(format!("{cmd}\r\n").as_bytes())
                .await
                .expect("send");
            let r = line(&mut ctl).await;
            assert!(r.starts_with(code), "{cmd}: {r}");
        }
        ctl.write_all(b"PASV\r\n").await.expect("send");
        let port = pasv_port(&line(&mut ctl).await);
        // Connected, and then silent: no ClientHello ever comes.
        let _data = std::net::TcpStream::connect(("127.0.0.1", port)).expect("data connection");
        ctl.write_all(b"RETR f.txt\r\n").await.expect("send");
        assert!(line(&mut ctl).await.starts_with("150 "));
        let start = Instant::now();
        assert_eq!(
            line(&mut ctl).await,
            "522 TLS handshake on the data connection failed.\r\n"
        );
        assert_took(start.elapsed(), HANDSHAKE);
        ctl.write_all(b"NOOP\r\n").await.expect("send");
        assert_eq!(line(&mut ctl).await, "200 NOOP ok.\r\n");
    }
}
