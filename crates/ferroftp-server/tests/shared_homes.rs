//! Descriptors of idle sessions (issue 9): sessions whose home is the same directory share
//! one handle on it, so N logged-in sessions of one user hold N + 1 descriptors (their
//! control connections and the home), not 2N; and a home an administrator replaced is not
//! served from the old handle.

#![cfg(target_os = "linux")]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::ServerConfig;

/// The descriptor count is process-wide: the tests of this file take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn config() -> ServerConfig {
    ServerConfig {
        listen: vec!["127.0.0.1:0".parse().expect("addr")],
        passive_ports: 0..=0,
        ..ServerConfig::default()
    }
}

// Guards the shared home handle: every login used to open its own handle on the home,
// two descriptors per idle session.
#[test]
fn n_sessions_of_one_user_hold_n_plus_one_descriptors() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const N: usize = 40;
    // No sweep of stale uploads: its brief descriptors would blur the count.
    let server = TestServer::start_with(|c| c.stale_upload_sweep_limit = 0);
    let baseline = open_descriptors();
    let mut sessions = Vec::new();
    for _ in 0..N {
        sessions.push(server.raw_logged_in());
    }
    // This process holds both ends: N client sockets, and on the server N control
    // connections plus one handle on the home.
    let want = baseline + N + N + 1;
    let mut seen = 0;
    let settled = wait_until(deadline(), || {
        seen = open_descriptors();
        seen == want
    });
    assert!(
        settled,
        "{seen} descriptors open, want {want} (baseline {baseline})"
    );
    for mut s in sessions {
        assert_eq!(s.code("QUIT"), 221);
    }
    // The home's handle closes with its last session.
    let settled = wait_until(deadline(), || {
        seen = open_descriptors();
        seen == baseline
    });
    assert!(
        settled,
        "{seen} descriptors open after QUIT, want {baseline}"
    );
}

// Guards the identity check: a home moved away and made anew at the same path is opened
// anew, while a session that logged in before keeps the directory it started in.
#[test]
fn a_replaced_home_is_not_served_from_the_old_handle() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).expect("home");
    std::fs::write(home.join("old.txt"), b"old").expect("old file");
    let auth = Arc::new(StaticAuthenticator::new(
        USER,
        PASS,
        &home,
        Permissions::ALL,
    ));
    let server = TestServer::start_serving(tempfile::tempdir().expect("tempdir"), auth, config());
    let mut before = server.raw_logged_in();
    assert_eq!(before.code("SIZE old.txt"), 213);

    std::fs::rename(&home, tmp.path().join("home.old")).expect("move the home away");
    std::fs::create_dir(&home).expect("a new home");
    std::fs::write(home.join("new.txt"), b"new!").expect("new file");

    let mut after = server.raw_logged_in();
    assert_eq!(after.cmd("SIZE new.txt").0, 213);
    assert_eq!(after.code("SIZE old.txt"), 550);
    // The earlier session still works in the directory it logged in to.
    assert_eq!(before.code("SIZE old.txt"), 213);
    assert_eq!(before.code("SIZE new.txt"), 550);
}
