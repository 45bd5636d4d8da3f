//! Per-user quotas over real sockets: users from a users file with `quota_bytes` and
//! `quota_files`, uploads that would go over them get `552` and leave nothing behind, and
//! every session of a user draws on one counter.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::{Raw, TestServer};
use ferroftp_server::users_file::{UsersFile, UsersFileAuthenticator};
use ferroftp_server::UserLimits;

const PASSWORD: &str = "pw";
const QUOTA_TEXT: &str =
    "552 Exceeded storage allocation: the quota is used up, delete files to make room.\r\n";

/// A server whose users come from a users file: `carol` with `limits` in `home`, and
/// `dave` without limits in his own directory.
fn start(limits: UserLimits, prepare: impl FnOnce(&Path)) -> TestServer {
    let home = tempfile::tempdir().expect("tempdir");
    prepare(home.path());
    let mut users = UsersFile::new();
    users
        .add("carol", PASSWORD, home.path(), false)
        .expect("add carol");
    users.set_limits("carol", limits).expect("limits");
    let auth = Arc::new(UsersFileAuthenticator::new(users));
    let config = common::loopback_config();
    TestServer::start_serving(home, auth, config)
}

trait Carol {
    fn login(&self) -> Raw;
    fn names(&self) -> Vec<String>;
}

impl Carol for TestServer {
    fn login(&self) -> Raw {
        let mut r = Raw::connect(self.addr);
        assert_eq!(r.code("USER carol"), 331);
        assert_eq!(r.code(&format!("PASS {PASSWORD}")), 230);
        assert_eq!(r.code("TYPE I"), 200);
        r
    }

    /// Names in the home directory, temporary upload files included.
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.root.path())
            .expect("read home")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

/// Sends `cmd` (STOR, APPE, ...) with `data` on a passive connection; returns the final
/// reply's text. The server may cut the data connection early: writes may then fail.
fn upload(r: &mut Raw, cmd: &str, data: &[u8]) -> String {
    let mut conn = r.pasv();
    r.send(cmd);
    let (code, text) = r.reply();
    if code != 150 {
        return text;
    }
    let _ = conn.write_all(data);
    drop(conn);
    r.reply().1
}

fn bytes_quota(n: u64) -> UserLimits {
    UserLimits {
        quota_bytes: n,
        ..UserLimits::default()
    }
}

/// Guards the byte quota: usage is counted from what is in the root at login, an upload
/// that would go over gets `552` and leaves neither the file nor a temporary file.
#[test]
fn an_upload_over_the_byte_quota_gets_552_and_leaves_nothing() {
    let s = start(bytes_quota(1000), |home| {
        std::fs::write(home.join("old.bin"), vec![1u8; 600]).expect("write");
    });
    let mut r = s.login();
    assert!(upload(&mut r, "STOR fits.bin", &[2u8; 300]).starts_with("226 "));
    // 900 used: 200 more do not fit.
    assert_eq!(upload(&mut r, "STOR big.bin", &[3u8; 200]), QUOTA_TEXT);
    assert_eq!(s.names(), ["fits.bin", "old.bin"]);
    // The session goes on, and a smaller file still fits.
    assert!(upload(&mut r, "STOR small.bin", &[4u8; 100]).starts_with("226 "));
}

/// Guards replacing: a file stored over an old one costs only the difference, and
/// deleting gives its bytes back.
#[test]
fn replacing_and_deleting_give_bytes_back() {
    let s = start(bytes_quota(1000), |home| {
        std::fs::write(home.join("a.bin"), vec![1u8; 800]).expect("write");
    });
    let mut r = s.login();
    // 800 in place of 800: fits although 800 + 800 > 1000.
    assert!(upload(&mut r, "STOR a.bin", &[5u8; 800]).starts_with("226 "));
    assert_eq!(upload(&mut r, "STOR b.bin", &[6u8; 300]), QUOTA_TEXT);
    assert_eq!(r.code("DELE a.bin"), 250);
    assert!(upload(&mut r, "STOR b.bin", &[6u8; 300]).starts_with("226 "));
    // A rename over another file frees the replaced one.
    assert!(upload(&mut r, "STOR c.bin", &[7u8; 600]).starts_with("226 "));
    assert_eq!(r.code("RNFR b.bin"), 350);
    assert_eq!(r.code("RNTO c.bin"), 250);
    assert!(upload(&mut r, "STOR d.bin", &[8u8; 600]).starts_with("226 "));
}

/// Guards APPE and REST: an in-place upload that goes over is cut back, so the file keeps
/// what it had before (for REST, the bytes before the offset).
#[test]
fn append_and_resume_over_quota_keep_the_old_bytes() {
    let s = start(bytes_quota(1000), |home| {
        std::fs::write(home.join("log.txt"), b"0123456789").expect("write");
    });
    let mut r = s.login();
    assert_eq!(upload(&mut r, "APPE log.txt", &[b'x'; 5000]), QUOTA_TEXT);
    assert_eq!(
        std::fs::read(s.path("log.txt")).expect("read"),
        b"0123456789"
    );
    assert_eq!(r.code("REST 4"), 350);
    assert_eq!(upload(&mut r, "STOR log.txt", &[b'y'; 5000]), QUOTA_TEXT);
    assert_eq!(std::fs::read(s.path("log.txt")).expect("read"), b"0123");
    // An APPE to a new name that goes over leaves no file.
    assert_eq!(upload(&mut r, "APPE new.txt", &[b'z'; 5000]), QUOTA_TEXT);
    assert_eq!(s.names(), ["log.txt"]);
    // And what fits still appends.
    assert!(upload(&mut r, "APPE log.txt", b"45").starts_with("226 "));
    assert_eq!(std::fs::read(s.path("log.txt")).expect("read"), b"012345");
}

/// Guards the file quota: a new file past it gets `552` before any data moves; replacing a
/// file does not count; deleting one makes room.
#[test]
fn the_file_quota_counts_new_files_only() {
    let limits = UserLimits {
        quota_files: 2,
        ..UserLimits::default()
    };
    let s = start(limits, |home| {
        std::fs::create_dir(home.join("sub")).expect("mkdir");
        std::fs::write(home.join("sub/one"), b"1").expect("write");
    });
    let mut r = s.login();
    assert!(upload(&mut r, "STOR two", b"2").starts_with("226 "));
    assert_eq!(upload(&mut r, "STOR three", b"3"), QUOTA_TEXT);
    assert_eq!(upload(&mut r, "STOU", b"3"), QUOTA_TEXT);
    assert!(upload(&mut r, "STOR two", b"22").starts_with("226 "));
    assert_eq!(r.code("DELE sub/one"), 250);
    assert!(upload(&mut r, "STOR three", b"3").starts_with("226 "));
    assert_eq!(s.names(), ["sub", "three", "two"]);
}

/// Guards the shared counter: two sessions of one user, both logged in before either
/// uploads, cannot both fill the same free space.
#[test]
fn sessions_of_one_user_share_the_quota() {
    let s = start(bytes_quota(1000), |_| {});
    let mut a = s.login();
    let mut b = s.login();
    assert!(upload(&mut a, "STOR a.bin", &[1u8; 600]).starts_with("226 "));
    assert_eq!(upload(&mut b, "STOR b.bin", &[2u8; 600]), QUOTA_TEXT);
    assert_eq!(b.code("DELE a.bin"), 250);
    assert!(upload(&mut a, "STOR c.bin", &[3u8; 900]).starts_with("226 "));
}

/// Guards that a user without a quota is not limited, and is not walked at login.
#[test]
fn no_quota_no_limit() {
    let s = start(UserLimits::default(), |_| {});
    let mut r = s.login();
    assert!(upload(&mut r, "STOR big.bin", &[0u8; 200_000]).starts_with("226 "));
    assert_eq!(
        std::fs::metadata(s.path("big.bin")).expect("stored").len(),
        200_000
    );
}
