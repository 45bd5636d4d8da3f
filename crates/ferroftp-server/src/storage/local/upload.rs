//! The upload of a [`super::LocalStorage`]: bytes gather in a large buffer and go to the file
//! one whole buffer at a time on the blocking pool, while the next buffer fills (double
//! buffering). A gigabyte thus costs four thousand trips to the pool instead of sixteen
//! thousand, no thread is held while the client is slow, and an upload never holds more than
//! two buffers.
//!
//! A small file never leaves the first buffer: `commit` writes it, syncs it if asked, and
//! renames it into place in one trip to the pool.

use std::fmt;
use std::future::Future as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use async_trait::async_trait;
use cap_std::fs::Dir;
use tokio::io::AsyncWrite;
use tokio::task::JoinHandle;

use super::create::Landing;
use super::Offload;
use crate::storage::{DirectFile, StorageError, Upload};

/// Bytes gathered before one write to the file: large enough that the trips to the blocking
/// pool cost little next to the copying (four thousand per gigabyte instead of sixteen
/// thousand), small enough to stay in the CPU cache while the kernel copies it
/// into the page cache (measured: 1 MiB buffers were slower than 256 KiB ones, and the
/// allocator keeps more of them after a burst). An upload holds two.
pub(super) const WRITE_BUFFER: usize = 256 * 1024;

/// The most bytes a commit may still have to write and yet run on the async worker (when
/// `LocalStorage::with_inline_metadata` allows it): a small file's whole content, which
/// goes to the page cache in a few microseconds.
const INLINE_COMMIT_MAX: usize = 64 * 1024;

/// Whether and how uploads are forced to stable storage before they count as done.
#[derive(Debug, Clone, Default)]
pub(crate) struct Durability {
    /// fsync the file before it takes its final name, and its directory after.
    pub(crate) fsync: bool,
    /// Counts the fsync calls made (files and directories), for tests and metrics.
    pub(crate) counter: Option<Arc<AtomicU64>>,
}

impl Durability {
    /// fsyncs an open file or directory and counts it.
    fn sync(&self, file: impl std::os::fd::AsFd) -> io::Result<()> {
        rustix::fs::fsync(file)?;
        if let Some(c) = &self.counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// A write running on the blocking pool. It owns the file and the buffer while it runs and
/// hands both back, so neither is shared between threads.
type WriteTask = JoinHandle<(std::fs::File, Vec<u8>, io::Result<()>)>;

/// An upload to the local file system.
///
/// For `Create` the bytes go to a temporary file that [`Upload::commit`] renames over the
/// final name (atomic: readers see the old file or the new one, never half of it), and that
/// `abort` or dropping the upload removes; a new file's temporary file has no name at all
/// until commit links it into place (see `create.rs`). The other modes write in place, and abort keeps
/// what was written: resuming and appending are partial by nature, and the bytes that
/// reached the disk are what the client resumes from next time (its `SIZE` says where).
pub(super) struct LocalUpload {
    /// The file, while no write runs.
    file: Option<std::fs::File>,
    /// The write running, if any.
    running: Option<WriteTask>,
    /// Bytes accepted and not yet handed to a write.
    buf: Vec<u8>,
    /// The emptied buffer of the last write, to fill next.
    spare: Option<Vec<u8>>,
    /// A write failed: its error was given once; everything after fails.
    broken: bool,
    /// Bytes accepted so far.
    written: u64,
    /// The root the paths below are relative to.
    root: Arc<Dir>,
    /// For `Create` until committed or aborted: the temporary file to rename or remove, in
    /// its open directory.
    temp: Option<Landing>,
    /// The directory that holds an in-place file, relative to the root (synced with
    /// `fsync`); a `Create` upload syncs its open directory instead.
    dir: PathBuf,
    /// Whether commit syncs.
    durability: Durability,
    /// Where the commit runs (see `LocalStorage::with_inline_metadata`).
    offload: Offload,
}

impl fmt::Debug for LocalUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalUpload")
            .field("written", &self.written)
            .field("temp", &self.temp)
            .field("fsync", &self.durability.fsync)
            .finish_non_exhaustive()
    }
}

/// The error of every call after a failed write.
fn broken() -> io::Error {
    io::Error::other("an earlier write of this upload failed")
}

impl LocalUpload {
    /// An upload into `file`, open for writing, that lies in `dir`.
    pub(super) fn new(
        file: std::fs::File,
        root: Arc<Dir>,
        temp: Option<Landing>,
        dir: PathBuf,
        durability: Durability,
    ) -> LocalUpload {
        LocalUpload {
            file: Some(file),
            running: None,
            buf: Vec::new(),
            spare: None,
            broken: false,
            written: 0,
            root,
            temp,
            dir,
            durability,
            offload: Offload::default(),
        }
    }

    /// Decides where the commit runs (see `LocalStorage::with_inline_metadata`).
    pub(super) fn with_offload(mut self, offload: Offload) -> LocalUpload {
        self.offload = offload;
        self
    }

    /// Waits for the running write, if any, and takes back the file and the buffer.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(task) = self.running.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let joined = ready!(Pin::new(task).poll(cx));
        self.running = None;
        match joined {
            Ok((file, mut buf, result)) => {
                self.file = Some(file);
                buf.clear();
                self.spare = Some(buf);
                if result.is_err() {
                    self.broken = true;
                }
                Poll::Ready(result)
            }
            // The write panicked (or the runtime is going away): the file went with it.
            Err(e) => {
                self.broken = true;
                Poll::Ready(Err(io::Error::other(e)))
            }
        }
    }

    /// Starts writing the gathered bytes, once the write before is done.
    fn poll_hand_off(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_settle(cx))?;
        if self.buf.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let Some(mut file) = self.file.take() else {
            return Poll::Ready(Err(broken()));
        };
        let next = self
            .spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(WRITE_BUFFER));
        let full = std::mem::replace(&mut self.buf, next);
        self.running = Some(tokio::task::spawn_blocking(move || {
            let result = file.write_all(&full);
            (file, full, result)
        }));
        Poll::Ready(Ok(()))
    }

    /// Readies the file to be written directly (see [`Upload::direct`]), once no write
    /// runs: the gathered bytes written, and the cursor where the next byte goes.
    fn prepare_direct(&mut self) -> io::Result<()> {
        if self.broken {
            return Err(broken());
        }
        let file = self.file.as_mut().ok_or_else(broken)?;
        // The first read of an upload, at most: written here on the async worker, like
        // the spliced writes that follow (see `crate::splice::PIPE_SIZE` for why that is
        // bounded).
        if let Err(e) = file.write_all(&self.buf) {
            self.broken = true;
            return Err(e);
        }
        self.buf = Vec::new();
        Ok(())
    }

    /// Whether the file is open to append (APPE). `splice(2)` refuses such a file, and
    /// writing at the end as it was when splicing began would overwrite what a concurrent
    /// appender adds meanwhile: an append keeps the buffered path, where each write lands
    /// at the end as it is then.
    fn appends(&self) -> bool {
        // Flags that cannot be read count as appending: the buffered path is always safe.
        self.file.as_ref().is_some_and(|f| {
            rustix::fs::fcntl_getfl(f)
                .map_or(true, |flags| flags.contains(rustix::fs::OFlags::APPEND))
        })
    }

    /// Waits for the running write and takes the file and the bytes not yet written.
    async fn settle(&mut self) -> io::Result<(std::fs::File, Vec<u8>)> {
        std::future::poll_fn(|cx| self.poll_settle(cx)).await?;
        if self.broken {
            return Err(broken());
        }
        let file = self.file.take().ok_or_else(broken)?;
        Ok((file, std::mem::take(&mut self.buf)))
    }
}

/// The last step of a commit: writes `rest`, syncs the file if asked, renames a temporary
/// file over its target (or links a file without a name into place) and syncs the
/// directory if asked. The file stays open (and so
/// locked, see `try_lock`) until the rename is done, so a sweep cannot take it.
fn finish(
    root: &Dir,
    mut file: std::fs::File,
    rest: &[u8],
    temp: Option<&Landing>,
    dir: &Path,
    durability: &Durability,
) -> io::Result<()> {
    file.write_all(rest)?;
    if durability.fsync {
        durability.sync(&file)?;
    }
    if let Some(t) = temp {
        t.rename(&file)?;
    }
    if durability.fsync {
        // The new name (a rename or a created file) lives in the directory: without this,
        // a power loss could leave the old name or none.
        match temp {
            Some(t) => t.sync_dir(|d| durability.sync(d))?,
            None => durability.sync(root.open(dir)?.into_std())?,
        }
    }
    drop(file);
    Ok(())
}

#[async_trait]
impl Upload for LocalUpload {
    async fn commit(mut self: Box<Self>) -> Result<u64, StorageError> {
        // An early return drops `self`, which removes a temporary file.
        let (file, rest) = self.settle().await.map_err(StorageError::from_io)?;
        // The landing goes with the trip and comes back; a failed commit leaves it to Drop,
        // which removes the temporary file.
        let temp = self.temp.take();
        let dir = self.dir.clone();
        let root = Arc::clone(&self.root);
        let durability = self.durability.clone();
        // A commit that syncs may wait on the disk for long: never on the worker.
        let small = !durability.fsync
            && rest.len() <= INLINE_COMMIT_MAX
            && temp.as_ref().is_some_and(|t| t.cached);
        let (temp, result) = self
            .offload
            .run(small, move || {
                let result = finish(&root, file, &rest, temp.as_ref(), &dir, &durability);
                (temp, result)
            })
            .await?;
        if let Err(e) = result {
            self.temp = temp;
            return Err(StorageError::from_io(e));
        }
        Ok(self.written)
    }

    async fn direct(&mut self) -> Option<io::Result<DirectFile<'_>>> {
        if let Err(e) = std::future::poll_fn(|cx| self.poll_settle(cx)).await {
            return Some(Err(e));
        }
        // Every regular file takes spliced writes; a device or FIFO that an administrator
        // put into a home may not (`/dev/full` refuses them), so it keeps the buffer.
        let regular = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.is_file());
        if !regular || self.appends() {
            return None;
        }
        Some(match self.prepare_direct() {
            Ok(()) => match self.file.as_ref() {
                Some(file) => Ok(DirectFile::new(file, &mut self.written)),
                None => Err(broken()),
            },
            Err(e) => Err(e),
        })
    }

    async fn abort(mut self: Box<Self>) {
        match self.temp.take() {
            // A write still running goes on into the unlinked file, which is then freed.
            Some(t) => {
                let _ = tokio::task::spawn_blocking(move || t.remove_temp()).await;
            }
            // Keep what was written (see the type's docs), including the bytes gathered.
            None => {
                if let Ok((mut file, rest)) = self.settle().await {
                    let _ = tokio::task::spawn_blocking(move || file.write_all(&rest)).await;
                }
            }
        }
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        // An upload dropped without commit or abort (a cancelled task, a failed commit):
        // remove its temporary file. One unlink; fine to do synchronously. Best effort.
        if let Some(t) = self.temp.take() {
            if let Err(e) = t.remove_temp() {
                tracing::warn!(error = %e, temp = ?t.temp, "could not remove temporary upload");
            }
            return;
        }
        // An in-place upload keeps its bytes, as abort does; the gathered ones are written
        // after the running write, from a task of their own since dropping cannot wait.
        if self.buf.is_empty() || self.broken {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (running, file, rest) = (
            self.running.take(),
            self.file.take(),
            std::mem::take(&mut self.buf),
        );
        rt.spawn(async move {
            let file = match running {
                Some(task) => match task.await {
                    Ok((file, _, Ok(()))) => Some(file),
                    _ => None,
                },
                None => file,
            };
            if let Some(mut file) = file {
                let _ = tokio::task::spawn_blocking(move || file.write_all(&rest)).await;
            }
        });
    }
}

impl AsyncWrite for LocalUpload {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.broken {
            return Poll::Ready(Err(broken()));
        }
        if this.buf.len() >= WRITE_BUFFER {
            ready!(this.poll_hand_off(cx))?;
        }
        let n = (WRITE_BUFFER - this.buf.len()).min(data.len());
        let needed = this.buf.len() + n;
        if needed > this.buf.capacity() {
            // A file that fits its first write stays that small; one that goes on gets the
            // whole buffer at once (few sizes of allocation keep the allocator's caches
            // small after a burst).
            let grown = if this.buf.capacity() == 0 {
                needed
            } else {
                WRITE_BUFFER
            };
            this.buf.reserve_exact(grown - this.buf.len());
        }
        this.buf.extend_from_slice(&data[..n]);
        this.written = this.written.saturating_add(n as u64);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.broken {
            return Poll::Ready(Err(broken()));
        }
        ready!(this.poll_hand_off(cx))?;
        this.poll_settle(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    /// An upload into `/dev/full`, where every write fails with ENOSPC.
    fn into_dev_full() -> Box<LocalUpload> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let root = Dir::open_ambient_dir("/dev", cap_std::ambient_authority()).expect("/dev");
        Box::new(LocalUpload::new(
            file,
            Arc::new(root),
            None,
            PathBuf::from("."),
            Durability::default(),
        ))
    }

    /// Guards the error path of buffered writes: a full disk still surfaces as
    /// `StorageError::NoSpace` (the client's "insufficient storage" reply), from a write
    /// once a buffer has gone to the disk, and from commit for a file that fits one buffer.
    #[tokio::test]
    async fn a_full_disk_surfaces_from_write_and_from_commit() {
        let mut up = into_dev_full();
        let chunk = vec![7u8; 64 * 1024];
        let mut failure = None;
        for _ in 0..(4 * WRITE_BUFFER / chunk.len()) {
            if let Err(e) = up.write_all(&chunk).await {
                failure = Some(e);
                break;
            }
        }
        let e = StorageError::from_io(failure.expect("a write failed"));
        assert!(matches!(e, StorageError::NoSpace(_)), "{e}");
        // Broken for good: later writes and the commit fail too.
        assert!(up.write_all(b"x").await.is_err());
        assert!(up.commit().await.is_err());

        let mut up = into_dev_full();
        up.write_all(b"small").await.expect("gathered");
        let e = up.commit().await.expect_err("commit writes");
        assert!(matches!(e, StorageError::NoSpace(_)), "{e}");
    }

    /// Guards flush: it puts every gathered byte in the file.
    #[tokio::test]
    async fn flush_writes_everything_gathered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let file = std::fs::File::create(&path).expect("create");
        let root = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).expect("dir");
        let mut up = Box::new(LocalUpload::new(
            file,
            Arc::new(root),
            None,
            PathBuf::from("."),
            Durability::default(),
        ));
        let data: Vec<u8> = (0..(2 * WRITE_BUFFER + 5)).map(|i| i as u8).collect();
        up.write_all(&data).await.expect("write");
        up.flush().await.expect("flush");
        assert!(std::fs::read(&path).expect("read") == data);
        assert_eq!(up.commit().await.expect("commit"), data.len() as u64);
    }
}
