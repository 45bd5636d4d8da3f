//! Per-user quotas: most bytes and most regular files under the user's root.
//!
//! Usage is counted once, when the first session of a user logs in, by a bounded walk of the
//! root on the blocking pool; from then on the sessions keep it up to date themselves, as
//! their uploads, deletions and renames succeed. All sessions of a user share one counter
//! (see [`crate::limits`]): their uploads are charged against it byte by byte as the bytes
//! arrive, so two concurrent uploads cannot both fill the same free space. The counter lives
//! as long as one of the user's sessions does; the next login after the last session ends
//! walks the root again, which picks up whatever an administrator changed on disk meanwhile.
//!
//! Uploads are metered where they are written, by wrapping the user's [`Storage`]: an upload
//! that would go over the quota fails with [`StorageError::QuotaExceeded`] (the client gets
//! `Msg::QuotaExceeded`), and what it wrote is undone: a new file or a temporary file is
//! removed, an append or a resumed upload is cut back to where it started.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use async_trait::async_trait;
use ferroftp_proto::listing::{EntryInfo, EntryKind};
use ferroftp_proto::path::VPath;
use tokio::io::AsyncWrite;

use crate::storage::{
    Capabilities, ChunkStream, EntryStream, ListLines, ReadStream, Storage, StorageError, Upload,
    WriteMode,
};

/// Most directory entries the login walk looks at. Past it the walk stops and the usage
/// counted so far stands (logged), so that a huge tree cannot hold a login or a blocking
/// thread for long.
pub const MAX_SCAN_ENTRIES: u64 = 1_000_000;

/// Bytes and regular files in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Total size of the regular files.
    pub bytes: u64,
    /// How many regular files.
    pub files: u64,
}

/// One user's quota and what is in use, shared by all the user's sessions.
#[derive(Debug)]
pub struct Quota {
    max_bytes: u64,
    max_files: u64,
    used: Mutex<Usage>,
}

impl Quota {
    /// A quota of `max_bytes` and `max_files` (0: no limit of that kind) with `used` in use.
    pub fn new(max_bytes: u64, max_files: u64, used: Usage) -> Quota {
        Quota {
            max_bytes,
            max_files,
            used: Mutex::new(used),
        }
    }

    /// What is in use now.
    pub fn usage(&self) -> Usage {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Usage> {
        // The guarded numbers stay consistent even if a holder panicked.
        self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `n` more bytes, unless that goes over the quota.
    fn charge_bytes(&self, n: u64) -> Result<(), StorageError> {
        let mut u = self.lock();
        let after = u.bytes.saturating_add(n);
        if self.max_bytes > 0 && after > self.max_bytes {
            return Err(exceeded());
        }
        u.bytes = after;
        Ok(())
    }

    fn release_bytes(&self, n: u64) {
        let mut u = self.lock();
        u.bytes = u.bytes.saturating_sub(n);
    }

    /// Counts one more file, unless that goes over the quota.
    fn charge_file(&self) -> Result<(), StorageError> {
        let mut u = self.lock();
        if self.max_files > 0 && u.files >= self.max_files {
            return Err(exceeded());
        }
        u.files += 1;
        Ok(())
    }

    fn release_file(&self) {
        let mut u = self.lock();
        u.files = u.files.saturating_sub(1);
    }
}

fn exceeded() -> StorageError {
    StorageError::reason(StorageError::QuotaExceeded, "user quota exceeded")
}

/// Counts the regular files under `root` and their bytes, on the blocking pool. Symlinks are
/// neither followed nor counted; at most [`MAX_SCAN_ENTRIES`] entries are looked at.
pub async fn scan(root: PathBuf) -> Usage {
    let shown = root.display().to_string();
    match tokio::task::spawn_blocking(move || scan_blocking(root, MAX_SCAN_ENTRIES)).await {
        Ok((usage, complete)) => {
            if !complete {
                tracing::warn!(root = %shown, limit = MAX_SCAN_ENTRIES, "quota walk stopped early: usage is undercounted");
            }
            usage
        }
        Err(e) => {
            tracing::warn!(root = %shown, error = %e, "quota walk failed");
            Usage::default()
        }
    }
}

/// The walk itself: usage, and whether every entry was seen.
fn scan_blocking(root: PathBuf, max_entries: u64) -> (Usage, bool) {
    let mut usage = Usage::default();
    let mut seen = 0u64;
    // A stack rather than recursion: depth is up to the users.
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > max_entries {
                return (usage, false);
            }
            // DirEntry::file_type does not follow symlinks.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                if let Ok(md) = entry.metadata() {
                    usage.bytes = usage.bytes.saturating_add(md.len());
                    usage.files += 1;
                }
            }
        }
    }
    (usage, true)
}

/// A user's storage with their quota enforced on every upload and kept up to date by
/// deletions and renames.
#[derive(Debug)]
pub struct QuotaStorage {
    inner: Arc<dyn Storage>,
    quota: Arc<Quota>,
}

impl QuotaStorage {
    /// Enforces `quota` on `inner`.
    pub fn new(inner: Arc<dyn Storage>, quota: Arc<Quota>) -> QuotaStorage {
        QuotaStorage { inner, quota }
    }

    /// The size of the regular file at `path`, if there is one.
    async fn file_size(&self, path: &VPath) -> Option<u64> {
        match self.inner.metadata(path).await {
            Ok(m) if m.kind == EntryKind::File => Some(m.size),
            _ => None,
        }
    }
}

#[async_trait]
impl Storage for QuotaStorage {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn sweep_stale_uploads(&self, limit: usize) -> usize {
        // The wrapped backend's leftovers are this storage's too.
        self.inner.sweep_stale_uploads(limit).await
    }

    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
        self.inner.metadata(path).await
    }

    async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        self.inner.list(path).await
    }

    /// Forwarded on purpose: a quota limits what is written, never what is listed.
    async fn list_formatted(
        &self,
        path: &VPath,
        lines: Arc<ListLines>,
    ) -> Result<Option<ChunkStream>, StorageError> {
        self.inner.list_formatted(path, lines).await
    }

    async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError> {
        self.inner.read(path, offset).await
    }

    async fn write(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, StorageError> {
        let existing = self.file_size(path).await;
        if existing.is_none() {
            self.quota.charge_file()?;
        }
        // Bytes of the old file the upload replaces: writing that much again costs nothing.
        let credit = match (mode, existing) {
            (WriteMode::Create, Some(old)) => old,
            (WriteMode::Resume(offset), Some(old)) => old.saturating_sub(offset),
            _ => 0,
        };
        // Where an in-place upload goes back to when the quota stops it.
        let undo = match (mode, existing) {
            (WriteMode::Append, Some(old)) => Undo::CutTo(old),
            (WriteMode::Resume(offset), Some(_)) => Undo::CutTo(offset),
            (WriteMode::Append | WriteMode::Resume(_), None) => Undo::Remove,
            (WriteMode::CreateNew, _) => Undo::Remove,
            (WriteMode::Create, _) => Undo::Nothing,
        };
        let inner = match self.inner.write(path, mode).await {
            Ok(u) => u,
            Err(e) => {
                if existing.is_none() {
                    self.quota.release_file();
                }
                return Err(e);
            }
        };
        Ok(Box::new(QuotaUpload {
            inner: Some(inner),
            storage: self.inner.clone(),
            quota: self.quota.clone(),
            path: path.clone(),
            new_file: existing.is_none(),
            credit,
            written: 0,
            charged: 0,
            undo,
            exceeded: false,
        }))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), StorageError> {
        self.inner.mkdir(path).await
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), StorageError> {
        self.inner.rmdir(path).await
    }

    async fn delete(&self, path: &VPath) -> Result<(), StorageError> {
        let size = self.file_size(path).await;
        self.inner.delete(path).await?;
        if let Some(size) = size {
            self.quota.release_bytes(size);
            self.quota.release_file();
        }
        Ok(())
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), StorageError> {
        // A file the rename replaces is gone afterwards.
        let replaced = if from == to {
            None
        } else {
            self.file_size(to).await
        };
        self.inner.rename(from, to).await?;
        if let Some(size) = replaced {
            self.quota.release_bytes(size);
            self.quota.release_file();
        }
        Ok(())
    }

    async fn set_modified(&self, path: &VPath, time: SystemTime) -> Result<(), StorageError> {
        self.inner.set_modified(path, time).await
    }

    async fn chmod(&self, path: &VPath, mode: u32) -> Result<(), StorageError> {
        self.inner.chmod(path, mode).await
    }
}

/// How to take back an upload the quota stopped.
#[derive(Debug, Clone, Copy)]
enum Undo {
    /// A `Create` upload: the backend discards its temporary file itself.
    Nothing,
    /// The file did not exist before: remove it.
    Remove,
    /// Cut the file back to this length.
    CutTo(u64),
}

/// An upload charged against the quota as its bytes arrive.
struct QuotaUpload {
    /// `None` once committed or aborted.
    inner: Option<Box<dyn Upload>>,
    storage: Arc<dyn Storage>,
    quota: Arc<Quota>,
    path: VPath,
    /// Whether the upload counted a new file.
    new_file: bool,
    /// Bytes of the old file this upload replaces.
    credit: u64,
    written: u64,
    /// Bytes charged to the quota: what is written beyond `credit`.
    charged: u64,
    undo: Undo,
    /// Whether the quota stopped the upload.
    exceeded: bool,
}

impl std::fmt::Debug for QuotaUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaUpload")
            .field("path", &self.path)
            .field("written", &self.written)
            .field("charged", &self.charged)
            .finish_non_exhaustive()
    }
}

impl QuotaUpload {
    /// Settles the count for a file that keeps `written` bytes in place of `credit`.
    fn settle_kept(&mut self) {
        if self.written < self.credit {
            self.quota.release_bytes(self.credit - self.written);
        }
        self.credit = 0;
        self.charged = 0;
        self.new_file = false;
    }

    /// Gives back everything this upload counted: nothing of it stays.
    fn settle_discarded(&mut self) {
        self.quota.release_bytes(self.charged);
        self.charged = 0;
        if self.new_file {
            self.quota.release_file();
            self.new_file = false;
        }
    }

    /// Takes back what a stopped in-place upload wrote. Best effort: a failure is logged.
    async fn undo(&mut self) {
        let result = match self.undo {
            Undo::Nothing => Ok(()),
            Undo::Remove => self.storage.delete(&self.path).await,
            Undo::CutTo(len) => {
                // A resume at `len` that writes nothing cuts the file there.
                match self.storage.write(&self.path, WriteMode::Resume(len)).await {
                    Ok(u) => u.commit().await.map(|_| ()),
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(path = %self.path, error = %e, "could not undo an upload over quota");
        }
        // A resumed upload had already cut the old file at its offset: those bytes are
        // gone either way.
        if let Undo::CutTo(_) = self.undo {
            self.quota.release_bytes(self.credit);
            self.credit = 0;
        }
    }
}

#[async_trait]
impl Upload for QuotaUpload {
    async fn commit(mut self: Box<Self>) -> Result<u64, StorageError> {
        let Some(inner) = self.inner.take() else {
            return Ok(self.written);
        };
        match inner.commit().await {
            Ok(n) => {
                self.settle_kept();
                Ok(n)
            }
            Err(e) => {
                match self.undo {
                    // The old file is intact.
                    Undo::Nothing => self.settle_discarded(),
                    _ => self.settle_kept(),
                }
                Err(e)
            }
        }
    }

    async fn abort(mut self: Box<Self>) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        inner.abort().await;
        match self.undo {
            Undo::Nothing => self.settle_discarded(),
            _ if self.exceeded => {
                self.undo().await;
                self.settle_discarded();
            }
            // An in-place upload cut short keeps its bytes (the client resumes from them).
            _ => self.settle_kept(),
        }
    }
}

impl Drop for QuotaUpload {
    fn drop(&mut self) {
        // Dropped unfinished (the transfer was cancelled): the backend drops its temporary
        // file, and in-place bytes stay where they are.
        if self.inner.take().is_some() {
            match self.undo {
                Undo::Nothing => self.settle_discarded(),
                _ => self.settle_kept(),
            }
        }
    }
}

impl AsyncWrite for QuotaUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(io::Error::other("upload already finished")));
        };
        // Charge before writing, so that concurrent uploads cannot overrun the quota
        // together; refund what the write did not take.
        let charged_after = |written: u64| written.saturating_sub(this.credit);
        let want = charged_after(this.written.saturating_add(buf.len() as u64));
        let extra = want.saturating_sub(this.charged);
        if let Err(e) = this.quota.charge_bytes(extra) {
            this.exceeded = true;
            return Poll::Ready(Err(e.into()));
        }
        let result = Pin::new(inner).poll_write(cx, buf);
        let written = match &result {
            Poll::Ready(Ok(n)) => this.written.saturating_add(*n as u64),
            _ => this.written,
        };
        let kept = charged_after(written);
        this.quota.release_bytes(this.charged + extra - kept);
        this.charged = kept;
        this.written = written;
        result
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the login walk: regular files are counted, symlinks are not followed, and the
    /// entry cap stops the walk.
    #[test]
    fn the_walk_counts_regular_files_only_and_stops_at_its_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a"), b"12345").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/b"), b"123").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).expect("symlink");
        let (usage, complete) = scan_blocking(dir.path().to_owned(), 100);
        assert!(complete);
        assert_eq!(usage, Usage { bytes: 8, files: 2 });
        let (_, complete) = scan_blocking(dir.path().to_owned(), 2);
        assert!(!complete);
    }

    /// Guards the shared counter: charges past the limit are refused and leave it unchanged.
    #[test]
    fn charges_stop_at_the_limit() {
        let q = Quota::new(10, 1, Usage { bytes: 4, files: 0 });
        assert!(q.charge_bytes(6).is_ok());
        assert!(matches!(
            q.charge_bytes(1),
            Err(StorageError::QuotaExceeded(_))
        ));
        assert!(q.charge_file().is_ok());
        assert!(q.charge_file().is_err());
        q.release_bytes(3);
        q.release_file();
        assert_eq!(q.usage(), Usage { bytes: 7, files: 0 });
    }
}
