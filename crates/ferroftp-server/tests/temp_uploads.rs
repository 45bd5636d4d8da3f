//! Temporary upload files (`.ferroftp-upload.*.tmp`): the ones a killed server left behind
//! are swept at the first login, clients cannot create files named like them, and a
//! directory holding only stale ones can be removed. A live upload's file is never touched:
//! it holds an exclusive lock, which dies with its process.

mod common;

use std::fs::File;
use std::io::Cursor;

use common::{deadline, wait_until, TestServer};

/// A temporary file held locked, as a live upload (of this or another process) holds it.
fn live_temp(path: &std::path::Path) -> File {
    let f = File::create(path).expect("create");
    rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).expect("lock");
    f
}

/// Guards the leftovers of `kill -9`: stale temporary files anywhere in the root are
/// removed after the first login, a locked (live) one and other files stay.
#[test]
fn stale_temporary_files_are_swept_at_first_login() {
    let s = TestServer::start();
    s.write(".ferroftp-upload.00000000000000aa.tmp", b"half");
    s.write("deep/er/.ferroftp-upload.00000000000000bb.tmp", b"half");
    s.write("keep.txt", b"data");
    s.write(
        ".ferroftp-upload.notes",
        b"not ours: a plain file a user had",
    );
    let _live = live_temp(&s.path("deep/.ferroftp-upload.00000000000000cc.tmp"));
    let mut ftp = s.client();
    let gone = wait_until(deadline(), || {
        !s.path(".ferroftp-upload.00000000000000aa.tmp").exists()
            && !s
                .path("deep/er/.ferroftp-upload.00000000000000bb.tmp")
                .exists()
    });
    assert!(gone, "stale temporary files were not swept");
    assert!(s
        .path("deep/.ferroftp-upload.00000000000000cc.tmp")
        .exists());
    assert!(s.path("keep.txt").exists());
    ftp.quit().expect("quit");
}

/// The sweep can be turned off.
#[test]
fn the_sweep_can_be_turned_off() {
    let s = TestServer::start_with(|c| c.stale_upload_sweep_limit = 0);
    s.write("sub/.ferroftp-upload.00000000000000aa.tmp", b"half");
    let mut ftp = s.client();
    // The sweep would run beside this upload; it is off, so the file stays.
    ftp.put_file("x.bin", &mut Cursor::new(b"x".to_vec()))
        .expect("STOR");
    assert!(s.path("sub/.ferroftp-upload.00000000000000aa.tmp").exists());
}

/// Guards hidden client files: STOR, APPE, STOU, MKD and RNTO to a name of the temporary
/// pattern get `553`, and nothing is created.
#[test]
fn clients_cannot_create_temporary_names() {
    let s = TestServer::start();
    s.write("a.txt", b"a");
    let mut r = s.raw_logged_in();
    for verb in ["STOR", "APPE"] {
        r.pasv();
        let (code, text) = r.cmd(&format!("{verb} .ferroftp-upload.1234.tmp"));
        assert_eq!(code, 553, "{verb}: {text}");
    }
    r.pasv();
    assert_eq!(r.code("STOU .ferroftp-upload.x"), 553);
    assert_eq!(r.code("MKD sub/.ferroftp-upload.d"), 553);
    assert_eq!(r.code("MKD sub"), 257);
    assert_eq!(r.code("RNFR a.txt"), 350);
    assert_eq!(r.code("RNTO sub/.ferroftp-upload.1.tmp"), 553);
    assert_eq!(r.code("RNFR a.txt"), 350);
    assert_eq!(r.code("RNTO sub/fine.txt"), 250);
    let names: Vec<_> = std::fs::read_dir(s.path("sub"))
        .expect("read")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("fine.txt")]);
    assert!(!s.path(".ferroftp-upload.1234.tmp").exists());
}

/// Guards the directory that could not be removed: RMD of a directory holding only stale
/// temporary files removes them and it; one with an upload in progress is not empty.
#[test]
fn rmd_removes_stale_temporary_files_but_not_live_ones() {
    let s = TestServer::start_with(|c| c.stale_upload_sweep_limit = 0);
    s.write("stale/.ferroftp-upload.00000000000000aa.tmp", b"half");
    s.write("stale/.ferroftp-upload.00000000000000bb.tmp", b"half");
    std::fs::create_dir(s.path("busy")).expect("mkdir");
    let live = live_temp(&s.path("busy/.ferroftp-upload.00000000000000cc.tmp"));
    s.write("mixed/.ferroftp-upload.00000000000000dd.tmp", b"half");
    s.write("mixed/real.txt", b"real");
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("RMD stale"), 250);
    assert!(!s.path("stale").exists());
    assert_eq!(r.code("RMD busy"), 550);
    assert!(s
        .path("busy/.ferroftp-upload.00000000000000cc.tmp")
        .exists());
    assert_eq!(r.code("RMD mixed"), 550);
    assert!(s.path("mixed/real.txt").exists());
    // Once the upload's process is gone, its lock goes with it.
    drop(live);
    assert_eq!(r.code("RMD busy"), 250);
}
