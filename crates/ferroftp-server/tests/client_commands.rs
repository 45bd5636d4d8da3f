//! Every command, driven by a real FTP client (suppaftp) against the real server.

mod common;

use std::io::{Cursor, Read, Write};
use std::time::Duration;

use common::TestServer;
use suppaftp::types::FileType;
use suppaftp::{Mode, Status};

#[test]
fn login_pwd_mkdir_cwd_cdup_rmdir() {
    let s = TestServer::start();
    let mut ftp = s.client();
    assert_eq!(ftp.pwd().unwrap(), "/");
    ftp.mkdir("docs").unwrap();
    assert!(s.path("docs").is_dir());
    ftp.cwd("docs").unwrap();
    assert_eq!(ftp.pwd().unwrap(), "/docs");
    ftp.cdup().unwrap();
    assert_eq!(ftp.pwd().unwrap(), "/");
    ftp.rmdir("docs").unwrap();
    assert!(!s.path("docs").exists());
    assert!(ftp.cwd("nope").is_err());
    ftp.quit().unwrap();
}

#[test]
fn xcwd_xpwd_xmkd_xrmd_xcup_aliases() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("XMKD d"), 257);
    assert_eq!(r.code("XCWD d"), 250);
    assert_eq!(r.cmd("XPWD").1, "257 \"/d\" is the current directory.\r\n");
    assert_eq!(r.code("XCUP"), 250);
    assert_eq!(r.code("XRMD d"), 250);
}

#[test]
fn upload_download_delete_passive() {
    let s = TestServer::start();
    let mut ftp = s.client();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    ftp.put_file("big.bin", &mut Cursor::new(data.clone()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("big.bin")).unwrap(), data);
    let got = ftp.retr_as_buffer("big.bin").unwrap().into_inner();
    assert_eq!(got, data);
    assert_eq!(ftp.size("big.bin").unwrap(), data.len());
    ftp.rm("big.bin").unwrap();
    assert!(!s.path("big.bin").exists());
    assert!(ftp.rm("big.bin").is_err());
}

#[test]
fn extended_passive_and_active_modes() {
    let s = TestServer::start();
    let mut ftp = s.client();
    ftp.set_mode(Mode::ExtendedPassive);
    ftp.put_file("e.txt", &mut Cursor::new(b"epsv".to_vec()))
        .unwrap();
    assert_eq!(ftp.retr_as_buffer("e.txt").unwrap().into_inner(), b"epsv");

    let mut ftp = suppaftp::FtpStream::connect(s.addr)
        .unwrap()
        .active_mode(Duration::from_secs(5));
    ftp.login(common::USER, common::PASS).unwrap();
    ftp.transfer_type(FileType::Binary).unwrap();
    ftp.put_file("a.txt", &mut Cursor::new(b"active".to_vec()))
        .unwrap();
    assert_eq!(ftp.retr_as_buffer("a.txt").unwrap().into_inner(), b"active");
    assert!(ftp
        .list(None)
        .unwrap()
        .iter()
        .any(|l| l.ends_with(" a.txt")));
}

#[test]
fn eprt_active_mode() {
    let s = TestServer::start();
    s.write("x.txt", b"eprt data");
    let mut r = s.raw_logged_in();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    assert_eq!(r.code(&format!("EPRT |1|127.0.0.1|{port}|")), 200);
    r.send("RETR x.txt");
    let (conn, _) = l.accept().unwrap();
    assert_eq!(r.reply().0, 150);
    assert_eq!(common::read_all(conn), b"eprt data");
    assert_eq!(r.reply().0, 226);
}

#[test]
fn list_nlst_mlsd_mlst() {
    let s = TestServer::start();
    s.write("one.txt", b"12345");
    s.write("dir/inner.txt", b"x");
    let mut ftp = s.client();
    let list = ftp.list(None).unwrap();
    assert!(
        list.iter()
            .any(|l| l.starts_with("-rw") && l.contains(" 5 ") && l.ends_with(" one.txt")),
        "{list:?}"
    );
    assert!(list
        .iter()
        .any(|l| l.starts_with('d') && l.ends_with(" dir")));
    let mut names = ftp.nlst(None).unwrap();
    names.sort();
    assert_eq!(names, vec!["dir", "one.txt"]);
    let mlsd = ftp.mlsd(None).unwrap();
    let one = mlsd.iter().find(|l| l.ends_with(" one.txt")).unwrap();
    assert!(
        one.contains("type=file;") && one.contains("size=5;") && one.contains("modify="),
        "{one}"
    );
    assert!(one.contains("perm=") && one.contains("unique="), "{one}");
    assert!(mlsd
        .iter()
        .any(|l| l.contains("type=dir;") && l.ends_with(" dir")));
    let mlst = ftp.mlst(Some("one.txt")).unwrap();
    assert!(
        mlst.contains("size=5;") && mlst.contains("/one.txt"),
        "{mlst}"
    );
    // LIST of a subdirectory and of a single file.
    assert!(ftp
        .list(Some("dir"))
        .unwrap()
        .iter()
        .any(|l| l.ends_with(" inner.txt")));
    assert_eq!(ftp.list(Some("one.txt")).unwrap().len(), 1);
    // LIST with ls flags, as many clients send.
    let (_, mut stream) = ftp
        .custom_data_command("LIST -la", &[Status::AboutToSend, Status::AlreadyOpen])
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    stream.finish().unwrap();
    assert!(text.contains("one.txt"), "{text}");
    // Listing something missing is 550.
    assert!(ftp.list(Some("missing")).is_err());
}

#[test]
fn list_dates_and_size_mdtm_mfmt() {
    let s = TestServer::start();
    s.write("t.txt", b"abc");
    let mut r = s.raw_logged_in();
    assert_eq!(r.cmd("SIZE t.txt").1, "213 3\r\n");
    let (code, text) = r.cmd("MDTM t.txt");
    assert_eq!(code, 213);
    assert_eq!(text.trim().len(), "213 20261125120000".len());
    assert_eq!(
        r.cmd("MFMT 20200102030405 t.txt").1,
        "213 Modify=20200102030405; /t.txt\r\n"
    );
    assert_eq!(r.cmd("MDTM t.txt").1, "213 20200102030405\r\n");
    // An old file is listed with its year.
    let data = r.pasv();
    r.send("LIST t.txt");
    assert_eq!(r.reply().0, 150);
    let listing = String::from_utf8(common::read_all(data)).unwrap();
    assert!(listing.contains("Jan  2  2020 t.txt"), "{listing}");
    assert_eq!(r.reply().0, 226);
    assert_eq!(r.code("SIZE missing"), 550);
    r.code("MKD d");
    assert_eq!(r.code("SIZE d"), 550);
}

#[test]
fn resume_download_and_upload() {
    let s = TestServer::start();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 97) as u8).collect();
    s.write("r.bin", &data);
    let mut ftp = s.client();
    ftp.resume_transfer(40_000).unwrap();
    let got = ftp.retr_as_buffer("r.bin").unwrap().into_inner();
    assert_eq!(got, &data[40_000..]);

    // Upload half, then resume the rest with REST + STOR.
    ftp.put_file("up.bin", &mut Cursor::new(data[..30_000].to_vec()))
        .unwrap();
    ftp.resume_transfer(30_000).unwrap();
    ftp.put_file("up.bin", &mut Cursor::new(data[30_000..].to_vec()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("up.bin")).unwrap(), data);
}

#[test]
fn append_and_stou() {
    let s = TestServer::start();
    let mut ftp = s.client();
    ftp.append_file("log.txt", &mut Cursor::new(b"one\n".to_vec()))
        .unwrap();
    ftp.append_file("log.txt", &mut Cursor::new(b"two\n".to_vec()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("log.txt")).unwrap(), b"one\ntwo\n");

    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("STOU");
    let (code, text) = r.reply();
    assert_eq!(code, 150);
    assert!(text.contains("FILE: "), "{text}");
    let name = text.trim().rsplit(' ').next().unwrap().to_owned();
    data.write_all(b"unique").unwrap();
    drop(data);
    assert_eq!(r.reply().0, 226);
    assert_eq!(std::fs::read(s.path(&name)).unwrap(), b"unique");
}

#[test]
fn ascii_mode_converts_line_endings_both_ways() {
    let s = TestServer::start();
    s.write("unix.txt", b"a\nb\n");
    let mut ftp = s.client();
    ftp.transfer_type(FileType::Ascii(suppaftp::types::FormatControl::Default))
        .unwrap();
    let got = ftp.retr_as_buffer("unix.txt").unwrap().into_inner();
    assert_eq!(got, b"a\r\nb\r\n");
    ftp.put_file("dos.txt", &mut Cursor::new(b"x\r\ny\r\n".to_vec()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("dos.txt")).unwrap(), b"x\ny\n");
}

#[test]
fn type_stru_mode_allo_syst_help_feat_opts_site_stat_noop_acct() {
    let s = TestServer::start();
    s.write("f", b"1");
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE L 8"), 200);
    assert_eq!(r.code("TYPE E"), 504);
    assert_eq!(r.code("TYPE Q"), 501);
    assert_eq!(r.code("STRU F"), 200);
    assert_eq!(r.code("STRU R"), 504);
    assert_eq!(r.code("MODE S"), 200);
    assert_eq!(r.code("MODE Z"), 504);
    assert_eq!(r.code("ALLO 1000"), 202);
    assert_eq!(r.cmd("SYST").1, "215 UNIX Type: L8\r\n");
    assert_eq!(r.code("HELP"), 214);
    let feat = r.cmd("FEAT").1;
    assert!(
        feat.contains(" REST STREAM\r\n") && feat.contains(" UTF8\r\n"),
        "{feat}"
    );
    assert_eq!(r.code("OPTS UTF8 ON"), 200);
    assert_eq!(r.code("OPTS MLST type;size;"), 200);
    assert_eq!(r.code("SITE HELP"), 214);
    assert_eq!(r.code("SITE CHMOD 600 f"), 200);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(s.path("f")).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (code, text) = r.cmd("STAT");
    assert_eq!(code, 211);
    assert!(text.contains("Logged in as alice"), "{text}");
    let (code, text) = r.cmd("STAT /");
    assert_eq!(code, 212);
    assert!(text.contains(" f\r\n"), "{text}");
    assert_eq!(r.code("STAT f"), 213);
    assert_eq!(r.code("NOOP"), 200);
    assert_eq!(r.code("ACCT x"), 202);
}

#[test]
fn abor_without_transfer_is_225() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("ABOR"), 225);
}

/// A download of a large file whose first kilobyte was read, then left unread: the
/// transfer stalls on a full socket.
fn stalled_download(s: &TestServer) -> (common::Raw, std::net::TcpStream) {
    s.write("huge.bin", &vec![7u8; 32 * 1024 * 1024]);
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("RETR huge.bin");
    assert_eq!(r.reply().0, 150);
    let mut buf = [0u8; 1024];
    data.read_exact(&mut buf).unwrap();
    (r, data)
}

#[test]
fn abor_mid_transfer_is_426_then_226_and_noop_stat_answer_during_transfer() {
    let s = TestServer::start();
    let (mut r, _data) = stalled_download(&s);
    // We stop reading: the transfer stalls on a full socket, and the control channel still answers.
    assert_eq!(r.code("NOOP"), 200);
    r.abort_running_transfer("download");
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn upload_aborted_midway_leaves_no_file() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("STOR partial.bin");
    assert_eq!(r.reply().0, 150);
    data.write_all(&[1u8; 100_000]).unwrap();
    r.send("ABOR");
    assert_eq!(r.reply().0, 426);
    assert_eq!(r.reply().0, 226);
    drop(data);
    let names: Vec<_> = std::fs::read_dir(s.root.path()).unwrap().collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn upload_replaces_atomically_and_failed_replace_keeps_the_old_file() {
    let s = TestServer::start();
    s.write("keep.txt", b"original");
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("STOR keep.txt");
    assert_eq!(r.reply().0, 150);
    data.write_all(b"half of the new").unwrap();
    // Wait for the upload's bytes to reach the disk beside the old file.
    let uploading = common::wait_until(common::deadline(), || {
        common::file_sizes(s.root.path()).contains(&15)
    });
    assert!(uploading, "the upload never reached the disk");
    // The old content stays visible until the upload completes.
    assert_eq!(std::fs::read(s.path("keep.txt")).unwrap(), b"original");
    // The control connection drops: the upload is discarded. The data connection stays
    // open until then, as an end of data would complete the upload instead.
    drop(r);
    let discarded = common::wait_until(common::deadline(), || {
        common::file_sizes(s.root.path()).len() == 1
    });
    assert!(discarded, "the partial upload was never removed");
    drop(data);
    assert_eq!(std::fs::read(s.path("keep.txt")).unwrap(), b"original");
    let count = std::fs::read_dir(s.root.path()).unwrap().count();
    assert_eq!(count, 1, "no temporary file left");
}

#[test]
fn read_only_user_cannot_write() {
    let s = TestServer::start_with_perms(ferroftp_proto::perms::Permissions::READ_ONLY, |_| {});
    s.write("r.txt", b"read me");
    let mut ftp = s.client();
    assert_eq!(
        ftp.retr_as_buffer("r.txt").unwrap().into_inner(),
        b"read me"
    );
    assert!(ftp
        .put_file("w.txt", &mut Cursor::new(b"x".to_vec()))
        .is_err());
    assert!(ftp.mkdir("d").is_err());
    assert!(ftp.rm("r.txt").is_err());
    assert!(ftp.rename("r.txt", "s.txt").is_err());
    assert!(s.path("r.txt").exists() && !s.path("w.txt").exists());
}

#[test]
fn anonymous_login_is_read_only_by_default_and_off_unless_configured() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.code("USER anonymous");
    assert_eq!(r.code("PASS guest@example.com"), 530);

    let anon_root = tempfile::tempdir().unwrap();
    std::fs::write(anon_root.path().join("pub.txt"), b"public").unwrap();
    let root = anon_root.path().to_owned();
    let s = TestServer::start_with(move |c| {
        c.anonymous = Some(ferroftp_server::AnonymousConfig {
            root,
            writable: false,
        })
    });
    let mut ftp = suppaftp::FtpStream::connect(s.addr).unwrap();
    ftp.login("ftp", "me@example.com").unwrap();
    assert_eq!(
        ftp.retr_as_buffer("pub.txt").unwrap().into_inner(),
        b"public"
    );
    assert!(ftp.put_file("x", &mut Cursor::new(b"x".to_vec())).is_err());
}

#[test]
fn unicode_and_space_names() {
    let s = TestServer::start();
    let mut ftp = s.client();
    ftp.mkdir("thư mục").unwrap();
    ftp.cwd("thư mục").unwrap();
    ftp.put_file(" lead space.txt", &mut Cursor::new(b"v".to_vec()))
        .unwrap();
    assert!(s.path("thư mục/ lead space.txt").exists());
    let names = ftp.nlst(None).unwrap();
    assert_eq!(names, vec![" lead space.txt"]);
}

#[test]
fn abor_with_telnet_synch_and_urgent_data() {
    let s = TestServer::start();
    let (mut r, _data) = stalled_download(&s);
    // As ftplib and BSD ftp send it: IAC IP, then IAC DM ... with the last byte urgent.
    let sock = socket2::SockRef::from(r.reader.get_ref());
    sock.send(b"\xff\xf4\xff\xf2ABOR\r").unwrap();
    sock.send_out_of_band(b"\n").unwrap();
    assert_eq!(r.reply().0, 426);
    assert_eq!(r.reply().0, 226);
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn nlst_and_list_expand_wildcards_for_mget() {
    let s = TestServer::start();
    for name in ["a.txt", "b.txt", "c.log", "sub/d.txt"] {
        s.write(name, b"x");
    }
    let mut ftp = s.client();
    let mut names = ftp.nlst(Some("*.txt")).unwrap();
    names.sort();
    assert_eq!(names, vec!["a.txt", "b.txt"]);
    // With a directory in the pattern, names keep it, so mget can RETR each one.
    assert_eq!(ftp.nlst(Some("sub/*.txt")).unwrap(), vec!["sub/d.txt"]);
    let list = ftp.list(Some("*.log")).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].ends_with(" c.log"), "{list:?}");
    assert!(ftp.nlst(Some("*.none")).unwrap().is_empty());
}

#[test]
fn uploads_in_progress_are_not_listed() {
    // The named temporary file of an upload is what could be listed: a new file has one
    // only with O_TMPFILE uploads off (with them on it has no name until complete, see
    // tests/tmpfile_uploads.rs).
    let s = TestServer::start_with(|c| c.tmpfile_uploads = false);
    s.write("done.txt", b"x");
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("STOR growing.bin");
    assert_eq!(r.reply().0, 150);
    data.write_all(&[1u8; 10_000]).unwrap();
    data.flush().unwrap();
    // List only once the server has written what it was sent: the upload is on disk.
    let on_disk = common::wait_until(common::deadline(), || {
        common::file_sizes(s.root.path()).contains(&10_000)
    });
    assert!(on_disk, "the upload never reached the disk");
    let mut other = s.client();
    assert_eq!(other.nlst(None).unwrap(), vec!["done.txt"]);
    drop(data);
    assert_eq!(r.reply().0, 226);
    let mut names = other.nlst(None).unwrap();
    names.sort();
    assert_eq!(names, vec!["done.txt", "growing.bin"]);
}

#[test]
fn rest_beyond_the_end_is_554() {
    let s = TestServer::start();
    s.write("ten.bin", b"0123456789");
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    assert_eq!(r.code("REST 11"), 350);
    let _data = r.pasv();
    assert_eq!(r.code("RETR ten.bin"), 554);
    assert_eq!(r.code("REST 20"), 350);
    let _data = r.pasv();
    assert_eq!(r.code("STOR ten.bin"), 554);
    assert_eq!(std::fs::read(s.path("ten.bin")).unwrap(), b"0123456789");
    assert_eq!(r.code("REST 5"), 350);
    let _data = r.pasv();
    assert_eq!(r.code("STOR missing.bin"), 554);
    assert!(!s.path("missing.bin").exists());
    // At the very end: an empty download.
    assert_eq!(r.code("REST 10"), 350);
    let data = r.pasv();
    r.send("RETR ten.bin");
    assert_eq!(r.reply().0, 150);
    assert!(common::read_all(data).is_empty());
    assert_eq!(r.reply().0, 226);
}
