//! The fast upload path: large buffered writes keep every byte in order across buffer
//! boundaries in every mode, a replaced file still changes atomically, and the
//! `fsync_uploads` setting reaches the storage and decides whether uploads are synced.

mod common;

use std::io::{Cursor, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use common::*;
use ferroftp_server::storage::{Capabilities, LocalStorage, Storage, StorageError, StorageFactory};

/// Many write buffers of the local backend (256 KiB each), and not a multiple of
/// anything, so that every hand-off between buffers is crossed.
const BIG: usize = 3 * 1024 * 1024 + 12_345;

/// Bytes that differ from one position to the next, so a lost, doubled or reordered piece
/// shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

/// A server whose local storage counts its fsync calls in the returned counter; the storage
/// syncs only if the server hands it `fsync_uploads`.
fn counting_server(fsync_uploads: bool) -> (TestServer, Arc<AtomicU64>) {
    let syncs = Arc::new(AtomicU64::new(0));
    let counter = syncs.clone();
    let server = TestServer::start_with(move |c| {
        c.fsync_uploads = fsync_uploads;
        c.storage = StorageFactory::with_options(Capabilities::ALL, move |account, options| {
            let storage = LocalStorage::new(&account.home)
                .map_err(StorageError::from_io)?
                .with_fsync_uploads(options.fsync_uploads)
                .with_sync_counter(counter.clone());
            Ok(Arc::new(storage) as Arc<dyn Storage>)
        });
    });
    (server, syncs)
}

/// Guards the buffer hand-offs: STOR, APPE and REST + STOR of files larger than two
/// buffers, and small ones, arrive byte for byte (a lost or reordered buffer fails it).
#[test]
fn large_and_small_uploads_arrive_intact_in_every_mode() {
    let server = TestServer::start();
    let mut ftp = server.client();
    let big = pattern(BIG, 1);
    ftp.put_file("big.bin", &mut Cursor::new(big.clone()))
        .expect("STOR big");
    assert!(std::fs::read(server.path("big.bin")).expect("read") == big);

    for len in [0usize, 1, 4096, 65_537] {
        let small = pattern(len, 2);
        ftp.put_file("small.bin", &mut Cursor::new(small.clone()))
            .expect("STOR small");
        assert!(
            std::fs::read(server.path("small.bin")).expect("read") == small,
            "{len}"
        );
    }

    // APPE onto the big file: the old bytes stay, the new ones follow.
    let more = pattern(BIG, 3);
    ftp.append_file("big.bin", &mut Cursor::new(more.clone()))
        .expect("APPE");
    let mut expected = big.clone();
    expected.extend_from_slice(&more);
    assert!(std::fs::read(server.path("big.bin")).expect("read") == expected);

    // REST + STOR from the middle of a buffer.
    let offset = 1024 * 1024 + 77;
    ftp.resume_transfer(offset).expect("REST");
    let tail = pattern(BIG, 4);
    ftp.put_file("big.bin", &mut Cursor::new(tail.clone()))
        .expect("resumed STOR");
    let mut expected = big[..offset].to_vec();
    expected.extend_from_slice(&tail);
    assert!(std::fs::read(server.path("big.bin")).expect("read") == expected);
    assert!(server.temp_files().is_empty());
    let _ = ftp.quit();
}

/// Guards TYPE A over the buffered path: line ends are converted across buffer boundaries
/// (a CR at the end of one network read and its LF at the start of the next included).
#[test]
fn ascii_uploads_convert_across_buffers() {
    let server = TestServer::start();
    let mut ftp = server.client();
    ftp.transfer_type(suppaftp::types::FileType::Ascii(
        suppaftp::types::FormatControl::Default,
    ))
    .expect("TYPE A");
    let mut wire = Vec::new();
    let mut local = Vec::new();
    let mut i = 0u32;
    while wire.len() < BIG {
        let line = format!("line {i} {}", "x".repeat((i % 97) as usize));
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
        local.extend_from_slice(line.as_bytes());
        local.push(b'\n');
        i += 1;
    }
    // suppaftp sends the bytes as they are in TYPE A; they already carry CRLF.
    ftp.put_file("text.txt", &mut Cursor::new(wire))
        .expect("STOR text");
    assert!(std::fs::read(server.path("text.txt")).expect("read") == local);
    let _ = ftp.quit();
}

/// Guards the durability setting end to end: with `fsync_uploads` the storage the server
/// opens syncs each upload (the file, then its directory: two calls); without it, none.
/// Fails if the server ignores the setting either way.
#[test]
fn fsync_uploads_decides_whether_uploads_are_synced() {
    for fsync in [false, true] {
        let (server, syncs) = counting_server(fsync);
        let mut ftp = server.client();
        for i in 0..3 {
            ftp.put_file(format!("f{i}"), &mut Cursor::new(pattern(5000, i)))
                .expect("STOR");
        }
        ftp.append_file("f0", &mut Cursor::new(b"tail".to_vec()))
            .expect("APPE");
        let want = if fsync { 2 * 4 } else { 0 };
        assert_eq!(
            syncs.load(Ordering::Relaxed),
            want,
            "fsync_uploads = {fsync}"
        );
        let _ = ftp.quit();
    }
}

/// Guards the atomic replace with both settings: while a large file is replaced, a reader
/// sees the old content or the new, whole, never a mix or a short file; afterwards the new
/// content is there and no temporary file is left.
#[test]
fn replacing_a_file_is_atomic_with_either_setting() {
    for fsync in [false, true] {
        let server = TestServer::start_with(|c| c.fsync_uploads = fsync);
        let old = vec![0xAAu8; BIG];
        let new = vec![0xBBu8; BIG];
        server.write("target.bin", &old);
        let path = server.path("target.bin");
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (stop, path) = (stop.clone(), path.clone());
            std::thread::spawn(move || {
                let mut reads = 0u32;
                while !stop.load(Ordering::Relaxed) || reads == 0 {
                    let mut content = Vec::new();
                    std::fs::File::open(&path)
                        .and_then(|mut f| f.read_to_end(&mut content))
                        .expect("the target is always there");
                    let first = content.first().copied();
                    assert_eq!(content.len(), BIG, "a short file was visible");
                    assert!(
                        content.iter().all(|b| Some(*b) == first),
                        "old and new bytes mixed"
                    );
                    reads += 1;
                }
                reads
            })
        };
        let mut ftp = server.client();
        ftp.put_file("target.bin", &mut Cursor::new(new.clone()))
            .expect("STOR");
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader saw only whole files") > 0);
        assert!(std::fs::read(&path).expect("read") == new);
        assert!(server.temp_files().is_empty(), "fsync_uploads = {fsync}");
        let _ = ftp.quit();
    }
}

/// Guards the per-upload memory bound and the error path: a data connection that sends
/// more than a buffer and then resets is discarded, the old file stays, no temporary file
/// remains, and the session goes on.
#[test]
fn a_reset_large_upload_leaves_the_old_file() {
    let server = TestServer::start();
    server.write("keep.bin", b"old content");
    let mut raw = server.raw_logged_in();
    assert_eq!(raw.code("TYPE I"), 200);
    let mut data = raw.epsv();
    raw.send("STOR keep.bin");
    assert_eq!(raw.reply().0, 150);
    data.write_all(&pattern(BIG, 5)).expect("send");
    // A reset (SO_LINGER 0) rather than a close: the upload was cut, not finished.
    let socket = socket2::Socket::from(data);
    socket
        .set_linger(Some(std::time::Duration::ZERO))
        .expect("linger");
    drop(socket);
    let (code, text) = raw.reply();
    // As in `data_and_paths`: the kernel may report the reset as a plain end of stream.
    assert!(code == 426 || code == 226, "{code} {text}");
    let kept = std::fs::read(server.path("keep.bin")).expect("read");
    if code == 426 {
        assert_eq!(kept, b"old content");
    } else {
        assert!(kept == pattern(BIG, 5));
    }
    assert!(wait_until(deadline(), || server.temp_files().is_empty()));
    assert_eq!(raw.code("NOOP"), 200);
}

/// Guards the upload that no longer looks at its target first: STOR and APPE onto a
/// directory still get their own reply, and the directory is untouched.
#[test]
fn uploads_onto_a_directory_get_their_reply() {
    let server = TestServer::start();
    std::fs::create_dir(server.path("dir")).expect("mkdir");
    let mut raw = server.raw_logged_in();
    for cmd in ["STOR dir", "APPE dir"] {
        let _data = raw.epsv();
        let (code, text) = raw.cmd(cmd);
        assert_eq!(
            (code, text.as_str()),
            (553, "553 A directory has that name.\r\n"),
            "{cmd}"
        );
    }
    assert!(server.path("dir").is_dir());
    assert!(server.temp_files().is_empty());
}
