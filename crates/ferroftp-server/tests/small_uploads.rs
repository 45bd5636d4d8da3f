//! Many small uploads over one session (the small-file benchmark's shape), end to end: the
//! `inline_upload_metadata` setting reaches the storage and decides where a STOR's file
//! system calls run, and either way every file arrives whole, under its name, with no
//! temporary file left or listed.

mod common;

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::*;
use ferroftp_server::storage::{Capabilities, LocalStorage, Storage, StorageError, StorageFactory};

/// A server whose local storage counts its trips to the blocking pool for STOR; it runs
/// them on the worker only if the server hands it `inline_upload_metadata`.
fn counting_server(inline: bool) -> (TestServer, Arc<AtomicU64>) {
    let trips = Arc::new(AtomicU64::new(0));
    let counter = trips.clone();
    let server = TestServer::start_with(move |c| {
        c.inline_upload_metadata = inline;
        c.storage = StorageFactory::with_options(Capabilities::ALL, move |account, options| {
            let storage = LocalStorage::new(&account.home)
                .map_err(StorageError::from_io)?
                .with_fsync_uploads(options.fsync_uploads)
                .with_inline_metadata(options.inline_upload_metadata)
                .with_trip_counter(counter.clone());
            Ok(Arc::new(storage) as Arc<dyn Storage>)
        });
    });
    (server, trips)
}

/// Guards the setting end to end: off, each STOR makes two trips to the blocking pool (one
/// to start, one to commit); on, none (the directory is in the dentry cache after the first
/// lookup). Every file arrives whole, NLST names exactly the stored files, and no temporary
/// file is left. Fails if the server ignores the setting either way.
#[test]
fn inline_upload_metadata_decides_where_a_store_runs() {
    const FILES: u64 = 40;
    for inline in [false, true] {
        let (server, trips) = counting_server(inline);
        std::fs::create_dir(server.path("up")).expect("mkdir");
        let mut ftp = server.client();
        // A first upload brings the directory into the dentry cache for sure.
        ftp.put_file("up/warm", &mut Cursor::new(b"w".to_vec()))
            .expect("STOR");
        let before = trips.load(Ordering::Relaxed);
        for i in 0..FILES {
            let body = vec![i as u8; 4096];
            ftp.put_file(format!("up/f{i:03}"), &mut Cursor::new(body))
                .expect("STOR");
        }
        let made = trips.load(Ordering::Relaxed) - before;
        let want = if inline { 0 } else { 2 * FILES };
        assert_eq!(made, want, "inline_upload_metadata = {inline}");
        for i in 0..FILES {
            let got = std::fs::read(server.path(&format!("up/f{i:03}"))).expect("read");
            assert!(got == vec![i as u8; 4096], "f{i:03}");
        }
        let mut listed = ftp.nlst(Some("up")).expect("NLST");
        listed.sort();
        assert_eq!(listed.len() as u64, FILES + 1, "{listed:?}");
        assert!(listed.iter().all(|n| !n.contains(".ferroftp-upload.")));
        let on_disk = std::fs::read_dir(server.path("up"))
            .expect("read_dir")
            .count() as u64;
        assert_eq!(on_disk, FILES + 1, "a temporary file was left");
        let _ = ftp.quit();
    }
}
