//! A guide to every FTP reply code, in English and Vietnamese.
//!
//! For each code of [`catalogue::CODES`] the guide has one page per [`Lang`]: a short title,
//! what the code means, when a client sees it and after which commands, how to fix the cause,
//! and where it is defined. `ferroftp explain` prints these pages and `ferroftp doctor` points
//! at them. [`compare`] sets two codes side by side, [`nearest`] suggests known codes for an
//! unknown one, and [`parse_reply_line`] pulls the code out of a reply line copied from a log.
//!
//! The texts live in two data modules, one per language (`guide/en.rs`, `guide/vi.rs`); the
//! facts that do not depend on the language (the commands and the RFC sections) are kept once,
//! here, in `META`. Tests check that every catalogue code has a page in both languages and that
//! no page exists for a code outside the catalogue.

use ferroftp_proto::catalogue;

use crate::Lang;

mod en;
mod vi;

/// The class of a reply: its first digit (RFC 959 section 4.2; 6yz from RFC 2228).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// 1yz: accepted, another reply follows before the next command.
    Preliminary,
    /// 2yz: the command succeeded.
    Completion,
    /// 3yz: accepted, the server waits for another command to finish it.
    Intermediate,
    /// 4yz: failed this time; the same command may work later.
    Transient,
    /// 5yz: failed; it will fail again until something changes.
    Permanent,
    /// 6yz: a reply wrapped by the security mechanism (RFC 2228).
    Protected,
}

impl Class {
    /// The class of a three-digit code, or `None` when its first digit is not 1 to 6.
    pub fn of(code: u16) -> Option<Class> {
        if !(100..=699).contains(&code) {
            return None;
        }
        Class::from_digit((code / 100) as u8)
    }

    /// The class with this first digit (1 to 6).
    pub fn from_digit(digit: u8) -> Option<Class> {
        Some(match digit {
            1 => Class::Preliminary,
            2 => Class::Completion,
            3 => Class::Intermediate,
            4 => Class::Transient,
            5 => Class::Permanent,
            6 => Class::Protected,
            _ => return None,
        })
    }

    /// The first digit of the codes of this class.
    pub fn digit(self) -> u8 {
        match self {
            Class::Preliminary => 1,
            Class::Completion => 2,
            Class::Intermediate => 3,
            Class::Transient => 4,
            Class::Permanent => 5,
            Class::Protected => 6,
        }
    }

    /// The class heading, e.g. `5yz Permanent Negative Completion`.
    pub fn text(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Class::Preliminary) => "1yz Positive Preliminary",
            (Lang::En, Class::Completion) => "2yz Positive Completion",
            (Lang::En, Class::Intermediate) => "3yz Positive Intermediate",
            (Lang::En, Class::Transient) => "4yz Transient Negative Completion",
            (Lang::En, Class::Permanent) => "5yz Permanent Negative Completion",
            (Lang::En, Class::Protected) => "6yz Protected",
            (Lang::Vi, Class::Preliminary) => "1yz Khẳng định sơ bộ",
            (Lang::Vi, Class::Completion) => "2yz Hoàn tất khẳng định",
            (Lang::Vi, Class::Intermediate) => "3yz Khẳng định trung gian",
            (Lang::Vi, Class::Transient) => "4yz Phủ định tạm thời",
            (Lang::Vi, Class::Permanent) => "5yz Phủ định vĩnh viễn",
            (Lang::Vi, Class::Protected) => "6yz Được bảo vệ",
        }
    }

    /// What a reply of this class tells the client, in one clause.
    pub fn meaning(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Class::Preliminary) => {
                "the command was accepted and another reply will follow before the client \
                 sends its next command"
            }
            (Lang::En, Class::Completion) => "the command succeeded",
            (Lang::En, Class::Intermediate) => {
                "the command was accepted, but the server waits for another command to finish \
                 the action"
            }
            (Lang::En, Class::Transient) => {
                "the command failed this time; the same command may succeed later"
            }
            (Lang::En, Class::Permanent) => {
                "the command failed and will fail again until the client or the server \
                 changes something"
            }
            (Lang::En, Class::Protected) => {
                "the reply is wrapped by the security mechanism and must be decoded to read \
                 the reply inside"
            }
            (Lang::Vi, Class::Preliminary) => {
                "lệnh đã được chấp nhận và sẽ có thêm một phản hồi nữa trước khi máy khách \
                 gửi lệnh tiếp theo"
            }
            (Lang::Vi, Class::Completion) => "lệnh đã thành công",
            (Lang::Vi, Class::Intermediate) => {
                "lệnh đã được chấp nhận, nhưng máy chủ còn chờ một lệnh khác để hoàn tất \
                 thao tác"
            }
            (Lang::Vi, Class::Transient) => {
                "lệnh thất bại lần này; gửi lại đúng lệnh đó sau có thể thành công"
            }
            (Lang::Vi, Class::Permanent) => {
                "lệnh thất bại và sẽ còn thất bại cho đến khi máy khách hoặc máy chủ thay \
                 đổi điều gì đó"
            }
            (Lang::Vi, Class::Protected) => {
                "phản hồi được cơ chế bảo mật bọc lại và phải được giải mã mới đọc được \
                 phản hồi bên trong"
            }
        }
    }
}

/// The meaning of the middle digit of a code (RFC 959 section 4.2), in `lang`.
pub fn second_digit_text(code: u16, lang: Lang) -> &'static str {
    match (lang, (code / 10) % 10) {
        (Lang::En, 0) => "x0z Syntax: syntax errors, and commands that fit no other group",
        (Lang::En, 1) => "x1z Information: replies to requests for status or help",
        (Lang::En, 2) => "x2z Connections: the control and data connections",
        (Lang::En, 3) => "x3z Authentication and accounting: login, accounts and security",
        (Lang::En, 4) => "x4z Unspecified: a group the standard leaves unused",
        (Lang::En, 5) => "x5z File system: the state of the server's files",
        (Lang::En, _) => "x6z-x9z: not defined by the standard",
        (Lang::Vi, 0) => "x0z Cú pháp: lỗi cú pháp, và các lệnh không thuộc nhóm nào khác",
        (Lang::Vi, 1) => "x1z Thông tin: phản hồi cho yêu cầu trạng thái hoặc trợ giúp",
        (Lang::Vi, 2) => "x2z Kết nối: kết nối điều khiển và kết nối dữ liệu",
        (Lang::Vi, 3) => "x3z Xác thực và tài khoản: đăng nhập, tài khoản và bảo mật",
        (Lang::Vi, 4) => "x4z Chưa xác định: nhóm mà tiêu chuẩn để trống",
        (Lang::Vi, 5) => "x5z Hệ thống tệp: trạng thái các tệp trên máy chủ",
        (Lang::Vi, _) => "x6z-x9z: tiêu chuẩn không định nghĩa",
    }
}

/// The middle digit's group as a short noun phrase, for comparisons.
fn second_digit_topic(code: u16, lang: Lang) -> &'static str {
    match (lang, (code / 10) % 10) {
        (Lang::En, 0) => "syntax (x0z)",
        (Lang::En, 1) => "information (x1z)",
        (Lang::En, 2) => "connections (x2z)",
        (Lang::En, 3) => "authentication and accounting (x3z)",
        (Lang::En, 4) => "an unspecified group (x4z)",
        (Lang::En, 5) => "the file system (x5z)",
        (Lang::En, _) => "no defined group",
        (Lang::Vi, 0) => "cú pháp (x0z)",
        (Lang::Vi, 1) => "thông tin (x1z)",
        (Lang::Vi, 2) => "kết nối (x2z)",
        (Lang::Vi, 3) => "xác thực và tài khoản (x3z)",
        (Lang::Vi, 4) => "nhóm chưa xác định (x4z)",
        (Lang::Vi, 5) => "hệ thống tệp (x5z)",
        (Lang::Vi, _) => "nhóm không được định nghĩa",
    }
}

/// The headings and labels used when a page is printed, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    /// "Description".
    pub description: &'static str,
    /// "When you see it".
    pub when: &'static str,
    /// "How to fix it".
    pub fix: &'static str,
    /// "Commands".
    pub commands: &'static str,
    /// "Defined in".
    pub defined_in: &'static str,
    /// "Class".
    pub class: &'static str,
    /// "Standard text" (the RFC's wording of the reply).
    pub standard_text: &'static str,
    /// "Key differences".
    pub key_differences: &'static str,
    /// "When to expect which".
    pub when_which: &'static str,
    /// What the `*` entry of [`Entry::commands`] stands for: "any command".
    pub any_command: &'static str,
}

const LABELS_EN: Labels = Labels {
    description: "Description",
    when: "When you see it",
    fix: "How to fix it",
    commands: "Commands",
    defined_in: "Defined in",
    class: "Class",
    standard_text: "Standard text",
    key_differences: "Key differences",
    when_which: "When to expect which",
    any_command: "any command",
};

const LABELS_VI: Labels = Labels {
    description: "Mô tả",
    when: "Khi bạn thấy mã này",
    fix: "Cách khắc phục",
    commands: "Các lệnh liên quan",
    defined_in: "Được định nghĩa trong",
    class: "Loại",
    standard_text: "Văn bản chuẩn",
    key_differences: "Sự khác biệt chính",
    when_which: "Khi nào dùng cái nào",
    any_command: "mọi lệnh",
};

/// The headings and labels for `lang`.
pub fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &LABELS_EN,
        Lang::Vi => &LABELS_VI,
    }
}

/// One code's page, in one language.
///
/// The texts of `when` and `fix` hold one situation or one step per line (separated by
/// `\n`); the first line of `when` is the most common case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The three-digit code.
    pub code: u16,
    /// A short name, e.g. "Bad sequence of commands".
    pub title: &'static str,
    /// The class (first digit).
    pub class: Class,
    /// The class heading, e.g. "5yz Permanent Negative Completion".
    pub class_text: &'static str,
    /// The meaning of the middle digit, e.g. "x0z Syntax: ...".
    pub second_digit: &'static str,
    /// What the code means.
    pub description: &'static str,
    /// When a client sees it, one situation per line.
    pub when: &'static str,
    /// How to fix the cause, one step per line.
    pub fix: &'static str,
    /// The commands that can produce it; `*` stands for any command.
    pub commands: &'static [&'static str],
    /// Where it is defined, e.g. "RFC 959 §4.2; RFC 2228 §5".
    pub rfc: &'static str,
    /// The language of the texts.
    pub lang: Lang,
}

/// The language-specific texts of one page (the data modules hold these).
#[derive(Debug)]
struct Page {
    code: u16,
    title: &'static str,
    description: &'static str,
    when: &'static str,
    fix: &'static str,
}

/// A note written by hand for two codes that are often confused.
#[derive(Debug)]
struct PairNote {
    a: u16,
    b: u16,
    difference: &'static str,
    when_which: &'static str,
}

/// The facts of one page that are the same in every language.
#[derive(Debug)]
struct Meta {
    code: u16,
    commands: &'static [&'static str],
    rfc: &'static str,
}

const fn m(code: u16, commands: &'static [&'static str], rfc: &'static str) -> Meta {
    Meta {
        code,
        commands,
        rfc,
    }
}

const TRANSFERS: &[&str] = &["RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD"];

/// Commands and RFC sections of every code, sorted by code.
const META: &[Meta] = &[
    m(110, &["RETR", "STOR", "APPE"], "RFC 959 §3.5, §4.2"),
    m(120, &["REIN"], "RFC 959 §4.2, §5.4"),
    m(125, TRANSFERS, "RFC 959 §4.2, §5.4; RFC 3659 §7"),
    m(150, TRANSFERS, "RFC 959 §4.2, §5.4; RFC 3659 §7"),
    m(
        200,
        &[
            "NOOP", "TYPE", "MODE", "STRU", "PORT", "EPRT", "PBSZ", "PROT", "OPTS", "CCC",
        ],
        "RFC 959 §4.2; RFC 2228 §3; RFC 2389 §4; RFC 2428 §2",
    ),
    m(
        202,
        &["ACCT", "ALLO", "SITE"],
        "RFC 959 §4.1.1, §4.1.3, §4.2",
    ),
    m(
        211,
        &["STAT", "FEAT", "HELP"],
        "RFC 959 §4.1.3, §4.2; RFC 2389 §3",
    ),
    m(212, &["STAT"], "RFC 959 §4.1.3, §4.2"),
    m(
        213,
        &["SIZE", "MDTM", "MFMT", "STAT"],
        "RFC 959 §4.2; RFC 3659 §3, §4",
    ),
    m(214, &["HELP"], "RFC 959 §4.1.3, §4.2"),
    m(215, &["SYST"], "RFC 959 §4.1.3, §4.2"),
    m(220, &["HOST", "REIN"], "RFC 959 §4.2, §5.4; RFC 7151 §3"),
    m(221, &["QUIT"], "RFC 959 §4.1.1, §4.2"),
    m(225, &["ABOR"], "RFC 959 §4.1.3, §4.2"),
    m(
        226,
        &[
            "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD", "ABOR",
        ],
        "RFC 959 §4.2, §5.4",
    ),
    m(227, &["PASV"], "RFC 959 §4.1.2, §4.2"),
    m(228, &["LPSV"], "RFC 1639"),
    m(229, &["EPSV"], "RFC 2428 §3"),
    m(230, &["USER", "PASS", "ACCT"], "RFC 959 §4.1.1, §4.2, §5.4"),
    m(232, &["USER"], "RFC 2228 section 4"),
    m(234, &["AUTH"], "RFC 2228 §3, §5; RFC 4217"),
    m(235, &["ADAT"], "RFC 2228 §3, §5"),
    m(
        250,
        &["CWD", "CDUP", "DELE", "RMD", "RNTO", "MLST", "SITE"],
        "RFC 959 §4.2, §5.4; RFC 3659 §7",
    ),
    m(257, &["PWD", "MKD"], "RFC 959 §4.1.3, §4.2, appendix II"),
    m(331, &["USER"], "RFC 959 §4.1.1, §4.2, §5.4"),
    m(332, &["USER", "PASS"], "RFC 959 §4.1.1, §4.2"),
    m(334, &["AUTH"], "RFC 2228 §3, §5"),
    m(335, &["ADAT"], "RFC 2228 §3, §5"),
    m(336, &["USER"], "RFC 2228 §5"),
    m(350, &["RNFR", "REST"], "RFC 959 §4.1.3, §4.2; RFC 3659 §5"),
    m(421, &["*"], "RFC 959 §4.2, §5.4"),
    m(
        425,
        &[
            "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD", "PASV", "EPSV",
        ],
        "RFC 959 §4.2, §5.4; RFC 2428",
    ),
    m(
        426,
        &[
            "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD", "ABOR",
        ],
        "RFC 959 §4.1.3, §4.2",
    ),
    m(431, &["AUTH", "ADAT"], "RFC 2228 §5"),
    m(
        450,
        &[
            "RETR", "STOR", "APPE", "DELE", "RNFR", "RNTO", "LIST", "MLSD",
        ],
        "RFC 959 §4.2",
    ),
    m(
        451,
        &[
            "RETR", "STOR", "APPE", "STOU", "DELE", "MKD", "RMD", "RNTO", "LIST", "MLSD",
        ],
        "RFC 959 §4.2",
    ),
    m(452, &["STOR", "APPE", "STOU", "MKD"], "RFC 959 §4.2"),
    m(500, &["*"], "RFC 959 §4.2"),
    m(
        501,
        &[
            "USER", "CWD", "RETR", "PORT", "EPRT", "REST", "TYPE", "MFMT", "OPTS", "MLSD",
        ],
        "RFC 959 §4.2; RFC 2428 §2; RFC 3659",
    ),
    m(502, &["*", "AUTH"], "RFC 959 §4.2"),
    m(
        503,
        &[
            "USER", "PASS", "RNTO", "HOST", "AUTH", "PBSZ", "PROT", "PASV", "PORT", "EPRT", "RETR",
            "STOR", "LIST",
        ],
        "RFC 959 §4.2, §5.4; RFC 2228 §3; RFC 2428 §4; RFC 4217; RFC 7151 §3",
    ),
    m(
        504,
        &["TYPE", "MODE", "STRU", "REST", "AUTH", "HOST"],
        "RFC 959 §4.2; RFC 2228 §3; RFC 7151 §3",
    ),
    m(521, TRANSFERS, "RFC 4217"),
    m(
        522,
        &["EPRT", "EPSV", "RETR", "STOR", "LIST"],
        "RFC 2428 §2, §3",
    ),
    m(
        530,
        &["USER", "PASS", "*"],
        "RFC 959 §4.1.1, §4.2, §5.4; RFC 4217",
    ),
    m(532, &["STOR", "APPE", "STOU"], "RFC 959 §4.2"),
    m(533, &["MIC", "CONF", "ENC", "*"], "RFC 2228 §5"),
    m(
        534,
        &["CCC", "AUTH", "USER", "PASS", "PROT"],
        "RFC 2228 §5; RFC 4217",
    ),
    m(535, &["ADAT", "MIC", "CONF", "ENC"], "RFC 2228 §5"),
    m(536, &["PROT"], "RFC 2228 §3, §5; RFC 4217"),
    m(537, &["MIC", "CONF", "ENC"], "RFC 2228 §5"),
    m(
        550,
        &[
            "RETR", "STOR", "APPE", "DELE", "RNFR", "RNTO", "CWD", "MKD", "RMD", "SIZE", "MDTM",
            "MLST", "LIST",
        ],
        "RFC 959 §4.2",
    ),
    m(551, &["RETR", "STOR", "APPE"], "RFC 959 §3.1.2, §4.2"),
    m(552, &["STOR", "APPE", "STOU"], "RFC 959 §4.2"),
    m(
        553,
        &["STOR", "APPE", "STOU", "MKD", "RNTO"],
        "RFC 959 §4.2",
    ),
    m(554, &["RETR", "STOR", "APPE"], "RFC 3659 §5.4"),
    m(555, &["RETR", "STOR", "APPE"], "RFC 3659 §5.4"),
    m(631, &["MIC"], "RFC 2228 §5"),
    m(632, &["ENC"], "RFC 2228 §5"),
    m(633, &["CONF"], "RFC 2228 §5"),
];

fn pages(lang: Lang) -> &'static [Page] {
    match lang {
        Lang::En => en::PAGES,
        Lang::Vi => vi::PAGES,
    }
}

fn pair_notes(lang: Lang) -> &'static [PairNote] {
    match lang {
        Lang::En => en::PAIRS,
        Lang::Vi => vi::PAIRS,
    }
}

/// The page for `code` in `lang`, or `None` when the code is not a known reply code.
pub fn entry(code: u16, lang: Lang) -> Option<Entry> {
    let meta = META.iter().find(|x| x.code == code)?;
    let page = pages(lang).iter().find(|p| p.code == code)?;
    let class = Class::of(code)?;
    Some(Entry {
        code,
        title: page.title,
        class,
        class_text: class.text(lang),
        second_digit: second_digit_text(code, lang),
        description: page.description,
        when: page.when,
        fix: page.fix,
        commands: meta.commands,
        rfc: meta.rfc,
        lang,
    })
}

/// Every page in `lang`, sorted by code.
pub fn all(lang: Lang) -> impl Iterator<Item = Entry> {
    catalogue::CODES
        .iter()
        .filter_map(move |c| entry(c.code, lang))
}

/// Up to three known codes closest to `code`, best first, leaving `code` itself out.
///
/// Codes of the same class (first digit) come first, and among them those with the same middle
/// digit; then the numerically nearest; ties go to the lower code. For a number that is not a code at
/// all (0, 1000) the numerically nearest codes are returned.
pub fn nearest(code: u16) -> Vec<u16> {
    let class = code / 100;
    let middle = (code / 10) % 10;
    let mut known: Vec<u16> = catalogue::CODES
        .iter()
        .map(|c| c.code)
        .filter(|&c| c != code)
        .collect();
    known.sort_by_key(|&c| {
        let same_class = c / 100 == class;
        let same_group = same_class && (c / 10) % 10 == middle;
        (!same_class, !same_group, c.abs_diff(code), c)
    });
    known.truncate(3);
    known
}

/// The reply code in a reply line, as copied from a client log or a terminal.
///
/// Accepts `503 Bad sequence of commands`, the first or last line of a multi-line reply
/// (`211-Features:`), a bare `503`, and lines with a prefix such as `< 503 ...`,
/// `Response: 503 ...` or a time stamp: the first word that is three digits, alone or followed
/// by `-`, is the code. The code is not checked against the catalogue.
pub fn parse_reply_line(s: &str) -> Option<u16> {
    s.split_whitespace().find_map(code_word)
}

/// A word that is a reply code: three ASCII digits, alone or followed by `-` and anything.
fn code_word(word: &str) -> Option<u16> {
    let bytes = word.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 3 && bytes[3] != b'-' {
        return None;
    }
    word[..3].parse().ok()
}

/// How two codes differ and when each one is to be expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The key differences, one per item.
    pub differences: Vec<String>,
    /// When a client gets one rather than the other (may span several lines).
    pub when_which: String,
}

/// Codes after which the server closes the control connection.
const CLOSES_CONTROL: &[u16] = &[221, 421];

/// Compares two known codes in `lang`: `None` when either is unknown.
pub fn compare(a: u16, b: u16, lang: Lang) -> Option<Comparison> {
    let ea = entry(a, lang)?;
    let eb = entry(b, lang)?;
    let note = pair_notes(lang)
        .iter()
        .find(|n| (n.a, n.b) == (a, b) || (n.a, n.b) == (b, a));
    let mut differences = Vec::new();
    if let Some(n) = note {
        differences.push(n.difference.to_string());
    }
    differences.push(class_difference(&ea, &eb, lang));
    if let Some(d) = retry_difference(&ea, &eb, lang) {
        differences.push(d);
    }
    differences.push(middle_difference(a, b, lang));
    if let Some(d) = closing_difference(a, b, lang) {
        differences.push(d);
    }
    differences.push(commands_difference(&ea, &eb, lang));
    let (ra, rb) = (first_rfc(ea.rfc), first_rfc(eb.rfc));
    if ra != rb {
        differences.push(match lang {
            Lang::En => format!("{a} comes from {ra}; {b} from {rb}."),
            Lang::Vi => format!("{a} có nguồn gốc từ {ra}; {b} từ {rb}."),
        });
    }
    let mut when_which = String::new();
    if let Some(n) = note {
        when_which.push_str(n.when_which);
        when_which.push('\n');
    }
    for e in [&ea, &eb] {
        let first = e.when.lines().next().unwrap_or(e.when);
        when_which.push_str(&format!("{} {}: {first}\n", e.code, e.title));
    }
    let when_which = when_which.trim_end().to_string();
    Some(Comparison {
        differences,
        when_which,
    })
}

fn class_difference(a: &Entry, b: &Entry, lang: Lang) -> String {
    if a.class == b.class {
        return match lang {
            Lang::En => format!(
                "Both {} and {} are {}: {}.",
                a.code,
                b.code,
                a.class_text,
                a.class.meaning(lang)
            ),
            Lang::Vi => format!(
                "Cả {} và {} đều thuộc loại {}: {}.",
                a.code,
                b.code,
                a.class_text,
                a.class.meaning(lang)
            ),
        };
    }
    match lang {
        Lang::En => format!(
            "{} is {}: {}. {} is {}: {}.",
            a.code,
            a.class_text,
            a.class.meaning(lang),
            b.code,
            b.class_text,
            b.class.meaning(lang)
        ),
        Lang::Vi => format!(
            "{} thuộc loại {}: {}. {} thuộc loại {}: {}.",
            a.code,
            a.class_text,
            a.class.meaning(lang),
            b.code,
            b.class_text,
            b.class.meaning(lang)
        ),
    }
}

/// The practical difference between a transient and a permanent failure.
fn retry_difference(a: &Entry, b: &Entry, lang: Lang) -> Option<String> {
    let (t, p) = match (a.class, b.class) {
        (Class::Transient, Class::Permanent) => (a.code, b.code),
        (Class::Permanent, Class::Transient) => (b.code, a.code),
        _ => return None,
    };
    Some(match lang {
        Lang::En => format!(
            "Retrying the same command unchanged may work after {t}, and will not after {p}."
        ),
        Lang::Vi => format!(
            "Gửi lại nguyên lệnh cũ có thể thành công sau {t}, nhưng sẽ không thành công sau {p}."
        ),
    })
}

fn middle_difference(a: u16, b: u16, lang: Lang) -> String {
    let (ta, tb) = (second_digit_topic(a, lang), second_digit_topic(b, lang));
    match (lang, ta == tb) {
        (Lang::En, true) => format!("Both concern {ta}."),
        (Lang::En, false) => format!("{a} concerns {ta}; {b} concerns {tb}."),
        (Lang::Vi, true) => format!("Cả hai đều liên quan đến {ta}."),
        (Lang::Vi, false) => format!("{a} liên quan đến {ta}; {b} liên quan đến {tb}."),
    }
}

fn closing_difference(a: u16, b: u16, lang: Lang) -> Option<String> {
    let (ca, cb) = (CLOSES_CONTROL.contains(&a), CLOSES_CONTROL.contains(&b));
    let (closing, open) = match (ca, cb) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        (true, true) => {
            return Some(match lang {
                Lang::En => format!(
                    "Both {a} and {b} end the session: the server closes the control connection."
                ),
                Lang::Vi => {
                    format!("Cả {a} và {b} đều kết thúc phiên: máy chủ đóng kết nối điều khiển.")
                }
            })
        }
        (false, false) => return None,
    };
    Some(match lang {
        Lang::En => format!(
            "After {closing} the server closes the control connection; after {open} the \
             session goes on."
        ),
        Lang::Vi => {
            format!("Sau {closing} máy chủ đóng kết nối điều khiển; sau {open} phiên vẫn tiếp tục.")
        }
    })
}

fn command_list(commands: &[&str], lang: Lang) -> String {
    commands
        .iter()
        .map(|c| {
            if *c == "*" {
                labels(lang).any_command.to_string()
            } else {
                (*c).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn commands_difference(a: &Entry, b: &Entry, lang: Lang) -> String {
    let la = command_list(a.commands, lang);
    let lb = command_list(b.commands, lang);
    let shared: Vec<&str> = a
        .commands
        .iter()
        .copied()
        .filter(|c| b.commands.contains(c))
        .collect();
    if shared.is_empty() || a.commands.contains(&"*") || b.commands.contains(&"*") {
        return match lang {
            Lang::En => format!("{} answers {la}; {} answers {lb}.", a.code, b.code),
            Lang::Vi => format!(
                "{} là phản hồi cho {la}; {} là phản hồi cho {lb}.",
                a.code, b.code
            ),
        };
    }
    let only = |x: &Entry, y: &Entry| -> Vec<&'static str> {
        x.commands
            .iter()
            .copied()
            .filter(|c| !y.commands.contains(c))
            .collect()
    };
    let mut parts = vec![match lang {
        Lang::En => format!("Both can answer {}", command_list(&shared, lang)),
        Lang::Vi => format!(
            "Cả hai đều có thể là phản hồi cho {}",
            command_list(&shared, lang)
        ),
    }];
    for (x, y) in [(a, b), (b, a)] {
        let o = only(x, y);
        if !o.is_empty() {
            parts.push(match lang {
                Lang::En => format!("only {} answers {}", x.code, command_list(&o, lang)),
                Lang::Vi => format!("chỉ {} là phản hồi cho {}", x.code, command_list(&o, lang)),
            });
        }
    }
    format!("{}.", parts.join("; "))
}

/// The first RFC a page cites, e.g. "RFC 959".
fn first_rfc(rfc: &str) -> &str {
    let end = rfc
        .char_indices()
        .skip(4)
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rfc.len(), |(i, _)| i);
    &rfc[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroftp_proto::catalogue::{lookup, CODES, MESSAGES};

    #[test]
    fn every_catalogue_code_has_a_page_in_every_language() {
        for lang in Lang::ALL {
            for c in CODES {
                assert!(
                    entry(c.code, lang).is_some(),
                    "{} has no {lang} page",
                    c.code
                );
            }
            assert_eq!(all(lang).count(), CODES.len(), "{lang}");
        }
    }

    #[test]
    fn no_page_for_a_code_outside_the_catalogue() {
        for lang in Lang::ALL {
            for p in pages(lang) {
                assert!(
                    lookup(p.code).is_some(),
                    "{lang} page for unknown {}",
                    p.code
                );
            }
            for n in pair_notes(lang) {
                assert!(
                    lookup(n.a).is_some() && lookup(n.b).is_some(),
                    "{lang} pair"
                );
            }
        }
        for x in META {
            assert!(lookup(x.code).is_some(), "META for unknown {}", x.code);
        }
    }

    #[test]
    fn tables_are_sorted_and_unique() {
        for lang in Lang::ALL {
            for w in pages(lang).windows(2) {
                assert!(
                    w[0].code < w[1].code,
                    "{lang}: {} then {}",
                    w[0].code,
                    w[1].code
                );
            }
        }
        for w in META.windows(2) {
            assert!(
                w[0].code < w[1].code,
                "META: {} then {}",
                w[0].code,
                w[1].code
            );
        }
        let codes: Vec<u16> = all(Lang::En).map(|e| e.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn every_server_message_code_has_a_page() {
        for (msg, code, _) in MESSAGES {
            for lang in Lang::ALL {
                assert!(
                    entry(*code, lang).is_some(),
                    "{msg:?} ({code}) has no {lang} page"
                );
            }
        }
    }

    #[test]
    fn no_field_is_empty() {
        for lang in Lang::ALL {
            for e in all(lang) {
                for (name, text) in [
                    ("title", e.title),
                    ("class_text", e.class_text),
                    ("second_digit", e.second_digit),
                    ("description", e.description),
                    ("when", e.when),
                    ("fix", e.fix),
                    ("rfc", e.rfc),
                ] {
                    assert!(!text.trim().is_empty(), "{} {lang}: empty {name}", e.code);
                    assert!(
                        text.lines().all(|l| !l.trim().is_empty()),
                        "{} {lang}: blank line in {name}",
                        e.code
                    );
                    assert_eq!(
                        text,
                        text.trim(),
                        "{} {lang}: {name} has outer blanks",
                        e.code
                    );
                    assert!(
                        !text.contains("  "),
                        "{} {lang}: double space in {name}",
                        e.code
                    );
                }
                assert!(!e.commands.is_empty(), "{} has no commands", e.code);
                assert!(e.rfc.starts_with("RFC "), "{}: {}", e.code, e.rfc);
                assert_eq!(e.class.digit() as u16, e.code / 100);
                assert_eq!(e.lang, lang);
            }
        }
    }

    #[test]
    fn texts_differ_between_languages() {
        for e in all(Lang::En) {
            let v = entry(e.code, Lang::Vi).unwrap();
            assert_ne!(e.description, v.description, "{}", e.code);
            assert_ne!(e.when, v.when, "{}", e.code);
            assert_ne!(e.fix, v.fix, "{}", e.code);
        }
    }

    #[test]
    fn vietnamese_pages_use_diacritics() {
        // Every Vietnamese page should contain letters outside ASCII (ệ, ạ, đ...).
        for e in all(Lang::Vi) {
            for text in [e.title, e.description, e.when, e.fix] {
                assert!(!text.is_ascii(), "{}: {text:?} has no diacritics", e.code);
            }
        }
    }

    #[test]
    fn page_503_names_the_common_sequences() {
        for lang in Lang::ALL {
            let e = entry(503, lang).unwrap();
            let text = format!("{}\n{}\n{}", e.description, e.when, e.fix);
            for word in [
                "USER", "PASS", "RNFR", "RNTO", "PASV", "EPSV", "RETR", "STOR", "LIST", "AUTH TLS",
                "PBSZ", "PROT", "REST", "HOST",
            ] {
                assert!(text.contains(word), "503 {lang} does not name {word}");
            }
        }
    }

    #[test]
    fn specific_pages_name_their_usual_causes() {
        let en = |code| {
            let e = entry(code, Lang::En).unwrap();
            format!("{} {} {}", e.description, e.when, e.fix).to_lowercase()
        };
        for word in ["firewall", "nat", "passive", "--passive-address"] {
            assert!(en(425).contains(word), "425 lacks {word}");
        }
        for word in ["password", "tls", "anonymous"] {
            assert!(en(530).contains(word), "530 lacks {word}");
        }
        for word in ["permission", "no such file", "root"] {
            assert!(en(550).contains(word), "550 lacks {word}");
        }
        for word in ["limit", "idle", "shutting down"] {
            assert!(en(421).contains(word), "421 lacks {word}");
        }
        assert!(en(534).contains("ccc"));
        assert!(en(522).contains("epsv"));
        assert!(en(536).contains("prot p"));
    }

    #[test]
    fn classes() {
        assert_eq!(Class::of(503), Some(Class::Permanent));
        assert_eq!(Class::of(110), Some(Class::Preliminary));
        assert_eq!(Class::of(633), Some(Class::Protected));
        assert_eq!(Class::of(99), None);
        assert_eq!(Class::of(700), None);
        assert_eq!(
            entry(503, Lang::En).unwrap().class_text,
            "5yz Permanent Negative Completion"
        );
        assert!(entry(503, Lang::En)
            .unwrap()
            .second_digit
            .starts_with("x0z Syntax"));
        assert!(entry(550, Lang::Vi)
            .unwrap()
            .second_digit
            .contains("Hệ thống tệp"));
    }

    #[test]
    fn nearest_codes() {
        assert_eq!(nearest(599), vec![555, 554, 553]);
        // A known code is left out of its own suggestions.
        assert_eq!(nearest(504), vec![503, 502, 501]);
        assert_eq!(nearest(0), vec![110, 120, 125]);
        assert_eq!(nearest(9999), vec![633, 632, 631]);
        // Same class and middle digit before numeric distance.
        assert_eq!(nearest(439), vec![431, 450, 451]);
        assert_eq!(nearest(240), vec![235, 234, 232]);
        for code in [0, 100, 199, 299, 399, 499, 599, 699, 700, 1000] {
            let n = nearest(code);
            assert_eq!(n.len(), 3, "{code}");
            assert!(n.iter().all(|c| lookup(*c).is_some()), "{code}");
        }
    }

    #[test]
    fn reply_lines() {
        assert_eq!(parse_reply_line("503 Bad sequence of commands"), Some(503));
        assert_eq!(parse_reply_line("503-First line of a reply"), Some(503));
        assert_eq!(parse_reply_line("  503"), Some(503));
        assert_eq!(parse_reply_line("503"), Some(503));
        assert_eq!(parse_reply_line("503\r\n"), Some(503));
        assert_eq!(parse_reply_line("211-Features:"), Some(211));
        assert_eq!(parse_reply_line("< 530 Login incorrect."), Some(530));
        assert_eq!(
            parse_reply_line("Response:\t425 Can't open data connection."),
            Some(425)
        );
        assert_eq!(
            parse_reply_line("2024-05-01 12:00:03 <--- 550 No such file or directory."),
            Some(550)
        );
        assert_eq!(
            parse_reply_line("ftplib.error_perm: 553 File name not allowed."),
            Some(553)
        );
        // Any three digits parse; whether the code is known is the caller's question.
        assert_eq!(parse_reply_line("999 nonsense"), Some(999));
        assert_eq!(parse_reply_line("5030 too long"), None);
        assert_eq!(parse_reply_line("50 too short"), None);
        assert_eq!(parse_reply_line("abc"), None);
        assert_eq!(parse_reply_line(""), None);
        assert_eq!(parse_reply_line("503x"), None);
        assert_eq!(parse_reply_line("[pid 123] hello"), None);
        assert_eq!(parse_reply_line("５０３ full-width digits"), None);
    }

    #[test]
    fn compare_220_and_503() {
        for lang in Lang::ALL {
            let c = compare(220, 503, lang).unwrap();
            assert!(c.differences.len() >= 3, "{lang}: {:?}", c.differences);
            let all = c.differences.join("\n");
            assert!(all.contains("2yz") && all.contains("5yz"), "{lang}: {all}");
            assert!(all.contains("x2z") && all.contains("x0z"), "{lang}: {all}");
            assert!(c.when_which.contains("220") && c.when_which.contains("503"));
            assert!(c.differences.iter().all(|d| !d.trim().is_empty()));
        }
        let en = compare(220, 503, Lang::En).unwrap();
        assert!(
            en.differences.iter().any(|d| d.contains("succeeded")),
            "{en:?}"
        );
    }

    #[test]
    fn compare_uses_pair_notes_either_way_round() {
        let ab = compare(450, 550, Lang::En).unwrap();
        let ba = compare(550, 450, Lang::En).unwrap();
        assert_eq!(ab.differences[0], ba.differences[0]);
        assert!(ab
            .differences
            .iter()
            .any(|d| d.contains("may work after 450")));
        let vi = compare(425, 426, Lang::Vi).unwrap();
        assert!(vi.when_which.contains("425") && vi.when_which.contains("426"));
        let q = compare(221, 421, Lang::En).unwrap();
        assert!(q
            .differences
            .iter()
            .any(|d| d.contains("Both 221 and 421 end")));
    }

    #[test]
    fn compare_names_shared_and_distinct_commands() {
        let c = compare(425, 426, Lang::En).unwrap();
        let all = c.differences.join("\n");
        assert!(all.contains("Both can answer RETR, STOR"), "{all}");
        assert!(all.contains("only 425 answers PASV, EPSV"), "{all}");
        assert!(all.contains("only 426 answers ABOR"), "{all}");
        let c = compare(230, 234, Lang::En).unwrap();
        assert!(c
            .differences
            .iter()
            .any(|d| d == "230 comes from RFC 959; 234 from RFC 2228."));
        assert_eq!(first_rfc("RFC 2228 §5; RFC 4217"), "RFC 2228");
        assert_eq!(first_rfc("RFC 1639"), "RFC 1639");
    }

    #[test]
    fn compare_unknown_codes() {
        assert_eq!(compare(220, 599, Lang::En), None);
        assert_eq!(compare(0, 503, Lang::Vi), None);
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(labels(Lang::Vi).description, "Mô tả");
        assert_eq!(labels(Lang::Vi).when, "Khi bạn thấy mã này");
        assert_eq!(labels(Lang::Vi).fix, "Cách khắc phục");
        assert_eq!(labels(Lang::Vi).key_differences, "Sự khác biệt chính");
        assert_eq!(labels(Lang::Vi).when_which, "Khi nào dùng cái nào");
        assert_eq!(labels(Lang::En).when, "When you see it");
    }
}
