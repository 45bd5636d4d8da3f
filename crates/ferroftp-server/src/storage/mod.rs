//! The `Storage` trait: what the server needs from a place that holds files, and its backends.
//!
//! The trait is shaped so that an object store can implement it: reads stream from an offset,
//! writes stream into an [`Upload`] that is committed or aborted as a whole, and nothing
//! assumes a seekable file handle (a backend that has one may hand it over, see
//! [`ReadStream::File`]). Failures are typed ([`StorageError`]) and a backend says up front
//! what it cannot do ([`Capabilities`]).

pub mod error;
pub mod factory;
pub mod lines;
pub mod local;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use async_trait::async_trait;
pub use ferroftp_proto::capabilities::Capabilities;
use ferroftp_proto::listing::EntryInfo;
use ferroftp_proto::path::VPath;
use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use error::StorageError;
pub use factory::{BackendOptions, StorageFactory};
pub use lines::ListLines;
pub use local::{ListingJobs, LocalStorage};

/// The byte source of a download.
///
/// A backend with a real file hands over the open file itself, so that the transfer can
/// send it without copying through user space (sendfile/splice); any other backend gives
/// a stream. Either way it reads as one `AsyncRead` of the bytes from the start offset on.
pub enum ReadStream {
    /// An open local file.
    File {
        /// The file, with its cursor at `offset`.
        file: tokio::fs::File,
        /// Where the download starts (REST), the same as the file's cursor.
        offset: u64,
        /// Bytes from `offset` to the end of the file when it was opened. The file may
        /// still grow or shrink; reading goes to its end as it is then.
        len: u64,
    },
    /// Any other byte source, already positioned at the start offset.
    Stream(Pin<Box<dyn AsyncRead + Send>>),
}

impl std::fmt::Debug for ReadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadStream::File { offset, len, .. } => f
                .debug_struct("ReadStream::File")
                .field("offset", offset)
                .field("len", len)
                .finish_non_exhaustive(),
            ReadStream::Stream(_) => f.write_str("ReadStream::Stream"),
        }
    }
}

impl AsyncRead for ReadStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadStream::File { file, .. } => Pin::new(file).poll_read(cx, buf),
            ReadStream::Stream(s) => s.as_mut().poll_read(cx, buf),
        }
    }
}

/// A stream of directory entries; entries arrive one by one so that a huge directory is never
/// held in memory.
pub type EntryStream = Pin<Box<dyn Stream<Item = Result<EntryInfo, StorageError>> + Send>>;

/// A listing formatted by its backend: the bytes of its lines, in chunks of many lines each,
/// in the order the entries come. An error ends the listing.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, StorageError>> + Send>>;

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
    /// [`StorageError::AlreadyExists`] if it does.
    CreateNew,
}

/// An upload in progress: write the bytes, then `commit` or `abort`.
///
/// A write error of the `AsyncWrite` side may carry a [`StorageError`] inside the
/// `io::Error` (see its `From` impl); [`StorageError::from_io`] gets it back.
#[async_trait]
pub trait Upload: AsyncWrite + Send + Unpin {
    /// Writes out whatever the upload still holds (callers need not flush first) and makes
    /// it visible under its final name. Returns the bytes written.
    async fn commit(self: Box<Self>) -> Result<u64, StorageError>;
    /// Discards the upload; for `Create` nothing is left behind.
    async fn abort(self: Box<Self>);
    /// The local file this upload writes into, for a zero-copy upload (`splice`), if it may
    /// be written that way (a local upload that appends may not, see `LocalUpload`): every
    /// byte accepted so far is written out first, and the file's cursor is then where the
    /// next byte goes. The caller writes the rest of the upload into the file itself,
    /// reports it with [`DirectFile::wrote`], and ends with `commit` or `abort` as usual.
    /// `None` (the default) means the upload has no such file (an object store, a wrapper
    /// that must see every byte, like a quota), and the bytes go through `AsyncWrite`.
    async fn direct(&mut self) -> Option<io::Result<DirectFile<'_>>> {
        None
    }
}

/// An upload's local file, lent out for writing into it directly (see [`Upload::direct`]).
#[derive(Debug)]
pub struct DirectFile<'a> {
    file: &'a std::fs::File,
    written: &'a mut u64,
}

impl<'a> DirectFile<'a> {
    /// Lends `file`, whose writes are counted into `written`.
    pub fn new(file: &'a std::fs::File, written: &'a mut u64) -> DirectFile<'a> {
        DirectFile { file, written }
    }

    /// The file, its cursor where the next byte goes.
    pub fn file(&self) -> &std::fs::File {
        self.file
    }

    /// Counts `n` bytes written into the file at its cursor.
    pub fn wrote(&mut self, n: u64) {
        *self.written = self.written.saturating_add(n);
    }
}

/// A place that holds one user's files, addressed by virtual paths that are already
/// normalized inside the user's root. Implementations must never let a path reach outside it.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// What this backend can do beyond reading, writing whole files, listing and deleting.
    /// The session refuses the rest up front and leaves it out of FEAT and HELP.
    fn capabilities(&self) -> Capabilities;
    /// Facts about one file or directory (symlinks are followed only inside the root).
    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError>;
    /// The entries of a directory, in no particular order, without `.` and `..`.
    async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError>;
    /// The entries of a directory for a listing of names only (NLST): like
    /// [`Storage::list`], but only each entry's `name` counts; its other facts may be left
    /// unknown (zero). A backend that pays per entry for the facts (a stat on a local disk)
    /// can skip that cost here. By default, [`Storage::list`].
    async fn list_names(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        self.list(path).await
    }
    /// The listing of a directory already formatted by `lines` (its format, pattern and
    /// prefix; names only when [`ListLines::names_only`]): the same bytes the transfer would
    /// make from [`Storage::list`] (or [`Storage::list_names`]) entry by entry, made where
    /// the backend has the entries at hand, so that the transfer only sends them.
    /// `Ok(None)` (the default) means the backend does not do this, and the transfer
    /// formats the entries itself; a wrapper that filters or hides entries must not
    /// forward it to the backend it wraps.
    async fn list_formatted(
        &self,
        path: &VPath,
        lines: Arc<ListLines>,
    ) -> Result<Option<ChunkStream>, StorageError> {
        let _ = (path, lines);
        Ok(None)
    }
    /// Reads a file from `offset` to its end.
    async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError>;
    /// Starts an upload.
    async fn write(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, StorageError>;
    /// Creates one directory; its parent must exist.
    async fn mkdir(&self, path: &VPath) -> Result<(), StorageError>;
    /// Removes an empty directory.
    async fn rmdir(&self, path: &VPath) -> Result<(), StorageError>;
    /// Removes a file.
    async fn delete(&self, path: &VPath) -> Result<(), StorageError>;
    /// Renames a file or directory, replacing a file at `to`.
    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), StorageError>;
    /// Sets a file's modification time (MFMT).
    async fn set_modified(&self, path: &VPath, time: SystemTime) -> Result<(), StorageError>;
    /// Changes permission bits (SITE CHMOD); backends without them return
    /// [`StorageError::Unsupported`] (and say so in [`Storage::capabilities`]).
    async fn chmod(&self, path: &VPath, mode: u32) -> Result<(), StorageError>;
    /// Called at start-up and at each login: a backend whose uploads can leave temporary
    /// objects behind (a server killed mid-upload) removes the stale ones, visiting at most
    /// `limit` entries, once per process and root; returns how many it removed. Nothing by
    /// default.
    async fn sweep_stale_uploads(&self, limit: usize) -> usize {
        let _ = limit;
        0
    }
}
