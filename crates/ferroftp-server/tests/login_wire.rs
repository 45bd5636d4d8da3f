//! Logins over real loopback sockets: the per-connection failure cap, the per-user session
//! limit, identical answers for known and unknown users (both paying a hash), the bound on
//! concurrent password checks, and what `ftp`/`anonymous` accounts get.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{deadline, wait_until, Raw, TestServer};
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::users_file::{UsersFile, UsersFileAuthenticator};
use ferroftp_server::{AnonymousConfig, Authenticator, LoginLimits, ServerConfig};

/// A server with `auth` on its own runtime thread, stopped on drop.
fn start(auth: Arc<dyn Authenticator>, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let mut config = ServerConfig {
        limits: LoginLimits {
            ban_after_failures: 0,
            ..LoginLimits::default()
        },
        ..common::loopback_config()
    };
    adjust(&mut config);
    let root = tempfile::tempdir().expect("tempdir");
    TestServer::start_serving(root, auth, config)
}

/// A users file with the given `(name, password)` accounts, all homed in `home`, loaded.
fn users(dir: &Path, home: &Path, accounts: &[(&str, &str)]) -> UsersFile {
    let path = dir.join("users.toml");
    common::write_users(&path, home, accounts);
    UsersFile::load(&path).expect("users file loads")
}

// Guards the per-connection cap (vsftpd's max_login_fails): the third wrong password on a
// connection gets `421` and the connection is closed.
#[test]
fn the_third_failure_on_a_connection_closes_it() {
    let s = common::TestServer::start_with(|c| c.limits.ban_after_failures = 0);
    let mut r = s.raw();
    for _ in 0..2 {
        assert_eq!(r.code("USER alice"), 331);
        assert_eq!(r.cmd("PASS nope").1, "530 Login incorrect.\r\n");
    }
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(
        r.cmd("PASS nope").1,
        "421 Too many failed logins: closing control connection.\r\n"
    );
    assert_eq!(r.reply().0, 0, "the connection is closed");
}

// Guards the per-user session limit: past it, a right password gets `530` with its own text,
// and a slot comes back when a session of that user ends.
#[test]
fn sessions_per_user_are_limited_at_pass() {
    let s = common::TestServer::start_with(|c| c.limits.max_sessions_per_user = 2);
    let mut first = s.client();
    let _second = s.client();
    let mut third = s.raw();
    assert_eq!(third.code("USER alice"), 331);
    assert_eq!(
        third.cmd("PASS wonderland").1,
        "530 Too many sessions for this user: close one and try again.\r\n"
    );
    // Not a failed login: the connection may try again, and succeeds once a slot is free.
    first.quit().expect("QUIT");
    let logged_in = wait_until(deadline(), || {
        assert_eq!(third.code("USER alice"), 331);
        third.code("PASS wonderland") == 230
    });
    assert!(logged_in, "a slot came back after QUIT");
    // REIN gives the slot back too.
    assert_eq!(third.code("REIN"), 220);
    let mut fourth = s.raw();
    assert_eq!(fourth.code("USER alice"), 331);
    assert_eq!(fourth.code("PASS wonderland"), 230);
}

// Guards against user enumeration and the timing oracle: a known user with a per-user TLS
// rule and an unknown name get byte-identical answers to USER and to a wrong PASS, and each
// wrong PASS costs one argon2 check. The TLS rule shows only with the right password.
#[test]
fn known_and_unknown_users_are_answered_alike_and_both_pay_a_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut file = users(dir.path(), dir.path(), &[("alice", "secret")]);
    file.set_tls("alice", TlsRequired::Login).expect("set tls");
    let auth = Arc::new(UsersFileAuthenticator::new(file));
    let s = start(auth.clone(), |_| {});

    // Names of equal length, so that even the echoed name leaves the bytes equal.
    let mut known = Raw::connect(s.addr);
    let mut unknown = Raw::connect(s.addr);
    let k_user = known.cmd("USER alice").1;
    let u_user = unknown.cmd("USER mallo").1;
    assert_eq!(k_user.replace("alice", "mallo"), u_user);
    assert!(k_user.starts_with("331 "), "{k_user}");

    let before = auth.hash_stats().checks;
    let k_pass = known.cmd("PASS guess").1;
    assert_eq!(
        auth.hash_stats().checks,
        before + 1,
        "the known user's hash"
    );
    let u_pass = unknown.cmd("PASS guess").1;
    assert_eq!(
        auth.hash_stats().checks,
        before + 2,
        "the unknown user's hash"
    );
    assert_eq!(k_pass, u_pass);
    assert_eq!(k_pass, "530 Login incorrect.\r\n");

    // The right password on a plain connection: now, and only now, the TLS rule is told.
    assert_eq!(known.code("USER alice"), 331);
    assert_eq!(
        known.cmd("PASS secret").1,
        "534 TLS required: send AUTH TLS before USER.\r\n"
    );
}

// Guards the bound on concurrent password checks: many simultaneous wrong passwords never
// run more checks at once than `max_concurrent_hashes`, and argon2 memory is allocated once
// per slot, not per login.
#[test]
fn concurrent_logins_never_exceed_the_hash_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = users(dir.path(), dir.path(), &[("alice", "secret")]);
    let auth = Arc::new(UsersFileAuthenticator::new(file));
    let s = start(auth.clone(), |c| {
        c.limits.max_concurrent_hashes = 2;
        c.limits.login_queue_timeout = Duration::from_secs(120);
    });
    const LOGINS: u64 = 12;
    let addr = s.addr;
    let threads: Vec<_> = (0..LOGINS)
        .map(|i| {
            std::thread::spawn(move || {
                let mut r = Raw::connect(addr);
                let user = if i % 2 == 0 { "alice" } else { "nobody" };
                assert_eq!(r.code(&format!("USER {user}")), 331);
                r.cmd("PASS wrong").1
            })
        })
        .collect();
    let replies: BTreeSet<String> = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .collect();
    assert_eq!(
        replies,
        BTreeSet::from(["530 Login incorrect.\r\n".to_owned()])
    );
    let stats = auth.hash_stats();
    assert_eq!(stats.checks, LOGINS);
    assert!(stats.peak_concurrent <= 2, "{stats:?}");
    assert!(stats.memory_blocks <= 2, "{stats:?}");
}

// Guards item "a real account named ftp never silently gets the anonymous root": with
// anonymous login off, such an account logs in to its own home with its password; with it
// on, USER ftp is the anonymous login (anonymous root, read-only) whatever the password,
// and never the account's home. `ferroftp user add ftp` is refused (see users_file tests).
#[test]
fn an_account_named_ftp_is_real_only_when_anonymous_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("home");
    let anon = tempfile::tempdir().expect("anonymous root");
    std::fs::write(home.path().join("mine.txt"), b"m").expect("write");
    std::fs::write(anon.path().join("public.txt"), b"p").expect("write");
    let file = users(dir.path(), home.path(), &[("ftp", "real-pw")]);
    let auth: Arc<dyn Authenticator> = Arc::new(UsersFileAuthenticator::new(file));
    assert!(auth.has_account("FTP"));

    let names = |addr: SocketAddr, password: &str| -> Vec<String> {
        let mut ftp = suppaftp::FtpStream::connect(addr).expect("connect");
        ftp.login("ftp", password).expect("login");
        ftp.nlst(None).expect("NLST")
    };

    let off = start(auth.clone(), |_| {});
    assert_eq!(names(off.addr, "real-pw"), ["mine.txt"]);
    let mut r = Raw::connect(off.addr);
    assert_eq!(r.code("USER ftp"), 331);
    assert_eq!(r.code("PASS guest@example.com"), 530);
    drop(off);

    let on = start(auth, |c| {
        c.anonymous = Some(AnonymousConfig {
            root: anon.path().to_owned(),
            writable: false,
        });
    });
    // The account's password buys nothing more than any password: the anonymous root.
    assert_eq!(names(on.addr, "real-pw"), ["public.txt"]);
    assert_eq!(names(on.addr, "guest@example.com"), ["public.txt"]);
}
