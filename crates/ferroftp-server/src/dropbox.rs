//! The anonymous drop directory: anonymous users may upload into it and nowhere else, and
//! cannot see, download, change or remove what is in it (theirs or anyone's) until an
//! administrator moves it out. So the server never becomes a free file-sharing host for
//! whoever finds it.
//!
//! Enforced by wrapping the anonymous user's [`Storage`], the one place every file operation
//! goes through: outside the drop directory it is read-only; inside it, listings are empty,
//! facts and downloads are refused, and an upload may only create a new name. The name is
//! claimed with an exclusive create, so two uploads racing for one name cannot replace each
//! other either.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use async_trait::async_trait;
use ferroftp_proto::listing::EntryInfo;
use ferroftp_proto::path::VPath;
use tokio::io::AsyncWrite;

use crate::storage::{
    Capabilities, EntryStream, ReadStream, Storage, StorageError, Upload, WriteMode,
};

/// Anonymous storage with uploads confined to a write-only drop directory.
#[derive(Debug)]
pub struct DropBoxStorage {
    inner: Arc<dyn Storage>,
    dir: VPath,
}

impl DropBoxStorage {
    /// Confines uploads to `dir` of `inner`.
    pub fn new(inner: Arc<dyn Storage>, dir: VPath) -> DropBoxStorage {
        DropBoxStorage { inner, dir }
    }

    /// Whether `path` is in the drop directory or below it (the directory itself is not).
    fn inside(&self, path: &VPath) -> bool {
        let mut mine = path.components();
        for c in self.dir.components() {
            if mine.next() != Some(c) {
                return false;
            }
        }
        mine.next().is_some()
    }

    /// Whether `path` is the drop directory itself or below it.
    fn at_or_inside(&self, path: &VPath) -> bool {
        path == &self.dir || self.inside(path)
    }
}

fn denied(why: &'static str) -> StorageError {
    StorageError::reason(StorageError::PermissionDenied, why)
}

/// The refusal of an upload over a name that is taken (`Msg::BadFileName`).
fn name_taken() -> StorageError {
    StorageError::reason(
        StorageError::InvalidName,
        "drop directory: the name is taken",
    )
}

#[async_trait]
impl Storage for DropBoxStorage {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn sweep_stale_uploads(&self, limit: usize) -> usize {
        // The wrapped backend's leftovers are this storage's too.
        self.inner.sweep_stale_uploads(limit).await
    }

    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
        if self.inside(path) {
            return Err(denied("drop directory: entries are hidden"));
        }
        self.inner.metadata(path).await
    }

    async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        if self.at_or_inside(path) {
            // The directory exists, so an empty listing rather than an error; what is in it
            // is nobody's business but the administrator's.
            if self.inside(path) {
                return Err(denied("drop directory: entries are hidden"));
            }
            self.inner.metadata(path).await?;
            return Ok(Box::pin(futures::stream::empty()));
        }
        self.inner.list(path).await
    }

    async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError> {
        if self.at_or_inside(path) {
            return Err(denied("drop directory: no downloads"));
        }
        self.inner.read(path, offset).await
    }

    async fn write(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, StorageError> {
        if !self.inside(path) {
            return Err(denied("anonymous uploads go to the drop directory only"));
        }
        match mode {
            WriteMode::Create | WriteMode::CreateNew | WriteMode::Resume(0) => {}
            // Appending or resuming would change a file already there.
            WriteMode::Append | WriteMode::Resume(_) => return Err(name_taken()),
        }
        let upload = match self.inner.write(path, WriteMode::CreateNew).await {
            Ok(u) => u,
            Err(StorageError::AlreadyExists(_)) => return Err(name_taken()),
            Err(e) => return Err(e),
        };
        Ok(Box::new(ClaimedUpload {
            inner: Some(upload),
            storage: self.inner.clone(),
            path: path.clone(),
        }))
    }

    async fn mkdir(&self, _path: &VPath) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot create directories"))
    }

    async fn rmdir(&self, _path: &VPath) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot remove directories"))
    }

    async fn delete(&self, _path: &VPath) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot delete"))
    }

    async fn rename(&self, _from: &VPath, _to: &VPath) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot rename"))
    }

    async fn set_modified(&self, _path: &VPath, _time: SystemTime) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot change times"))
    }

    async fn chmod(&self, _path: &VPath, _mode: u32) -> Result<(), StorageError> {
        Err(denied("anonymous users cannot change permissions"))
    }
}

/// An upload written straight under the name it claimed: removed again unless committed,
/// so a failed upload neither leaves half a file nor keeps the name taken.
struct ClaimedUpload {
    /// `None` once committed or aborted.
    inner: Option<Box<dyn Upload>>,
    storage: Arc<dyn Storage>,
    path: VPath,
}

impl std::fmt::Debug for ClaimedUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedUpload")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ClaimedUpload {
    /// Removes the claimed file. `&mut`: a shared borrow would not be `Send`, the inner
    /// upload being `Send` but not `Sync`.
    async fn remove(&mut self) {
        if let Err(e) = self.storage.delete(&self.path).await {
            tracing::warn!(path = %self.path, error = %e, "could not remove a failed drop upload");
        }
    }
}

#[async_trait]
impl Upload for ClaimedUpload {
    async fn commit(mut self: Box<Self>) -> Result<u64, StorageError> {
        let Some(inner) = self.inner.take() else {
            return Ok(0);
        };
        let result = inner.commit().await;
        if result.is_err() {
            self.remove().await;
        }
        result
    }

    async fn abort(mut self: Box<Self>) {
        if let Some(inner) = self.inner.take() {
            inner.abort().await;
            self.remove().await;
        }
    }
}

impl Drop for ClaimedUpload {
    fn drop(&mut self) {
        // Dropped unfinished (the transfer was cancelled): remove the partial file from a
        // task of its own, since dropping cannot wait.
        if let Some(inner) = self.inner.take() {
            drop(inner);
            let (storage, path) = (self.storage.clone(), self.path.clone());
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = storage.delete(&path).await;
                });
            }
        }
    }
}

impl AsyncWrite for ClaimedUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_write(cx, buf),
            None => Poll::Ready(Err(io::Error::other("upload already finished"))),
        }
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
