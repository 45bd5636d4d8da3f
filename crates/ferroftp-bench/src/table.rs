//! Turns the JSON lines of a run into one markdown table: a row per workload, a column per
//! server (medians over rounds), the subject's ratio to the best reference server, and the
//! same ratio taken within each round (median and range), which pairs measurements made
//! seconds apart and so cancels most of what drifts on a shared machine between rounds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::workloads::median;

/// Which way a row's numbers are better.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Better {
    High,
    Low,
    /// Shown for information; no ratio.
    Neither,
}

/// Direction of the known workload keys (unknown keys get no ratio).
fn better(key: &str) -> Better {
    match key {
        "retr-copy" | "retr-discard" | "stor" | "retr-many" | "logins" | "stor-small" => {
            Better::High
        }
        "list" | "mlsd" | "idle" | "startup" => Better::Low,
        _ => Better::Neither,
    }
}

/// Keys measuring the loopback itself, printed under the table rather than in it, with
/// what they measure and their unit.
const CEILINGS: [(&str, &str, &str); 4] = [
    ("ceiling-copy", "generator, one stream, copying", "MB/s"),
    (
        "ceiling-discard",
        "generator, one stream, discarding",
        "MB/s",
    ),
    ("iperf3", "iperf3, one stream", "MB/s"),
    (
        "ceiling-small",
        "small-file STOR floor (same client, in-process responder, no disk)",
        "files/s",
    ),
];

/// `1234.5` as `1,235`, small numbers with a decimal or two.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    if v.abs() >= 100.0 {
        let s = format!("{:.0}", v);
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// All rounds of one workload on one server.
#[derive(Default)]
struct Cell {
    values: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    rss_mb: Vec<f64>,
    unsupported: bool,
    errors: Vec<String>,
}

impl Cell {
    fn value(&self) -> Option<f64> {
        if self.values.is_empty() || !self.errors.is_empty() {
            return None;
        }
        Some(median(&mut self.values.clone()))
    }

    fn show(&self, key: &str) -> String {
        if !self.errors.is_empty() {
            return "FAIL".to_owned();
        }
        let Some(v) = self.value() else {
            return "—".to_owned();
        };
        let mut s = num(v);
        if !self.p50.is_empty() {
            let _ = write!(
                s,
                " ({} / {})",
                num(median(&mut self.p50.clone())),
                num(median(&mut self.p99.clone()))
            );
        }
        if key == "idle-big" && !self.rss_mb.is_empty() {
            let _ = write!(
                s,
                " (total RSS {} MB)",
                num(median(&mut self.rss_mb.clone()))
            );
        }
        s
    }
}

/// The table (markdown) from JSON lines; `subject` names the server the ratio is about.
pub fn render(jsonl: &str, subject: &str) -> Result<String> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut servers: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).with_context(|| format!("line {}", i + 1))?;
        let key = v["key"].as_str().unwrap_or("?").to_owned();
        let server = v["server"].as_str().unwrap_or("?").to_owned();
        let row = v["row"].as_str().unwrap_or(&key).to_owned();
        if !rows.iter().any(|(k, _)| *k == key) {
            rows.push((key.clone(), row));
        }
        if !CEILINGS.iter().any(|(k, _, _)| *k == key) && !servers.contains(&server) {
            servers.push(server.clone());
        }
        let cell = cells.entry((key, server)).or_default();
        if let Some(e) = v["error"].as_str() {
            cell.errors.push(e.to_owned());
            continue;
        }
        match v["value"].as_f64() {
            Some(x) => cell.values.push(x),
            None => cell.unsupported = true,
        }
        if let (Some(a), Some(b)) = (v["p50_ms"].as_f64(), v["p99_ms"].as_f64()) {
            cell.p50.push(a);
            cell.p99.push(b);
        }
        if let Some(r) = v["root_rss_kib"].as_f64() {
            cell.rss_mb.push(r * 1024.0 / 1e6);
        }
    }
    // The subject first, then the references in the order they ran.
    servers.sort_by_key(|s| *s != subject);
    let refs: Vec<&String> = servers.iter().filter(|s| *s != subject).collect();

    let mut out = String::new();
    let _ = write!(out, "| workload (median of rounds; MB = 10^6 B) |");
    for s in &servers {
        let _ = write!(out, " {s} |");
    }
    let _ = writeln!(
        out,
        " {subject} ÷ best reference (> 1: {subject} better) | within each round: median (range) |"
    );
    let _ = writeln!(out, "|{}", " --- |".repeat(servers.len() + 3));
    for (key, row) in &rows {
        if CEILINGS.iter().any(|(k, _, _)| k == key) {
            continue;
        }
        let _ = write!(out, "| {row} |");
        for s in &servers {
            let shown = cells
                .get(&(key.clone(), s.clone()))
                .map_or("—".to_owned(), |c| c.show(key));
            let _ = write!(out, " {shown} |");
        }
        let ratio =
            ratio(&cells, key, subject, &refs).map_or("—".to_owned(), |r| format!("{r:.2}"));
        let paired =
            paired_ratios(&cells, key, subject, &refs).map_or("—".to_owned(), |mut r| {
                let mid = median(&mut r.clone());
                r.sort_by(f64::total_cmp);
                match (r.first(), r.last()) {
                    (Some(lo), Some(hi)) if r.len() > 1 => format!("{mid:.2} ({lo:.2}–{hi:.2})"),
                    _ => format!("{mid:.2}"),
                }
            });
        let _ = writeln!(out, " {ratio} | {paired} |");
    }
    // Most workloads give one line per round (startup gives several, peak RSS one per run):
    // the most common count is the number of rounds.
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for c in cells.values() {
        *counts.entry(c.values.len() + c.errors.len()).or_default() += 1;
    }
    let rounds = counts
        .iter()
        .max_by_key(|(n, seen)| (**seen, **n))
        .map_or(0, |(n, _)| *n);
    let _ = writeln!(
        out,
        "\nNotes: median of {rounds} round(s), servers interleaved within each workload. \
         \"Client copies\": every received chunk is copied into a second 1 MiB buffer; \
         \"discards\": it is dropped. Idle sessions are held on a freshly started server; \
         PSS is summed over its process tree (/proc/*/smaps_rollup), minus its baseline, \
         per session. Startup: spawn to the first 220. \"—\": not measured or not supported."
    );
    let mut ceil = Vec::new();
    for (key, what, unit) in CEILINGS {
        if let Some(v) = cells
            .get(&(key.to_owned(), "loopback".to_owned()))
            .and_then(Cell::value)
        {
            ceil.push(format!("{what} {} {unit}", num(v)));
        }
    }
    if !ceil.is_empty() {
        let _ = writeln!(
            out,
            "\nLoopback ceilings in the same run (median): {}.",
            ceil.join("; ")
        );
    }
    let _ = writeln!(out, "\nMachine: {}.", machine());
    Ok(out)
}

/// Subject ÷ best reference, turned around for lower-is-better rows so > 1 always means the
/// subject did better.
fn ratio(
    cells: &BTreeMap<(String, String), Cell>,
    key: &str,
    subject: &str,
    refs: &[&String],
) -> Option<f64> {
    let dir = better(key);
    if dir == Better::Neither {
        return None;
    }
    let get = |s: &str| {
        cells
            .get(&(key.to_owned(), s.to_owned()))
            .and_then(Cell::value)
    };
    let own = get(subject)?;
    let theirs: Vec<f64> = refs
        .iter()
        .filter_map(|s| get(s))
        .filter(|v| *v > 0.0)
        .collect();
    versus(dir, own, theirs.into_iter())
}

/// `own` over the best of `theirs` (the highest, or the lowest for lower-is-better rows,
/// then turned around), so that > 1 always means `own` did better; `None` without a
/// reference or when the ratio is not a number.
fn versus(dir: Better, own: f64, theirs: impl Iterator<Item = f64>) -> Option<f64> {
    let r = match dir {
        Better::High => own / theirs.reduce(f64::max)?,
        _ => theirs.reduce(f64::min)? / own,
    };
    r.is_finite().then_some(r)
}

/// Subject ÷ best reference within each round (the i-th value of every server belongs to
/// round i), turned around for lower-is-better rows. `None` unless the subject and every
/// reference that measured the row have the same number of values and nothing failed.
fn paired_ratios(
    cells: &BTreeMap<(String, String), Cell>,
    key: &str,
    subject: &str,
    refs: &[&String],
) -> Option<Vec<f64>> {
    let dir = better(key);
    if dir == Better::Neither {
        return None;
    }
    let cell = |s: &str| cells.get(&(key.to_owned(), s.to_owned()));
    let own = cell(subject).filter(|c| c.errors.is_empty())?;
    let n = own.values.len();
    let theirs: Vec<&Cell> = refs
        .iter()
        .filter_map(|s| cell(s))
        .filter(|c| !c.values.is_empty())
        .collect();
    if n == 0
        || theirs.is_empty()
        || theirs
            .iter()
            .any(|c| c.values.len() != n || !c.errors.is_empty())
    {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for (i, mine) in own.values.iter().enumerate() {
        let round = theirs.iter().map(|c| c.values[i]).filter(|v| *v > 0.0);
        out.push(versus(dir, *mine, round)?);
    }
    Some(out)
}

/// CPUs, kernel and CPU model of this machine.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_default();
    format!("{cpus} CPUs (nproc), Linux {}, {model}", kernel.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_the_same_way_for_both_directions() {
        let lines = [
            r#"{"key":"retr-copy","row":"RETR","server":"ferroftp","value":200}"#,
            r#"{"key":"retr-copy","row":"RETR","server":"vsftpd","value":100}"#,
            r#"{"key":"retr-copy","row":"RETR","server":"pure","value":400}"#,
            r#"{"key":"list","row":"LIST ms","server":"ferroftp","value":50}"#,
            r#"{"key":"list","row":"LIST ms","server":"vsftpd","value":100}"#,
            r#"{"key":"list","row":"LIST ms","server":"pure","value":200}"#,
            r#"{"key":"mlsd","row":"MLSD ms","server":"vsftpd","value":null}"#,
            r#"{"key":"stor","row":"STOR","server":"ferroftp","error":"short"}"#,
            r#"{"key":"logins","row":"logins","server":"ferroftp","value":1000,"p50_ms":1.5,"p99_ms":3}"#,
            r#"{"key":"ceiling-copy","server":"loopback","value":3000}"#,
        ]
        .join("\n");
        let t = render(&lines, "ferroftp").expect("table");
        assert!(
            t.contains("| RETR | 200 | 100 | 400 | 0.50 | 0.50 |"),
            "{t}"
        );
        assert!(
            t.contains("| LIST ms | 50.0 | 100 | 200 | 2.00 | 2.00 |"),
            "{t}"
        );
        assert!(t.contains("| MLSD ms | — | — | — | — | — |"), "{t}");
        assert!(t.contains("| STOR | FAIL |"), "{t}");
        assert!(t.contains("1,000 (1.50 / 3.00)"), "{t}");
        assert!(
            t.contains("generator, one stream, copying 3,000 MB/s"),
            "{t}"
        );
        assert!(!t.contains("| loopback"), "{t}");
    }

    /// Guards the small-file floor's place: under the table, in files/s, not as a server.
    #[test]
    fn the_small_file_floor_is_a_ceiling_in_files_per_second() {
        let lines = [
            r#"{"key":"stor-small","row":"STOR small","server":"ferroftp","value":3000}"#,
            r#"{"key":"stor-small","row":"STOR small","server":"pure","value":2000}"#,
            r#"{"key":"ceiling-small","server":"loopback","value":7000}"#,
        ]
        .join("\n");
        let t = render(&lines, "ferroftp").expect("table");
        assert!(
            t.contains("| STOR small | 3,000 | 2,000 | 1.50 | 1.50 |"),
            "{t}"
        );
        assert!(t.contains("no disk) 7,000 files/s"), "{t}");
        assert!(!t.contains("| loopback"), "{t}");
    }

    #[test]
    fn medians_over_rounds() {
        let lines = [
            r#"{"key":"stor","server":"a","value":1}"#,
            r#"{"key":"stor","server":"a","value":9}"#,
            r#"{"key":"stor","server":"a","value":5}"#,
        ]
        .join("\n");
        let t = render(&lines, "a").expect("table");
        assert!(t.contains("| stor | 5.00 | — | — |"), "{t}");
    }

    /// Guards the paired column: each round's ratio, then their median and range, which can
    /// differ from the ratio of the medians when rounds drift.
    #[test]
    fn ratios_within_each_round() {
        let lines = [
            r#"{"key":"stor","row":"STOR","server":"a","value":100}"#,
            r#"{"key":"stor","row":"STOR","server":"b","value":50}"#,
            r#"{"key":"stor","row":"STOR","server":"c","value":80}"#,
            r#"{"key":"stor","row":"STOR","server":"a","value":60}"#,
            r#"{"key":"stor","row":"STOR","server":"b","value":100}"#,
            r#"{"key":"stor","row":"STOR","server":"c","value":40}"#,
            r#"{"key":"stor","row":"STOR","server":"a","value":300}"#,
            r#"{"key":"stor","row":"STOR","server":"b","value":200}"#,
            r#"{"key":"stor","row":"STOR","server":"c","value":100}"#,
        ]
        .join("\n");
        let t = render(&lines, "a").expect("table");
        // Rounds: 100/80, 60/100, 300/200 -> 1.25, 0.60, 1.50; medians 100 / 100 -> 1.00.
        assert!(
            t.contains("| STOR | 100 | 100 | 80.0 | 1.00 | 1.25 (0.60–1.50) |"),
            "{t}"
        );
    }
}
