//! The fast login path: a login answered from the credential cache never queues at the
//! gate around password checks (its permit counter shows it), many concurrent returning
//! users pay one argon2 check between them, and the per-address failure guard (delays,
//! bans) still applies to a user whose right password is cached.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::duplex::{assert_took, Harness};
use common::{login, write_users, TestServer};
use ferroftp_server::users_file::UsersFileAuthenticator;
use ferroftp_server::{LoginLimits, ServerConfig};

/// A users file with `alice`/`secret` in a fresh directory, and its authenticator.
fn alice() -> (tempfile::TempDir, Arc<UsersFileAuthenticator>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "secret")]);
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    (dir, auth)
}

/// A server with `auth` and `config` as it is on a runtime thread of its own, its hash
/// gate kept to read; stopped on drop.
fn serve(auth: Arc<UsersFileAuthenticator>, config: ServerConfig) -> TestServer {
    let root = tempfile::tempdir().expect("temp dir");
    TestServer::start_serving(root, auth, config)
}

fn tcp_config() -> ServerConfig {
    common::loopback_config()
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

// Guards the per-address failure guard on the fast path: a user whose right password is
// cached gets no exemption. Wrong passwords from an address still cost their growing
// delay (1 s, 2 s) and a permit each, the third bans the address, and the ban refuses
// even the cached right password from there; another address still logs in from the cache.
#[tokio::test(start_paused = true)]
async fn the_failure_guard_still_applies_to_cached_users() {
    let (dir, auth) = alice();
    let s = Harness::start_with(auth.clone(), dir, |c| {
        c.login_failure_delay = Duration::from_secs(1);
        c.limits = LoginLimits {
            ban_after_failures: 3,
            max_login_failures: 0,
            ..LoginLimits::default()
        };
    })
    .await;
    let attacker = "192.0.2.7:40000";
    for _ in 0..2 {
        let (mut c, greeting) = s.connect_from(attacker).await;
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

    let (mut c, _) = s.connect_from(attacker).await;
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
    let (_c, refused) = s.connect_from(attacker).await;
    assert!(refused.starts_with("421"), "{refused}");

    let (mut c, greeting) = s.connect_from("198.51.100.9:40000").await;
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(c.cmd("USER alice").await.starts_with("331"));
    assert!(c.cmd("PASS secret").await.starts_with("230"));
    assert_eq!(s.gate.permits_taken(), permits + 3, "a hit again");
}
