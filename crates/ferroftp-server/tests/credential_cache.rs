//! The credential cache over real logins: a returning user pays argon2 once, a wrong
//! password is never taken from the cache and still pays its check, a changed password or
//! a removed user is refused after a users-file reload, the cache can be turned off, and
//! entries expire after the TTL (under paused time).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::duplex::Harness;
use common::{write_users, TestServer};
use ferroftp_server::users_file::UsersFileAuthenticator;
use ferroftp_server::{Authenticator, LoginLimits, ServerConfig};

fn config(adjust: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    let mut config = ServerConfig {
        limits: LoginLimits {
            ban_after_failures: 0,
            max_login_failures: 0,
            ..LoginLimits::default()
        },
        ..common::loopback_config()
    };
    adjust(&mut config);
    config
}

/// A server with `auth` on its own runtime thread, stopped on drop.
fn start(auth: Arc<dyn Authenticator>, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let root = tempfile::tempdir().expect("tempdir");
    TestServer::start_serving(root, auth, config(adjust))
}

trait Login {
    /// One login on a fresh connection: the reply code to PASS.
    fn login(&self, user: &str, password: &str) -> u16;
}

impl Login for TestServer {
    fn login(&self, user: &str, password: &str) -> u16 {
        common::login(self.addr, user, password)
    }
}

fn checks(auth: &UsersFileAuthenticator) -> u64 {
    auth.hash_stats().checks
}

// Guards "pay the hash once": ten logins of one user cost one argon2 check; the other nine
// are cache hits that never queue for a hash permit.
#[test]
fn a_returning_user_pays_one_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "secret")]);
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let s = start(auth.clone(), |_| {});
    for _ in 0..10 {
        assert_eq!(s.login("alice", "secret"), 230);
    }
    let stats = auth.hash_stats();
    assert_eq!(stats.checks, 1, "{stats:?}");
    assert_eq!(stats.cache_hits, 9, "{stats:?}");
}

// Guards against the cache as a fast oracle or a poisoned entry: a wrong password for a
// cached user still pays a full argon2 check and gets 530, is never cached as right (the
// same wrong password pays again), and leaves the right entry in place.
#[test]
fn a_wrong_password_is_never_cached_and_pays_its_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "secret")]);
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let s = start(auth.clone(), |_| {});
    assert_eq!(s.login("alice", "secret"), 230);
    assert_eq!(checks(&auth), 1);
    for n in 2..=4 {
        assert_eq!(s.login("alice", "guess"), 530);
        assert_eq!(checks(&auth), n, "each wrong password pays a check");
    }
    // An unknown user pays one too, cache or not.
    assert_eq!(s.login("mallory", "secret"), 530);
    assert_eq!(checks(&auth), 5);
    // The right password still hits.
    assert_eq!(s.login("alice", "secret"), 230);
    assert_eq!(checks(&auth), 5);
    assert_eq!(auth.hash_stats().cache_hits, 1);
}

// Guards invalidation on reload (SIGHUP in the binary): after the users file changes a
// password and removes a user, the old password and the removed user get 530 although
// both were cached, and the new password works.
#[test]
fn a_reload_refuses_a_changed_password_and_a_removed_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(
        &path,
        dir.path(),
        &[("alice", "old-pw"), ("bob", "bobs-pw")],
    );
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let s = start(auth.clone(), |_| {});
    for _ in 0..2 {
        assert_eq!(s.login("alice", "old-pw"), 230);
        assert_eq!(s.login("bob", "bobs-pw"), 230);
    }
    assert_eq!(auth.hash_stats().cache_hits, 2, "both are cached");

    write_users(&path, dir.path(), &[("alice", "new-pw")]);
    assert_eq!(auth.reload().expect("reload"), 1);
    let before = checks(&auth);
    assert_eq!(s.login("alice", "old-pw"), 530);
    assert_eq!(s.login("bob", "bobs-pw"), 530);
    assert_eq!(checks(&auth), before + 2, "both refusals paid a check");
    assert_eq!(s.login("alice", "new-pw"), 230);
    assert_eq!(s.login("alice", "new-pw"), 230);
    assert_eq!(
        checks(&auth),
        before + 3,
        "the new password is cached in turn"
    );
}

// Guards the off switch and the capacity as the server configures them: with the cache
// off every login pays; with room for one user, two users taking turns evict each other.
#[test]
fn the_cache_can_be_off_and_stays_within_its_capacity() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "a-pw"), ("bob", "b-pw")]);

    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let off = start(auth.clone(), |c| c.limits.credential_cache_size = 0);
    for _ in 0..3 {
        assert_eq!(off.login("alice", "a-pw"), 230);
    }
    assert_eq!(checks(&auth), 3);
    drop(off);

    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let one = start(auth.clone(), |c| c.limits.credential_cache_size = 1);
    for _ in 0..2 {
        assert_eq!(one.login("alice", "a-pw"), 230);
        assert_eq!(one.login("bob", "b-pw"), 230);
    }
    assert_eq!(checks(&auth), 4, "each evicts the other");
    assert_eq!(one.login("bob", "b-pw"), 230);
    assert_eq!(checks(&auth), 4, "the last one in is still there");
}

// Guards the TTL end to end: within it the login is a hit; once it has passed, the next
// login pays argon2 again. Paused time: the clock jumps, nothing waits for real.
#[tokio::test(start_paused = true)]
async fn entries_expire_after_the_ttl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.toml");
    write_users(&path, dir.path(), &[("alice", "pw")]);
    let auth = Arc::new(UsersFileAuthenticator::load(&path).expect("load"));
    let ttl = Duration::from_secs(60);
    let mut h = Harness::start_with(auth.clone(), dir, |c| {
        *c = config(|c| {
            c.listen = Vec::new();
            c.limits.credential_cache_ttl = ttl;
        });
    })
    .await;
    let login = || async {
        let mut c = h.connect().await;
        assert!(c.cmd("USER alice").await.starts_with("331"));
        let pass = c.cmd("PASS pw").await;
        let _ = c.cmd("QUIT").await;
        pass
    };
    assert!(login().await.starts_with("230"));
    tokio::time::advance(ttl - Duration::from_secs(1)).await;
    assert!(login().await.starts_with("230"));
    assert_eq!(checks(&auth), 1, "a hit within the TTL");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(login().await.starts_with("230"));
    assert_eq!(checks(&auth), 2, "expired: argon2 again");
    let _ = h.shutdown.take().expect("once").send(());
    h.server.await.expect("server task").expect("server ran");
}
