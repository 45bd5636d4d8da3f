//! Zero-copy downloads: a plain (no TLS), binary (TYPE I), unthrottled RETR of a local file
//! goes from the page cache to the data socket with `sendfile(2)`, never through a buffer
//! of ours.
//!
//! The socket is non-blocking and driven by tokio's readiness: wait until it is writable,
//! then let one `sendfile` move as much as the socket buffer takes, at most
//! [`MAX_PER_CALL`]; a full buffer (`EAGAIN`) clears the readiness and we wait again. The
//! transfer ends when `sendfile` returns 0, that is at the end of the file as it is then:
//! a file that shrinks while it is sent ends early, one that grows is sent to its new end,
//! just like the buffered path, which reads until a read returns nothing.
//!
//! Every other download (TLS, TYPE A, a bandwidth limit, a backend without a local file)
//! takes the buffered path in `transfer.rs`; [`paths`] counts which path each download
//! took, so that tests and operators can see it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::paths::{PathCounter, Paths, ZeroCopyError, YIELD_EVERY};
use crate::stall::StallClock;

/// Most bytes one `sendfile` call may move.
///
/// The call runs on the async worker, not on the blocking pool: when the file's pages are
/// in the page cache it only hands them to the socket (a fraction of a millisecond for
/// 1 MiB), while a blocking-pool hop per call would cost two thread switches each time
/// and could not clear tokio's readiness safely (a wake-up arriving between the pool's
/// `EAGAIN` and the clearing would be lost). A page-cache miss makes the call read from
/// the disk while it holds the worker, which delays the other sessions on that worker;
/// the cap bounds that delay to one read of 1 MiB (nginx's `sendfile_max_chunk` makes the
/// same trade), and the kernel's readahead, which sequential reading triggers, keeps most
/// calls away from the disk. Measured on loopback, caps of 256 KiB, 1 MiB and 4 MiB gave
/// the same throughput and CPU per byte within the noise of the machine.
pub const MAX_PER_CALL: usize = 1024 * 1024;

pub(crate) static COUNTS: PathCounter = PathCounter::new();

/// How many downloads (RETR) took each path since the process started.
pub type DownloadPaths = Paths;

/// The counts of downloads per path so far.
pub fn paths() -> DownloadPaths {
    COUNTS.get()
}

/// Sends `file` from `offset` to its end over `socket`, counting the bytes into `progress`
/// and noting each move on `clock`. Returns the bytes sent.
pub(crate) async fn send_file<F>(
    file: &F,
    offset: u64,
    socket: &TcpStream,
    clock: &StallClock,
    progress: &AtomicU64,
) -> Result<u64, ZeroCopyError>
where
    F: std::os::fd::AsFd,
{
    COUNTS.zero_copy();
    let mut pos = offset;
    let mut total = 0u64;
    let mut since_yield = 0u64;
    loop {
        socket.writable().await.map_err(ZeroCopyError::Socket)?;
        let sent = socket.try_io(Interest::WRITABLE, || sendfile_once(socket, file, &mut pos));
        match sent {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n as u64;
                progress.store(total, Ordering::Relaxed);
                clock.moved();
                since_yield += n as u64;
                if since_yield >= YIELD_EVERY {
                    since_yield = 0;
                    tokio::task::yield_now().await;
                }
            }
            // The socket buffer is full: `try_io` cleared the readiness, wait for room.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify(e)),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn sendfile_once<F: std::os::fd::AsFd>(
    socket: &TcpStream,
    file: &F,
    pos: &mut u64,
) -> io::Result<usize> {
    // With an offset, sendfile reads from there and moves it on; the file's own cursor
    // stays where it is.
    rustix::fs::sendfile(socket, file, Some(pos), MAX_PER_CALL).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn sendfile_once<F: std::os::fd::AsFd>(
    _socket: &TcpStream,
    _file: &F,
    _pos: &mut u64,
) -> io::Result<usize> {
    // Never called: `ZERO_COPY_AVAILABLE` is false here, so every download takes the buffered path.
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// A broken or reset connection is the client's side; anything else is put on the file.
fn classify(e: io::Error) -> ZeroCopyError {
    match e.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotConnected => ZeroCopyError::Socket(e),
        _ => ZeroCopyError::File(e),
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use std::io::Write as _;
    use tokio::io::AsyncReadExt;

    use crate::paths::tcp_pair as pair;

    // Guards the zero-copy loop itself: every byte from the offset on arrives, in order,
    // for sizes around the per-call cap, and progress and the stall clock follow.
    #[tokio::test]
    async fn sends_the_file_from_the_offset_to_its_end() {
        let data: Vec<u8> = (0..(3 * MAX_PER_CALL + 12_345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(&data).expect("write");
        for offset in [
            0,
            1,
            MAX_PER_CALL as u64,
            data.len() as u64 - 1,
            data.len() as u64,
        ] {
            let (server, mut client) = pair().await;
            let clock = StallClock::new();
            let progress = AtomicU64::new(0);
            let reader = async {
                let mut got = Vec::new();
                client.read_to_end(&mut got).await.expect("read");
                got
            };
            let sender = async {
                let n = send_file(&f, offset, &server, &clock, &progress)
                    .await
                    .expect("send");
                drop(server);
                n
            };
            let (got, n) = tokio::join!(reader, sender);
            let start = usize::try_from(offset).expect("offset");
            assert_eq!(n, (data.len() - start) as u64, "offset {offset}");
            assert!(got == data[start..], "offset {offset}");
            assert_eq!(progress.load(Ordering::Relaxed), n);
        }
    }
}
