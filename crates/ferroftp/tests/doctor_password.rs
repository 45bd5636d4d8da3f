//! `ferroftp doctor --password-stdin` and `FERROFTP_PASSWORD`: the real binary checks a real
//! `ferroftp serve`, with the password kept out of the command line.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Served, BIN};
use serde_json::Value;

/// A running `ferroftp serve` in quick-start mode, killed on drop.
struct Server {
    addr: String,
    user: String,
    pass: String,
    _served: Served,
    _root: tempfile::TempDir,
}

/// Starts `ferroftp serve` on a free port and reads the quick-start user, password and
/// address from its announce lines.
fn serve() -> Server {
    let root = tempfile::tempdir().unwrap();
    let served = common::Serve::local(&["--root"]).arg(root.path()).start();
    let (user, pass) = served.quick_start.clone().expect("quick start line");
    Server {
        addr: served.addr.clone(),
        user,
        pass,
        _served: served,
        _root: root,
    }
}

/// What one doctor run gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }

    /// The severity and reply code of the `login.pass` finding.
    fn login(&self) -> (String, Option<u64>) {
        let report = self.json();
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "login.pass")
            .unwrap_or_else(|| panic!("no login.pass finding: {report:#}"))
            .clone();
        (
            f["severity"].as_str().unwrap().to_owned(),
            f["got"].as_u64(),
        )
    }
}

/// Runs `ferroftp doctor ARGS` with `stdin` on its standard input and FERROFTP_PASSWORD set
/// to `env` (or unset). Every step has a timeout, so the run ends on its own.
fn doctor(args: &[&str], stdin: Option<&str>, env: Option<&str>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.arg("doctor")
        .args(args)
        .args(["--json", "--timeout", "5"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("FERROFTP_PASSWORD");
    if let Some(value) = env {
        cmd.env("FERROFTP_PASSWORD", value);
    }
    let mut child = cmd.spawn().expect("start ferroftp doctor");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // A usage error may end the doctor before it reads anything: a closed pipe here is
        // fine, the exit status tells.
        let _ = input.write_all(text.as_bytes());
    }
    // Closing standard input is the end of the input for --password-stdin.
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn password_from_stdin_logs_in() {
    let s = serve();
    let url = format!("ftp://{}@{}/", s.user, s.addr);
    let run = doctor(
        &[&url, "--password-stdin"],
        Some(&format!("{}\n", s.pass)),
        None,
    );
    assert_eq!(run.login(), ("ok".to_owned(), Some(230)), "{}", run.stdout);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains(&s.pass),
        "the report shows the password"
    );
    // CRLF line ends work as well.
    let run = doctor(
        &[&url, "--password-stdin"],
        Some(&format!("{}\r\n", s.pass)),
        None,
    );
    assert_eq!(run.login().0, "ok", "{}", run.stdout);
}

#[test]
fn password_from_the_environment_logs_in() {
    let s = serve();
    let url = format!("ftp://{}@{}/", s.user, s.addr);
    let run = doctor(&[&url], None, Some(&s.pass));
    assert_eq!(run.login(), ("ok".to_owned(), Some(230)), "{}", run.stdout);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // A wrong one is sent, and refused.
    let run = doctor(&[&url], None, Some("not-the-password"));
    assert_eq!(
        run.login(),
        ("error".to_owned(), Some(530)),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 1);
}

#[test]
fn the_url_password_wins_over_the_environment() {
    let s = serve();
    let url = format!("ftp://{}:{}@{}/", s.user, s.pass, s.addr);
    let run = doctor(&[&url], None, Some("not-the-password"));
    assert_eq!(run.login(), ("ok".to_owned(), Some(230)), "{}", run.stdout);
    assert_eq!(run.code, 0);
}

#[test]
fn a_url_password_with_password_stdin_is_a_usage_error() {
    let s = serve();
    let url = format!("ftp://{}:{}@{}/", s.user, s.pass, s.addr);
    let run = doctor(&[&url, "--password-stdin"], Some("other\n"), None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("--password-stdin") && run.stderr.contains("URL has a password"),
        "{}",
        run.stderr
    );
}

#[test]
fn password_stdin_needs_a_user_and_a_line() {
    let s = serve();
    // No user in the URL: the login would be anonymous.
    let run = doctor(
        &[&format!("ftp://{}/", s.addr), "--password-stdin"],
        Some("x\n"),
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("names no user"), "{}", run.stderr);
    // Nothing on standard input.
    let url = format!("ftp://{}@{}/", s.user, s.addr);
    let run = doctor(&[&url, "--password-stdin"], Some(""), None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("no password"), "{}", run.stderr);
    // A line end inside the password would smuggle a command.
    let run = doctor(&[&url], None, Some("a\r\nDELE x"));
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("FERROFTP_PASSWORD") && run.stderr.contains("control"),
        "{}",
        run.stderr
    );
}
