//! Directory listing formats: `LIST` (the `ls -l` lines clients parse), `NLST` names, and
//! the `MLSD`/`MLST` facts of RFC 3659, plus the `YYYYMMDDHHMMSS` time format of MDTM/MFMT.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::perms::Permissions;

/// What kind of thing a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (shown as such only where the backend reports it unresolved).
    Symlink,
}

/// Facts about one file or directory, as a storage backend reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// The entry's name: its last path component (empty for the root).
    pub name: String,
    /// File, directory or link.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories where the backend has none).
    pub size: u64,
    /// Last modification time, if known.
    pub modified: Option<SystemTime>,
    /// Unix permission bits (`0o644`), if the backend has them.
    pub mode: Option<u32>,
    /// A value that names this object uniquely on the server (MLSx `unique` fact), if any.
    pub unique: Option<String>,
}

/// English month abbreviations for `LIST`; clients parse these, so they never follow a locale.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds of `0000-01-01T00:00:00Z`: the earliest instant a four-digit year can show.
const MIN_SECS: i64 = -62_167_219_200;
/// Seconds of `9999-12-31T23:59:59Z`: the latest instant a four-digit year can show.
const MAX_SECS: i64 = 253_402_300_799;

/// How far back a time still counts as "recent" in `LIST` (shown with the time of day).
const RECENT_PAST: Duration = Duration::from_secs(180 * 24 * 3600);
/// How far ahead a time may be (clock skew) and still count as "recent".
const RECENT_FUTURE: Duration = Duration::from_secs(3600);

/// Seconds since the Unix epoch of `t`, negative before it, clamped to four-digit years.
/// Done by hand because chrono's `From<SystemTime>` panics on times outside its range, and a
/// file's mtime is whatever the file system holds.
fn unix_secs(t: SystemTime) -> i64 {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            // Round towards the past so that -0.5 s is 23:59:59 of the day before.
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            let extra = i64::from(d.subsec_nanos() > 0);
            whole.saturating_add(extra).saturating_neg()
        }
    };
    secs.clamp(MIN_SECS, MAX_SECS)
}

/// `t` as a UTC calendar time, clamped to years 0000..=9999.
fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::from_timestamp(unix_secs(t), 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The name as it may appear on a listing line (LIST, NLST, MLSD, MLST, STAT): CR and LF
/// would end the line early and let a crafted file name forge extra entries, and other
/// control characters (escape sequences, NUL, C1 codes) would play tricks on the client's
/// terminal, so every control character is shown as `?`, as `ls -q` does.
pub fn display_name(name: &str) -> Cow<'_, str> {
    if name.contains(char::is_control) {
        Cow::Owned(
            name.chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(name)
    }
}

/// One line of `NLST` output: the name with control characters shown as `?` (see
/// [`display_name`]). The line carries no CRLF; the caller adds it.
pub fn nlst_line(name: &str) -> Cow<'_, str> {
    display_name(name)
}

/// The ten `ls -l` mode characters: type, then `rwx` for user, group and other, with the
/// setuid, setgid and sticky bits shown the way `ls` shows them.
fn mode_string(kind: EntryKind, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(match kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
    });
    // (read bit, write bit, exec bit, special bit, special char when exec set / unset)
    let triads = [
        (0o400, 0o200, 0o100, 0o4000, 's', 'S'),
        (0o040, 0o020, 0o010, 0o2000, 's', 'S'),
        (0o004, 0o002, 0o001, 0o1000, 't', 'T'),
    ];
    for (r, w, x, special, on, off) in triads {
        s.push(if mode & r != 0 { 'r' } else { '-' });
        s.push(if mode & w != 0 { 'w' } else { '-' });
        let exec = mode & x != 0;
        s.push(match (mode & special != 0, exec) {
            (true, true) => on,
            (true, false) => off,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// One line of `LIST` output, in the `ls -l` layout that FileZilla, lftp, curl, ftplib and
/// WinSCP parse:
///
/// ```text
/// -rw-r--r--   1 ftp      ftp          1234 Nov 25 14:03 name
/// ```
///
/// The mode defaults to `0o644` for files, `0o755` for directories and `0o777` for links
/// when the backend has none. Owner and group are always `ftp` (real account names would
/// leak server details). The date shows `Mon dd HH:MM` when the time lies within the 180
/// days before `now` and at most one hour after it (clock skew), else `Mon dd  yyyy`, in
/// UTC. A missing modification time shows as the Unix epoch. Control characters in the
/// name (CR and LF among them) show as `?`. The line carries no CRLF; the caller adds it.
pub fn list_line(entry: &EntryInfo, now: SystemTime) -> String {
    let default_mode = match entry.kind {
        EntryKind::File => 0o644,
        EntryKind::Dir => 0o755,
        EntryKind::Symlink => 0o777,
    };
    let mode = entry.mode.unwrap_or(default_mode);
    let mtime = entry.modified.unwrap_or(UNIX_EPOCH);
    let t = utc(mtime);
    let (mtime_s, now_s) = (unix_secs(mtime), unix_secs(now));
    let oldest = now_s.saturating_sub(RECENT_PAST.as_secs() as i64);
    let newest = now_s.saturating_add(RECENT_FUTURE.as_secs() as i64);
    let recent = (oldest..=newest).contains(&mtime_s);
    let month = MONTHS[t.month0() as usize % 12];
    let when = if recent {
        format!("{month} {:>2} {:02}:{:02}", t.day(), t.hour(), t.minute())
    } else {
        format!("{month} {:>2}  {:04}", t.day(), t.year())
    };
    format!(
        "{} {:>3} {:<8} {:<8} {:>8} {} {}",
        mode_string(entry.kind, mode),
        1,
        "ftp",
        "ftp",
        entry.size,
        when,
        display_name(&entry.name)
    )
}

/// Which RFC 3659 facts `MLSD`/`MLST` report; chosen by the client with `OPTS MLST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlstFacts {
    /// `type`: file, dir, cdir.
    pub kind: bool,
    /// `size`: bytes of a file.
    pub size: bool,
    /// `modify`: last modification time, UTC `YYYYMMDDHHMMSS`.
    pub modify: bool,
    /// `perm`: what the user may do with the entry (RFC 3659 7.5.5).
    pub perm: bool,
    /// `unique`: an identifier of the object on the server.
    pub unique: bool,
}

impl Default for MlstFacts {
    /// All facts on, as the server starts each session.
    fn default() -> Self {
        MlstFacts {
            kind: true,
            size: true,
            modify: true,
            perm: true,
            unique: true,
        }
    }
}

impl MlstFacts {
    /// No fact at all: what an empty `OPTS MLST` selects.
    const NONE: MlstFacts = MlstFacts {
        kind: false,
        size: false,
        modify: false,
        perm: false,
        unique: false,
    };

    /// The facts in their fixed output order, with their names and whether each is on.
    fn entries(&self) -> [(&'static str, bool); 5] {
        [
            ("type", self.kind),
            ("size", self.size),
            ("modify", self.modify),
            ("perm", self.perm),
            ("unique", self.unique),
        ]
    }
}

/// Parses the argument of `OPTS MLST` (`type;size;`): a `;`-separated list of fact names,
/// case-insensitive. Unknown names are ignored, as RFC 3659 7.9 requires; an empty argument
/// turns every fact off.
pub fn parse_opts_mlst(arg: &str) -> MlstFacts {
    let mut facts = MlstFacts::NONE;
    for name in arg.split(';').map(str::trim) {
        if name.eq_ignore_ascii_case("type") {
            facts.kind = true;
        } else if name.eq_ignore_ascii_case("size") {
            facts.size = true;
        } else if name.eq_ignore_ascii_case("modify") {
            facts.modify = true;
        } else if name.eq_ignore_ascii_case("perm") {
            facts.perm = true;
        } else if name.eq_ignore_ascii_case("unique") {
            facts.unique = true;
        }
    }
    facts
}

/// The `FEAT` line announcing MLST: every supported fact, `*` marking the enabled ones, as
/// in `MLST type*;size*;modify*;perm*;unique*;`.
pub fn mlst_feat_line(facts: &MlstFacts) -> String {
    let mut s = String::from("MLST ");
    for (name, on) in facts.entries() {
        s.push_str(name);
        if on {
            s.push('*');
        }
        s.push(';');
    }
    s
}

/// The text of the `200` reply to `OPTS MLST`: `MLST OPTS` followed by the enabled facts
/// (`MLST OPTS type;size;`), or just `MLST OPTS` when none is enabled (RFC 3659 7.9).
pub fn mlst_opts_reply(facts: &MlstFacts) -> String {
    let mut s = String::from("MLST OPTS");
    let mut first = true;
    for (name, on) in facts.entries() {
        if on {
            if first {
                s.push(' ');
                first = false;
            }
            s.push_str(name);
            s.push(';');
        }
    }
    s
}

/// The `perm` fact value for an entry (RFC 3659 7.5.5), from what the user may do.
///
/// Files: `r` (RETR) needs read; `a` (APPE) and `w` (STOR) need write; `d` (DELE) needs
/// delete; `f` (RNFR) needs rename. Directories: `e` (CWD) and `l` (LIST) need list; `c`
/// (create files in it) needs write; `m` (MKD) needs mkdir; `d` (RMD of the directory
/// itself) and `p` (delete entries in it) need delete; `f` needs rename. An unresolved
/// symlink only offers `d` and `f`, which act on the link itself.
fn perm_fact(kind: EntryKind, perms: &Permissions) -> String {
    let mut s = String::new();
    for_each_perm(kind, perms, |c| s.push(char::from(c)));
    s
}

/// Calls `f` with each letter of the `perm` fact of [`perm_fact`], in order.
fn for_each_perm(kind: EntryKind, perms: &Permissions, mut f: impl FnMut(u8)) {
    let flags: &[(u8, bool)] = match kind {
        EntryKind::File => &[
            (b'r', perms.read),
            (b'a', perms.write),
            (b'd', perms.delete),
            (b'f', perms.rename),
            (b'w', perms.write),
        ],
        EntryKind::Dir => &[
            (b'e', perms.list),
            (b'l', perms.list),
            (b'c', perms.write),
            (b'm', perms.mkdir),
            (b'd', perms.delete),
            (b'p', perms.delete),
            (b'f', perms.rename),
        ],
        EntryKind::Symlink => &[(b'd', perms.delete), (b'f', perms.rename)],
    };
    for &(c, on) in flags {
        if on {
            f(c);
        }
    }
}

/// Shared body of [`mlsx_line`] and [`mlsx_line_cdir`]; `type_name` is the `type` value.
fn mlsx_line_typed(
    entry: &EntryInfo,
    type_name: &str,
    facts: &MlstFacts,
    perms: &Permissions,
) -> String {
    let mut s = String::new();
    if facts.kind {
        s.push_str("type=");
        s.push_str(type_name);
        s.push(';');
    }
    if facts.size && entry.kind == EntryKind::File {
        s.push_str(&format!("size={};", entry.size));
    }
    // An unknown time is left out rather than invented: RFC 3659 lets a server omit facts.
    if let (true, Some(t)) = (facts.modify, entry.modified) {
        s.push_str("modify=");
        s.push_str(&format_mdtm(t));
        s.push(';');
    }
    if facts.perm {
        s.push_str("perm=");
        s.push_str(&perm_fact(entry.kind, perms));
        s.push(';');
    }
    if let (true, Some(u)) = (facts.unique, entry.unique.as_deref()) {
        // A value with `;`, `=`, space or line breaks would corrupt the fact list; omit it.
        let clean = !u.is_empty() && !u.contains([';', '=', ' ', '\r', '\n']);
        if clean {
            s.push_str("unique=");
            s.push_str(u);
            s.push(';');
        }
    }
    s.push(' ');
    s.push_str(&display_name(&entry.name));
    s
}

/// One `MLSD` line (or the fact line of an `MLST` reply) per RFC 3659:
///
/// ```text
/// type=file;size=12;modify=20261125140301;perm=radfw;unique=abc; name
/// ```
///
/// Facts come in the order type, size, modify, perm, unique, each ending with `;`, followed
/// by one space and `entry.name` exactly as given (the caller passes the bare name for MLSD,
/// the path for MLST, and prepends the leading space MLST replies need). `type` is `file`,
/// `dir`, or `OS.unix=symlink` for an unresolved link; `size` is given for files only;
/// `modify` only when the time is known; `unique` only when the backend has one. See
/// [`mlsx_line_cdir`] for the `type=cdir` form. The line carries no CRLF.
pub fn mlsx_line(entry: &EntryInfo, facts: &MlstFacts, perms: &Permissions) -> String {
    let type_name = match entry.kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "OS.unix=symlink",
    };
    mlsx_line_typed(entry, type_name, facts, perms)
}

/// Like [`mlsx_line`], but a directory is reported as `type=cdir`: the form for the
/// directory being listed itself (the optional first line of `MLSD`, or `MLST` without an
/// argument). A non-directory entry is formatted exactly as by [`mlsx_line`]. Kept as a
/// separate function so that the common call stays free of a flag most callers never need.
pub fn mlsx_line_cdir(entry: &EntryInfo, facts: &MlstFacts, perms: &Permissions) -> String {
    if entry.kind == EntryKind::Dir {
        mlsx_line_typed(entry, "cdir", facts, perms)
    } else {
        mlsx_line(entry, facts, perms)
    }
}

/// A time as `YYYYMMDDHHMMSS` in UTC: the MDTM reply and the MLSx `modify` fact. Times
/// outside years 0000..=9999 are clamped so that the result always has 14 digits.
pub fn format_mdtm(t: SystemTime) -> String {
    let t = utc(t);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses an MFMT/MDTM time value: `YYYYMMDDHHMMSS` in UTC, optionally followed by `.` and
/// one to three fraction digits. Anything else, including an impossible date, gives `None`.
/// A seconds value of 60 (RFC 3659 allows it for leap seconds) is read as 59.
pub fn parse_mfmt_time(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 14 || !b[..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let millis = match &b[14..] {
        [] => 0,
        [b'.', frac @ ..]
            if (1..=3).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit) =>
        {
            // "5" is 500 ms, "05" is 50 ms, "005" is 5 ms.
            let mut ms = 0u32;
            for i in 0..3 {
                ms = ms * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
            ms
        }
        _ => return None,
    };
    // Every byte of the first 14 is an ASCII digit, checked above.
    let num = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0, 4), num(4, 6), num(6, 8));
    let (hour, minute, second) = (num(8, 10), num(10, 12), num(12, 14));
    let second = if second == 60 { 59 } else { second };
    let dt = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_milli_opt(hour, minute, second, millis)?
        .and_utc();
    let secs = dt.timestamp();
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_millis(u64::from(millis)))
}

/// Whether a name is a shell-style pattern (`*`, `?` or `[...]`), as clients send to NLST
/// and LIST for `mget *.txt`.
pub fn has_wildcards(name: &str) -> bool {
    name.contains(['*', '?', '['])
}

/// Longest shell pattern accepted, in bytes: long enough for any real `mget` pattern, short
/// enough that matching it against every name of a large directory stays cheap.
pub const MAX_PATTERN_LEN: usize = 256;

/// Most wildcards (`*` and `[...]` classes together) a shell pattern may hold.
pub const MAX_PATTERN_WILDCARDS: usize = 32;

/// Why a shell pattern was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobError {
    /// Longer than [`MAX_PATTERN_LEN`] bytes.
    TooLong,
    /// More than [`MAX_PATTERN_WILDCARDS`] `*` and classes.
    TooManyWildcards,
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character.
    Any,
    /// A character that must appear as it is.
    Literal(char),
    /// `[...]`: one character of (or, negated, not of) a set of characters and ranges.
    Class {
        negate: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A shell-style pattern (`*`, `?`, `[abc]`, `[a-z]`, `[!abc]`), parsed once so that each
/// name is matched without re-reading the pattern text.
///
/// Matching is the two-pointer algorithm with one backtrack point (the last `*`): every
/// step either moves forward in the name or moves the backtrack point forward, so a match
/// costs at most (pattern tokens + class ranges) x (name length) steps, never the
/// exponential or cubic blow-up of naive backtracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Parses a pattern a client sent, refusing one longer than [`MAX_PATTERN_LEN`] bytes
    /// or with more than [`MAX_PATTERN_WILDCARDS`] wildcards.
    pub fn new(pattern: &str) -> Result<Glob, GlobError> {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(GlobError::TooLong);
        }
        let glob = Glob::parse(pattern);
        let wildcards = glob
            .tokens
            .iter()
            .filter(|t| matches!(t, Token::Star | Token::Class { .. }))
            .count();
        if wildcards > MAX_PATTERN_WILDCARDS {
            return Err(GlobError::TooManyWildcards);
        }
        Ok(glob)
    }

    /// Parses a pattern without the limits (for patterns the server itself chose).
    fn parse(pattern: &str) -> Glob {
        let p: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::with_capacity(p.len());
        let mut i = 0;
        // Once one `[` finds no closing `]`, no later one can: they are all literals, and
        // not scanning for them again keeps parsing linear.
        let mut unclosed = false;
        while let Some(&c) = p.get(i) {
            match c {
                // Runs of `*` match the same as one, and one keeps the backtracking simple.
                '*' if tokens.last() == Some(&Token::Star) => i += 1,
                '*' => {
                    tokens.push(Token::Star);
                    i += 1;
                }
                '?' => {
                    tokens.push(Token::Any);
                    i += 1;
                }
                '[' => match (!unclosed).then(|| parse_class(&p, i)).flatten() {
                    Some((token, next)) => {
                        tokens.push(token);
                        i = next;
                    }
                    // An unclosed `[` is a literal.
                    None => {
                        unclosed = true;
                        tokens.push(Token::Literal('['));
                        i += 1;
                    }
                },
                _ => {
                    tokens.push(Token::Literal(c));
                    i += 1;
                }
            }
        }
        Glob { tokens }
    }

    /// Whether `name` matches the pattern.
    pub fn matches(&self, name: &str) -> bool {
        let mut steps = 0;
        self.matches_counting(name, &mut steps)
    }

    /// Like [`Glob::matches`], adding the work done to `steps` (one per token or class
    /// range examined), so that a caller can bound or yield on the work rather than time it.
    pub fn matches_counting(&self, name: &str, steps: &mut u64) -> bool {
        let n: Vec<char> = name.chars().collect();
        let t = &self.tokens;
        let (mut ti, mut ni) = (0, 0);
        // The last `*`: the token index after it, and how far into the name it reaches.
        let mut star: Option<(usize, usize)> = None;
        while ni < n.len() {
            *steps += 1;
            let c = n[ni];
            let advance = match t.get(ti) {
                Some(Token::Star) => {
                    star = Some((ti + 1, ni));
                    ti += 1;
                    continue;
                }
                Some(Token::Any) => true,
                Some(Token::Literal(l)) => *l == c,
                Some(Token::Class { negate, ranges }) => {
                    *steps += ranges.len() as u64;
                    ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negate
                }
                None => false,
            };
            if advance {
                ti += 1;
                ni += 1;
            } else if let Some((after, reach)) = star {
                // Let the `*` swallow one more character and retry what follows it.
                ti = after;
                ni = reach + 1;
                star = Some((after, reach + 1));
            } else {
                return false;
            }
        }
        t[ti..].iter().all(|tok| *tok == Token::Star)
    }
}

/// Whether `name` matches the shell-style pattern: `*` any run, `?` any one character,
/// `[abc]`, `[a-z]` and `[!abc]` one character of (or not of) a set. No length limit: for
/// a pattern a client sent, use [`Glob::new`], which has one.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    Glob::parse(pattern).matches(name)
}

/// Parses the class starting at `p[start]` (a `[`): the token and the index after it, or
/// `None` when the class is not closed. A `]` right after `[` or `[!` is a member; `a-z`
/// is a range unless the `-` is followed by the closing `]`.
fn parse_class(p: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((Token::Class { negate, ranges }, i + 1));
        }
        first = false;
        match (p.get(i + 1), p.get(i + 2)) {
            (Some('-'), Some(&end)) if end != ']' => {
                ranges.push((ch, end));
                i += 3;
            }
            _ => {
                ranges.push((ch, ch));
                i += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Buffer-writing formatters: the same bytes as `list_line`, `mlsx_line` and `nlst_line`,
// appended to a caller's buffer. A listing of a big directory formats every line through
// these, so they avoid what the String versions pay per line (several allocations, the
// `fmt` machinery, a calendar conversion through chrono).

/// The "recent" window of `LIST` dates, computed once per listing from its `now` (the
/// time of day is shown inside it, the year outside; see [`list_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTimes {
    /// Unix seconds of the oldest time that still counts as recent.
    oldest: i64,
    /// Unix seconds of the newest time that still counts as recent.
    newest: i64,
}

impl ListTimes {
    /// The window for a listing made at `now`.
    pub fn new(now: SystemTime) -> ListTimes {
        let now_s = unix_secs(now);
        ListTimes {
            oldest: now_s.saturating_sub(RECENT_PAST.as_secs() as i64),
            newest: now_s.saturating_add(RECENT_FUTURE.as_secs() as i64),
        }
    }
}

/// A UTC calendar time, as the listing formats need it.
#[derive(Debug, Clone, Copy)]
struct Civil {
    year: i64,
    /// 1..=12.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// The UTC calendar fields of `secs` Unix seconds (proleptic Gregorian calendar), by the
/// days-to-civil algorithm of Howard Hinnant's "chrono-Compatible Low-Level Date
/// Algorithms": integer arithmetic only. `secs` is already clamped to four-digit years.
fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400) as u32;
    // Days since 0000-03-01, so that the leap day ends the (shifted) year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: of_day / 3600,
        minute: of_day / 60 % 60,
        second: of_day % 60,
    }
}

/// Appends `n` in decimal, right-aligned in `width` columns with `pad`.
fn push_padded(out: &mut Vec<u8>, n: u64, width: usize, pad: u8) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    out.resize(out.len() + width.saturating_sub(len), pad);
    out.extend_from_slice(&digits[at..]);
}

/// Appends `n` (below 100) as two digits.
fn push_2(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
}

/// Appends `name` as [`display_name`] shows it.
pub fn write_display_name(out: &mut Vec<u8>, name: &str) {
    // Control characters are U+0000..=U+001F and U+007F..=U+009F; in UTF-8 the last range
    // starts with 0xC2, so a name without these bytes needs no character-wise look.
    let suspect = name.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2);
    if suspect {
        out.extend_from_slice(display_name(name).as_bytes());
    } else {
        out.extend_from_slice(name.as_bytes());
    }
}

/// Appends the `NLST` line of `name` to `out`: the same bytes as [`nlst_line`], no CRLF.
pub fn write_nlst_line(out: &mut Vec<u8>, name: &str) {
    write_display_name(out, name);
}

/// The ten `ls -l` mode characters, as [`mode_string`] makes them.
fn mode_bytes(kind: EntryKind, mode: u32) -> [u8; 10] {
    let mut s = [b'-'; 10];
    s[0] = match kind {
        EntryKind::File => b'-',
        EntryKind::Dir => b'd',
        EntryKind::Symlink => b'l',
    };
    let triads = [
        (0o400, 0o200, 0o100, 0o4000, b's', b'S'),
        (0o040, 0o020, 0o010, 0o2000, b's', b'S'),
        (0o004, 0o002, 0o001, 0o1000, b't', b'T'),
    ];
    for (i, (r, w, x, special, on, off)) in triads.into_iter().enumerate() {
        let at = 1 + 3 * i;
        if mode & r != 0 {
            s[at] = b'r';
        }
        if mode & w != 0 {
            s[at + 1] = b'w';
        }
        s[at + 2] = match (mode & special != 0, mode & x != 0) {
            (true, true) => on,
            (true, false) => off,
            (false, true) => b'x',
            (false, false) => b'-',
        };
    }
    s
}

/// Appends the `LIST` line of `entry` to `out`: the same bytes as [`list_line`] with the
/// `now` that made `times`, no CRLF.
pub fn write_list_line(out: &mut Vec<u8>, entry: &EntryInfo, times: &ListTimes) {
    let default_mode = match entry.kind {
        EntryKind::File => 0o644,
        EntryKind::Dir => 0o755,
        EntryKind::Symlink => 0o777,
    };
    out.extend_from_slice(&mode_bytes(entry.kind, entry.mode.unwrap_or(default_mode)));
    // The link count, owner and group never change: ` {:>3} {:<8} {:<8} ` of 1, ftp, ftp.
    out.extend_from_slice(b"   1 ftp      ftp      ");
    push_padded(out, entry.size, 8, b' ');
    out.push(b' ');
    let secs = unix_secs(entry.modified.unwrap_or(UNIX_EPOCH));
    let t = civil_cached(secs);
    out.extend_from_slice(MONTHS[(t.month as usize + 11) % 12].as_bytes());
    out.push(b' ');
    push_padded(out, u64::from(t.day), 2, b' ');
    if (times.oldest..=times.newest).contains(&secs) {
        out.push(b' ');
        push_2(out, t.hour);
        out.push(b':');
        push_2(out, t.minute);
    } else {
        out.extend_from_slice(b"  ");
        // Clamped to 0..=9999 by `unix_secs`.
        push_padded(out, t.year.clamp(0, 9999) as u64, 4, b'0');
    }
    out.push(b' ');
    write_display_name(out, &entry.name);
}

/// Appends `t` as `YYYYMMDDHHMMSS` in UTC: the bytes of [`format_mdtm`].
pub fn write_mdtm(out: &mut Vec<u8>, t: SystemTime) {
    let secs = unix_secs(t);
    // The files of a directory often share their second (a batch copied or unpacked at
    // once): the last second this thread formatted is kept with its digits.
    let (last, digits) = LAST_MDTM.get();
    if last == secs {
        out.extend_from_slice(&digits);
        return;
    }
    let t = civil(secs);
    let mut digits = [0u8; 14];
    let year = t.year.clamp(0, 9999) as u32;
    let fields = [
        year / 100,
        year % 100,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
    ];
    for (pair, n) in digits.chunks_exact_mut(2).zip(fields) {
        pair.copy_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
    }
    LAST_MDTM.set((secs, digits));
    out.extend_from_slice(&digits);
}

thread_local! {
    /// The last second [`write_mdtm`] formatted on this thread, with its 14 digits (none
    /// yet: a second no time is clamped to).
    static LAST_MDTM: std::cell::Cell<(i64, [u8; 14])> =
        const { std::cell::Cell::new((i64::MIN, [0; 14])) };
    /// The last second [`civil_cached`] converted on this thread, with its calendar time.
    static LAST_CIVIL: std::cell::Cell<Option<(i64, Civil)>> =
        const { std::cell::Cell::new(None) };
}

/// [`civil`] of `secs`, kept for the next call on this thread when it asks for the same
/// second (as the files of a listing often do).
fn civil_cached(secs: i64) -> Civil {
    if let Some((last, t)) = LAST_CIVIL.get() {
        if last == secs {
            return t;
        }
    }
    let t = civil(secs);
    LAST_CIVIL.set(Some((secs, t)));
    t
}

/// Appends the `MLSD` line of `entry` to `out`: the same bytes as [`mlsx_line`], no CRLF.
pub fn write_mlsx_line(
    out: &mut Vec<u8>,
    entry: &EntryInfo,
    facts: &MlstFacts,
    perms: &Permissions,
) {
    if facts.kind {
        out.extend_from_slice(match entry.kind {
            EntryKind::File => b"type=file;".as_slice(),
            EntryKind::Dir => b"type=dir;",
            EntryKind::Symlink => b"type=OS.unix=symlink;",
        });
    }
    if facts.size && entry.kind == EntryKind::File {
        out.extend_from_slice(b"size=");
        push_padded(out, entry.size, 0, b' ');
        out.push(b';');
    }
    if let (true, Some(t)) = (facts.modify, entry.modified) {
        out.extend_from_slice(b"modify=");
        write_mdtm(out, t);
        out.push(b';');
    }
    if facts.perm {
        out.extend_from_slice(b"perm=");
        for_each_perm(entry.kind, perms, |c| out.push(c));
        out.push(b';');
    }
    if let (true, Some(u)) = (facts.unique, entry.unique.as_deref()) {
        // The same rule as `mlsx_line_typed`: a value that would corrupt the list is left out.
        if !u.is_empty() && !u.contains([';', '=', ' ', '\r', '\n']) {
            out.extend_from_slice(b"unique=");
            out.extend_from_slice(u.as_bytes());
            out.push(b';');
        }
    }
    out.push(b' ');
    write_display_name(out, &entry.name);
}

#[cfg(test)]
mod glob_tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, n, want) in [
            ("*.txt", "a.txt", true),
            ("*.txt", "a.txt.gz", false),
            ("*", "", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*c", "xxaxxbxxc", true),
            ("*a*b*c", "xxaxxcxxb", false),
            ("[abc]*", "bee", true),
            ("[!abc]*", "bee", false),
            ("[a-c]x", "cx", true),
            ("[a-c]x", "dx", false),
            ("[]]", "]", true),
            ("[unclosed", "[unclosed", true),
            ("thư*", "thư mục", true),
            ("report-20??.csv", "report-2026.csv", true),
        ] {
            assert_eq!(glob_match(p, n), want, "{p} vs {n}");
        }
        assert!(has_wildcards("*.txt") && !has_wildcards("plain.txt"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let p = "*a".repeat(200);
        let n = "a".repeat(199) + "b";
        assert!(!glob_match(&p, &n));
    }

    /// Guards the caps: a 4 KB pattern or one with dozens of wildcards is refused up front.
    #[test]
    fn limits() {
        assert!(Glob::new(&"a".repeat(MAX_PATTERN_LEN)).is_ok());
        assert_eq!(
            Glob::new(&"a".repeat(MAX_PATTERN_LEN + 1)),
            Err(GlobError::TooLong)
        );
        assert_eq!(
            Glob::new(&"*[".repeat(1024)),
            Err(GlobError::TooLong),
            "the 4 KB pattern of the report"
        );
        let stars = "*a".repeat(MAX_PATTERN_WILDCARDS);
        assert!(Glob::new(&stars).is_ok());
        assert_eq!(
            Glob::new(&format!("{stars}*")),
            Err(GlobError::TooManyWildcards)
        );
        // A run of stars counts once; unclosed `[` are literals, not classes.
        assert!(Glob::new(&"*".repeat(200)).is_ok());
        assert!(Glob::new(&format!("*{}", "[".repeat(200))).is_ok());
        assert_eq!(
            Glob::new(&"[ab]".repeat(MAX_PATTERN_WILDCARDS + 1)),
            Err(GlobError::TooManyWildcards)
        );
        // The refusal's text names the limits as they are.
        let text = crate::catalogue::Msg::PatternTooComplex.reply().to_wire();
        assert!(text.contains(&format!("{MAX_PATTERN_LEN} bytes")), "{text}");
        assert!(
            text.contains(&format!("{MAX_PATTERN_WILDCARDS} wildcards")),
            "{text}"
        );
    }

    /// Guards the linear bound: the worst patterns of the report, at the length cap, against
    /// long names, take a number of steps bounded by (pattern length) x (name length); the
    /// old matcher re-scanned each unclosed `[` for every character and went far beyond.
    #[test]
    fn worst_case_patterns_are_bounded() {
        let name = "a".repeat(4096);
        let brackets = format!("*{}", "[".repeat(MAX_PATTERN_LEN - 1));
        let stars = format!("{}b", "*a".repeat(MAX_PATTERN_WILDCARDS));
        let classes = format!("*{}", "[a-a]".repeat(MAX_PATTERN_WILDCARDS - 1));
        for pattern in [brackets, stars, classes] {
            let glob = Glob::new(&pattern).expect("within the caps");
            let mut steps = 0;
            let _ = glob.matches_counting(&name, &mut steps);
            let bound = (2 * MAX_PATTERN_LEN as u64 + 1) * (name.len() as u64 + 1);
            assert!(steps <= bound, "{pattern:?}: {steps} steps > {bound}");
        }
    }

    /// The obvious recursive matcher, exponential but plainly right: the reference the
    /// fast one must agree with.
    fn naive(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| naive(&p[1..], &n[k..])),
            Some('[') => match (n.first(), naive_class(p)) {
                (Some(c), Some((members, negate, rest))) => {
                    members.iter().any(|(lo, hi)| lo <= c && c <= hi) != negate
                        && naive(&p[rest..], &n[1..])
                }
                (Some('['), None) => naive(&p[1..], &n[1..]),
                _ => false,
            },
            Some('?') => !n.is_empty() && naive(&p[1..], &n[1..]),
            Some(c) => n.first() == Some(c) && naive(&p[1..], &n[1..]),
        }
    }

    /// A class as the reference reads it: its ranges, whether it is negated, its length.
    type NaiveClass = (Vec<(char, char)>, bool, usize);

    /// The members of the class at the start of `p`, whether it is negated, and the
    /// length of the class; `None` when it is not closed.
    fn naive_class(p: &[char]) -> Option<NaiveClass> {
        let negate = matches!(p.get(1), Some('!' | '^'));
        let body = if negate { 2 } else { 1 };
        // The first `]` after the first member closes the class.
        let close = (body + 1..p.len()).find(|&i| p[i] == ']')?;
        let inner = &p[body..close];
        let mut members = Vec::new();
        let mut i = 0;
        while i < inner.len() {
            if i + 2 < inner.len() && inner[i + 1] == '-' {
                members.push((inner[i], inner[i + 2]));
                i += 3;
            } else {
                members.push((inner[i], inner[i]));
                i += 1;
            }
        }
        Some((members, negate, close + 1))
    }

    proptest::proptest! {
        /// Guards the rewrite: the linear matcher agrees with the reference on random
        /// small patterns and names over a tiny alphabet (where `*`, classes and ranges
        /// interact most).
        #[test]
        fn agrees_with_the_naive_matcher(
            pattern in "[ab*?\\[\\]!^-]{0,8}",
            name in "[ab\\[\\]!-]{0,8}",
        ) {
            let p: Vec<char> = pattern.chars().collect();
            let n: Vec<char> = name.chars().collect();
            proptest::prop_assert_eq!(glob_match(&pattern, &name), naive(&p, &n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UTC instant from calendar fields.
    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> SystemTime {
        let secs = NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .map(|dt| dt.and_utc().timestamp())
            .expect("valid test date");
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    fn file(name: &str, size: u64, modified: Option<SystemTime>) -> EntryInfo {
        EntryInfo {
            name: name.to_owned(),
            kind: EntryKind::File,
            size,
            modified,
            mode: None,
            unique: None,
        }
    }

    fn dir(name: &str) -> EntryInfo {
        EntryInfo {
            name: name.to_owned(),
            kind: EntryKind::Dir,
            size: 4096,
            modified: Some(at(2026, 11, 20, 9, 5, 0)),
            mode: None,
            unique: Some("801-2a".to_owned()),
        }
    }

    fn now() -> SystemTime {
        at(2026, 11, 25, 15, 0, 0)
    }

    #[test]
    fn list_line_recent_file() {
        let e = file("name", 1234, Some(at(2026, 11, 25, 14, 3, 59)));
        assert_eq!(
            list_line(&e, now()),
            "-rw-r--r--   1 ftp      ftp          1234 Nov 25 14:03 name"
        );
    }

    #[test]
    fn list_line_directory_and_padding() {
        let mut e = dir("sub");
        e.modified = Some(at(2026, 11, 5, 7, 4, 0));
        assert_eq!(
            list_line(&e, now()),
            "drwxr-xr-x   1 ftp      ftp          4096 Nov  5 07:04 sub"
        );
    }

    #[test]
    fn list_line_old_year_format() {
        let e = file("old.txt", 7, Some(at(2019, 3, 9, 23, 59, 0)));
        assert_eq!(
            list_line(&e, now()),
            "-rw-r--r--   1 ftp      ftp             7 Mar  9  2019 old.txt"
        );
    }

    #[test]
    fn list_line_missing_mtime_is_epoch() {
        let e = file("x", 0, None);
        assert_eq!(
            list_line(&e, now()),
            "-rw-r--r--   1 ftp      ftp             0 Jan  1  1970 x"
        );
    }

    #[test]
    fn list_line_six_month_boundary() {
        let n = now();
        let day = Duration::from_secs(24 * 3600);
        // Exactly 180 days back is still recent; one second more is not.
        let edge = n - 180 * day;
        let line = list_line(&file("a", 1, Some(edge)), n);
        assert!(line.ends_with("May 29 15:00 a"), "{line}");
        let past = edge - Duration::from_secs(1);
        let line = list_line(&file("a", 1, Some(past)), n);
        assert!(line.ends_with("May 29  2026 a"), "{line}");
        // Up to an hour ahead is clock skew; beyond that the year shows.
        let soon = n + Duration::from_secs(3600);
        let line = list_line(&file("a", 1, Some(soon)), n);
        assert!(line.ends_with("Nov 25 16:00 a"), "{line}");
        let later = soon + Duration::from_secs(1);
        let line = list_line(&file("a", 1, Some(later)), n);
        assert!(line.ends_with("Nov 25  2026 a"), "{line}");
    }

    #[test]
    fn list_line_modes() {
        let mut e = file("s", 1, Some(now()));
        e.mode = Some(0o4755);
        assert!(list_line(&e, now()).starts_with("-rwsr-xr-x "));
        e.mode = Some(0o1777);
        e.kind = EntryKind::Dir;
        assert!(list_line(&e, now()).starts_with("drwxrwxrwt "));
        e.mode = Some(0o2640);
        e.kind = EntryKind::File;
        assert!(list_line(&e, now()).starts_with("-rw-r-S--- "));
        e.mode = Some(0o100600); // file type bits from st_mode are ignored
        assert!(list_line(&e, now()).starts_with("-rw------- "));
        e.mode = None;
        e.kind = EntryKind::Symlink;
        assert!(list_line(&e, now()).starts_with("lrwxrwxrwx "));
    }

    #[test]
    fn list_line_large_size_and_odd_names() {
        let e = file("my file  with spaces.txt", 12_345_678_901, Some(now()));
        assert_eq!(
            list_line(&e, now()),
            "-rw-r--r--   1 ftp      ftp      12345678901 Nov 25 15:00 my file  with spaces.txt"
        );
        let e = file("résumé 日本語.pdf", 3, Some(now()));
        assert!(list_line(&e, now()).ends_with(" Nov 25 15:00 résumé 日本語.pdf"));
        let e = file("evil\r\nfake", 3, Some(now()));
        let line = list_line(&e, now());
        assert!(line.ends_with(" evil??fake"), "{line}");
        assert!(!line.contains(['\r', '\n']));
    }

    #[test]
    fn list_line_extreme_times_do_not_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        let line = list_line(&file("f", 1, Some(far)), now());
        assert!(line.contains("Dec 31  9999"), "{line}");
        let before = UNIX_EPOCH - Duration::from_secs(100 * 365 * 24 * 3600);
        let line = list_line(&file("f", 1, Some(before)), now());
        assert!(line.contains(" 1870 ") || line.contains(" 1869 "), "{line}");
        // `now` itself may be odd too.
        let _ = list_line(&file("f", 1, Some(now())), far);
        let _ = list_line(&file("f", 1, Some(now())), before);
    }

    /// Guards against forged entries and terminal tricks: every listing format shows
    /// control characters in names as `?`, NLST included.
    #[test]
    fn control_characters_are_escaped_in_every_format() {
        let evil = "a\r\nfake\tb\u{1b}[31m\u{0}\u{7f}\u{85}c";
        let shown = "a??fake?b?[31m???c";
        assert_eq!(nlst_line(evil), shown);
        let e = file(evil, 1, Some(now()));
        assert!(list_line(&e, now()).ends_with(&format!(" {shown}")));
        assert!(
            mlsx_line(&e, &MlstFacts::default(), &Permissions::ALL).ends_with(&format!(" {shown}"))
        );
        assert_eq!(nlst_line("plain name ünï"), "plain name ünï");
    }

    #[test]
    fn opts_mlst_parsing() {
        assert_eq!(parse_opts_mlst(""), MlstFacts::NONE);
        let f = parse_opts_mlst("type;size;");
        assert!(f.kind && f.size && !f.modify && !f.perm && !f.unique);
        let f = parse_opts_mlst("MODIFY;Perm;unique;bogus;;UNIX.mode;");
        assert!(!f.kind && !f.size && f.modify && f.perm && f.unique);
        let f = parse_opts_mlst("size");
        assert!(f.size && !f.kind);
        assert_eq!(parse_opts_mlst("nothing;known;"), MlstFacts::NONE);
    }

    #[test]
    fn feat_and_opts_reply() {
        assert_eq!(
            mlst_feat_line(&MlstFacts::default()),
            "MLST type*;size*;modify*;perm*;unique*;"
        );
        let f = parse_opts_mlst("size;type;");
        assert_eq!(mlst_feat_line(&f), "MLST type*;size*;modify;perm;unique;");
        assert_eq!(mlst_opts_reply(&f), "MLST OPTS type;size;");
        assert_eq!(mlst_opts_reply(&MlstFacts::NONE), "MLST OPTS");
        assert_eq!(
            mlst_opts_reply(&MlstFacts::default()),
            "MLST OPTS type;size;modify;perm;unique;"
        );
    }

    #[test]
    fn mlsx_file_line() {
        let mut e = file("notes.txt", 12, Some(at(2026, 11, 25, 14, 3, 1)));
        e.unique = Some("abc".to_owned());
        let all = MlstFacts::default();
        assert_eq!(
            mlsx_line(&e, &all, &Permissions::ALL),
            "type=file;size=12;modify=20261125140301;perm=radfw;unique=abc; notes.txt"
        );
        assert_eq!(
            mlsx_line(&e, &all, &Permissions::READ_ONLY),
            "type=file;size=12;modify=20261125140301;perm=r;unique=abc; notes.txt"
        );
        e.unique = None;
        e.modified = None;
        assert_eq!(
            mlsx_line(&e, &all, &Permissions::ALL),
            "type=file;size=12;perm=radfw; notes.txt"
        );
        assert_eq!(
            mlsx_line(&e, &parse_opts_mlst("size;"), &Permissions::ALL),
            "size=12; notes.txt"
        );
        assert_eq!(
            mlsx_line(&e, &MlstFacts::NONE, &Permissions::ALL),
            " notes.txt"
        );
    }

    #[test]
    fn mlsx_dir_and_cdir() {
        let e = dir("photos");
        let all = MlstFacts::default();
        assert_eq!(
            mlsx_line(&e, &all, &Permissions::ALL),
            "type=dir;modify=20261120090500;perm=elcmdpf;unique=801-2a; photos"
        );
        assert_eq!(
            mlsx_line(&e, &all, &Permissions::READ_ONLY),
            "type=dir;modify=20261120090500;perm=el;unique=801-2a; photos"
        );
        let mut cwd = dir("/photos");
        cwd.unique = None;
        assert_eq!(
            mlsx_line_cdir(&cwd, &all, &Permissions::READ_ONLY),
            "type=cdir;modify=20261120090500;perm=el; /photos"
        );
        let f = file("f", 1, None);
        assert_eq!(
            mlsx_line_cdir(&f, &all, &Permissions::READ_ONLY),
            mlsx_line(&f, &all, &Permissions::READ_ONLY)
        );
    }

    #[test]
    fn mlsx_symlink_odd_names_and_bad_unique() {
        let mut e = file("dangling link", 0, None);
        e.kind = EntryKind::Symlink;
        e.unique = Some("a;b".to_owned());
        assert_eq!(
            mlsx_line(&e, &MlstFacts::default(), &Permissions::ALL),
            "type=OS.unix=symlink;perm=df; dangling link"
        );
        let e = file(" lead space ünï", 1, None);
        assert_eq!(
            mlsx_line(&e, &parse_opts_mlst("type"), &Permissions::ALL),
            "type=file;  lead space ünï"
        );
        let e = file("a\nb", 1, None);
        assert_eq!(
            mlsx_line(&e, &parse_opts_mlst("type"), &Permissions::ALL),
            "type=file; a?b"
        );
    }

    #[test]
    fn mdtm_format() {
        assert_eq!(format_mdtm(at(2026, 1, 2, 3, 4, 5)), "20260102030405");
        assert_eq!(format_mdtm(UNIX_EPOCH), "19700101000000");
        let frac = at(2026, 1, 2, 3, 4, 5) + Duration::from_millis(999);
        assert_eq!(format_mdtm(frac), "20260102030405");
        assert_eq!(
            format_mdtm(UNIX_EPOCH - Duration::from_millis(1)),
            "19691231235959"
        );
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(format_mdtm(far), "99991231235959");
    }

    #[test]
    fn mfmt_parse_valid() {
        assert_eq!(
            parse_mfmt_time("20261125140301"),
            Some(at(2026, 11, 25, 14, 3, 1))
        );
        let base = at(2026, 11, 25, 14, 3, 1);
        assert_eq!(
            parse_mfmt_time("20261125140301.5"),
            Some(base + Duration::from_millis(500))
        );
        assert_eq!(
            parse_mfmt_time("20261125140301.05"),
            Some(base + Duration::from_millis(50))
        );
        assert_eq!(
            parse_mfmt_time("20261125140301.123"),
            Some(base + Duration::from_millis(123))
        );
        assert_eq!(parse_mfmt_time("19700101000000"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_mfmt_time("19691231235959"),
            Some(UNIX_EPOCH - Duration::from_secs(1))
        );
        assert_eq!(
            parse_mfmt_time("20161231235960"),
            Some(at(2016, 12, 31, 23, 59, 59))
        );
        assert_eq!(
            parse_mfmt_time("20240229000000"),
            Some(at(2024, 2, 29, 0, 0, 0))
        );
        // Round trip.
        let t = at(2031, 7, 4, 12, 0, 30);
        assert_eq!(parse_mfmt_time(&format_mdtm(t)), Some(t));
    }

    #[test]
    fn mfmt_parse_rejects_garbage() {
        for bad in [
            "",
            "2026112514030",
            "202611251403011",
            "20261125140301.",
            "20261125140301.1234",
            "20261125140301.a",
            "20261125140301,5",
            "20261125140301 ",
            " 20261125140301",
            "2026112514030x",
            "20261325140301",
            "20261100140301",
            "20230229000000",
            "20261125240000",
            "20261125146000",
            "20261125140361",
            "+2026112514030",
            "-20261125140301",
            "２０２６１１２５１４０３０１",
            "2026112514030é",
            "20261125140301.é",
        ] {
            assert_eq!(parse_mfmt_time(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn mfmt_parse_never_panics(s in "\\PC{0,24}") {
            let _ = parse_mfmt_time(&s);
        }

        #[test]
        fn mfmt_digits_round_trip(s in "[0-9]{14}(\\.[0-9]{1,3})?") {
            // A valid time formats back to its 14 digits (fraction dropped); a leap second
            // (60) is read as 59 and so does not round-trip.
            if let (Some(t), false) = (parse_mfmt_time(&s), &s[12..14] == "60") {
                proptest::prop_assert_eq!(&format_mdtm(t), &s[..14]);
            }
        }

        #[test]
        fn lines_never_panic(name in "\\PC{0,40}", size: u64, secs: i64, now_secs: i64, mode: u32) {
            let e = EntryInfo {
                name,
                kind: EntryKind::File,
                size,
                modified: to_time(secs),
                mode: Some(mode),
                unique: None,
            };
            let n = to_time(now_secs).unwrap_or(UNIX_EPOCH);
            let line = list_line(&e, n);
            proptest::prop_assert!(!line.contains(['\r', '\n']));
            let _ = mlsx_line(&e, &MlstFacts::default(), &Permissions::ALL);
        }
    }

    /// The time `v` seconds from the epoch, either side of it; `None` where `SystemTime`
    /// cannot hold it (property tests draw any `i64`).
    fn to_time(v: i64) -> Option<SystemTime> {
        if v >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(v.unsigned_abs()))
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_secs(v.unsigned_abs()))
        }
    }

    /// Formats `e` with every buffer-writing formatter and checks each against the String
    /// formatter it replaces in listings.
    fn assert_same_bytes(e: &EntryInfo, now: SystemTime, facts: &MlstFacts, perms: &Permissions) {
        let mut out = b"prefix".to_vec();
        write_list_line(&mut out, e, &ListTimes::new(now));
        assert_eq!(
            out,
            [b"prefix".as_slice(), list_line(e, now).as_bytes()].concat()
        );
        out.clear();
        write_mlsx_line(&mut out, e, facts, perms);
        assert_eq!(out, mlsx_line(e, facts, perms).as_bytes());
        out.clear();
        write_nlst_line(&mut out, &e.name);
        assert_eq!(out, nlst_line(&e.name).as_bytes());
        if let Some(t) = e.modified {
            out.clear();
            write_mdtm(&mut out, t);
            assert_eq!(out, format_mdtm(t).as_bytes());
        }
    }

    /// Guards the per-thread caches of `write_mdtm` and the LIST dates: runs of one second,
    /// then another, then the first again, and neighbours a second apart, each give the
    /// bytes of the String formatters (a stale cache would repeat the last second).
    #[test]
    fn cached_dates_follow_every_change() {
        let n = now();
        let base = at(2026, 11, 30, 7, 49, 9);
        let one = Duration::from_secs(1);
        let sequence = [
            base,
            base,
            base,
            base + one,
            base + one,
            base,
            n,
            n,
            base - one,
            base,
            UNIX_EPOCH,
            UNIX_EPOCH,
            base,
        ];
        let facts = MlstFacts::default();
        for (i, t) in sequence.into_iter().enumerate() {
            let e = EntryInfo {
                name: format!("f{i}"),
                kind: EntryKind::File,
                size: 1,
                modified: Some(t),
                mode: Some(0o644),
                unique: None,
            };
            assert_same_bytes(&e, n, &facts, &Permissions::ALL);
        }
    }

    /// Guards the fast formatters at the edges the property test may miss: the six-month
    /// boundary, leap days, the clamped years 0000 and 9999, times before 1970.
    #[test]
    fn buffer_formatters_match_at_the_edges() {
        let n = now();
        let day = Duration::from_secs(24 * 3600);
        let one = Duration::from_secs(1);
        let mut times = vec![
            n,
            n - 180 * day,
            n - 180 * day - one,
            n + Duration::from_secs(3600),
            n + Duration::from_secs(3601),
            at(2024, 2, 29, 23, 59, 59),
            at(2000, 2, 29, 0, 0, 0),
            at(1900, 3, 1, 0, 0, 0),
            at(1969, 12, 31, 23, 59, 59),
            at(0, 1, 1, 0, 0, 0),
            at(9999, 12, 31, 23, 59, 59),
            UNIX_EPOCH,
            UNIX_EPOCH - Duration::from_millis(1),
            UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
            UNIX_EPOCH - Duration::from_secs(1 << 40),
        ];
        for y in [1, 4, 100, 399, 400, 1582, 1970, 2038, 2100, 2400, 9998] {
            times.push(at(y, 1, 1, 0, 0, 0));
            times.push(at(y, 12, 31, 12, 30, 30));
        }
        for t in times {
            for kind in [EntryKind::File, EntryKind::Dir, EntryKind::Symlink] {
                let mut e = file("a b\r\nc\u{85}é", 12_345_678_901, Some(t));
                e.kind = kind;
                e.unique = Some("801-2a".to_owned());
                assert_same_bytes(&e, n, &MlstFacts::default(), &Permissions::ALL);
                assert_same_bytes(&e, t, &MlstFacts::NONE, &Permissions::READ_ONLY);
            }
        }
    }

    proptest::proptest! {
        /// Guards the fast formatters: for any entry, facts and permissions, the bytes a
        /// listing writes are exactly those of the String formatters (which the clients'
        /// formats were checked against).
        #[test]
        fn buffer_formatters_match_the_string_ones(
            name in "\\PC{0,24}|[a-z\\x00-\\x1f\\x7f\\u{80}-\\u{a0}]{0,12}",
            kind in 0u8..3,
            size: u64,
            secs: i64,
            now_secs in -100_000_000_000i64..300_000_000_000,
            mode in proptest::option::of(proptest::prelude::any::<u32>()),
            unique in proptest::option::of("[a-f0-9;= -]{0,8}"),
            fact_bits in 0u8..32,
            perm_bits in 0u8..64,
        ) {
            let e = EntryInfo {
                name,
                kind: [EntryKind::File, EntryKind::Dir, EntryKind::Symlink][usize::from(kind)],
                size,
                modified: to_time(secs),
                mode,
                unique,
            };
            let facts = MlstFacts {
                kind: fact_bits & 1 != 0,
                size: fact_bits & 2 != 0,
                modify: fact_bits & 4 != 0,
                perm: fact_bits & 8 != 0,
                unique: fact_bits & 16 != 0,
            };
            let perms = Permissions {
                list: perm_bits & 1 != 0,
                read: perm_bits & 2 != 0,
                write: perm_bits & 4 != 0,
                delete: perm_bits & 8 != 0,
                rename: perm_bits & 16 != 0,
                mkdir: perm_bits & 32 != 0,
            };
            let now = to_time(now_secs).unwrap_or(UNIX_EPOCH);
            assert_same_bytes(&e, now, &facts, &perms);
            // Also with a time near `now`, where the recent/old decision is made.
            let near = EntryInfo { modified: to_time(now_secs.saturating_sub(secs.rem_euclid(400 * 86_400) - 200 * 86_400)), ..e.clone() };
            assert_same_bytes(&near, now, &facts, &perms);
        }
    }
}
