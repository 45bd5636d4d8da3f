//! Zero-copy uploads, the mirror of [`crate::sendfile`]: a plain (no TLS), binary (TYPE I),
//! unthrottled upload to local storage moves from the data socket into a pipe and from the
//! pipe into the file with `splice(2)`, never through a buffer of ours.
//!
//! The first read of every upload still goes into memory (see `transfer.rs`), so a small
//! file costs what it did: one trip to the blocking pool that writes and renames it. Only
//! when that read fills its buffer does the upload switch: the bytes read so far go to the
//! file first, then `receive_file` takes over until the client closes the connection.
//!
//! The socket is non-blocking and driven by tokio's readiness: wait until it is readable,
//! let one `splice` move what the socket holds into the (empty) pipe, at most the pipe's
//! size, then empty the pipe into the file. `EAGAIN` from the socket clears the readiness
//! and we wait again; the transfer ends when the socket splice returns 0 (the client
//! closed its side, which is how stream mode marks the end of a file).
//!
//! Every other upload (TLS, TYPE A, a bandwidth limit, a quota or dropbox wrapper, a
//! backend without a local file) takes the buffered path in `transfer.rs`; [`paths`]
//! counts which path each upload took, so that tests and operators can see it.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::paths::{PathCounter, Paths, ZeroCopyError, YIELD_EVERY};
use crate::stall::StallClock;

/// The pipe's size, which is the most one round (socket to pipe, pipe to file) moves.
///
/// The pipe to file splice copies the socket's pages into the page cache on the async
/// worker, not on the blocking pool, as `sendfile` reads there for downloads: the file
/// is a regular file, whose writes never wait on the client, and while dirty pages stay
/// under the kernel's limits a write only copies into the page cache (a fraction of a
/// millisecond for 1 MiB). Past those limits the kernel throttles the writer
/// (`balance_dirty_pages`), which then holds the worker for as long as the disk needs to
/// catch up; the cap bounds each stretch to one pipe's worth, and `YIELD_EVERY` hands
/// the worker to the other sessions between stretches. A hop to the blocking pool per
/// round would cost two thread switches each time, the very overhead this path removes.
/// A pipe larger than the default 64 KiB needs `F_SETPIPE_SZ`, which an unprivileged
/// process may use up to `/proc/sys/fs/pipe-max-size` (1 MiB by default) while its user's
/// pipes stay under `/proc/sys/fs/pipe-user-pages-soft` (64 MiB by default, so some 60
/// uploads at once); if the kernel refuses, the pipe keeps the size it was given, and the
/// upload moves in smaller rounds, correct but with more system calls. The pages a pipe
/// holds are the socket's own, taken by reference: no memory of the process. Measured on
/// 1 GiB uploads over loopback, pipes of 64 KiB, 256 KiB and 1 MiB cost the same CPU per
/// byte within the noise of the machine.
pub const PIPE_SIZE: usize = 1024 * 1024;

pub(crate) static COUNTS: PathCounter = PathCounter::new();

/// How many uploads (STOR, APPE, STOU) took each path since the process started.
pub type UploadPaths = Paths;

/// The counts of uploads per path so far.
pub fn paths() -> UploadPaths {
    COUNTS.get()
}

/// The pipe of one zero-copy upload: two descriptors, taken only once the upload
/// switches to zero-copy (after its first read, when the passive listener is closed), so
/// that a data channel holds four at most: the data connection, the file and the pipe's
/// two ends (see `fd_limit.rs` in the binary).
#[derive(Debug)]
pub(crate) struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    /// A new pipe, or the reason there is none (no descriptor left, say): the upload then
    /// stays on the buffered path.
    pub(crate) fn new() -> io::Result<Pipe> {
        let (read, write) = new_pipe()?;
        Ok(Pipe { read, write })
    }
}

/// Moves what arrives on `socket` into `file` at its cursor through `pipe` until the
/// client closes the connection, counting the bytes into `progress` from `already` on and
/// noting each move on `clock`. Returns the bytes spliced (without `already`).
pub(crate) async fn receive_file<F: AsFd>(
    socket: &TcpStream,
    file: &F,
    pipe: Pipe,
    clock: &StallClock,
    progress: &AtomicU64,
    already: u64,
) -> Result<u64, ZeroCopyError> {
    COUNTS.zero_copy();
    let Pipe {
        read: pipe_out,
        write: pipe_in,
    } = pipe;
    let cap = pipe_size(&pipe_in);
    let mut total = 0u64;
    let mut since_yield = 0u64;
    loop {
        socket.readable().await.map_err(ZeroCopyError::Socket)?;
        let got = socket.try_io(Interest::READABLE, || {
            from_socket(socket, &pipe_in, cap).map_err(io::Error::from)
        });
        match got {
            Ok(0) => return Ok(total),
            Ok(n) => {
                // The pipe was empty before this round, so it holds exactly `n` bytes now;
                // they all go to the file before the socket is read again.
                to_file(&pipe_out, file, n).map_err(ZeroCopyError::File)?;
                total += n as u64;
                progress.store(already + total, Ordering::Relaxed);
                clock.moved();
                since_yield += n as u64;
                if since_yield >= YIELD_EVERY {
                    since_yield = 0;
                    tokio::task::yield_now().await;
                }
            }
            // Nothing to read: `try_io` cleared the readiness, wait for more.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ZeroCopyError::Socket(e)),
        }
    }
}

/// A pipe: (read end, write end). Both ends close with the transfer, also when it is
/// dropped mid-way (ABOR, a stall): bytes still in the pipe are freed with it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn new_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pipe::{pipe_with, PipeFlags};
    pipe_with(PipeFlags::CLOEXEC).map_err(io::Error::from)
}

/// The pipe's size after asking for [`PIPE_SIZE`]: the kernel may refuse (a user over
/// its pipe allowance) and leave the default.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pipe_size(pipe: &OwnedFd) -> usize {
    use rustix::pipe::{fcntl_getpipe_size, fcntl_setpipe_size};
    match fcntl_setpipe_size(pipe, PIPE_SIZE) {
        Ok(n) => n,
        Err(_) => fcntl_getpipe_size(pipe).unwrap_or(64 * 1024),
    }
}

/// One splice from the socket into the empty pipe, without blocking on either.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn from_socket(socket: &TcpStream, pipe_in: &OwnedFd, cap: usize) -> rustix::io::Result<usize> {
    use rustix::pipe::{splice, SpliceFlags};
    splice(
        socket,
        None,
        pipe_in,
        None,
        cap,
        SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
    )
}

/// Empties the pipe's `n` bytes into `file` at its cursor (which moves on, as a `write`
/// would move it).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn to_file<F: AsFd>(pipe_out: &OwnedFd, file: &F, mut n: usize) -> io::Result<()> {
    use rustix::pipe::{splice, SpliceFlags};
    while n > 0 {
        match splice(pipe_out, None, file, None, n, SpliceFlags::MOVE) {
            // The pipe holds `n` bytes, so nothing moved means the file takes no more.
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(m) => n -= m,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn new_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    // Never called: `ZERO_COPY_AVAILABLE` is false here, so every upload takes the buffered path.
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pipe_size(_pipe: &OwnedFd) -> usize {
    0
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn from_socket(_socket: &TcpStream, _pipe_in: &OwnedFd, _cap: usize) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn to_file<F: AsFd>(_pipe_out: &OwnedFd, _file: &F, _n: usize) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use std::io::{Read as _, Seek as _, SeekFrom};
    use tokio::io::AsyncWriteExt;

    use crate::paths::tcp_pair as pair;

    /// Sends `data` over a loopback connection and splices it into `file` after `already`
    /// bytes received before: the loop's result and the progress it counted. The sender
    /// stops quietly when the receiver stops reading.
    async fn splice_in(
        file: &std::fs::File,
        data: &[u8],
        already: u64,
    ) -> (Result<u64, ZeroCopyError>, u64) {
        let (server, mut client) = pair().await;
        let clock = StallClock::new();
        let progress = AtomicU64::new(0);
        let sender = async {
            let _ = client.write_all(data).await;
            drop(client);
        };
        let pipe = Pipe::new().expect("pipe");
        let (_, got) = tokio::join!(
            sender,
            receive_file(&server, file, pipe, &clock, &progress, already)
        );
        (got, progress.load(Ordering::Relaxed))
    }

    // Guards the splice loop itself: every byte arrives in the file, in order, at the
    // file's cursor, for sizes around the pipe size, and progress counts on from what was
    // received before the switch.
    #[tokio::test]
    async fn splices_every_byte_to_the_file_cursor() {
        for size in [
            1,
            PIPE_SIZE - 1,
            PIPE_SIZE,
            PIPE_SIZE + 1,
            3 * PIPE_SIZE + 777,
        ] {
            let data: Vec<u8> = (0..size).map(|i| (i * 13 % 251) as u8).collect();
            let mut f = tempfile::tempfile().expect("tempfile");
            std::io::Write::write_all(&mut f, b"head").expect("head");
            let (got, progress) = splice_in(&f, &data, 4).await;
            let n = got.expect("receive");
            assert_eq!(n, size as u64);
            assert_eq!(progress, 4 + n);
            f.seek(SeekFrom::Start(0)).expect("seek");
            let mut back = Vec::new();
            f.read_to_end(&mut back).expect("read back");
            assert!(back[..4] == *b"head" && back[4..] == data, "size {size}");
        }
    }

    // Guards the error side: a file that refuses more bytes fails the upload with the
    // file's own error, not as a lost connection, so the client hears what the buffered
    // path would say. A real regular file past the file-size limit (EFBIG) stands in for a
    // full disk, which a test cannot make without mounting one.
    #[tokio::test]
    async fn a_file_that_takes_no_more_is_the_files_error() {
        const LIMIT: u64 = 1 << 40;
        // Past the limit a write fails with EFBIG, and raises SIGXFSZ, which would kill
        // the test process unless it is handled: tokio's handler takes it. No other test
        // here writes anywhere near a terabyte.
        let _xfsz =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ))
                .expect("handle SIGXFSZ");
        let (soft, hard) = rlimit::Resource::FSIZE.get().expect("getrlimit");
        rlimit::Resource::FSIZE.set(LIMIT, hard).expect("setrlimit");
        let mut f = tempfile::tempfile().expect("tempfile");
        f.seek(SeekFrom::Start(LIMIT - 1000)).expect("seek");
        // The server stops reading at the error; the rest may not be taken.
        let (got, _) = splice_in(&f, &vec![1u8; 256 * 1024], 0).await;
        rlimit::Resource::FSIZE
            .set(soft, hard)
            .expect("restore the limit");
        match got {
            Err(ZeroCopyError::File(e)) => {
                assert_eq!(e.raw_os_error(), Some(libc::EFBIG), "{e}");
                let e = crate::storage::StorageError::from_io(e);
                assert!(
                    matches!(e, crate::storage::StorageError::FileTooLarge(_)),
                    "{e}"
                );
            }
            other => panic!("expected a file error, got {other:?}"),
        }
    }
}
