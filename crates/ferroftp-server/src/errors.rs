//! How storage errors become replies.

use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::Reply;

use crate::storage::StorageError;

/// The message for a failed storage operation: what went wrong, in words a user can act on.
/// This is the one place that decides it, from the error's variant alone: the backend's
/// own error (OS text, server paths, object-store responses) goes to the log, never to the
/// client.
pub fn storage_error_msg(e: &StorageError) -> Msg {
    match e {
        StorageError::NotFound(_) => Msg::NoSuchFile,
        StorageError::AlreadyExists(_) => Msg::FileExists,
        StorageError::IsADirectory(_) => Msg::IsADirectory,
        StorageError::NotADirectory(_) => Msg::NotADirectory,
        StorageError::NotEmpty(_) => Msg::DirectoryNotEmpty,
        StorageError::PermissionDenied(_) => Msg::PermissionDenied,
        StorageError::NoSpace(_) => Msg::StorageFull,
        StorageError::QuotaExceeded(_) => Msg::QuotaExceeded,
        StorageError::FileTooLarge(_) => Msg::FileTooLarge,
        StorageError::Unsupported(_) => Msg::StorageUnsupported,
        StorageError::InvalidName(_) => Msg::BadFileName,
        StorageError::CrossesDevices(_) => Msg::CrossDevice,
        StorageError::Transient(_) => {
            tracing::warn!(error = %e, "storage error");
            Msg::LocalError
        }
        StorageError::Unavailable(_) => {
            tracing::error!(error = %e, "storage unavailable: closing the session");
            Msg::StorageUnavailable
        }
    }
}

/// The reply for a failed storage operation (see [`storage_error_msg`]).
pub fn storage_error_reply(e: &StorageError) -> Reply {
    storage_error_msg(e).reply()
}

/// Whether the session must close after sending `reply`: a reply of the "service not available,
/// closing control connection" class means just that, whatever caused it (RFC 959 4.2), here a storage backend that is down.
pub fn closes_session(reply: &Reply) -> bool {
    reply.code == Msg::StorageUnavailable.code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// Every variant, each with a source whose text must never reach a client.
    fn every_variant() -> Vec<(StorageError, u16, &'static str)> {
        let secret = || -> crate::storage::error::Cause {
            Box::new(io::Error::other(
                "/srv/ftp/alice: secret OS text (os error 5)",
            ))
        };
        vec![
            (
                StorageError::NotFound(secret()),
                550,
                "No such file or directory.",
            ),
            (StorageError::AlreadyExists(secret()), 550, "File exists."),
            (StorageError::IsADirectory(secret()), 550, "Is a directory."),
            (
                StorageError::NotADirectory(secret()),
                550,
                "Not a directory.",
            ),
            (
                StorageError::NotEmpty(secret()),
                550,
                "Directory not empty.",
            ),
            (
                StorageError::PermissionDenied(secret()),
                550,
                "Permission denied.",
            ),
            (
                StorageError::NoSpace(secret()),
                452,
                "Insufficient storage space.",
            ),
            (
                StorageError::QuotaExceeded(secret()),
                552,
                Msg::QuotaExceeded.text(),
            ),
            (
                StorageError::FileTooLarge(secret()),
                552,
                "Exceeded storage allocation.",
            ),
            (
                StorageError::Unsupported(secret()),
                504,
                "Not supported by this server's storage.",
            ),
            (
                StorageError::InvalidName(secret()),
                553,
                "File name not allowed.",
            ),
            (
                StorageError::CrossesDevices(secret()),
                550,
                "Cannot rename across storage devices.",
            ),
            (
                StorageError::Transient(secret()),
                451,
                "Local error in processing.",
            ),
            (
                StorageError::Unavailable(secret()),
                421,
                Msg::StorageUnavailable.text(),
            ),
        ]
    }

    #[test]
    fn each_error_has_its_code_and_text() {
        for (e, code, text) in every_variant() {
            let r = storage_error_reply(&e);
            assert_eq!((r.code, r.lines[0].as_str()), (code, text), "{e}");
            assert_eq!(closes_session(&r), code == 421, "{e}");
        }
    }

    #[test]
    fn no_backend_text_reaches_the_reply() {
        for (e, _, _) in every_variant() {
            let wire = storage_error_reply(&e).to_wire();
            assert!(!wire.contains("secret"), "{wire}");
            assert!(!wire.contains("os error"), "{wire}");
            assert!(!wire.contains("/srv"), "{wire}");
        }
    }

    #[test]
    fn os_errors_map_to_the_same_replies_as_before() {
        // The io::ErrorKind mapping of earlier versions, reached through from_io.
        let cases = [
            (io::ErrorKind::NotFound, 550),
            (io::ErrorKind::PermissionDenied, 550),
            (io::ErrorKind::AlreadyExists, 550),
            (io::ErrorKind::DirectoryNotEmpty, 550),
            (io::ErrorKind::StorageFull, 452),
            (io::ErrorKind::FileTooLarge, 552),
            (io::ErrorKind::InvalidInput, 553),
            (io::ErrorKind::Unsupported, 504),
            (io::ErrorKind::CrossesDevices, 550),
            (io::ErrorKind::TimedOut, 451),
            (io::ErrorKind::Other, 451),
        ];
        for (kind, code) in cases {
            let e = StorageError::from_io(io::Error::new(kind, "detail"));
            assert_eq!(storage_error_reply(&e).code, code, "{kind:?}");
        }
        let e = StorageError::from_io(io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(storage_error_reply(&e).code, 452);
        let e = StorageError::from_io(io::Error::from_raw_os_error(libc::EDQUOT));
        assert_eq!(storage_error_reply(&e).code, 552);
        let e = StorageError::from_io(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
        assert_eq!(storage_error_reply(&e).code, 553);
        let e = StorageError::from_io(io::Error::from_raw_os_error(libc::EROFS));
        assert_eq!(storage_error_reply(&e).code, 550);
    }
}
