//! A small blocking FTP client: control replies (multi-line included), EPSV data connections,
//! and the transfers the workloads make. Blocking std sockets on dedicated threads keep the
//! hot loops plain `read`/`write` calls on large buffers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

/// Size of every transfer buffer: large reads keep system calls per byte low.
pub const BUF: usize = 1 << 20;

/// Where and as whom to connect; shared by every workload.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server's control address.
    pub addr: SocketAddr,
    /// Login name.
    pub user: String,
    /// Password.
    pub pass: String,
    /// Longest wait for any single read or write; a hung server fails the workload.
    pub op_timeout: Duration,
}

/// One reply: its code and its last line.
#[derive(Debug)]
pub struct Reply {
    /// Three-digit code.
    pub code: u16,
    /// The text, all lines joined by `\n`.
    pub text: String,
}

/// A control connection.
pub struct Ctl {
    /// Reads through the buffer; writes go to the same socket (`get_mut`), so that a
    /// session costs the client one descriptor and 10,000 idle ones fit a 20,000 limit.
    reader: BufReader<TcpStream>,
    target: Target,
}

/// Opens a TCP connection with the target's timeouts set on it.
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let s =
        TcpStream::connect_timeout(&addr, timeout).with_context(|| format!("connect {addr}"))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    // Control commands are small and each waits for its reply: Nagle would only add delay.
    s.set_nodelay(true)?;
    Ok(s)
}

impl Ctl {
    /// Connects and reads the greeting, which must be a 220.
    pub fn open(target: &Target) -> Result<Ctl> {
        let stream = connect(target.addr, target.op_timeout)?;
        let mut ctl = Ctl {
            reader: BufReader::with_capacity(16 * 1024, stream),
            target: target.clone(),
        };
        ctl.expect(220).context("greeting")?;
        Ok(ctl)
    }

    /// Connects and logs in (USER, PASS, then TYPE I for binary transfers).
    pub fn login(target: &Target) -> Result<Ctl> {
        let mut ctl = Ctl::open(target)?;
        ctl.log_in()?;
        ctl.cmd_expect("TYPE I", 200)?;
        Ok(ctl)
    }

    /// USER and PASS; a 230 at either step means logged in.
    pub fn log_in(&mut self) -> Result<()> {
        let user = format!("USER {}", self.target.user);
        let r = self.cmd(&user)?;
        if r.code == 230 {
            return Ok(());
        }
        if r.code != 331 {
            bail!("USER: {} {}", r.code, r.text);
        }
        let pass = format!("PASS {}", self.target.pass);
        let r = self.cmd(&pass)?;
        if r.code != 230 {
            bail!("PASS: {} {}", r.code, r.text);
        }
        Ok(())
    }

    /// Reads one reply, following multi-line replies (`123-` ... `123 `) to their end.
    pub fn reply(&mut self) -> Result<Reply> {
        let first = self.line()?;
        let code = parse_code(&first)?;
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = self.line()?;
                text.push('\n');
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Ok(Reply { code, text })
    }

    fn line(&mut self) -> Result<String> {
        let mut buf = Vec::new();
        // A line longer than this is a broken server; the bound keeps memory flat.
        let n = (&mut self.reader)
            .take(64 * 1024)
            .read_until(b'\n', &mut buf)
            .context("read reply")?;
        if n == 0 {
            bail!("control connection closed");
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Sends one command line and reads its reply.
    pub fn cmd(&mut self, line: &str) -> Result<Reply> {
        self.send(line)?;
        self.reply()
    }

    /// Sends one command line without reading a reply.
    pub fn send(&mut self, line: &str) -> Result<()> {
        let mut out = Vec::with_capacity(line.len() + 2);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.reader
            .get_mut()
            .write_all(&out)
            .with_context(|| format!("send {}", verb(line)))
    }

    /// Sends a command and requires the given reply code.
    pub fn cmd_expect(&mut self, line: &str, code: u16) -> Result<Reply> {
        let r = self.cmd(line)?;
        if r.code != code {
            bail!("{}: expected {code}, got {} {}", verb(line), r.code, r.text);
        }
        Ok(r)
    }

    /// Reads one reply and requires its code.
    pub fn expect(&mut self, code: u16) -> Result<Reply> {
        let r = self.reply()?;
        if r.code != code {
            bail!("expected {code}, got {} {}", r.code, r.text);
        }
        Ok(r)
    }

    /// EPSV, then connects to the port it names on the control connection's host.
    pub fn epsv(&mut self) -> Result<TcpStream> {
        let r = self.cmd_expect("EPSV", 229)?;
        let port = parse_epsv(&r.text)?;
        let addr = SocketAddr::new(self.target.addr.ip(), port);
        let s = connect(addr, self.target.op_timeout).context("data connection")?;
        s.set_nodelay(false)?;
        Ok(s)
    }

    /// Opens a data connection and starts `line` on it (RETR, STOR, LIST, MLSD...); returns
    /// the connection once the server said 150/125, or the refusal's reply.
    pub fn start_transfer(&mut self, line: &str) -> Result<std::result::Result<TcpStream, Reply>> {
        let data = self.epsv()?;
        let r = self.cmd(line)?;
        if r.code == 150 || r.code == 125 {
            Ok(Ok(data))
        } else {
            Ok(Err(r))
        }
    }

    /// Downloads `path`, handing every received chunk to `sink`; returns the byte count.
    pub fn retr_with(
        &mut self,
        path: &str,
        buf: &mut [u8],
        mut sink: impl FnMut(&[u8]),
    ) -> Result<u64> {
        let mut data = self
            .start_transfer(&format!("RETR {path}"))?
            .map_err(|r| anyhow!("RETR {path}: {} {}", r.code, r.text))?;
        let total = read_all(&mut data, buf, &mut sink)?;
        drop(data);
        self.expect(226)
            .with_context(|| format!("end of RETR {path}"))?;
        Ok(total)
    }

    /// Uploads `size` bytes to `path`, cycling through `pattern`; requires the final 226.
    pub fn stor_from(&mut self, path: &str, pattern: &[u8], size: u64) -> Result<()> {
        let mut data = self
            .start_transfer(&format!("STOR {path}"))?
            .map_err(|r| anyhow!("STOR {path}: {} {}", r.code, r.text))?;
        let mut left = size;
        while left > 0 {
            let n = left.min(pattern.len() as u64) as usize;
            data.write_all(&pattern[..n]).context("write data")?;
            left -= n as u64;
        }
        // Half-close first so the server reads a clean end of file before we drop the socket.
        data.shutdown(Shutdown::Write).ok();
        drop(data);
        self.expect(226)
            .with_context(|| format!("end of STOR {path}"))?;
        Ok(())
    }

    /// SIZE of a file on the server, in bytes.
    pub fn size(&mut self, path: &str) -> Result<u64> {
        let r = self.cmd_expect(&format!("SIZE {path}"), 213)?;
        r.text
            .get(4..)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| anyhow!("SIZE reply without a number: {}", r.text))
    }

    /// QUIT, reading the 221 (errors ignored: the measurement is over).
    pub fn quit(mut self) {
        let _ = self.cmd("QUIT");
    }
}

/// Reads a data connection to its end, handing each chunk to `sink`.
pub fn read_all(data: &mut TcpStream, buf: &mut [u8], sink: &mut impl FnMut(&[u8])) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let n = match data.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("read data"),
        };
        sink(&buf[..n]);
        total += n as u64;
    }
    Ok(total)
}

fn verb(line: &str) -> &str {
    // Never echo a password into an error message.
    line.split(' ').next().unwrap_or(line)
}

fn parse_code(line: &str) -> Result<u16> {
    line.get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow!("not an FTP reply: {line:?}"))
}

/// The port of a 229 reply: `... (|||port|)`.
fn parse_epsv(text: &str) -> Result<u16> {
    let inner = text
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inner, _)| inner)
        .ok_or_else(|| anyhow!("EPSV reply without (|||port|): {text}"))?;
    inner
        .trim_matches('|')
        .parse()
        .map_err(|_| anyhow!("EPSV reply without a port: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsv_port_is_parsed_from_each_servers_wording() {
        assert_eq!(
            parse_epsv("229 Entering Extended Passive Mode (|||41732|)").ok(),
            Some(41732)
        );
        assert_eq!(
            parse_epsv("229 Extended Passive mode OK (|||42961|)").ok(),
            Some(42961)
        );
        assert!(parse_epsv("229 nothing").is_err());
    }

    #[test]
    fn reply_codes_must_be_three_digits() {
        assert_eq!(parse_code("226 ok").ok(), Some(226));
        assert!(parse_code("hello").is_err());
    }
}
