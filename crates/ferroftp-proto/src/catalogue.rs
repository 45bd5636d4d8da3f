//! The reply-code catalogue: every code ferroftp knows, with its standard meaning, and the
//! texts the server sends. The server's replies are built from here, so the texts a client
//! sees and the guide that explains them cannot drift apart.

use crate::reply::Reply;

/// One reply code and its standard meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The three-digit code.
    pub code: u16,
    /// The short standard text (RFC 959 section 4.2.2 and later RFCs).
    pub text: &'static str,
    /// Where the code is defined.
    pub rfc: &'static str,
}

/// Every reply code of RFC 959, 2228, 2428, 3659, 4217 and 7151.
pub const CODES: &[CodeInfo] = &[
    c(110, "Restart marker reply.", "RFC 959 4.2"),
    c(120, "Service ready in nnn minutes.", "RFC 959 4.2"),
    c(
        125,
        "Data connection already open; transfer starting.",
        "RFC 959 4.2",
    ),
    c(
        150,
        "File status okay; about to open data connection.",
        "RFC 959 4.2",
    ),
    c(200, "Command okay.", "RFC 959 4.2"),
    c(
        202,
        "Command not implemented, superfluous at this site.",
        "RFC 959 4.2",
    ),
    c(211, "System status, or system help reply.", "RFC 959 4.2"),
    c(212, "Directory status.", "RFC 959 4.2"),
    c(213, "File status.", "RFC 959 4.2"),
    c(214, "Help message.", "RFC 959 4.2"),
    c(215, "NAME system type.", "RFC 959 4.2"),
    c(220, "Service ready for new user.", "RFC 959 4.2"),
    c(221, "Service closing control connection.", "RFC 959 4.2"),
    c(
        225,
        "Data connection open; no transfer in progress.",
        "RFC 959 4.2",
    ),
    c(226, "Closing data connection.", "RFC 959 4.2"),
    c(
        227,
        "Entering Passive Mode (h1,h2,h3,h4,p1,p2).",
        "RFC 959 4.2",
    ),
    c(228, "Entering Long Passive Mode.", "RFC 1639"),
    c(
        229,
        "Entering Extended Passive Mode (|||port|).",
        "RFC 2428 3",
    ),
    c(230, "User logged in, proceed.", "RFC 959 4.2"),
    c(
        232,
        "User logged in, authorized by security data exchange.",
        "RFC 2228",
    ),
    c(
        234,
        "Security data exchange complete.",
        "RFC 2228 / RFC 4217",
    ),
    c(
        235,
        "Security data exchange completed successfully.",
        "RFC 2228",
    ),
    c(250, "Requested file action okay, completed.", "RFC 959 4.2"),
    c(257, "\"PATHNAME\" created.", "RFC 959 4.2"),
    c(331, "User name okay, need password.", "RFC 959 4.2"),
    c(332, "Need account for login.", "RFC 959 4.2"),
    c(
        334,
        "Security mechanism accepted, security data required.",
        "RFC 2228",
    ),
    c(335, "Security data accepted, more required.", "RFC 2228"),
    c(
        336,
        "Username okay, need password; challenge follows.",
        "RFC 2228",
    ),
    c(
        350,
        "Requested file action pending further information.",
        "RFC 959 4.2",
    ),
    c(
        421,
        "Service not available, closing control connection.",
        "RFC 959 4.2",
    ),
    c(425, "Can't open data connection.", "RFC 959 4.2"),
    c(426, "Connection closed; transfer aborted.", "RFC 959 4.2"),
    c(
        431,
        "Need some unavailable resource to process security.",
        "RFC 2228",
    ),
    c(
        450,
        "Requested file action not taken; file unavailable.",
        "RFC 959 4.2",
    ),
    c(
        451,
        "Requested action aborted: local error in processing.",
        "RFC 959 4.2",
    ),
    c(
        452,
        "Requested action not taken; insufficient storage space.",
        "RFC 959 4.2",
    ),
    c(500, "Syntax error, command unrecognized.", "RFC 959 4.2"),
    c(
        501,
        "Syntax error in parameters or arguments.",
        "RFC 959 4.2",
    ),
    c(502, "Command not implemented.", "RFC 959 4.2"),
    c(503, "Bad sequence of commands.", "RFC 959 4.2"),
    c(
        504,
        "Command not implemented for that parameter.",
        "RFC 959 4.2",
    ),
    c(
        521,
        "Data connection cannot be opened with this PROT setting.",
        "RFC 4217 / RFC 2228",
    ),
    c(522, "Network protocol not supported.", "RFC 2428 2"),
    c(530, "Not logged in.", "RFC 959 4.2"),
    c(532, "Need account for storing files.", "RFC 959 4.2"),
    c(
        533,
        "Command protection level denied for policy reasons.",
        "RFC 2228",
    ),
    c(534, "Request denied for policy reasons.", "RFC 2228"),
    c(535, "Failed security check.", "RFC 2228"),
    c(
        536,
        "Requested PROT level not supported by mechanism.",
        "RFC 2228",
    ),
    c(
        537,
        "Command protection level not supported by security mechanism.",
        "RFC 2228",
    ),
    c(
        550,
        "Requested action not taken; file unavailable.",
        "RFC 959 4.2",
    ),
    c(
        551,
        "Requested action aborted: page type unknown.",
        "RFC 959 4.2",
    ),
    c(
        552,
        "Requested file action aborted; exceeded storage allocation.",
        "RFC 959 4.2",
    ),
    c(
        553,
        "Requested action not taken; file name not allowed.",
        "RFC 959 4.2",
    ),
    c(
        554,
        "Requested action not taken: invalid REST parameter.",
        "RFC 3659 5.4",
    ),
    c(
        555,
        "Requested action not taken: type or stru mismatch.",
        "RFC 3659 5.4",
    ),
    c(631, "Integrity protected reply.", "RFC 2228"),
    c(
        632,
        "Confidentiality and integrity protected reply.",
        "RFC 2228",
    ),
    c(633, "Confidentiality protected reply.", "RFC 2228"),
];

const fn c(code: u16, text: &'static str, rfc: &'static str) -> CodeInfo {
    CodeInfo { code, text, rfc }
}

/// Looks a code up.
pub fn lookup(code: u16) -> Option<&'static CodeInfo> {
    CODES.iter().find(|e| e.code == code)
}

/// The fixed replies the server sends: each a code and a text that says what happened and,
/// for errors, what to send instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// PASS without a preceding USER.
    LoginWithUserFirst,
    /// A command that needs a login, before it.
    PleaseLogin,
    /// RNTO not right after a successful RNFR.
    RnfrRequired,
    /// A transfer with no data channel set up.
    UseDataCommandFirst,
    /// PORT/PASV/EPRT after EPSV ALL.
    EpsvAllInEffect,
    /// USER while logged in, when switching is off.
    AlreadyLoggedInUser,
    /// PASS while logged in.
    AlreadyLoggedIn,
    /// HOST after USER or after login.
    HostBeforeUser,
    /// HOST naming no configured virtual host.
    UnknownHost,
    /// HOST accepted.
    HostAccepted,
    /// Wrong user name or password.
    LoginIncorrect,
    /// Login accepted.
    LoggedIn,
    /// REST offset other than 0 in ASCII mode.
    RestAsciiUnsupported,
    /// A command that needs an argument got none.
    ArgumentRequired,
    /// An argument that could not be parsed.
    BadArgument,
    /// A parameter ferroftp does not support.
    ParameterUnsupported,
    /// EPRT/EPSV with a network protocol other than 1 or 2.
    NetworkProtocolUnsupported,
    /// A verb ferroftp does not implement.
    NotImplemented,
    /// A line longer than the limit.
    LineTooLong,
    /// A line that is not UTF-8.
    NotUtf8,
    /// An HTTP request on the control port.
    HttpRefused,
    /// A path with a NUL byte or no name.
    BadFileName,
    /// The user lacks the permission.
    PermissionDenied,
    /// NOOP.
    NoopOk,
    /// QUIT.
    Goodbye,
    /// ACCT: accounts are not used.
    AcctNotNeeded,
    /// ALLO: no allocation is needed.
    AlloNotNeeded,
    /// ABOR with no transfer running.
    NoTransferToAbort,
    /// SYST.
    SystemType,
    /// A data-channel command while a transfer runs.
    TransferInProgress,
    /// The session was idle too long.
    IdleTimeout,
    /// Too many connections.
    TooManyConnections,
    /// Too many connections from the client's address.
    TooManyFromAddress,
    /// The server is shutting down.
    ShuttingDown,
    /// AUTH without TLS configured.
    TlsNotConfigured,
    /// AUTH when the control connection is already secured.
    AlreadySecured,
    /// PBSZ before AUTH.
    AuthFirst,
    /// PROT before PBSZ.
    PbszFirst,
    /// CCC: refused by policy.
    CccRefused,
    /// CCC on a connection that is not protected (RFC 2228: 533).
    CccNotProtected,
    /// AUTH with a mechanism other than TLS/SSL.
    AuthMechanismUnsupported,
    /// PROT S or E.
    ProtUnsupported,
    /// USER on a plain connection when the policy requires TLS for login.
    TlsRequiredForLogin,
    /// A transfer under PROT C when the policy requires protected data.
    ProtPrivateRequired,
    /// A data connection whose TLS session does not resume the control connection's.
    TlsSessionReuseRequired,
    /// The TLS handshake on a data connection failed.
    DataTlsFailed,
    /// ABOR after a transfer was aborted.
    AborDone,
    /// A transfer job ended without a result.
    TransferFailedLocal,
    /// REIN.
    SessionReset,
    /// CWD to a file, or a storage error of that kind.
    NotADirectory,
    /// RMD /.
    RootNotRemovable,
    /// RMD done.
    DirectoryRemoved,
    /// DELE on a directory.
    DeleIsDirectory,
    /// DELE done.
    FileDeleted,
    /// RNFR /.
    RootNotRenamable,
    /// RNTO done.
    Renamed,
    /// SIZE of a directory.
    NotAPlainFile,
    /// MDTM where the backend has no time.
    MtimeUnknown,
    /// SITE CHMOD done.
    ChmodDone,
    /// An unexpected local error.
    LocalError,
    /// The user's home directory cannot be opened.
    HomeUnavailable,
    /// PASV on an IPv6 control connection.
    PasvNeedsIpv4,
    /// PORT/EPRT accepted.
    PortOk,
    /// The file or directory does not exist.
    NoSuchFile,
    /// The target exists.
    FileExists,
    /// RMD of a directory with entries.
    DirectoryNotEmpty,
    /// A file operation on a directory.
    IsADirectory,
    /// The disk or quota is full.
    StorageFull,
    /// The file is larger than allowed.
    FileTooLarge,
    /// The backend cannot do this (SITE CHMOD on object storage).
    StorageUnsupported,
    /// The user's storage quota is used up.
    QuotaExceeded,
    /// The storage backend is down: the session closes.
    StorageUnavailable,
    /// APPE on a backend that cannot append.
    AppendUnsupported,
    /// REST n then STOR on a backend that cannot resume uploads.
    ResumeUnsupported,
    /// RNFR of a directory on a backend that cannot rename directories.
    RenameDirUnsupported,
    /// SITE CHMOD on a backend without permission bits.
    ChmodUnsupported,
    /// MFMT on a backend that cannot set modification times.
    MfmtUnsupported,
    /// MKD on a backend without empty directories.
    MkdUnsupported,
    /// The data connection could not be made (passive accept or active connect failed).
    DataConnectionFailed,
    /// RNTO to another file system.
    CrossDevice,
    /// A transfer stopped by ABOR.
    TransferAborted,
    /// RETR of a directory.
    RetrDirectory,
    /// A file transfer ended well.
    TransferComplete,
    /// Reading the file failed mid-transfer.
    ReadFailed,
    /// The client closed the data connection early.
    DataConnectionClosed,
    /// STOR onto a directory's name.
    StoreOverDirectory,
    /// The data connection failed during an upload.
    UploadLost,
    /// The finished upload could not be saved.
    CommitFailed,
    /// STOU found no free name.
    NoUniqueName,
    /// MLSD of a file.
    MlsdNotDirectory,
    /// A listing ended well.
    ListingComplete,
    /// Reading a directory failed mid-listing.
    ListingFailed,
    /// The client closed a listing's data connection early.
    ListingClosed,
    /// PBSZ accepted (TLS has no buffer: always 0).
    PbszOk,
    /// PROT C.
    ProtClear,
    /// PROT P.
    ProtPrivate,
    /// STRU F.
    StruOk,
    /// MODE S.
    ModeOk,
    /// EPSV ALL accepted.
    EpsvAllOk,
    /// OPTS UTF8 ON.
    Utf8On,
    /// OPTS UTF8 OFF.
    Utf8AlwaysOn,
    /// RNFR accepted.
    RnfrOk,
    /// PORT/EPRT naming another host (FTP bounce protection).
    BounceRefused,
    /// Plain-text commands pipelined behind AUTH TLS.
    PlaintextAfterAuth,
    /// AUTH TLS accepted.
    AuthTlsOk,
    /// REST beyond the end of the file (RFC 3659 5.4).
    RestBeyondEnd,
}

/// The code and text of each [`Msg`], in one place.
pub const MESSAGES: &[(Msg, u16, &str)] = &[
    (Msg::LoginWithUserFirst, 503, "Login with USER first."),
    (Msg::PleaseLogin, 530, "Please login with USER and PASS."),
    (Msg::RnfrRequired, 503, "RNFR required first."),
    (
        Msg::UseDataCommandFirst,
        425,
        "Use PORT, PASV, EPSV or EPRT first.",
    ),
    (
        Msg::EpsvAllInEffect,
        503,
        "EPSV ALL is in effect: use EPSV.",
    ),
    (
        Msg::AlreadyLoggedInUser,
        503,
        "Already logged in: send REIN first to log in as another user.",
    ),
    (Msg::AlreadyLoggedIn, 503, "Already logged in."),
    (Msg::HostBeforeUser, 503, "HOST must be sent before USER."),
    (Msg::UnknownHost, 504, "Unknown virtual host."),
    (Msg::HostAccepted, 220, "Host accepted."),
    (Msg::LoginIncorrect, 530, "Login incorrect."),
    (Msg::LoggedIn, 230, "Login successful."),
    (
        Msg::RestAsciiUnsupported,
        504,
        "REST is not supported in ASCII mode: send TYPE I first.",
    ),
    (
        Msg::ArgumentRequired,
        501,
        "Syntax error: this command needs an argument.",
    ),
    (
        Msg::BadArgument,
        501,
        "Syntax error in parameters or arguments.",
    ),
    (
        Msg::ParameterUnsupported,
        504,
        "Command not implemented for that parameter.",
    ),
    (
        Msg::NetworkProtocolUnsupported,
        522,
        "Network protocol not supported, use (1,2).",
    ),
    (Msg::NotImplemented, 502, "Command not implemented."),
    (Msg::LineTooLong, 500, "Command line too long."),
    (Msg::NotUtf8, 501, "Command is not valid UTF-8."),
    (
        Msg::HttpRefused,
        500,
        "This is an FTP server, not an HTTP server: closing connection.",
    ),
    (Msg::BadFileName, 553, "File name not allowed."),
    (Msg::PermissionDenied, 550, "Permission denied."),
    (Msg::NoopOk, 200, "NOOP ok."),
    (Msg::Goodbye, 221, "Goodbye."),
    (Msg::AcctNotNeeded, 202, "ACCT not needed on this server."),
    (Msg::AlloNotNeeded, 202, "No storage allocation necessary."),
    (Msg::NoTransferToAbort, 225, "No transfer to abort."),
    (Msg::SystemType, 215, "UNIX Type: L8"),
    (
        Msg::TransferInProgress,
        503,
        "A transfer is in progress: wait for it or send ABOR.",
    ),
    (
        Msg::IdleTimeout,
        421,
        "Timeout: closing control connection.",
    ),
    (
        Msg::TooManyConnections,
        421,
        "Too many connections: try again later.",
    ),
    (
        Msg::TooManyFromAddress,
        421,
        "Too many connections from your address: try again later.",
    ),
    (
        Msg::ShuttingDown,
        421,
        "Server shutting down: closing control connection.",
    ),
    (
        Msg::TlsNotConfigured,
        502,
        "TLS is not configured on this server.",
    ),
    (
        Msg::AlreadySecured,
        503,
        "Control connection already secured with TLS.",
    ),
    (Msg::AuthFirst, 503, "Send AUTH TLS first."),
    (Msg::PbszFirst, 503, "Send PBSZ 0 first."),
    (
        Msg::CccRefused,
        534,
        "CCC refused: the control connection stays encrypted.",
    ),
    (
        Msg::CccNotProtected,
        533,
        "CCC must be sent over a TLS-protected control connection.",
    ),
    (
        Msg::AuthMechanismUnsupported,
        504,
        "Unsupported security mechanism: use AUTH TLS.",
    ),
    (
        Msg::ProtUnsupported,
        536,
        "Only PROT C and PROT P are supported.",
    ),
    (
        Msg::TlsRequiredForLogin,
        534,
        "TLS required: send AUTH TLS before USER.",
    ),
    (
        Msg::ProtPrivateRequired,
        521,
        "Data connections must be protected: send PBSZ 0 and PROT P first.",
    ),
    (
        Msg::TlsSessionReuseRequired,
        522,
        "Data connection refused: its TLS session must resume the control connection's (tls-session-reuse = required).",
    ),
    (
        Msg::DataTlsFailed,
        522,
        "TLS handshake on the data connection failed.",
    ),
    (Msg::AborDone, 226, "ABOR successful."),
    (Msg::TransferFailedLocal, 451, "Transfer failed: local error."),
    (Msg::SessionReset, 220, "Session reset: log in again."),
    (Msg::NotADirectory, 550, "Not a directory."),
    (Msg::RootNotRemovable, 550, "The root directory cannot be removed."),
    (Msg::DirectoryRemoved, 250, "Directory removed."),
    (Msg::DeleIsDirectory, 550, "Is a directory: use RMD."),
    (Msg::FileDeleted, 250, "File deleted."),
    (Msg::RootNotRenamable, 550, "The root directory cannot be renamed."),
    (Msg::Renamed, 250, "Rename successful."),
    (Msg::NotAPlainFile, 550, "Not a plain file."),
    (Msg::MtimeUnknown, 550, "Modification time unknown."),
    (Msg::ChmodDone, 200, "SITE CHMOD command ok."),
    (Msg::LocalError, 451, "Local error in processing."),
    (Msg::HomeUnavailable, 530, "Login failed: home directory not available."),
    (Msg::PasvNeedsIpv4, 425, "PASV needs IPv4: use EPSV on IPv6 connections."),
    (Msg::PortOk, 200, "PORT command successful. Consider using PASV."),
    (Msg::NoSuchFile, 550, "No such file or directory."),
    (Msg::FileExists, 550, "File exists."),
    (Msg::DirectoryNotEmpty, 550, "Directory not empty."),
    (Msg::IsADirectory, 550, "Is a directory."),
    (Msg::StorageFull, 452, "Insufficient storage space."),
    (Msg::FileTooLarge, 552, "Exceeded storage allocation."),
    (Msg::StorageUnsupported, 504, "Not supported by this server's storage."),
    (
        Msg::QuotaExceeded,
        552,
        "Exceeded storage allocation: the quota is used up, delete files to make room.",
    ),
    (
        Msg::StorageUnavailable,
        421,
        "Storage unavailable: closing control connection, try again later.",
    ),
    (
        Msg::AppendUnsupported,
        502,
        "APPE is not supported by this server's storage: upload the whole file with STOR.",
    ),
    (
        Msg::ResumeUnsupported,
        504,
        "Resuming uploads is not supported by this server's storage: send STOR without REST.",
    ),
    (
        Msg::RenameDirUnsupported,
        504,
        "Renaming directories is not supported by this server's storage.",
    ),
    (
        Msg::ChmodUnsupported,
        502,
        "SITE CHMOD is not supported by this server's storage: it has no permission bits.",
    ),
    (
        Msg::MfmtUnsupported,
        502,
        "MFMT is not supported by this server's storage: it cannot set modification times.",
    ),
    (
        Msg::MkdUnsupported,
        502,
        "MKD is not supported by this server's storage: it has no empty directories.",
    ),
    (Msg::DataConnectionFailed, 425, "Can't open data connection."),
    (Msg::CrossDevice, 550, "Cannot rename across storage devices."),
    (Msg::TransferAborted, 426, "Transfer aborted by ABOR."),
    (Msg::RetrDirectory, 550, "Not a plain file: use LIST or MLSD for directories."),
    (Msg::TransferComplete, 226, "Transfer complete."),
    (Msg::ReadFailed, 451, "Local error reading the file: transfer aborted."),
    (Msg::DataConnectionClosed, 426, "Data connection closed: transfer aborted."),
    (Msg::StoreOverDirectory, 553, "A directory has that name."),
    (Msg::UploadLost, 426, "Data connection lost: upload discarded."),
    (Msg::CommitFailed, 451, "Could not save the file: upload discarded."),
    (Msg::NoUniqueName, 451, "Could not find a unique file name."),
    (Msg::MlsdNotDirectory, 501, "Not a directory: use MLST for a single file."),
    (Msg::ListingComplete, 226, "Directory send OK."),
    (Msg::ListingFailed, 451, "Local error reading the directory."),
    (Msg::ListingClosed, 426, "Data connection closed: listing aborted."),
    (Msg::PbszOk, 200, "PBSZ=0"),
    (Msg::ProtClear, 200, "Protection level set to Clear."),
    (Msg::ProtPrivate, 200, "Protection level set to Private."),
    (Msg::StruOk, 200, "Structure set to File."),
    (Msg::ModeOk, 200, "Mode set to Stream."),
    (Msg::EpsvAllOk, 200, "EPSV ALL ok: only EPSV from now on."),
    (Msg::Utf8On, 200, "UTF8 mode enabled."),
    (Msg::Utf8AlwaysOn, 200, "UTF8 mode is always on."),
    (Msg::RnfrOk, 350, "File exists, ready for destination name: send RNTO."),
    (Msg::BounceRefused, 501, "PORT/EPRT must name your own address (FTP bounce protection)."),
    (Msg::PlaintextAfterAuth, 421, "Commands after AUTH TLS must wait for the TLS handshake: closing."),
    (Msg::AuthTlsOk, 234, "AUTH TLS successful: start the TLS handshake."),
    (
        Msg::RestBeyondEnd,
        554,
        "Invalid REST parameter: the offset is beyond the end of the file (see SIZE).",
    ),
];

impl Msg {
    /// The reply code of this message.
    pub fn code(self) -> u16 {
        self.entry().0
    }

    /// The text of this message.
    pub fn text(self) -> &'static str {
        self.entry().1
    }

    fn entry(self) -> (u16, &'static str) {
        MESSAGES
            .iter()
            .find(|(m, _, _)| *m == self)
            .map(|(_, code, text)| (*code, *text))
            .unwrap_or((451, "Internal error: reply text missing."))
    }

    /// This message as a reply.
    pub fn reply(self) -> Reply {
        Reply::new(self.code(), self.text())
    }
}

impl From<Msg> for Reply {
    fn from(m: Msg) -> Reply {
        m.reply()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_code_is_in_the_catalogue() {
        for (m, code, _) in MESSAGES {
            assert!(lookup(*code).is_some(), "{m:?} uses unknown code {code}");
        }
    }

    #[test]
    fn codes_are_unique_and_sorted() {
        for w in CODES.windows(2) {
            assert!(w[0].code < w[1].code, "{} then {}", w[0].code, w[1].code);
        }
    }
}
