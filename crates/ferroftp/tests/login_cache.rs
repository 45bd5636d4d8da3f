//! The credential cache through the real binary: logins that were answered from the cache
//! (the debug log says so) stop working the moment `ferroftp user passwd` or `user del`
//! is followed by SIGHUP, and the new password is cached in its turn.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::{add_user, deadline, del_user, log_shows, set_password, wait_until};

/// One login on a fresh connection: the reply to PASS.
fn login(addr: &str, user: &str, password: &str) -> String {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let mut cmd = |text: &str| {
        if !text.is_empty() {
            r.get_mut()
                .write_all(format!("{text}\r\n").as_bytes())
                .expect("send");
        }
        line.clear();
        r.read_line(&mut line).expect("reply");
        line.clone()
    };
    assert!(cmd("").starts_with("220"));
    assert!(cmd(&format!("USER {user}")).starts_with("331"));
    let reply = cmd(&format!("PASS {password}"));
    let _ = cmd("QUIT");
    reply
}

/// How many logins the log shows as answered from the credential cache.
fn hits(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("password confirmed by the credential cache")
        .count()
}

// Guards "the credential cache never accepts a changed or removed password", end to end:
// the logins before the change are shown to be cache hits, so the refusals after SIGHUP
// prove the cache let nothing through. The old password and the removed user get 530 (and
// no hit); the new password works, is then cached, and the other user's entry is gone too
// (it pays argon2 once more) while their password still works.
#[test]
fn passwd_and_del_with_sighup_beat_the_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let users = dir.path().join("users.toml");
    add_user(&users, "bob", &dir.path().join("bob"), "old-pw");
    add_user(&users, "dave", &dir.path().join("dave"), "daves-pw");
    add_user(&users, "erin", &dir.path().join("erin"), "erins-pw");
    let log = dir.path().join("server.log");
    let srv = common::Serve::local(&[
        "--log",
        "info,ferroftp_server::control::login=debug",
        "--users",
        users.to_str().expect("utf-8 path"),
    ])
    .current_dir(dir.path())
    .log_to(&log)
    .start();
    for _ in 0..2 {
        for (user, pass) in [
            ("bob", "old-pw"),
            ("dave", "daves-pw"),
            ("erin", "erins-pw"),
        ] {
            assert!(login(&srv.addr, user, pass).starts_with("230"));
        }
    }
    assert!(
        wait_until(deadline(), || hits(&log) == 3),
        "the second round was not answered from the cache: {} hits",
        hits(&log)
    );

    set_password(&users, "bob", "new-pw");
    del_user(&users, "dave");
    assert!(srv.signal("HUP"));
    let reloaded = log_shows(&log, "users file reloaded");
    assert!(reloaded, "no reload in the log");

    for _ in 0..2 {
        assert!(login(&srv.addr, "bob", "old-pw").starts_with("530"));
        assert!(login(&srv.addr, "dave", "daves-pw").starts_with("530"));
    }
    assert!(login(&srv.addr, "bob", "new-pw").starts_with("230"));
    assert!(login(&srv.addr, "erin", "erins-pw").starts_with("230"));
    // Lines reach the log in order: once the last login's line is there, a hit among the
    // refusals would be too.
    let last_login = wait_until(deadline(), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.matches("login ok").count() == 8)
    });
    assert!(
        last_login,
        "the logins after the reload are not all in the log"
    );
    assert_eq!(
        hits(&log),
        3,
        "no login after the reload came from the cache"
    );
    assert!(login(&srv.addr, "bob", "new-pw").starts_with("230"));
    assert!(login(&srv.addr, "erin", "erins-pw").starts_with("230"));
    assert!(
        wait_until(deadline(), || hits(&log) == 5),
        "the new password and erin's are cached again: {} hits",
        hits(&log)
    );
}
