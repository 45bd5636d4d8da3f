//! FTP replies and their wire format (RFC 959 section 4.2).

use std::fmt::Write as _;

/// A reply: a three-digit code and one or more lines of text.
///
/// One line is written `220 text`; several are written `211-first`, the middle lines, and
/// `211 last`. A middle line that starts with a digit is indented by one space so that no
/// client can mistake it for the end of the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code, 100..=699.
    pub code: u16,
    /// The text lines; never empty when built through the constructors.
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// A multi-line reply; an empty `lines` becomes one empty line.
    pub fn multi(code: u16, lines: Vec<String>) -> Reply {
        let lines = if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        };
        Reply { code, lines }
    }

    /// Whether the code is a positive preliminary reply (1yz): another reply follows.
    pub fn is_preliminary(&self) -> bool {
        (100..200).contains(&self.code)
    }

    /// Writes the reply in wire form, CRLF-terminated, to `out`.
    pub fn write_wire(&self, out: &mut String) {
        let code = self.code;
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let clean = sanitize(line);
            if self.lines.len() == 1 {
                let _ = write!(out, "{code} {clean}\r\n");
            } else if i == 0 {
                let _ = write!(out, "{code}-{clean}\r\n");
            } else if i == last {
                let _ = write!(out, "{code} {clean}\r\n");
            } else if clean.starts_with(|c: char| c.is_ascii_digit()) {
                let _ = write!(out, " {clean}\r\n");
            } else {
                let _ = write!(out, "{clean}\r\n");
            }
        }
    }

    /// The reply in wire form.
    pub fn to_wire(&self) -> String {
        let mut s = String::new();
        self.write_wire(&mut s);
        s
    }
}

/// Replaces CR and LF inside a line: text that came from a client (a file name, say) must
/// never be able to end a reply line early and forge another reply.
fn sanitize(line: &str) -> std::borrow::Cow<'_, str> {
    if line.contains(['\r', '\n']) {
        std::borrow::Cow::Owned(line.replace(['\r', '\n'], " "))
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        assert_eq!(Reply::new(220, "ready").to_wire(), "220 ready\r\n");
    }

    #[test]
    fn multi_line_indents_digit_lines() {
        let r = Reply::multi(
            211,
            vec![
                "Features:".into(),
                " UTF8".into(),
                "123 x".into(),
                "End".into(),
            ],
        );
        assert_eq!(
            r.to_wire(),
            "211-Features:\r\n UTF8\r\n 123 x\r\n211 End\r\n"
        );
    }

    #[test]
    fn crlf_in_text_cannot_forge_a_reply() {
        let r = Reply::new(550, "bad\r\n230 ok");
        assert_eq!(r.to_wire(), "550 bad  230 ok\r\n");
    }

    #[test]
    fn empty_multi_is_one_line() {
        assert_eq!(Reply::multi(200, vec![]).to_wire(), "200 \r\n");
    }
}
