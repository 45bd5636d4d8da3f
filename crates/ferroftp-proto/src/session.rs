//! The session state machine.
//!
//! [`Session::handle`] takes one parsed command and answers with an [`Outcome`]: a reply to
//! send, or an [`Action`] for the I/O layer to carry out. When an action needs the session's
//! state to change on success (a login, a new working directory, a pending rename, a data
//! channel), the I/O layer reports back through the `on_*` methods.
//!
//! Every sequencing rule is in [`RULES`]: one row per verb, naming what must hold before the
//! verb may run, whether it is answered while a transfer runs, and whether it keeps a pending
//! `REST` offset. A rule that fails gives the reply of its [`Precondition`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use crate::args::{self, EpsvArg, TransferType};
use crate::capabilities::Capabilities;
use crate::catalogue::{Computed, Msg};
use crate::command::{Command, Verb};
use crate::listing::{self, EntryKind, MlstFacts};
use crate::path::{PathError, VPath};
use crate::perms::Permissions;
use crate::reply::Reply;

/// What must hold before a command may run. Checked in the order a rule lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// The user has logged in. Fails with `530 Please login with USER and PASS.`
    LoggedIn,
    /// USER was accepted and PASS is awaited. Fails with `503 Login with USER first.`
    UserSent,
    /// Not logged in and no USER sent yet (HOST). Fails with `503 HOST must be sent before USER.`
    BeforeUser,
    /// The previous command was a successful RNFR. Fails with `503 RNFR required first.`
    RenamePending,
    /// PASV, EPSV, PORT or EPRT set up a data channel. Fails with `425 Use PORT, PASV, EPSV or EPRT first.`
    DataChannel,
    /// EPSV ALL was not sent. Fails with `503 EPSV ALL is in effect: use EPSV.`
    NotEpsvAll,
    /// The argument is present. Fails with `501`.
    Argument,
    /// The control connection is secured (PBSZ). Fails with `503 Send AUTH TLS first.`
    Secured,
    /// PBSZ was accepted (PROT). Fails with `503 Send PBSZ 0 first.`
    PbszSent,
    /// The control connection is not secured yet (AUTH). Fails with `503 Control connection already secured with TLS.`
    NotSecured,
    /// The data will be protected if the policy requires it (`PROT P` under
    /// `tls-required = all`). Fails with `521`.
    ProtectedData,
    /// Nobody is logged in yet, or switching users is allowed (USER). Fails with
    /// `503 Already logged in: send REIN first to log in as another user.`
    UserSwitch,
    /// The REST offset is 0, or the type is I: offsets into a file converted to TYPE A
    /// would not match the bytes on the wire. Fails with `504`.
    RestOffset,
    /// The control connection is under TLS, so there is something to clear (CCC). Fails
    /// with `533` (RFC 2228), not `503`.
    ControlProtected,
}

impl Precondition {
    /// The reply sent when this precondition fails.
    pub fn failure(self) -> Msg {
        match self {
            Precondition::LoggedIn => Msg::PleaseLogin,
            Precondition::UserSent => Msg::LoginWithUserFirst,
            Precondition::BeforeUser => Msg::HostBeforeUser,
            Precondition::RenamePending => Msg::RnfrRequired,
            Precondition::DataChannel => Msg::UseDataCommandFirst,
            Precondition::NotEpsvAll => Msg::EpsvAllInEffect,
            Precondition::Argument => Msg::ArgumentRequired,
            Precondition::Secured => Msg::AuthFirst,
            Precondition::PbszSent => Msg::PbszFirst,
            Precondition::NotSecured => Msg::AlreadySecured,
            Precondition::ProtectedData => Msg::ProtPrivateRequired,
            Precondition::UserSwitch => Msg::AlreadyLoggedInUser,
            Precondition::RestOffset => Msg::RestAsciiUnsupported,
            Precondition::ControlProtected => Msg::CccNotProtected,
        }
    }
}

/// One row of the sequencing table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The verb this row governs.
    pub verb: Verb,
    /// What must hold first, checked in order.
    pub needs: &'static [Precondition],
    /// Answered at once even while a transfer runs (others wait for it to end).
    pub during_transfer: bool,
    /// Leaves a pending REST offset in place (commands that only prepare a transfer).
    pub keeps_rest: bool,
}

use Precondition::*;

const fn rule(verb: Verb, needs: &'static [Precondition]) -> Rule {
    Rule {
        verb,
        needs,
        during_transfer: false,
        keeps_rest: false,
    }
}

const fn prepares(verb: Verb, needs: &'static [Precondition]) -> Rule {
    Rule {
        verb,
        needs,
        during_transfer: false,
        keeps_rest: true,
    }
}

const fn immediate(verb: Verb, needs: &'static [Precondition], keeps_rest: bool) -> Rule {
    Rule {
        verb,
        needs,
        during_transfer: true,
        keeps_rest,
    }
}

/// The sequencing rules of ferroftp, one row per verb.
pub const RULES: &[Rule] = &[
    // Login (RFC 959 4.1.1) and virtual hosts (RFC 7151: HOST comes before USER).
    rule(Verb::User, &[Argument, UserSwitch]),
    rule(Verb::Pass, &[UserSent]),
    rule(Verb::Acct, &[]),
    rule(Verb::Host, &[BeforeUser, Argument]),
    rule(Verb::Rein, &[]),
    // QUIT waits for a running transfer to end (RFC 959 4.1.1).
    rule(Verb::Quit, &[]),
    // Always available.
    immediate(Verb::Noop, &[], true),
    rule(Verb::Feat, &[]),
    rule(Verb::Help, &[]),
    rule(Verb::Syst, &[]),
    rule(Verb::Opts, &[Argument]),
    immediate(Verb::Abor, &[], false),
    immediate(Verb::Stat, &[LoggedIn], true),
    // Security (RFC 2228, RFC 4217): AUTH, then PBSZ, then PROT.
    rule(Verb::Auth, &[NotSecured, Argument]),
    prepares(Verb::Pbsz, &[Secured, Argument]),
    prepares(Verb::Prot, &[Secured, PbszSent, Argument]),
    rule(Verb::Ccc, &[ControlProtected]),
    // Directories.
    rule(Verb::Cwd, &[LoggedIn, Argument]),
    rule(Verb::Cdup, &[LoggedIn]),
    rule(Verb::Pwd, &[LoggedIn]),
    rule(Verb::Mkd, &[LoggedIn, Argument]),
    rule(Verb::Rmd, &[LoggedIn, Argument]),
    // Files.
    rule(Verb::Dele, &[LoggedIn, Argument]),
    rule(Verb::Rnfr, &[LoggedIn, Argument]),
    rule(Verb::Rnto, &[LoggedIn, RenamePending, Argument]),
    prepares(Verb::Size, &[LoggedIn, Argument]),
    prepares(Verb::Mdtm, &[LoggedIn, Argument]),
    rule(Verb::Mfmt, &[LoggedIn, Argument]),
    rule(Verb::Site, &[LoggedIn, Argument]),
    rule(Verb::Mlst, &[LoggedIn]),
    // Transfer parameters: these keep a pending REST, since clients send REST before or
    // after setting up the data channel.
    prepares(Verb::Type, &[LoggedIn, Argument]),
    prepares(Verb::Stru, &[LoggedIn, Argument]),
    prepares(Verb::Mode, &[LoggedIn, Argument]),
    prepares(Verb::Pasv, &[LoggedIn, NotEpsvAll]),
    prepares(Verb::Epsv, &[LoggedIn]),
    prepares(Verb::Port, &[LoggedIn, NotEpsvAll, Argument]),
    prepares(Verb::Eprt, &[LoggedIn, NotEpsvAll, Argument]),
    // An argument that does not parse passes RestOffset and gets its 501 from the parser.
    rule(Verb::Rest, &[LoggedIn, Argument, RestOffset]),
    rule(Verb::Allo, &[LoggedIn]),
    // Transfers need a data channel.
    rule(
        Verb::Retr,
        &[LoggedIn, Argument, ProtectedData, DataChannel],
    ),
    rule(
        Verb::Stor,
        &[LoggedIn, Argument, ProtectedData, DataChannel],
    ),
    rule(
        Verb::Appe,
        &[LoggedIn, Argument, ProtectedData, DataChannel],
    ),
    rule(Verb::Stou, &[LoggedIn, ProtectedData, DataChannel]),
    rule(Verb::List, &[LoggedIn, ProtectedData, DataChannel]),
    rule(Verb::Nlst, &[LoggedIn, ProtectedData, DataChannel]),
    rule(Verb::Mlsd, &[LoggedIn, ProtectedData, DataChannel]),
];

/// The rule row for a verb.
pub fn rule_for(verb: Verb) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.verb == verb)
}

/// Whether a command is answered at once while a transfer runs on this session; other
/// commands wait until the transfer has ended, so replies stay in order.
pub fn answered_during_transfer(cmd: &Command) -> bool {
    match cmd {
        Command::Known { verb, .. } => rule_for(*verb).is_some_and(|r| r.during_transfer),
        // Unknown verbs and HTTP probes never touch the transfer.
        _ => true,
    }
}

/// Settings that shape every session alike.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// Whether USER while logged in may switch to another user.
    pub allow_user_switch: bool,
    /// Names accepted by HOST; empty means any.
    pub hosts: Vec<String>,
    /// The `220` greeting text.
    pub greeting: String,
    /// Whether TLS (AUTH TLS) is available.
    pub tls_available: bool,
    /// How much TLS the server requires of every user.
    pub tls_required: TlsRequired,
    /// Whether anonymous users may use SITE CHMOD (when they may write at all).
    pub anonymous_chmod: bool,
}

/// How much of a session must run under TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TlsRequired {
    /// TLS is optional.
    #[default]
    None,
    /// The login (USER/PASS) must happen under TLS.
    Login,
    /// The login and every data connection (`PROT P`).
    All,
}

/// Where the login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginState {
    /// Connected; no USER yet.
    Connected,
    /// USER accepted; waiting for PASS.
    UserSent(String),
    /// Logged in as this user.
    LoggedIn(String),
}

/// Whether a data channel has been prepared for the next transfer. The session is the one
/// record of it: the I/O layer keeps only the live listener of a passive channel, and gets
/// the channel a transfer takes from [`Session::take_transfer_channel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataChannel {
    /// None: a transfer now gets `425`.
    None,
    /// A passive listener is waiting (PASV/EPSV).
    Passive,
    /// The server will connect to this address (PORT/EPRT).
    Active(SocketAddr),
}

/// Data-channel protection (RFC 2228 PROT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// PROT C: data in the clear.
    Clear,
    /// PROT P: data under TLS.
    Private,
}

/// How a STOR-like command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// STOR: replace or create (from `offset` when REST preceded it).
    Store {
        /// The REST offset, 0 for a whole file.
        offset: u64,
    },
    /// APPE: append.
    Append,
    /// STOU: a new file under a unique name the server picks in `path`'s directory.
    Unique,
}

/// Which listing format a listing command wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// LIST: `ls -l` lines.
    List,
    /// NLST: names only.
    Nlst,
    /// MLSD: RFC 3659 facts.
    Mlsd,
}

/// Work for the I/O layer. Each action's doc says what to reply and which `on_*` method to
/// call on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Look up the user's own TLS policy and call [`Session::on_user`].
    User(String),
    /// Check the password; call [`Session::on_login`] with the result.
    Authenticate {
        /// The user name from USER.
        user: String,
        /// The password from PASS.
        password: Secret,
    },
    /// Check that `0` is a directory the user may enter; on success call
    /// [`Session::on_cwd`] and reply `250`.
    ChangeDir(VPath),
    /// Create the directory; reply `257 "path" created`.
    MakeDir(VPath),
    /// Remove the empty directory; reply `250`.
    RemoveDir(VPath),
    /// Delete the file; reply `250`.
    Delete(VPath),
    /// Check that `0` exists; on success call [`Session::on_rename_from_entry`] (which
    /// refuses a directory the storage cannot rename) and reply with what it returns.
    RenameFrom(VPath),
    /// Rename; reply `250`.
    Rename {
        /// The RNFR path.
        from: VPath,
        /// The RNTO path.
        to: VPath,
    },
    /// Send the file over the data channel, starting at `offset`.
    Retrieve {
        /// The file.
        path: VPath,
        /// Where to start (REST).
        offset: u64,
        /// TYPE A: convert LF to CRLF.
        ascii: bool,
    },
    /// Receive a file over the data channel.
    Store {
        /// The target (for STOU, a path in the directory to store into).
        path: VPath,
        /// How to write.
        kind: StoreKind,
        /// TYPE A: convert CRLF to LF.
        ascii: bool,
    },
    /// Send a listing of `path` over the data channel.
    List {
        /// Directory (or single file) to list.
        path: VPath,
        /// Which format.
        format: ListFormat,
        /// Only names matching a shell pattern (`NLST *.txt`), if any.
        pattern: Option<NamePattern>,
    },
    /// Reply `250-` with the MLST facts of one entry over the control connection.
    Mlst(VPath),
    /// Reply `213-` (`212-` for a directory) with a LIST-style listing over the control channel.
    StatPath(VPath),
    /// Reply `211` with the server and session status (or the running transfer's).
    ServerStatus,
    /// Reply `213 size`.
    Size(VPath),
    /// Reply `213 YYYYMMDDHHMMSS`.
    Mdtm(VPath),
    /// Set the modification time; reply `213 Modify=...; path`.
    Mfmt {
        /// The file.
        path: VPath,
        /// The new time.
        time: SystemTime,
    },
    /// Change permission bits; reply `200`.
    Chmod {
        /// The file.
        path: VPath,
        /// Mode bits.
        mode: u32,
    },
    /// Open a passive listener; reply `227` (or `229` when `extended`) and call
    /// [`Session::on_data_channel`].
    Passive {
        /// EPSV rather than PASV.
        extended: bool,
        /// The network protocol an EPSV named (1 = IPv4, 2 = IPv6), to check against the
        /// control connection's.
        protocol: Option<u8>,
    },
    /// Check the address (FTP bounce protection); reply `200` and call
    /// [`Session::on_data_channel`], or `501`/`522`.
    Active(SocketAddr),
    /// Abort a running transfer (`426` then `226`) or reply `225` if none runs.
    Abort,
    /// The session was reset (REIN): drop data channels, reply `220`.
    Reinitialize,
    /// Reply `234`, then run the TLS handshake on the control connection and call
    /// [`Session::on_tls_established`].
    StartTls,
}

/// A password on its way from PASS to the authenticator. Its `Debug` prints `****` and it
/// has no `Display`, so it cannot end up in a log line by accident; the text is reached
/// only through [`Secret::expose`], at the one place that checks it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The password itself, for checking it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret::new(text)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret::new(text)
    }
}

/// A shell pattern from `NLST dir/*.txt`: the names that match, written as the client
/// wrote the directory, so that `mget` can retrieve each as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    /// The pattern for the last component (`*.txt`).
    pub glob: String,
    /// What to put before each matching name (`dir/`, or empty).
    pub prefix: String,
}

/// What the session decided for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send nothing (an empty line: NAT devices send them).
    Silent,
    /// Send this reply.
    Reply(Reply),
    /// Send this reply and close the control connection.
    Close(Reply),
    /// Carry out this action.
    Act(Action),
}

impl From<Msg> for Outcome {
    fn from(m: Msg) -> Outcome {
        Outcome::Reply(m.reply())
    }
}

impl From<Computed> for Outcome {
    fn from(c: Computed) -> Outcome {
        Outcome::Reply(c.reply())
    }
}

/// The state of one control connection.
#[derive(Debug, Clone)]
pub struct Session {
    config: Arc<SessionConfig>,
    login: LoginState,
    permissions: Permissions,
    cwd: VPath,
    rename_from: Option<VPath>,
    rest: u64,
    data: DataChannel,
    /// The channel the last transfer action took, until the I/O layer claims it.
    in_use: DataChannel,
    epsv_all: bool,
    transfer_type: TransferType,
    mlst_facts: MlstFacts,
    host: Option<String>,
    tls_policy: TlsRequired,
    secured: bool,
    pbsz: bool,
    protection: Protection,
    capabilities: Capabilities,
    /// Whether the logged-in user is the anonymous account.
    anonymous: bool,
}

impl Session {
    /// A freshly connected session.
    pub fn new(config: Arc<SessionConfig>) -> Session {
        Session {
            tls_policy: config.tls_required,
            config,
            login: LoginState::Connected,
            permissions: Permissions::READ_ONLY,
            cwd: VPath::root(),
            rename_from: None,
            rest: 0,
            data: DataChannel::None,
            in_use: DataChannel::None,
            epsv_all: false,
            transfer_type: TransferType::Ascii,
            mlst_facts: MlstFacts::default(),
            host: None,
            secured: false,
            pbsz: false,
            protection: Protection::Clear,
            capabilities: Capabilities::default(),
            anonymous: false,
        }
    }

    /// Marks the login that just succeeded as anonymous (or not); an anonymous user may
    /// SITE CHMOD only when [`SessionConfig::anonymous_chmod`] allows it. Cleared by REIN
    /// and by a new USER.
    pub fn set_anonymous(&mut self, anonymous: bool) {
        self.anonymous = anonymous;
    }

    /// Tells the session what the storage can do (at login, and on connect with what the
    /// server's backend advertises). They stay until set again: a REIN keeps them, since
    /// the next login reports its own.
    pub fn set_capabilities(&mut self, capabilities: Capabilities) {
        self.capabilities = capabilities;
    }

    /// What the storage can do, as last reported.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The `220` greeting sent on connect.
    pub fn greeting(&self) -> Reply {
        Computed::Greeting(self.config.greeting.clone()).reply()
    }

    /// Where the login stands.
    pub fn login_state(&self) -> &LoginState {
        &self.login
    }

    /// The logged-in user's name, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.login {
            LoginState::LoggedIn(u) => Some(u),
            _ => None,
        }
    }

    /// The current working directory.
    pub fn cwd(&self) -> &VPath {
        &self.cwd
    }

    /// The current permissions (meaningful once logged in).
    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// The MLSx facts the client asked for (OPTS MLST).
    pub fn mlst_facts(&self) -> &MlstFacts {
        &self.mlst_facts
    }

    /// The transfer type (TYPE).
    pub fn transfer_type(&self) -> TransferType {
        self.transfer_type
    }

    /// The data channel prepared for the next transfer.
    pub fn data_channel(&self) -> DataChannel {
        self.data
    }

    /// The pending REST offset.
    pub fn rest_offset(&self) -> u64 {
        self.rest
    }

    /// The virtual host chosen by HOST, if any.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// Whether the control connection is under TLS.
    pub fn is_secured(&self) -> bool {
        self.secured
    }

    /// The data-channel protection level (PROT).
    pub fn protection(&self) -> Protection {
        self.protection
    }

    /// Whether a precondition holds now.
    fn holds(&self, p: Precondition, arg: Option<&str>) -> bool {
        match p {
            LoggedIn => matches!(self.login, LoginState::LoggedIn(_)),
            UserSent => matches!(self.login, LoginState::UserSent(_)),
            BeforeUser => matches!(self.login, LoginState::Connected),
            RenamePending => self.rename_from.is_some(),
            DataChannel => self.data != self::DataChannel::None,
            NotEpsvAll => !self.epsv_all,
            Argument => arg.is_some_and(|a| !a.trim().is_empty()),
            Secured => self.secured,
            PbszSent => self.pbsz,
            NotSecured => !self.secured,
            ProtectedData => {
                self.tls_policy < TlsRequired::All || self.protection == Protection::Private
            }
            UserSwitch => {
                !matches!(self.login, LoginState::LoggedIn(_)) || self.config.allow_user_switch
            }
            RestOffset => {
                self.transfer_type == TransferType::Binary
                    || !args::parse_rest(arg.unwrap_or("")).is_ok_and(|n| n > 0)
            }
            ControlProtected => self.secured,
        }
    }

    /// Decides what to do with one command.
    pub fn handle(&mut self, cmd: &Command) -> Outcome {
        let (verb, arg) = match cmd {
            Command::Known { verb, arg } => (*verb, arg.as_deref()),
            Command::Unknown(_) => {
                // Any other command clears a pending rename and REST.
                self.rename_from = None;
                self.rest = 0;
                return Msg::NotImplemented.into();
            }
            Command::Http(_) => return Outcome::Close(Msg::HttpRefused.reply()),
        };
        let Some(rule) = rule_for(verb) else {
            return Msg::NotImplemented.into();
        };
        // RNFR must be followed immediately by RNTO, and REST by a transfer or a command
        // that only prepares one: take both now, whatever the command's fate.
        let rename_from = self.rename_from.take();
        let rest = self.rest;
        if !rule.keeps_rest {
            self.rest = 0;
        }
        for &need in rule.needs {
            let ok = match need {
                RenamePending => rename_from.is_some(),
                other => self.holds(other, arg),
            };
            if !ok {
                return need.failure().into();
            }
        }
        // A command the storage cannot carry out is refused before anything is touched.
        if let Some(refusal) = self.capabilities.refusal(verb, arg, rest) {
            return refusal.into();
        }
        let arg_text = arg.unwrap_or("");
        match verb {
            Verb::User => self.user_cmd(arg_text),
            Verb::Pass => self.pass_cmd(arg_text),
            Verb::Acct => Msg::AcctNotNeeded.into(),
            Verb::Host => self.host_cmd(arg_text),
            Verb::Rein => {
                self.reset();
                Outcome::Act(Action::Reinitialize)
            }
            Verb::Quit => Outcome::Close(Msg::Goodbye.reply()),
            Verb::Noop => Msg::NoopOk.into(),
            Verb::Feat => Outcome::Reply(self.feat()),
            Verb::Help => Outcome::Reply(help(arg, &self.capabilities)),
            Verb::Syst => Msg::SystemType.into(),
            Verb::Opts => self.opts(arg_text),
            Verb::Abor => Outcome::Act(Action::Abort),
            Verb::Stat => match arg.filter(|a| !a.trim().is_empty()) {
                None => Outcome::Act(Action::ServerStatus),
                Some(a) => self.with_path(strip_ls_flags(a), self.permissions.list, |p| {
                    Action::StatPath(p)
                }),
            },
            Verb::Auth => self.auth(arg_text),
            Verb::Pbsz => {
                // RFC 4217: TLS has no buffer; any size is answered with PBSZ=0.
                if arg_text.trim().parse::<u64>().is_err() {
                    return Msg::BadArgument.into();
                }
                self.pbsz = true;
                Outcome::Reply(Msg::PbszOk.reply())
            }
            Verb::Prot => match arg_text.trim().to_ascii_uppercase().as_str() {
                "C" => {
                    self.protection = Protection::Clear;
                    Outcome::Reply(Msg::ProtClear.reply())
                }
                "P" => {
                    self.protection = Protection::Private;
                    Outcome::Reply(Msg::ProtPrivate.reply())
                }
                "S" | "E" => Msg::ProtUnsupported.into(),
                _ => Msg::BadArgument.into(),
            },
            Verb::Ccc => Msg::CccRefused.into(),
            Verb::Cwd => self.with_path(arg_text, self.permissions.list, Action::ChangeDir),
            Verb::Cdup => Outcome::Act(Action::ChangeDir(self.cwd.parent())),
            Verb::Pwd => Computed::CurrentDir {
                path: self.cwd.clone(),
            }
            .into(),
            Verb::Mkd => self.with_path(arg_text, self.permissions.mkdir, Action::MakeDir),
            Verb::Rmd => self.with_path(arg_text, self.permissions.delete, Action::RemoveDir),
            Verb::Dele => self.with_path(arg_text, self.permissions.delete, Action::Delete),
            Verb::Rnfr => self.with_path(arg_text, self.permissions.rename, Action::RenameFrom),
            Verb::Rnto => match (rename_from, self.resolve(arg_text)) {
                (Some(from), Ok(to)) => Outcome::Act(Action::Rename { from, to }),
                (_, Err(reply)) => Outcome::Reply(reply),
                (None, _) => Msg::RnfrRequired.into(),
            },
            Verb::Size => self.with_path(arg_text, self.permissions.list, Action::Size),
            Verb::Mdtm => self.with_path(arg_text, self.permissions.list, Action::Mdtm),
            Verb::Mfmt => self.mfmt(arg_text),
            Verb::Site => self.site(arg_text),
            Verb::Mlst => {
                let target = arg.filter(|a| !a.is_empty()).unwrap_or(".");
                self.with_path(target, self.permissions.list, Action::Mlst)
            }
            Verb::Type => match args::parse_type(arg_text) {
                Ok(t) => {
                    self.transfer_type = t;
                    Computed::TypeSet(t).into()
                }
                Err(e) => e.msg().into(),
            },
            Verb::Stru => match args::parse_stru(arg_text) {
                Ok(()) => Outcome::Reply(Msg::StruOk.reply()),
                Err(e) => e.msg().into(),
            },
            Verb::Mode => match args::parse_mode(arg_text) {
                Ok(()) => Outcome::Reply(Msg::ModeOk.reply()),
                Err(e) => e.msg().into(),
            },
            Verb::Pasv => Outcome::Act(Action::Passive {
                extended: false,
                protocol: None,
            }),
            Verb::Epsv => match args::parse_epsv(arg) {
                Ok(EpsvArg::All) => {
                    self.epsv_all = true;
                    Outcome::Reply(Msg::EpsvAllOk.reply())
                }
                Ok(EpsvArg::Any) => Outcome::Act(Action::Passive {
                    extended: true,
                    protocol: None,
                }),
                Ok(EpsvArg::Protocol(p)) => Outcome::Act(Action::Passive {
                    extended: true,
                    protocol: Some(p),
                }),
                Err(e) => e.msg().into(),
            },
            Verb::Port => match args::parse_port(arg_text) {
                Ok(addr) => Outcome::Act(Action::Active(SocketAddr::V4(addr))),
                Err(e) => e.msg().into(),
            },
            Verb::Eprt => match args::parse_eprt(arg_text) {
                Ok(addr) => Outcome::Act(Action::Active(addr)),
                Err(e) => e.msg().into(),
            },
            Verb::Rest => match args::parse_rest(arg_text) {
                Ok(n) => {
                    self.rest = n;
                    Computed::Restarting(n).into()
                }
                Err(e) => e.msg().into(),
            },
            Verb::Allo => Msg::AlloNotNeeded.into(),
            Verb::Retr => {
                let ascii = self.ascii();
                self.transfer(arg_text, self.permissions.read, |path| Action::Retrieve {
                    path,
                    offset: rest,
                    ascii,
                })
            }
            Verb::Stor => {
                let ascii = self.ascii();
                self.transfer(arg_text, self.permissions.write, |path| Action::Store {
                    path,
                    kind: StoreKind::Store { offset: rest },
                    ascii,
                })
            }
            Verb::Appe => {
                let ascii = self.ascii();
                self.transfer(arg_text, self.permissions.write, |path| Action::Store {
                    path,
                    kind: StoreKind::Append,
                    ascii,
                })
            }
            Verb::Stou => {
                let ascii = self.ascii();
                // The optional argument is only a hint; the file goes into the directory
                // it names (or the working directory) under a name the server picks.
                let target = arg.filter(|a| !a.is_empty()).unwrap_or("stou");
                self.transfer(target, self.permissions.write, |path| Action::Store {
                    path,
                    kind: StoreKind::Unique,
                    ascii,
                })
            }
            Verb::List | Verb::Nlst | Verb::Mlsd => {
                let format = match verb {
                    Verb::List => ListFormat::List,
                    Verb::Nlst => ListFormat::Nlst,
                    _ => ListFormat::Mlsd,
                };
                let target = arg.map(strip_ls_flags).filter(|a| !a.is_empty());
                let target = target.unwrap_or(".");
                // `mget *.txt` sends `NLST *.txt`: list the directory, keep what matches.
                // MLSD takes a directory only (RFC 3659 7.1).
                let pattern = |glob: &str, prefix: &str| NamePattern {
                    glob: glob.to_owned(),
                    prefix: prefix.to_owned(),
                };
                let (dir, pattern) = match target.rsplit_once('/') {
                    _ if format == ListFormat::Mlsd => (target, None),
                    Some((d, last)) if listing::has_wildcards(last) => (
                        if d.is_empty() { "/" } else { d },
                        Some(pattern(last, &target[..target.len() - last.len()])),
                    ),
                    None if listing::has_wildcards(target) => (".", Some(pattern(target, ""))),
                    _ => (target, None),
                };
                // A client's pattern is matched against every name of the directory: refuse
                // one too long or too complex to match cheaply.
                if let Some(p) = &pattern {
                    if listing::Glob::new(&p.glob).is_err() {
                        return Msg::PatternTooComplex.into();
                    }
                }
                self.transfer(dir, self.permissions.list, |path| Action::List {
                    path,
                    format,
                    pattern,
                })
            }
        }
    }

    fn ascii(&self) -> bool {
        self.transfer_type == TransferType::Ascii
    }

    fn resolve(&self, arg: &str) -> Result<VPath, Reply> {
        self.cwd.resolve(arg).map_err(|e| match e {
            PathError::ContainsNul | PathError::Empty => Msg::BadFileName.reply(),
        })
    }

    /// Resolves a path argument and checks a permission, then builds the action.
    fn with_path(&self, arg: &str, allowed: bool, act: impl FnOnce(VPath) -> Action) -> Outcome {
        if !allowed {
            return Msg::PermissionDenied.into();
        }
        match self.resolve(arg) {
            Ok(p) => Outcome::Act(act(p)),
            Err(reply) => Outcome::Reply(reply),
        }
    }

    /// Like [`Session::with_path`], and the transfer uses up the prepared data channel.
    fn transfer(&mut self, arg: &str, allowed: bool, act: impl FnOnce(VPath) -> Action) -> Outcome {
        let outcome = self.with_path(arg, allowed, act);
        if matches!(outcome, Outcome::Act(_)) {
            self.in_use = std::mem::replace(&mut self.data, DataChannel::None);
        }
        outcome
    }

    fn user_cmd(&mut self, name: &str) -> Outcome {
        // The table let USER through while logged in only if switching is allowed.
        if matches!(self.login, LoginState::LoggedIn(_)) {
            self.reset_login();
        }
        // A user who sends USER again starts over.
        self.login = LoginState::Connected;
        Outcome::Act(Action::User(name.to_owned()))
    }

    /// Reports the TLS policy of the user named by [`Action::User`] (`None` when the user
    /// has none of their own or does not exist): `331`, or `534` when the server's or the
    /// user's policy requires TLS for login and the connection is plain.
    pub fn on_user(&mut self, name: &str, user_policy: Option<TlsRequired>) -> Reply {
        let policy = self
            .config
            .tls_required
            .max(user_policy.unwrap_or_default());
        if policy >= TlsRequired::Login && !self.secured {
            return Msg::TlsRequiredForLogin.reply();
        }
        self.tls_policy = policy;
        self.login = LoginState::UserSent(name.to_owned());
        Computed::PasswordRequired {
            user: name.to_owned(),
        }
        .reply()
    }

    /// Applies the logging-in user's own TLS policy, known once their password was checked
    /// (asking at USER would tell which names exist): `Err` with the `534` to send when it
    /// requires TLS for login and the connection is plain; the login then fails.
    pub fn apply_user_tls_policy(&mut self, user_policy: Option<TlsRequired>) -> Result<(), Reply> {
        let policy = self.tls_policy.max(user_policy.unwrap_or_default());
        if policy >= TlsRequired::Login && !self.secured {
            return Err(Msg::TlsRequiredForLogin.reply());
        }
        self.tls_policy = policy;
        Ok(())
    }

    fn pass_cmd(&mut self, password: &str) -> Outcome {
        match &self.login {
            LoginState::UserSent(user) => Outcome::Act(Action::Authenticate {
                user: user.clone(),
                password: Secret::from(password),
            }),
            LoginState::LoggedIn(_) => Msg::AlreadyLoggedIn.into(),
            LoginState::Connected => Msg::LoginWithUserFirst.into(),
        }
    }

    fn host_cmd(&mut self, name: &str) -> Outcome {
        let name = name.trim();
        let known = self.config.hosts.is_empty()
            || self
                .config
                .hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name));
        if !known {
            return Msg::UnknownHost.into();
        }
        self.host = Some(name.to_owned());
        Msg::HostAccepted.into()
    }

    fn opts(&mut self, arg: &str) -> Outcome {
        let (option, value) = match arg.trim().split_once(' ') {
            Some((o, v)) => (o, v.trim()),
            None => (arg.trim(), ""),
        };
        match option.to_ascii_uppercase().as_str() {
            // RFC 2640: paths are UTF-8 always; OFF is accepted and changes nothing.
            "UTF8" | "UTF-8" => match value.to_ascii_uppercase().as_str() {
                "ON" | "" => Outcome::Reply(Msg::Utf8On.reply()),
                "OFF" => Outcome::Reply(Msg::Utf8AlwaysOn.reply()),
                _ => Msg::BadArgument.into(),
            },
            "MLST" => {
                self.mlst_facts = listing::parse_opts_mlst(value);
                Computed::MlstFactsSet(self.mlst_facts.clone()).into()
            }
            _ => Computed::OptionNotUnderstood(option.to_owned()).into(),
        }
    }

    fn auth(&mut self, mechanism: &str) -> Outcome {
        match mechanism.trim().to_ascii_uppercase().as_str() {
            "TLS" | "SSL" | "TLS-C" | "TLS-P" if self.config.tls_available => {
                Outcome::Act(Action::StartTls)
            }
            "TLS" | "SSL" | "TLS-C" | "TLS-P" => Msg::TlsNotConfigured.into(),
            _ => Msg::AuthMechanismUnsupported.into(),
        }
    }

    fn mfmt(&self, arg: &str) -> Outcome {
        let Some((time, path)) = arg.split_once(' ') else {
            return Msg::BadArgument.into();
        };
        let Some(time) = listing::parse_mfmt_time(time) else {
            return Msg::BadArgument.into();
        };
        self.with_path(path, self.permissions.write, |path| Action::Mfmt {
            path,
            time,
        })
    }

    fn site(&self, arg: &str) -> Outcome {
        let (sub, rest) = match arg.trim_start().split_once(' ') {
            Some((s, r)) => (s, r),
            None => (arg.trim(), ""),
        };
        match sub.to_ascii_uppercase().as_str() {
            "HELP" => Computed::SiteHelp {
                chmod: self.capabilities.chmod,
            }
            .into(),
            // Anonymous users share one tree: one of them must not lock the others out.
            "CHMOD" if self.anonymous && !self.config.anonymous_chmod => {
                Msg::PermissionDenied.into()
            }
            "CHMOD" => match args::parse_chmod(rest) {
                Ok((mode, path)) => {
                    match self.with_path(path, self.permissions.write, |path| Action::Chmod {
                        path,
                        mode,
                    }) {
                        // `SITE CHMOD 000 /` would lock the account out for good.
                        Outcome::Act(Action::Chmod { path, .. }) if path.is_root() => {
                            Msg::ChmodRootRefused.into()
                        }
                        other => other,
                    }
                }
                Err(e) => e.msg().into(),
            },
            _ => Computed::UnknownSiteCommand(sub.to_owned()).into(),
        }
    }

    fn feat(&self) -> Reply {
        Computed::Features {
            tls: self.config.tls_available,
            capabilities: self.capabilities,
            mlst_facts: self.mlst_facts.clone(),
        }
        .reply()
    }

    /// Reports the result of [`Action::Authenticate`]: on success the user is logged in
    /// with these permissions and the working directory is `/`.
    pub fn on_login(&mut self, result: Option<Permissions>) -> Reply {
        let user = match std::mem::replace(&mut self.login, LoginState::Connected) {
            LoginState::UserSent(u) => u,
            // A login result without a pending USER: stay logged out.
            _ => return Msg::LoginWithUserFirst.reply(),
        };
        match result {
            Some(perms) => {
                self.login = LoginState::LoggedIn(user);
                self.permissions = perms;
                self.cwd = VPath::root();
                Msg::LoggedIn.reply()
            }
            None => Msg::LoginIncorrect.reply(),
        }
    }

    /// Reports a successful [`Action::ChangeDir`].
    pub fn on_cwd(&mut self, path: VPath) -> Reply {
        let reply = Computed::DirChanged { path: path.clone() }.reply();
        self.cwd = path;
        reply
    }

    /// Reports a successful [`Action::RenameFrom`].
    pub fn on_rename_from(&mut self, path: VPath) -> Reply {
        self.rename_from = Some(path);
        Msg::RnfrOk.reply()
    }

    /// Hands over the data channel the last transfer action ([`Action::Retrieve`],
    /// [`Action::Store`], [`Action::List`]) took, once: the session is the one record of
    /// which channel was prepared, so the I/O layer asks it rather than keeping its own.
    pub fn take_transfer_channel(&mut self) -> DataChannel {
        std::mem::replace(&mut self.in_use, DataChannel::None)
    }

    /// Reports a successful [`Action::RenameFrom`] with the kind of entry found: a
    /// directory is refused (`504`) when the storage cannot rename directories.
    pub fn on_rename_from_entry(&mut self, path: VPath, kind: EntryKind) -> Reply {
        if kind == EntryKind::Dir && !self.capabilities.rename_dirs {
            return Msg::RenameDirUnsupported.reply();
        }
        self.on_rename_from(path)
    }

    /// Reports a data channel set up by [`Action::Passive`] or [`Action::Active`].
    pub fn on_data_channel(&mut self, channel: DataChannel) {
        self.data = channel;
    }

    /// Reports that the TLS handshake of [`Action::StartTls`] succeeded.
    pub fn on_tls_established(&mut self) {
        self.secured = true;
    }

    /// Logs out and clears everything tied to the login (REIN, user switch).
    fn reset_login(&mut self) {
        self.login = LoginState::Connected;
        self.anonymous = false;
        self.permissions = Permissions::READ_ONLY;
        self.cwd = VPath::root();
        self.rename_from = None;
        self.rest = 0;
        self.data = DataChannel::None;
        self.tls_policy = self.config.tls_required;
    }

    /// Back to the freshly connected state (REIN). The TLS layer stays, as RFC 4217
    /// section 11 allows.
    fn reset(&mut self) {
        self.reset_login();
        self.epsv_all = false;
        self.transfer_type = TransferType::Ascii;
        self.mlst_facts = MlstFacts::default();
        self.host = None;
    }
}

/// A path in double quotes with embedded quotes doubled (RFC 959 appendix II).
pub fn quote_path(path: &VPath) -> String {
    format!("\"{}\"", path.as_str().replace('"', "\"\""))
}

/// Drops `ls`-style options (`-la`, `-a`) that clients put before the path of LIST/NLST/STAT.
fn strip_ls_flags(arg: &str) -> &str {
    let mut rest = arg;
    while rest.starts_with('-') {
        match rest.split_once(' ') {
            Some((_, tail)) => rest = tail.trim_start(),
            None => return "",
        }
    }
    rest
}

/// HELP and HELP CMD (`214`). Verbs the storage cannot carry out are left out of the list,
/// and `HELP verb` for one of them gives the reply the verb itself would get.
fn help(arg: Option<&str>, capabilities: &Capabilities) -> Reply {
    match arg.map(str::trim).filter(|a| !a.is_empty()) {
        Some(word) => match Verb::from_wire(word) {
            Some(v) => match capabilities.verb_refusal(v) {
                Some(refusal) => refusal.reply(),
                None => Computed::VerbSupported(v).reply(),
            },
            None => Computed::UnknownHelpTopic(word.to_owned()).reply(),
        },
        None => Computed::CommandList(*capabilities).reply(),
    }
}
