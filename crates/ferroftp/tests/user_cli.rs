//! Runs the built `ferroftp` binary's `user` subcommands against a temporary users file.

mod common;

use std::path::Path;
use std::process::Output;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::UsersFile;

/// Runs `ferroftp ARGS` with `stdin` as its standard input and no FERROFTP_USERS from the
/// environment unless `users_env` is given.
fn ferroftp(args: &[&str], stdin: &str, users_env: Option<&Path>) -> Output {
    let mut cmd = common::ferroftp(args);
    if let Some(path) = users_env {
        cmd.env("FERROFTP_USERS", path);
    }
    common::finish(cmd, stdin.as_bytes()).output
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

/// A users file as an administrator might write it by hand: comments everywhere, odd spacing,
/// keys out of the usual order.
fn hand_written(hash: &str, home: &Path) -> String {
    let home = home.display();
    format!(
        "# FTP users of the build farm.\n\
         # Ask Jo before adding anyone.\n\
         \n\
         [[user]]\n\
         name = \"alice\"   # the admin\n\
         home = \"{home}/alice\"\n\
         password    =    \"{hash}\"  # rotated in May\n\
         \n\
         # Bob only downloads.\n\
         [[user]]\n\
         name = \"bob\"\n\
         password = \"{hash}\"\n\
         home = \"{home}/bob\"   # shared with ops\n\
         read_only = true\n\
         \n\
         # Carol uploads nightly builds.\n\
         [[user]]\n\
         name = \"carol\"\n\
         password = \"{hash}\"\n\
         home = \"{home}/carol\"\n\
         \n\
         # end of users\n"
    )
}

/// Lines of `after` missing from `before`, and lines of `before` missing from `after`.
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let missing_from = |text: &str, other: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !other.lines().any(|o| o == *l))
            .map(str::to_owned)
            .collect()
    };
    (missing_from(after, before), missing_from(before, after))
}

#[test]
fn comments_and_layout_survive_every_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    let users_arg = users.to_str().expect("utf-8 temp path");
    let homes = dir.path().join("homes");
    let hash = ferroftp_server::users_file::hash_password("old pw").expect("hash");
    let original = hand_written(&hash, &homes);
    std::fs::write(&users, &original).expect("write users file");
    let read = || std::fs::read_to_string(&users).expect("read users file");

    // Add: the old text is kept whole and the new user comes after it.
    let dave_home = homes.join("dave");
    let o = ferroftp(
        &[
            "user",
            "add",
            "dave",
            "--home",
            dave_home.to_str().expect("utf-8"),
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "dave pw\n",
        None,
    );
    assert_status(&o, 0);
    let after_add = read();
    assert!(after_add.starts_with(&original), "{after_add}");
    assert!(after_add[original.len()..].contains("name = \"dave\""));
    let file = UsersFile::load(&users).expect("load");
    assert!(file.verify("dave", "dave pw").is_ok());
    assert!(file.verify("alice", "old pw").is_ok());

    // Passwd: one line changes, and it keeps its spacing and its comment.
    let o = ferroftp(
        &[
            "user",
            "passwd",
            "alice",
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "new pw\n",
        None,
    );
    assert_status(&o, 0);
    let after_passwd = read();
    let (added, removed) = changed_lines(&after_add, &after_passwd);
    assert_eq!(removed.len(), 1, "{after_passwd}");
    assert!(removed[0].starts_with("password    =    \""), "{removed:?}");
    assert_eq!(added.len(), 1, "{after_passwd}");
    assert!(
        added[0].starts_with("password    =    \"$argon2id$"),
        "{added:?}"
    );
    assert!(added[0].ends_with("\"  # rotated in May"), "{added:?}");
    let file = UsersFile::load(&users).expect("load");
    assert!(file.verify("alice", "new pw").is_ok());
    assert!(file.verify("alice", "old pw").is_err());

    // Set: the changed value keeps its comment; new keys are added to the user's table.
    let bob_home = homes.join("bob2");
    let o = ferroftp(
        &[
            "user",
            "set",
            "bob",
            "--home",
            bob_home.to_str().expect("utf-8"),
            "--tls",
            "all",
            "--users",
            users_arg,
        ],
        "",
        None,
    );
    assert_status(&o, 0);
    let after_set = read();
    let bob_home = std::fs::canonicalize(&bob_home).expect("home created");
    let (added, removed) = changed_lines(&after_passwd, &after_set);
    assert_eq!(
        removed,
        [format!(
            "home = \"{}/bob\"   # shared with ops",
            homes.display()
        )],
        "{after_set}"
    );
    assert_eq!(
        added,
        [
            format!("home = \"{}\"   # shared with ops", bob_home.display()),
            "tls = \"all\"".to_owned(),
        ],
        "{after_set}"
    );

    // Del: the user's lines and the comment above them go, everything else stays.
    let o = ferroftp(&["user", "del", "bob", "--users", users_arg], "", None);
    assert_status(&o, 0);
    let after_del = read();
    let bob_start = after_set
        .find("# Bob only downloads.")
        .expect("bob's comment");
    let bob_end = after_set.find("# Carol uploads").expect("carol's comment");
    let expected = format!("{}{}", &after_set[..bob_start], &after_set[bob_end..]);
    assert_eq!(after_del, expected);
    let file = UsersFile::load(&users).expect("load");
    let names: Vec<&str> = file.users().map(|u| u.name()).collect();
    assert_eq!(names, ["alice", "carol", "dave"]);
}

#[test]
fn set_changes_each_field_and_list_shows_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    let users_arg = users.to_str().expect("utf-8 temp path");
    let home = dir.path().join("erin");
    let o = ferroftp(
        &[
            "user",
            "add",
            "erin",
            "--home",
            home.to_str().expect("utf-8"),
            "--users",
            users_arg,
            "--password-stdin",
        ],
        "erin pw\n",
        None,
    );
    assert_status(&o, 0);
    let set = |args: &[&str]| {
        let mut all = vec!["user", "set", "erin", "--users", users_arg];
        all.extend_from_slice(args);
        let o = ferroftp(&all, "", None);
        assert_status(&o, 0);
        UsersFile::load(&users)
            .expect("load")
            .get("erin")
            .expect("erin is still there")
            .clone()
    };
    let list = || {
        let o = ferroftp(&["user", "list", "--users", users_arg], "", None);
        assert_status(&o, 0);
        let out = stdout(&o);
        assert!(!out.contains("argon2"), "the hash is never listed: {out}");
        out
    };

    let home = std::fs::canonicalize(&home).expect("home");
    let out = list();
    assert_eq!(out, format!("erin\t{}\ttls=none\tall\n", home.display()));

    // Permissions, as an explicit list.
    let erin = set(&["--permissions", "list,read,mkdir"]);
    let expected = Permissions {
        list: true,
        read: true,
        write: false,
        delete: false,
        rename: false,
        mkdir: true,
    };
    assert_eq!(erin.permissions(), expected);
    assert!(list().ends_with("\tlist,read,mkdir\n"));
    let erin = set(&["--permissions", "none"]);
    assert!(!erin.permissions().list && !erin.permissions().read);
    assert!(list().ends_with("\tnone\n"));

    // Read-only and read-write replace a permissions list.
    let erin = set(&["--read-only"]);
    assert_eq!(erin.permissions(), Permissions::READ_ONLY);
    assert!(list().ends_with("\tread-only\n"));
    let erin = set(&["--read-write"]);
    assert_eq!(erin.permissions(), Permissions::ALL);
    assert!(!std::fs::read_to_string(&users)
        .expect("read")
        .contains("permissions"));

    // TLS policy.
    for policy in ["login", "all", "none"] {
        let erin = set(&["--tls", policy]);
        let word = match erin.tls_required() {
            Some(ferroftp_proto::session::TlsRequired::None) => "none",
            Some(ferroftp_proto::session::TlsRequired::Login) => "login",
            Some(ferroftp_proto::session::TlsRequired::All) => "all",
            None => "unset",
        };
        assert_eq!(word, policy);
        assert!(list().contains(&format!("\ttls={policy}\t")));
    }

    // Home: created, stored absolute.
    let new_home = dir.path().join("homes/erin2");
    let erin = set(&["--home", new_home.to_str().expect("utf-8")]);
    let new_home = std::fs::canonicalize(&new_home).expect("new home created");
    assert_eq!(erin.home(), new_home);
    assert!(list().starts_with(&format!("erin\t{}\t", new_home.display())));

    // The password was never touched.
    let file = UsersFile::load(&users).expect("load");
    assert!(file.verify("erin", "erin pw").is_ok());

    // Errors: unknown user, unknown permission, nothing to change, contradictory flags;
    // none of them changes the file.
    let before = std::fs::read_to_string(&users).expect("read");
    let o = ferroftp(
        &["user", "set", "nobody", "--read-only", "--users", users_arg],
        "",
        None,
    );
    assert_status(&o, 1);
    assert!(stderr(&o).contains("no such user"), "{}", stderr(&o));
    let o = ferroftp(
        &[
            "user",
            "set",
            "erin",
            "--permissions",
            "fly",
            "--users",
            users_arg,
        ],
        "",
        None,
    );
    assert_status(&o, 1);
    assert!(stderr(&o).contains("unknown permission"), "{}", stderr(&o));
    for args in [
        &["user", "set", "erin", "--users", users_arg][..],
        &[
            "user",
            "set",
            "erin",
            "--read-only",
            "--read-write",
            "--users",
            users_arg,
        ],
        &[
            "user",
            "set",
            "erin",
            "--read-only",
            "--permissions",
            "list",
            "--users",
            users_arg,
        ],
        &[
            "user", "set", "erin", "--tls", "maybe", "--users", users_arg,
        ],
    ] {
        let o = ferroftp(args, "", None);
        assert_status(&o, 2);
    }
    assert_eq!(std::fs::read_to_string(&users).expect("read"), before);
}
