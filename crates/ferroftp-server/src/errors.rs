//! How storage errors become replies.

use std::io;

use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::Reply;

/// The reply for a failed storage operation: what went wrong, in words a user can act on.
/// Details stay in the log; the client never sees server paths.
pub fn storage_error_reply(e: &io::Error) -> Reply {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => Msg::NoSuchFile.reply(),
        K::PermissionDenied => Msg::PermissionDenied.reply(),
        K::AlreadyExists => Msg::FileExists.reply(),
        K::DirectoryNotEmpty => Msg::DirectoryNotEmpty.reply(),
        K::IsADirectory => Msg::IsADirectory.reply(),
        K::NotADirectory => Msg::NotADirectory.reply(),
        K::StorageFull | K::QuotaExceeded => Msg::StorageFull.reply(),
        K::FileTooLarge => Msg::FileTooLarge.reply(),
        K::InvalidInput | K::InvalidFilename => Msg::BadFileName.reply(),
        K::Unsupported => Msg::StorageUnsupported.reply(),
        K::CrossesDevices => Msg::CrossDevice.reply(),
        _ => {
            tracing::warn!(error = %e, "storage error");
            Msg::LocalError.reply()
        }
    }
}
