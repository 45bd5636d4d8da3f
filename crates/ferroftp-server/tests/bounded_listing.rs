//! Listings do bounded work and say nothing false: the local backend reads a directory in
//! batches on the blocking pool and never keeps a blocking thread waiting for a client that
//! does not read; client patterns have caps; names cannot forge entries. Also SITE CHMOD's
//! limits, which guard the same served tree.

mod common;

use std::time::Duration;

use common::{read_all, TestServer};

use ferroftp_proto::path::VPath;
use ferroftp_server::storage::{LocalStorage, Storage};
use futures::StreamExt as _;

/// Guards the parked blocking thread of the report: with a blocking pool of one thread, a
/// listing whose consumer stopped after one entry (a client that never reads) must leave
/// that thread free, so other file operations still run. Before, the listing's reader held
/// the thread in a blocking send as soon as its channel was full, and the `metadata` call
/// below never ran.
#[test]
fn a_stalled_listing_holds_no_blocking_thread() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // More entries than one batch and than the old read-ahead channel held.
    for i in 0..1000 {
        std::fs::write(tmp.path().join(format!("f{i:04}")), b"x").expect("write");
    }
    let runtime = common::one_blocking_thread_runtime();
    runtime.block_on(async {
        let storage = LocalStorage::new(tmp.path()).expect("open");
        let mut stalled = storage.list(&VPath::root()).await.expect("list");
        assert!(stalled.next().await.is_some());
        // The stalled stream stays alive (the client is still connected) while another
        // operation needs the one blocking thread. The deadline only turns a hang into a
        // failure; nothing is timed.
        let other = tokio::time::timeout(
            Duration::from_secs(30),
            storage.metadata(&VPath::root().join("f0001").expect("path")),
        )
        .await;
        assert!(
            matches!(other, Ok(Ok(_))),
            "the stalled listing kept the blocking thread: {other:?}"
        );
        // And the stalled listing goes on where it stopped, to the end.
        let mut rest = 0;
        while let Some(entry) = stalled.next().await {
            entry.expect("entry");
            rest += 1;
        }
        assert_eq!(rest, 999);
    });
}

/// Runs a listing command over PASV and returns its data and final reply code.
fn listing(r: &mut common::Raw, line: &str) -> (String, u16) {
    let data = r.pasv();
    let (code, text) = r.cmd(line);
    assert_eq!(code, 150, "{line}: {text}");
    let bytes = read_all(data);
    (String::from_utf8_lossy(&bytes).into_owned(), r.reply().0)
}

/// Guards the fake entries of the report: a file name with a line break and other control
/// characters shows as one line with `?` in every listing format, NLST included.
#[test]
fn control_characters_never_forge_entries() {
    let s = TestServer::start();
    s.write(
        "evil\r\n-rw-r--r-- 1 ftp ftp 1 Jan 1 2020 fake\x1b[2J",
        b"x",
    );
    let mut r = s.raw_logged_in();
    let shown = "evil??-rw-r--r-- 1 ftp ftp 1 Jan 1 2020 fake?[2J";
    for verb in ["NLST", "LIST", "MLSD", "NLST e*"] {
        let (text, code) = listing(&mut r, verb);
        assert_eq!(code, 226, "{verb}");
        assert_eq!(text.matches("\r\n").count(), 1, "{verb}: {text:?}");
        assert!(text.ends_with(&format!("{shown}\r\n")), "{verb}: {text:?}");
        assert!(!text.contains('\x1b'), "{verb}: {text:?}");
    }
    let (code, text) = r.cmd("STAT .");
    assert_eq!(code, 212, "{text}");
    assert!(text.contains(shown) && !text.contains('\x1b'), "{text:?}");
}

/// Guards the pattern cap over the wire: the 4 KB pattern of the report gets `501` without
/// a data connection being used; a pattern within the caps lists as before.
#[test]
fn oversized_patterns_are_refused() {
    let s = TestServer::start();
    s.write("a.txt", b"a");
    s.write("b.bin", b"b");
    let mut r = s.raw_logged_in();
    let _data = r.pasv();
    let (code, text) = r.cmd(&format!("NLST *{}", "[".repeat(4000)));
    assert_eq!(code, 501, "{text}");
    let (code, text) = r.cmd(&format!("LIST {}", "*a".repeat(40)));
    assert_eq!(code, 501, "{text}");
    let (names, code) = listing(&mut r, "NLST *.t[a-z]t");
    assert_eq!((names.as_str(), code), ("a.txt\r\n", 226));
}

/// Guards `SITE CHMOD 000 /` (an account locked out for good): refused with `550` for the
/// root by name and through a link that leads back to it; other paths still work.
#[test]
fn chmod_never_touches_the_root() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = TestServer::start();
    s.write("f.txt", b"f");
    std::os::unix::fs::symlink(".", s.path("self")).expect("symlink");
    let before = std::fs::metadata(s.root.path())
        .expect("root")
        .permissions()
        .mode();
    let mut r = s.raw_logged_in();
    for line in [
        "SITE CHMOD 000 /",
        "SITE CHMOD 000 .",
        "SITE CHMOD 000 self",
    ] {
        let (code, text) = r.cmd(line);
        assert_eq!(code, 550, "{line}: {text}");
    }
    let after = std::fs::metadata(s.root.path())
        .expect("root")
        .permissions()
        .mode();
    assert_eq!(before, after);
    assert_eq!(r.code("SITE CHMOD 600 f.txt"), 200);
    let mode = std::fs::metadata(s.path("f.txt"))
        .expect("f")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Guards the shared anonymous tree: even with the whole anonymous root writable (no drop
/// directory), SITE CHMOD is refused unless `anonymous_chmod` is on.
#[test]
fn anonymous_chmod_is_off_unless_configured() {
    use std::os::unix::fs::PermissionsExt as _;
    for allowed in [false, true] {
        let anon = tempfile::tempdir().expect("tempdir");
        std::fs::write(anon.path().join("pub.txt"), b"p").expect("write");
        let root = anon.path().to_owned();
        let s = TestServer::start_with(move |c| {
            c.anonymous = Some(ferroftp_server::AnonymousConfig {
                root,
                writable: true,
            });
            c.anonymous_chmod = allowed;
            // The whole root writable: in drop-directory mode chmod is refused anyway.
            c.anonymous_upload_dir = None;
        });
        let mut r = s.raw();
        assert_eq!(r.code("USER anonymous"), 331);
        assert_eq!(r.code("PASS guest@example.com"), 230);
        let want = if allowed { 200 } else { 550 };
        assert_eq!(r.code("SITE CHMOD 600 pub.txt"), want);
        let mode = std::fs::metadata(anon.path().join("pub.txt"))
            .expect("pub")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777 == 0o600, allowed);
        // The root stays out of reach either way.
        assert_eq!(r.code("SITE CHMOD 000 /"), 550);
        // A real user keeps SITE CHMOD.
        let mut u = s.raw_logged_in();
        assert_eq!(u.code("SITE CHMOD 644 x-missing"), 550);
        s.write("mine.txt", b"m");
        assert_eq!(u.code("SITE CHMOD 600 mine.txt"), 200);
    }
}
