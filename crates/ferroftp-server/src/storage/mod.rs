//! The `Storage` trait: what the server needs from a place that holds files, and its backends.
//!
//! The trait is shaped so that an object store can implement it: reads stream from an offset,
//! writes stream into an [`Upload`] that is committed or aborted as a whole, and nothing
//! assumes a seekable file handle.

pub mod local;

use std::io;
use std::pin::Pin;
use std::time::SystemTime;

use async_trait::async_trait;
use ferroftp_proto::listing::EntryInfo;
use ferroftp_proto::path::VPath;
use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite};

pub use local::LocalStorage;

/// A boxed byte source of a download.
pub type ReadStream = Pin<Box<dyn AsyncRead + Send>>;

/// A stream of directory entries; entries arrive one by one so that a huge directory is never
/// held in memory.
pub type EntryStream = Pin<Box<dyn Stream<Item = io::Result<EntryInfo>> + Send>>;

/// How an upload places its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Replace (or create) the file. Bytes go to a temporary object that takes the final name
    /// only on [`Upload::commit`], so a failed upload never leaves half a file behind.
    Create,
    /// Keep the first `offset` bytes of the existing file and write from there (REST + STOR).
    Resume(u64),
    /// Append to the existing file, creating it if missing (APPE).
    Append,
    /// Create a file under a name that must not exist yet (STOU); fails with
    /// `io::ErrorKind::AlreadyExists` if it does.
    CreateNew,
}

/// An upload in progress: write the bytes, then `commit` or `abort`.
#[async_trait]
pub trait Upload: AsyncWrite + Send + Unpin {
    /// Makes the upload visible under its final name. Returns the bytes written.
    async fn commit(self: Box<Self>) -> io::Result<u64>;
    /// Discards the upload; for `Create` nothing is left behind.
    async fn abort(self: Box<Self>);
}

/// A place that holds one user's files, addressed by virtual paths that are already
/// normalized inside the user's root. Implementations must never let a path reach outside it.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Facts about one file or directory (symlinks are followed only inside the root).
    async fn metadata(&self, path: &VPath) -> io::Result<EntryInfo>;
    /// The entries of a directory, in no particular order, without `.` and `..`.
    async fn list(&self, path: &VPath) -> io::Result<EntryStream>;
    /// Reads a file from `offset` to its end.
    async fn read(&self, path: &VPath, offset: u64) -> io::Result<ReadStream>;
    /// Starts an upload.
    async fn write(&self, path: &VPath, mode: WriteMode) -> io::Result<Box<dyn Upload>>;
    /// Creates one directory; its parent must exist.
    async fn mkdir(&self, path: &VPath) -> io::Result<()>;
    /// Removes an empty directory.
    async fn rmdir(&self, path: &VPath) -> io::Result<()>;
    /// Removes a file.
    async fn delete(&self, path: &VPath) -> io::Result<()>;
    /// Renames a file or directory, replacing a file at `to`.
    async fn rename(&self, from: &VPath, to: &VPath) -> io::Result<()>;
    /// Sets a file's modification time (MFMT).
    async fn set_modified(&self, path: &VPath, time: SystemTime) -> io::Result<()>;
    /// Changes permission bits (SITE CHMOD); backends without them return
    /// `io::ErrorKind::Unsupported`.
    async fn chmod(&self, path: &VPath, mode: u32) -> io::Result<()>;
}
