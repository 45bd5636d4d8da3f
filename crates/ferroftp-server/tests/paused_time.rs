//! The control loop's timers, tested under paused time: whole sessions run over an
//! in-memory `tokio::io::duplex` (data connections over real loopback sockets), and the
//! clock only moves when every task waits, jumping straight to the next timer. So each test
//! takes milliseconds of real time, and the time a reply arrives is exact, not a guess.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::{IncomingStream, Server, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

// Different lengths, so that a reply's time also says which timer sent it.
const IDLE: Duration = Duration::from_secs(600);
const LOGIN_DELAY: Duration = Duration::from_secs(3);
const DATA_TIMEOUT: Duration = Duration::from_secs(20);
const GRACE: Duration = Duration::from_secs(45);

/// A server fed with in-memory connections.
struct Harness {
    streams: mpsc::Sender<IncomingStream<DuplexStream>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    home: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let home = tempfile::tempdir().expect("temp dir");
        let config = ServerConfig {
            // No TCP listener: every session comes through `streams`.
            listen: Vec::new(),
            passive_ports: 0..=0,
            idle_timeout: IDLE,
            login_failure_delay: LOGIN_DELAY,
            data_connect_timeout: DATA_TIMEOUT,
            shutdown_grace: GRACE,
            ..ServerConfig::default()
        };
        let auth = StaticAuthenticator::new("alice", "right", home.path(), Permissions::ALL);
        let server = Server::bind(config, Arc::new(auth))
            .await
            .expect("server binds");
        let (streams, incoming) = mpsc::channel(4);
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(server.run_with_streams(
            async move {
                let _ = stop.await;
            },
            incoming,
        ));
        Harness {
            streams,
            shutdown: Some(shutdown),
            server,
            home,
        }
    }

    /// A new session; its greeting is read.
    async fn connect(&self) -> Client {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let peer: SocketAddr = "127.0.0.1:40000".parse().expect("address");
        let local: SocketAddr = "127.0.0.1:21".parse().expect("address");
        self.streams
            .send(IncomingStream {
                stream: server,
                peer,
                local,
            })
            .await
            .expect("server takes the stream");
        let (read, write) = tokio::io::split(client);
        let mut c = Client {
            read: BufReader::new(read),
            write,
        };
        let greeting = c.reply().await.expect("greeting");
        assert!(greeting.starts_with("220 "), "{greeting}");
        c
    }

    async fn logged_in(&self) -> Client {
        let mut c = self.connect().await;
        assert!(c.cmd("USER alice").await.starts_with("331 "));
        assert!(c.cmd("PASS right").await.starts_with("230 "));
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

struct Client {
    read: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    write: tokio::io::WriteHalf<DuplexStream>,
}

impl Client {
    async fn send(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("send");
    }

    /// The next whole reply, all its lines; `None` once the server has closed.
    async fn reply(&mut self) -> Option<String> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            if self.read.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
                return Some(text);
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await.expect("a reply")
    }
}

/// `elapsed` is `expected`, give or take the timer wheel's one-millisecond tick.
fn assert_took(elapsed: Duration, expected: Duration) {
    assert!(
        elapsed >= expected && elapsed <= expected + Duration::from_millis(1),
        "took {elapsed:?}, expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_gets_421_after_exactly_the_idle_timeout() {
    let h = Harness::start().await;
    // Logged in: before login, the shorter login timeout ends a session first.
    let mut c = h.logged_in().await;
    let start = Instant::now();
    // Up to the last moment, nothing is said.
    let early = tokio::time::timeout(IDLE - Duration::from_millis(5), c.reply()).await;
    assert!(early.is_err(), "{early:?}");
    assert_eq!(
        c.reply().await.as_deref(),
        Some("421 Timeout: closing control connection.\r\n")
    );
    assert_took(start.elapsed(), IDLE);
    assert_eq!(c.reply().await, None, "the session is closed");
}

#[tokio::test(start_paused = true)]
async fn every_command_restarts_the_idle_timer() {
    let h = Harness::start().await;
    let mut c = h.logged_in().await;
    // Virtual time: this sleep is the stimulus (time passing), not synchronisation.
    tokio::time::sleep(IDLE / 2).await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    let after_noop = Instant::now();
    assert_eq!(
        c.reply().await.as_deref(),
        Some("421 Timeout: closing control connection.\r\n")
    );
    assert_took(after_noop.elapsed(), IDLE);
}

#[tokio::test(start_paused = true)]
async fn a_failed_login_is_answered_after_the_delay_and_a_good_one_at_once() {
    let h = Harness::start().await;
    let mut c = h.connect().await;
    assert!(c.cmd("USER alice").await.starts_with("331 "));
    let start = Instant::now();
    assert_eq!(c.cmd("PASS wrong").await, "530 Login incorrect.\r\n");
    assert_took(start.elapsed(), LOGIN_DELAY);

    assert!(c.cmd("USER alice").await.starts_with("331 "));
    let start = Instant::now();
    assert_eq!(c.cmd("PASS right").await, "230 Login successful.\r\n");
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_passive_channel_nobody_connects_to_gives_425_after_the_data_timeout() {
    let h = Harness::start().await;
    std::fs::write(h.path("f.bin"), b"data").expect("write file");
    let mut c = h.logged_in().await;
    let pasv = c.cmd("PASV").await;
    assert!(
        pasv.starts_with("227 Entering Passive Mode (127,0,0,1,"),
        "{pasv}"
    );
    // The listener waits from PASV on.
    let start = Instant::now();
    assert_eq!(
        c.cmd("RETR f.bin").await,
        "425 Can't open data connection: data connection timed out.\r\n"
    );
    assert_took(start.elapsed(), DATA_TIMEOUT);
    // The session goes on.
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` reply.
fn pasv_port(reply: &str) -> u16 {
    let inner = reply
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(i, _)| i)
        .expect("address in parentheses");
    let n: Vec<u16> = inner
        .split(',')
        .map(|x| x.trim().parse().expect("number"))
        .collect();
    n[4] * 256 + n[5]
}

#[tokio::test(start_paused = true)]
async fn on_shutdown_a_running_transfer_gets_the_grace_period_then_is_cut() {
    let mut h = Harness::start().await;
    let mut c = h.logged_in().await;
    let port = pasv_port(&c.cmd("PASV").await);
    // A blocking connect on loopback is done when it returns, before any timer can run.
    let data = std::net::TcpStream::connect(("127.0.0.1", port)).expect("data connection");
    // The upload starts, and the client then sends nothing: it runs until something ends it.
    assert_eq!(
        c.cmd("STOR up.bin").await,
        "150 Ok to send data for up.bin.\r\n"
    );

    h.shutdown
        .take()
        .expect("once")
        .send(())
        .expect("server runs");
    let start = Instant::now();
    // Halfway through the grace period, the session still answers and the transfer runs.
    tokio::time::sleep(GRACE / 2).await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    let stat = c.cmd("STAT").await;
    assert!(
        stat.contains("Transfer in progress: STOR /up.bin"),
        "{stat}"
    );

    // At the end of the grace period the session is cut: no 226, no 421, just the end.
    assert_eq!(c.reply().await, None);
    assert_took(start.elapsed(), GRACE);
    (&mut h.server)
        .await
        .expect("server task")
        .expect("server ends well");

    // The transfer was cut with it: its data connection closes and the upload is dropped.
    data.set_nonblocking(true).expect("non-blocking");
    let mut data = tokio::net::TcpStream::from_std(data).expect("tokio stream");
    let mut buf = [0u8; 16];
    let read = data.read(&mut buf).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(!h.path("up.bin").exists());
}
