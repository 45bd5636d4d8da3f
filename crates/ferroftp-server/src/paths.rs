//! What the zero-copy paths (`sendfile.rs` for downloads, `splice.rs` for uploads) share:
//! when they exist, how often they hand the worker back, and counters of which path each
//! transfer took, which tests and operators read to see that a fast path is taken exactly
//! where it should be.

use std::sync::atomic::{AtomicU64, Ordering};

/// Whether this build can move file data without copying it (Linux only).
pub(crate) const ZERO_COPY_AVAILABLE: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// After this many bytes moved without waiting (a client as fast as the disk), a zero-copy
/// transfer hands the worker back once, so that it cannot starve the sessions that share
/// the worker.
pub(crate) const YIELD_EVERY: u64 = 8 * 1024 * 1024;

/// Which side of a zero-copy transfer failed: the kernel call that moves the bytes reports
/// the file's and the socket's errors alike, so each loop says which it was.
#[derive(Debug)]
pub(crate) enum ZeroCopyError {
    /// The file (a disk error on reading; a full disk, a quota or an I/O error on writing).
    File(std::io::Error),
    /// The data connection (the client went away, a reset).
    Socket(std::io::Error),
}

/// How many transfers of one direction took each path since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paths {
    /// Moved by the kernel without passing through a buffer of ours (`sendfile` for
    /// downloads, `splice` for uploads).
    pub zero_copy: u64,
    /// Read into a buffer and written (TLS, TYPE A, throttled, other backends, zero-copy
    /// turned off; for uploads also every file that ends within its first read).
    pub buffered: u64,
}

/// The live counters behind [`Paths`].
pub(crate) struct PathCounter {
    zero_copy: AtomicU64,
    buffered: AtomicU64,
}

impl PathCounter {
    /// Both counts at zero.
    pub(crate) const fn new() -> PathCounter {
        PathCounter {
            zero_copy: AtomicU64::new(0),
            buffered: AtomicU64::new(0),
        }
    }

    /// Counts a transfer that takes the zero-copy path.
    pub(crate) fn zero_copy(&self) {
        self.zero_copy.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a transfer that takes the buffered path.
    pub(crate) fn buffered(&self) {
        self.buffered.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now.
    pub(crate) fn get(&self) -> Paths {
        Paths {
            zero_copy: self.zero_copy.load(Ordering::Relaxed),
            buffered: self.buffered.load(Ordering::Relaxed),
        }
    }
}

/// A connected pair of loopback TCP streams (server side, client side), for the tests of
/// the zero-copy loops.
#[cfg(test)]
pub(crate) async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (a, b) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
    (b.expect("accept").0, a.expect("connect"))
}
