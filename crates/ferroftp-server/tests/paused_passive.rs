//! The waits of PASV/EPSV, under paused time: a PASV that finds every passive port busy,
//! or its address at the cap of waiting listeners, waits up to `passive_wait` for one to
//! close before `425`. Sessions run over `tokio::io::duplex` (see paused_time.rs), so the
//! clock jumps straight to each timer and the time a reply arrives is exact.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::{IncomingStream, Server, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(2);
const DATA_TIMEOUT: Duration = Duration::from_secs(20);

struct Harness {
    streams: mpsc::Sender<IncomingStream<DuplexStream>>,
    _shutdown: oneshot::Sender<()>,
    _home: tempfile::TempDir,
}

impl Harness {
    async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Harness {
        let home = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig {
            listen: Vec::new(),
            passive_ports: 0..=0,
            passive_wait: WAIT,
            data_connect_timeout: DATA_TIMEOUT,
            ..ServerConfig::default()
        };
        adjust(&mut config);
        let auth = StaticAuthenticator::new("alice", "right", home.path(), Permissions::ALL);
        let server = Server::bind(config, Arc::new(auth))
            .await
            .expect("server binds");
        let (streams, incoming) = mpsc::channel(4);
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(server.run_with_streams(
            async move {
                let _ = stop.await;
            },
            incoming,
        ));
        Harness {
            streams,
            _shutdown: shutdown,
            _home: home,
        }
    }

    /// A logged-in session from 127.0.0.1.
    async fn logged_in(&self) -> Client {
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
        assert!(c.reply().await.starts_with("220 "));
        assert!(c.cmd("USER alice").await.starts_with("331 "));
        assert!(c.cmd("PASS right").await.starts_with("230 "));
        c
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

    /// The next one-line reply.
    async fn reply(&mut self) -> String {
        let mut line = String::new();
        self.read.read_line(&mut line).await.expect("reply");
        line
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await
    }
}

/// A port free right now, for a one-port passive range.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    probe.local_addr().expect("address").port()
}

fn assert_took(elapsed: Duration, expected: Duration) {
    assert!(
        elapsed >= expected && elapsed <= expected + Duration::from_millis(1),
        "took {elapsed:?}, expected {expected:?}"
    );
}

// Guards point 4: with the range busy, PASV used to fail at once; now it waits
// `passive_wait` and only then answers 425.
#[tokio::test(start_paused = true)]
async fn a_pasv_finding_the_range_busy_waits_then_gets_425() {
    let port = free_port();
    let h = Harness::start(|c| c.passive_ports = port..=port).await;
    let mut hoarder = h.logged_in().await;
    assert!(hoarder.cmd("EPSV").await.starts_with("229 "));
    let mut honest = h.logged_in().await;
    let start = Instant::now();
    assert_eq!(
        honest.cmd("EPSV").await,
        "425 Can't open passive connection: no passive port free: try again.\r\n"
    );
    assert_took(start.elapsed(), WAIT);
}

// Guards point 4: a PASV waiting for a port gets the one freed meanwhile, at once.
#[tokio::test(start_paused = true)]
async fn a_pasv_waiting_for_a_port_gets_one_as_soon_as_it_is_freed() {
    let port = free_port();
    let h = Harness::start(|c| c.passive_ports = port..=port).await;
    let mut hoarder = h.logged_in().await;
    assert!(hoarder.cmd("EPSV").await.starts_with("229 "));
    let mut honest = h.logged_in().await;
    honest.send("EPSV").await;
    // Virtual time: the stimulus (time passing), not synchronisation.
    tokio::time::sleep(WAIT / 2).await;
    let freed = Instant::now();
    // REIN drops the hoarder's listener.
    assert!(hoarder.cmd("REIN").await.starts_with("220 "));
    assert_eq!(
        honest.reply().await,
        format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
    );
    assert_eq!(freed.elapsed(), Duration::ZERO);
}

// Guards point 3 with point 4: over the cap per address, PASV waits like for a busy
// range, then 425 with the cap's own text.
#[tokio::test(start_paused = true)]
async fn over_the_cap_per_address_pasv_waits_then_gets_425() {
    let h = Harness::start(|c| c.max_passive_per_ip = 1).await;
    let mut first = h.logged_in().await;
    assert!(first.cmd("EPSV").await.starts_with("229 "));
    let mut second = h.logged_in().await;
    let start = Instant::now();
    assert_eq!(
        second.cmd("EPSV").await,
        "425 Can't open passive connection: too many waiting from your address, use the ones you have.\r\n"
    );
    assert_took(start.elapsed(), WAIT);
    // Once the first listener times out, the place is free.
    tokio::time::sleep(DATA_TIMEOUT).await;
    assert!(second.cmd("EPSV").await.starts_with("229 "));
}
