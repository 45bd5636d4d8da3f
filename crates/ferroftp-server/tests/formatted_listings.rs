//! Listings the local backend formats on its own listing jobs, over real sockets: LIST,
//! MLSD and NLST of a local directory take that path, send exactly the bytes of the path
//! where the transfer formats each entry, and users behind a quota or the anonymous drop
//! directory still list as before.

mod common;

use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{read_all, Raw, TestServer};
use ferroftp_proto::path::VPath;
use ferroftp_server::storage::{
    Capabilities, ListingJobs, LocalStorage, Storage, StorageError, StorageFactory,
};
use ferroftp_server::users_file::{UsersFile, UsersFileAuthenticator};
use ferroftp_server::{AnonymousConfig, UserLimits};

/// Files, a sub-directory, links (inside, dangling, out of the root) and odd names (a line
/// break, an escape sequence, bytes that are not UTF-8) in `root`, with many files in
/// `many/` so that a listing takes several batches.
fn populate(root: &Path) {
    use std::os::unix::fs::symlink;
    std::fs::write(root.join("a.txt"), b"alpha").expect("write");
    std::fs::write(root.join("b.bin"), vec![0u8; 4096]).expect("write");
    std::fs::create_dir(root.join("sub")).expect("mkdir");
    std::fs::write(root.join("sub/inner.txt"), b"in").expect("write");
    symlink("a.txt", root.join("ln-file")).expect("symlink");
    symlink("sub", root.join("ln-dir")).expect("symlink");
    symlink("nowhere", root.join("ln-dangling")).expect("symlink");
    symlink("/etc", root.join("ln-out")).expect("symlink");
    for name in [
        b"line\nbreak.txt".as_slice(),
        b"esc\x1b[31m.txt",
        b"bad\xff\xfe.txt",
    ] {
        let path = root.join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, b"odd").expect("write odd");
    }
    std::fs::create_dir(root.join("many")).expect("mkdir");
    for i in 0..3000 {
        std::fs::write(root.join(format!("many/file-{i:05}.txt")), b"x").expect("write");
    }
}

/// The listing commands compared, in order (`OPTS MLST` changes the later MLSDs).
const COMMANDS: [&str; 10] = [
    "LIST",
    "MLSD",
    "NLST",
    "NLST *.txt",
    "NLST many/file-0001*",
    "LIST many",
    "MLSD many",
    "OPTS MLST type;size;",
    "MLSD",
    "LIST sub",
];

/// The bytes of each listing of [`COMMANDS`] in one session.
fn listings(r: &mut Raw) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for cmd in COMMANDS {
        if cmd.starts_with("OPTS") {
            assert_eq!(r.code(cmd), 200, "{cmd}");
            continue;
        }
        out.push(fetch(r, cmd));
    }
    out
}

/// One listing over a passive connection: its bytes, after checking its replies.
fn fetch(r: &mut Raw, cmd: &str) -> Vec<u8> {
    let conn = r.pasv();
    r.send(cmd);
    assert_eq!(r.reply().0, 150, "{cmd}");
    let data = read_all(conn);
    assert_eq!(r.reply().0, 226, "{cmd}");
    data
}

/// Guards the formatted path end to end: every local listing of a directory is formatted
/// on the listing jobs (the counter moves once per listing; without the path it stays
/// at 0), and sends the very bytes the transfer sends when it formats the entries itself
/// (the same directory through a backend without the formatted path).
#[test]
fn local_listings_are_formatted_on_the_jobs_with_the_same_bytes() {
    let jobs = ListingJobs::new(4);
    let entries_only = Arc::new(AtomicBool::new(false));
    let (shared, flag) = (jobs.clone(), Arc::clone(&entries_only));
    let s = TestServer::start_with(move |c| {
        c.storage = StorageFactory::new(Capabilities::ALL, move |account| {
            let local = LocalStorage::new(&account.home)
                .map_err(StorageError::from_io)?
                .with_listing_jobs(shared.clone());
            if flag.load(Ordering::SeqCst) {
                Ok(Arc::new(common::EntryListing {
                    inner: local,
                    listing: None,
                }) as Arc<dyn Storage>)
            } else {
                Ok(Arc::new(local) as Arc<dyn Storage>)
            }
        });
    });
    populate(s.root.path());

    let mut r = s.raw_logged_in();
    let formatted = listings(&mut r);
    let directories = COMMANDS.iter().filter(|c| !c.starts_with("OPTS")).count();
    assert_eq!(jobs.formatted_listings(), directories as u64);

    entries_only.store(true, Ordering::SeqCst);
    let mut r = s.raw_logged_in();
    let entries = listings(&mut r);
    assert_eq!(jobs.formatted_listings(), directories as u64, "no more");

    for ((cmd, got), want) in COMMANDS
        .iter()
        .filter(|c| !c.starts_with("OPTS"))
        .zip(&formatted)
        .zip(&entries)
    {
        assert_eq!(
            String::from_utf8_lossy(got),
            String::from_utf8_lossy(want),
            "{cmd}"
        );
        assert_eq!(got, want, "{cmd}");
    }
    // The listings are real: names, shown control characters, the whole big directory.
    let list = String::from_utf8_lossy(&formatted[0]);
    assert!(list.contains(" a.txt\r\n") && list.contains(" line?break.txt\r\n"));
    assert!(list.contains(" esc?[31m.txt\r\n"), "{list}");
    assert_eq!(formatted[5].split(|b| *b == b'\n').count(), 3001);
    assert!(String::from_utf8_lossy(&formatted[4]).starts_with("many/file-0001"));
}

/// Guards quota users: their storage forwards the formatted listing (a quota limits
/// writes, not listings), and their listings are complete.
#[test]
fn quota_users_list_through_the_formatted_path() {
    let home = tempfile::tempdir().expect("tempdir");
    populate(home.path());
    let mut users = UsersFile::new();
    users
        .add("carol", "pw", home.path(), false)
        .expect("add carol");
    let limits = UserLimits {
        quota_bytes: 1 << 20,
        quota_files: 10,
        ..UserLimits::default()
    };
    users.set_limits("carol", limits).expect("limits");
    let auth = Arc::new(UsersFileAuthenticator::new(users));
    let config = common::loopback_config();
    let jobs = config.storage.listing_jobs().clone();
    let s = TestServer::start_serving(home, auth, config);
    let mut r = Raw::connect(s.addr);
    assert_eq!(r.code("USER carol"), 331);
    assert_eq!(r.code("PASS pw"), 230);
    let before = jobs.formatted_listings();
    let names = fetch(&mut r, "NLST many");
    assert_eq!(names.split(|b| *b == b'\n').count(), 3001);
    let mlsd = String::from_utf8_lossy(&fetch(&mut r, "MLSD")).into_owned();
    assert!(mlsd.contains("type=file;size=5;"), "{mlsd}");
    assert!(
        mlsd.contains("type=dir;") && mlsd.contains(" sub\r\n"),
        "{mlsd}"
    );
    assert_eq!(jobs.formatted_listings(), before + 2);
    // The quota still applies on the same session (its files are used up already).
    let mut conn = r.pasv();
    r.send("STOR big.bin");
    let mut code = r.reply().0;
    if code == 150 {
        let _ = conn.write_all(&[0u8; 4096]);
        drop(conn);
        code = r.reply().0;
    }
    assert_eq!(code, 552);
}

/// Guards the drop directory: the anonymous storage does not forward the formatted
/// listing, so what it hides stays hidden (the drop directory lists empty) and the rest
/// lists through the entries as before.
#[test]
fn the_drop_directory_stays_hidden() {
    let anon = tempfile::tempdir().expect("tempdir");
    populate(anon.path());
    std::fs::create_dir(anon.path().join("incoming")).expect("mkdir");
    std::fs::write(anon.path().join("incoming/secret.txt"), b"s").expect("write");
    let root = anon.path().to_owned();
    let mut jobs = None;
    let s = TestServer::start_with(|c| {
        c.anonymous = Some(AnonymousConfig {
            root,
            writable: true,
        });
        c.anonymous_upload_dir = Some(VPath::root().resolve("/incoming").expect("path"));
        jobs = Some(c.storage.listing_jobs().clone());
    });
    let jobs = jobs.expect("jobs");
    let mut r = s.raw();
    assert_eq!(r.code("USER anonymous"), 331);
    assert_eq!(r.code("PASS guest@example.com"), 230);
    for cmd in ["LIST /incoming", "NLST /incoming", "MLSD /incoming"] {
        assert_eq!(fetch(&mut r, cmd), Vec::<u8>::new(), "{cmd}");
    }
    let list = String::from_utf8_lossy(&fetch(&mut r, "LIST")).into_owned();
    assert!(
        list.contains(" a.txt\r\n") && list.contains(" incoming\r\n"),
        "{list}"
    );
    assert!(!list.contains("secret"));
    assert_eq!(jobs.formatted_listings(), 0);
}

/// Guards the bounds of the formatted path: with a blocking pool of one thread, a
/// formatted listing whose consumer stopped after one chunk (a client that does not read)
/// leaves the thread free for other file operations, goes on to its end when read again,
/// and one given up half-way (ABOR, a closed connection) frees the thread for the next
/// listing. The deadlines only turn a hang into a failure; nothing is timed.
#[test]
fn a_stalled_formatted_listing_holds_no_blocking_thread() {
    use ferroftp_proto::listing::MlstFacts;
    use ferroftp_proto::perms::Permissions;
    use ferroftp_proto::session::ListFormat;
    use ferroftp_server::storage::ListLines;
    use futures::StreamExt as _;

    let tmp = tempfile::tempdir().expect("tempdir");
    for i in 0..5000 {
        std::fs::write(tmp.path().join(format!("f{i:05}")), b"x").expect("write");
    }
    let runtime = common::one_blocking_thread_runtime();
    runtime.block_on(async {
        let storage = LocalStorage::new(tmp.path()).expect("open");
        let lines = || {
            Arc::new(ListLines::new(
                ListFormat::Nlst,
                SystemTime::now(),
                MlstFacts::default(),
                Permissions::ALL,
                None,
                "",
            ))
        };
        let limit = Duration::from_secs(30);
        let root = VPath::root();
        let mut stalled = storage
            .list_formatted(&root, lines())
            .await
            .expect("list")
            .expect("formatted");
        let first = stalled.next().await.expect("a chunk").expect("bytes");
        let other =
            tokio::time::timeout(limit, storage.metadata(&root.join("f00001").expect("path")))
                .await;
        assert!(matches!(other, Ok(Ok(_))), "thread held: {other:?}");
        let mut names = first.split(|b| *b == b'\n').count() - 1;
        while let Some(chunk) = stalled.next().await {
            names += chunk.expect("bytes").split(|b| *b == b'\n').count() - 1;
        }
        assert_eq!(names, 5000);

        // Given up after one chunk: the next listing still gets the one thread.
        let mut given_up = storage
            .list_formatted(&root, lines())
            .await
            .expect("list")
            .expect("formatted");
        assert!(given_up.next().await.is_some());
        drop(given_up);
        let next = tokio::time::timeout(limit, async {
            let listing = storage.list_formatted(&root, lines()).await;
            let mut chunks = listing.expect("list").expect("formatted");
            let mut n = 0;
            while let Some(chunk) = chunks.next().await {
                n += chunk.expect("bytes").split(|b| *b == b'\n').count() - 1;
            }
            n
        })
        .await;
        assert_eq!(next.ok(), Some(5000));
    });
}
