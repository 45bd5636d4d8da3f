//! `ferroftp-load`: holds many honest FTP sessions against a ferroftp server on loopback while
//! hostile clients (slow readers, stalled transfers, password guessers, PASV hoarders, a
//! passive-port sprayer, silent connections, pipeliners and pathological patterns) attack it,
//! then prints what the honest clients saw, what each attack achieved and the server's memory.
//!
//! It only ever talks to 127.0.0.0/8 or ::1 and stops by itself after `--duration` seconds.
//! Exit status: 0 when the run completed (whatever the numbers), 1 when `--check` finds a
//! target missed, 2 when the harness itself failed.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod ctx;
mod ftp;
mod honest;
mod hostile;
mod server;
mod stats;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::stats::{Hostile, Rss, Summary};

/// Full-size counts of each hostile kind, used as is at 2,000 honest sessions and scaled down
/// with fewer (never below the minimum), so a smoke run stays cheap.
const HOSTILE_DEFAULTS: [(&str, usize, usize); 7] = [
    ("slow-readers", 20, 2),
    ("stallers", 20, 2),
    ("guessers", 150, 3),
    ("hoarders", 50, 5),
    ("silent", 1000, 10),
    ("pipeliners", 20, 2),
    ("patterns", 2, 1),
];

/// Holds honest FTP sessions against a ferroftp server under hostile load, on loopback only.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// The `ferroftp` binary: spawn `ferroftp serve` on 127.0.0.1 port 0 with a temporary data
    /// directory and users file.
    #[arg(long, value_name = "PATH", conflicts_with = "target")]
    server_bin: Option<PathBuf>,

    /// Control address of an already running server (127.0.0.0/8 or ::1 only).
    #[arg(long, value_name = "HOST:PORT", requires_all = ["user", "password"])]
    target: Option<String>,

    /// Login name for `--target` (its home must be writable: the harness uploads seed files).
    #[arg(long, requires = "target")]
    user: Option<String>,

    /// Password for `--target`.
    #[arg(long, requires = "target")]
    password: Option<String>,

    /// Process id of the `--target` server, to watch its memory.
    #[arg(long, requires = "target")]
    pid: Option<u32>,

    /// Account the password guessers attack with `--target` (default: `--user`).
    #[arg(long, requires = "target")]
    guess_user: Option<String>,

    /// Passive port range FIRST-LAST: given to a spawned server (default: a free range of one
    /// port per two honest sessions, at least 101 — the size of the server's own default
    /// 50000-50100 — as an administrator sizes it for the load); with `--target`, the range
    /// the sprayer attacks (no sprayer without it).
    #[arg(long, value_name = "FIRST-LAST", value_parser = parse_range)]
    passive_ports: Option<(u16, u16)>,

    /// Honest sessions held at once.
    #[arg(long, default_value_t = 2000)]
    sessions: usize,

    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    duration: u64,

    /// Seconds over which honest sessions start (default: half the duration, at most 30), so
    /// logins arrive at a steady rate rather than all in the first instant.
    #[arg(long)]
    ramp: Option<f64>,

    /// Mean pause between two honest iterations, in milliseconds (each pause is 0.5x-1.5x).
    #[arg(long, default_value_t = 5000)]
    think_ms: u64,

    /// Longest wait for one honest command or transfer, in seconds.
    #[arg(long, default_value_t = 30)]
    op_timeout: u64,

    /// Seconds honest sessions get to finish their current step after the load time.
    #[arg(long)]
    drain: Option<u64>,

    /// Seconds to wait after the load before reading the final RSS (default: 5, at most the
    /// duration).
    #[arg(long)]
    settle: Option<u64>,

    /// Honest sessions per source address (127.0.1.1, 127.0.1.2, ...); keep it under the
    /// server's per-address limit.
    #[arg(long, default_value_t = 40)]
    per_address: usize,

    /// Honest accounts created for a spawned server (default: one per 40 sessions, 1 to 50,
    /// so that no account passes the server's default 50 sessions per user).
    #[arg(long)]
    honest_users: Option<usize>,

    /// `--max-connections` of a spawned server (default: every client of the run fits, plus
    /// 10%).
    #[arg(long)]
    max_connections: Option<usize>,

    /// `--max-connections-per-ip` of a spawned server (default: the server's own).
    #[arg(long)]
    max_connections_per_ip: Option<usize>,

    /// `--log` level of a spawned server (its log goes to a temporary file).
    #[arg(long, default_value = "info")]
    server_log: String,

    /// File for the spawned server's log (default: a temporary file removed at the end).
    #[arg(long, value_name = "PATH")]
    server_log_file: Option<PathBuf>,

    /// Extra argument for a spawned `ferroftp serve` (repeatable), e.g.
    /// `--server-arg=--login-timeout --server-arg=20`.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    server_arg: Vec<String>,

    /// Stop the load early when the server's RSS passes this many MiB (protects the machine).
    #[arg(long, default_value_t = 6000)]
    rss_guard_mb: u64,

    /// Run no hostile clients at all.
    #[arg(long)]
    no_hostile: bool,

    /// Hostile kinds to leave out (repeatable or comma-separated): slow-readers, stallers,
    /// guessers, hoarders, sprayer, silent, pipeliners, patterns.
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(hostile::KINDS))]
    without: Vec<String>,

    /// Slow readers (4 bytes/s on RETR or LIST).
    #[arg(long)]
    slow_readers: Option<usize>,

    /// Stalled data connections (half RETR never read, half STOR never sent).
    #[arg(long)]
    stallers: Option<usize>,

    /// Password-guessing connections, from three addresses.
    #[arg(long)]
    guessers: Option<usize>,

    /// Sessions that PASV and never connect.
    #[arg(long)]
    hoarders: Option<usize>,

    /// Silent connections that never log in, from twenty addresses.
    #[arg(long)]
    silent: Option<usize>,

    /// Sessions that pipeline commands and never read replies.
    #[arg(long)]
    pipeliners: Option<usize>,

    /// Sessions sending pathological NLST patterns.
    #[arg(long)]
    patterns: Option<usize>,

    /// Print the summary as JSON on stdout (the table then goes to stderr).
    #[arg(long)]
    json: bool,

    /// Exit 1 when a target is missed: failed honest transfers or hash mismatches above 0,
    /// p99 NOOP at 100 ms or more, peak RSS at 500 MB or more.
    #[arg(long)]
    check: bool,
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| "expected FIRST-LAST".to_owned())?;
    let a: u16 = a.trim().parse().map_err(|_| "bad first port".to_owned())?;
    let b: u16 = b.trim().parse().map_err(|_| "bad last port".to_owned())?;
    if a == 0 || b < a {
        return Err("expected 1 <= FIRST <= LAST".to_owned());
    }
    Ok((a, b))
}

impl Args {
    /// How many clients of hostile kind `kind` to run (0 when disabled).
    fn hostile_count(&self, kind: &str) -> usize {
        if self.no_hostile || self.without.iter().any(|w| w == kind) {
            return 0;
        }
        let given = match kind {
            "slow-readers" => self.slow_readers,
            "stallers" => self.stallers,
            "guessers" => self.guessers,
            "hoarders" => self.hoarders,
            "silent" => self.silent,
            "pipeliners" => self.pipeliners,
            "patterns" => self.patterns,
            _ => None,
        };
        given.unwrap_or_else(|| {
            let (_, full, min) = HOSTILE_DEFAULTS
                .iter()
                .copied()
                .find(|(k, _, _)| *k == kind)
                .unwrap_or((kind, 0, 0));
            (full * self.sessions / 2000).max(min)
        })
    }

    fn sprayer(&self) -> bool {
        !self.no_hostile && !self.without.iter().any(|w| w == "sprayer")
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferroftp-load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferroftp-load: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Resolves `--target` and refuses anything that is not loopback.
async fn loopback_target(target: &str) -> Result<SocketAddr> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(target)
        .await
        .with_context(|| format!("cannot resolve {target}"))?
        .collect();
    if addrs.is_empty() {
        bail!("{target} resolves to no address");
    }
    if let Some(bad) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        bail!(
            "refusing {target}: {bad} is not in 127.0.0.0/8 or ::1; this tool only loads loopback"
        );
    }
    Ok(addrs[0])
}

async fn run(args: Args) -> Result<ExitCode> {
    if args.sessions == 0 {
        bail!("--sessions must be at least 1");
    }
    let counts: BTreeMap<&str, usize> = HOSTILE_DEFAULTS
        .iter()
        .map(|(k, _, _)| (*k, args.hostile_count(k)))
        .collect();
    let hostile_conns: usize = counts.values().sum::<usize>() + if args.sprayer() { 60 } else { 0 };

    // Start the server before raising our own open-files limit, so it starts with the
    // limit this tool was started with, as it would from the same shell.
    let (spawned, target, users, password, victim, pid, passive) =
        match (&args.server_bin, &args.target) {
            (Some(bin), _) => {
                let max_connections = args
                    .max_connections
                    .unwrap_or((args.sessions + hostile_conns) * 11 / 10 + 10);
                let honest_users = args
                    .honest_users
                    .unwrap_or(args.sessions.div_ceil(40).clamp(1, 50));
                let s = server::spawn(server::SpawnOptions {
                    bin,
                    users: honest_users,
                    passive: args.passive_ports,
                    passive_len: (args.sessions / 2).clamp(101, 4000) as u16,
                    max_connections,
                    max_per_ip: args.max_connections_per_ip,
                    log_level: &args.server_log,
                    extra: &args.server_arg,
                    log: args.server_log_file.clone(),
                })
                .await?;
                let (addr, users, pw, victim, pid, passive) = (
                    s.addr,
                    s.users.clone(),
                    s.password.clone(),
                    s.victim.clone(),
                    Some(s.pid),
                    Some(s.passive),
                );
                (Some(s), addr, users, pw, victim, pid, passive)
            }
            (None, Some(t)) => {
                let addr = loopback_target(t).await?;
                let user = args.user.clone().context("--user is required")?;
                let pw = args.password.clone().context("--password is required")?;
                let victim = args.guess_user.clone().unwrap_or_else(|| user.clone());
                (
                    None,
                    addr,
                    vec![user],
                    pw,
                    victim,
                    args.pid,
                    args.passive_ports,
                )
            }
            (None, None) => bail!("give --server-bin PATH or --target HOST:PORT"),
        };
    if !target.ip().is_loopback() {
        bail!("refusing {target}: not loopback");
    }
    let nofile = rlimit::increase_nofile_limit(u64::MAX).context("raise RLIMIT_NOFILE")?;
    let needed = (args.sessions + hostile_conns) as u64 * 2 + 100;
    if nofile < needed {
        eprintln!(
            "ferroftp-load: warning: open-files limit {nofile} is below the ~{needed} this run may use"
        );
    }

    let tripped = Arc::new(AtomicBool::new(false));
    let mut ctx = Ctx {
        target,
        users,
        password,
        victim,
        seeds: Vec::new(),
        large_seeds: 3,
        passive,
        stop: CancellationToken::new(),
        honest: Default::default(),
        op_timeout: Duration::from_secs(args.op_timeout.max(1)),
        think: Duration::from_millis(args.think_ms),
        per_address: args.per_address.max(1),
        tripped: tripped.clone(),
    };
    eprintln!("ferroftp-load: seeding files on {target}");
    ctx.seeds = honest::seed(&ctx, 40, &[1 << 20, 2 << 20, 4 << 20], 60).await?;
    let ctx = Arc::new(ctx);

    // Memory watch, running until the final reading.
    let rss = Arc::new(Rss::default());
    let watch_done = CancellationToken::new();
    let guard_kib = args.rss_guard_mb.saturating_mul(1024);
    let watcher = pid.map(|pid| {
        tokio::spawn(server::watch_rss(
            pid,
            rss.clone(),
            guard_kib,
            spawned.is_some(),
            tripped.clone(),
            ctx.stop.clone(),
            watch_done.clone(),
        ))
    });

    eprintln!(
        "ferroftp-load: {} honest sessions for {} s; hostile: {}",
        args.sessions,
        args.duration,
        describe_hostile(&counts, args.sprayer())
    );
    let started = Instant::now();
    let duration = Duration::from_secs(args.duration);

    let mut hostile_tasks = JoinSet::new();
    let mut hostile_stats: Vec<Arc<Hostile>> = Vec::new();
    for (kind, n) in &counts {
        if *n == 0 {
            continue;
        }
        let st = Arc::new(Hostile::new(kind));
        hostile_stats.push(st.clone());
        let (c, n) = (ctx.clone(), *n);
        match *kind {
            "slow-readers" => hostile_tasks.spawn(hostile::slow_readers(c, n, st)),
            "stallers" => hostile_tasks.spawn(hostile::stallers(c, n, st)),
            "guessers" => hostile_tasks.spawn(hostile::guessers(c, n, st)),
            "hoarders" => hostile_tasks.spawn(hostile::hoarders(c, n, st)),
            "silent" => hostile_tasks.spawn(hostile::silent(c, n, st)),
            "pipeliners" => hostile_tasks.spawn(hostile::pipeliners(c, n, st)),
            _ => hostile_tasks.spawn(hostile::patterns(c, n, st)),
        };
    }
    if args.sprayer() {
        let st = Arc::new(Hostile::new("sprayer"));
        hostile_stats.push(st.clone());
        hostile_tasks.spawn(hostile::sprayer(ctx.clone(), st));
    }

    let ramp = Duration::from_secs_f64(
        args.ramp
            .unwrap_or((args.duration as f64 / 2.0).min(30.0))
            .clamp(0.0, args.duration as f64),
    );
    let mut sessions = JoinSet::new();
    // Sessions start spread over the ramp so they do not all log in in the same instant.
    for id in 0..args.sessions {
        let at = started + ramp.mul_f64(id as f64 / args.sessions as f64);
        tokio::select! {
            _ = tokio::time::sleep_until(at.into()) => {}
            _ = ctx.stop.cancelled() => break,
        }
        sessions.spawn(honest::session(ctx.clone(), id));
    }
    tokio::select! {
        _ = tokio::time::sleep_until((started + duration).into()) => {}
        _ = ctx.stop.cancelled() => {}
    }
    ctx.stop.cancel();
    let logins_in_flight = ctx.honest.logging_in.load(Ordering::Relaxed);
    let ran = started.elapsed();
    eprintln!("ferroftp-load: load time over, draining");

    while hostile_tasks.join_next().await.is_some() {}
    let drain = Duration::from_secs(args.drain.unwrap_or(args.duration.min(10)));
    let drained = tokio::time::timeout(drain, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    let mut unfinished = 0u64;
    if drained.is_err() {
        unfinished = sessions.len() as u64;
        sessions.abort_all();
        while sessions.join_next().await.is_some() {}
    }

    let settle = Duration::from_secs(args.settle.unwrap_or(args.duration.clamp(1, 5)));
    let mut notes = vec![format!("harness open-files limit raised to {nofile}")];
    if tripped.load(Ordering::Relaxed) {
        let what = if spawned.is_some() {
            "load stopped and server killed"
        } else {
            "load stopped"
        };
        notes.push(format!(
            "{what} early: server RSS passed the guard of {} MiB (--rss-guard-mb)",
            args.rss_guard_mb
        ));
    }
    let mut final_rss = None;
    if let Some(pid) = pid {
        eprintln!(
            "ferroftp-load: settling {} s before the final RSS",
            settle.as_secs()
        );
        tokio::time::sleep(settle).await;
        final_rss = server::read_rss_kib(pid);
        if final_rss.is_none() {
            notes.push("server process gone at the end of the run".to_owned());
        }
    }
    watch_done.cancel();
    if let Some(w) = watcher {
        let _ = w.await;
    }
    if let Some(s) = &spawned {
        let log = match &args.server_log_file {
            Some(_) => s.log.display().to_string(),
            None => "removed (keep it with --server-log-file)".to_owned(),
        };
        notes.push(format!(
            "spawned server: passive ports {}-{}, log {log}",
            s.passive.0, s.passive.1
        ));
    }

    let h = &ctx.honest;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let peak = load(&rss.peak_kib);
    let mut summary = Summary {
        target: target.to_string(),
        spawned_server: spawned.is_some(),
        sessions: args.sessions,
        duration_s: args.duration,
        ran_s: ran.as_secs_f64(),
        sessions_held: load(&h.peak_logged_in),
        logins: load(&h.logins),
        failed_logins: load(&h.failed_logins),
        logins_in_flight_at_stop: logins_in_flight,
        transfers: load(&h.transfers),
        failed_transfers: load(&h.failed_transfers),
        hash_mismatches: load(&h.mismatches),
        failed_commands: load(&h.failed_commands),
        session_drops: load(&h.drops),
        unfinished_at_stop: unfinished,
        errors_after_guard: load(&h.after_guard),
        honest_bytes: load(&h.bytes),
        login_latency: h.login_latency.summary(),
        noop_latency: h.noop_latency.summary(),
        peak_rss_mib: (pid.is_some() && peak > 0).then(|| peak as f64 / 1024.0),
        final_rss_mib: final_rss.map(|k| k as f64 / 1024.0),
        failure_reasons: h.reasons.top(8),
        hostile_clients: counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| ((*k).to_owned(), *n))
            .chain(args.sprayer().then(|| ("sprayer".to_owned(), 1)))
            .collect(),
        hostile: hostile_stats
            .iter()
            .map(|s| (s.name.to_owned(), s.snapshot()))
            .collect(),
        notes,
        check_failures: None,
    };
    if args.check {
        summary.check_failures = Some(summary.check());
    }
    if args.json {
        eprint!("{}", summary.table());
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.table());
    }
    // Ends the spawned server before its temporary directory goes.
    if let Some(mut s) = spawned {
        let _ = s.child.kill().await;
    }
    match &summary.check_failures {
        Some(missed) if !missed.is_empty() => Ok(ExitCode::from(1)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn describe_hostile(counts: &BTreeMap<&str, usize>, sprayer: bool) -> String {
    let mut parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    if sprayer {
        parts.push("1 sprayer".to_owned());
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}
