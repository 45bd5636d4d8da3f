//! Control-connection parsing: splitting the byte stream into lines ([`LineBuffer`]),
//! removing Telnet commands ([`strip_telnet`]) and turning a line into a [`Command`]
//! ([`parse_line`]).
//!
//! Everything here takes client-controlled bytes, so nothing may panic and memory stays
//! bounded whatever the client sends.

use std::collections::VecDeque;
use std::fmt;

use crate::command::{Command, Verb, HTTP_VERBS};

/// The longest command line accepted, in bytes, not counting the final LF. Longer lines are
/// dropped and reported as [`LineEvent::TooLong`].
pub const MAX_LINE: usize = 4096;

/// Longest verb kept in [`Command::Unknown`], in characters: the verb is echoed in the reply and
/// logged, so a client must not be able to make either arbitrarily long.
const MAX_UNKNOWN_VERB: usize = 32;

/// Telnet "interpret as command" escape byte.
const IAC: u8 = 255;

/// What a [`LineBuffer`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    /// A complete line without its terminator (LF, or CRLF).
    Line(Vec<u8>),
    /// A line longer than [`MAX_LINE`] bytes arrived and was discarded; one event per such line.
    TooLong,
}

/// A bounded accumulator of control-connection bytes that yields one line at a time.
///
/// Lines end at LF; a CR right before the LF is removed, so both CRLF and bare LF work. The
/// unfinished tail never holds more than [`MAX_LINE`] bytes: once a line grows past that, the
/// rest of it is thrown away as it arrives and a single [`LineEvent::TooLong`] is reported when
/// its LF finally shows up. Bytes received after that are read as normal lines again.
#[derive(Debug, Clone, Default)]
pub struct LineBuffer {
    /// Events for lines already complete, oldest first. Splitting eagerly in `extend` is what
    /// keeps the partial line bounded even when the caller does not drain between reads.
    ready: VecDeque<LineEvent>,
    /// The start of the line still waiting for its LF; at most `MAX_LINE` bytes.
    partial: Vec<u8>,
    /// Inside an overlong line: drop everything up to the next LF.
    discarding: bool,
}

impl LineBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the connection, splitting off every line they complete.
    pub fn extend(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(lf) => {
                    let segment = &rest[..lf];
                    rest = &rest[lf + 1..];
                    self.finish_line(segment);
                }
                None => {
                    self.push_partial(rest);
                    break;
                }
            }
        }
    }

    /// Ends the current line with `segment` as its last bytes (the LF itself excluded).
    fn finish_line(&mut self, segment: &[u8]) {
        if self.discarding {
            self.discarding = false;
            self.ready.push_back(LineEvent::TooLong);
        } else if self.partial.len() + segment.len() > MAX_LINE {
            self.partial.clear();
            self.ready.push_back(LineEvent::TooLong);
        } else {
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(segment);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.ready.push_back(LineEvent::Line(line));
        }
    }

    /// Adds bytes of a line whose LF has not arrived yet.
    fn push_partial(&mut self, bytes: &[u8]) {
        if self.discarding {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE {
            // Free the memory now rather than when the LF comes, which may be never.
            self.partial = Vec::new();
            self.discarding = true;
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    /// The next complete line (or overlong-line report), or `None` until more bytes arrive.
    pub fn next_event(&mut self) -> Option<LineEvent> {
        self.ready.pop_front()
    }

    /// Whether no received byte is pending: no complete line, no partial line and no overlong
    /// line being skipped. The I/O layer checks this before a TLS upgrade, because plaintext
    /// pipelined behind `AUTH TLS` must not be taken as if it had come through TLS.
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty() && self.partial.is_empty() && !self.discarding
    }

    /// Bytes currently held, for the memory-bound tests.
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        let lines: usize = self
            .ready
            .iter()
            .map(|e| match e {
                LineEvent::Line(l) => l.len(),
                LineEvent::TooLong => 0,
            })
            .sum();
        lines + self.partial.len()
    }
}

/// Removes Telnet command sequences from a line (RFC 854), as RFC 959 asks of the control
/// connection.
///
/// * `IAC IAC` is an escaped data byte 255 and becomes one 255 byte.
/// * `IAC WILL|WONT|DO|DONT option` (three bytes) is a negotiation and is removed.
/// * `IAC` followed by any other command byte (240..=254, e.g. IP or DM) is removed with it.
/// * A lone `IAC` (followed by a data byte, or last) is removed by itself: clients send
///   `IAC IP IAC DM ABOR` with the DM as TCP urgent data, which the socket may take out of
///   the stream, leaving `IAC IP IAC ABOR`.
pub fn strip_telnet(line: &[u8]) -> Vec<u8> {
    if !line.contains(&IAC) {
        return line.to_vec();
    }
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let byte = line[i];
        if byte != IAC {
            out.push(byte);
            i += 1;
            continue;
        }
        i += match line.get(i + 1) {
            Some(&IAC) => {
                out.push(IAC);
                2
            }
            // WILL, WONT, DO, DONT carry an option byte; a missing one ends the loop anyway.
            Some(251..=254) => 3,
            Some(&cmd) if cmd >= 240 => 2,
            _ => 1,
        };
    }
    out
}

/// Why a line could not be turned into a [`Command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The line is empty or only whitespace; the server ignores it without a reply.
    Empty,
    /// The line is not valid UTF-8 (RFC 2640 requires UTF-8 path names).
    NotUtf8,
    /// The line was longer than [`MAX_LINE`] (reported by [`LineBuffer`] as
    /// [`LineEvent::TooLong`]).
    TooLong,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => f.write_str("empty command line"),
            ParseError::NotUtf8 => f.write_str("command line is not valid UTF-8"),
            ParseError::TooLong => write!(f, "command line longer than {MAX_LINE} bytes"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses one command line (without its line ending) into a [`Command`].
///
/// Telnet sequences are removed first. The verb is the word up to the first space, matched
/// case-insensitively; spaces and tabs before it are skipped. The argument is everything after
/// the one space that follows the verb, kept verbatim because file names may begin or end with
/// spaces; a verb alone, or followed by a single space, has no argument.
pub fn parse_line(line: &[u8]) -> Result<Command, ParseError> {
    let text = String::from_utf8(strip_telnet(line)).map_err(|_| ParseError::NotUtf8)?;
    if text.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let body = text.trim_start_matches([' ', '\t']);
    let (word, arg) = match body.split_once(' ') {
        Some((word, "")) => (word, None),
        Some((word, arg)) => (word, Some(arg)),
        None => (body, None),
    };
    // A stray CR or tab after a lone verb ("NOOP\r\r\n") should not make it unknown.
    let word = word.trim_end_matches(|c: char| c.is_ascii_whitespace());

    if let Some(verb) = Verb::from_wire(word) {
        return Ok(Command::Known {
            verb,
            arg: arg.map(str::to_owned),
        });
    }
    if HTTP_VERBS.iter().any(|v| v.eq_ignore_ascii_case(word)) {
        return Ok(Command::Http(text));
    }
    Ok(Command::Unknown(unknown_verb(word)))
}

/// The form of an unknown verb that is safe to echo back and log: uppercased, capped in
/// length, and with control characters replaced so they cannot reach a terminal.
fn unknown_verb(word: &str) -> String {
    word.chars()
        .take(MAX_UNKNOWN_VERB)
        .map(|c| {
            if c.is_control() {
                '?'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `chunks` and returns every event produced.
    fn events(chunks: &[&[u8]]) -> Vec<LineEvent> {
        let mut buf = LineBuffer::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend(chunk);
            while let Some(ev) = buf.next_event() {
                out.push(ev);
            }
        }
        out
    }

    fn line(s: &str) -> LineEvent {
        LineEvent::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn crlf_and_bare_lf() {
        assert_eq!(
            events(&[b"USER a\r\nPASS b\nNOOP\r\n"]),
            vec![line("USER a"), line("PASS b"), line("NOOP")]
        );
    }

    #[test]
    fn only_the_cr_before_lf_is_removed() {
        assert_eq!(events(&[b"a\r\r\n\rb\r\n"]), vec![line("a\r"), line("\rb")]);
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(events(&[b"\r\n\n"]), vec![line(""), line("")]);
    }

    #[test]
    fn split_reads_join_up() {
        assert_eq!(
            events(&[b"US", b"ER x", b"\r", b"\nPA", b"SS y\r\n"]),
            vec![line("USER x"), line("PASS y")]
        );
    }

    #[test]
    fn partial_line_waits() {
        let mut buf = LineBuffer::new();
        assert!(buf.is_empty());
        buf.extend(b"NOOP");
        assert_eq!(buf.next_event(), None);
        assert!(!buf.is_empty());
        buf.extend(b"\r\n");
        assert!(!buf.is_empty());
        assert_eq!(buf.next_event(), Some(line("NOOP")));
        assert_eq!(buf.next_event(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn pipelined_line_after_auth_is_visible() {
        let mut buf = LineBuffer::new();
        buf.extend(b"AUTH TLS\r\nUSER evil\r\n");
        assert_eq!(buf.next_event(), Some(line("AUTH TLS")));
        assert!(!buf.is_empty());
    }

    #[test]
    fn line_of_exactly_max_is_accepted() {
        let mut data = vec![b'a'; MAX_LINE];
        data.push(b'\n');
        assert_eq!(
            events(&[&data]),
            vec![LineEvent::Line(vec![b'a'; MAX_LINE])]
        );
        // The CR counts until it is known to precede the LF, the same in any chunking.
        let mut data = vec![b'a'; MAX_LINE - 1];
        data.extend_from_slice(b"\r\n");
        assert_eq!(
            events(&[&data]),
            vec![LineEvent::Line(vec![b'a'; MAX_LINE - 1])]
        );
    }

    #[test]
    fn too_long_in_one_chunk_then_recovers() {
        let mut data = vec![b'a'; MAX_LINE + 1];
        data.extend_from_slice(b"\r\nNOOP\r\n");
        assert_eq!(events(&[&data]), vec![LineEvent::TooLong, line("NOOP")]);
    }

    #[test]
    fn too_long_across_chunks_reports_once_and_stays_bounded() {
        let mut buf = LineBuffer::new();
        let chunk = vec![b'x'; 1000];
        for _ in 0..100 {
            buf.extend(&chunk);
            assert_eq!(buf.next_event(), None);
            assert!(buf.held_bytes() <= MAX_LINE);
        }
        assert!(!buf.is_empty());
        buf.extend(b"yyy\r\nPWD\r\n");
        assert_eq!(buf.next_event(), Some(LineEvent::TooLong));
        assert_eq!(buf.next_event(), Some(line("PWD")));
        assert_eq!(buf.next_event(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn lines_before_an_overlong_tail_survive() {
        let mut data = b"NOOP\r\n".to_vec();
        data.extend(vec![b'z'; MAX_LINE * 3]);
        let mut buf = LineBuffer::new();
        buf.extend(&data);
        assert_eq!(buf.next_event(), Some(line("NOOP")));
        assert_eq!(buf.next_event(), None);
        buf.extend(b"\nQUIT\n");
        assert_eq!(buf.next_event(), Some(LineEvent::TooLong));
        assert_eq!(buf.next_event(), Some(line("QUIT")));
    }

    #[test]
    fn telnet_escaped_iac_is_data() {
        assert_eq!(strip_telnet(b"a\xff\xffb"), b"a\xffb");
    }

    #[test]
    fn telnet_negotiation_removed() {
        assert_eq!(strip_telnet(b"\xff\xfb\x01NO\xff\xfe\x03OP"), b"NOOP");
        // Truncated negotiation at the end.
        assert_eq!(strip_telnet(b"NOOP\xff\xfd"), b"NOOP");
    }

    #[test]
    fn telnet_commands_removed() {
        assert_eq!(strip_telnet(b"\xff\xf4\xff\xf2ABOR"), b"ABOR");
        assert_eq!(strip_telnet(b"\xff\xf0\xff\xf1X"), b"X");
    }

    #[test]
    fn lone_iac_removed() {
        // DM taken out as urgent data.
        assert_eq!(strip_telnet(b"\xff\xf4\xffABOR"), b"ABOR");
        assert_eq!(strip_telnet(b"ABOR\xff"), b"ABOR");
        assert_eq!(strip_telnet(b"\xff"), b"");
    }

    #[test]
    fn no_iac_is_unchanged() {
        assert_eq!(strip_telnet(b"RETR a b"), b"RETR a b");
    }

    #[test]
    fn abor_with_telnet_prefix_parses() {
        assert_eq!(
            parse_line(b"\xff\xf4\xff\xf2ABOR"),
            Ok(Command::new(Verb::Abor, None))
        );
        assert_eq!(
            parse_line(b"\xff\xf4\xffABOR"),
            Ok(Command::new(Verb::Abor, None))
        );
    }

    #[test]
    fn verbs_are_case_insensitive() {
        for l in ["user bob", "USER bob", "UsEr bob"] {
            assert_eq!(
                parse_line(l.as_bytes()),
                Ok(Command::new(Verb::User, Some("bob")))
            );
        }
        assert_eq!(parse_line(b"xpwd"), Ok(Command::new(Verb::Pwd, None)));
    }

    #[test]
    fn leading_spaces_tolerated() {
        assert_eq!(parse_line(b"  NOOP"), Ok(Command::new(Verb::Noop, None)));
        assert_eq!(
            parse_line(b" \tCWD x"),
            Ok(Command::new(Verb::Cwd, Some("x")))
        );
    }

    #[test]
    fn argument_kept_verbatim() {
        assert_eq!(
            parse_line(b"RETR  my file.txt "),
            Ok(Command::new(Verb::Retr, Some(" my file.txt ")))
        );
        assert_eq!(
            parse_line(b"STOR a b  c"),
            Ok(Command::new(Verb::Stor, Some("a b  c")))
        );
        assert_eq!(
            parse_line("MKD \u{e9}t\u{e9}".as_bytes()),
            Ok(Command::new(Verb::Mkd, Some("\u{e9}t\u{e9}")))
        );
    }

    #[test]
    fn no_argument() {
        assert_eq!(parse_line(b"PWD"), Ok(Command::new(Verb::Pwd, None)));
        assert_eq!(parse_line(b"PWD "), Ok(Command::new(Verb::Pwd, None)));
        assert_eq!(parse_line(b"PWD  "), Ok(Command::new(Verb::Pwd, Some(" "))));
        assert_eq!(parse_line(b"NOOP\r"), Ok(Command::new(Verb::Noop, None)));
    }

    #[test]
    fn empty_lines() {
        for l in [
            &b""[..],
            b"   ",
            b"\t",
            b"\r",
            b"\xff\xf4",
            b" \xff\xff"[..2].as_ref(),
        ] {
            assert_eq!(parse_line(l), Err(ParseError::Empty), "{l:?}");
        }
    }

    #[test]
    fn not_utf8() {
        assert_eq!(parse_line(b"RETR \xc3("), Err(ParseError::NotUtf8));
        assert_eq!(parse_line(b"RETR \xff\xff"), Err(ParseError::NotUtf8));
        assert_eq!(parse_line(b"\x80"), Err(ParseError::NotUtf8));
    }

    #[test]
    fn unknown_verbs() {
        assert_eq!(parse_line(b"xyzz a"), Ok(Command::Unknown("XYZZ".into())));
        assert_eq!(parse_line(b"RE1R"), Ok(Command::Unknown("RE1R".into())));
        assert_eq!(
            parse_line("\u{e9}t\u{e9}".as_bytes()),
            Ok(Command::Unknown("\u{e9}T\u{e9}".into()))
        );
        assert_eq!(parse_line(b"A\x1bB"), Ok(Command::Unknown("A?B".into())));
        let long = "q".repeat(500);
        assert_eq!(
            parse_line(long.as_bytes()),
            Ok(Command::Unknown("Q".repeat(MAX_UNKNOWN_VERB)))
        );
    }

    #[test]
    fn http_requests() {
        assert_eq!(
            parse_line(b"GET / HTTP/1.1"),
            Ok(Command::Http("GET / HTTP/1.1".into()))
        );
        assert_eq!(
            parse_line(b"post /x HTTP/1.0"),
            Ok(Command::Http("post /x HTTP/1.0".into()))
        );
        assert_eq!(
            parse_line(b"CONNECT host:21 HTTP/1.1"),
            Ok(Command::Http("CONNECT host:21 HTTP/1.1".into()))
        );
        // DELE is FTP, DELETE is HTTP.
        assert_eq!(
            parse_line(b"DELE x"),
            Ok(Command::new(Verb::Dele, Some("x")))
        );
    }

    #[test]
    fn parse_error_display() {
        assert!(ParseError::TooLong.to_string().contains("4096"));
        assert!(!ParseError::Empty.to_string().is_empty());
        assert!(!ParseError::NotUtf8.to_string().is_empty());
    }

    /// Bytes biased towards the ones the line splitter and Telnet stripper care about.
    fn wire_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            6 => any::<u8>(),
            2 => Just(b'\n'),
            2 => Just(b'\r'),
            2 => Just(IAC),
            1 => 240u8..=254,
            2 => Just(b' '),
        ]
    }

    /// A stream mixing short random pieces with long runs that overflow `MAX_LINE`.
    fn wire_stream() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => proptest::collection::vec(wire_byte(), 0..64),
            1 => (0usize..MAX_LINE * 2, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|p| p.concat())
    }

    fn verb_spelling() -> impl Strategy<Value = (&'static str, Verb)> {
        proptest::sample::select(crate::command::VERB_SPELLINGS)
    }

    proptest! {
        #[test]
        fn any_chunking_never_panics_and_stays_bounded(
            data in wire_stream(),
            sizes in proptest::collection::vec(1usize..3000, 1..32),
        ) {
            let mut buf = LineBuffer::new();
            let mut rest = &data[..];
            let mut i = 0;
            let mut got = Vec::new();
            while !rest.is_empty() {
                let n = sizes[i % sizes.len()].min(rest.len());
                i += 1;
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                buf.extend(chunk);
                prop_assert!(buf.held_bytes() <= MAX_LINE + chunk.len());
                while let Some(ev) = buf.next_event() {
                    if let LineEvent::Line(l) = &ev {
                        prop_assert!(l.len() <= MAX_LINE);
                        prop_assert!(!l.contains(&b'\n'));
                        let _ = parse_line(l);
                    }
                    got.push(ev);
                }
                prop_assert!(buf.held_bytes() <= MAX_LINE);
            }
            // The chunking must not change what comes out.
            prop_assert_eq!(got, events(&[&data]));
        }

        #[test]
        fn parse_line_never_panics(line in proptest::collection::vec(wire_byte(), 0..200)) {
            let _ = parse_line(&line);
        }

        #[test]
        fn verb_and_argument_round_trip(
            (spelling, verb) in verb_spelling(),
            lower in proptest::collection::vec(any::<bool>(), 4),
            arg in proptest::option::of(any::<String>()),
        ) {
            let word: String = spelling
                .chars()
                .zip(lower.iter().cycle())
                .map(|(c, &l)| if l { c.to_ascii_lowercase() } else { c })
                .collect();
            let text = match &arg {
                Some(a) => format!("{word} {a}"),
                None => word,
            };
            let expected = arg.filter(|a| !a.is_empty());
            prop_assert_eq!(
                parse_line(text.as_bytes()),
                Ok(Command::Known { verb, arg: expected })
            );
        }

        #[test]
        fn round_trip_through_line_buffer(
            (spelling, verb) in verb_spelling(),
            arg in "[^\r\n]{1,40}",
            crlf in any::<bool>(),
        ) {
            let wire = format!("{spelling} {arg}{}", if crlf { "\r\n" } else { "\n" });
            let mut buf = LineBuffer::new();
            buf.extend(wire.as_bytes());
            let Some(LineEvent::Line(l)) = buf.next_event() else {
                return Err(TestCaseError::fail("no line"));
            };
            prop_assert_eq!(parse_line(&l), Ok(Command::new(verb, Some(&arg))));
            prop_assert!(buf.is_empty());
        }
    }
}
