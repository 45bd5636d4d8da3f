//! TYPE A line-ending conversion, chunk by chunk (RFC 959 3.1.1.1): files are stored with
//! LF line ends and sent as CRLF. Both converters keep one byte of state, so a CR/LF pair
//! split across two network reads is handled.

/// Converts stored text (LF) to the network form (CRLF) for RETR in ASCII mode.
#[derive(Debug, Default, Clone)]
pub struct ToNetwork {
    last_was_cr: bool,
}

impl ToNetwork {
    /// Appends the converted form of `input` to `out`. An LF already preceded by CR is left
    /// alone, so a file that has CRLF line ends is not doubled.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 16);
        for &b in input {
            if b == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(b);
            self.last_was_cr = b == b'\r';
        }
    }
}

/// Converts network text (CRLF) to the stored form (LF) for STOR/APPE in ASCII mode.
#[derive(Debug, Default, Clone)]
pub struct FromNetwork {
    pending_cr: bool,
}

impl FromNetwork {
    /// Appends the converted form of `input` to `out`. A CR is held back until the next
    /// byte shows whether it starts a CRLF pair.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        for &b in input {
            if self.pending_cr {
                self.pending_cr = false;
                if b != b'\n' {
                    out.push(b'\r');
                }
            }
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(b);
            }
        }
    }

    /// Flushes a CR held back at the very end of the upload.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_net(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = ToNetwork::default();
        let mut out = Vec::new();
        for ch in chunks {
            c.convert(ch, &mut out);
        }
        out
    }

    fn from_net(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = FromNetwork::default();
        let mut out = Vec::new();
        for ch in chunks {
            c.convert(ch, &mut out);
        }
        c.finish(&mut out);
        out
    }

    #[test]
    fn lf_becomes_crlf() {
        assert_eq!(to_net(&[b"a\nb\n"]), b"a\r\nb\r\n");
        assert_eq!(to_net(&[b"a\r", b"\nb"]), b"a\r\nb");
    }

    #[test]
    fn crlf_becomes_lf_across_chunks() {
        assert_eq!(from_net(&[b"a\r\nb\r\n"]), b"a\nb\n");
        assert_eq!(from_net(&[b"a\r", b"\nb"]), b"a\nb");
        assert_eq!(from_net(&[b"a\rb\r"]), b"a\rb\r");
    }

    #[test]
    fn round_trip() {
        let text = b"line one\nline two\n\nend";
        assert_eq!(from_net(&[&to_net(&[text])]), text);
    }
}
