//! STOR of a new file with O_TMPFILE uploads (the perf issue, small uploads): the bytes go
//! to a file without a name, which takes its final name only once complete. Seen from
//! outside: while the upload runs, its bytes are on disk (the test server runs in this
//! process, so its open files show under /proc/self/fd) and the directory has no entry
//! for them; after 226 the file is there; ABOR leaves nothing behind.

#![cfg(target_os = "linux")]

mod common;

use std::io::Write as _;
use std::path::Path;

use common::{deadline, wait_until, TestServer};

/// Whether a file without a name in `dir` is open in this process with `len` bytes (a file
/// made with O_TMPFILE reads as `<dir>/#<inode> (deleted)` in /proc).
fn unnamed_file_of(dir: &Path, len: u64) -> bool {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    let prefix = format!("{}/#", dir.display());
    fds.flatten().any(|fd| {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            return false;
        };
        let target = target.to_string_lossy().into_owned();
        target.starts_with(&prefix)
            && target.ends_with(" (deleted)")
            && std::fs::metadata(fd.path()).is_ok_and(|m| m.len() == len)
    })
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether this machine's temporary directory takes O_TMPFILE (tmpfs and ext4 do).
fn o_tmpfile_here(dir: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::TMPFILE.bits() as i32)
        .open(dir)
        .is_ok()
}

// Guards the O_TMPFILE path end to end: an upload in progress is on disk with no name (no
// temporary name either, unlike the named path), not listed, and named once complete.
#[test]
fn a_new_file_in_progress_has_no_name_and_is_not_listed() {
    let s = TestServer::start();
    let root = s.root.path().to_path_buf();
    if !o_tmpfile_here(&root) {
        eprintln!("no O_TMPFILE here: skipped");
        return;
    }
    s.write("done.txt", b"x");
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);
    let mut data = r.pasv();
    r.send("STOR growing.bin");
    assert_eq!(r.reply().0, 150);
    data.write_all(&[1u8; 10_000]).expect("send");
    data.flush().expect("flush");
    assert!(
        wait_until(deadline(), || unnamed_file_of(&root, 10_000)),
        "the upload never reached a file without a name"
    );
    assert_eq!(names(&root), vec!["done.txt"]);
    let mut other = s.client();
    assert_eq!(other.nlst(None).expect("NLST"), vec!["done.txt"]);
    drop(data);
    assert_eq!(r.reply().0, 226);
    assert_eq!(names(&root), vec!["done.txt", "growing.bin"]);
    let got = std::fs::read(root.join("growing.bin")).expect("read");
    assert!(got.len() == 10_000 && got.iter().all(|b| *b == 1));
}

// Guards ABOR on the O_TMPFILE path: the partial upload goes with its descriptor, no name
// is ever made, and the session goes on.
#[test]
fn an_aborted_new_file_leaves_nothing() {
    let s = TestServer::start();
    let root = s.root.path().to_path_buf();
    if !o_tmpfile_here(&root) {
        eprintln!("no O_TMPFILE here: skipped");
        return;
    }
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);
    let mut data = r.pasv();
    r.send("STOR partial.bin");
    assert_eq!(r.reply().0, 150);
    data.write_all(&[2u8; 3000]).expect("send");
    data.flush().expect("flush");
    assert!(wait_until(deadline(), || unnamed_file_of(&root, 3000)));
    r.abort_running_transfer("O_TMPFILE upload");
    assert!(wait_until(deadline(), || !unnamed_file_of(&root, 3000)));
    assert!(names(&root).is_empty(), "{:?}", names(&root));
    assert_eq!(r.code("NOOP"), 200);
}
