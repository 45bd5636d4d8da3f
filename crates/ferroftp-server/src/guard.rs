//! Defences around logins: a bound on password checks running at once, failed-login
//! bookkeeping per client address (a growing delay, then a ban), and per-user session counts.
//!
//! Everything here is bookkeeping under short-lived locks; no lock is held across an
//! `.await`, so a client being slowed down or banned never holds up another.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::LoginLimits;

/// Most addresses whose failures are remembered at once. Past it, stale entries are dropped
/// first; if none is stale, a new address goes untracked rather than grow the map without
/// bound (an attacker holding that many networks could rotate through them anyway).
const MAX_TRACKED: usize = 65_536;

/// Failures kept per address when bans are off: enough for the delay to reach any cap.
const MAX_REMEMBERED_FAILURES: usize = 32;

/// The key connection limits and bans count a client under: its IPv4 address, or its IPv6
/// address cut to `v6_prefix` bits (one host usually holds a whole /64). IPv4-mapped IPv6
/// addresses count as the IPv4 address they carry.
pub fn address_key(ip: IpAddr, v6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u32::from(v6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// What one more failed login from an address leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// How long to pause before answering it.
    pub delay: Duration,
    /// Failed logins from the address within the window, this one included.
    pub recent: u32,
    /// Whether this failure got the address banned.
    pub banned: bool,
}

#[derive(Debug, Default)]
struct Record {
    /// When the failures within the window happened, oldest first.
    failures: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

impl Record {
    fn forget_before(&mut self, cutoff: Option<Instant>) {
        while self
            .failures
            .front()
            .is_some_and(|t| cutoff.is_some_and(|c| *t < c))
        {
            self.failures.pop_front();
        }
    }

    fn stale(&self, now: Instant) -> bool {
        self.failures.is_empty() && self.banned_until.is_none_or(|until| until <= now)
    }
}

/// Failed logins per address: the delay each one costs, and bans.
#[derive(Debug)]
pub struct LoginGuard {
    base_delay: Duration,
    max_delay: Duration,
    ban_after: u32,
    window: Duration,
    ban_duration: Duration,
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl LoginGuard {
    /// A guard pausing `base_delay` after a first failure and following `limits`.
    pub fn new(base_delay: Duration, limits: &LoginLimits) -> LoginGuard {
        LoginGuard {
            base_delay,
            max_delay: limits.login_failure_delay_max.max(base_delay),
            ban_after: limits.ban_after_failures,
            window: limits.ban_window,
            ban_duration: limits.ban_duration,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// How much longer `key` stays banned, if it is.
    pub fn banned(&self, key: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let until = records.get(&key)?.banned_until?;
        (until > now).then(|| until - now)
    }

    /// Records a failed login from `key`: the delay doubles with each failure within the
    /// window, from the base delay up to the cap, and enough of them ban the address.
    pub fn record_failure(&self, key: IpAddr) -> Failure {
        let now = Instant::now();
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if !records.contains_key(&key) && records.len() >= MAX_TRACKED {
            records.retain(|_, r| {
                r.forget_before(now.checked_sub(self.window));
                !r.stale(now)
            });
        }
        let mut untracked = Record::default();
        let record = if records.len() < MAX_TRACKED || records.contains_key(&key) {
            records.entry(key).or_default()
        } else {
            tracing::warn!(address = %key, "too many addresses with failed logins: not tracking this one");
            &mut untracked
        };
        record.forget_before(now.checked_sub(self.window));
        record.failures.push_back(now);
        if record.failures.len() > MAX_REMEMBERED_FAILURES.max(self.ban_after as usize) {
            record.failures.pop_front();
        }
        let recent = u32::try_from(record.failures.len()).unwrap_or(u32::MAX);
        let banned = self.ban_after > 0 && recent >= self.ban_after;
        if banned {
            record.banned_until = Some(now + self.ban_duration);
            // The ban outlasts the window's memory of these failures; start afresh after it.
            record.failures.clear();
        }
        Failure {
            delay: self.delay_after(recent),
            recent,
            banned,
        }
    }

    /// The pause after the `n`th failure within the window: base × 2^(n-1), capped.
    fn delay_after(&self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << doublings)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }
}

/// Runs password checks at most so many at a time; a check that cannot start within the
/// queue deadline is not run at all.
#[derive(Debug)]
pub struct HashGate {
    permits: Semaphore,
    wait: Duration,
    /// Permits handed out so far: lets tests (and operators' debugging) see that logins
    /// answered from the credential cache never queue here.
    taken: AtomicU64,
}

/// A password check that could not start before the queue deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl HashGate {
    /// A gate letting `max` checks run at once (at least one), each waiting at most `wait`.
    pub fn new(max: usize, wait: Duration) -> HashGate {
        HashGate {
            permits: Semaphore::new(max.max(1)),
            wait,
            taken: AtomicU64::new(0),
        }
    }

    /// How many checks have been given a permit since the server started.
    pub fn permits_taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
    }

    /// Runs `check` once a permit is free, holding it until `check` is done.
    pub async fn run<T>(&self, check: impl Future<Output = T>) -> Result<T, Busy> {
        let permit = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| Busy)?
            // The semaphore is never closed.
            .map_err(|_| Busy)?;
        self.taken.fetch_add(1, Ordering::Relaxed);
        let out = check.await;
        drop(permit);
        Ok(out)
    }
}

/// Logged-in sessions per user name.
#[derive(Debug)]
pub struct UserSessions {
    max: usize,
    counts: Mutex<HashMap<String, usize>>,
}

/// One logged-in session's place in its user's count, given back on drop.
#[derive(Debug)]
pub struct UserSlot {
    owner: Arc<UserSessions>,
    user: String,
}

impl UserSessions {
    /// At most `max` sessions per user; 0 means no limit.
    pub fn new(max: usize) -> UserSessions {
        UserSessions {
            max,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a place for a session of `user`, or `None` when the user is at the limit.
    pub fn claim(self: &Arc<Self>, user: &str) -> Option<UserSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(user.to_owned()).or_insert(0);
        if self.max != 0 && *n >= self.max {
            return None;
        }
        *n += 1;
        Some(UserSlot {
            owner: self.clone(),
            user: user.to_owned(),
        })
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_per_prefix_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(a, 64), address_key(b, 64));
        assert_ne!(address_key(a, 64), address_key(c, 64));
        assert_ne!(address_key(a, 128), address_key(b, 128));
        assert_eq!(address_key(a, 0), address_key(c, 0));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(
            address_key(mapped, 64),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn delay_doubles_up_to_the_cap_and_the_window_forgets() {
        let limits = LoginLimits {
            login_failure_delay_max: Duration::from_secs(5),
            ban_after_failures: 0,
            ban_window: Duration::from_secs(60),
            ..LoginLimits::default()
        };
        let g = LoginGuard::new(Duration::from_secs(1), &limits);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        let delays: Vec<u64> = (0..5)
            .map(|_| g.record_failure(ip).delay.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 5, 5]);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(g.record_failure(ip).delay, Duration::from_secs(1));
        assert_eq!(g.banned(ip), None);
    }

    #[tokio::test(start_paused = true)]
    async fn ban_after_n_failures_for_the_duration() {
        let limits = LoginLimits {
            ban_after_failures: 3,
            ban_window: Duration::from_secs(60),
            ban_duration: Duration::from_secs(300),
            ..LoginLimits::default()
        };
        let g = LoginGuard::new(Duration::ZERO, &limits);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        assert!(!g.record_failure(ip).banned);
        assert!(!g.record_failure(ip).banned);
        assert!(g.record_failure(ip).banned);
        assert_eq!(g.banned(ip), Some(Duration::from_secs(300)));
        assert_eq!(g.banned("192.0.2.2".parse().expect("ip")), None);
        tokio::time::advance(Duration::from_secs(300)).await;
        assert_eq!(g.banned(ip), None);
    }

    #[test]
    fn user_sessions_are_counted_and_given_back() {
        let s = Arc::new(UserSessions::new(2));
        let a = s.claim("alice");
        let b = s.claim("alice");
        assert!(a.is_some() && b.is_some());
        assert!(s.claim("alice").is_none());
        assert!(s.claim("bob").is_some());
        drop(a);
        assert!(s.claim("alice").is_some());
        let unlimited = Arc::new(UserSessions::new(0));
        let held: Vec<_> = (0..100).map(|_| unlimited.claim("x")).collect();
        assert!(held.iter().all(Option::is_some));
    }
}
