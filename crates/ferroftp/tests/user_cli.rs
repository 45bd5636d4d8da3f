//! Runs the built `ferroftp` binary's `user` subcommands against a temporary users file.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::UsersFile;

/// Runs `ferroftp ARGS` with `stdin` as its standard input and no FERROFTP_USERS from the
/// environment unless `users_env` is given.
fn ferroftp(args: &[&str], stdin: &str, users_env: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferroftp"));
    cmd.args(args)
        .env_remove("FERROFTP_USERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = users_env {
        cmd.env("FERROFTP_USERS", path);
    }
    let mut child = cmd.spawn().expect("spawn ferroftp");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The process may exit before reading (usage errors); a broken pipe is fine then.
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("wait for ferroftp")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit status `code` and, on failure, a single-line message on stderr.
fn assert_status(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    if code == 1 {
        assert_eq!(stderr(o).lines().count(), 1, "stderr: {}", stderr(o));
    }
}

#[test]
fn add_list_passwd_del() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    let users_arg = users.to_str().expect("utf-8 temp path");
    let alice_home = dir.path().join("homes/alice");
    let alice_home_arg = alice_home.to_str().expect("utf-8 temp path");

    // Add: the users file and the home directory are created.
    let o = ferroftp(
        &[
            "user",
            "add",
            "alice",
            "--home",
            alice_home_arg,
            "--users",
            users_arg,
            "--password-stdin",
        ],
        " s3cret pw\n",
        None,
    );
    assert_status(&o, 0);
    assert!(alice_home.is_dir(), "home created");
    let text = std::fs::read_to_string(&users).expect("users file written");
    assert!(text.contains("name = \"alice\""), "{text}");
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(!text.contains("s3cret"), "no plaintext: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&users)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let file = UsersFile::load(&users).expect("load");
    // Only the newline is trimmed: the leading space is part of the password.
    let account = file.verify("alice", " s3cret pw").expect("password works");
    assert_eq!(
        account.home,
        std::fs::canonicalize(&alice_home).expect("canonical home")
    );
    assert_eq!(account.permissions, Permissions::ALL);
    assert!(file.verify("alice", "s3cret pw").is_err());

    // Adding the same name again fails.
    let o = ferroftp(
        &[
            "user",
            "add",
            "alice",
            "--home",
            alice_home_arg,
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "other\n",
        None,
    );
    assert_status(&o, 1);
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));

    // The users file may come from FERROFTP_USERS; CRLF is trimmed too.
    let bob_home = dir.path().join("bob");
    let o = ferroftp(
        &[
            "user",
            "add",
            "bob",
            "--home",
            bob_home.to_str().expect("utf-8"),
            "--read-only",
            "--password-stdin",
        ],
        "hunter2\r\n",
        Some(&users),
    );
    assert_status(&o, 0);
    let file = UsersFile::load(&users).expect("load");
    let bob = file.verify("bob", "hunter2").expect("bob's password");
    assert_eq!(bob.permissions, Permissions::READ_ONLY);

    // List shows both, in order, with their permissions.
    let o = ferroftp(&["user", "list", "--users", users_arg], "", None);
    assert_status(&o, 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("alice\t"), "{out}");
    assert!(lines[0].ends_with("\tall"), "{out}");
    assert!(lines[1].starts_with("bob\t"), "{out}");
    assert!(lines[1].ends_with("\tread-only"), "{out}");

    // Passwd replaces the password.
    let o = ferroftp(
        &[
            "user",
            "passwd",
            "alice",
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "n3w\n",
        None,
    );
    assert_status(&o, 0);
    let file = UsersFile::load(&users).expect("load");
    assert!(file.verify("alice", "n3w").is_ok());
    assert!(file.verify("alice", " s3cret pw").is_err());

    // Empty passwords are refused and change nothing.
    let before = std::fs::read_to_string(&users).expect("read");
    for input in ["\n", ""] {
        let o = ferroftp(
            &[
                "user",
                "passwd",
                "alice",
                "--users",
                users_arg,
                "--password-stdin",
            ],
            input,
            None,
        );
        assert_status(&o, 1);
        assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(&users).expect("read"), before);

    // Passwd of an unknown user.
    let o = ferroftp(
        &[
            "user",
            "passwd",
            "carol",
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "x\n",
        None,
    );
    assert_status(&o, 1);
    assert!(stderr(&o).contains("no such user"), "{}", stderr(&o));

    // Del removes the user but leaves the home directory.
    let o = ferroftp(&["user", "del", "bob", "--users", users_arg], "", None);
    assert_status(&o, 0);
    assert!(bob_home.is_dir(), "home left in place");
    let o = ferroftp(&["user", "list", "--users", users_arg], "", None);
    assert_status(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).starts_with("alice\t"));

    // Deleting again fails.
    let o = ferroftp(&["user", "del", "bob", "--users", users_arg], "", None);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("no such user"), "{}", stderr(&o));

    // No temporary files left next to the users file.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".tmp")),
        "leftovers: {names:?}"
    );
}

#[test]
fn invalid_names_and_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    let users_arg = users.to_str().expect("utf-8 temp path");
    let home = dir.path().join("h");
    let home_arg = home.to_str().expect("utf-8 temp path");

    for name in ["a b", "a:b", "a/b", ""] {
        let o = ferroftp(
            &[
                "user",
                "add",
                name,
                "--home",
                home_arg,
                "--users",
                users_arg,
                "--password-stdin",
            ],
            "pw\n",
            None,
        );
        assert_status(&o, 1);
        assert!(stderr(&o).contains("invalid user name"), "{}", stderr(&o));
    }
    assert!(!users.exists(), "nothing written");
    assert!(!home.exists(), "no home created for a refused user");

    // Usage errors exit with 2: missing --home, missing users file, unknown subcommand.
    let o = ferroftp(
        &["user", "add", "x", "--users", users_arg, "--password-stdin"],
        "pw\n",
        None,
    );
    assert_status(&o, 2);
    let o = ferroftp(&["user", "list"], "", None);
    assert_status(&o, 2);
    let o = ferroftp(&["user", "frobnicate"], "", None);
    assert_status(&o, 2);

    // Listing a file that does not exist yet is not an error: there are no users.
    let o = ferroftp(&["user", "list", "--users", users_arg], "", None);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "");

    // A broken users file is reported with its position.
    std::fs::write(&users, "[[user]]\nname = \"a\"\nbogus = 1\n").expect("write");
    let o = ferroftp(&["user", "list", "--users", users_arg], "", None);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("line "), "{}", stderr(&o));
}

#[test]
fn help_lists_everything() {
    let o = ferroftp(&["--help"], "", None);
    assert_status(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("serve") && out.contains("user"), "{out}");

    let o = ferroftp(&["serve", "--help"], "", None);
    assert_status(&o, 0);
    let out = stdout(&o);
    for flag in [
        "--config",
        "--listen",
        "--users",
        "--passive-ports",
        "--passive-address",
        "--greeting",
        "--max-connections",
        "--max-connections-per-ip",
        "--idle-timeout",
        "--data-timeout",
        "--login-failure-delay-ms",
        "--allow-user-switch",
        "--allow-foreign-data-address",
        "--shutdown-grace",
        "--host",
        "--anonymous-root",
        "--anonymous-writable",
        "--root",
        "--log",
    ] {
        assert!(
            out.contains(flag),
            "{flag} missing from serve --help:\n{out}"
        );
    }
}
