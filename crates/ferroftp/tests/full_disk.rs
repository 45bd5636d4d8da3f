//! A disk that fills up during an upload, for real: the binary runs in its own user and
//! mount namespace (`unshare`) with a 1 MiB tmpfs as its home, and every upload path (spliced
//! or buffered, a file without a name or a named temporary file) meets ENOSPC mid-transfer.
//! The client must get "insufficient storage", the old file must stay whole, no partial or
//! temporary file may be left, the space must come back, and the session must go on.

mod common;

use std::io::{Read, Write};
use std::net::Shutdown;

use common::{Ctl, Serve, Served};

/// The home's size: far less than the big uploads below.
const DISK: &str = "size=1m";
/// An upload that does not fit: long past the splice path's first 16 KiB read.
const TOO_BIG: usize = 3 * 1024 * 1024;

/// `ferroftp serve` in quick-start mode, in `dir`, inside a fresh user and mount namespace
/// where `dir/ftp-data` is a tmpfs of [`DISK`]; killed when dropped.
fn start(dir: &std::path::Path, extra: &[&str]) -> Served {
    std::fs::create_dir(dir.join("ftp-data")).unwrap();
    // The shell mounts the tmpfs in the new namespace, then becomes the server: the mount
    // lives exactly as long as the server does.
    let script = format!("mount -t tmpfs -o {DISK} tmpfs ftp-data && exec \"$@\"");
    let wrapper = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        &script,
        "sh",
    ];
    Serve::local_inside(&wrapper, extra)
        .current_dir(dir)
        .start()
}

/// Logged in on `srv` as its quick-start user, in TYPE I.
fn login(srv: &Served) -> Ctl {
    let (user, pass) = srv.quick_start.clone().expect("quick-start credentials");
    let (mut c, greeting) = Ctl::connect(&srv.addr);
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(c.cmd(&format!("USER {user}")).starts_with("331"));
    assert!(c.cmd(&format!("PASS {pass}")).starts_with("230"));
    assert!(c.cmd("TYPE I").starts_with("200"));
    c
}

/// `VERB name` with `bytes` as the data; the final reply. Writing stops quietly when the
/// server gives up on the data connection, as a client's would.
fn upload(c: &mut Ctl, verb: &str, name: &str, bytes: &[u8]) -> String {
    let mut data = c.pasv();
    let opening = c.cmd(&format!("{verb} {name}"));
    assert!(opening.starts_with("150"), "{opening}");
    let _ = data.write_all(bytes);
    let _ = data.shutdown(Shutdown::Write);
    let reply = c.line();
    drop(data);
    reply
}

/// The data sent for `command` (RETR, MLSD), after its `150` and before its `226`.
fn download(c: &mut Ctl, command: &str) -> Vec<u8> {
    let mut data = c.pasv();
    let opening = c.cmd(command);
    assert!(opening.starts_with("150"), "{opening}");
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).unwrap();
    assert!(c.line().starts_with("226"));
    bytes
}

/// Every name in the home, hidden ones included (a temporary upload would show).
fn names(c: &mut Ctl) -> Vec<String> {
    let text = String::from_utf8(download(c, "MLSD")).unwrap();
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once("; ").map(|(_, n)| n.to_owned()))
        .collect();
    names.sort();
    names
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// One server configuration through every way a full disk can meet an upload.
fn full_disk_is_452_and_leaves_nothing(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), extra);
    let mut c = login(&srv);
    let old = pattern(200 * 1024, 1);
    assert!(upload(&mut c, "STOR", "keep.bin", &old).starts_with("226"));

    // Replacing a file: the new bytes don't fit; the old file stays as it was.
    let reply = upload(&mut c, "STOR", "keep.bin", &pattern(TOO_BIG, 2));
    assert!(reply.starts_with("452"), "replace: {reply}");
    assert_eq!(
        download(&mut c, "RETR keep.bin"),
        old,
        "the old file is kept whole"
    );

    // A new file that does not fit leaves no trace: no partial file, no temporary file.
    let reply = upload(&mut c, "STOR", "new.bin", &pattern(TOO_BIG, 3));
    assert!(reply.starts_with("452"), "new file: {reply}");
    assert_eq!(names(&mut c), ["keep.bin"]);

    // An append that does not fit: a 452, and what it appended before the disk filled
    // stays (APPE writes in place, as every FTP server's does) but the file is not broken.
    let reply = upload(&mut c, "APPE", "keep.bin", &pattern(TOO_BIG, 4));
    assert!(reply.starts_with("452"), "append: {reply}");
    let appended = download(&mut c, "RETR keep.bin");
    assert_eq!(
        &appended[..old.len()],
        &old[..],
        "the appended file starts whole"
    );
    assert!(appended.len() < old.len() + TOO_BIG);
    // Give the append's bytes back for the rest of the test.
    assert!(c.cmd("DELE keep.bin").starts_with("250"));

    // The space of the failed uploads came back: a file of most of the disk fits now.
    let fits = pattern(700 * 1024, 5);
    assert!(upload(&mut c, "STOR", "fits.bin", &fits).starts_with("226"));
    assert_eq!(download(&mut c, "RETR fits.bin"), fits);
    assert_eq!(names(&mut c), ["fits.bin"]);
    assert!(c.cmd("NOOP").starts_with("200"));
}

// Guards the spliced upload path (socket → pipe → file) and a new file without a name
// (O_TMPFILE): ENOSPC from splice(2) is "insufficient storage", nothing is left behind.
#[test]
fn full_disk_on_the_default_paths() {
    full_disk_is_452_and_leaves_nothing(&[]);
}

// Guards the buffered path and the named temporary file with its rename.
#[test]
fn full_disk_on_the_buffered_paths() {
    full_disk_is_452_and_leaves_nothing(&[
        "--zero-copy-uploads",
        "false",
        "--tmpfile-uploads",
        "false",
    ]);
}

// Guards fsync_uploads' extra steps on a full disk.
#[test]
fn full_disk_with_fsync() {
    full_disk_is_452_and_leaves_nothing(&["--fsync-uploads", "true"]);
}
