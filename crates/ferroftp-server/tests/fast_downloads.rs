//! The fast paths of RETR: `sendfile(2)` for plain, binary, unthrottled downloads of local
//! files, and the buffered path (large blocks, read ahead) for everything else. Both must
//! send exactly the bytes of the file from the REST offset on; TYPE A, TLS and a bandwidth
//! limit must never take the zero-copy path; ABOR, the stall timeout and a file that
//! changes size mid-transfer behave the same on both paths.
//!
//! Which path a download took is read from `ferroftp_server::sendfile::paths()`, a
//! process-wide count: the tests of this file take [`LOCK`] so that no other download runs
//! while one of them compares the counts before and after.

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::duplex::{pasv_port, Harness};
use common::{explicit_client, read_all, TestServer};
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::sendfile::{paths, DownloadPaths};
use ferroftp_server::tls::SessionReuse;
use tokio::time::Instant;

/// Held by every test here: the path counts are process-wide.
static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Bytes that differ from one offset to the next, so a misplaced byte shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 253) as u8).collect()
}

/// How many downloads took each path since `before`.
fn since(before: DownloadPaths) -> DownloadPaths {
    let now = paths();
    DownloadPaths {
        zero_copy: now.zero_copy - before.zero_copy,
        buffered: now.buffered - before.buffered,
    }
}

/// RETR `name` from `offset` over a raw control connection; the bytes and the final code.
fn retr(s: &TestServer, name: &str, offset: u64, ascii: bool) -> (Vec<u8>, u16) {
    let mut r = s.raw_logged_in();
    assert_eq!(r.code(if ascii { "TYPE A" } else { "TYPE I" }), 200);
    if offset > 0 {
        assert_eq!(r.code(&format!("REST {offset}")), 350);
    }
    let data = r.pasv();
    let (code, text) = r.cmd(&format!("RETR {name}"));
    assert_eq!(code, 150, "{text}");
    let got = read_all(data);
    (got, r.reply().0)
}

// Guards the core promise of both paths: for sizes around every boundary (empty, one byte,
// odd sizes, the buffered block, several MiB) and REST offsets at the start, the middle,
// the last byte and the end, the client gets exactly the file's bytes from the offset on,
// and the download went the way the server's settings say.
#[test]
fn zero_copy_and_buffered_paths_send_identical_bytes_from_every_offset() {
    let _serial = LOCK.blocking_lock();
    let sizes = [
        0usize,
        1,
        4095,
        65_537,
        256 * 1024 - 1,
        256 * 1024 + 1,
        3 * 1024 * 1024 + 17,
    ];
    let fast = TestServer::start();
    let slow = TestServer::start_with(|c| c.zero_copy_downloads = false);
    for (i, &size) in sizes.iter().enumerate() {
        let name = format!("f{i}.bin");
        let data = pattern(size);
        fast.write(&name, &data);
        slow.write(&name, &data);
        let len = size as u64;
        let mut offsets = vec![0, len / 2, len.saturating_sub(1), len];
        offsets.dedup();
        for offset in offsets {
            let start = usize::try_from(offset).expect("offset");
            let before = paths();
            let (from_fast, code) = retr(&fast, &name, offset, false);
            assert_eq!(code, 226, "size {size}, offset {offset}");
            assert_eq!(
                since(before),
                DownloadPaths {
                    zero_copy: 1,
                    buffered: 0
                },
                "size {size}, offset {offset}: zero-copy not taken"
            );
            let before = paths();
            let (from_slow, code) = retr(&slow, &name, offset, false);
            assert_eq!(code, 226, "size {size}, offset {offset}");
            assert_eq!(
                since(before),
                DownloadPaths {
                    zero_copy: 0,
                    buffered: 1
                },
                "size {size}, offset {offset}: buffered path not taken"
            );
            assert!(
                from_fast == data[start..],
                "zero-copy: size {size}, offset {offset}, got {} bytes",
                from_fast.len()
            );
            assert!(
                from_slow == from_fast,
                "buffered: size {size}, offset {offset}, got {} bytes",
                from_slow.len()
            );
        }
    }
}

// Guards TYPE A: its line ends are converted, so it must never go out with sendfile,
// which would send the file's own line ends.
#[test]
fn ascii_downloads_never_take_the_zero_copy_path() {
    let _serial = LOCK.blocking_lock();
    let s = TestServer::start();
    let mut text = Vec::new();
    for i in 0..60_000 {
        text.extend_from_slice(format!("line {i}\n").as_bytes());
    }
    s.write("text.txt", &text);
    let before = paths();
    let (got, code) = retr(&s, "text.txt", 0, true);
    assert_eq!(code, 226);
    assert_eq!(
        since(before),
        DownloadPaths {
            zero_copy: 0,
            buffered: 1
        }
    );
    let mut expected = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        expected.extend_from_slice(&line[..line.len() - 1]);
        expected.extend_from_slice(b"\r\n");
    }
    assert!(
        got == expected,
        "{} bytes, expected {}",
        got.len(),
        expected.len()
    );
}

// Guards PROT P: the bytes must be encrypted, so a TLS data connection never takes the
// zero-copy path (it would send the file in the clear), from any offset.
#[test]
fn tls_downloads_never_take_the_zero_copy_path() {
    let _serial = LOCK.blocking_lock();
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let data = pattern(1024 * 1024 + 3);
    s.write("secret.bin", &data);
    let mut ftp = explicit_client(s.addr, &cert, true);
    for offset in [0usize, 1000, data.len() - 1] {
        let before = paths();
        if offset > 0 {
            ftp.resume_transfer(offset).expect("REST");
        }
        let got = ftp.retr_as_buffer("secret.bin").expect("RETR").into_inner();
        assert_eq!(
            since(before),
            DownloadPaths {
                zero_copy: 0,
                buffered: 1
            },
            "offset {offset}"
        );
        assert!(
            got == data[offset..],
            "offset {offset}: {} bytes",
            got.len()
        );
    }
}

/// A download of a large file whose first kilobyte was read, then left unread: the
/// transfer waits on a full socket.
fn stalled_download(s: &TestServer, name: &str) -> (common::Raw, std::net::TcpStream) {
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);
    let mut data = r.pasv();
    r.send(&format!("RETR {name}"));
    assert_eq!(r.reply().0, 150);
    let mut buf = [0u8; 1024];
    data.read_exact(&mut buf).expect("first kilobyte");
    (r, data)
}

// Guards ABOR on both paths: a download that waits on the client's socket (inside the
// sendfile loop, or with a block read ahead) still ends at once with 426, then 226, and
// the session goes on.
#[test]
fn abor_during_a_download_gives_426_then_226_on_both_paths() {
    let _serial = LOCK.blocking_lock();
    for zero_copy in [true, false] {
        let s = TestServer::start_with(|c| c.zero_copy_downloads = zero_copy);
        s.write("huge.bin", &vec![7u8; 32 * 1024 * 1024]);
        let before = paths();
        let (mut r, _data) = stalled_download(&s, "huge.bin");
        let taken = since(before);
        assert_eq!(taken.zero_copy, u64::from(zero_copy), "{taken:?}");
        assert_eq!(taken.buffered, u64::from(!zero_copy), "{taken:?}");
        r.abort_running_transfer(&format!("zero_copy {zero_copy}"));
        assert_eq!(r.code("NOOP"), 200);
    }
}

// Guards the end of a transfer on both paths: it ends at the end of the file as it is
// when read, so a file cut short mid-download ends the download early (with 226, not a
// hang or an error) and one that grows is sent to its new end.
#[test]
fn a_file_that_shrinks_or_grows_mid_download_is_sent_to_its_end_as_it_is_then() {
    let _serial = LOCK.blocking_lock();
    const SIZE: usize = 48 * 1024 * 1024;
    for zero_copy in [true, false] {
        let s = TestServer::start_with(|c| c.zero_copy_downloads = zero_copy);
        s.write("shrinks.bin", &vec![1u8; SIZE]);
        s.write("grows.bin", &vec![2u8; SIZE]);

        let (mut r, mut data) = stalled_download(&s, "shrinks.bin");
        std::fs::File::options()
            .write(true)
            .open(s.path("shrinks.bin"))
            .and_then(|f| f.set_len(0))
            .expect("truncate");
        let mut rest = Vec::new();
        data.read_to_end(&mut rest).expect("read");
        assert_eq!(r.reply().0, 226, "zero_copy {zero_copy}");
        assert!(
            rest.len() + 1024 < SIZE,
            "zero_copy {zero_copy}: {} bytes after the cut",
            rest.len()
        );
        assert!(rest.iter().all(|&b| b == 1));

        let (mut r, mut data) = stalled_download(&s, "grows.bin");
        std::fs::File::options()
            .append(true)
            .open(s.path("grows.bin"))
            .and_then(|mut f| f.write_all(&[3u8; 1000]))
            .expect("append");
        let mut rest = Vec::new();
        data.read_to_end(&mut rest).expect("read");
        assert_eq!(r.reply().0, 226, "zero_copy {zero_copy}");
        assert_eq!(rest.len() + 1024, SIZE + 1000, "zero_copy {zero_copy}");
        assert!(rest[rest.len() - 1000..].iter().all(|&b| b == 3));
    }
}

const STALL: Duration = Duration::from_secs(60);

// Guards the stall timeout on both paths: the sendfile loop notes every byte it moves on
// the stall clock (the buffered path writes through the watched connection), so a client
// that stops reading ends the download with 426 exactly one stall timeout after the last
// byte moved (virtual time), and the session goes on.
#[tokio::test(start_paused = true)]
async fn a_download_the_client_stops_reading_ends_after_the_stall_timeout_on_both_paths() {
    let _serial = LOCK.lock().await;
    for zero_copy in [true, false] {
        let h = Harness::start(|c| {
            c.stall_timeout = STALL;
            c.login_failure_delay = Duration::ZERO;
            c.zero_copy_downloads = zero_copy;
        })
        .await;
        std::fs::write(h.path("big.bin"), vec![b'x'; 48 << 20]).expect("write big file");
        let mut c = h.logged_in().await;
        assert!(c.cmd("TYPE I").await.starts_with("200 "));
        let port = pasv_port(&c.cmd("PASV").await);
        let data = std::net::TcpStream::connect(("127.0.0.1", port)).expect("data connection");
        let before = paths();
        assert!(c.cmd("RETR big.bin").await.starts_with("150 "));
        c.expect_stall_abort(STALL, STALL * 10, &format!("zero_copy {zero_copy}"))
            .await;
        let taken = since(before);
        assert_eq!(taken.zero_copy, u64::from(zero_copy), "{taken:?}");
        assert_eq!(taken.buffered, u64::from(!zero_copy), "{taken:?}");
        assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
        drop(data);
    }
}

// Guards the bandwidth limit: a throttled download takes the buffered path, which meters
// every write, and 10 MB at 1 MB/s take ten seconds of virtual time (within 10%), where
// the zero-copy path would send them at once.
#[tokio::test(start_paused = true)]
async fn a_throttled_download_stays_buffered_and_within_its_limit() {
    let _serial = LOCK.lock().await;
    const MB: u64 = 1_000_000;
    let h = Harness::start(|c| {
        c.max_download_rate = MB;
        c.login_failure_delay = Duration::ZERO;
    })
    .await;
    let data = pattern(10 * MB as usize);
    std::fs::write(h.path("ten.bin"), &data).expect("write file");
    let mut c = h.logged_in().await;
    assert!(c.cmd("TYPE I").await.starts_with("200 "));
    let port = pasv_port(&c.cmd("PASV").await);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("data connection");
    let before = paths();
    assert!(c.cmd("RETR ten.bin").await.starts_with("150 "));
    let start = Instant::now();
    let mut got = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut got)
        .await
        .expect("read data");
    let took = start.elapsed();
    assert!(c.next_reply().await.starts_with("226 "));
    assert!(got == data, "{} bytes", got.len());
    assert_eq!(
        since(before),
        DownloadPaths {
            zero_copy: 0,
            buffered: 1
        }
    );
    assert!(
        (9.0..=11.0).contains(&took.as_secs_f64()),
        "10 MB at 1 MB/s took {took:?}"
    );
}
