//! The real binary: quick start, config file, users file, and shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ferroftp");

struct Running {
    child: Child,
    addr: String,
    quick_start: Option<(String, String)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ferroftp serve ARGS` and reads the quick-start line and the listening address.
fn serve(args: &[&str], dir: &std::path::Path) -> Running {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ferroftp");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut quick_start = None;
    let addr = loop {
        let line = lines.next().expect("server output").expect("line");
        if let Some(rest) = line.strip_prefix("ferroftp quick start: user \"") {
            let user = rest.split('"').next().unwrap().to_owned();
            let pass = rest
                .split("password \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            quick_start = Some((user, pass));
        }
        if let Some(a) = line.strip_prefix("listening on ftp://") {
            break a.to_owned();
        }
    };
    Running {
        child,
        addr,
        quick_start,
    }
}

struct Ctl(BufReader<TcpStream>);

impl Ctl {
    fn connect(addr: &str) -> (Ctl, String) {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Ctl(BufReader::new(s));
        let g = c.line();
        (c, g)
    }
    fn line(&mut self) -> String {
        let mut l = String::new();
        self.0.read_line(&mut l).unwrap();
        l
    }
    fn cmd(&mut self, c: &str) -> String {
        self.0
            .get_mut()
            .write_all(format!("{c}\r\n").as_bytes())
            .unwrap();
        self.line()
    }
}

#[test]
fn quick_start_serves_a_random_password_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = serve(
        &["--listen", "127.0.0.1:0", "--passive-ports", "0-0"],
        dir.path(),
    );
    let (user, pass) = srv
        .quick_start
        .clone()
        .expect("quick start credentials printed");
    assert!(pass.len() >= 12);
    assert!(dir.path().join("ftp-data").is_dir());
    let (mut c, greeting) = Ctl::connect(&srv.addr);
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(c.cmd(&format!("USER {user}")).starts_with("331"));
    assert!(c.cmd("PASS wrong").starts_with("530"));
    assert!(c.cmd(&format!("USER {user}")).starts_with("331"));
    assert!(c.cmd(&format!("PASS {pass}")).starts_with("230"));
    assert!(c.cmd("MKD made").starts_with("257"));
    assert!(dir.path().join("ftp-data/made").is_dir());
    let status = Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let bye = c.line();
    assert!(bye.starts_with("421"), "{bye}");
    let exit = srv.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn config_file_and_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("bob-home");
    let users = dir.path().join("users.toml");
    let mut add = Command::new(BIN)
        .args(["user", "add", "bob", "--home"])
        .arg(&home)
        .arg("--users")
        .arg(&users)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"builder\n").unwrap();
    assert!(add.wait().unwrap().success());
    std::fs::write(
        dir.path().join("ferroftp.toml"),
        "listen = [\"127.0.0.1:0\"]\nusers = \"users.toml\"\ngreeting = \"Hello from config.\"\npassive_ports = \"0-0\"\n",
    )
    .unwrap();
    let srv = serve(&["--config", "ferroftp.toml"], dir.path());
    assert!(srv.quick_start.is_none());
    let (mut c, greeting) = Ctl::connect(&srv.addr);
    assert_eq!(greeting, "220 Hello from config.\r\n");
    assert!(c.cmd("USER bob").starts_with("331"));
    assert!(c.cmd("PASS builder").starts_with("230"));
    assert!(c.cmd("MKD x").starts_with("257"));
    assert!(home.join("x").is_dir());
}

#[test]
fn bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "lisen = [\"127.0.0.1:0\"]\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", "bad.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lisen"), "{err}");
}

/// `ferroftp user add NAME --home DIR --users FILE --password-stdin`, password on stdin.
fn add_user(users: &std::path::Path, name: &str, home: &std::path::Path, password: &str) {
    let mut add = Command::new(BIN)
        .args(["user", "add", name, "--home"])
        .arg(home)
        .arg("--users")
        .arg(users)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
}

#[test]
fn users_file_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "bob", &dir.path().join("bob"), "builder");
    let users_arg = users.to_str().unwrap();
    let srv = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--passive-ports",
            "0-0",
            "--users",
            users_arg,
        ],
        dir.path(),
    );
    let login = |user: &str, pass: &str| {
        let (mut c, _) = Ctl::connect(&srv.addr);
        c.cmd(&format!("USER {user}"));
        c.cmd(&format!("PASS {pass}"))
    };
    assert!(login("bob", "builder").starts_with("230"));
    // A user added while the server runs is unknown until SIGHUP.
    add_user(&users, "carol", &dir.path().join("carol"), "singer");
    assert!(login("carol", "singer").starts_with("530"));
    let ok = Command::new("kill")
        .args(["-HUP", &srv.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut reloaded = false;
    for _ in 0..50 {
        if login("carol", "singer").starts_with("230") {
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(reloaded, "carol cannot log in after SIGHUP");
    // A broken users file on reload keeps the users the server has.
    std::fs::write(&users, "not toml [[[").unwrap();
    let _ = Command::new("kill")
        .args(["-HUP", &srv.child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    assert!(login("bob", "builder").starts_with("230"));
}

#[test]
fn log_has_one_line_per_command_and_never_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut password = String::new();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.split("password \"").nth(1) {
            password = rest.split('"').next().unwrap().to_owned();
        }
        if let Some(a) = line.strip_prefix("listening on ftp://") {
            break a.to_owned();
        }
    };
    let (mut c, _) = Ctl::connect(&addr);
    c.cmd("USER ftpuser");
    assert!(c.cmd(&format!("PASS {password}")).starts_with("230"));
    c.cmd("NOOP");
    c.cmd("QUIT");
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(!text.contains(&password), "password in the log:\n{text}");
    assert!(text.contains("PASS ****"), "{text}");
    let noop = text
        .lines()
        .find(|l| l.contains("command=NOOP"))
        .expect("NOOP logged");
    assert!(noop.contains("session{id=1"), "{noop}");
}
