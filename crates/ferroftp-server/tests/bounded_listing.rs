//! Listings do bounded work: the local backend reads a directory in batches on the
//! blocking pool and never keeps a blocking thread waiting for a client that does not read.

use std::time::Duration;

use ferroftp_proto::path::VPath;
use ferroftp_server::storage::{LocalStorage, Storage};
use futures::StreamExt as _;

/// Guards the parked blocking thread of the report: with a blocking pool of one thread, a
/// listing whose consumer stopped after one entry (a client that never reads) must leave
/// that thread free, so other file operations still run. Before, the listing's reader held
/// the thread in a blocking send as soon as its channel was full, and the `metadata` call
/// below never ran.
#[test]
fn a_stalled_listing_holds_no_blocking_thread() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // More entries than one batch and than the old read-ahead channel held.
    for i in 0..1000 {
        std::fs::write(tmp.path().join(format!("f{i:04}")), b"x").expect("write");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let storage = LocalStorage::new(tmp.path()).expect("open");
        let mut stalled = storage.list(&VPath::root()).await.expect("list");
        assert!(stalled.next().await.is_some());
        // The stalled stream stays alive (the client is still connected) while another
        // operation needs the one blocking thread. The deadline only turns a hang into a
        // failure; nothing is timed.
        let other = tokio::time::timeout(
            Duration::from_secs(30),
            storage.metadata(&VPath::root().join("f0001").expect("path")),
        )
        .await;
        assert!(
            matches!(other, Ok(Ok(_))),
            "the stalled listing kept the blocking thread: {other:?}"
        );
        // And the stalled listing goes on where it stopped, to the end.
        let mut rest = 0;
        while let Some(entry) = stalled.next().await {
            entry.expect("entry");
            rest += 1;
        }
        assert_eq!(rest, 999);
    });
}
