//! Every workload of the generator in tiny size against the real `ferroftp` binary: each must
//! succeed and report a sane figure, and a wrong size must fail the run (so a fast broken
//! server cannot win the benchmark). These check the generator, never the server's speed:
//! no figure is compared with a threshold beyond "positive".

#[path = "../../ferroftp-load/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::ferroftp_bin;

const BENCH: &str = env!("CARGO_BIN_EXE_ferroftp-bench");
const USER: &str = "bench";
const PASS: &str = "smoke-test-password";

/// A ferroftp serving `root` to USER; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    args: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_args(users: &Path, listen: &str) -> Vec<String> {
    [
        "serve",
        "--listen",
        listen,
        "--users",
        users.to_str().expect("utf-8 path"),
        "--passive-ports",
        "0-0",
        "--max-sessions-per-user",
        "0",
        "--max-passive-per-ip",
        "0",
        "--max-connections-per-ip",
        "1000",
        "--log",
        "warn",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn start(dir: &Path) -> Server {
    let root = dir.join("root");
    let users = dir.join("users.toml");
    let mut add = Command::new(ferroftp_bin())
        .args(["user", "add", USER, "--password-stdin", "--home"])
        .arg(&root)
        .arg("--users")
        .arg(&users)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("ferroftp user add");
    writeln!(add.stdin.take().expect("stdin"), "{PASS}").expect("write password");
    assert!(add.wait().expect("user add").success());

    let args = serve_args(&users, "127.0.0.1:0");
    let mut child = Command::new(ferroftp_bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ferroftp");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port = loop {
        let line = lines.next().expect("server output").expect("line");
        if let Some(addr) = line.strip_prefix("listening on ftp://") {
            break addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port, args }
}

fn bench(port: u16, args: &[&str]) -> Output {
    Command::new(BENCH)
        .args(["--json", "--timeout", "60", "--user", USER, "--pass", PASS])
        .args(["--port", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ferroftp-bench")
}

/// The JSON line of a successful run.
fn ok(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("JSON: {e}: {stdout}"))
}

fn positive(v: &serde_json::Value) -> f64 {
    let x = v["value"].as_f64().unwrap_or(f64::NAN);
    assert!(x.is_finite() && x > 0.0, "sane value: {v}");
    x
}

#[test]
fn every_workload_runs_against_ferroftp_and_the_table_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    let big = (3u64 << 20) + 17;
    let gen = Command::new(BENCH)
        .args([
            "gen",
            "--big",
            &big.to_string(),
            "--mid",
            "1048576",
            "--many",
            "40",
            "--dir",
        ])
        .arg(&root)
        .status()
        .expect("gen");
    assert!(gen.success());
    std::fs::create_dir_all(root.join("up/small")).expect("upload dir");
    let srv = start(dir.path());
    let port = srv.port;
    let big_s = big.to_string();
    let mid_local = root.join("mid.bin");
    let mid_local = mid_local.to_str().expect("utf-8");
    let pid = srv.child.id().to_string();

    let mut lines = Vec::new();
    let mut record = |key: &str, v: serde_json::Value| {
        let mut v = v;
        v["key"] = key.into();
        v["server"] = "ferroftp".into();
        lines.push(v.to_string());
        v
    };
    for (key, discard) in [("retr-copy", false), ("retr-discard", true)] {
        let mut args = vec!["retr", "--path", "big.bin", "--size", &big_s];
        if discard {
            args.push("--discard");
        }
        let v = record(key, ok(&bench(port, &args)));
        positive(&v);
        assert_eq!(v["bytes"].as_u64(), Some(big), "{v}");
    }
    let v = ok(&bench(
        port,
        &["stor", "--path", "up/big.bin", "--size", &big_s],
    ));
    positive(&record("stor", v));
    assert_eq!(
        std::fs::metadata(root.join("up/big.bin"))
            .map(|m| m.len())
            .ok(),
        Some(big)
    );

    let v = ok(&bench(
        port,
        &[
            "retr-many",
            "--clients",
            "4",
            "--path",
            "mid.bin",
            "--verify",
            mid_local,
        ],
    ));
    assert_eq!(v["bytes"].as_u64(), Some(4 << 20), "{v}");
    positive(&record("retr-many", v));

    let v = ok(&bench(port, &["logins", "--workers", "2", "--secs", "0.5"]));
    assert!(v["logins"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(
        v["p99_ms"].as_f64().unwrap_or(-1.0) >= v["p50_ms"].as_f64().unwrap_or(f64::MAX),
        "{v}"
    );
    positive(&record("logins", v));

    for (key, mlsd) in [("list", false), ("mlsd", true)] {
        let mut args = vec!["list", "--path", "many", "--entries", "40", "--repeat", "2"];
        if mlsd {
            args.push("--mlsd");
        }
        let v = ok(&bench(port, &args));
        assert!(v["lines"].as_u64().unwrap_or(0) >= 40, "{v}");
        positive(&record(key, v));
    }

    let v = ok(&bench(
        port,
        &[
            "stor-small",
            "--dir",
            "up/small",
            "--files",
            "30",
            "--size",
            "4096",
        ],
    ));
    positive(&record("stor-small", v));
    let stored = std::fs::read_dir(root.join("up/small"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, 30);

    let v = ok(&bench(
        port,
        &["idle", "--pid", &pid, "--sessions", "20", "--openers", "2"],
    ));
    assert_eq!(v["sessions"].as_u64(), Some(20), "{v}");
    assert!(v["pss_with_kib"].as_u64().unwrap_or(0) > 0, "{v}");
    record("idle", v);

    let v = ok(&bench(port, &["mem", "--pid", &pid, "--peak"]));
    positive(&record("peak-rss", v));

    // Startup: a second server on a port picked now (bound and released, then handed over).
    let free = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let users = dir.path().join("users.toml");
    let mut args: Vec<String> = vec!["startup".into(), "--repeat".into(), "2".into(), "--".into()];
    args.push(ferroftp_bin().to_string_lossy().into_owned());
    args.extend(serve_args(&users, &format!("127.0.0.1:{free}")));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = ok(&bench(free, &argv));
    assert_eq!(v["runs"].as_u64(), Some(2), "{v}");
    positive(&record("startup", v));
    assert!(srv.args.iter().any(|a| a == "serve"));

    let v = ok(&bench(0, &["ceiling", "--size", "5000000"]));
    let mut v = v;
    v["server"] = "loopback".into();
    v["key"] = "ceiling-copy".into();
    positive(&v);
    lines.push(v.to_string());

    let results = dir.path().join("results.jsonl");
    std::fs::write(&results, lines.join("\n")).expect("write results");
    let report = dir.path().join("report.md");
    let out = Command::new(BENCH)
        .arg("table")
        .arg(&results)
        .arg("--out")
        .arg(&report)
        .output()
        .expect("table");
    assert!(out.status.success());
    let table = std::fs::read_to_string(&report).expect("report");
    assert!(table.starts_with("| workload"), "{table}");
    for key in [
        "retr-copy",
        "retr-many",
        "logins",
        "mlsd",
        "stor-small",
        "idle",
        "startup",
    ] {
        assert!(
            table.contains(&format!("| {key} |")),
            "{key} row in:\n{table}"
        );
    }
    assert!(table.contains("Loopback ceilings"), "{table}");
}

/// Guards the benchmark's honesty: a transfer of the wrong size is a failure (exit 1 and a
/// JSON error), never a fast result.
#[test]
fn a_wrong_size_or_content_fails_the_workload() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    let gen = Command::new(BENCH)
        .args([
            "gen", "--big", "100000", "--mid", "50000", "--many", "1", "--dir",
        ])
        .arg(&root)
        .status()
        .expect("gen");
    assert!(gen.success());
    let srv = start(dir.path());

    let out = bench(srv.port, &["retr", "--path", "big.bin", "--size", "100001"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON error line: {e}"));
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("expected 100001")),
        "{v}"
    );

    // The local copy differs from the served file: the checksum catches it.
    let other = dir.path().join("other.bin");
    let mut served = std::fs::read(root.join("mid.bin")).expect("read mid");
    served[1234] ^= 1;
    std::fs::write(&other, served).expect("write");
    let out = bench(
        srv.port,
        &[
            "retr-many",
            "--clients",
            "2",
            "--path",
            "mid.bin",
            "--verify",
            other.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Guards the small-file floor: the same upload client runs against the in-process
/// responder (which answers 226 only to a file of the expected size) and reports files/s.
#[test]
fn the_small_file_floor_runs_in_process() {
    let v = ok(&bench(
        0,
        &["stor-small-floor", "--files", "30", "--size", "4096"],
    ));
    positive(&v);
    assert_eq!(v["unit"], "files/s", "{v}");
    assert_eq!(v["files"], 30, "{v}");
    assert_eq!(v["workload"], "stor-small-floor", "{v}");
}
