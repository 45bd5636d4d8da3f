//! The reply-code catalogue: every code ferroftp knows, with its standard meaning, and the
//! texts the server sends. The server's replies are built from here, so the texts a client
//! sees and the guide that explains them cannot drift apart: fixed texts are [`Msg`],
//! replies with a computed part (a path, a size, an address, a status) are [`Computed`],
//! and the driver writes no reply code of its own.

use std::net::{IpAddr, SocketAddrV4};
use std::time::SystemTime;

use crate::args::{format_epsv, format_pasv, TransferType};
use crate::capabilities::Capabilities;
use crate::command::{Verb, VERB_SPELLINGS};
use crate::listing::{self, MlstFacts};
use crate::path::VPath;
use crate::reply::Reply;
use crate::session::quote_path;

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
/// for errors, what to send instead. Replies with a computed part are [`Computed`].
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
    /// The session was idle too long.
    IdleTimeout,
    /// The connection did not log in within the login timeout.
    LoginTimeout,
    /// Too many connections.
    TooManyConnections,
    /// Too many connections from the client's address.
    TooManyFromAddress,
    /// At connect, from an address banned for failed logins.
    AddressBanned,
    /// PASS that failed once too often on this connection (or got the address banned).
    TooManyLoginFailures,
    /// PASS that waited too long for a password check to start (server overloaded).
    LoginsBusy,
    /// PASS with the right password for a user at their session limit.
    TooManySessionsForUser,
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
    /// SITE CHMOD on the user's root directory.
    ChmodRootRefused,
    /// A LIST/NLST shell pattern over the length or wildcard limit.
    PatternTooComplex,
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
    /// A transfer or listing moved no byte for the stall timeout.
    TransferStalled,
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
    /// PASV/EPSV found every port of the passive range busy.
    PassiveNoPort,
    /// PASV/EPSV could not open a listener (the reason stays in the log).
    PassiveFailed,
    /// PASV/EPSV from an address that already holds as many waiting passive listeners as
    /// the server allows.
    PassiveTooMany,
    /// PORT/EPRT naming a port below 1024 (RFC 2577).
    PrivilegedPortRefused,
    /// A `PROT P` upload whose data connection closed without a TLS close_notify.
    UploadTruncated,
    /// A transfer's data connection: every passive port was busy.
    DataNoPassivePort,
    /// PASV/EPSV, or a transfer over PORT/EPRT, while the server already runs as many data
    /// channels as it allows (`max_transfers`).
    TooManyTransfers,
    /// A transfer's data connection was not made in time.
    DataConnectTimeout,
    /// A transfer's data connection failed (the reason stays in the log).
    DataConnectFailed,
    /// A transfer's data channel was closed before it was used.
    DataChannelClosed,
    /// A listing's data connection is about to open.
    ListingStarting,
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
        Msg::IdleTimeout,
        421,
        "Timeout: closing control connection.",
    ),
    (
        Msg::LoginTimeout,
        421,
        "Login timeout: closing control connection.",
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
        Msg::AddressBanned,
        421,
        "Too many failed logins from your address: try again later.",
    ),
    (
        Msg::TooManyLoginFailures,
        421,
        "Too many failed logins: closing control connection.",
    ),
    (
        Msg::LoginsBusy,
        421,
        "Too many logins in progress: try again later.",
    ),
    (
        Msg::TooManySessionsForUser,
        530,
        "Too many sessions for this user: close one and try again.",
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
    (
        Msg::ChmodRootRefused,
        550,
        "The permissions of the root directory cannot be changed.",
    ),
    (
        Msg::PatternTooComplex,
        501,
        "Pattern too long or too complex: at most 256 bytes and 32 wildcards.",
    ),
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
    (Msg::CrossDevice, 550, "Cannot rename across storage devices."),
    (Msg::TransferAborted, 426, "Transfer aborted by ABOR."),
    (Msg::RetrDirectory, 550, "Not a plain file: use LIST or MLSD for directories."),
    (Msg::TransferComplete, 226, "Transfer complete."),
    (Msg::ReadFailed, 451, "Local error reading the file: transfer aborted."),
    (Msg::DataConnectionClosed, 426, "Data connection closed: transfer aborted."),
    (Msg::StoreOverDirectory, 553, "A directory has that name."),
    (Msg::UploadLost, 426, "Data connection lost: upload discarded."),
    (Msg::TransferStalled, 426, "No data moved for too long: transfer aborted."),
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
    (
        Msg::PassiveNoPort,
        425,
        "Can't open passive connection: no passive port free: try again.",
    ),
    (Msg::PassiveFailed, 425, "Can't open passive connection."),
    (
        Msg::PassiveTooMany,
        425,
        "Can't open passive connection: too many waiting from your address, use the ones you have.",
    ),
    (
        Msg::PrivilegedPortRefused,
        501,
        "PORT/EPRT to a port below 1024 refused: use a port from 1024 up.",
    ),
    (
        Msg::UploadTruncated,
        426,
        "Data connection closed without TLS close_notify: upload discarded as truncated.",
    ),
    (
        Msg::DataNoPassivePort,
        425,
        "Can't open data connection: no passive port free: try again.",
    ),
    (
        Msg::TooManyTransfers,
        425,
        "Can't open data connection: the server has too many transfers at once, try again shortly.",
    ),
    (
        Msg::DataConnectTimeout,
        425,
        "Can't open data connection: data connection timed out.",
    ),
    (Msg::DataConnectFailed, 425, "Can't open data connection."),
    (
        Msg::DataChannelClosed,
        425,
        "Can't open data connection: data channel closed.",
    ),
    (Msg::ListingStarting, 150, "Here comes the directory listing."),
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

/// The replies with a computed part (a path, a size, an address, a status): each variant
/// carries its payload, and [`Computed::reply`] is the one place that turns it into a code
/// and text. Together with [`Msg`] these are every reply the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Computed {
    /// The `220` greeting, with the configured text.
    Greeting(String),
    /// USER accepted: `331`, naming the user.
    PasswordRequired {
        /// The name from USER.
        user: String,
    },
    /// PWD: `257` with the working directory.
    CurrentDir {
        /// The working directory.
        path: VPath,
    },
    /// CWD/CDUP done: `250` with the new directory.
    DirChanged {
        /// The new working directory.
        path: VPath,
    },
    /// MKD done: `257` with the new directory.
    DirCreated {
        /// The directory created.
        path: VPath,
    },
    /// TYPE accepted: `200`.
    TypeSet(TransferType),
    /// REST accepted: `350` with the offset.
    Restarting(u64),
    /// OPTS MLST accepted: `200` with the facts now chosen.
    MlstFactsSet(MlstFacts),
    /// OPTS with an option ferroftp does not know: `501`.
    OptionNotUnderstood(String),
    /// SITE HELP: `214`, the SITE commands.
    SiteHelp {
        /// Whether SITE CHMOD is listed (the storage has permission bits).
        chmod: bool,
    },
    /// FEAT: `211`, the extensions this session offers.
    Features {
        /// Whether AUTH TLS, PBSZ and PROT are offered (TLS is configured).
        tls: bool,
        /// What the storage can do: MFMT and REST STREAM are advertised only if it can.
        capabilities: Capabilities,
        /// The MLST facts, the chosen ones marked.
        mlst_facts: MlstFacts,
    },
    /// HELP: `214`, the commands recognized, without those the storage cannot carry out.
    CommandList(Capabilities),
    /// HELP verb: `214`, the verb is supported.
    VerbSupported(Verb),
    /// HELP with a word that names no command: `502`.
    UnknownHelpTopic(String),
    /// SITE with an unknown subcommand: `504`.
    UnknownSiteCommand(String),
    /// SIZE: `213` with the size in bytes.
    Size(u64),
    /// MDTM: `213` with the modification time.
    ModifiedTime(SystemTime),
    /// MFMT done: `213` with the time set and the path.
    ModifiedTimeSet {
        /// The time now set.
        time: SystemTime,
        /// The file.
        path: VPath,
    },
    /// MLST: `250`, the facts of one entry.
    MlstEntry {
        /// The path asked for.
        path: VPath,
        /// The facts line ([`crate::listing::mlsx_line`]).
        facts: String,
    },
    /// PASV: `227` with the address to connect to.
    Passive(SocketAddrV4),
    /// EPSV: `229` with the port to connect to.
    ExtendedPassive(u16),
    /// STAT: `211`, the server's and the session's status.
    Status(StatusReport),
    /// STAT of a file: `213` with its LIST-style line.
    FileStatus {
        /// The path asked for.
        path: VPath,
        /// The LIST-style line ([`crate::listing::list_line`]).
        line: String,
    },
    /// RETR: `150`, the data connection opens for this many bytes.
    OpeningRetrieve {
        /// The file's name.
        name: String,
        /// Whether TYPE A conversion applies.
        ascii: bool,
        /// The bytes to send (from the REST offset on).
        bytes: u64,
    },
    /// STOR/APPE: `150`, ready for the data.
    OkToSend {
        /// The target's name.
        name: String,
    },
    /// STOU: `150` naming the file the server picked (RFC 1123 4.1.2.9).
    UniqueStarting {
        /// The name picked.
        name: String,
    },
    /// STOU done: `226` naming the file stored.
    UniqueStored {
        /// The name picked.
        name: String,
    },
}

/// What `STAT` without an argument reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The client's address.
    pub client: IpAddr,
    /// The logged-in user, if any.
    pub user: Option<String>,
    /// The transfer type (TYPE).
    pub transfer_type: TransferType,
    /// The running transfer, if any: what it moves and the bytes so far.
    pub transfer: Option<(String, u64)>,
}

impl Computed {
    /// This reply's code and text.
    pub fn reply(&self) -> Reply {
        match self {
            Computed::Greeting(text) => Reply::new(220, text.clone()),
            Computed::PasswordRequired { user } => {
                Reply::new(331, format!("Password required for {user}."))
            }
            Computed::CurrentDir { path } => Reply::new(
                257,
                format!("{} is the current directory.", quote_path(path)),
            ),
            Computed::DirChanged { path } => {
                Reply::new(250, format!("Directory changed to {}.", quote_path(path)))
            }
            Computed::DirCreated { path } => {
                Reply::new(257, format!("{} created.", quote_path(path)))
            }
            Computed::TypeSet(t) => {
                let name = match t {
                    TransferType::Ascii => "ASCII",
                    TransferType::Binary => "Binary",
                };
                Reply::new(200, format!("Type set to {name}."))
            }
            Computed::Restarting(n) => Reply::new(
                350,
                format!("Restarting at {n}. Send RETR, STOR or APPE to resume."),
            ),
            Computed::MlstFactsSet(facts) => Reply::new(200, listing::mlst_opts_reply(facts)),
            Computed::OptionNotUnderstood(option) => {
                Reply::new(501, format!("Option not understood: {option}."))
            }
            Computed::SiteHelp { chmod } => {
                let mut lines = vec!["SITE commands:".to_owned()];
                if *chmod {
                    lines.push(" CHMOD mode path".into());
                }
                lines.extend([" HELP".into(), "End of SITE help.".into()]);
                Reply::multi(214, lines)
            }
            Computed::Features {
                tls,
                capabilities,
                mlst_facts,
            } => Reply::multi(211, feature_lines(*tls, capabilities, mlst_facts)),
            Computed::CommandList(capabilities) => {
                let mut lines = vec!["The following commands are recognized:".to_owned()];
                let names: Vec<&str> = VERB_SPELLINGS
                    .iter()
                    .filter(|(_, v)| capabilities.supports_verb(*v))
                    .map(|(s, _)| *s)
                    .collect();
                for chunk in names.chunks(10) {
                    lines.push(format!(" {}", chunk.join(" ")));
                }
                lines.push("Help OK.".to_owned());
                Reply::multi(214, lines)
            }
            Computed::VerbSupported(verb) => Reply::new(214, format!("{verb} is supported.")),
            Computed::UnknownHelpTopic(word) => Reply::new(502, format!("Unknown command {word}.")),
            Computed::UnknownSiteCommand(sub) => {
                Reply::new(504, format!("Unknown SITE command {sub}: try SITE HELP."))
            }
            Computed::Size(n) => Reply::new(213, n.to_string()),
            Computed::ModifiedTime(t) => Reply::new(213, listing::format_mdtm(*t)),
            Computed::ModifiedTimeSet { time, path } => Reply::new(
                213,
                format!("Modify={}; {}", listing::format_mdtm(*time), path),
            ),
            Computed::MlstEntry { path, facts } => Reply::multi(
                250,
                vec![format!("Listing {path}"), format!(" {facts}"), "End".into()],
            ),
            Computed::Passive(addr) => Reply::new(227, format_pasv(*addr)),
            Computed::ExtendedPassive(port) => Reply::new(229, format_epsv(*port)),
            Computed::Status(s) => Reply::multi(211, s.lines()),
            Computed::FileStatus { path, line } => Reply::multi(
                213,
                vec![
                    format!("Status of {path}:"),
                    format!(" {line}"),
                    "End of status".into(),
                ],
            ),
            Computed::OpeningRetrieve { name, ascii, bytes } => {
                let mode = if *ascii { "ASCII" } else { "BINARY" };
                Reply::new(
                    150,
                    format!("Opening {mode} mode data connection for {name} ({bytes} bytes)."),
                )
            }
            Computed::OkToSend { name } => Reply::new(150, format!("Ok to send data for {name}.")),
            Computed::UniqueStarting { name } => Reply::new(150, format!("FILE: {name}")),
            Computed::UniqueStored { name } => {
                Reply::new(226, format!("Transfer complete: FILE: {name}"))
            }
        }
    }
}

/// The lines of the FEAT reply: never advertise what the storage cannot do.
fn feature_lines(tls: bool, capabilities: &Capabilities, mlst_facts: &MlstFacts) -> Vec<String> {
    let mut lines = vec!["Features:".to_owned()];
    if tls {
        lines.extend([" AUTH TLS".to_owned(), " PBSZ".into(), " PROT".into()]);
    }
    lines.extend([
        " EPRT".to_owned(),
        " EPSV".into(),
        " HOST".into(),
        " MDTM".into(),
    ]);
    if capabilities.set_modified {
        lines.push(" MFMT".into());
    }
    lines.extend([
        format!(" {}", listing::mlst_feat_line(mlst_facts)),
        " PASV".into(),
    ]);
    if capabilities.resume {
        lines.push(" REST STREAM".into());
    }
    lines.extend([
        " SIZE".to_owned(),
        " TVFS".into(),
        " UTF8".into(),
        "End".into(),
    ]);
    lines
}

impl From<Computed> for Reply {
    fn from(c: Computed) -> Reply {
        c.reply()
    }
}

impl StatusReport {
    fn lines(&self) -> Vec<String> {
        let mut lines = vec!["ferroftp status:".to_owned()];
        lines.push(format!("Connected from {}", self.client));
        match &self.user {
            Some(u) => lines.push(format!("Logged in as {u}")),
            None => lines.push("Not logged in".to_owned()),
        }
        let ty = match self.transfer_type {
            TransferType::Ascii => "ASCII",
            TransferType::Binary => "BINARY",
        };
        lines.push(format!("TYPE: {ty}, STRUcture: File, MODE: Stream"));
        match &self.transfer {
            Some((what, bytes)) => lines.push(format!(
                "Transfer in progress: {what}, {bytes} bytes so far"
            )),
            None => lines.push("No data connection".to_owned()),
        }
        lines.push("End of status".to_owned());
        lines
    }
}

/// `STAT dir` streams its listing, one entry at a time, so a large directory is never held
/// in memory: these three give the wire lines of that `212` reply.
pub mod dir_status {
    use crate::path::VPath;

    /// The first line, `212-Status of path:`, CRLF-terminated.
    pub fn head(path: &VPath) -> String {
        // The path came from the client: it must not end the line early.
        let path = path.to_string().replace(['\r', '\n'], " ");
        format!("212-Status of {path}:\r\n")
    }

    /// One entry's LIST-style line, CRLF-terminated.
    pub fn line(list_line: &str) -> String {
        // One leading space keeps a name that starts with digits from ending the reply.
        format!(" {}\r\n", list_line.replace(['\r', '\n'], " "))
    }

    /// The last line, CRLF-terminated.
    pub const TAIL: &str = "212 End of status\r\n";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn path(p: &str) -> VPath {
        VPath::root().resolve(p).expect("path")
    }

    #[test]
    fn computed_replies_keep_their_wire_text() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let cases: Vec<(Computed, &str)> = vec![
            (Computed::Greeting("hi".into()), "220 hi\r\n"),
            (
                Computed::PasswordRequired { user: "bob".into() },
                "331 Password required for bob.\r\n",
            ),
            (
                Computed::CurrentDir {
                    path: path("/a\"b"),
                },
                "257 \"/a\"\"b\" is the current directory.\r\n",
            ),
            (
                Computed::DirChanged { path: path("/d") },
                "250 Directory changed to \"/d\".\r\n",
            ),
            (
                Computed::DirCreated { path: path("/n") },
                "257 \"/n\" created.\r\n",
            ),
            (
                Computed::TypeSet(TransferType::Binary),
                "200 Type set to Binary.\r\n",
            ),
            (
                Computed::Restarting(7),
                "350 Restarting at 7. Send RETR, STOR or APPE to resume.\r\n",
            ),
            (
                Computed::OptionNotUnderstood("X".into()),
                "501 Option not understood: X.\r\n",
            ),
            (
                Computed::SiteHelp { chmod: true },
                "214-SITE commands:\r\n CHMOD mode path\r\n HELP\r\n214 End of SITE help.\r\n",
            ),
            (
                Computed::SiteHelp { chmod: false },
                "214-SITE commands:\r\n HELP\r\n214 End of SITE help.\r\n",
            ),
            (
                Computed::VerbSupported(Verb::Retr),
                "214 RETR is supported.\r\n",
            ),
            (
                Computed::UnknownHelpTopic("XYZ".into()),
                "502 Unknown command XYZ.\r\n",
            ),
            (
                Computed::UnknownSiteCommand("FOO".into()),
                "504 Unknown SITE command FOO: try SITE HELP.\r\n",
            ),
            (Computed::Size(1234), "213 1234\r\n"),
            (Computed::ModifiedTime(t), "213 20231114221320\r\n"),
            (
                Computed::ModifiedTimeSet {
                    time: t,
                    path: path("/f"),
                },
                "213 Modify=20231114221320; /f\r\n",
            ),
            (
                Computed::MlstEntry {
                    path: path("/f"),
                    facts: "type=file; f".into(),
                },
                "250-Listing /f\r\n type=file; f\r\n250 End\r\n",
            ),
            (
                Computed::Passive("10.0.0.1:5001".parse().expect("addr")),
                "227 Entering Passive Mode (10,0,0,1,19,137).\r\n",
            ),
            (
                Computed::ExtendedPassive(5001),
                "229 Entering Extended Passive Mode (|||5001|)\r\n",
            ),
            (
                Computed::FileStatus {
                    path: path("/f"),
                    line: "-rw-r--r-- f".into(),
                },
                "213-Status of /f:\r\n -rw-r--r-- f\r\n213 End of status\r\n",
            ),
            (
                Computed::OpeningRetrieve {
                    name: "f".into(),
                    ascii: false,
                    bytes: 10,
                },
                "150 Opening BINARY mode data connection for f (10 bytes).\r\n",
            ),
            (
                Computed::OkToSend { name: "f".into() },
                "150 Ok to send data for f.\r\n",
            ),
            (
                Computed::UniqueStarting { name: "f.1".into() },
                "150 FILE: f.1\r\n",
            ),
            (
                Computed::UniqueStored { name: "f.1".into() },
                "226 Transfer complete: FILE: f.1\r\n",
            ),
        ];
        for (c, wire) in cases {
            assert_eq!(c.reply().to_wire(), wire, "{c:?}");
        }
    }

    #[test]
    fn feat_and_help_follow_the_capabilities() {
        let feat = |tls, capabilities| {
            Computed::Features {
                tls,
                capabilities,
                mlst_facts: MlstFacts::default(),
            }
            .reply()
        };
        let mlst = format!(" {}", listing::mlst_feat_line(&MlstFacts::default()));
        let all = feat(true, Capabilities::ALL);
        assert_eq!(all.code, 211);
        let expected: Vec<&str> = vec![
            "Features:",
            " AUTH TLS",
            " PBSZ",
            " PROT",
            " EPRT",
            " EPSV",
            " HOST",
            " MDTM",
            " MFMT",
            &mlst,
            " PASV",
            " REST STREAM",
            " SIZE",
            " TVFS",
            " UTF8",
            "End",
        ];
        assert_eq!(all.lines, expected);
        let none = feat(false, Capabilities::NONE);
        let expected: Vec<&str> = vec![
            "Features:",
            " EPRT",
            " EPSV",
            " HOST",
            " MDTM",
            &mlst,
            " PASV",
            " SIZE",
            " TVFS",
            " UTF8",
            "End",
        ];
        assert_eq!(none.lines, expected);

        let all = Computed::CommandList(Capabilities::ALL).reply();
        assert_eq!(all.code, 214);
        assert_eq!(all.lines[0], "The following commands are recognized:");
        assert_eq!(all.lines.last().map(String::as_str), Some("Help OK."));
        let words = |r: &Reply| -> Vec<String> {
            r.lines[1..r.lines.len() - 1]
                .iter()
                .flat_map(|l| l.split_whitespace().map(str::to_owned))
                .collect()
        };
        assert_eq!(words(&all).len(), VERB_SPELLINGS.len());
        let none = words(&Computed::CommandList(Capabilities::NONE).reply());
        for gone in ["APPE", "MFMT", "MKD"] {
            assert!(!none.iter().any(|w| w == gone), "{gone} listed");
        }
        assert!(none.iter().any(|w| w == "STOR"));
    }

    #[test]
    fn status_report_lines() {
        let report = StatusReport {
            client: "192.0.2.1".parse().expect("ip"),
            user: Some("alice".into()),
            transfer_type: TransferType::Ascii,
            transfer: Some(("RETR /f".into(), 42)),
        };
        assert_eq!(
            Computed::Status(report).reply().to_wire(),
            "211-ferroftp status:\r\nConnected from 192.0.2.1\r\nLogged in as alice\r\n\
             TYPE: ASCII, STRUcture: File, MODE: Stream\r\n\
             Transfer in progress: RETR /f, 42 bytes so far\r\n211 End of status\r\n"
        );
    }

    #[test]
    fn dir_status_lines() {
        assert_eq!(dir_status::head(&path("/d")), "212-Status of /d:\r\n");
        assert_eq!(dir_status::line("123 x"), " 123 x\r\n");
        assert_eq!(dir_status::TAIL, "212 End of status\r\n");
    }

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
