//! The real binary: quick start, config file, users file, and shutdown on SIGTERM.

mod common;

use std::io::Read;
use std::process::Command;

use common::{add_user, deadline, del_user, log_shows, set_password, wait_until, Ctl, Served, BIN};

/// Starts `ferroftp serve ARGS` in `dir` and reads the quick-start line and the listening
/// address.
fn serve(args: &[&str], dir: &std::path::Path) -> Served {
    Served::start(args, dir)
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
    let status = srv.signal("TERM");
    assert!(status);
    let bye = c.line();
    assert!(bye.starts_with("421"), "{bye}");
    let exit = srv.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn sigterm_during_a_download_lets_it_finish() {
    // Far more than the socket buffers hold, so the server cannot finish sending while the
    // client is not reading.
    const SIZE: usize = 16 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut srv = common::Serve::new(&["--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .current_dir(dir.path())
        .log_to(&log)
        .start();
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("ftp-data/big.bin"), &content).unwrap();
    let (user, pass) = srv.quick_start.clone().expect("quick start credentials");
    let (mut c, _) = Ctl::connect(&srv.addr);
    assert!(c.cmd(&format!("USER {user}")).starts_with("331"));
    assert!(c.cmd(&format!("PASS {pass}")).starts_with("230"));
    assert!(c.cmd("TYPE I").starts_with("200"));
    let mut data = c.pasv();
    let opening = c.cmd("RETR big.bin");
    assert!(opening.starts_with("150"), "{opening}");
    // Take a little, then stop reading: the transfer is running and stalls on the socket.
    let mut received = vec![0u8; 64 * 1024];
    data.read_exact(&mut received).unwrap();

    assert!(srv.signal("TERM"));
    let shutting_down = log_shows(&log, "shutting down");
    assert!(shutting_down, "the server never logged its shutdown");
    // The server has the SIGTERM and the transfer has not ended: no 226 yet, and most of the
    // file still to come.
    assert!(!c.has_pending(), "the transfer ended before the SIGTERM");
    data.read_to_end(&mut received).unwrap();
    assert_eq!(received.len(), SIZE);
    assert!(received == content, "the download was corrupted");
    let done = c.line();
    assert!(done.starts_with("226"), "{done}");
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
    add_user(&users, "bob", &home, "builder");
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

#[test]
fn users_file_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "bob", &dir.path().join("bob"), "builder");
    let users_arg = users.to_str().unwrap();
    let log = dir.path().join("server.log");
    let srv = common::Serve::new(&[
        "--listen",
        "127.0.0.1:0",
        "--passive-ports",
        "0-0",
        "--users",
        users_arg,
    ])
    .current_dir(dir.path())
    .log_to(&log)
    .start();
    let login = |user: &str, pass: &str| {
        let (mut c, _) = Ctl::connect(&srv.addr);
        c.cmd(&format!("USER {user}"));
        c.cmd(&format!("PASS {pass}"))
    };
    assert!(login("bob", "builder").starts_with("230"));
    // A user added while the server runs is unknown until SIGHUP.
    add_user(&users, "carol", &dir.path().join("carol"), "singer");
    assert!(login("carol", "singer").starts_with("530"));
    let ok = srv.signal("HUP");
    assert!(ok);
    let reloaded = wait_until(deadline(), || login("carol", "singer").starts_with("230"));
    assert!(reloaded, "carol cannot log in after SIGHUP");
    // A broken users file on reload keeps the users the server has.
    std::fs::write(&users, "not toml [[[").unwrap();
    let _ = srv.signal("HUP");
    // The log says when the reload has been tried, so the login below comes after it.
    let tried = wait_until(deadline(), || {
        std::fs::read_to_string(&log)
            .is_ok_and(|l| l.contains("users file reload failed; keeping the old users"))
    });
    assert!(tried, "no failed reload in the log");
    assert!(login("bob", "builder").starts_with("230"));
}

// Guards the credential cache across SIGHUP: a password changed with `user passwd` and a
// user removed with `user del` are refused after the reload, although both logged in (and
// were cached) before it; the new password works.
#[test]
fn sighup_invalidates_cached_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "bob", &dir.path().join("bob"), "old-pw");
    add_user(&users, "dave", &dir.path().join("dave"), "daves-pw");
    let log = dir.path().join("server.log");
    let srv = common::Serve::local(&["--users", users.to_str().unwrap()])
        .current_dir(dir.path())
        .log_to(&log)
        .start();
    let login = |user: &str, pass: &str| {
        let (mut c, _) = Ctl::connect(&srv.addr);
        c.cmd(&format!("USER {user}"));
        c.cmd(&format!("PASS {pass}"))
    };
    for _ in 0..2 {
        assert!(login("bob", "old-pw").starts_with("230"));
        assert!(login("dave", "daves-pw").starts_with("230"));
    }
    set_password(&users, "bob", "new-pw");
    del_user(&users, "dave");
    assert!(srv.signal("HUP"));
    // The log says when the reload is done, so the logins below come after it.
    let reloaded = log_shows(&log, "users file reloaded");
    assert!(reloaded, "no reload in the log");
    assert!(login("bob", "old-pw").starts_with("530"));
    assert!(login("dave", "daves-pw").starts_with("530"));
    assert!(login("bob", "new-pw").starts_with("230"));
}

#[test]
fn log_has_one_line_per_command_and_never_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut srv = common::Serve::new(&["--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .current_dir(dir.path())
        .log_to(&log)
        .start();
    let (_, password) = srv.quick_start.clone().expect("quick start line");
    let (mut c, _) = Ctl::connect(&srv.addr);
    c.cmd("USER ftpuser");
    assert!(c.cmd(&format!("PASS {password}")).starts_with("230"));
    c.cmd("NOOP");
    c.cmd("QUIT");
    // Each command is logged as it is handled; once the QUIT's line is there, so are the
    // others.
    let logged = log_shows(&log, "command=QUIT");
    assert!(logged, "QUIT never logged");
    let _ = srv.child.kill();
    let _ = srv.child.wait();
    let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(!text.contains(&password), "password in the log:\n{text}");
    assert!(text.contains("PASS ****"), "{text}");
    let noop = text
        .lines()
        .find(|l| l.contains("command=NOOP"))
        .expect("NOOP logged");
    assert!(noop.contains("session{id=1"), "{noop}");
}

/// Guards the start-up sweep: the temporary upload files a killed server left in a user's
/// home go when the server starts, before anyone logs in; other files stay.
#[test]
fn stale_upload_files_are_swept_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    let home = dir.path().join("erin");
    add_user(&users, "erin", &home, "pw");
    std::fs::create_dir_all(home.join("deep")).unwrap();
    let stale = home.join("deep/.ferroftp-upload.00000000000000aa.tmp");
    std::fs::write(&stale, b"half an upload").unwrap();
    std::fs::write(home.join("keep.txt"), b"data").unwrap();
    let _srv = common::Serve::new(&[
        "--listen",
        "127.0.0.1:0",
        "--passive-ports",
        "0-0",
        "--users",
        users.to_str().unwrap(),
    ])
    .current_dir(dir.path())
    .start();
    // Nobody logs in: only the start-up sweep can remove it.
    assert!(
        wait_until(deadline(), || !stale.exists()),
        "the stale upload file is still there"
    );
    assert!(home.join("keep.txt").exists());
}
