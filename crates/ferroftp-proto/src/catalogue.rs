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
