//! What can go wrong in a storage backend, as types rather than `io::Error` kinds.
//!
//! Each variant names a failure a client can act on (or that the server must act on, like a
//! backend that went away) and carries the backend's own error as its source. That source
//! is for the log only: the reply a client sees is chosen from the variant alone (see
//! [`crate::errors::storage_error_msg`]), so no OS or backend text ever reaches the wire.

use std::fmt;
use std::io;

/// The backend's own error behind a [`StorageError`], kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The file or directory does not exist (or a parent of it does not).
    #[error("not found: {0}")]
    NotFound(#[source] Cause),
    /// The target name is taken.
    #[error("already exists: {0}")]
    AlreadyExists(#[source] Cause),
    /// A file operation on a directory.
    #[error("is a directory: {0}")]
    IsADirectory(#[source] Cause),
    /// A directory operation on a file (or a path through a file).
    #[error("not a directory: {0}")]
    NotADirectory(#[source] Cause),
    /// A directory that still has entries.
    #[error("directory not empty: {0}")]
    NotEmpty(#[source] Cause),
    /// Refused: file permissions, a read-only file system, a path leaving the root, a
    /// special file.
    #[error("permission denied: {0}")]
    PermissionDenied(#[source] Cause),
    /// The disk (or bucket) is full.
    #[error("no space left: {0}")]
    NoSpace(#[source] Cause),
    /// The user's quota is used up.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(#[source] Cause),
    /// The file would be larger than the backend allows.
    #[error("file too large: {0}")]
    FileTooLarge(#[source] Cause),
    /// The backend cannot do this at all (chmod on an object store).
    #[error("unsupported by this storage: {0}")]
    Unsupported(#[source] Cause),
    /// A name the backend cannot hold (too long, a forbidden character).
    #[error("invalid name: {0}")]
    InvalidName(#[source] Cause),
    /// A rename across file systems, which the local backend cannot do atomically.
    #[error("crosses devices: {0}")]
    CrossesDevices(#[source] Cause),
    /// A backend failure that may go away if the client tries again (an I/O error, a
    /// timeout, a crashed worker).
    #[error("transient storage failure: {0}")]
    Transient(#[source] Cause),
    /// The backend is down (a stale network mount, an unreachable object store): nothing
    /// on this session can work until it is back.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Cause),
}

/// A short reason without a backend error behind it, for failures a backend finds itself
/// (`"is a directory"` found by a metadata check rather than by the OS).
#[derive(Debug)]
struct Reason(&'static str);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Reason {}

impl StorageError {
    /// An error of the variant named by `make` whose cause is a fixed reason.
    ///
    /// `make` is a variant constructor, e.g. `StorageError::reason(StorageError::NotFound,
    /// "no such object")`.
    pub fn reason(make: fn(Cause) -> StorageError, reason: &'static str) -> StorageError {
        make(Box::new(Reason(reason)))
    }

    /// Maps an I/O error from the local file system (or from a stream that carries a
    /// `StorageError` inside an `io::Error`) to its typed form. The one place where OS
    /// errors are classified: precise `errno` values first, then `io::ErrorKind`.
    pub fn from_io(e: io::Error) -> StorageError {
        // A StorageError that travelled through an AsyncRead/AsyncWrite comes back as is.
        let e = match e.downcast::<StorageError>() {
            Ok(se) => return se,
            Err(e) => e,
        };
        if let Some(kind) = e.raw_os_error().and_then(from_errno) {
            return kind(Box::new(e));
        }
        let make = from_kind(e.kind());
        make(Box::new(e))
    }

    /// The nearest `io::ErrorKind`, for code that speaks `std::io` (the byte streams of
    /// reads and uploads) and for tests.
    pub fn kind(&self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            StorageError::NotFound(_) => K::NotFound,
            StorageError::AlreadyExists(_) => K::AlreadyExists,
            StorageError::IsADirectory(_) => K::IsADirectory,
            StorageError::NotADirectory(_) => K::NotADirectory,
            StorageError::NotEmpty(_) => K::DirectoryNotEmpty,
            StorageError::PermissionDenied(_) => K::PermissionDenied,
            StorageError::NoSpace(_) => K::StorageFull,
            StorageError::QuotaExceeded(_) => K::QuotaExceeded,
            StorageError::FileTooLarge(_) => K::FileTooLarge,
            StorageError::Unsupported(_) => K::Unsupported,
            // `InvalidFilename` would be nearer, but needs Rust 1.87.
            StorageError::InvalidName(_) => K::InvalidInput,
            StorageError::CrossesDevices(_) => K::CrossesDevices,
            StorageError::Transient(_) => K::Other,
            StorageError::Unavailable(_) => K::NotConnected,
        }
    }

    /// Whether the session cannot go on after this error (the backend is down).
    pub fn is_fatal(&self) -> bool {
        matches!(self, StorageError::Unavailable(_))
    }
}

impl From<StorageError> for io::Error {
    /// Wraps the error so that it survives a trip through `AsyncRead`/`AsyncWrite` and
    /// [`StorageError::from_io`] gets it back unchanged.
    fn from(e: StorageError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

impl From<tokio::task::JoinError> for StorageError {
    /// A blocking storage task that panicked or was cancelled: worth a retry.
    fn from(e: tokio::task::JoinError) -> StorageError {
        StorageError::Transient(Box::new(e))
    }
}

/// The variant for an `errno` whose meaning is sharper than its `io::ErrorKind` (or that
/// older standard libraries leave uncategorized).
fn from_errno(errno: i32) -> Option<fn(Cause) -> StorageError> {
    Some(match errno {
        libc::ENOSPC => StorageError::NoSpace,
        libc::EDQUOT => StorageError::QuotaExceeded,
        libc::EFBIG => StorageError::FileTooLarge,
        libc::ENAMETOOLONG | libc::EILSEQ => StorageError::InvalidName,
        // A read-only mount refuses writes like a permission would.
        libc::EROFS | libc::EACCES | libc::EPERM => StorageError::PermissionDenied,
        libc::EXDEV => StorageError::CrossesDevices,
        // A network mount that went away (a stale NFS handle, a FUSE daemon that died):
        // nothing will work until it is back.
        libc::ESTALE | libc::ENOTCONN | libc::EHOSTDOWN => StorageError::Unavailable,
        libc::EIO | libc::EAGAIN | libc::EINTR | libc::EBUSY | libc::ETIMEDOUT => {
            StorageError::Transient
        }
        _ => return None,
    })
}

/// The variant for an `io::ErrorKind`; anything unknown is a transient failure (a local error the client may retry).
fn from_kind(kind: io::ErrorKind) -> fn(Cause) -> StorageError {
    use io::ErrorKind as K;
    match kind {
        K::NotFound => StorageError::NotFound,
        K::AlreadyExists => StorageError::AlreadyExists,
        K::IsADirectory => StorageError::IsADirectory,
        K::NotADirectory => StorageError::NotADirectory,
        K::DirectoryNotEmpty => StorageError::NotEmpty,
        K::PermissionDenied | K::ReadOnlyFilesystem => StorageError::PermissionDenied,
        K::StorageFull => StorageError::NoSpace,
        K::QuotaExceeded => StorageError::QuotaExceeded,
        K::FileTooLarge => StorageError::FileTooLarge,
        K::Unsupported => StorageError::Unsupported,
        K::InvalidInput | K::InvalidFilename => StorageError::InvalidName,
        K::CrossesDevices => StorageError::CrossesDevices,
        K::StaleNetworkFileHandle | K::NotConnected => StorageError::Unavailable,
        _ => StorageError::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_values_are_classified() {
        let cases: &[(i32, io::ErrorKind)] = &[
            (libc::ENOSPC, io::ErrorKind::StorageFull),
            (libc::EDQUOT, io::ErrorKind::QuotaExceeded),
            (libc::ENAMETOOLONG, io::ErrorKind::InvalidInput),
            (libc::EROFS, io::ErrorKind::PermissionDenied),
            (libc::EACCES, io::ErrorKind::PermissionDenied),
            (libc::EFBIG, io::ErrorKind::FileTooLarge),
            (libc::EXDEV, io::ErrorKind::CrossesDevices),
            (libc::ENOENT, io::ErrorKind::NotFound),
            (libc::EEXIST, io::ErrorKind::AlreadyExists),
            (libc::EISDIR, io::ErrorKind::IsADirectory),
            (libc::ENOTDIR, io::ErrorKind::NotADirectory),
            (libc::ENOTEMPTY, io::ErrorKind::DirectoryNotEmpty),
            (libc::ESTALE, io::ErrorKind::NotConnected),
            (libc::EIO, io::ErrorKind::Other),
        ];
        for &(errno, kind) in cases {
            let e = StorageError::from_io(io::Error::from_raw_os_error(errno));
            assert_eq!(e.kind(), kind, "errno {errno}: {e}");
        }
        assert!(matches!(
            StorageError::from_io(io::Error::from_raw_os_error(libc::EDQUOT)),
            StorageError::QuotaExceeded(_)
        ));
        assert!(StorageError::from_io(io::Error::from_raw_os_error(libc::ESTALE)).is_fatal());
    }

    #[test]
    fn kinds_without_errno_are_classified() {
        let e = StorageError::from_io(io::Error::new(io::ErrorKind::NotFound, "gone"));
        assert!(matches!(e, StorageError::NotFound(_)));
        let e = StorageError::from_io(io::Error::other("something odd"));
        assert!(matches!(e, StorageError::Transient(_)));
        let e = StorageError::from_io(io::Error::new(io::ErrorKind::InvalidInput, "nul"));
        assert!(matches!(e, StorageError::InvalidName(_)));
    }

    #[test]
    fn a_storage_error_survives_a_trip_through_io_error() {
        let original = StorageError::reason(StorageError::QuotaExceeded, "bucket quota");
        let io_err: io::Error = original.into();
        assert_eq!(io_err.kind(), io::ErrorKind::QuotaExceeded);
        let back = StorageError::from_io(io_err);
        assert!(matches!(back, StorageError::QuotaExceeded(_)), "{back}");
        assert_eq!(back.to_string(), "quota exceeded: bucket quota");
    }

    #[test]
    fn the_source_is_kept_for_the_log() {
        use std::error::Error as _;
        let e = StorageError::from_io(io::Error::from_raw_os_error(libc::ENOSPC));
        let source = e.source().expect("source");
        let io = source.downcast_ref::<io::Error>().expect("io error");
        assert_eq!(io.raw_os_error(), Some(libc::ENOSPC));
        assert!(e.to_string().starts_with("no space left: "));
    }
}
