//! The harness itself against the real `ferroftp` binary, in its smoke configuration. These
//! tests check that the harness works (honest transfers happen, hashes match, the summary is
//! printed), never the server's performance targets.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use common::ferroftp_bin;

const LOAD: &str = env!("CARGO_BIN_EXE_ferroftp-load");

fn run_load(args: &[&str]) -> Output {
    Command::new(LOAD)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ferroftp-load")
}

fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("ferroftp-load summary") && stderr.contains("hash mismatches"),
        "table printed:\n{stderr}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON summary: {e}\n{stdout}"))
}

#[test]
fn smoke_run_with_every_hostile_kind_against_a_spawned_server() {
    let bin = ferroftp_bin();
    let bin = bin.to_str().expect("utf-8 path");
    let out = run_load(&[
        "--server-bin",
        bin,
        "--sessions",
        "20",
        "--duration",
        "3",
        // However slow the machine, sessions that got in finish their round of transfers.
        "--drain",
        "300",
        "--op-timeout",
        "120",
        "--json",
    ]);
    let s = summary(&out);
    assert!(s["transfers"].as_u64().unwrap_or(0) > 0, "{s:#}");
    assert_eq!(s["hash_mismatches"], 0, "{s:#}");
    assert!(s["sessions_held"].as_u64().unwrap_or(0) > 0, "{s:#}");
    assert!(s["peak_rss_mib"].as_f64().unwrap_or(0.0) > 0.0, "{s:#}");
    assert!(
        s["noop_latency"]["count"].as_u64().unwrap_or(0) > 0,
        "{s:#}"
    );
    let hostile = s["hostile"].as_object().expect("hostile counters");
    for kind in [
        "slow-readers",
        "stallers",
        "guessers",
        "hoarders",
        "sprayer",
        "silent",
        "pipeliners",
        "patterns",
    ] {
        assert!(hostile.contains_key(kind), "{kind} ran: {s:#}");
    }
}

/// A server started by hand in quick-start mode; killed when dropped.
struct QuickStart {
    child: Child,
    addr: String,
    user: String,
    password: String,
    _dir: tempfile::TempDir,
}

impl Drop for QuickStart {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn quick_start() -> QuickStart {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(ferroftp_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ferroftp");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (mut user, mut password) = (String::new(), String::new());
    let addr = loop {
        let line = lines
            .next()
            .expect("server output")
            .expect("server output line");
        if let Some(rest) = line.strip_prefix("ferroftp quick start: user \"") {
            let mut quoted = rest.split('"');
            user = quoted.next().unwrap_or_default().to_owned();
            password = rest
                .split("password \"")
                .nth(1)
                .and_then(|p| p.split('"').next())
                .unwrap_or_default()
                .to_owned();
        }
        if let Some(a) = line.strip_prefix("listening on ftp://") {
            break a.to_owned();
        }
    };
    // The rest of stdout is not needed; drain it so the server never blocks on the pipe.
    std::thread::spawn(move || for _ in lines {});
    QuickStart {
        child,
        addr,
        user,
        password,
        _dir: dir,
    }
}

#[test]
fn target_mode_against_a_running_server_without_hostile_clients() {
    let srv = quick_start();
    let pid = srv.child.id().to_string();
    let out = run_load(&[
        "--target",
        &srv.addr,
        "--user",
        &srv.user,
        "--password",
        &srv.password,
        "--pid",
        &pid,
        "--no-hostile",
        "--sessions",
        "5",
        "--duration",
        "2",
        "--drain",
        "300",
        "--op-timeout",
        "120",
        "--json",
    ]);
    let s = summary(&out);
    assert!(s["transfers"].as_u64().unwrap_or(0) > 0, "{s:#}");
    assert_eq!(s["hash_mismatches"], 0, "{s:#}");
    assert_eq!(s["spawned_server"], false, "{s:#}");
    assert!(
        s["hostile"].as_object().is_some_and(|h| h.is_empty()),
        "{s:#}"
    );
}

#[test]
fn refuses_targets_outside_loopback() {
    for target in ["192.0.2.1:21", "[2001:db8::1]:21", "10.0.0.1:2121"] {
        let out = run_load(&[
            "--target",
            target,
            "--user",
            "u",
            "--password",
            "p",
            "--duration",
            "1",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains("not in 127.0.0.0/8 or ::1"), "{stderr}");
    }
}
