//! A server driven under paused time: no TCP listener, every session comes in through
//! `Server::run_with_streams` over an in-memory `tokio::io::duplex` (data connections stay
//! real loopback sockets), so the clock only moves when every task waits and the time a
//! reply arrives is exact.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::guard::HashGate;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::{Authenticator, ControlStream, IncomingStream, Server, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The user of [`Harness::start`]'s static authenticator, and its password.
pub const USER: &str = "alice";
pub const PASS: &str = "right";

/// The capacity each way of a session's duplex, unless a test asks for another.
pub const CAPACITY: usize = 64 * 1024;

/// The peer address of [`Harness::connect`] and [`Harness::logged_in`].
pub const PEER: &str = "127.0.0.1:40000";

/// The base of every harness's config: no TCP listener, and the OS picks passive ports.
pub fn base_config() -> ServerConfig {
    ServerConfig {
        listen: Vec::new(),
        passive_ports: 0..=0,
        ..ServerConfig::default()
    }
}

/// A server fed with in-memory connections, whose server side is wrapped in `S`.
pub struct Harness<S = DuplexStream> {
    pub streams: mpsc::Sender<IncomingStream<S>>,
    pub shutdown: Option<oneshot::Sender<()>>,
    pub server: JoinHandle<std::io::Result<()>>,
    pub home: tempfile::TempDir,
    /// The server's gate around password checks, kept so a test can read its permit
    /// counter (whether a login queued for an argon2 check).
    pub gate: Arc<HashGate>,
    wrap: fn(DuplexStream) -> S,
}

impl Harness<DuplexStream> {
    /// [`base_config`] changed by `adjust`; `alice`/`right` with all permissions in `home`.
    pub async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Harness {
        Harness::start_wrapped(|s| s, adjust).await
    }

    /// [`base_config`] changed by `adjust`, with users from `auth`; `home` is kept alive.
    pub async fn start_with(
        auth: Arc<dyn Authenticator>,
        home: tempfile::TempDir,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> Harness {
        Harness::start_full(|s| s, auth, home, adjust).await
    }
}

impl<S: ControlStream + 'static> Harness<S> {
    /// Like [`Harness::start`], with every session's server side wrapped by `wrap`.
    pub async fn start_wrapped(
        wrap: fn(DuplexStream) -> S,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> Harness<S> {
        let home = tempfile::tempdir().expect("temp dir");
        let auth = StaticAuthenticator::new(USER, PASS, home.path(), Permissions::ALL);
        Harness::start_full(wrap, Arc::new(auth), home, adjust).await
    }

    pub async fn start_full(
        wrap: fn(DuplexStream) -> S,
        auth: Arc<dyn Authenticator>,
        home: tempfile::TempDir,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> Harness<S> {
        let mut config = base_config();
        adjust(&mut config);
        let server = Server::bind(config, auth).await.expect("server binds");
        let gate = server.hash_gate();
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
            gate,
            wrap,
        }
    }

    /// A new session from `peer` over a duplex of `capacity` bytes each way; nothing is
    /// read yet, not even the greeting.
    pub async fn open_from(&self, peer: &str, capacity: usize) -> Client {
        let (client, server) = tokio::io::duplex(capacity);
        let peer: SocketAddr = peer.parse().expect("address");
        let local: SocketAddr = if peer.is_ipv6() {
            "[::1]:21".parse().expect("address")
        } else {
            "127.0.0.1:21".parse().expect("address")
        };
        self.streams
            .send(IncomingStream {
                stream: (self.wrap)(server),
                peer,
                local,
            })
            .await
            .expect("server takes the stream");
        let (read, write) = tokio::io::split(client);
        Client {
            read: BufReader::new(read),
            write,
        }
    }

    /// A new session from [`PEER`] over a duplex of `capacity`; the greeting is not read.
    pub async fn open(&self, capacity: usize) -> Client {
        self.open_from(PEER, capacity).await
    }

    /// A new connection from `peer`, and its first reply (the greeting or a refusal).
    pub async fn connect_from(&self, peer: &str) -> (Client, String) {
        let mut c = self.open_from(peer, CAPACITY).await;
        let first = c.reply().await.expect("a first reply");
        (c, first)
    }

    /// A connection from `peer` that must be greeted.
    pub async fn greeted(&self, peer: &str) -> Client {
        let (c, greeting) = self.connect_from(peer).await;
        assert!(greeting.starts_with("220 "), "{greeting}");
        c
    }

    /// A new session over a duplex of `capacity`; its greeting is read.
    pub async fn connect_with(&self, capacity: usize) -> Client {
        let mut c = self.open(capacity).await;
        let greeting = c.reply().await.expect("greeting");
        assert!(greeting.starts_with("220 "), "{greeting}");
        c
    }

    /// A new session; its greeting is read.
    pub async fn connect(&self) -> Client {
        self.connect_with(CAPACITY).await
    }

    /// A session over a duplex of `capacity`, logged in as [`USER`].
    pub async fn logged_in_with(&self, capacity: usize) -> Client {
        let mut c = self.connect_with(capacity).await;
        assert!(c.cmd(&format!("USER {USER}")).await.starts_with("331 "));
        assert!(c.cmd(&format!("PASS {PASS}")).await.starts_with("230 "));
        c
    }

    /// A session logged in as [`USER`].
    pub async fn logged_in(&self) -> Client {
        self.logged_in_with(CAPACITY).await
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Tells the server to shut down (once).
    pub fn stop(&mut self) {
        self.shutdown
            .take()
            .expect("once")
            .send(())
            .expect("server runs");
    }
}

/// The client side of a session.
pub struct Client {
    pub read: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    pub write: tokio::io::WriteHalf<DuplexStream>,
}

impl Client {
    pub async fn send(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("send");
    }

    /// The next whole reply, all its lines; `None` once the server has closed.
    pub async fn reply(&mut self) -> Option<String> {
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

    /// The next whole reply, which must come: the session must not have been closed.
    pub async fn next_reply(&mut self) -> String {
        self.reply().await.expect("a reply")
    }

    /// The next reply, or `None` if none comes (or the server closes) within `limit` of
    /// virtual time: a test that would otherwise wait forever fails instead.
    pub async fn reply_within(&mut self, limit: Duration) -> Option<String> {
        tokio::time::timeout(limit, self.reply())
            .await
            .ok()
            .flatten()
    }

    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.next_reply().await
    }

    /// Waits (at most `limit` of virtual time) for the stall timeout's `426` and checks
    /// that it came `stall` after the call.
    pub async fn expect_stall_abort(&mut self, stall: Duration, limit: Duration, what: &str) {
        let start = tokio::time::Instant::now();
        assert_eq!(
            self.reply_within(limit).await.as_deref(),
            Some("426 No data moved for too long: transfer aborted.\r\n"),
            "{what}"
        );
        assert_took(start.elapsed(), stall);
    }
}

/// `elapsed` is `expected`, give or take the timer wheel's one-millisecond tick.
pub fn assert_took(elapsed: Duration, expected: Duration) {
    assert!(
        elapsed >= expected && elapsed <= expected + Duration::from_millis(1),
        "took {elapsed:?}, expected {expected:?}"
    );
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` reply.
pub fn pasv_port(reply: &str) -> u16 {
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
