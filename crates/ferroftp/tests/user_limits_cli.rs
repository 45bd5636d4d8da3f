//! `ferroftp user set` for the per-user limits: bandwidth and quotas round-trip through the
//! users file, and only the keys asked for change.

mod common;

use ferroftp_server::users_file::UsersFile;
use ferroftp_server::UserLimits;

fn run(args: &[&str], stdin: &str) -> common::Finished {
    common::finish(common::ferroftp(args), stdin.as_bytes())
}

/// Guards the `user set` limit flags: without them the limits could only be set by editing
/// the file by hand.
#[test]
fn limits_are_set_changed_and_removed_through_user_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    let users_arg = users.to_str().expect("utf-8");
    let home = dir.path().join("erin");
    let home_arg = home.to_str().expect("utf-8");
    let add = run(
        &[
            "user",
            "add",
            "erin",
            "--home",
            home_arg,
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    let limits = || {
        UsersFile::load(&users)
            .expect("load")
            .get("erin")
            .expect("erin")
            .limits()
    };
    assert_eq!(limits(), UserLimits::default());

    let set = |flags: &[&str]| {
        let mut all = vec!["user", "set", "erin", "--users", users_arg];
        all.extend_from_slice(flags);
        let o = run(&all, "");
        assert_eq!(o.code, 0, "{}", o.stderr);
        o.stdout
    };
    let out = set(&[
        "--download-rate",
        "1000000",
        "--upload-rate",
        "250000",
        "--quota-bytes",
        "5000000000",
        "--quota-files",
        "100",
    ]);
    assert!(out.contains("quota_bytes 5000000000"), "{out}");
    let all = UserLimits {
        download_rate: 1_000_000,
        upload_rate: 250_000,
        quota_bytes: 5_000_000_000,
        quota_files: 100,
    };
    assert_eq!(limits(), all);

    // One flag changes one limit; the others stay.
    set(&["--quota-files", "0"]);
    assert_eq!(
        limits(),
        UserLimits {
            quota_files: 0,
            ..all
        }
    );
    let text = std::fs::read_to_string(&users).expect("read");
    assert!(!text.contains("quota_files"), "0 removes the key: {text}");
    assert!(text.contains("download_rate = 1000000"), "{text}");

    // Not a number: a usage error, nothing changed.
    let mut bad = vec!["user", "set", "erin", "--users", users_arg];
    bad.extend_from_slice(&["--quota-bytes", "lots"]);
    assert_ne!(run(&bad, "").code, 0);
    assert_eq!(std::fs::read_to_string(&users).expect("read"), text);
}
