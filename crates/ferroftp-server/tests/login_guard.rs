//! Failed logins under paused time: the growing delay per address, bans and their window,
//! the per-connection cap, the login queue deadline, and IPv6 counted per prefix. Whole
//! sessions run over `tokio::io::duplex` with any peer address we like, and the clock jumps
//! straight to each timer, so the time a reply arrives is exact.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::duplex::{assert_took, Client, Harness};
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::Secret;
use ferroftp_server::{Account, AuthError, Authenticator, LoginLimits, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

const DELAY: Duration = Duration::from_secs(2);
const BANNED: &str = "421 Too many failed logins from your address: try again later.\r\n";
const INCORRECT: &str = "530 Login incorrect.\r\n";

/// The base of every test's config: the delay above, and no cap or ban.
fn base(config: &mut ServerConfig) {
    config.login_failure_delay = DELAY;
    config.limits = LoginLimits {
        login_failure_delay_max: Duration::from_secs(60),
        // Each test turns on what it is about.
        max_login_failures: 0,
        ban_after_failures: 0,
        ..LoginLimits::default()
    };
}

/// A server fed with in-memory connections from any address: [`base`] changed by `adjust`.
async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Harness {
    Harness::start(|c| {
        base(c);
        adjust(c);
    })
    .await
}

/// Like [`start`], with users from `auth`; `home` is kept alive.
async fn start_with(
    auth: Arc<dyn Authenticator>,
    home: tempfile::TempDir,
    adjust: impl FnOnce(&mut ServerConfig),
) -> Harness {
    Harness::start_with(auth, home, |c| {
        base(c);
        adjust(c);
    })
    .await
}

trait Login {
    /// USER alice, then PASS `password`: the PASS reply and how long it took.
    async fn login(&mut self, password: &str) -> (String, Duration);
}

impl Login for Client {
    async fn login(&mut self, password: &str) -> (String, Duration) {
        assert!(self.cmd("USER alice").await.starts_with("331 "));
        let start = Instant::now();
        let reply = self.cmd(&format!("PASS {password}")).await;
        (reply, start.elapsed())
    }
}

// Guards the growing delay: without it every failure costs the same base delay.
#[tokio::test(start_paused = true)]
async fn the_delay_doubles_per_address_up_to_the_cap_and_success_is_never_slowed() {
    let h = start(|c| c.limits.login_failure_delay_max = Duration::from_secs(5)).await;
    // Failures counted per address, across connections.
    let mut a = h.greeted("192.0.2.1:1000").await;
    let mut expected = Vec::new();
    let mut took = Vec::new();
    for want in [2, 4, 5, 5] {
        let (reply, t) = a.login("wrong").await;
        assert_eq!(reply, INCORRECT);
        took.push(t);
        expected.push(Duration::from_secs(want));
        // A fresh connection from the same address keeps the count.
        a = h.greeted("192.0.2.1:1001").await;
    }
    for (t, e) in took.into_iter().zip(expected) {
        assert_took(t, e);
    }
    // Another address starts from the base delay.
    let mut b = h.greeted("192.0.2.2:1000").await;
    let (reply, t) = b.login("wrong").await;
    assert_eq!(reply, INCORRECT);
    assert_took(t, DELAY);
    // A right password after all those failures is answered at once.
    let (reply, t) = a.login("right").await;
    assert_eq!(reply, "230 Login successful.\r\n");
    assert_eq!(t, Duration::ZERO);
}

// Guards that the delay holds nothing shared: while one client sits in a long delay, another
// client's login and commands are answered at once.
#[tokio::test(start_paused = true)]
async fn a_delayed_failure_does_not_hold_up_other_clients() {
    let h = start(|c| c.login_failure_delay = Duration::from_secs(30)).await;
    let mut slow = h.greeted("192.0.2.1:1000").await;
    assert!(slow.cmd("USER alice").await.starts_with("331 "));
    slow.write.write_all(b"PASS wrong\r\n").await.expect("send");
    let start = Instant::now();
    let mut other = h.greeted("192.0.2.9:1000").await;
    let (reply, _) = other.login("right").await;
    assert_eq!(reply, "230 Login successful.\r\n");
    assert_eq!(other.cmd("NOOP").await, "200 NOOP ok.\r\n");
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(slow.reply().await.as_deref(), Some(INCORRECT));
    assert_took(start.elapsed(), Duration::from_secs(30));
}

// Guards the ban: N failures within the window get the address `421` at connect until the
// ban ends; other addresses are unaffected.
#[tokio::test(start_paused = true)]
async fn n_failures_in_the_window_ban_the_address_for_the_duration() {
    let h = start(|c| {
        c.login_failure_delay = Duration::ZERO;
        c.limits.ban_after_failures = 3;
        c.limits.ban_window = Duration::from_secs(60);
        c.limits.ban_duration = Duration::from_secs(300);
    })
    .await;
    let mut a = h.greeted("192.0.2.1:1000").await;
    let mut other_conn = h.greeted("192.0.2.1:1001").await;
    assert_eq!(a.login("wrong").await.0, INCORRECT);
    assert_eq!(a.login("wrong").await.0, INCORRECT);
    // The failure that reaches the limit is answered with the ban, and the session ends.
    assert_eq!(a.login("wrong").await.0, BANNED);
    assert_eq!(a.reply().await, None);
    let banned_at = Instant::now();

    // A connection opened before the ban cannot log in any more either.
    assert!(other_conn.cmd("USER alice").await.starts_with("331 "));
    assert_eq!(other_conn.cmd("PASS right").await, BANNED);
    assert_eq!(other_conn.reply().await, None);

    // New connections get 421 at connect, and nothing else.
    let (mut c, first) = h.connect_from("192.0.2.1:1002").await;
    assert_eq!(first, BANNED);
    assert_eq!(c.reply().await, None);
    // Another address is served as usual.
    let mut b = h.greeted("192.0.2.2:1000").await;
    assert_eq!(b.login("right").await.0, "230 Login successful.\r\n");

    // The ban ends after its duration.
    tokio::time::sleep_until(banned_at + Duration::from_secs(299)).await;
    assert_eq!(h.connect_from("192.0.2.1:1003").await.1, BANNED);
    tokio::time::sleep_until(banned_at + Duration::from_secs(300)).await;
    let mut a = h.greeted("192.0.2.1:1004").await;
    assert_eq!(a.login("right").await.0, "230 Login successful.\r\n");
}

// Guards the window: failures spread wider than the window never add up to a ban.
#[tokio::test(start_paused = true)]
async fn failures_older_than_the_window_are_forgotten() {
    let h = start(|c| {
        c.login_failure_delay = Duration::ZERO;
        c.limits.ban_after_failures = 3;
        c.limits.ban_window = Duration::from_secs(60);
    })
    .await;
    let mut a = h.greeted("192.0.2.1:1000").await;
    for _ in 0..2 {
        assert_eq!(a.login("wrong").await.0, INCORRECT);
    }
    // Virtual time passing is the stimulus here.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let mut a = h.greeted("192.0.2.1:1001").await;
    for _ in 0..2 {
        assert_eq!(a.login("wrong").await.0, INCORRECT);
    }
    assert_eq!(a.login("right").await.0, "230 Login successful.\r\n");
}

// Guards the per-connection cap: the Nth failure on one connection is answered `421` and
// the connection closed, after the same delay as any failure.
#[tokio::test(start_paused = true)]
async fn the_nth_failure_on_a_connection_closes_it() {
    let h = start(|c| {
        c.limits.max_login_failures = 3;
        c.limits.login_failure_delay_max = DELAY;
    })
    .await;
    let mut a = h.greeted("192.0.2.1:1000").await;
    assert_eq!(a.login("wrong").await.0, INCORRECT);
    assert_eq!(a.login("wrong").await.0, INCORRECT);
    let (reply, t) = a.login("wrong").await;
    assert_eq!(
        reply,
        "421 Too many failed logins: closing control connection.\r\n"
    );
    assert_took(t, DELAY);
    assert_eq!(a.reply().await, None);
    // Not a ban: the address may connect again.
    let mut a = h.greeted("192.0.2.1:1001").await;
    assert_eq!(a.login("right").await.0, "230 Login successful.\r\n");
}

// Guards IPv6 per /64: a host hopping between addresses of its /64 is one address for the
// per-address limit and for bans; another /64 is another address. With prefix 128 each
// address counts alone.
#[tokio::test(start_paused = true)]
async fn ipv6_addresses_count_per_64_for_limits_and_bans() {
    let h = start(|c| {
        c.max_connections_per_ip = 1;
        c.login_failure_delay = Duration::ZERO;
        c.limits.ban_after_failures = 1;
    })
    .await;
    let _first = h.greeted("[2001:db8:0:1::1]:1000").await;
    assert_eq!(
        h.connect_from("[2001:db8:0:1:ffff::2]:1000").await.1,
        "421 Too many connections from your address: try again later.\r\n"
    );
    let mut other_net = h.greeted("[2001:db8:0:2::1]:1000").await;
    assert_eq!(other_net.login("wrong").await.0, BANNED);
    // The ban covers that whole /64, and only it.
    assert_eq!(
        h.connect_from("[2001:db8:0:2:abcd::9]:1000").await.1,
        BANNED
    );
    drop(_first);
    let h128 = start(|c| {
        c.max_connections_per_ip = 1;
        c.limits.ipv6_prefix_len = 128;
    })
    .await;
    let _a = h128.greeted("[2001:db8:0:1::1]:1000").await;
    let _b = h128.greeted("[2001:db8:0:1::2]:1000").await;
}

/// An authenticator whose checks wait until the test lets them finish: stands in for a
/// password check that takes long, so logins queue behind it.
#[derive(Debug)]
struct Gated {
    release: tokio::sync::Semaphore,
    home: std::path::PathBuf,
}

#[async_trait]
impl Authenticator for Gated {
    async fn authenticate(&self, _user: &str, _password: &Secret) -> Result<Account, AuthError> {
        let permit = self.release.acquire().await;
        drop(permit);
        Ok(Account {
            name: "alice".into(),
            home: self.home.clone(),
            permissions: Permissions::ALL,
        })
    }
}

// Guards the login queue deadline: with every check slot taken, a login waits at most the
// queue timeout, then gets `421` and is closed; the check in progress is unaffected.
#[tokio::test(start_paused = true)]
async fn a_login_that_waits_too_long_for_a_check_gets_421() {
    let home = tempfile::tempdir().expect("temp dir");
    let gated = Arc::new(Gated {
        release: tokio::sync::Semaphore::new(0),
        home: home.path().to_owned(),
    });
    let h = start_with(gated.clone(), home, |c| {
        c.limits.max_concurrent_hashes = 1;
        c.limits.login_queue_timeout = Duration::from_secs(10);
    })
    .await;
    let mut holder = h.greeted("192.0.2.1:1000").await;
    assert!(holder.cmd("USER alice").await.starts_with("331 "));
    holder.write.write_all(b"PASS x\r\n").await.expect("send");
    let mut waiter = h.greeted("192.0.2.2:1000").await;
    let (reply, t) = waiter.login("x").await;
    assert_eq!(
        reply,
        "421 Too many logins in progress: try again later.\r\n"
    );
    assert_took(t, Duration::from_secs(10));
    assert_eq!(waiter.reply().await, None);
    gated.release.add_permits(1);
    assert_eq!(
        holder.reply().await.as_deref(),
        Some("230 Login successful.\r\n")
    );
}

/// An authenticator that counts its checks: a check for the right password waits until the
/// test lets it finish (so others queue behind it), a wrong one fails at once.
#[derive(Debug)]
struct Counting {
    release: tokio::sync::Semaphore,
    checks: std::sync::atomic::AtomicUsize,
    home: std::path::PathBuf,
}

#[async_trait]
impl Authenticator for Counting {
    async fn authenticate(&self, _user: &str, password: &Secret) -> Result<Account, AuthError> {
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if password.expose() != "right" {
            return Err(AuthError::Invalid);
        }
        drop(self.release.acquire().await);
        Ok(Account {
            name: "alice".into(),
            home: self.home.clone(),
            permissions: Permissions::ALL,
        })
    }
}

// Guards the second ban check: guesses that queued for a password check before their
// address was banned must not cost a check (an argon2 hash) once their turn comes.
#[tokio::test(start_paused = true)]
async fn guesses_queued_before_a_ban_cost_no_check() {
    let home = tempfile::tempdir().expect("temp dir");
    let auth = Arc::new(Counting {
        release: tokio::sync::Semaphore::new(0),
        checks: std::sync::atomic::AtomicUsize::new(0),
        home: home.path().to_owned(),
    });
    let h = start_with(auth.clone(), home, |c| {
        c.limits.max_concurrent_hashes = 1;
        c.limits.login_queue_timeout = Duration::from_secs(60);
        c.limits.ban_after_failures = 2;
    })
    .await;
    // Someone else's slow check holds the only permit while the guesses queue.
    let mut holder = h.greeted("192.0.2.9:1000").await;
    assert!(holder.cmd("USER alice").await.starts_with("331 "));
    holder
        .write
        .write_all(b"PASS right\r\n")
        .await
        .expect("send");
    let mut guessers = Vec::new();
    for port in 0..5u16 {
        let mut g = h.greeted(&format!("192.0.2.1:{}", 2000 + port)).await;
        assert!(g.cmd("USER alice").await.starts_with("331 "));
        g.write.write_all(b"PASS wrong\r\n").await.expect("send");
        guessers.push(g);
    }
    // Time is paused: this returns once every task is idle, i.e. every PASS waits in the
    // queue, before the holder's check ends.
    tokio::time::sleep(Duration::from_millis(10)).await;
    auth.release.add_permits(1);
    assert_eq!(
        holder.reply().await.as_deref(),
        Some("230 Login successful.\r\n")
    );
    let mut replies = Vec::new();
    for g in &mut guessers {
        replies.push(g.reply().await.expect("a reply"));
    }
    // The first guess fails, the second gets the address banned, the rest are refused
    // without a check.
    assert_eq!(replies[0], INCORRECT);
    assert_eq!(replies[1], BANNED);
    for r in &replies[2..] {
        assert_eq!(r, BANNED);
    }
    assert_eq!(auth.checks.load(std::sync::atomic::Ordering::SeqCst), 3);
}
