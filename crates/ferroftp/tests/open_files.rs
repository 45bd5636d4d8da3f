//! The open-files limit, with the real binary started under `prlimit`: the server raises
//! its soft limit to the hard one, logs it, and lowers `max_connections` to what the limit
//! can hold (1 descriptor a session, 4 per data channel, 1 per home, 64 kept back), so a
//! full server answers `421` rather than failing with "Too many open files".

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{deadline, wait_until, BIN};

/// `ferroftp serve` under `prlimit --nofile=SOFT:HARD`, its log in `log`.
struct Limited {
    child: Child,
    addr: String,
}

impl Limited {
    fn start(nofile: &str, dir: &Path, log: &Path) -> Limited {
        let mut child = Command::new("prlimit")
            .arg(format!("--nofile={nofile}"))
            .arg("--")
            .arg(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
            .env_remove("FERROFTP_USERS")
            .env_remove("RUST_LOG")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("start prlimit ferroftp serve");
        let stdout = child.stdout.take().expect("stdout");
        let addr = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on ftp://").map(str::to_owned))
            .expect("the server announces its listener");
        Limited { child, addr }
    }
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the log holds a line with all of `parts`, once it does (or the deadline passed).
fn logged(log: &Path, parts: &[&str]) -> bool {
    wait_until(deadline(), || {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    })
}

fn greeting(addr: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    (s, text)
}

// Guards point 6: under a limit of 128 descriptors, the default 1000 connections cannot
// all be served: 63 descriptors are left after the reserve and the one home, and 1000
// sessions with 250 data channels would want 2000, so both are lowered in proportion:
// max_connections becomes 31 (and max_transfers 7), with a warning, and the 32nd
// connection gets 421 while 31 are open (before: the server accepted until "Too many open
// files"). Issue 9 changed the numbers (the limit was 256 and 48 sessions fitted, at 4
// descriptors a session; 128 keeps the count under the per-address cap of 50), and again
// with zero-copy uploads, whose pipe makes a data channel 4 descriptors instead of 3
// (36 sessions and 9 channels fitted before).
#[test]
fn max_connections_is_lowered_to_fit_the_open_files_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let server = Limited::start("128:128", dir.path(), &log);
    assert!(logged(&log, &["open-files limit", "limit=128"]));
    assert!(logged(
        &log,
        &["max_connections lowered", "configured=1000", "effective=31"]
    ));
    assert!(logged(
        &log,
        &["descriptor budget", "max_connections=31", "max_transfers=7"]
    ));
    let mut held = Vec::new();
    for _ in 0..31 {
        let (s, text) = greeting(&server.addr);
        assert!(text.starts_with("220 "), "{text}");
        held.push(s);
    }
    let (_, text) = greeting(&server.addr);
    assert_eq!(text, "421 Too many connections: try again later.\r\n");
}

// Guards point 6: the soft limit is raised to the hard one at start.
#[test]
fn the_soft_open_files_limit_is_raised_to_the_hard_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let _server = Limited::start("128:512", dir.path(), &log);
    assert!(logged(&log, &["open-files limit", "limit=512"]));
    // (512 - 64 - 1) * 1000 / 2000: see the test above (112 before issue 9, 255 at three
    // descriptors a data channel).
    assert!(logged(&log, &["max_connections lowered", "effective=223"]));
}
