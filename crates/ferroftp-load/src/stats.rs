//! Counters shared by all clients, and the final summary (table and JSON).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are kept in microseconds, up to an hour.
fn new_histogram() -> Histogram<u64> {
    // Bounds are constants known to be valid, so this cannot fail at run time.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// A latency histogram behind a lock (recording is rare next to network waits).
pub struct Latency(Mutex<Histogram<u64>>);

impl Default for Latency {
    fn default() -> Self {
        Latency(Mutex::new(new_histogram()))
    }
}

impl Latency {
    /// Records one latency.
    pub fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
        if let Ok(mut h) = self.0.lock() {
            h.saturating_record(us);
        }
    }

    /// (count, p50, p99, max) in milliseconds; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        let h = self.0.lock().ok()?;
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(LatencySummary {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        })
    }
}

/// Percentiles of one latency histogram.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: u64,
    /// Median, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// Largest sample, in milliseconds.
    pub max_ms: f64,
}

/// What the honest clients saw.
#[derive(Default)]
pub struct Honest {
    /// Sessions logged in right now.
    pub logged_in: AtomicU64,
    /// Most sessions logged in at once.
    pub peak_logged_in: AtomicU64,
    /// Successful logins (a session may log in again after losing its connection).
    pub logins: AtomicU64,
    /// Logins under way right now (connect to `230`).
    pub logging_in: AtomicU64,
    /// Logins that failed (refused, closed, timed out or a wrong reply).
    pub failed_logins: AtomicU64,
    /// Transfers (LIST, RETR, STOR) that ended with 226/250 and the expected bytes.
    pub transfers: AtomicU64,
    /// Transfers that failed for any reason.
    pub failed_transfers: AtomicU64,
    /// Downloads whose hash differed from what was seeded or uploaded.
    pub mismatches: AtomicU64,
    /// Other commands (PWD, NOOP, TYPE) that failed.
    pub failed_commands: AtomicU64,
    /// Control connections lost or dropped after an error while logged in.
    pub drops: AtomicU64,
    /// Errors seen after the RSS guard killed the server, left out of the failure counts.
    pub after_guard: AtomicU64,
    /// Bytes moved by honest transfers, both ways.
    pub bytes: AtomicU64,
    /// Login latency: connect to `230`.
    pub login_latency: Latency,
    /// NOOP round trip.
    pub noop_latency: Latency,
    /// Why things failed, with counts (first words of the error).
    pub reasons: Reasons,
}

impl Honest {
    /// Marks one more session as logged in and keeps the peak.
    pub fn enter(&self) {
        let now = self.logged_in.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_logged_in.fetch_max(now, Ordering::Relaxed);
    }

    /// Marks one session as no longer logged in.
    pub fn leave(&self) {
        self.logged_in.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts of failure reasons, for the report.
#[derive(Default)]
pub struct Reasons(Mutex<BTreeMap<String, u64>>);

impl Reasons {
    /// Counts one failure; the reason is cut to keep the table short.
    pub fn add(&self, what: &str, err: &anyhow::Error) {
        let text = format!("{what}: {err:#}");
        let short: String = text.chars().take(90).collect();
        if let Ok(mut m) = self.0.lock() {
            *m.entry(short).or_default() += 1;
        }
    }

    /// The reasons, most frequent first.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let Ok(m) = self.0.lock() else {
            return Vec::new();
        };
        let mut v: Vec<(String, u64)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Named counters of one hostile kind: what it tried and what it achieved.
pub struct Hostile {
    /// Kind name as shown in the table.
    pub name: &'static str,
    counters: Mutex<BTreeMap<String, u64>>,
}

impl Hostile {
    /// New, empty counters for `name`.
    pub fn new(name: &'static str) -> Self {
        Hostile {
            name,
            counters: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds `n` to counter `key`.
    pub fn add(&self, key: impl Into<String>, n: u64) {
        if let Ok(mut m) = self.counters.lock() {
            *m.entry(key.into()).or_default() += n;
        }
    }

    /// Adds one to counter `key`.
    pub fn bump(&self, key: impl Into<String>) {
        self.add(key, 1);
    }

    /// Keeps the largest value seen for `key`.
    pub fn max(&self, key: impl Into<String>, n: u64) {
        if let Ok(mut m) = self.counters.lock() {
            let e = m.entry(key.into()).or_default();
            *e = (*e).max(n);
        }
    }

    /// Moves gauge `key` by `delta` (a count of things held right now). Clients aborted at
    /// the stop never bring it back down, so after the run it tells what was still held then.
    pub fn gauge(&self, key: &str, delta: i64) {
        if let Ok(mut m) = self.counters.lock() {
            let e = m.entry(key.to_owned()).or_default();
            *e = e.saturating_add_signed(delta);
        }
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counters.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Peak and last resident set size of the server, in KiB.
#[derive(Default)]
pub struct Rss {
    /// Largest VmRSS seen.
    pub peak_kib: AtomicU64,
    /// Last VmRSS seen.
    pub last_kib: AtomicU64,
    /// Samples taken.
    pub samples: AtomicU64,
}

/// The machine-readable summary printed by `--json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Control address the load went to.
    pub target: String,
    /// Whether the harness spawned the server itself.
    pub spawned_server: bool,
    /// Honest sessions asked for.
    pub sessions: usize,
    /// Seconds of load asked for.
    pub duration_s: u64,
    /// Seconds the load really ran (shorter when stopped by the RSS guard).
    pub ran_s: f64,
    /// Most honest sessions logged in at once.
    pub sessions_held: u64,
    /// Successful honest logins.
    pub logins: u64,
    /// Failed honest logins.
    pub failed_logins: u64,
    /// Honest logins still waiting for an answer when the load time ended.
    pub logins_in_flight_at_stop: u64,
    /// Honest transfers done.
    pub transfers: u64,
    /// Honest transfers failed.
    pub failed_transfers: u64,
    /// Downloaded files whose hash was wrong.
    pub hash_mismatches: u64,
    /// Honest non-transfer commands failed.
    pub failed_commands: u64,
    /// Honest control connections lost.
    pub session_drops: u64,
    /// Honest sessions still busy when the drain time ran out.
    pub unfinished_at_stop: u64,
    /// Honest errors after the RSS guard killed the server (not counted as failures).
    pub errors_after_guard: u64,
    /// Honest bytes moved.
    pub honest_bytes: u64,
    /// Login latency percentiles.
    pub login_latency: Option<LatencySummary>,
    /// NOOP latency percentiles.
    pub noop_latency: Option<LatencySummary>,
    /// Peak server RSS in MiB (None when no PID is known).
    pub peak_rss_mib: Option<f64>,
    /// Server RSS after the load stopped and the settle time passed, in MiB.
    pub final_rss_mib: Option<f64>,
    /// Most frequent honest failure reasons.
    pub failure_reasons: Vec<(String, u64)>,
    /// Clients of each hostile kind started (the sprayer is one client).
    pub hostile_clients: BTreeMap<String, usize>,
    /// Counters of each hostile kind that ran.
    pub hostile: BTreeMap<String, BTreeMap<String, u64>>,
    /// Notes about the run (RSS guard tripped, server exited, ...).
    pub notes: Vec<String>,
    /// Result of `--check` when asked for: the list of targets missed.
    pub check_failures: Option<Vec<String>>,
}

impl Summary {
    /// Targets of the hardening issue that this run missed.
    pub fn check(&self) -> Vec<String> {
        let mut missed = Vec::new();
        if self.failed_transfers > 0 {
            missed.push(format!(
                "failed honest transfers: {}",
                self.failed_transfers
            ));
        }
        if self.hash_mismatches > 0 {
            missed.push(format!("hash mismatches: {}", self.hash_mismatches));
        }
        match &self.noop_latency {
            Some(l) if l.p99_ms >= 100.0 => {
                missed.push(format!("p99 NOOP {:.1} ms >= 100 ms", l.p99_ms))
            }
            Some(_) => {}
            None => missed.push("no NOOP completed".to_owned()),
        }
        if let Some(peak) = self.peak_rss_mib {
            if peak >= 500.0 {
                missed.push(format!("peak RSS {peak:.0} MiB >= 500 MiB"));
            }
        }
        missed
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = Vec::new();
        let mut row = |k: &str, v: String| rows.push((k.to_owned(), v));
        let lat = |l: &Option<LatencySummary>| match l {
            Some(l) => format!(
                "p50 {:.1} ms, p99 {:.1} ms (max {:.1} ms, n={})",
                l.p50_ms, l.p99_ms, l.max_ms, l.count
            ),
            None => "n/a".to_owned(),
        };
        let mib = |m: Option<f64>| match m {
            Some(m) => format!("{m:.1} MiB"),
            None if self.peak_rss_mib.is_some() => "n/a (server gone, see notes)".to_owned(),
            None => "n/a (no --pid)".to_owned(),
        };
        row("target", self.target.clone());
        row(
            "load",
            format!(
                "{} honest sessions for {} s (ran {:.1} s)",
                self.sessions, self.duration_s, self.ran_s
            ),
        );
        row(
            "sessions held",
            format!("{} (peak logged in at once)", self.sessions_held),
        );
        row(
            "logins",
            format!(
                "{} ok, {} failed, {} still waiting at the stop",
                self.logins, self.failed_logins, self.logins_in_flight_at_stop
            ),
        );
        row(
            "transfers done",
            format!(
                "{} ({:.1} MiB)",
                self.transfers,
                self.honest_bytes as f64 / 1048576.0
            ),
        );
        row("failed honest transfers", self.failed_transfers.to_string());
        row("hash mismatches", self.hash_mismatches.to_string());
        let mut other = format!(
            "{} commands failed, {} sessions dropped, {} unfinished at stop",
            self.failed_commands, self.session_drops, self.unfinished_at_stop
        );
        if self.errors_after_guard > 0 {
            other.push_str(&format!(
                ", {} errors after the RSS guard (not counted)",
                self.errors_after_guard
            ));
        }
        row("other honest failures", other);
        row("login latency", lat(&self.login_latency));
        row("NOOP latency", lat(&self.noop_latency));
        row("peak server RSS", mib(self.peak_rss_mib));
        row("final server RSS", mib(self.final_rss_mib));
        for (kind, counters) in &self.hostile {
            let text = if counters.is_empty() {
                "nothing recorded".to_owned()
            } else {
                counters
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let n = self.hostile_clients.get(kind).copied().unwrap_or(0);
            row(&format!("hostile: {kind} x{n}"), text);
        }
        for (reason, n) in &self.failure_reasons {
            row("honest failure reason", format!("{n} x {reason}"));
        }
        for note in &self.notes {
            row("note", note.clone());
        }
        if let Some(missed) = &self.check_failures {
            let v = if missed.is_empty() {
                "all targets met".to_owned()
            } else {
                missed.join("; ")
            };
            row("check", v);
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::from("ferroftp-load summary\n");
        out.push_str(&format!("{}\n", "-".repeat(width + 40)));
        for (k, v) in rows {
            out.push_str(&format!("{k:<width$} | {v}\n"));
        }
        out
    }
}
