//! The workloads. Each runs against one server and returns its figures as a JSON object whose
//! `value` is the headline number (MB/s, logins/s, ms, KiB ...); the rest are details.

use std::fs::File;
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use xxhash_rust::xxh3::Xxh3;

use crate::ftp::{self, Ctl, Target, BUF};
use crate::procmem;

/// MB (10^6 bytes) per second.
fn mb_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median of a non-empty list (mean of the middle two for an even count).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The `p`-th percentile (0-100) of sorted data, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Deterministic bytes that are not all alike (so no layer can compress or dedupe them):
/// a xorshift stream from `seed`.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Size and xxh3 of a local file: what a download of the same file must match.
pub fn local_digest(path: &str) -> Result<(u64, u64)> {
    let mut f = File::open(path).with_context(|| format!("open {path}"))?;
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; BUF];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, h.digest()))
}

/// RETR of one file over one session. `copy` copies every chunk into a second buffer (the
/// cost of a client that does something with the data); otherwise the data is dropped.
pub fn retr(t: &Target, path: &str, size: u64, copy: bool) -> Result<Value> {
    let mut ctl = Ctl::login(t)?;
    let mut buf = vec![0u8; BUF];
    let mut dst = vec![0u8; BUF];
    let start = Instant::now();
    let got = if copy {
        ctl.retr_with(path, &mut buf, |chunk| {
            dst[..chunk.len()].copy_from_slice(chunk);
            black_box(&dst);
        })?
    } else {
        ctl.retr_with(path, &mut buf, |chunk| {
            black_box(chunk);
        })?
    };
    let took = start.elapsed();
    ctl.quit();
    if got != size {
        bail!("RETR {path}: received {got} bytes, expected {size}");
    }
    Ok(json!({"value": mb_s(got, took), "unit": "MB/s", "bytes": got, "secs": took.as_secs_f64()}))
}

/// STOR of `size` bytes over one session, timed up to the 226; then SIZE must agree.
pub fn stor(t: &Target, path: &str, size: u64) -> Result<Value> {
    let mut ctl = Ctl::login(t)?;
    let data = pattern(BUF, 7);
    let start = Instant::now();
    ctl.stor_from(path, &data, size)?;
    let took = start.elapsed();
    let stored = ctl.size(path)?;
    ctl.quit();
    if stored != size {
        bail!("STOR {path}: server holds {stored} bytes, expected {size}");
    }
    Ok(
        json!({"value": mb_s(size, took), "unit": "MB/s", "bytes": size, "secs": took.as_secs_f64()}),
    )
}

/// `clients` sessions log in, then RETR `path` at once; each checks size and xxh3 against
/// the local copy at `verify`. The clock runs from the first client's start to the last
/// client's 226, both read by the clients themselves: a clock read by the coordinating
/// thread after the barrier could run late by however long 50 busy threads kept it off
/// the CPU (a forking server's downloads then came out at up to 11.7 GB/s on 2 cores).
pub fn retr_many(t: &Target, path: &str, verify: &str, clients: usize) -> Result<Value> {
    let (size, digest) = local_digest(verify)?;
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (t, path, barrier) = (t.clone(), path.to_owned(), barrier.clone());
        handles.push(thread::spawn(
            move || -> Result<(u64, u64, Instant, Instant)> {
                let login = Ctl::login(&t);
                // Always reach the barrier, or the other threads would wait forever.
                barrier.wait();
                let begin = Instant::now();
                let mut ctl = login?;
                let mut buf = vec![0u8; BUF];
                let mut h = Xxh3::new();
                let got = ctl.retr_with(&path, &mut buf, |chunk| h.update(chunk))?;
                let end = Instant::now();
                ctl.quit();
                Ok((got, h.digest(), begin, end))
            },
        ));
    }
    barrier.wait();
    let mut total = 0u64;
    let mut errors = Vec::new();
    let mut span: Option<(Instant, Instant)> = None;
    for h in handles {
        match h.join().map_err(|_| anyhow!("client thread panicked"))? {
            Ok((got, d, begin, end)) if got == size && d == digest => {
                total += got;
                span = Some(match span {
                    Some((b, e)) => (b.min(begin), e.max(end)),
                    None => (begin, end),
                });
            }
            Ok((got, ..)) => errors.push(format!(
                "received {got} bytes, content mismatch or wrong size (expected {size})"
            )),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    let took = span.map_or(Duration::ZERO, |(b, e)| e - b);
    if let Some(e) = errors.first() {
        bail!("{} of {clients} clients failed; first: {e}", errors.len());
    }
    Ok(
        json!({"value": mb_s(total, took), "unit": "MB/s", "clients": clients, "bytes": total, "secs": took.as_secs_f64()}),
    )
}

/// `workers` threads log in and out (connect, 220, USER, PASS, 230, QUIT, 221) for
/// `secs` seconds; logins per second and the latency of one login.
pub fn logins(t: &Target, workers: usize, secs: f64) -> Result<Value> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut handles = Vec::with_capacity(workers);
    for _ in 0..workers {
        let t = t.clone();
        handles.push(thread::spawn(move || -> Result<Vec<f64>> {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let begin = Instant::now();
                let mut ctl = Ctl::open(&t)?;
                ctl.log_in()?;
                ctl.cmd_expect("QUIT", 221)?;
                lat.push(ms(begin.elapsed()));
            }
            Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.join().map_err(|_| anyhow!("login thread panicked"))??);
    }
    let took = start.elapsed();
    all.sort_by(f64::total_cmp);
    Ok(json!({
        "value": all.len() as f64 / took.as_secs_f64(),
        "unit": "logins/s",
        "logins": all.len(),
        "p50_ms": percentile(&all, 50.0),
        "p99_ms": percentile(&all, 99.0),
    }))
}

/// LIST (or MLSD) of `path` `repeat` times over one session; median milliseconds from the
/// command to the 226. Each listing must hold at least `entries` lines. A server without
/// the command (500/502) yields a null value.
pub fn listing(t: &Target, verb: &str, path: &str, entries: usize, repeat: usize) -> Result<Value> {
    let mut ctl = Ctl::login(t)?;
    let mut buf = vec![0u8; BUF];
    let mut times = Vec::with_capacity(repeat);
    let mut lines = 0usize;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let mut data = match ctl.start_transfer(&format!("{verb} {path}"))? {
            Ok(d) => d,
            Err(r) if r.code == 500 || r.code == 502 || r.code == 504 => {
                ctl.quit();
                return Ok(json!({"value": null, "unit": "ms", "unsupported": r.text}));
            }
            Err(r) => bail!("{verb} {path}: {} {}", r.code, r.text),
        };
        lines = 0;
        ftp::read_all(&mut data, &mut buf, &mut |chunk: &[u8]| {
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        })?;
        drop(data);
        ctl.expect(226).with_context(|| format!("end of {verb}"))?;
        times.push(ms(start.elapsed()));
    }
    ctl.quit();
    if lines < entries {
        bail!("{verb} {path}: {lines} lines, expected at least {entries}");
    }
    Ok(json!({"value": median(&mut times), "unit": "ms", "lines": lines, "runs": times.len()}))
}

/// STOR of `files` files of `size` bytes over one session (EPSV per file, as clients do);
/// then NLST must name them all and a sample read back must match byte for byte.
pub fn stor_small(t: &Target, dir: &str, files: usize, size: usize) -> Result<Value> {
    let mut ctl = Ctl::login(t)?;
    let content = |i: usize| pattern(size, 1000 + i as u64);
    let start = Instant::now();
    for i in 0..files {
        ctl.stor_from(&format!("{dir}/f{i:05}"), &content(i), size as u64)?;
    }
    let took = start.elapsed();
    // NLST names: count those we wrote (servers differ on whether they prefix the directory).
    let mut names = Vec::new();
    let mut buf = vec![0u8; BUF];
    let mut data = ctl
        .start_transfer(&format!("NLST {dir}"))?
        .map_err(|r| anyhow!("NLST {dir}: {} {}", r.code, r.text))?;
    ftp::read_all(&mut data, &mut buf, &mut |c: &[u8]| {
        names.extend_from_slice(c)
    })?;
    drop(data);
    ctl.expect(226)?;
    let listed = String::from_utf8_lossy(&names)
        .lines()
        .filter(|l| l.rsplit('/').next().is_some_and(|n| n.starts_with('f')))
        .count();
    if listed != files {
        bail!("NLST {dir}: {listed} files listed, {files} stored");
    }
    let step = (files / 20).max(1);
    for i in (0..files).step_by(step).chain([files - 1]) {
        let mut got = Vec::with_capacity(size);
        ctl.retr_with(&format!("{dir}/f{i:05}"), &mut buf, |c| {
            got.extend_from_slice(c)
        })?;
        if got != content(i) {
            bail!("{dir}/f{i:05}: content read back differs from what was stored");
        }
    }
    ctl.quit();
    Ok(
        json!({"value": files as f64 / took.as_secs_f64(), "unit": "files/s", "files": files, "secs": took.as_secs_f64()}),
    )
}

/// Holds `sessions` logged-in idle sessions and measures the server's process tree (`pid`)
/// before and with them: PSS per session and total RSS.
pub fn idle(t: &Target, pid: u32, sessions: usize, openers: usize) -> Result<Value> {
    let before = procmem::measure(pid);
    if before.processes == 0 {
        bail!("no process {pid}");
    }
    let per = sessions.div_ceil(openers.max(1));
    let mut handles = Vec::new();
    for w in 0..openers.max(1) {
        let n = per.min(sessions.saturating_sub(w * per));
        let t = t.clone();
        handles.push(thread::spawn(move || -> Result<Vec<Ctl>> {
            let mut held = Vec::with_capacity(n);
            for _ in 0..n {
                held.push(Ctl::login(&t)?);
            }
            Ok(held)
        }));
    }
    let mut held = Vec::with_capacity(sessions);
    let mut first_error = None;
    for h in handles {
        match h.join().map_err(|_| anyhow!("opener thread panicked"))? {
            Ok(v) => held.extend(v),
            Err(e) => first_error = first_error.or(Some(format!("{e:#}"))),
        }
    }
    if let Some(e) = first_error {
        bail!(
            "held {} of {sessions} sessions; first failure: {e}",
            held.len()
        );
    }
    // Every session answered its TYPE I, so the server has set each one up; a NOOP round
    // makes sure none is still being handed over between processes or tasks.
    for ctl in &mut held {
        ctl.cmd_expect("NOOP", 200)?;
    }
    let with = procmem::measure(pid);
    drop(held);
    // Signed: a server whose allocator reuses memory it already held can come out near 0.
    let per_session = (with.pss_kib as f64 - before.pss_kib as f64) / sessions as f64;
    Ok(json!({
        "value": per_session,
        "unit": "KiB/session",
        "sessions": sessions,
        "pss_before_kib": before.pss_kib,
        "pss_with_kib": with.pss_kib,
        "rss_tree_kib": with.rss_kib,
        "root_rss_kib": with.root_rss_kib,
        "processes": with.processes,
    }))
}

/// Memory of a server's process tree now; `value` is the root's RSS in MB (its peak, VmHWM,
/// with `peak`).
pub fn mem(pid: u32, peak: bool) -> Result<Value> {
    let m = procmem::measure(pid);
    if m.processes == 0 {
        bail!("no process {pid}");
    }
    let kib = if peak { m.root_hwm_kib } else { m.root_rss_kib };
    Ok(json!({
        "value": kib as f64 * 1024.0 / 1e6,
        "unit": "MB",
        "root_rss_kib": m.root_rss_kib,
        "root_hwm_kib": m.root_hwm_kib,
        "pss_tree_kib": m.pss_kib,
        "rss_tree_kib": m.rss_kib,
        "processes": m.processes,
    }))
}

/// Spawns `cmd` (which must listen on the target's address) `repeat` times, connecting
/// until a 220 arrives; median milliseconds from spawn to the 220.
pub fn startup(t: &Target, cmd: &[String], repeat: usize) -> Result<Value> {
    let (prog, args) = cmd
        .split_first()
        .ok_or_else(|| anyhow!("startup needs a command"))?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let mut child = Command::new(prog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawn {prog}"))?;
        let result = (|| -> Result<Duration> {
            loop {
                match Ctl::open(t) {
                    Ok(ctl) => {
                        let took = start.elapsed();
                        ctl.quit();
                        return Ok(took);
                    }
                    Err(e) if start.elapsed() > t.op_timeout => {
                        return Err(e.context("no 220 in time"))
                    }
                    Err(_) => {
                        if let Ok(Some(st)) = child.try_wait() {
                            bail!("{prog} exited with {st} before its 220");
                        }
                        // Connect-retry: a refused connect returns at once, so pause briefly.
                        thread::sleep(Duration::from_micros(200));
                    }
                }
            }
        })();
        let _ = child.kill();
        let _ = child.wait();
        times.push(ms(result?));
        // A forked session may keep the listening socket open a little longer: the next
        // start must not find the port still taken.
        let freed = Instant::now();
        while ftp::connect(t.addr, t.op_timeout).is_ok() {
            if freed.elapsed() > t.op_timeout {
                bail!(
                    "{} still accepts connections after its server was stopped",
                    t.addr
                );
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(json!({"value": median(&mut times), "unit": "ms", "runs": times.len()}))
}

/// The generator's own ceiling: one TCP stream over loopback from a thread of this process,
/// received with the same loop as RETR (copying or discarding).
pub fn ceiling(size: u64, copy: bool) -> Result<Value> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sender = thread::spawn(move || -> Result<()> {
        let (mut s, _) = listener.accept()?;
        let data = pattern(BUF, 3);
        let mut left = size;
        while left > 0 {
            let n = left.min(BUF as u64) as usize;
            s.write_all(&data[..n])?;
            left -= n as u64;
        }
        s.shutdown(Shutdown::Write)?;
        Ok(())
    });
    let mut s = ftp::connect(addr, Duration::from_secs(60))?;
    let mut buf = vec![0u8; BUF];
    let mut dst = vec![0u8; BUF];
    let start = Instant::now();
    let got = if copy {
        ftp::read_all(&mut s, &mut buf, &mut |c: &[u8]| {
            dst[..c.len()].copy_from_slice(c);
            black_box(&dst);
        })?
    } else {
        ftp::read_all(&mut s, &mut buf, &mut |c: &[u8]| {
            black_box(c);
        })?
    };
    let took = start.elapsed();
    sender.join().map_err(|_| anyhow!("sender panicked"))??;
    if got != size {
        bail!("ceiling: received {got} of {size} bytes");
    }
    Ok(json!({"value": mb_s(got, took), "unit": "MB/s", "bytes": got}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentiles() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
    }

    #[test]
    fn pattern_is_deterministic_and_varied() {
        assert_eq!(pattern(4096, 5), pattern(4096, 5));
        assert_ne!(pattern(4096, 5), pattern(4096, 6));
        assert_eq!(pattern(13, 1).len(), 13);
    }

    #[test]
    fn loopback_ceiling_moves_every_byte() {
        let v = ceiling(3 * BUF as u64 + 5, true).expect("ceiling");
        assert_eq!(v["bytes"], 3 * BUF as u64 + 5);
    }
}
