//! A disk that fills up during an upload, for real: the binary runs in its own user and
//! mount namespace (`unshare`) with a 1 MiB tmpfs as its home, and every upload path (spliced
//! or buffered, a file without a name or a named temporary file) meets ENOSPC mid-transfer.
//! The client must get "insufficient storage", the old file must stay whole, no partial or
//! temporary file may be left, the space must come back, and the session must go on.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::BIN;

/// The home's size: far less than the big uploads below.
const DISK: &str = "size=1m";
/// An upload that does not fit: long past the splice path's first 16 KiB read.
const TOO_BIG: usize = 3 * 1024 * 1024;

/// `ferroftp serve` in quick-start mode, in `dir`, inside a fresh user and mount namespace
/// where `dir/ftp-data` is a tmpfs of [`DISK`]; killed when dropped.
struct FullDiskServer {
    child: Child,
    addr: String,
    user: String,
    pass: String,
}

impl FullDiskServer {
    fn start(dir: &std::path::Path, extra: &[&str]) -> FullDiskServer {
        std::fs::create_dir(dir.join("ftp-data")).unwrap();
        // The shell mounts the tmpfs in the new namespace, then becomes the server: the
        // mount lives exactly as long as the server does.
        let script = format!("mount -t tmpfs -o {DISK} tmpfs ftp-data && exec \"$@\"");
        let mut child = Command::new("unshare")
            .args([
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                &script,
                "sh",
            ])
            .arg(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--passive-ports",
                "0-0",
                "--login-failure-delay-ms",
                "0",
            ])
            .args(extra)
            .env_remove("FERROFTP_USERS")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) starts");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let (mut addr, mut creds) = (None, None);
        for line in out.lines() {
            let line = line.expect("server output");
            if let Some(rest) = line.strip_prefix("ferroftp quick start: user \"") {
                let user = rest.split('"').next().unwrap().to_owned();
                let pass = rest.split("password \"").nth(1).unwrap();
                creds = Some((user, pass.split('"').next().unwrap().to_owned()));
            }
            if let Some(a) = line.strip_prefix("listening on ftp://") {
                addr = Some(a.trim().to_owned());
                break;
            }
        }
        let (user, pass) = creds.expect("quick-start credentials printed");
        FullDiskServer {
            child,
            addr: addr.expect("the server listens (is unshare allowed here?)"),
            user,
            pass,
        }
    }

    fn login(&self) -> Ctl {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Ctl(BufReader::new(s));
        assert!(c.line().starts_with("220"));
        assert!(c.cmd(&format!("USER {}", self.user)).starts_with("331"));
        assert!(c.cmd(&format!("PASS {}", self.pass)).starts_with("230"));
        assert!(c.cmd("TYPE I").starts_with("200"));
        c
    }
}

impl Drop for FullDiskServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Ctl(BufReader<TcpStream>);

impl Ctl {
    fn line(&mut self) -> String {
        let mut l = String::new();
        self.0.read_line(&mut l).expect("a reply");
        l
    }

    fn cmd(&mut self, c: &str) -> String {
        self.0
            .get_mut()
            .write_all(format!("{c}\r\n").as_bytes())
            .unwrap();
        self.line()
    }

    fn epsv(&mut self) -> TcpStream {
        let reply = self.cmd("EPSV");
        assert!(reply.starts_with("229"), "{reply}");
        let port: u16 = reply
            .split("|||")
            .nth(1)
            .and_then(|r| r.split('|').next())
            .and_then(|p| p.parse().ok())
            .expect("a port in the 229");
        TcpStream::connect(("127.0.0.1", port)).expect("data connection")
    }

    /// `VERB name` with `bytes` as the data; the final reply. Writing stops quietly when the
    /// server gives up on the data connection, as a client's would.
    fn upload(&mut self, verb: &str, name: &str, bytes: &[u8]) -> String {
        let mut data = self.epsv();
        let opening = self.cmd(&format!("{verb} {name}"));
        assert!(opening.starts_with("150"), "{opening}");
        let _ = data.write_all(bytes);
        let _ = data.shutdown(Shutdown::Write);
        let reply = self.line();
        drop(data);
        reply
    }

    fn download(&mut self, name: &str) -> Vec<u8> {
        let mut data = self.epsv();
        let opening = self.cmd(&format!("RETR {name}"));
        assert!(opening.starts_with("150"), "{opening}");
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).unwrap();
        assert!(self.line().starts_with("226"));
        bytes
    }

    /// Every name in the home, hidden ones included (a temporary upload would show).
    fn names(&mut self) -> Vec<String> {
        let mut data = self.epsv();
        let opening = self.cmd("MLSD");
        assert!(opening.starts_with("150"), "{opening}");
        let mut text = String::new();
        data.read_to_string(&mut text).unwrap();
        assert!(self.line().starts_with("226"));
        let mut names: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once("; ").map(|(_, n)| n.to_owned()))
            .collect();
        names.sort();
        names
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// One server configuration through every way a full disk can meet an upload.
fn full_disk_is_452_and_leaves_nothing(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let srv = FullDiskServer::start(dir.path(), extra);
    let mut c = srv.login();
    let old = pattern(200 * 1024, 1);
    assert!(c.upload("STOR", "keep.bin", &old).starts_with("226"));

    // Replacing a file: the new bytes don't fit; the old file stays as it was.
    let reply = c.upload("STOR", "keep.bin", &pattern(TOO_BIG, 2));
    assert!(reply.starts_with("452"), "replace: {reply}");
    assert_eq!(c.download("keep.bin"), old, "the old file is kept whole");

    // A new file that does not fit leaves no trace: no partial file, no temporary file.
    let reply = c.upload("STOR", "new.bin", &pattern(TOO_BIG, 3));
    assert!(reply.starts_with("452"), "new file: {reply}");
    assert_eq!(c.names(), ["keep.bin"]);

    // An append that does not fit: a 452, and what it appended before the disk filled
    // stays (APPE writes in place, as every FTP server's does) but the file is not broken.
    let reply = c.upload("APPE", "keep.bin", &pattern(TOO_BIG, 4));
    assert!(reply.starts_with("452"), "append: {reply}");
    let appended = c.download("keep.bin");
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
    assert!(c.upload("STOR", "fits.bin", &fits).starts_with("226"));
    assert_eq!(c.download("fits.bin"), fits);
    assert_eq!(c.names(), ["fits.bin"]);
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
