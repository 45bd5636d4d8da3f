//! The fast login path: a login answered from the credential cache never queues at the
//! gate around password checks (its permit counter shows it), many concurrent returning
//! users pay one argon2 check between them, and the per-address failure guard (delays,
//! bans) still applies to a user whose right password is cached.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::duplex::{assert_took, Client};
use common::Raw;
use ferroftp_server::guard::HashGate;
use ferroftp_server::users_file::{hash_password, UsersFileAuthenticator};
use ferroftp_server::{IncomingStream, LoginLimits, Server, ServerConfig};
use tokio::io::{BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};

/// Writes a users file of `(name, password)` accounts homed in `home`.
fn write_users(path: &Path, home: &Path, accounts: &[(&str, &str)]) {
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

/// A users file with `alice`/`secret` in a fresh directory, and its authenticator.
fn alice() -> (tempfile::TempDir, Arc<UsersFileAuthenticator>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "secret")]);
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    (dir, auth)
}

/// A server on 127.0.0.1 port 0 on a runtime thread of its own, with its hash gate kept
/// to read; stops when `stop` is dropped.
struct Running {
    addr: SocketAddr,
    gate: Arc<HashGate>,
    _stop: oneshot::Sender<()>,
}

fn serve(auth: Arc<UsersFileAuthenticator>, config: ServerConfig) -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = Server::bind(config, auth).await.expect("bind");
            tx.send((server.local_addrs()[0], server.hash_gate()))
                .expect("send");
            let _ = server
                .run(async move {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    let (addr, gate) = rx.recv().expect("server address");
    Running {
        addr,
        gate,
        _stop: stop,
    }
}

fn tcp_config() -> ServerConfig {
    ServerConfig {
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        passive_ports: 0..=0,
        login_failure_delay: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// One login on a fresh connection: the code of the reply to PASS; QUIT after it.
fn login(addr: SocketAddr, user: &str, password: &str) -> u16 {
    let mut r = Raw::connect(addr);
    assert_eq!(r.code(&format!("USER {user}")), 331);
    let code = r.code(&format!("PASS {password}"));
    let _ = r.code("QUIT");
    code
}

// Guards "a cache hit must not touch the HashGate": the first login takes the one permit
// its argon2 check needs; every later login of the same password, sequential or from
// eight clients at once, is answered without a permit (and without argon2).
#[test]
fn cache_hits_never_take_a_hash_permit() {
    let (_dir, auth) = alice();
    let s = serve(auth.clone(), tcp_config());
    assert_eq!(login(s.addr, "alice", "secret"), 230);
    assert_eq!(s.gate.permits_taken(), 1);
    for _ in 0..10 {
        assert_eq!(login(s.addr, "alice", "secret"), 230);
    }
    let addr = s.addr;
    let workers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| login(addr, "alice", "secret"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for w in workers {
        assert!(w.join().expect("worker").iter().all(|&c| c == 230));
    }
    assert_eq!(s.gate.permits_taken(), 1, "hits took a permit");
    let stats = auth.hash_stats();
    assert_eq!(stats.checks, 1, "{stats:?}");
    assert_eq!(stats.cache_hits, 90, "{stats:?}");
}

// Guards that the cache is no way around the gate for what it cannot answer: a wrong
// password of a cached user, and an unknown user, each take a permit and pay a check.
#[test]
fn misses_still_take_a_permit_each() {
    let (_dir, auth) = alice();
    let s = serve(
        auth.clone(),
        ServerConfig {
            limits: LoginLimits {
                ban_after_failures: 0,
                max_login_failures: 0,
                ..LoginLimits::default()
            },
            ..tcp_config()
        },
    );
    assert_eq!(login(s.addr, "alice", "secret"), 230);
    assert_eq!(login(s.addr, "alice", "wrong"), 530);
    assert_eq!(login(s.addr, "mallory", "secret"), 530);
    assert_eq!(login(s.addr, "alice", "secret"), 230);
    assert_eq!(s.gate.permits_taken(), 3);
    assert_eq!(auth.hash_stats().checks, 3);
}

/// A server fed with in-memory connections under paused time, and its hash gate.
struct Paused {
    streams: mpsc::Sender<IncomingStream<DuplexStream>>,
    gate: Arc<HashGate>,
    _stop: oneshot::Sender<()>,
}

impl Paused {
    async fn start(auth: Arc<UsersFileAuthenticator>, config: ServerConfig) -> Paused {
        let server = Server::bind(config, auth).await.expect("bind");
        let gate = server.hash_gate();
        let (streams, incoming) = mpsc::channel(4);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run_with_streams(
            async move {
                let _ = stopped.await;
            },
            incoming,
        ));
        Paused {
            streams,
            gate,
            _stop: stop,
        }
    }

    /// A session from `peer`; its greeting (or refusal) is returned with it.
    async fn connect(&self, peer: &str) -> (Client, String) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let peer: SocketAddr = peer.parse().expect("address");
        self.streams
            .send(IncomingStream {
                stream: server,
                peer,
                local: "127.0.0.1:21".parse().expect("address"),
            })
            .await
            .expect("server runs");
        let (read, write) = tokio::io::split(client);
        let mut c = Client {
            read: BufReader::new(read),
            write,
        };
        let greeting = c.next_reply().await;
        (c, greeting)
    }
}

// Guards the per-address failure guard on the fast path: a user whose right password is
// cached gets no exemption. Wrong passwords from an address still cost their growing
// delay (1 s, 2 s) and a permit each, the third bans the address, and the ban refuses
// even the cached right password from there; another address still logs in from the cache.
#[tokio::test(start_paused = true)]
async fn the_failure_guard_still_applies_to_cached_users() {
    let (_dir, auth) = alice();
    let config = ServerConfig {
        listen: Vec::new(),
        passive_ports: 0..=0,
        login_failure_delay: Duration::from_secs(1),
        limits: LoginLimits {
            ban_after_failures: 3,
            max_login_failures: 0,
            ..LoginLimits::default()
        },
        ..ServerConfig::default()
    };
    let s = Paused::start(auth.clone(), config).await;
    let attacker = "192.0.2.7:40000";
    for _ in 0..2 {
        let (mut c, greeting) = s.connect(attacker).await;
        assert!(greeting.starts_with("220"), "{greeting}");
        assert!(c.cmd("USER alice").await.starts_with("331"));
        assert!(c.cmd("PASS secret").await.starts_with("230"));
    }
    assert_eq!(
        auth.hash_stats().cache_hits,
        1,
        "the second login was a hit"
    );
    let permits = s.gate.permits_taken();

    let (mut c, _) = s.connect(attacker).await;
    for (n, delay) in [(1, 1), (2, 2)] {
        assert!(c.cmd("USER alice").await.starts_with("331"));
        let start = tokio::time::Instant::now();
        let reply = c.cmd("PASS guess").await;
        assert!(reply.starts_with("530"), "failure {n}: {reply}");
        assert_took(start.elapsed(), Duration::from_secs(delay));
    }
    assert!(c.cmd("USER alice").await.starts_with("331"));
    assert!(c.cmd("PASS guess").await.starts_with("421"), "banned");
    assert_eq!(s.gate.permits_taken(), permits + 3, "each guess paid");

    // The right password, cached, does not lift the ban.
    let (_c, refused) = s.connect(attacker).await;
    assert!(refused.starts_with("421"), "{refused}");

    let (mut c, greeting) = s.connect("198.51.100.9:40000").await;
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(c.cmd("USER alice").await.starts_with("331"));
    assert!(c.cmd("PASS secret").await.starts_with("230"));
    assert_eq!(s.gate.permits_taken(), permits + 3, "a hit again");
}
