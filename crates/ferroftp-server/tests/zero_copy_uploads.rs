//! Zero-copy uploads: a plain, binary, unthrottled upload into a local file is spliced
//! from the socket into the file once its first read (16 KiB) fills; everything else
//! takes the buffered path, and so does every APPE. Both must store exactly the bytes sent, at the REST offset or
//! the end (APPE); TYPE A, TLS and a bandwidth limit must never take the zero-copy path;
//! ABOR, a reset, the stall timeout and a file that takes no more bytes end the upload
//! the same way on both paths, without a temporary file left behind.
//!
//! Which path an upload took is read from `ferroftp_server::splice::paths()`, a
//! process-wide count: the tests of this file take [`LOCK`] so that no other upload runs
//! while one of them compares the counts before and after.

mod common;

use std::io::Write as _;
use std::net::TcpStream;
use std::time::Duration;

use common::duplex::{pasv_port, Harness};
use common::{deadline, explicit_client, wait_until, Raw, TestServer};
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::splice::{paths, UploadPaths, PIPE_SIZE};
use ferroftp_server::tls::SessionReuse;

/// Held by every test here: the path counts are process-wide.
static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The server's first read of an upload; a file that fills it switches to zero-copy.
const FIRST_READ: usize = 16 * 1024;

/// Bytes sent before the STOR command, so that they wait in the socket when the server
/// reads first: a first read of a file that large is then sure to fill its buffer, which
/// makes the path an upload takes certain rather than a matter of scheduling.
const PRESEND: usize = 2 * FIRST_READ;

/// Bytes that differ from one position to the next, so a lost, doubled or misplaced piece
/// shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

/// How many uploads took each path since `before`.
fn since(before: UploadPaths) -> UploadPaths {
    let now = paths();
    UploadPaths {
        zero_copy: now.zero_copy - before.zero_copy,
        buffered: now.buffered - before.buffered,
    }
}

/// Opens a passive data connection for `command` and sends the first [`PRESEND`] bytes of
/// `data` before the command; the connection and the bytes still to send.
fn start_upload(r: &mut Raw, command: &str, data: &[u8]) -> (TcpStream, usize) {
    let mut conn = r.epsv();
    let early = data.len().min(PRESEND);
    conn.write_all(&data[..early]).expect("send early bytes");
    let (code, text) = r.cmd(command);
    assert_eq!(code, 150, "{command}: {text}");
    (conn, early)
}

/// Uploads `data` with `command` (after REST `offset` if not 0) over a raw session in
/// TYPE I; the final reply's code.
fn upload(s: &TestServer, command: &str, offset: u64, data: &[u8]) -> u16 {
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);
    if offset > 0 {
        assert_eq!(r.code(&format!("REST {offset}")), 350);
    }
    let (mut conn, early) = start_upload(&mut r, command, data);
    conn.write_all(&data[early..]).expect("send the rest");
    drop(conn);
    r.reply().0
}

/// The path a plain binary upload of `len` bytes takes on a server with zero-copy on.
fn expected_path(len: usize, zero_copy: bool) -> UploadPaths {
    let spliced = zero_copy && len >= FIRST_READ;
    UploadPaths {
        zero_copy: u64::from(spliced),
        buffered: u64::from(!spliced),
    }
}

// Guards the core promise of both paths: for sizes around every boundary (the first
// read, the default and the enlarged pipe, several MiB), STOR, REST + STOR from several
// offsets and APPE store exactly the bytes sent where they belong, on a server with
// zero-copy and one without, and the upload went the way the settings and its size say.
#[test]
fn zero_copy_and_buffered_uploads_store_identical_bytes_in_every_mode() {
    let _serial = LOCK.blocking_lock();
    let sizes = [
        0usize,
        1,
        FIRST_READ - 1,
        FIRST_READ,
        FIRST_READ + 1,
        64 * 1024 + 1,
        PIPE_SIZE - 1,
        PIPE_SIZE,
        PIPE_SIZE + 1,
        3 * PIPE_SIZE + 17,
    ];
    let fast = TestServer::start();
    let slow = TestServer::start_with(|c| c.zero_copy_uploads = false);
    let base = pattern(2 * PIPE_SIZE + 5, 9);
    for (i, &size) in sizes.iter().enumerate() {
        let data = pattern(size, i as u8);
        for (s, zero_copy) in [(&fast, true), (&slow, false)] {
            let what = format!("size {size}, zero_copy {zero_copy}");
            let name = format!("f{i}.bin");
            s.write(&name, b"old content");
            let before = paths();
            assert_eq!(upload(s, &format!("STOR {name}"), 0, &data), 226, "{what}");
            assert_eq!(since(before), expected_path(size, zero_copy), "STOR {what}");
            let got = std::fs::read(s.path(&name)).expect("read");
            assert!(got == data, "STOR {what}: {} bytes", got.len());

            for offset in [1usize, FIRST_READ + 3, PIPE_SIZE, base.len()] {
                s.write(&name, &base);
                let before = paths();
                let code = upload(s, &format!("STOR {name}"), offset as u64, &data);
                assert_eq!(code, 226, "REST {offset}, {what}");
                assert_eq!(
                    since(before),
                    expected_path(size, zero_copy),
                    "REST {offset}, {what}"
                );
                // REST + STOR keeps the bytes before the offset; the file ends where the
                // new bytes end.
                let mut expected = base[..offset].to_vec();
                expected.extend_from_slice(&data);
                let got = std::fs::read(s.path(&name)).expect("read");
                assert!(
                    got == expected,
                    "REST {offset}, {what}: {} bytes",
                    got.len()
                );
            }

            s.write(&name, &base);
            let before = paths();
            assert_eq!(upload(s, &format!("APPE {name}"), 0, &data), 226, "{what}");
            // An append always stays buffered (see the concurrent appenders' test).
            assert_eq!(since(before), expected_path(size, false), "APPE {what}");
            let mut expected = base.clone();
            expected.extend_from_slice(&data);
            let got = std::fs::read(s.path(&name)).expect("read");
            assert!(got == expected, "APPE {what}: {} bytes", got.len());
            assert!(s.temp_files().is_empty(), "{what}");
        }
    }
}

// Guards APPE against a concurrent appender (perf issue, small uploads, point 1): an
// append that went on by splicing wrote from the end of the file as it was at the switch,
// so a second APPE landing meanwhile was overwritten. A sends past the switch and pauses,
// B appends to the same file and completes, then A finishes: the file must be the old
// content and both payloads in full, B's whole inside A's or after it.
#[test]
fn concurrent_appenders_never_overwrite_each_other() {
    let _serial = LOCK.blocking_lock();
    let s = TestServer::start();
    let old = pattern(1000, 7);
    s.write("log.bin", &old);
    let a = pattern(3 * PIPE_SIZE + 11, 1);
    let b = pattern(PIPE_SIZE + 5, 2);
    let first = 64 * 1024 + 3;

    let mut ra = s.raw_logged_in();
    assert_eq!(ra.code("TYPE I"), 200);
    let before = paths();
    let (mut conn_a, early) = start_upload(&mut ra, "APPE log.bin", &a);
    conn_a
        .write_all(&a[early..first])
        .expect("send A's first part");
    // A's first part reaches the file: spliced at once, or flushed when A pauses.
    let path = s.path("log.bin");
    let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let landed = (old.len() + first) as u64;
    assert!(
        wait_until(deadline(), || size() == landed),
        "A's first part did not land: {} bytes",
        size()
    );

    assert_eq!(upload(&s, "APPE log.bin", 0, &b), 226, "B");
    conn_a.write_all(&a[first..]).expect("send the rest of A");
    drop(conn_a);
    assert_eq!(ra.reply().0, 226, "A");
    let got = std::fs::read(&path).expect("read");
    assert_eq!(got.len(), old.len() + a.len() + b.len(), "the sizes add up");
    assert!(got[..old.len()] == old[..], "the old content stays first");
    let rest = &got[old.len()..];
    // B landed as one run somewhere after A's first part; A's bytes around it, in order.
    let at = (first..=a.len())
        .find(|&k| rest[..k] == a[..k] && rest[k..k + b.len()] == b[..])
        .expect("B's payload as one run after A's first part");
    assert!(rest[at + b.len()..] == a[at..], "the rest of A after B");
    assert_eq!(
        since(before),
        UploadPaths {
            zero_copy: 0,
            buffered: 2
        }
    );
}

// Guards TYPE A: its line ends are converted, so it must never be spliced, which would
// store the wire's CRLFs.
#[test]
fn ascii_uploads_never_take_the_zero_copy_path() {
    let _serial = LOCK.blocking_lock();
    let s = TestServer::start();
    let mut wire = Vec::new();
    let mut local = Vec::new();
    for i in 0..60_000 {
        let line = format!("line {i}");
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
        local.extend_from_slice(line.as_bytes());
        local.push(b'\n');
    }
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE A"), 200);
    let before = paths();
    let (mut conn, early) = start_upload(&mut r, "STOR text.txt", &wire);
    conn.write_all(&wire[early..]).expect("send");
    drop(conn);
    assert_eq!(r.reply().0, 226);
    assert_eq!(
        since(before),
        UploadPaths {
            zero_copy: 0,
            buffered: 1
        }
    );
    assert!(std::fs::read(s.path("text.txt")).expect("read") == local);
}

// Guards PROT P: the bytes arrive encrypted, so a TLS data connection never takes the
// zero-copy path (it would store the ciphertext), in any mode.
#[test]
fn tls_uploads_never_take_the_zero_copy_path() {
    let _serial = LOCK.blocking_lock();
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let data = pattern(PIPE_SIZE + 3, 4);
    let mut ftp = explicit_client(s.addr, &cert, true);
    let before = paths();
    ftp.put_file("secret.bin", &mut std::io::Cursor::new(data.clone()))
        .expect("STOR");
    ftp.append_file("secret.bin", &mut std::io::Cursor::new(data.clone()))
        .expect("APPE");
    assert_eq!(
        since(before),
        UploadPaths {
            zero_copy: 0,
            buffered: 2
        }
    );
    let mut expected = data.clone();
    expected.extend_from_slice(&data);
    assert!(std::fs::read(s.path("secret.bin")).expect("read") == expected);
    let _ = ftp.quit();
}

/// An upload of a large file on the zero-copy path, its first bytes sent, the rest held
/// back: the transfer waits in its splice loop.
fn stalled_upload(s: &TestServer, name: &str) -> (Raw, TcpStream) {
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);
    let before = paths();
    let data = pattern(4 * PIPE_SIZE, 1);
    let (mut conn, early) = start_upload(&mut r, &format!("STOR {name}"), &data);
    conn.write_all(&data[early..PIPE_SIZE])
        .expect("send a first part");
    // The upload switches to zero-copy after its first read: wait for it (no sleep).
    assert!(
        wait_until(deadline(), || since(before).zero_copy == 1),
        "the upload did not switch to zero-copy"
    );
    (r, conn)
}

// Guards ABOR on the zero-copy path: an upload that waits in its splice loop still ends
// at once with 426, then 226; the partial upload leaves no temporary file and the old
// file as it was, and the session goes on.
#[test]
fn abor_during_a_zero_copy_upload_leaves_no_temporary_file() {
    let _serial = LOCK.blocking_lock();
    let s = TestServer::start();
    s.write("keep.bin", b"old content");
    let (mut r, _conn) = stalled_upload(&s, "keep.bin");
    r.abort_running_transfer("zero-copy upload");
    assert!(wait_until(deadline(), || s.temp_files().is_empty()));
    assert_eq!(
        std::fs::read(s.path("keep.bin")).expect("read"),
        b"old content"
    );
    assert_eq!(r.code("NOOP"), 200);
}

// Guards a client that goes away mid-upload on the zero-copy path: a reset (not a close,
// which ends a file in stream mode) discards the upload, leaves no temporary file and the
// old file as it was, and the session goes on.
#[test]
fn a_reset_during_a_zero_copy_upload_leaves_no_temporary_file() {
    let _serial = LOCK.blocking_lock();
    let s = TestServer::start();
    s.write("keep.bin", b"old content");
    let (mut r, conn) = stalled_upload(&s, "keep.bin");
    let socket = socket2::Socket::from(conn);
    socket.set_linger(Some(Duration::ZERO)).expect("linger");
    drop(socket);
    let (code, text) = r.reply();
    assert_eq!(code, 426, "{text}");
    assert!(wait_until(deadline(), || s.temp_files().is_empty()));
    assert_eq!(
        std::fs::read(s.path("keep.bin")).expect("read"),
        b"old content"
    );
    assert_eq!(r.code("NOOP"), 200);
}

const STALL: Duration = Duration::from_secs(60);

// Guards the stall timeout on both paths: the splice loop notes every byte it moves on
// the stall clock, so a client that sends, pauses, sends again and then stops ends the
// upload with 426 one stall timeout after its last byte (virtual time), not after its
// first, without a temporary file, and the session goes on.
#[tokio::test(start_paused = true)]
async fn a_zero_copy_upload_the_client_stops_sending_ends_after_the_stall_timeout() {
    let _serial = LOCK.lock().await;
    for zero_copy in [true, false] {
        let h = Harness::start(|c| {
            c.stall_timeout = STALL;
            c.login_failure_delay = Duration::ZERO;
            c.zero_copy_uploads = zero_copy;
        })
        .await;
        let mut c = h.logged_in().await;
        assert!(c.cmd("TYPE I").await.starts_with("200 "));
        let port = pasv_port(&c.cmd("PASV").await);
        let mut data = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("data connection");
        let first = pattern(PIPE_SIZE / 2, 3);
        tokio::io::AsyncWriteExt::write_all(&mut data, &first[..PRESEND])
            .await
            .expect("send early bytes");
        let before = paths();
        assert!(c.cmd("STOR big.bin").await.starts_with("150 "));
        tokio::io::AsyncWriteExt::write_all(&mut data, &first[PRESEND..])
            .await
            .expect("send");
        // Later bytes push the deadline on: on the zero-copy path they are spliced, so
        // this fails unless the splice loop notes them on the stall clock.
        tokio::time::sleep(STALL / 2).await;
        tokio::io::AsyncWriteExt::write_all(&mut data, &first)
            .await
            .expect("send more");
        c.expect_stall_abort(STALL, STALL * 10, &format!("zero_copy {zero_copy}"))
            .await;
        assert_eq!(
            since(before),
            expected_path(PIPE_SIZE, zero_copy),
            "zero_copy {zero_copy}"
        );
        let temps = std::fs::read_dir(h.path("."))
            .expect("read root")
            .filter(|e| {
                e.as_ref().is_ok_and(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".ferroftp-upload.")
                })
            })
            .count();
        assert_eq!(temps, 0, "zero_copy {zero_copy}");
        assert!(!h.path("big.bin").exists(), "zero_copy {zero_copy}");
        assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
        drop(data);
    }
}

// Guards the bandwidth limit: a throttled upload takes the buffered path, which meters
// every read; the zero-copy path would take the bytes at once.
#[tokio::test(start_paused = true)]
async fn a_throttled_upload_stays_buffered() {
    let _serial = LOCK.lock().await;
    let h = Harness::start(|c| {
        c.max_upload_rate = 1_000_000;
        c.login_failure_delay = Duration::ZERO;
    })
    .await;
    let data = pattern(3 * PIPE_SIZE, 6);
    let mut c = h.logged_in().await;
    assert!(c.cmd("TYPE I").await.starts_with("200 "));
    let port = pasv_port(&c.cmd("PASV").await);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("data connection");
    let before = paths();
    assert!(c.cmd("STOR ten.bin").await.starts_with("150 "));
    tokio::io::AsyncWriteExt::write_all(&mut conn, &data)
        .await
        .expect("send");
    drop(conn);
    assert!(c.next_reply().await.starts_with("226 "));
    assert_eq!(
        since(before),
        UploadPaths {
            zero_copy: 0,
            buffered: 1
        }
    );
    assert!(std::fs::read(h.path("ten.bin")).expect("read") == data);
}

// Guards the error path: a file that takes no more bytes fails a spliced upload with the
// same reply as a buffered one (the storage's error, not a lost connection), and the
// session goes on. The file-size limit (EFBIG) stands in for a full disk,
// which a test cannot make without mounting one: a REST upload next to the limit crosses
// it within the splice loop.
#[test]
fn a_file_that_takes_no_more_gets_the_same_reply_on_both_paths() {
    let _serial = LOCK.blocking_lock();
    const LIMIT: u64 = 1 << 40;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Crossing the limit raises SIGXFSZ, which would kill the test process unless it is
    // handled: tokio's handler takes it. No other test here writes near a terabyte.
    let _xfsz = rt.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ))
            .expect("handle SIGXFSZ")
    });
    let (soft, hard) = rlimit::Resource::FSIZE.get().expect("getrlimit");
    rlimit::Resource::FSIZE.set(LIMIT, hard).expect("setrlimit");
    let data = pattern(4 * PIPE_SIZE, 2);
    let offset = LIMIT - 2 * PIPE_SIZE as u64;
    let mut replies = Vec::new();
    for zero_copy in [true, false] {
        let s = TestServer::start_with(|c| c.zero_copy_uploads = zero_copy);
        std::fs::File::create(s.path("edge.bin"))
            .and_then(|f| f.set_len(offset))
            .expect("sparse file");
        let mut r = s.raw_logged_in();
        assert_eq!(r.code("TYPE I"), 200);
        r.cmd(&format!("REST {offset}"));
        let before = paths();
        let (mut conn, early) = start_upload(&mut r, "STOR edge.bin", &data);
        // The server stops reading at the error: the rest may not all be taken.
        let _ = conn.write_all(&data[early..]);
        drop(conn);
        let reply = r.reply();
        assert_eq!(
            since(before),
            expected_path(data.len(), zero_copy),
            "zero_copy {zero_copy}"
        );
        assert_eq!(r.code("NOOP"), 200);
        replies.push(reply);
        assert!(s.temp_files().is_empty());
    }
    rlimit::Resource::FSIZE
        .set(soft, hard)
        .expect("restore the limit");
    assert_eq!(replies[0].0, 552, "{:?}", replies[0]);
    assert_eq!(replies[0], replies[1]);
}

// Guards the quota: its wrapper must see every byte to count it, so a user with a quota
// never takes the zero-copy path, and an upload over the quota still gets its 552 and
// leaves nothing behind, with zero-copy on.
#[test]
fn uploads_under_a_quota_stay_buffered_and_counted() {
    use ferroftp_server::users_file::{UsersFile, UsersFileAuthenticator};
    use ferroftp_server::UserLimits;
    let _serial = LOCK.blocking_lock();
    let home = tempfile::tempdir().expect("tempdir");
    let mut users = UsersFile::new();
    users
        .add("carol", "pw", home.path(), false)
        .expect("add carol");
    let limits = UserLimits {
        quota_bytes: 3 * PIPE_SIZE as u64,
        ..UserLimits::default()
    };
    users.set_limits("carol", limits).expect("limits");
    let config = common::loopback_config();
    let auth = std::sync::Arc::new(UsersFileAuthenticator::new(users));
    let s = TestServer::start_serving(home, auth, config);
    let mut r = Raw::connect(s.addr);
    assert_eq!(r.code("USER carol"), 331);
    assert_eq!(r.code("PASS pw"), 230);
    assert_eq!(r.code("TYPE I"), 200);
    for (size, code) in [(2 * PIPE_SIZE, 226), (2 * PIPE_SIZE, 552)] {
        let data = pattern(size, 8);
        let before = paths();
        let name = format!("q{code}.bin");
        let (mut conn, early) = start_upload(&mut r, &format!("STOR {name}"), &data);
        // Over the quota the server stops reading: the rest may not all be taken.
        let _ = conn.write_all(&data[early..]);
        drop(conn);
        let (got, text) = r.reply();
        assert_eq!(got, code, "{text}");
        assert_eq!(
            since(before),
            UploadPaths {
                zero_copy: 0,
                buffered: 1
            }
        );
        if code == 226 {
            assert!(std::fs::read(s.path(&name)).expect("read") == data);
        } else {
            assert!(!s.path(&name).exists());
        }
    }
    assert!(s.temp_files().is_empty());
}
