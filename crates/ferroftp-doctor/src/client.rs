//! A small FTP client for the doctor: a control connection that reads replies defensively
//! (a timeout on every read, write and connect; caps on line length and reply size) and data
//! connections for listings and the upload/download round trip.
//!
//! Streams are boxed behind [`Stream`], so the TLS layer (AUTH TLS, implicit TLS; see
//! [`super::tls`]) wraps a connection in place without changing the checks.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest reply line read before giving up ("reply too long").
pub const MAX_LINE_BYTES: usize = 8 * 1024;
/// Most lines in one (multi-line) reply before giving up.
pub const MAX_REPLY_LINES: usize = 1000;
/// Most bytes read from one data connection (listings and the round-trip file).
pub const MAX_DATA_BYTES: usize = 16 * 1024 * 1024;

/// Anything a connection can be carried over: plain TCP, or TLS over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Why talking to the server failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// Nothing (or not enough) arrived in time. `partial` shows bytes that came without a
    /// line end, if any.
    Timeout {
        /// The time waited.
        after: Duration,
        /// Bytes received without a line end, escaped for display.
        partial: Option<String>,
    },
    /// The server closed the connection.
    Closed,
    /// The connection failed (reset, refused, unreachable...).
    Io {
        /// The kind of failure.
        kind: io::ErrorKind,
        /// The system's message.
        message: String,
    },
    /// A line that is not an FTP reply (`NNN text`).
    Garbage(String),
    /// A line longer than [`MAX_LINE_BYTES`] (or bytes without any line end).
    LineTooLong(String),
    /// A multi-line reply with more than [`MAX_REPLY_LINES`] lines.
    TooManyLines(u16),
}

impl NetError {
    fn io(e: io::Error) -> NetError {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return NetError::Closed;
        }
        NetError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Timeout {
                after,
                partial: None,
            } => write!(f, "no answer within {}s", after.as_secs_f32()),
            NetError::Timeout {
                after,
                partial: Some(p),
            } => write!(
                f,
                "no complete line within {}s; received without a line end: {p}",
                after.as_secs_f32()
            ),
            NetError::Closed => write!(f, "the server closed the connection"),
            NetError::Io { kind, message } => match kind {
                io::ErrorKind::ConnectionReset => write!(f, "the server reset the connection"),
                io::ErrorKind::ConnectionRefused => write!(f, "connection refused"),
                _ => write!(f, "{message}"),
            },
            NetError::Garbage(line) => write!(f, "not an FTP reply: {line}"),
            NetError::LineTooLong(start) => write!(
                f,
                "reply too long: more than {MAX_LINE_BYTES} bytes without a line end ({start}...)"
            ),
            NetError::TooManyLines(code) => write!(
                f,
                "reply too long: {code} reply with more than {MAX_REPLY_LINES} lines"
            ),
        }
    }
}

/// Shows bytes from the server safely: printable ASCII as is, anything else as `\xNN`, cut
/// after `max` characters of output.
pub fn escape_bytes(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match b {
            b' '..=b'~' => out.push(char::from(b)),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    format!("\"{out}\"")
}

/// A reply, as the core models it: its code and every line's text (the code and separator
/// removed from the first and last lines).
pub use ferroftp_proto::Reply;

/// What the doctor reads off a reply for its reports.
pub trait ReplyExt {
    /// The text of the first line.
    fn text(&self) -> &str;

    /// The whole reply on one line (for reports): `code text`, with a line count when it
    /// is a multi-line reply: `211 Features: [+12]`.
    fn summary(&self) -> String;
}

impl ReplyExt for Reply {
    fn text(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    fn summary(&self) -> String {
        let text = self.text().trim();
        if self.lines.len() > 1 {
            format!("{} {} [+{}]", self.code, text, self.lines.len() - 1)
        } else {
            format!("{} {}", self.code, text)
        }
    }
}

/// How a reply's first line starts.
enum FirstLine {
    /// `NNN text`: the whole reply.
    Single(u16, String),
    /// `NNN-text`: more lines follow, up to one starting with `NNN `.
    Multi(u16, String),
}

/// Parses the first line of a reply.
fn parse_first(line: &str) -> Option<FirstLine> {
    let bytes = line.as_bytes();
    if bytes.len() < 3
        || !bytes[..3].iter().all(u8::is_ascii_digit)
        || !(b'1'..=b'6').contains(&bytes[0])
    {
        return None;
    }
    let code: u16 = line[..3].parse().ok()?;
    match bytes.get(3) {
        None => Some(FirstLine::Single(code, String::new())),
        Some(b' ') => Some(FirstLine::Single(code, line[4..].to_owned())),
        Some(b'-') => Some(FirstLine::Multi(code, line[4..].to_owned())),
        Some(_) => None,
    }
}

/// Connects over TCP within `limit`.
pub async fn connect(addr: SocketAddr, limit: Duration) -> Result<TcpStream, NetError> {
    match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(NetError::io(e)),
        Err(_) => Err(NetError::Timeout {
            after: limit,
            partial: None,
        }),
    }
}

/// A control connection.
pub struct Control {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    /// The server's address, as connected to.
    pub peer: SocketAddr,
    /// This end's address (what the server sees, unless there is NAT in between).
    pub local: SocketAddr,
    /// The limit on each step.
    pub timeout: Duration,
    /// The TLS session, once the connection is secured; its data connections resume it.
    pub tls: Option<super::tls::Session>,
    /// Whether `PROT P` is in effect: data connections then run TLS too.
    pub protected: bool,
}

impl Control {
    /// Connects to `addr` (no greeting is read yet).
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Control, NetError> {
        let tcp = connect(addr, timeout).await?;
        let local = tcp.local_addr().map_err(NetError::io)?;
        let peer = tcp.peer_addr().unwrap_or(addr);
        Ok(Control {
            stream: Box::new(tcp),
            buf: Vec::new(),
            peer,
            local,
            timeout,
            tls: None,
            protected: false,
        })
    }

    /// Takes the transport out (the seam for AUTH TLS: the TLS layer takes the stream, runs
    /// the handshake over it and puts the encrypted stream back with [`Control::set_stream`]).
    /// Anything buffered but unread is dropped: RFC 4217 lets nothing follow the `234`
    /// before the handshake.
    pub fn take_stream(&mut self) -> Box<dyn Stream> {
        let (placeholder, _) = tokio::io::duplex(1);
        self.buf.clear();
        std::mem::replace(&mut self.stream, Box::new(placeholder))
    }

    /// Puts a (wrapped) transport back; see [`Control::take_stream`].
    pub fn set_stream(&mut self, stream: Box<dyn Stream>) {
        self.stream = stream;
    }

    /// Sends one command line (CRLF added).
    pub async fn send(&mut self, line: &str) -> Result<(), NetError> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let limit = self.timeout;
        match tokio::time::timeout(limit, async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(NetError::io(e)),
            Err(_) => Err(NetError::Timeout {
                after: limit,
                partial: None,
            }),
        }
    }

    /// Sends a command and reads its reply.
    pub async fn cmd(&mut self, line: &str) -> Result<Reply, NetError> {
        self.send(line).await?;
        self.reply().await
    }

    /// Reads one whole reply (all lines of a multi-line one) within the step timeout.
    pub async fn reply(&mut self) -> Result<Reply, NetError> {
        self.reply_within(self.timeout).await
    }

    /// Reads one whole reply within `limit`.
    pub async fn reply_within(&mut self, limit: Duration) -> Result<Reply, NetError> {
        match tokio::time::timeout(limit, self.read_reply()).await {
            Ok(r) => r,
            Err(_) => Err(NetError::Timeout {
                after: limit,
                partial: (!self.buf.is_empty()).then(|| escape_bytes(&self.buf, 60)),
            }),
        }
    }

    async fn read_reply(&mut self) -> Result<Reply, NetError> {
        let first = self.read_line().await?;
        match parse_first(&first) {
            None => Err(NetError::Garbage(escape_bytes(first.as_bytes(), 60))),
            Some(FirstLine::Single(code, text)) => Ok(Reply {
                code,
                lines: vec![text],
            }),
            Some(FirstLine::Multi(code, text)) => {
                let mut lines = vec![text];
                let end = format!("{code:03} ");
                loop {
                    if lines.len() >= MAX_REPLY_LINES {
                        return Err(NetError::TooManyLines(code));
                    }
                    let line = self.read_line().await?;
                    if line.starts_with(&end) {
                        lines.push(line[4..].to_owned());
                        return Ok(Reply { code, lines });
                    }
                    if line == end.trim_end() {
                        lines.push(String::new());
                        return Ok(Reply { code, lines });
                    }
                    lines.push(line);
                }
            }
        }
    }

    /// Reads one line, without its CRLF (a bare LF is accepted too). Bytes that are not
    /// UTF-8 are replaced.
    async fn read_line(&mut self) -> Result<String, NetError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(NetError::LineTooLong(escape_bytes(&self.buf, 40)));
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.map_err(NetError::io)?;
            if n == 0 {
                if self.buf.is_empty() {
                    return Err(NetError::Closed);
                }
                return Err(NetError::Garbage(format!(
                    "{} and then the connection closed",
                    escape_bytes(&self.buf, 60)
                )));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Closes politely: QUIT, with a short wait for the `221`; errors are ignored.
    pub async fn quit(mut self) {
        let limit = self.timeout.min(Duration::from_secs(2));
        let _ = tokio::time::timeout(limit, async {
            if self.send("QUIT").await.is_ok() {
                let _ = self.reply().await;
            }
        })
        .await;
    }
}

/// A data connection.
pub struct Data {
    stream: Box<dyn Stream>,
}

impl Data {
    /// Connects to a passive data port within `limit`.
    pub async fn connect(addr: SocketAddr, limit: Duration) -> Result<Data, NetError> {
        let tcp = connect(addr, limit).await?;
        Ok(Data {
            stream: Box::new(tcp),
        })
    }

    /// Wraps an accepted (active mode) or upgraded stream.
    pub fn from_stream(stream: Box<dyn Stream>) -> Data {
        Data { stream }
    }

    /// Takes the transport out (for the TLS handshake of `PROT P`).
    pub fn into_stream(self) -> Box<dyn Stream> {
        self.stream
    }

    /// Reads until the server closes the connection, within `limit` in all; keeps the first
    /// [`MAX_DATA_BYTES`].
    pub async fn read_all(mut self, limit: Duration) -> Result<Vec<u8>, NetError> {
        let mut out = Vec::new();
        let read = async {
            let mut chunk = [0u8; 16 * 1024];
            loop {
                let n = match self.stream.read(&mut chunk).await {
                    Ok(n) => n,
                    // A TLS peer that closes without close_notify: many FTP servers do on
                    // data connections, and the final reply tells whether all was sent.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
                    Err(e) => return Err(NetError::io(e)),
                };
                if n == 0 {
                    return Ok(());
                }
                // Past the cap the rest is read and dropped: a huge listing is no error.
                let room = MAX_DATA_BYTES.saturating_sub(out.len()).min(n);
                out.extend_from_slice(&chunk[..room]);
            }
        };
        match tokio::time::timeout(limit, read).await {
            Ok(Ok(())) => Ok(out),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(NetError::Timeout {
                after: limit,
                partial: None,
            }),
        }
    }

    /// Writes `bytes` and closes the sending side (end of file for STOR), within `limit`.
    /// Keep the connection until the final reply: dropping it with unread bytes (a TLS
    /// session ticket) resets it, which may cut off data the server has not read yet.
    pub async fn write_all(&mut self, bytes: &[u8], limit: Duration) -> Result<(), NetError> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.shutdown().await
        };
        match tokio::time::timeout(limit, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(NetError::io(e)),
            Err(_) => Err(NetError::Timeout {
                after: limit,
                partial: None,
            }),
        }
    }
}

/// A listener for active mode (PORT/EPRT): the server connects to it.
pub struct ActiveListener {
    listener: TcpListener,
    /// The address to announce.
    pub addr: SocketAddr,
}

impl ActiveListener {
    /// Listens on `ip`, any free port.
    pub async fn bind(ip: IpAddr) -> Result<ActiveListener, NetError> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .map_err(NetError::io)?;
        let addr = listener.local_addr().map_err(NetError::io)?;
        Ok(ActiveListener { listener, addr })
    }

    /// Waits up to `limit` for the server's connection.
    pub async fn accept(&self, limit: Duration) -> Result<(Data, SocketAddr), NetError> {
        match tokio::time::timeout(limit, self.listener.accept()).await {
            Ok(Ok((s, from))) => Ok((Data::from_stream(Box::new(s)), from)),
            Ok(Err(e)) => Err(NetError::io(e)),
            Err(_) => Err(NetError::Timeout {
                after: limit,
                partial: None,
            }),
        }
    }
}

/// Parses the address of a `227` reply: the first six comma-separated numbers in the text
/// (RFC 959 gives `h1,h2,h3,h4,p1,p2`; RFC 1123 4.1.2.6 tells clients to scan for them,
/// since the parentheses are not mandatory).
pub fn parse_pasv(text: &str) -> Option<(Ipv4Addr, u16)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    let nums: Vec<u8> = rest[..end]
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if nums.len() != 6 {
        return None;
    }
    let ip = Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]);
    let port = u16::from_be_bytes([nums[4], nums[5]]);
    Some((ip, port))
}

/// Parses the port of a `229` reply: `(<d><d><d>port<d>)` where `<d>` is one delimiter
/// character, the same four times (RFC 2428 section 3).
pub fn parse_epsv(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let close = open + text[open..].find(')')?;
    let inner: Vec<char> = text[open + 1..close].chars().collect();
    if inner.len() < 5 {
        return None;
    }
    let d = inner[0];
    if d.is_ascii_digit() || inner[1] != d || inner[2] != d || *inner.last()? != d {
        return None;
    }
    let port: String = inner[3..inner.len() - 1].iter().collect();
    port.parse().ok().filter(|&p| p != 0)
}

/// The argument of `PORT` for an IPv4 address: `h1,h2,h3,h4,p1,p2`.
pub fn port_arg(ip: Ipv4Addr, port: u16) -> String {
    let [a, b, c, d] = ip.octets();
    let [p1, p2] = port.to_be_bytes();
    format!("{a},{b},{c},{d},{p1},{p2}")
}

/// The argument of `EPRT`: `|1|ip|port|` or `|2|ip|port|`.
pub fn eprt_arg(addr: SocketAddr) -> String {
    let proto = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{proto}|{}|{}|", addr.ip(), addr.port())
}

/// Extracts the path of a `257` reply: the text between the first quote and the quote
/// that closes it, with doubled quotes undone (RFC 959 appendix II).
pub fn parse_quoted_path(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let mut out = String::new();
    let mut chars = text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_addresses() {
        assert_eq!(
            parse_pasv("Entering Passive Mode (10,1,2,3,4,1)."),
            Some((Ipv4Addr::new(10, 1, 2, 3), 1025))
        );
        assert_eq!(
            parse_pasv("Entering Passive Mode 127,0,0,1,200,10"),
            Some((Ipv4Addr::LOCALHOST, 200 * 256 + 10))
        );
        assert_eq!(parse_pasv("Entering Passive Mode (1,2,3)"), None);
        assert_eq!(parse_pasv("(300,1,1,1,1,1)"), None);
    }

    #[test]
    fn epsv_ports() {
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(parse_epsv("ok (!!!21!)"), Some(21));
        assert_eq!(parse_epsv("(|||0|)"), None);
        assert_eq!(parse_epsv("(||6446|)"), None);
        assert_eq!(parse_epsv("no parentheses"), None);
    }

    #[test]
    fn quoted_paths() {
        assert_eq!(
            parse_quoted_path("\"/\" is the current directory"),
            Some("/".into())
        );
        assert_eq!(
            parse_quoted_path("\"/a \"\"b\"\"\" created"),
            Some("/a \"b\"".into())
        );
        assert_eq!(parse_quoted_path("/home"), None);
    }

    #[test]
    fn data_arguments() {
        assert_eq!(port_arg(Ipv4Addr::new(127, 0, 0, 1), 1025), "127,0,0,1,4,1");
        assert_eq!(eprt_arg("[::1]:2121".parse().unwrap()), "|2|::1|2121|");
    }

    #[test]
    fn first_lines() {
        assert!(matches!(
            parse_first("220 ok"),
            Some(FirstLine::Single(220, _))
        ));
        assert!(matches!(
            parse_first("220"),
            Some(FirstLine::Single(220, _))
        ));
        assert!(matches!(
            parse_first("211-Features"),
            Some(FirstLine::Multi(211, _))
        ));
        assert!(parse_first("22O ok").is_none());
        assert!(parse_first("HTTP/1.1 400").is_none());
        assert!(parse_first("2200 ok").is_none());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_bytes(b"ab\x00\r\n", 40), "\"ab\\x00\\r\\n\"");
    }
}
