//! Parsed FTP commands: a verb and an optional argument.
//!
//! Arguments stay text here; each command's handler in [`crate::session`] parses its own
//! argument, because the right error code (`501` for bad syntax, `504` for an unsupported
//! parameter) depends on the command.

use std::fmt;

/// Every verb ferroftp knows. Aliases from RFC 775 (`XCWD`, `XPWD`, ...) map onto the same verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `USER name`
    User,
    /// `PASS password`
    Pass,
    /// `ACCT account`
    Acct,
    /// `CWD path` (also `XCWD`)
    Cwd,
    /// `CDUP` (also `XCUP`)
    Cdup,
    /// `PWD` (also `XPWD`)
    Pwd,
    /// `MKD path` (also `XMKD`)
    Mkd,
    /// `RMD path` (also `XRMD`)
    Rmd,
    /// `DELE path`
    Dele,
    /// `RNFR path`
    Rnfr,
    /// `RNTO path`
    Rnto,
    /// `RETR path`
    Retr,
    /// `STOR path`
    Stor,
    /// `STOU [name]`
    Stou,
    /// `APPE path`
    Appe,
    /// `ALLO size`
    Allo,
    /// `REST offset`
    Rest,
    /// `ABOR`
    Abor,
    /// `LIST [path]`
    List,
    /// `NLST [path]`
    Nlst,
    /// `MLSD [path]` (RFC 3659)
    Mlsd,
    /// `MLST [path]` (RFC 3659)
    Mlst,
    /// `TYPE A|I|L 8`
    Type,
    /// `STRU F`
    Stru,
    /// `MODE S`
    Mode,
    /// `PORT h1,h2,h3,h4,p1,p2`
    Port,
    /// `PASV`
    Pasv,
    /// `EPRT |proto|addr|port|` (RFC 2428)
    Eprt,
    /// `EPSV [proto|ALL]` (RFC 2428)
    Epsv,
    /// `SITE subcommand`
    Site,
    /// `SYST`
    Syst,
    /// `STAT [path]`
    Stat,
    /// `HELP [command]`
    Help,
    /// `NOOP`
    Noop,
    /// `QUIT`
    Quit,
    /// `REIN`
    Rein,
    /// `FEAT` (RFC 2389)
    Feat,
    /// `OPTS option` (RFC 2389)
    Opts,
    /// `SIZE path` (RFC 3659)
    Size,
    /// `MDTM path` (RFC 3659)
    Mdtm,
    /// `MFMT time path` (draft-somers-ftp-mfxx)
    Mfmt,
    /// `HOST name` (RFC 7151)
    Host,
    /// `AUTH TLS` (RFC 2228 / 4217)
    Auth,
    /// `PBSZ 0` (RFC 2228 / 4217)
    Pbsz,
    /// `PROT C|P` (RFC 2228 / 4217)
    Prot,
    /// `CCC` (RFC 2228)
    Ccc,
}

/// Verbs with their wire spellings, aliases included. The first spelling of a verb is canonical.
pub const VERB_SPELLINGS: &[(&str, Verb)] = &[
    ("USER", Verb::User),
    ("PASS", Verb::Pass),
    ("ACCT", Verb::Acct),
    ("CWD", Verb::Cwd),
    ("XCWD", Verb::Cwd),
    ("CDUP", Verb::Cdup),
    ("XCUP", Verb::Cdup),
    ("PWD", Verb::Pwd),
    ("XPWD", Verb::Pwd),
    ("MKD", Verb::Mkd),
    ("XMKD", Verb::Mkd),
    ("RMD", Verb::Rmd),
    ("XRMD", Verb::Rmd),
    ("DELE", Verb::Dele),
    ("RNFR", Verb::Rnfr),
    ("RNTO", Verb::Rnto),
    ("RETR", Verb::Retr),
    ("STOR", Verb::Stor),
    ("STOU", Verb::Stou),
    ("APPE", Verb::Appe),
    ("ALLO", Verb::Allo),
    ("REST", Verb::Rest),
    ("ABOR", Verb::Abor),
    ("LIST", Verb::List),
    ("NLST", Verb::Nlst),
    ("MLSD", Verb::Mlsd),
    ("MLST", Verb::Mlst),
    ("TYPE", Verb::Type),
    ("STRU", Verb::Stru),
    ("MODE", Verb::Mode),
    ("PORT", Verb::Port),
    ("PASV", Verb::Pasv),
    ("EPRT", Verb::Eprt),
    ("EPSV", Verb::Epsv),
    ("SITE", Verb::Site),
    ("SYST", Verb::Syst),
    ("STAT", Verb::Stat),
    ("HELP", Verb::Help),
    ("NOOP", Verb::Noop),
    ("QUIT", Verb::Quit),
    ("REIN", Verb::Rein),
    ("FEAT", Verb::Feat),
    ("OPTS", Verb::Opts),
    ("SIZE", Verb::Size),
    ("MDTM", Verb::Mdtm),
    ("MFMT", Verb::Mfmt),
    ("HOST", Verb::Host),
    ("AUTH", Verb::Auth),
    ("PBSZ", Verb::Pbsz),
    ("PROT", Verb::Prot),
    ("CCC", Verb::Ccc),
];

/// Verbs that open an HTTP request. Seen on an FTP control port they mean a browser or an
/// attacker is talking to us (cross-protocol attacks), so the session is closed.
pub const HTTP_VERBS: &[&str] = &[
    "GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE", "PATCH", "TRACE",
];

impl Verb {
    /// Looks a verb up by its wire spelling, case-insensitively.
    pub fn from_wire(word: &str) -> Option<Verb> {
        VERB_SPELLINGS
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(word))
            .map(|(_, v)| *v)
    }

    /// The canonical wire spelling of this verb.
    pub fn as_str(self) -> &'static str {
        VERB_SPELLINGS
            .iter()
            .find(|(_, v)| *v == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A known verb with its argument, if any (the text after the first space, untrimmed
    /// except for the line ending, because file names may begin or end with spaces).
    Known {
        /// The verb.
        verb: Verb,
        /// The argument, `None` when the line held only the verb.
        arg: Option<String>,
    },
    /// A verb-shaped word ferroftp does not implement (`502`).
    Unknown(String),
    /// An HTTP request line (`GET / HTTP/1.1`): answered with `500` and the session closed.
    Http(String),
}

impl Command {
    /// Builds a known command; handy in tests.
    pub fn new(verb: Verb, arg: Option<&str>) -> Command {
        Command::Known {
            verb,
            arg: arg.map(str::to_owned),
        }
    }
}
