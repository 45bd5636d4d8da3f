//! A small FTP client for the harness: control replies, PASV/EPSV data connections and the
//! three transfers honest clients make. Every connection can be bound to a chosen loopback
//! source address, so per-address limits and bans on hostile addresses leave honest ones alone.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

/// Longest reply line accepted; a longer one is a server bug, not something to buffer.
const MAX_LINE: u64 = 16 * 1024;

/// One FTP reply: its code and all its text lines joined by `\n`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Three-digit reply code.
    pub code: u16,
    /// Text of the reply, lines joined by `\n`.
    pub text: String,
}

impl Reply {
    /// True for 1xx (a transfer is starting).
    pub fn is_preliminary(&self) -> bool {
        (100..200).contains(&self.code)
    }
}

/// Opens a TCP connection to `to`, from `from` (port chosen by the kernel) when given.
pub async fn connect(to: SocketAddr, from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let socket = if to.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = from {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    socket.connect(to).await
}

/// Like [`connect`], with a small receive buffer so that a client that stops reading makes
/// the server's writes block quickly instead of vanishing into kernel buffers.
pub async fn connect_small_rcvbuf(
    to: SocketAddr,
    from: Option<IpAddr>,
) -> std::io::Result<TcpStream> {
    let socket = if to.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_recv_buffer_size(4096)?;
    if let Some(ip) = from {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    socket.connect(to).await
}

/// A control connection.
pub struct Ctl {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// The server's control address; data connections go to its IP.
    pub server: SocketAddr,
    /// Source address data connections bind to, matching the control connection.
    pub from: Option<IpAddr>,
}

impl Ctl {
    /// Connects and reads the greeting (returned as is, whatever its code).
    pub async fn open(server: SocketAddr, from: Option<IpAddr>) -> Result<(Ctl, Reply)> {
        let stream = connect(server, from).await.context("connect")?;
        let mut ctl = Ctl::from_stream(stream, server, from);
        let greeting = ctl.reply().await.context("greeting")?;
        Ok((ctl, greeting))
    }

    /// Wraps an already connected control stream.
    pub fn from_stream(stream: TcpStream, server: SocketAddr, from: Option<IpAddr>) -> Ctl {
        let (r, w) = stream.into_split();
        Ctl {
            reader: BufReader::new(r),
            writer: w,
            server,
            from,
        }
    }

    /// Reads one reply, multi-line ones included.
    pub async fn reply(&mut self) -> Result<Reply> {
        let first = self.line().await?;
        let code = parse_code(&first)?;
        let mut text = first.get(4..).unwrap_or("").to_owned();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = self.line().await?;
                text.push('\n');
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Ok(Reply { code, text })
    }

    async fn line(&mut self) -> Result<String> {
        let mut buf = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .await?;
        if n == 0 {
            bail!("connection closed by server");
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Sends one command line (CRLF added).
    pub async fn send(&mut self, line: &str) -> Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.writer.write_all(&bytes).await?;
        Ok(())
    }

    /// Writes raw bytes on the control connection (pipeliners use it).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes).await
    }

    /// Sends a command and reads its reply.
    pub async fn cmd(&mut self, line: &str) -> Result<Reply> {
        self.send(line).await?;
        self.reply().await
    }

    /// Sends a command and fails unless the reply has code `want`.
    pub async fn expect(&mut self, line: &str, want: u16) -> Result<Reply> {
        let verb = line.split(' ').next().unwrap_or(line);
        let r = self.cmd(line).await?;
        if r.code != want {
            bail!("{verb}: {} {}", r.code, r.text);
        }
        Ok(r)
    }

    /// USER then PASS; returns the reply to PASS (or to USER when it was not 331).
    pub async fn login(&mut self, user: &str, pass: &str) -> Result<Reply> {
        let r = self.cmd(&format!("USER {user}")).await?;
        if r.code != 331 {
            return Ok(r);
        }
        self.cmd(&format!("PASS {pass}")).await
    }

    /// Asks for a passive data address: PASV over IPv4, EPSV over IPv6. The server's control
    /// IP is used whatever PASV advertises, as most clients do.
    pub async fn passive(&mut self) -> Result<SocketAddr> {
        let port = if self.server.is_ipv4() {
            let r = self.cmd("PASV").await?;
            if r.code != 227 {
                bail!("PASV: {} {}", r.code, r.text);
            }
            parse_pasv_port(&r.text)?
        } else {
            let r = self.cmd("EPSV").await?;
            if r.code != 229 {
                bail!("EPSV: {} {}", r.code, r.text);
            }
            parse_epsv_port(&r.text)?
        };
        Ok(SocketAddr::new(self.server.ip(), port))
    }

    /// Opens a passive data connection; returns it with the port it went to.
    pub async fn open_data(&mut self) -> Result<(TcpStream, u16)> {
        let addr = self.passive().await?;
        let data = connect(addr, self.from).await.context("data connect")?;
        Ok((data, addr.port()))
    }

    /// Runs a command that sends data to the client (RETR, LIST, NLST) and returns the bytes.
    pub async fn download(&mut self, line: &str) -> Result<Vec<u8>> {
        let verb = line.split(' ').next().unwrap_or(line).to_owned();
        let (mut data, _) = self.open_data().await?;
        let r = self.cmd(line).await?;
        if !r.is_preliminary() {
            bail!("{verb}: {} {}", r.code, r.text);
        }
        let mut buf = Vec::new();
        data.read_to_end(&mut buf)
            .await
            .with_context(|| format!("{verb}: data"))?;
        drop(data);
        let done = self.reply().await?;
        if done.code != 226 && done.code != 250 {
            bail!("{verb}: {} {}", done.code, done.text);
        }
        Ok(buf)
    }

    /// Stores `bytes` under `name`.
    pub async fn upload(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let (mut data, _) = self.open_data().await?;
        let r = self.cmd(&format!("STOR {name}")).await?;
        if !r.is_preliminary() {
            bail!("STOR: {} {}", r.code, r.text);
        }
        data.write_all(bytes).await.context("STOR: data")?;
        data.shutdown().await.context("STOR: data close")?;
        drop(data);
        let done = self.reply().await?;
        if done.code != 226 && done.code != 250 {
            bail!("STOR: {} {}", done.code, done.text);
        }
        Ok(())
    }

    /// Says QUIT and waits briefly for the reply, ignoring failures: the session is over.
    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.cmd("QUIT")).await;
    }
}

fn parse_code(line: &str) -> Result<u16> {
    let digits = line.get(..3).ok_or_else(|| anyhow!("bad reply {line:?}"))?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!("bad reply {line:?}");
    }
    digits.parse().map_err(|_| anyhow!("bad reply {line:?}"))
}

/// Port from `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
pub fn parse_pasv_port(text: &str) -> Result<u16> {
    let open = text.find('(').ok_or_else(|| anyhow!("bad PASV {text:?}"))?;
    let close = text[open..]
        .find(')')
        .ok_or_else(|| anyhow!("bad PASV {text:?}"))?;
    let nums: Vec<u16> = text[open + 1..open + close]
        .split(',')
        .map(|n| n.trim().parse::<u16>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| anyhow!("bad PASV {text:?}"))?;
    match nums.as_slice() {
        [_, _, _, _, hi, lo] if *hi < 256 && *lo < 256 => Ok(hi * 256 + lo),
        _ => bail!("bad PASV {text:?}"),
    }
}

/// Port from `229 Entering Extended Passive Mode (|||port|)`.
pub fn parse_epsv_port(text: &str) -> Result<u16> {
    let open = text
        .find("(|||")
        .ok_or_else(|| anyhow!("bad EPSV {text:?}"))?;
    let rest = &text[open + 4..];
    let end = rest.find('|').ok_or_else(|| anyhow!("bad EPSV {text:?}"))?;
    rest[..end]
        .parse()
        .map_err(|_| anyhow!("bad EPSV {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_and_epsv_ports() {
        assert_eq!(
            parse_pasv_port("Entering Passive Mode (127,0,0,1,195,80).").unwrap(),
            50000
        );
        assert!(parse_pasv_port("Entering Passive Mode (127,0,0,1,300,80)").is_err());
        assert!(parse_pasv_port("nothing").is_err());
        assert_eq!(
            parse_epsv_port("Entering Extended Passive Mode (|||50001|)").unwrap(),
            50001
        );
    }

    #[test]
    fn reply_codes() {
        assert_eq!(parse_code("226 done").unwrap(), 226);
        assert!(parse_code("2x6").is_err());
        assert!(parse_code("").is_err());
    }
}
