//! The URL of the server to check: `ftp://[user[:password]@]host[:port][/path]`, or
//! `ftps://` for explicit TLS (AUTH TLS).

use std::fmt;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

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
    /// Whether the URL named the user (`user@`); without one the login is anonymous.
    pub user_in_url: bool,
    /// Whether the URL carried the password (`user:password@`): a password given another
    /// way ([`Target::with_password`]) must not replace it.
    pub password_in_url: bool,
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
    let not_a_url = || format!("{url:?} is not a URL: expected ftp://host or ftps://host");
    let (scheme, rest) = url.split_once("://").ok_or_else(not_a_url)?;
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
    // `ftp` is a special scheme to the URL standard: an explicit `:21` would vanish as its
    // default port (and matter with --implicit-tls, whose default is 990), and its host would
    // be rewritten. Both schemes are parsed as the non-special `ftps`, which keeps the port
    // as written and the host as given.
    let parsed = Url::parse(&format!("ftps://{rest}")).map_err(|e| url_error(e, rest))?;
    let (user, password) = credentials(&parsed)?;
    let host = match parsed.host() {
        Some(Host::Ipv6(ip)) => ip.to_string(),
        Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        _ if bare_ipv6(host_port(rest)) => return Err(brackets(host_port(rest))),
        _ => return Err("no host in the URL".to_owned()),
    };
    let port = match parsed.port() {
        None if tls == TlsMode::Implicit => 990,
        None => 21,
        Some(0) => return Err("bad port \"0\": expected 1-65535".to_owned()),
        Some(p) => p,
    };
    let path = match parsed.path() {
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
        host,
        port,
        user,
        user_in_url: !parsed.username().is_empty(),
        password_in_url: parsed.password().is_some(),
        password,
        path,
        tls,
    })
}

impl Target {
    /// Whether the login is anonymous (`anonymous` or `ftp`, RFC 1635).
    pub fn is_anonymous(&self) -> bool {
        is_anonymous(&self.user)
    }

    /// The target with `password`, given some other way than in the URL (standard input,
    /// the environment), so that it need not sit in the command line. Refused when the URL
    /// has a password already, and for a password with control characters (a CR or LF would
    /// smuggle another command onto the control connection).
    pub fn with_password(mut self, password: String) -> Result<Target, String> {
        if self.password_in_url {
            return Err("the URL already has a password".to_owned());
        }
        if !self.user_in_url {
            return Err(
                "the URL names no user to log in with the password, e.g. ftp://alice@host"
                    .to_owned(),
            );
        }
        if password.chars().any(char::is_control) {
            return Err("the password contains control characters".to_owned());
        }
        self.password = password;
        Ok(self)
    }
}

/// The user and password of the URL: `anonymous` and a placeholder without a user; an
/// anonymous user named without a password gets the placeholder too.
fn credentials(url: &Url) -> Result<(String, String), String> {
    if url.username().is_empty() && url.password().is_none() {
        return Ok(("anonymous".to_owned(), ANONYMOUS_PASSWORD.to_owned()));
    }
    let user = decode(url.username(), "user name")?;
    if user.is_empty() {
        return Err("empty user name in the URL".to_owned());
    }
    let password = match url.password() {
        Some(p) => decode(p, "password")?,
        None if is_anonymous(&user) => ANONYMOUS_PASSWORD.to_owned(),
        None => String::new(),
    };
    Ok((user, password))
}

/// The message for a URL the parser refused, in the words the doctor has always used.
fn url_error(e: url::ParseError, rest: &str) -> String {
    let hostport = host_port(rest);
    match e {
        _ if bare_ipv6(hostport) => brackets(hostport),
        url::ParseError::EmptyHost => "no host in the URL".to_owned(),
        url::ParseError::InvalidIpv6Address => match hostport.split_once(']') {
            None => format!("bad host {hostport:?}: missing ']'"),
            Some((inside, _)) => {
                let inside = inside.trim_start_matches('[');
                format!("bad IPv6 address {inside:?}")
            }
        },
        url::ParseError::InvalidPort => {
            let port = hostport.rsplit(':').next().unwrap_or(hostport);
            format!("bad port {port:?}: expected 1-65535")
        }
        url::ParseError::InvalidDomainCharacter => format!("bad host {hostport:?}"),
        other => format!("bad URL {hostport:?}: {other}"),
    }
}

/// The `host[:port]` part of what follows `scheme://`, for messages.
fn host_port(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

/// Several colons outside brackets: an IPv6 address written bare.
fn bare_ipv6(hostport: &str) -> bool {
    !hostport.starts_with('[') && hostport.matches(':').count() > 1
}

fn brackets(hostport: &str) -> String {
    format!("bad host {hostport:?}: put IPv6 addresses in brackets, e.g. ftp://[::1]:21")
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

/// Percent-decodes a URL part. Refuses a `%` without two hex digits (the URL parser lets it
/// through) and control characters: a CR or LF would end the command line and smuggle
/// another command onto the control connection.
fn decode(s: &str, what: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(format!("bad percent escape in the {what}"));
    }
    let text = percent_decode_str(s)
        .decode_utf8()
        .map_err(|_| format!("the {what} is not UTF-8"))?;
    if text.chars().any(char::is_control) {
        return Err(format!("the {what} contains control characters"));
    }
    Ok(text.into_owned())
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

    #[test]
    fn ports_paths_and_escapes() {
        // An explicit 21 stays 21 with implicit TLS, whose default is 990.
        let t = parse("ftp://h:21", true).unwrap();
        assert_eq!((t.port, t.tls), (21, TlsMode::Implicit));
        let t = parse("ftp://h/a%20b/c;type=i?x#y", false).unwrap();
        assert_eq!(t.path.as_deref(), Some("a b/c"));
        let t = parse("ftp://[2001:db8::1]:2121", false).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("2001:db8::1", 2121));
        assert_eq!(t.to_string(), "ftp://anonymous@[2001:db8::1]:2121/");
        let t = parse("ftp://FTP@Example.COM", false).unwrap();
        assert_eq!(t.host, "Example.COM");
        assert_eq!(t.password, ANONYMOUS_PASSWORD);
        let t = parse("ftp://u:@h", false).unwrap();
        assert_eq!((t.user.as_str(), t.password.as_str()), ("u", ""));
        let t = parse("ftp://us%C3%A9r:p%3Ass@h", false).unwrap();
        assert_eq!((t.user.as_str(), t.password.as_str()), ("usér", "p:ss"));
    }

    #[test]
    fn passwords_given_apart_from_the_url() {
        let t = parse("ftp://alice@h", false).unwrap();
        assert!(!t.password_in_url);
        let t = t.with_password("s3cret".into()).unwrap();
        assert_eq!(t.password, "s3cret");
        assert!(!format!("{t:?} {t}").contains("s3cret"));
        let anonymous = parse("ftp://h", false).unwrap();
        assert!(anonymous.is_anonymous() && !anonymous.user_in_url);
        assert!(anonymous.with_password("x".into()).is_err());
        let named = parse("ftp://anonymous@h", false).unwrap();
        assert_eq!(named.with_password("me@x".into()).unwrap().password, "me@x");
        // The URL standard drops an empty password: `alice:@h` is `alice@h`.
        assert!(!parse("ftp://alice:@h", false).unwrap().password_in_url);
        let t = parse("ftp://alice:pw@h", false).unwrap();
        assert!(t.password_in_url);
        assert!(t.with_password("x".into()).is_err());
        let t = parse("ftp://alice@h", false).unwrap();
        assert!(t.with_password("a\r\nDELE x".into()).is_err());
    }

    #[test]
    fn error_messages() {
        let err = |url| parse(url, false).unwrap_err();
        assert!(err("example.com").contains("is not a URL"));
        assert!(err("http://x").contains("unsupported scheme"));
        assert!(err("ftp://").contains("no host"));
        assert!(err("ftp://h:0").contains("1-65535"));
        assert!(err("ftp://h:99999").contains("1-65535"));
        assert!(
            err("ftp://::1/").contains("brackets"),
            "{}",
            err("ftp://::1/")
        );
        assert!(err("ftp://[::1/").contains("missing ']'"));
        assert!(err("ftp://[nothex]:21").contains("bad IPv6 address"));
        assert!(err("ftp://u:p%zz@h").contains("percent escape in the password"));
        assert!(err("ftp://u%0a:p@h").contains("control characters"));
        assert!(err("ftp://:p@h").contains("empty user name"));
        assert!(err("ftp://u:p%ff@h").contains("not UTF-8"));
    }
}
