//! Typed parsers for command arguments, and the formatters for passive-mode replies.
//!
//! Each parser says *why* an argument was refused, because the reply differs: a malformed
//! argument gets `501`, a well-formed but unimplemented parameter `504`, and an unknown network
//! protocol in `EPRT`/`EPSV` gets `522`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::catalogue::Msg;

/// Why an argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgError {
    /// The argument is malformed: reply `501`.
    Syntax,
    /// The argument is valid FTP but names a parameter ferroftp does not implement: reply `504`.
    Unsupported,
    /// `EPRT`/`EPSV` named a network protocol other than IPv4 (1) or IPv6 (2): reply `522`.
    UnsupportedProtocol,
}

impl ArgError {
    /// The catalogue's reply for this error.
    pub fn msg(self) -> Msg {
        match self {
            ArgError::Syntax => Msg::BadArgument,
            ArgError::Unsupported => Msg::ParameterUnsupported,
            ArgError::UnsupportedProtocol => Msg::NetworkProtocolUnsupported,
        }
    }

    /// The reply code the server sends for this error.
    pub fn reply_code(self) -> u16 {
        self.msg().code()
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Syntax => f.write_str("syntax error in parameters or arguments"),
            ArgError::Unsupported => f.write_str("command not implemented for that parameter"),
            ArgError::UnsupportedProtocol => f.write_str("network protocol not supported"),
        }
    }
}

impl std::error::Error for ArgError {}

/// The representation type set by `TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransferType {
    /// `TYPE A` (non-print): text, line endings converted to CRLF on the wire. The RFC 959
    /// default.
    #[default]
    Ascii,
    /// `TYPE I` or `TYPE L 8`: bytes sent unchanged.
    Binary,
}

/// Parses the argument of `TYPE` (RFC 959 section 5.3.2), case-insensitively.
///
/// `A` and `A N` are ASCII; `I`, `L 8` and `L8` are binary. The other valid forms (`E`, the
/// Telnet and carriage-control formats, byte sizes other than 8) are [`ArgError::Unsupported`].
pub fn parse_type(arg: &str) -> Result<TransferType, ArgError> {
    let mut words = arg.split_ascii_whitespace();
    let (Some(code), second, None) = (words.next(), words.next(), words.next()) else {
        return Err(ArgError::Syntax);
    };
    let is_form = |w: &str| matches!(w.to_ascii_uppercase().as_str(), "N" | "T" | "C");
    match (code.to_ascii_uppercase().as_str(), second) {
        ("A", None) => Ok(TransferType::Ascii),
        ("A", Some(form)) if form.eq_ignore_ascii_case("N") => Ok(TransferType::Ascii),
        ("A", Some(form)) if is_form(form) => Err(ArgError::Unsupported),
        ("E", None) => Err(ArgError::Unsupported),
        ("E", Some(form)) if is_form(form) => Err(ArgError::Unsupported),
        ("I", None) => Ok(TransferType::Binary),
        ("L", Some(size)) => local_byte_size(size),
        (word, None) if word.len() > 1 && word.starts_with('L') => local_byte_size(&word[1..]),
        _ => Err(ArgError::Syntax),
    }
}

/// The byte size of `TYPE L`: 8 is binary, any other positive size is unsupported.
fn local_byte_size(size: &str) -> Result<TransferType, ArgError> {
    match parse_decimal::<u8>(size) {
        Some(8) => Ok(TransferType::Binary),
        Some(n) if n > 0 => Err(ArgError::Unsupported),
        _ => Err(ArgError::Syntax),
    }
}

/// Parses the argument of `STRU`: only `F` (file) is implemented; `R` and `P` are
/// [`ArgError::Unsupported`].
pub fn parse_stru(arg: &str) -> Result<(), ArgError> {
    match single_letter(arg) {
        Some('F') => Ok(()),
        Some('R' | 'P') => Err(ArgError::Unsupported),
        _ => Err(ArgError::Syntax),
    }
}

/// Parses the argument of `MODE`: only `S` (stream) is implemented; `B`, `C` and `Z` (the
/// MODE Z compression draft) are [`ArgError::Unsupported`].
pub fn parse_mode(arg: &str) -> Result<(), ArgError> {
    match single_letter(arg) {
        Some('S') => Ok(()),
        Some('B' | 'C' | 'Z') => Err(ArgError::Unsupported),
        _ => Err(ArgError::Syntax),
    }
}

/// The argument as one uppercase letter, if it is exactly one character after trimming.
fn single_letter(arg: &str) -> Option<char> {
    let mut chars = arg.trim_matches(|c: char| c.is_ascii_whitespace()).chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c.to_ascii_uppercase()),
        _ => None,
    }
}

/// Parses the argument of `PORT`: `h1,h2,h3,h4,p1,p2`, six decimal numbers 0..=255 giving the
/// IPv4 address and the port (`p1 * 256 + p2`). Whitespace around the whole argument is
/// tolerated. Port 0 cannot be connected to and is refused as [`ArgError::Syntax`].
///
/// Whether the address may be used (it must be the client's own, against FTP bounce attacks)
/// is the session's decision, not the parser's.
pub fn parse_port(arg: &str) -> Result<SocketAddrV4, ArgError> {
    let mut fields = [0u8; 6];
    let mut parts = arg
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .split(',');
    for field in &mut fields {
        *field = parts
            .next()
            .and_then(parse_decimal::<u8>)
            .ok_or(ArgError::Syntax)?;
    }
    if parts.next().is_some() {
        return Err(ArgError::Syntax);
    }
    let [h1, h2, h3, h4, p1, p2] = fields;
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 {
        return Err(ArgError::Syntax);
    }
    Ok(SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port))
}

/// Parses the argument of `EPRT` (RFC 2428): `<d>proto<d>address<d>port<d>`, where the
/// delimiter `<d>` is the first character (usually `|`), proto is 1 (IPv4) or 2 (IPv6), the
/// address is in that family's text form and the port is 1..=65535.
///
/// A protocol number other than 1 or 2 is [`ArgError::UnsupportedProtocol`]; everything else
/// that does not fit is [`ArgError::Syntax`].
pub fn parse_eprt(arg: &str) -> Result<SocketAddr, ArgError> {
    let arg = arg.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut chars = arg.chars();
    let delim = chars.next().ok_or(ArgError::Syntax)?;
    // RFC 2428 allows ASCII 33..=126; a digit, '.' or ':' would be ambiguous with the fields.
    if !delim.is_ascii_graphic() || delim.is_ascii_alphanumeric() || matches!(delim, '.' | ':') {
        return Err(ArgError::Syntax);
    }
    let fields: Vec<&str> = chars.as_str().split(delim).collect();
    let [proto, addr, port, ""] = fields[..] else {
        return Err(ArgError::Syntax);
    };
    let proto = match proto {
        "1" => 1,
        "2" => 2,
        p if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(ArgError::UnsupportedProtocol)
        }
        _ => return Err(ArgError::Syntax),
    };
    let port = parse_decimal::<u16>(port)
        .filter(|&p| p != 0)
        .ok_or(ArgError::Syntax)?;
    let ip = if proto == 1 {
        addr.parse::<Ipv4Addr>()
            .map(|ip| SocketAddr::V4(SocketAddrV4::new(ip, port)))
    } else {
        addr.parse::<Ipv6Addr>()
            .map(|ip| SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)))
    };
    ip.map_err(|_| ArgError::Syntax)
}

/// The argument of `EPSV` (RFC 2428).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvArg {
    /// No argument: listen on the control connection's address family.
    Any,
    /// `EPSV 1` or `EPSV 2`: the client asks for this network protocol (1 IPv4, 2 IPv6).
    Protocol(u8),
    /// `EPSV ALL`: from now on only `EPSV` may set up data connections.
    All,
}

/// Parses the argument of `EPSV`: none, `ALL` (case-insensitive), or a protocol number. A
/// number other than 1 or 2 is [`ArgError::UnsupportedProtocol`].
pub fn parse_epsv(arg: Option<&str>) -> Result<EpsvArg, ArgError> {
    let Some(arg) = arg else {
        return Ok(EpsvArg::Any);
    };
    let arg = arg.trim_matches(|c: char| c.is_ascii_whitespace());
    match arg {
        "" => Ok(EpsvArg::Any),
        "1" => Ok(EpsvArg::Protocol(1)),
        "2" => Ok(EpsvArg::Protocol(2)),
        a if a.eq_ignore_ascii_case("ALL") => Ok(EpsvArg::All),
        a if a.bytes().all(|b| b.is_ascii_digit()) => Err(ArgError::UnsupportedProtocol),
        _ => Err(ArgError::Syntax),
    }
}

/// Parses the argument of `REST` in stream mode: a byte offset, as a decimal number.
pub fn parse_rest(arg: &str) -> Result<u64, ArgError> {
    parse_decimal::<u64>(arg.trim_matches(|c: char| c.is_ascii_whitespace()))
        .ok_or(ArgError::Syntax)
}

/// Parses the argument of `SITE CHMOD`: an octal mode up to `7777`, one space, and the path,
/// which is returned verbatim (it may begin with spaces, like any file name).
pub fn parse_chmod(arg: &str) -> Result<(u32, &str), ArgError> {
    let arg = arg.trim_start_matches(' ');
    let (mode, path) = arg.split_once(' ').ok_or(ArgError::Syntax)?;
    if path.is_empty()
        || mode.is_empty()
        // Bounding the digit count keeps the value in range before it is computed.
        || mode.len() > 5
        || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Err(ArgError::Syntax);
    }
    let mode = u32::from_str_radix(mode, 8).map_err(|_| ArgError::Syntax)?;
    if mode > 0o7777 {
        return Err(ArgError::Syntax);
    }
    Ok((mode, path))
}

/// Parses an unsigned decimal number made only of ASCII digits: `from_str` alone would also
/// take a leading `+`.
fn parse_decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The text of the `227` reply to `PASV`: `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn format_pasv(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2}).")
}

/// The text of the `229` reply to `EPSV`: `Entering Extended Passive Mode (|||port|)`.
pub fn format_epsv(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_ascii() {
        for a in ["A", "a", "A N", "a n", " A  N ", "A\tN"] {
            assert_eq!(parse_type(a), Ok(TransferType::Ascii), "{a:?}");
        }
    }

    #[test]
    fn type_binary() {
        for a in ["I", "i", "L 8", "l 8", "L8", "l8", "L 08"] {
            assert_eq!(parse_type(a), Ok(TransferType::Binary), "{a:?}");
        }
    }

    #[test]
    fn type_unsupported() {
        for a in ["E", "E N", "e t", "A T", "A C", "L 16", "L16", "L 7", "L 1"] {
            assert_eq!(parse_type(a), Err(ArgError::Unsupported), "{a:?}");
        }
    }

    #[test]
    fn type_syntax() {
        for a in [
            "", " ", "X", "AN", "A X", "A N N", "I N", "L", "L 0", "L 256", "L x", "L +8", "Lx",
            "L 8 8", "\u{e9}", "L\u{e9}",
        ] {
            assert_eq!(parse_type(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn stru() {
        assert_eq!(parse_stru("F"), Ok(()));
        assert_eq!(parse_stru("f"), Ok(()));
        assert_eq!(parse_stru("R"), Err(ArgError::Unsupported));
        assert_eq!(parse_stru("p"), Err(ArgError::Unsupported));
        for a in ["", "X", "FF", "F R", "\u{e9}"] {
            assert_eq!(parse_stru(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn mode() {
        assert_eq!(parse_mode("S"), Ok(()));
        assert_eq!(parse_mode("s "), Ok(()));
        for a in ["B", "c", "Z"] {
            assert_eq!(parse_mode(a), Err(ArgError::Unsupported), "{a:?}");
        }
        for a in ["", "Q", "SS", "S Z"] {
            assert_eq!(parse_mode(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn port_valid() {
        assert_eq!(
            parse_port("192,168,1,2,4,1"),
            Ok(SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 2), 1025))
        );
        assert_eq!(
            parse_port("  10,0,0,1,0,21 "),
            Ok(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 21))
        );
        assert_eq!(
            parse_port("255,255,255,255,255,255"),
            Ok(SocketAddrV4::new(Ipv4Addr::BROADCAST, 65535))
        );
        assert_eq!(
            parse_port("010,0,0,1,0,21"),
            Ok(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 21))
        );
    }

    #[test]
    fn port_invalid() {
        for a in [
            "",
            "1,2,3,4,5",
            "1,2,3,4,5,6,7",
            "1,2,3,4,5,",
            "256,0,0,1,0,21",
            "1,2,3,4,5,-1",
            "1,2,3,4,+5,6",
            "1, 2,3,4,5,6",
            "1,2,3,4,0,0",
            "a,b,c,d,e,f",
            "1.2.3.4,5,6",
            "1,2,3,4,5,99999999999999999999",
            "\u{e9},2,3,4,5,6",
        ] {
            assert_eq!(parse_port(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn eprt_valid() {
        assert_eq!(
            parse_eprt("|1|132.235.1.2|6275|"),
            Ok("132.235.1.2:6275".parse().unwrap())
        );
        assert_eq!(
            parse_eprt("|2|::1|5282|"),
            Ok("[::1]:5282".parse().unwrap())
        );
        assert_eq!(
            parse_eprt("!2!1080::8:800:200C:417A!5282!"),
            Ok("[1080::8:800:200C:417A]:5282".parse().unwrap())
        );
        assert_eq!(
            parse_eprt(" |1|10.0.0.1|65535| "),
            Ok("10.0.0.1:65535".parse().unwrap())
        );
    }

    #[test]
    fn eprt_unsupported_protocol() {
        assert_eq!(
            parse_eprt("|3|1.2.3.4|21|"),
            Err(ArgError::UnsupportedProtocol)
        );
        assert_eq!(
            parse_eprt("|99999999999999999999|x|y|"),
            Err(ArgError::UnsupportedProtocol)
        );
    }

    #[test]
    fn eprt_invalid() {
        for a in [
            "",
            "|",
            "||||",
            "|1|1.2.3.4|21",
            "|1|1.2.3.4|21||",
            "|1|1.2.3.4|0|",
            "|1|1.2.3.4|65536|",
            "|1|1.2.3.4|+21|",
            "|1|::1|21|",
            "|2|1.2.3.4|21|",
            "|1|1.2.3|21|",
            "|1|01.2.3.4|21|",
            "|x|1.2.3.4|21|",
            "|+1|1.2.3.4|21|",
            "1|1|1.2.3.4|21|",
            ".1.1.2.3.4.21.",
            " 1 1.2.3.4 21 ",
            "|2|fe80::1%eth0|21|",
            "\u{e9}1\u{e9}1.2.3.4\u{e9}21\u{e9}",
        ] {
            assert_eq!(parse_eprt(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn epsv() {
        assert_eq!(parse_epsv(None), Ok(EpsvArg::Any));
        assert_eq!(parse_epsv(Some("")), Ok(EpsvArg::Any));
        assert_eq!(parse_epsv(Some("ALL")), Ok(EpsvArg::All));
        assert_eq!(parse_epsv(Some("all")), Ok(EpsvArg::All));
        assert_eq!(parse_epsv(Some("1")), Ok(EpsvArg::Protocol(1)));
        assert_eq!(parse_epsv(Some("2")), Ok(EpsvArg::Protocol(2)));
        for a in ["0", "3", "01", "99999999999999999999999"] {
            assert_eq!(
                parse_epsv(Some(a)),
                Err(ArgError::UnsupportedProtocol),
                "{a:?}"
            );
        }
        for a in ["ALLX", "x", "-1", "+1", "1 2", "\u{e9}"] {
            assert_eq!(parse_epsv(Some(a)), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn rest() {
        assert_eq!(parse_rest("0"), Ok(0));
        assert_eq!(parse_rest("1234"), Ok(1234));
        assert_eq!(parse_rest(" 5 "), Ok(5));
        assert_eq!(parse_rest("18446744073709551615"), Ok(u64::MAX));
        for a in ["", "-1", "+1", "1.5", "x", "18446744073709551616", "1 2"] {
            assert_eq!(parse_rest(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn chmod() {
        assert_eq!(parse_chmod("755 path"), Ok((0o755, "path")));
        assert_eq!(parse_chmod("0644 a b"), Ok((0o644, "a b")));
        assert_eq!(parse_chmod("7777 x"), Ok((0o7777, "x")));
        assert_eq!(parse_chmod("00755 x"), Ok((0o755, "x")));
        assert_eq!(parse_chmod("600  lead"), Ok((0o600, " lead")));
        for a in [
            "",
            "755",
            "755 ",
            "x path",
            "758 path",
            "17777 path",
            "777777777777 path",
            "+755 path",
            "-755 path",
            " path",
        ] {
            assert_eq!(parse_chmod(a), Err(ArgError::Syntax), "{a:?}");
        }
    }

    #[test]
    fn pasv_and_epsv_text() {
        assert_eq!(
            format_pasv(SocketAddrV4::new(Ipv4Addr::new(192, 168, 0, 10), 50001)),
            "Entering Passive Mode (192,168,0,10,195,81)."
        );
        assert_eq!(
            format_epsv(50001),
            "Entering Extended Passive Mode (|||50001|)"
        );
    }

    #[test]
    fn pasv_text_round_trips_through_port() {
        let addr = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 2121);
        let text = format_pasv(addr);
        let inner = text
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(i, _)| i)
            .unwrap_or_default();
        assert_eq!(parse_port(inner), Ok(addr));
    }

    #[test]
    fn reply_codes() {
        assert_eq!(ArgError::Syntax.reply_code(), 501);
        assert_eq!(ArgError::Unsupported.reply_code(), 504);
        assert_eq!(ArgError::UnsupportedProtocol.reply_code(), 522);
    }
}
