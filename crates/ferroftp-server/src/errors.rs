//! How storage errors become replies.

use std::io;

use ferroftp_proto::Reply;

/// The reply for a failed storage operation: what went wrong, in words a user can act on.
/// Details stay in the log; the client never sees server paths.
pub fn storage_error_reply(e: &io::Error) -> Reply {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => Reply::new(550, "No such file or directory."),
        K::PermissionDenied => Reply::new(550, "Permission denied."),
        K::AlreadyExists => Reply::new(550, "File exists."),
        K::DirectoryNotEmpty => Reply::new(550, "Directory not empty."),
        K::IsADirectory => Reply::new(550, "Is a directory."),
        K::NotADirectory => Reply::new(550, "Not a directory."),
        K::StorageFull | K::QuotaExceeded => Reply::new(452, "Insufficient storage space."),
        K::FileTooLarge => Reply::new(552, "Exceeded storage allocation."),
        K::InvalidInput | K::InvalidFilename => Reply::new(553, "File name not allowed."),
        K::Unsupported => Reply::new(504, "Not supported by this server's storage."),
        K::CrossesDevices => Reply::new(550, "Cannot rename across storage devices."),
        _ => {
            tracing::warn!(error = %e, "storage error");
            Reply::new(451, "Local error in processing.")
        }
    }
}
