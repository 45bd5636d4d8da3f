//! The anonymous drop directory over real sockets: writable anonymous logins upload into
//! `/incoming` only, and can neither see, download, replace nor remove what is there.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{read_all, Raw, TestServer};
use ferroftp_proto::path::VPath;
use ferroftp_server::AnonymousConfig;

/// A server with anonymous login on `anon` (made with an `incoming` directory and a public
/// file), writable, with the drop directory `upload_dir`.
fn start(upload_dir: Option<&str>) -> (TestServer, tempfile::TempDir) {
    let anon = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(anon.path().join("incoming")).expect("mkdir");
    std::fs::write(anon.path().join("pub.txt"), b"public").expect("write");
    let root: PathBuf = anon.path().to_owned();
    let dir = upload_dir.map(|d| VPath::root().resolve(d).expect("path"));
    let s = TestServer::start_with(move |c| {
        c.anonymous = Some(AnonymousConfig {
            root,
            writable: true,
        });
        c.anonymous_upload_dir = dir;
    });
    (s, anon)
}

fn anonymous(s: &TestServer) -> Raw {
    let mut r = s.raw();
    assert_eq!(r.code("USER anonymous"), 331);
    assert_eq!(r.code("PASS guest@example.com"), 230);
    assert_eq!(r.code("TYPE I"), 200);
    r
}

/// An upload on a passive connection: the final reply (or the refusal).
fn upload(r: &mut Raw, cmd: &str, data: &[u8]) -> (u16, String) {
    let mut conn = r.pasv();
    r.send(cmd);
    let first = r.reply();
    if first.0 != 150 {
        return first;
    }
    let _ = conn.write_all(data);
    drop(conn);
    r.reply()
}

/// A listing or download: the final reply and the bytes received.
fn fetch(r: &mut Raw, cmd: &str) -> (u16, Vec<u8>) {
    let conn = r.pasv();
    r.send(cmd);
    let (code, _) = r.reply();
    if code != 150 {
        return (code, Vec::new());
    }
    let data = read_all(conn);
    (r.reply().0, data)
}

/// Guards the drop directory itself: uploads land there, and nothing in it can be listed,
/// looked at or downloaded by anonymous users.
#[test]
fn uploads_land_in_the_drop_directory_and_stay_hidden() {
    let (s, anon) = start(Some("/incoming"));
    let mut r = anonymous(&s);
    assert_eq!(upload(&mut r, "STOR /incoming/up.bin", b"secret").0, 226);
    assert_eq!(
        std::fs::read(anon.path().join("incoming/up.bin")).expect("stored"),
        b"secret"
    );
    // Listings of the directory are empty, whatever the format.
    for cmd in ["LIST /incoming", "NLST /incoming", "MLSD /incoming"] {
        assert_eq!(fetch(&mut r, cmd), (226, Vec::new()), "{cmd}");
    }
    assert_eq!(r.code("CWD /incoming"), 250);
    assert_eq!(fetch(&mut r, "LIST"), (226, Vec::new()));
    // Naming the file does not help.
    assert_eq!(fetch(&mut r, "RETR up.bin").0, 550);
    assert_eq!(fetch(&mut r, "LIST up.bin").0, 550);
    assert_eq!(fetch(&mut r, "NLST up.bin").0, 550);
    assert_eq!(r.code("SIZE up.bin"), 550);
    assert_eq!(r.code("MDTM up.bin"), 550);
    assert_eq!(r.code("MLST up.bin"), 550);
    // Outside the drop directory anonymous users read as before.
    assert_eq!(fetch(&mut r, "RETR /pub.txt"), (226, b"public".to_vec()));
}

/// Guards against replacing and removing: what is in the drop directory stays as it was
/// uploaded until an administrator moves it.
#[test]
fn drop_files_cannot_be_replaced_removed_renamed_or_chmodded() {
    let (s, anon) = start(Some("/incoming"));
    let mut r = anonymous(&s);
    assert_eq!(upload(&mut r, "STOR /incoming/a", b"first").0, 226);
    assert_eq!(upload(&mut r, "STOR /incoming/a", b"second").0, 553);
    assert_eq!(upload(&mut r, "APPE /incoming/a", b"more").0, 553);
    assert_eq!(r.code("REST 2"), 350);
    // The file is hidden, so a resume finds nothing to resume: "beyond the end".
    assert_eq!(upload(&mut r, "STOR /incoming/a", b"more").0, 554);
    assert_eq!(r.code("DELE /incoming/a"), 550);
    assert_eq!(r.code("RNFR /incoming/a"), 550);
    assert_eq!(r.code("SITE CHMOD 777 /incoming/a"), 550);
    assert_eq!(r.code("MFMT 20000101000000 /incoming/a"), 550);
    assert_eq!(
        std::fs::read(anon.path().join("incoming/a")).expect("kept"),
        b"first"
    );
    // A unique name works, in the drop directory too.
    let (code, text) = upload(&mut r, "STOU /incoming", b"u");
    assert_eq!(code, 226, "{text}");
    assert_eq!(
        std::fs::read_dir(anon.path().join("incoming"))
            .expect("read")
            .count(),
        2
    );
}

/// Guards the read-only rest: outside the drop directory nothing can be written.
#[test]
fn elsewhere_anonymous_stays_read_only() {
    let (s, anon) = start(Some("/incoming"));
    let mut r = anonymous(&s);
    assert_eq!(upload(&mut r, "STOR /new.txt", b"x").0, 550);
    assert_eq!(upload(&mut r, "STOR /pub.txt", b"x").0, 550);
    assert_eq!(upload(&mut r, "APPE /pub.txt", b"x").0, 550);
    assert_eq!(r.code("MKD /incoming/sub"), 550);
    assert_eq!(r.code("MKD /mine"), 550);
    assert_eq!(r.code("DELE /pub.txt"), 550);
    assert_eq!(r.code("RMD /incoming"), 550);
    assert_eq!(r.code("RNFR /pub.txt"), 550);
    assert_eq!(r.code("SITE CHMOD 000 /pub.txt"), 550);
    assert_eq!(
        std::fs::read(anon.path().join("pub.txt")).expect("kept"),
        b"public"
    );
    assert!(!anon.path().join("new.txt").exists());
    assert!(!anon.path().join("mine").exists());
}

/// Guards the failed upload: a drop upload cut short leaves neither a partial file nor the
/// name taken.
#[test]
fn an_aborted_drop_upload_leaves_nothing() {
    let (s, anon) = start(Some("/incoming"));
    let mut r = anonymous(&s);
    let conn = r.pasv();
    r.send("STOR /incoming/cut");
    assert_eq!(r.reply().0, 150);
    let mut conn = conn;
    conn.write_all(b"partial").expect("write");
    r.send("ABOR");
    // The data connection is still open, so the upload cannot have ended on its own.
    assert_eq!(r.reply().0, 426);
    assert_eq!(r.reply().0, 226);
    drop(conn);
    // The name is free again.
    assert_eq!(upload(&mut r, "STOR /incoming/cut", b"whole").0, 226);
    assert_eq!(
        std::fs::read(anon.path().join("incoming/cut")).expect("stored"),
        b"whole"
    );
}

/// Guards the opt-out: without a drop directory, a writable anonymous root behaves as
/// before (all permissions), and without `writable` the drop directory grants nothing.
#[test]
fn no_drop_directory_means_the_old_writable_root() {
    let (s, anon) = start(None);
    let mut r = anonymous(&s);
    assert_eq!(upload(&mut r, "STOR /anywhere.txt", b"x").0, 226);
    assert_eq!(r.code("DELE /anywhere.txt"), 250);
    assert!(!anon.path().join("anywhere.txt").exists());

    let ro = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(ro.path().join("incoming")).expect("mkdir");
    let root = ro.path().to_owned();
    let s = TestServer::start_with(move |c| {
        c.anonymous = Some(AnonymousConfig {
            root,
            writable: false,
        });
    });
    let mut r = anonymous(&s);
    assert_eq!(upload(&mut r, "STOR /incoming/x", b"x").0, 550);
    assert!(!ro.path().join("incoming/x").exists());
}
