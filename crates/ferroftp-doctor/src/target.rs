//! The URL of the server to check: `ftp://[user[:password]@]host[:port][/path]`, or
//! `ftps://` for explicit TLS (AUTH TLS).

use std::fmt;

/// How the control connection is to be secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain FTP (`ftp://`).
    None,
    /// `ftps://`: plain connect, then AUTH TLS (RFC 4217).
    Explicit,
    /// `--implicit-tls`: TLS from the first byte (port 990 by default).
    Implicit,
}

/// A parsed target.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Login name (`anonymous` when the URL has none).
    pub user: String,
    /// Password (an e-mail-like placeholder for anonymous).
    pub password: String,
    /// Directory to change to after login, if the URL names one.
    pub path: Option<String>,
    /// TLS mode.
    pub tls: TlsMode,
}

/// Never prints the password.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

/// The URL with the password left out.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.tls {
            TlsMode::None => "ftp",
            TlsMode::Explicit | TlsMode::Implicit => "ftps",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{}@{host}:{}/", self.user, self.port)?;
        if let Some(p) = &self.path {
            write!(f, "{p}")?;
        }
        if self.tls == TlsMode::Implicit {
            write!(f, " (implicit TLS)")?;
        }
        Ok(())
    }
}

/// The anonymous password sent when the URL has no user (RFC 1635 asks for an e-mail
/// address; this one cannot be delivered to).
pub const ANONYMOUS_PASSWORD: &str = "ferroftp-doctor@example.invalid";

/// Parses a URL. `implicit_tls` selects implicit TLS (and port 990 by default).
pub fn parse(url: &str, implicit_tls: bool) -> Result<Target, String> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL: expected ftp://host or ftps://host"))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "ftp" | "ftps" if implicit_tls => TlsMode::Implicit,
        "ftp" => TlsMode::None,
        "ftps" => TlsMode::Explicit,
        other => {
            return Err(format!(
                "unsupported scheme {other:?}: use ftp:// or ftps://"
            ))
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => ("anonymous".to_owned(), ANONYMOUS_PASSWORD.to_owned()),
        Some(info) => {
            let (u, p) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            let user = decode(u, "user name")?;
            if user.is_empty() {
                return Err("empty user name in the URL".to_owned());
            }
            let password = match p {
                Some(p) => decode(p, "password")?,
                None if is_anonymous(&user) => ANONYMOUS_PASSWORD.to_owned(),
                None => String::new(),
            };
            (user, password)
        }
    };
    let default_port = if tls == TlsMode::Implicit { 990 } else { 21 };
    let (host, port) = split_host_port(hostport)?;
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("bad port {p:?}: expected 1-65535"))?,
    };
    if host.is_empty() {
        return Err("no host in the URL".to_owned());
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("bad host {host:?}"));
    }
    let path = match tail.split(['?', '#']).next().unwrap_or("") {
        "" | "/" => None,
        p => {
            // RFC 1738: the path is relative to the login directory; `;type=` is ignored.
            let p = p.strip_prefix('/').unwrap_or(p);
            let p = p.split(";type=").next().unwrap_or(p);
            let p = decode(p.trim_end_matches('/'), "path")?;
            (!p.is_empty()).then_some(p)
        }
    };
    Ok(Target {
        host: host.to_owned(),
        port,
        user,
        password,
        path,
        tls,
    })
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| format!("bad host {s:?}: missing ']'"))?;
        let host = &rest[..close];
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("bad IPv6 address {host:?}"));
        }
        return match &rest[close + 1..] {
            "" => Ok((host, None)),
            p => match p.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(format!("bad host {s:?}")),
            },
        };
    }
    match s.matches(':').count() {
        0 => Ok((s, None)),
        1 => {
            let (h, p) = s.split_once(':').unwrap_or((s, ""));
            Ok((h, Some(p)))
        }
        _ => Err(format!(
            "bad host {s:?}: put IPv6 addresses in brackets, e.g. ftp://[::1]:21"
        )),
    }
}

/// Percent-decodes a URL part. Refuses control characters: a CR or LF would end the command
/// line and smuggle another command onto the control connection.
fn decode(s: &str, what: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape in the {what}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).map_err(|_| format!("the {what} is not UTF-8"))?;
    if text.chars().any(char::is_control) {
        return Err(format!("the {what} contains control characters"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_urls() {
        let t = parse(
            "ftp://alice:s%40cret@ftp.example.com:2121/pub/files/",
            false,
        )
        .unwrap();
        assert_eq!(t.host, "ftp.example.com");
        assert_eq!(t.port, 2121);
        assert_eq!(t.user, "alice");
        assert_eq!(t.password, "s@cret");
        assert_eq!(t.path.as_deref(), Some("pub/files"));
        assert_eq!(t.tls, TlsMode::None);
        assert!(!t.to_string().contains("s@cret"));
        assert!(!format!("{t:?}").contains("s@cret"));
    }

    #[test]
    fn defaults() {
        let t = parse("ftp://example.com", false).unwrap();
        assert_eq!((t.port, t.user.as_str()), (21, "anonymous"));
        assert_eq!(t.password, ANONYMOUS_PASSWORD);
        assert_eq!(t.path, None);
        let t = parse("FTPS://bob@[::1]/", false).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls),
            ("::1", 21, TlsMode::Explicit)
        );
        assert_eq!(t.password, "");
        let t = parse("ftps://h", true).unwrap();
        assert_eq!((t.port, t.tls), (990, TlsMode::Implicit));
    }

    #[test]
    fn bad_urls() {
        for url in [
            "example.com",
            "http://example.com",
            "ftp://",
            "ftp://host:0",
            "ftp://host:99999",
            "ftp://host:abc",
            "ftp://::1/",
            "ftp://[::1/",
            "ftp://[nothex]:21",
            "ftp://a%0d%0aDELE%20x:p@host",
            "ftp://user:p%zz@host",
            "ftp://:pass@host",
            "ftp://ho st",
        ] {
            assert!(parse(url, false).is_err(), "{url} was accepted");
        }
    }
}
