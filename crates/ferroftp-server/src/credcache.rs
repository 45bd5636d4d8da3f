//! A bounded cache of recently verified credentials, so that a user logging in again pays
//! the argon2 check once rather than on every login.
//!
//! After a successful argon2 verification the cache keeps, per user name, an HMAC-SHA256
//! under a random per-process key over (user name, the stored argon2 hash string, password)
//! and an expiry. It never holds the password, nor an unkeyed fast hash of it. A login hits
//! only when the MAC recomputed over the *current* stored hash string and the offered
//! password matches (compared in constant time) and the entry has not expired; so a changed
//! password (a new hash string) misses, and a removed user never gets this far.
//!
//! Only successes are ever inserted: a wrong password misses, pays the full argon2 check as
//! before, and leaves the entry of the right one in place.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use ring::hmac;
use tokio::time::Instant;

/// Default most entries (one per user name).
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Default time an entry stays valid after the argon2 check that made it.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);

/// One user's remembered credential.
struct Entry {
    /// HMAC over (name, stored hash string, password).
    tag: hmac::Tag,
    /// Set once, at verification; hits do not extend it, so the TTL bounds how long a
    /// verification is trusted however busy the user is.
    expires: Instant,
    /// The entry's place in the recency order.
    tick: u64,
}

/// The entries and their recency order, under one lock.
#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Recency order: the smallest tick is the least recently used entry.
    order: BTreeMap<u64, String>,
    next_tick: u64,
}

impl Inner {
    fn remove(&mut self, name: &str) {
        if let Some(old) = self.entries.remove(name) {
            self.order.remove(&old.tick);
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    fn tick(&mut self) -> u64 {
        self.next_tick = self.next_tick.wrapping_add(1);
        self.next_tick
    }
}

/// A bounded, expiring map from user name to a MAC of a verified password; see the module
/// documentation.
pub struct CredentialCache {
    key: hmac::Key,
    settings: Mutex<(usize, Duration)>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The MACs and the key stay out of logs.
        let (capacity, ttl) = self.settings();
        f.debug_struct("CredentialCache")
            .field("capacity", &capacity)
            .field("ttl", &ttl)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for CredentialCache {
    fn default() -> CredentialCache {
        CredentialCache::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

/// The MAC's input: each field prefixed with its length, so that no two different
/// (name, hash, password) triples give the same bytes.
fn message(name: &str, phc: &str, password: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(24 + name.len() + phc.len() + password.len());
    for field in [name, phc, password] {
        m.extend_from_slice(&(field.len() as u64).to_be_bytes());
        m.extend_from_slice(field.as_bytes());
    }
    m
}

impl CredentialCache {
    /// A cache of at most `capacity` users (0 turns it off), each trusted for `ttl` after
    /// their argon2 check. The MAC key is drawn fresh from the OS for each cache.
    pub fn new(capacity: usize, ttl: Duration) -> CredentialCache {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            // The OS random source failed: fall back to the rand crate's CSPRNG (itself
            // seeded from the OS) rather than refuse to start.
            let mut bytes = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            hmac::Key::new(hmac::HMAC_SHA256, &bytes)
        });
        CredentialCache {
            key,
            settings: Mutex::new((capacity, ttl)),
            inner: Mutex::default(),
        }
    }

    /// The capacity and TTL in force.
    pub fn settings(&self) -> (usize, Duration) {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the capacity and TTL, forgetting every entry.
    pub fn configure(&self, capacity: usize, ttl: Duration) {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = (capacity, ttl);
        self.clear();
    }

    /// Forgets every entry (users file reloaded).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many entries are held (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` was verified for `name` against the stored hash string `phc`
    /// within the TTL. A miss changes nothing but dropping an expired entry.
    pub fn hit(&self, name: &str, phc: &str, password: &str) -> bool {
        let msg = message(name, phc, password);
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get(name) else {
            return false;
        };
        if entry.expires <= now {
            inner.remove(name);
            return false;
        }
        // Constant-time comparison of the recomputed MAC with the stored one.
        if hmac::verify(&self.key, &msg, entry.tag.as_ref()).is_err() {
            return false;
        }
        let old = entry.tick;
        let tick = inner.tick();
        if let Some(e) = inner.entries.get_mut(name) {
            e.tick = tick;
        }
        // The name moves to its new place in the order: a hit allocates nothing.
        let owned = inner.order.remove(&old).unwrap_or_else(|| name.to_owned());
        inner.order.insert(tick, owned);
        true
    }

    /// Remembers that argon2 accepted `password` for `name` against `phc`. Call it only
    /// after a successful verification.
    pub fn insert(&self, name: &str, phc: &str, password: &str) {
        let (capacity, ttl) = self.settings();
        if capacity == 0 {
            return;
        }
        let tag = hmac::sign(&self.key, &message(name, phc, password));
        let now = Instant::now();
        let mut inner = self.lock();
        inner.remove(name);
        if inner.entries.len() >= capacity {
            // Expired entries go first, then the least recently used ones.
            let expired: Vec<String> = inner
                .entries
                .iter()
                .filter(|(_, e)| e.expires <= now)
                .map(|(n, _)| n.clone())
                .collect();
            for n in expired {
                inner.remove(&n);
            }
            while inner.entries.len() >= capacity {
                let Some((_, oldest)) = inner.order.pop_first() else {
                    break;
                };
                inner.entries.remove(&oldest);
            }
        }
        let tick = inner.tick();
        inner.order.insert(tick, name.to_owned());
        inner.entries.insert(
            name.to_owned(),
            Entry {
                tag,
                expires: now + ttl,
                tick,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaDE";
    const H2: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaDI";

    // Guards the hash-string binding: a password verified against one stored hash does not
    // hit once the user's hash changed (passwd), even with the same password, nor for
    // another password or another user.
    #[tokio::test(start_paused = true)]
    async fn a_hit_needs_the_same_name_hash_and_password() {
        let c = CredentialCache::default();
        c.insert("alice", H1, "pw");
        assert!(c.hit("alice", H1, "pw"));
        assert!(!c.hit("alice", H2, "pw"), "new hash string");
        assert!(!c.hit("alice", H1, "pw2"), "other password");
        assert!(!c.hit("alice", H1, ""), "empty password");
        assert!(!c.hit("bob", H1, "pw"), "other user");
        // Misses leave the right entry in place.
        assert!(c.hit("alice", H1, "pw"));
    }

    // Guards the field framing: shifting bytes between name, hash and password does not
    // give the same MAC.
    #[tokio::test(start_paused = true)]
    async fn fields_cannot_be_shifted() {
        let c = CredentialCache::default();
        c.insert("ab", "c", "d");
        assert!(!c.hit("ab", "", "cd"));
        assert!(!c.hit("ab", "cd", ""));
    }

    // Guards the TTL: an entry is trusted for the TTL after its verification, not a moment
    // longer, and hits do not extend it.
    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let c = CredentialCache::new(10, Duration::from_secs(600));
        c.insert("alice", H1, "pw");
        tokio::time::advance(Duration::from_secs(599)).await;
        assert!(c.hit("alice", H1, "pw"));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!c.hit("alice", H1, "pw"));
        assert!(c.is_empty(), "the expired entry is dropped");
    }

    // Guards the bound: never more entries than the capacity; the least recently used goes.
    #[tokio::test(start_paused = true)]
    async fn capacity_is_kept_by_evicting_the_least_recently_used() {
        let c = CredentialCache::new(3, DEFAULT_TTL);
        c.insert("a", H1, "pw");
        c.insert("b", H1, "pw");
        c.insert("c", H1, "pw");
        assert!(c.hit("a", H1, "pw"), "a is now the most recent");
        c.insert("d", H1, "pw");
        assert_eq!(c.len(), 3);
        assert!(!c.hit("b", H1, "pw"), "b was the least recently used");
        assert!(c.hit("a", H1, "pw") && c.hit("c", H1, "pw") && c.hit("d", H1, "pw"));
        for i in 0..100 {
            c.insert(&format!("u{i}"), H1, "pw");
            assert!(c.len() <= 3);
        }
        // Re-inserting a present user does not evict another.
        let c = CredentialCache::new(2, DEFAULT_TTL);
        c.insert("a", H1, "pw");
        c.insert("b", H1, "pw");
        c.insert("a", H2, "pw");
        assert!(c.hit("a", H2, "pw") && c.hit("b", H1, "pw"));
    }

    // Guards the off switch and `configure`: capacity 0 keeps nothing; reconfiguring forgets.
    #[tokio::test(start_paused = true)]
    async fn zero_capacity_is_off_and_configure_clears() {
        let c = CredentialCache::new(0, DEFAULT_TTL);
        c.insert("alice", H1, "pw");
        assert!(!c.hit("alice", H1, "pw"));
        c.configure(5, DEFAULT_TTL);
        c.insert("alice", H1, "pw");
        assert!(c.hit("alice", H1, "pw"));
        c.configure(5, DEFAULT_TTL);
        assert!(!c.hit("alice", H1, "pw"));
    }

    // Guards against keeping the password: the key is per cache (per process), so the same
    // triple in another cache does not verify, and Debug shows no MAC.
    #[test]
    fn keys_are_per_cache_and_debug_shows_no_secret() {
        let a = CredentialCache::default();
        let b = CredentialCache::default();
        let msg = message("alice", H1, "pw");
        let tag = hmac::sign(&a.key, &msg);
        assert!(hmac::verify(&b.key, &msg, tag.as_ref()).is_err());
        let shown = format!("{a:?}");
        assert!(!shown.contains("pw") && !shown.contains("tag"), "{shown}");
    }
}
