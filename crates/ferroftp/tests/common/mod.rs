//! What the tests of the real `ferroftp` binary share: starting `ferroftp serve` and reading
//! the lines it announces itself with, running a subcommand to completion, and waiting for a
//! condition against a deadline.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../../../ferroftp-server/tests/common/wait.rs"]
mod wait;
pub use wait::*;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ferroftp");

/// How long a subcommand may run before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// `ferroftp ARGS`, with no users file taken from the test runner's environment.
pub fn ferroftp<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("FERROFTP_USERS");
    cmd
}

/// How a run of the binary ended.
pub struct Finished {
    /// Exit status and raw output.
    pub output: Output,
    /// The exit code, or -1 when killed by a signal.
    pub code: i32,
    /// Standard output, as text.
    pub stdout: String,
    /// Standard error, as text.
    pub stderr: String,
    /// From start to exit.
    pub elapsed: Duration,
}

impl Finished {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `cmd` to completion with `stdin` as its input; fails the test if it runs for more
/// than a minute.
pub fn finish(mut cmd: Command, stdin: &[u8]) -> Finished {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferroftp");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The process may exit before reading (usage errors); a broken pipe is fine then.
        let _ = input.write_all(stdin);
    }
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let mut status: Option<ExitStatus> = None;
    let exited = wait_until(started + RUN_LIMIT, || {
        status = child.try_wait().expect("wait for ferroftp");
        status.is_some()
    });
    let Some(status) = status.filter(|_| exited) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{cmd:?} did not finish within {RUN_LIMIT:?}");
    };
    let output = Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    Finished {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
        output,
    }
}

/// `ferroftp user add NAME --home HOME --users FILE --password-stdin`, password on stdin;
/// the test fails if it does.
pub fn add_user(users: &Path, name: &str, home: &Path, password: &str) {
    let mut add = ferroftp(&["user", "add", name, "--home"]);
    add.arg(home)
        .arg("--users")
        .arg(users)
        .arg("--password-stdin");
    let run = finish(add, format!("{password}\n").as_bytes());
    assert!(run.output.status.success(), "{}", run.stderr);
}

/// `ferroftp user passwd NAME --users FILE --password-stdin`, password on stdin; the test
/// fails if it does.
pub fn set_password(users: &Path, name: &str, password: &str) {
    let mut passwd = ferroftp(&["user", "passwd", name, "--users"]);
    passwd.arg(users).arg("--password-stdin");
    let run = finish(passwd, format!("{password}\n").as_bytes());
    assert!(run.output.status.success(), "{}", run.stderr);
}

/// `ferroftp user del NAME --users FILE`; the test fails if it does.
pub fn del_user(users: &Path, name: &str) {
    let mut del = ferroftp(&["user", "del", name, "--users"]);
    del.arg(users);
    let run = finish(del, b"");
    assert!(run.output.status.success(), "{}", run.stderr);
}

/// Whether the server's log at `log` comes to contain `text` before the [`deadline`]: a
/// server logs when it has done something, so a test that waits for the line knows what
/// follows comes after it.
pub fn log_shows(log: &Path, text: &str) -> bool {
    wait_until(deadline(), || {
        std::fs::read_to_string(log).is_ok_and(|l| l.contains(text))
    })
}

/// The arguments of [`Serve::local`]: loopback, OS-picked ports, no delay after a failed login.
const LOCAL: [&str; 6] = [
    "--listen",
    "127.0.0.1:0",
    "--passive-ports",
    "0-0",
    "--login-failure-delay-ms",
    "0",
];

/// How to start `ferroftp serve`.
pub struct Serve {
    cmd: Command,
    listeners: usize,
}

impl Serve {
    /// `ferroftp serve ARGS`, its standard error thrown away, announcing one listener.
    pub fn new<S: AsRef<OsStr>>(args: &[S]) -> Serve {
        let mut cmd = ferroftp(&["serve"]);
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::null());
        Serve { cmd, listeners: 1 }
    }

    /// `ferroftp serve` on loopback at a port the OS picks, with OS-picked passive ports
    /// and no delay after a failed login (so tests that log in wrongly do not wait), then
    /// ARGS.
    pub fn local<S: AsRef<OsStr>>(args: &[S]) -> Serve {
        let mut serve = Serve::new(&LOCAL);
        serve.cmd.args(args);
        serve
    }

    /// As [`Serve::local`], but started by `wrapper` (a program and its arguments), which
    /// is given the binary and its arguments to run (`unshare ... sh -c '...; exec "$@"'`).
    pub fn local_inside<S: AsRef<OsStr>>(wrapper: &[&str], args: &[S]) -> Serve {
        let (program, wrapper_args) = wrapper.split_first().expect("a wrapper program");
        let mut cmd = Command::new(program);
        cmd.args(wrapper_args)
            .arg(BIN)
            .arg("serve")
            .args(LOCAL)
            .args(args)
            .env_remove("FERROFTP_USERS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        Serve { cmd, listeners: 1 }
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Serve {
        self.cmd.arg(arg);
        self
    }

    /// Runs in `dir` (where the quick start puts `ftp-data`).
    pub fn current_dir(mut self, dir: &Path) -> Serve {
        self.cmd.current_dir(dir);
        self
    }

    /// Reads the announcement up to the `n`th `listening on` line.
    pub fn listeners(mut self, n: usize) -> Serve {
        self.listeners = n;
        self
    }

    /// Sends the server's log (standard error) to `file`.
    pub fn log_to(mut self, file: &Path) -> Serve {
        let log = std::fs::File::create(file).expect("create log file");
        self.cmd.stderr(log);
        self
    }

    /// Starts the server and reads its announcement.
    pub fn start(mut self) -> Served {
        let mut child = self.cmd.spawn().expect("start ferroftp serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut served = Served {
            child,
            lines: Vec::new(),
            addr: String::new(),
            quick_start: None,
            fingerprint: None,
        };
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < self.listeners {
            let line = match lines.next() {
                Some(Ok(line)) => line,
                _ => panic!("the server stopped printing after {:?}", served.lines),
            };
            if line.starts_with("listening on ") {
                seen += 1;
            }
            served.lines.push(line);
        }
        served.addr = served.listener("ftp");
        served.quick_start = served.lines.iter().find_map(|l| quick_start(l));
        served.fingerprint = served.lines.iter().find_map(|l| {
            l.strip_prefix("TLS certificate SHA-256 fingerprint: ")
                .map(|f| f.trim().to_owned())
        });
        served
    }
}

/// User and password from `ferroftp quick start: user "U" password "P" ...`.
fn quick_start(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("ferroftp quick start: user \"")?;
    let user = rest.split('"').next()?;
    let password = rest.split("password \"").nth(1)?.split('"').next()?;
    Some((user.to_owned(), password.to_owned()))
}

/// A running `ferroftp serve`, killed when dropped.
pub struct Served {
    /// The server process.
    pub child: Child,
    /// What it printed, up to its last listener.
    pub lines: Vec<String>,
    /// The first plain (`ftp://`) listener.
    pub addr: String,
    /// The quick-start user and password, when there is no users file.
    pub quick_start: Option<(String, String)>,
    /// The certificate fingerprint, when FTPS is on.
    pub fingerprint: Option<String>,
}

impl Served {
    /// `ferroftp serve ARGS` in `dir`, announcing one plain listener.
    pub fn start<S: AsRef<OsStr>>(args: &[S], dir: &Path) -> Served {
        Serve::new(args).current_dir(dir).start()
    }

    /// The first listener announced as `scheme://ADDR`.
    pub fn listener(&self, scheme: &str) -> String {
        let prefix = format!("listening on {scheme}://");
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {scheme} listener in {:?}", self.lines))
            .trim()
            .to_owned()
    }

    /// Sends signal `name` (`TERM`, `HUP`) to the server; whether `kill` succeeded.
    pub fn signal(&self, name: &str) -> bool {
        Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A control connection driven line by line, for tests that speak FTP by hand.
pub struct Ctl(pub BufReader<TcpStream>);

impl Ctl {
    /// Connects to `addr`; the connection and its greeting.
    pub fn connect(addr: &str) -> (Ctl, String) {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Ctl(BufReader::new(s));
        let g = c.line();
        (c, g)
    }
    /// The next reply line.
    pub fn line(&mut self) -> String {
        let mut l = String::new();
        self.0.read_line(&mut l).unwrap();
        l
    }
    /// Sends `c` and reads one reply line.
    pub fn cmd(&mut self, c: &str) -> String {
        self.0
            .get_mut()
            .write_all(format!("{c}\r\n").as_bytes())
            .unwrap();
        self.line()
    }
    /// Whether a reply has arrived that was not read yet; does not wait.
    pub fn has_pending(&mut self) -> bool {
        if !self.0.buffer().is_empty() {
            return true;
        }
        let socket = self.0.get_mut();
        socket.set_nonblocking(true).unwrap();
        let peeked = socket.peek(&mut [0u8; 1]);
        socket.set_nonblocking(false).unwrap();
        match peeked {
            Ok(n) => n > 0,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("control connection: {e}"),
        }
    }
    /// Opens a passive data connection.
    pub fn pasv(&mut self) -> TcpStream {
        let reply = self.cmd("PASV");
        assert!(reply.starts_with("227"), "{reply}");
        let numbers: Vec<u16> = reply
            .split(['(', ')'])
            .nth(1)
            .expect("address in the 227")
            .split(',')
            .map(|n| n.trim().parse().expect("a number"))
            .collect();
        TcpStream::connect(("127.0.0.1", numbers[4] * 256 + numbers[5])).expect("data connection")
    }
}
