//! What every client of a run shares: where the server is, accounts, seeds, the stop signal.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::honest::Seed;
use crate::stats::Honest;

/// Third octet of the 127.0.x.y source addresses of each kind of client. Honest clients use
/// 127.0.1.1 upwards; each hostile kind has its own block, so a ban or a per-address limit
/// on one kind never touches the others.
pub mod block {
    /// Honest sessions (spilling into the next blocks when there are many).
    pub const HONEST: u8 = 1;
    /// Silent connections.
    pub const SILENT: u8 = 20;
    /// Password guessers.
    pub const GUESSERS: u8 = 21;
    /// PASV hoarders.
    pub const HOARDERS: u8 = 22;
    /// Slow readers.
    pub const SLOW: u8 = 23;
    /// Stalled data connections.
    pub const STALLERS: u8 = 24;
    /// Pipeliners.
    pub const PIPELINERS: u8 = 25;
    /// Pathological patterns.
    pub const PATTERNS: u8 = 26;
}

/// State shared by all clients of one run.
pub struct Ctx {
    /// The server's control address.
    pub target: SocketAddr,
    /// Honest login names.
    pub users: Vec<String>,
    /// Password of the honest users.
    pub password: String,
    /// Account the password guessers attack.
    pub victim: String,
    /// Seeded files; the last `large_seeds` are the large ones.
    pub seeds: Vec<Seed>,
    /// How many of the seeds are large.
    pub large_seeds: usize,
    /// The server's passive port range, when known.
    pub passive: Option<(u16, u16)>,
    /// Cancelled when the load time is over (or the RSS guard trips).
    pub stop: CancellationToken,
    /// Honest clients' counters.
    pub honest: Honest,
    /// Longest wait for one command or one transfer.
    pub op_timeout: Duration,
    /// Mean pause between two honest iterations.
    pub think: Duration,
    /// Honest sessions per source address.
    pub per_address: usize,
    /// Set when the server's RSS passed the guard (and a spawned server was killed).
    pub tripped: Arc<AtomicBool>,
}

impl Ctx {
    /// Source address of honest session `id`.
    pub fn honest_source(&self, id: usize) -> Option<IpAddr> {
        let n = id / self.per_address.max(1);
        // 250 addresses per /24 block; blocks 1..=19 leave room for 4,750 addresses.
        let b = block::HONEST as usize + n / 250;
        self.source(b.min(19) as u8, n % 250)
    }

    /// Source address number `i` (0-based) of block `b`; `None` (any) over IPv6, where only
    /// ::1 exists.
    pub fn source(&self, b: u8, i: usize) -> Option<IpAddr> {
        if !self.target.is_ipv4() {
            return None;
        }
        let last = (i % 250) as u8 + 1;
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, b, last)))
    }

    /// Whether the RSS guard has stopped the run.
    pub fn guard_tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }

    /// Sleeps for `d`, or less when the run stops.
    pub async fn pause(&self, d: Duration) {
        tokio::select! {
            _ = self.stop.cancelled() => {}
            _ = tokio::time::sleep(d) => {}
        }
    }
}
