//! The TOML config file of `ferroftp serve`, and merging it with the command line into a
//! [`ServerConfig`]: flags win over the file, the file wins over the defaults.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use ferroftp_proto::path::VPath;
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::tls::{CertSource, SessionReuse};
use ferroftp_server::{AnonymousConfig, LoginLimits, ServerConfig, TlsOptions};
use serde::Deserialize;

use crate::cli::{LoginArgs, ServeArgs};

/// Where the quick start keeps its files when `--root` is not given.
pub const DEFAULT_ROOT: &str = "./ftp-data";

/// Log filter when neither `--log`, the file nor `RUST_LOG` says otherwise.
pub const DEFAULT_LOG: &str = "info";

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        /// The config file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML, has an unknown key or a bad value.
    #[error("config file {}: {message}", path.display())]
    Parse {
        /// The config file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A setting has a value the server cannot use.
    #[error("invalid setting {key}: {message}")]
    Invalid {
        /// The flag / key name, snake_case.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// An inclusive port range, written `FIRST-LAST` (or a single port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRange(pub RangeInclusive<u16>);

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse_port = |p: &str| -> Result<u16, String> {
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("{:?} is not a port number (1-65535)", p.trim()))
        };
        let (first, last) = match s.split_once('-') {
            Some((a, b)) => (parse_port(a)?, parse_port(b)?),
            None => {
                let p = parse_port(s)?;
                (p, p)
            }
        };
        // "0-0" alone means: let the operating system pick any free port.
        if (first == 0) != (last == 0) {
            return Err("port 0 is only allowed as 0-0 (any free port)".to_owned());
        }
        if first > last {
            return Err(format!(
                "range {first}-{last} is backwards (first port above last)"
            ));
        }
        Ok(PortRange(first..=last))
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0.start(), self.0.end())
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The config file. Keys are the `serve` flag names in snake_case; unknown keys are errors
/// so that typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `--listen`.
    pub listen: Option<Vec<SocketAddr>>,
    /// `--users`.
    pub users: Option<PathBuf>,
    /// `--passive-ports`, as a `"FIRST-LAST"` string.
    pub passive_ports: Option<PortRange>,
    /// `--passive-address`.
    pub passive_address: Option<IpAddr>,
    /// `--greeting`.
    pub greeting: Option<String>,
    /// `--max-connections`.
    pub max_connections: Option<usize>,
    /// `--max-connections-per-ip`.
    pub max_connections_per_ip: Option<usize>,
    /// `--max-transfers`.
    pub max_transfers: Option<usize>,
    /// `--idle-timeout`, seconds.
    pub idle_timeout: Option<u64>,
    /// `--data-timeout`, seconds.
    pub data_timeout: Option<u64>,
    /// `--max-passive-per-ip`.
    pub max_passive_per_ip: Option<usize>,
    /// `--passive-wait`, seconds.
    pub passive_wait: Option<u64>,
    /// `--tls-upload-requires-close-notify`.
    pub tls_upload_requires_close_notify: Option<bool>,
    /// `--login-timeout`, seconds.
    pub login_timeout: Option<u64>,
    /// `--reply-timeout`, seconds.
    pub reply_timeout: Option<u64>,
    /// `--stall-timeout`, seconds.
    pub stall_timeout: Option<u64>,
    /// `--tcp-keepalive`, seconds; 0 turns keepalive off.
    pub tcp_keepalive: Option<u64>,
    /// `--zero-copy-downloads`.
    pub zero_copy_downloads: Option<bool>,
    /// `--zero-copy-uploads`.
    pub zero_copy_uploads: Option<bool>,
    /// `--login-failure-delay-ms`.
    pub login_failure_delay_ms: Option<u64>,
    /// `--allow-user-switch`.
    pub allow_user_switch: Option<bool>,
    /// `--allow-foreign-data-address`.
    pub allow_foreign_data_address: Option<bool>,
    /// `--shutdown-grace`, seconds.
    pub shutdown_grace: Option<u64>,
    /// `--host`, a list (`hosts` is accepted too).
    #[serde(alias = "hosts")]
    pub host: Option<Vec<String>>,
    /// `--anonymous-root`.
    pub anonymous_root: Option<PathBuf>,
    /// `--anonymous-writable`.
    pub anonymous_writable: Option<bool>,
    /// `--anonymous-upload-dir`.
    pub anonymous_upload_dir: Option<String>,
    /// `--max-download-rate`, bytes per second.
    pub max_download_rate: Option<u64>,
    /// `--max-upload-rate`, bytes per second.
    pub max_upload_rate: Option<u64>,
    /// `--fsync-uploads`.
    pub fsync_uploads: Option<bool>,
    /// `--inline-upload-metadata`.
    pub inline_upload_metadata: Option<bool>,
    /// `--tmpfile-uploads`.
    pub tmpfile_uploads: Option<bool>,
    /// `--anonymous-chmod`.
    pub anonymous_chmod: Option<bool>,
    /// `--max-blocking-threads`.
    pub max_blocking_threads: Option<usize>,
    /// `--max-listing-jobs`.
    pub max_listing_jobs: Option<usize>,
    /// `--stale-upload-sweep-limit`.
    pub stale_upload_sweep_limit: Option<usize>,
    /// `--root`.
    pub root: Option<PathBuf>,
    /// `--log`.
    pub log: Option<String>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// `--tls-self-signed`.
    pub tls_self_signed: Option<bool>,
    /// `--implicit-tls-listen`.
    pub implicit_tls_listen: Option<Vec<SocketAddr>>,
    /// `--tls-required`: "none", "login" or "all".
    pub tls_required: Option<String>,
    /// `--tls-session-reuse`: "required" or "optional".
    pub tls_session_reuse: Option<String>,
    /// `--max-concurrent-hashes` (0: one per CPU).
    pub max_concurrent_hashes: Option<usize>,
    /// `--login-queue-timeout`, seconds.
    pub login_queue_timeout: Option<u64>,
    /// `--login-failure-delay-max-ms`.
    pub login_failure_delay_max_ms: Option<u64>,
    /// `--max-login-failures` (0: no cap).
    pub max_login_failures: Option<u32>,
    /// `--ban-after-failures` (0: no bans).
    pub ban_after_failures: Option<u32>,
    /// `--ban-window`, seconds.
    pub ban_window: Option<u64>,
    /// `--ban-duration`, seconds.
    pub ban_duration: Option<u64>,
    /// `--max-sessions-per-user` (0: no limit).
    pub max_sessions_per_user: Option<usize>,
    /// `--ipv6-prefix-len`.
    pub ipv6_prefix_len: Option<u8>,
    /// `--credential-cache-size` (0: off).
    pub credential_cache_size: Option<usize>,
    /// `--credential-cache-ttl`, seconds.
    pub credential_cache_ttl: Option<u64>,
}

impl FileConfig {
    /// Reads and parses the config file at `path`, making its relative paths relative to the
    /// file's directory (so the server does not depend on where it was started from).
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut config = FileConfig::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    /// Parses config text; the error is one line with the line and column.
    pub fn parse(text: &str) -> Result<FileConfig, String> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().replace('\n', "; ");
            match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    format!("line {line}, column {col}: {message}")
                }
                None => message,
            }
        })
    }

    fn resolve_paths(&mut self, base: &Path) {
        for p in [
            &mut self.users,
            &mut self.anonymous_root,
            &mut self.root,
            &mut self.tls_cert,
            &mut self.tls_key,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Everything `serve` needs, after merging flags, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What the server library runs with.
    pub server: ServerConfig,
    /// The users file; `None` means quick start.
    pub users: Option<PathBuf>,
    /// The quick-start data directory.
    pub root: PathBuf,
    /// The log filter (unless `RUST_LOG` is set).
    pub log: String,
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

/// Text that ends up in replies must not be able to end a reply line early.
fn check_reply_text(key: &'static str, text: &str) -> Result<(), ConfigError> {
    if text.chars().any(char::is_control) {
        return Err(invalid(
            key,
            "must not contain control characters or newlines",
        ));
    }
    Ok(())
}

fn positive(key: &'static str, value: u64) -> Result<u64, ConfigError> {
    if value == 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(value)
}

/// Merges the command line over the config file over the defaults, and checks the result.
pub fn merge(args: &ServeArgs, file: FileConfig) -> Result<Settings, ConfigError> {
    let defaults = ServerConfig::default();
    let limits = login_limits(&args.login, &file)?;

    let tls = tls_options(args, &file)?;
    let implicit_tls_listen = if args.implicit_tls_listen.is_empty() {
        file.implicit_tls_listen.clone().unwrap_or_default()
    } else {
        args.implicit_tls_listen.clone()
    };
    if tls.is_none() && !implicit_tls_listen.is_empty() {
        return Err(invalid(
            "implicit_tls_listen",
            "needs a certificate: tls_cert and tls_key, or tls_self_signed",
        ));
    }

    // Repeatable flags replace the file's list as a whole rather than adding to it.
    let listen = if !args.listen.is_empty() {
        args.listen.clone()
    } else {
        file.listen.unwrap_or(defaults.listen)
    };
    if listen.is_empty() {
        return Err(invalid("listen", "at least one address is needed"));
    }
    let hosts = if !args.host.is_empty() {
        args.host.clone()
    } else {
        file.host.unwrap_or(defaults.hosts)
    };
    for h in &hosts {
        if h.is_empty() || h.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "host",
                format!("{h:?} is not a host name (empty, or has spaces or control characters)"),
            ));
        }
    }

    let passive_ports = args
        .passive_ports
        .clone()
        .or(file.passive_ports)
        .map_or(defaults.passive_ports, |r| r.0);
    // A range parsed from text is already ordered; check again for ranges built in code.
    if passive_ports.start() > passive_ports.end()
        || (*passive_ports.start() == 0) != (*passive_ports.end() == 0)
    {
        return Err(invalid("passive_ports", "need 1 <= FIRST <= LAST, or 0-0"));
    }

    let passive_address = args.passive_address.or(file.passive_address);
    if let Some(IpAddr::V6(_)) = passive_address {
        // PASV replies can only carry an IPv4 address; EPSV carries none.
        return Err(invalid(
            "passive_address",
            "must be an IPv4 address (PASV replies cannot carry IPv6)",
        ));
    }

    let greeting = args
        .greeting
        .clone()
        .or(file.greeting)
        .unwrap_or(defaults.greeting);
    check_reply_text("greeting", &greeting)?;

    let max_connections = args
        .max_connections
        .or(file.max_connections)
        .unwrap_or(defaults.max_connections);
    if max_connections == 0 {
        return Err(invalid("max_connections", "must be greater than 0"));
    }
    let max_connections_per_ip = args
        .max_connections_per_ip
        .or(file.max_connections_per_ip)
        .unwrap_or(defaults.max_connections_per_ip);
    if max_connections_per_ip == 0 {
        return Err(invalid("max_connections_per_ip", "must be greater than 0"));
    }
    // Left unset, the binary fits it to the open-files limit at start (see fd_limit.rs).
    let max_transfers = args.max_transfers.or(file.max_transfers);
    if max_transfers == Some(0) {
        return Err(invalid("max_transfers", "must be greater than 0"));
    }

    let idle_timeout = match args.idle_timeout.or(file.idle_timeout) {
        Some(s) => Duration::from_secs(positive("idle_timeout", s)?),
        None => defaults.idle_timeout,
    };
    let data_connect_timeout = match args.data_timeout.or(file.data_timeout) {
        Some(s) => Duration::from_secs(positive("data_timeout", s)?),
        None => defaults.data_connect_timeout,
    };
    let max_passive_per_ip = args
        .max_passive_per_ip
        .or(file.max_passive_per_ip)
        .unwrap_or(defaults.max_passive_per_ip);
    let passive_wait = args
        .passive_wait
        .or(file.passive_wait)
        .map_or(defaults.passive_wait, Duration::from_secs);
    let tls_upload_requires_close_notify = args
        .tls_upload_requires_close_notify
        .or(file.tls_upload_requires_close_notify)
        .unwrap_or(defaults.tls_upload_requires_close_notify);
    let login_timeout = match args.login_timeout.or(file.login_timeout) {
        Some(s) => Duration::from_secs(positive("login_timeout", s)?),
        None => defaults.login_timeout,
    };
    let reply_timeout = match args.reply_timeout.or(file.reply_timeout) {
        Some(s) => Duration::from_secs(positive("reply_timeout", s)?),
        None => defaults.reply_timeout,
    };
    let stall_timeout = match args.stall_timeout.or(file.stall_timeout) {
        Some(s) => Duration::from_secs(positive("stall_timeout", s)?),
        None => defaults.stall_timeout,
    };
    let tcp_keepalive = match args.tcp_keepalive.or(file.tcp_keepalive) {
        Some(0) => None,
        Some(s) => Some(Duration::from_secs(s)),
        None => defaults.tcp_keepalive,
    };
    let zero_copy_downloads = args
        .zero_copy_downloads
        .or(file.zero_copy_downloads)
        .unwrap_or(defaults.zero_copy_downloads);
    let zero_copy_uploads = args
        .zero_copy_uploads
        .or(file.zero_copy_uploads)
        .unwrap_or(defaults.zero_copy_uploads);
    let login_failure_delay = args
        .login_failure_delay_ms
        .or(file.login_failure_delay_ms)
        .map_or(defaults.login_failure_delay, Duration::from_millis);
    let shutdown_grace = args
        .shutdown_grace
        .or(file.shutdown_grace)
        .map_or(defaults.shutdown_grace, Duration::from_secs);

    // Boolean flags can only switch a setting on; the file can switch it either way.
    let allow_user_switch =
        args.allow_user_switch || file.allow_user_switch.unwrap_or(defaults.allow_user_switch);
    let allow_foreign_data_address = args.allow_foreign_data_address
        || file
            .allow_foreign_data_address
            .unwrap_or(defaults.allow_foreign_data_address);

    let anonymous_writable = args.anonymous_writable || file.anonymous_writable.unwrap_or(false);
    let anonymous = match args.anonymous_root.clone().or(file.anonymous_root) {
        Some(root) => Some(AnonymousConfig {
            root,
            writable: anonymous_writable,
        }),
        None if anonymous_writable => {
            return Err(invalid(
                "anonymous_writable",
                "needs anonymous_root (anonymous login is off without it)",
            ))
        }
        None => None,
    };

    let anonymous_upload_dir = match args
        .anonymous_upload_dir
        .as_deref()
        .or(file.anonymous_upload_dir.as_deref())
    {
        None => defaults.anonymous_upload_dir,
        Some("") => None,
        Some(dir) => {
            let path = VPath::root().resolve(dir).map_err(|e| {
                invalid(
                    "anonymous_upload_dir",
                    format!("{dir:?} is not a path: {e}"),
                )
            })?;
            if path.is_root() {
                return Err(invalid(
                    "anonymous_upload_dir",
                    "must be a directory below the anonymous root, not the root itself",
                ));
            }
            Some(path)
        }
    };
    let max_download_rate = args
        .max_download_rate
        .or(file.max_download_rate)
        .unwrap_or(defaults.max_download_rate);
    let max_upload_rate = args
        .max_upload_rate
        .or(file.max_upload_rate)
        .unwrap_or(defaults.max_upload_rate);
    let fsync_uploads = args
        .fsync_uploads
        .or(file.fsync_uploads)
        .unwrap_or(defaults.fsync_uploads);
    let inline_upload_metadata = args
        .inline_upload_metadata
        .or(file.inline_upload_metadata)
        .unwrap_or(defaults.inline_upload_metadata);
    let tmpfile_uploads = args
        .tmpfile_uploads
        .or(file.tmpfile_uploads)
        .unwrap_or(defaults.tmpfile_uploads);
    let anonymous_chmod =
        args.anonymous_chmod || file.anonymous_chmod.unwrap_or(defaults.anonymous_chmod);
    let max_blocking_threads = args
        .max_blocking_threads
        .or(file.max_blocking_threads)
        .unwrap_or(defaults.max_blocking_threads);
    if max_blocking_threads == 0 {
        return Err(invalid("max_blocking_threads", "must be greater than 0"));
    }
    // Listing jobs run on the blocking pool: they must leave threads there for uploads,
    // downloads and password checks. A value the administrator chose is refused when it
    // would not; the default (twice the CPUs) is held to half the pool.
    let max_listing_jobs = match args.max_listing_jobs.or(file.max_listing_jobs) {
        Some(0) => return Err(invalid("max_listing_jobs", "must be greater than 0")),
        Some(n) if n >= max_blocking_threads => {
            return Err(invalid(
                "max_listing_jobs",
                format!(
                    "must be below max_blocking_threads ({max_blocking_threads}), so that \
                     listings leave blocking threads for transfers and logins"
                ),
            ))
        }
        Some(n) => n,
        None => defaults
            .max_listing_jobs
            .min((max_blocking_threads / 2).max(1)),
    };
    let stale_upload_sweep_limit = args
        .stale_upload_sweep_limit
        .or(file.stale_upload_sweep_limit)
        .unwrap_or(defaults.stale_upload_sweep_limit);

    let log = args
        .log
        .clone()
        .or(file.log.clone())
        .unwrap_or_else(|| DEFAULT_LOG.to_owned());

    Ok(Settings {
        server: ServerConfig {
            listen,
            passive_ports,
            passive_address,
            greeting,
            max_connections,
            max_connections_per_ip,
            max_transfers,
            idle_timeout,
            data_connect_timeout,
            max_passive_per_ip,
            passive_wait,
            tls_upload_requires_close_notify,
            login_timeout,
            reply_timeout,
            stall_timeout,
            tcp_keepalive,
            zero_copy_downloads,
            zero_copy_uploads,
            login_failure_delay,
            limits,
            allow_user_switch,
            allow_foreign_data_address,
            shutdown_grace,
            hosts,
            anonymous,
            anonymous_chmod,
            max_blocking_threads,
            max_listing_jobs,
            stale_upload_sweep_limit,
            tls,
            implicit_tls_listen,
            tls_handshake_timeout: defaults.tls_handshake_timeout,
            storage: defaults.storage,
            fsync_uploads,
            inline_upload_metadata,
            tmpfile_uploads,
            max_download_rate,
            max_upload_rate,
            anonymous_upload_dir,
        },
        users: args.users.clone().or(file.users),
        root: args
            .root
            .clone()
            .or(file.root)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT)),
        log,
    })
}

/// The login limits from flags and file (see [`LoginLimits`]).
fn login_limits(args: &LoginArgs, file: &FileConfig) -> Result<LoginLimits, ConfigError> {
    let d = LoginLimits::default();
    let max_concurrent_hashes = match args.max_concurrent_hashes.or(file.max_concurrent_hashes) {
        // 0 (or unset): one check per CPU, as many as can really run at once.
        None | Some(0) => d.max_concurrent_hashes,
        Some(n) => n,
    };
    let login_queue_timeout = match args.login_queue_timeout.or(file.login_queue_timeout) {
        Some(s) => Duration::from_secs(positive("login_queue_timeout", s)?),
        None => d.login_queue_timeout,
    };
    let secs = |flag: Option<u64>, key: Option<u64>, name, default| match flag.or(key) {
        Some(s) => positive(name, s).map(Duration::from_secs),
        None => Ok(default),
    };
    let ban_window = secs(args.ban_window, file.ban_window, "ban_window", d.ban_window)?;
    let ban_duration = secs(
        args.ban_duration,
        file.ban_duration,
        "ban_duration",
        d.ban_duration,
    )?;
    let ipv6_prefix_len = args
        .ipv6_prefix_len
        .or(file.ipv6_prefix_len)
        .unwrap_or(d.ipv6_prefix_len);
    if ipv6_prefix_len > 128 {
        return Err(invalid("ipv6_prefix_len", "must be between 0 and 128"));
    }
    let credential_cache_ttl = secs(
        args.credential_cache_ttl,
        file.credential_cache_ttl,
        "credential_cache_ttl",
        d.credential_cache_ttl,
    )?;
    Ok(LoginLimits {
        max_concurrent_hashes,
        login_queue_timeout,
        login_failure_delay_max: args
            .login_failure_delay_max_ms
            .or(file.login_failure_delay_max_ms)
            .map_or(d.login_failure_delay_max, Duration::from_millis),
        max_login_failures: args
            .max_login_failures
            .or(file.max_login_failures)
            .unwrap_or(d.max_login_failures),
        ban_after_failures: args
            .ban_after_failures
            .or(file.ban_after_failures)
            .unwrap_or(d.ban_after_failures),
        ban_window,
        ban_duration,
        max_sessions_per_user: args
            .max_sessions_per_user
            .or(file.max_sessions_per_user)
            .unwrap_or(d.max_sessions_per_user),
        ipv6_prefix_len,
        credential_cache_size: args
            .credential_cache_size
            .or(file.credential_cache_size)
            .unwrap_or(d.credential_cache_size),
        credential_cache_ttl,
    })
}

/// The FTPS settings from flags and file, `None` when no certificate is configured.
fn tls_options(args: &ServeArgs, file: &FileConfig) -> Result<Option<TlsOptions>, ConfigError> {
    let cert = args.tls_cert.clone().or(file.tls_cert.clone());
    let key = args.tls_key.clone().or(file.tls_key.clone());
    let self_signed = args.tls_self_signed || file.tls_self_signed.unwrap_or(false);
    let source = match (cert, key, self_signed) {
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(invalid(
                "tls_self_signed",
                "cannot be combined with tls_cert and tls_key",
            ))
        }
        (Some(cert), Some(key), false) => CertSource::Files { cert, key },
        (None, None, true) => CertSource::SelfSigned {
            names: vec!["localhost".to_owned()],
        },
        (None, None, false) => {
            if args.tls_required.is_some() || file.tls_required.is_some() {
                return Err(invalid("tls_required", "needs a certificate"));
            }
            return Ok(None);
        }
        (Some(_), None, _) => return Err(invalid("tls_key", "tls_cert needs tls_key")),
        (None, Some(_), _) => return Err(invalid("tls_cert", "tls_key needs tls_cert")),
    };
    let required = match args
        .tls_required
        .as_deref()
        .or(file.tls_required.as_deref())
    {
        None | Some("none") => TlsRequired::None,
        Some("login") => TlsRequired::Login,
        Some("all") => TlsRequired::All,
        Some(other) => {
            return Err(invalid(
                "tls_required",
                format!("{other:?} is not one of none, login, all"),
            ))
        }
    };
    let session_reuse = match args
        .tls_session_reuse
        .as_deref()
        .or(file.tls_session_reuse.as_deref())
    {
        None | Some("required") => SessionReuse::Required,
        Some("optional") => SessionReuse::Optional,
        Some(other) => {
            return Err(invalid(
                "tls_session_reuse",
                format!("{other:?} is not one of required, optional"),
            ))
        }
    };
    Ok(Some(TlsOptions {
        cert: source,
        required,
        session_reuse,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let argv = ["ferroftp", "serve"].iter().chain(extra).copied();
        match Cli::try_parse_from(argv)
            .expect("valid command line")
            .command
        {
            Command::Serve(args) => *args,
            other => panic!("expected serve, got {other:?}"),
        }
    }

    fn file(text: &str) -> FileConfig {
        FileConfig::parse(text).expect("valid config")
    }

    // Guards the zero-copy setting: on by default, a key and a flag, the flag wins.
    #[test]
    fn zero_copy_downloads_from_file_and_flags() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert!(s.server.zero_copy_downloads);
        let f = "zero_copy_downloads = false\n";
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert!(!s.server.zero_copy_downloads);
        let args = serve_args(&["--zero-copy-downloads", "true"]);
        let s = merge(&args, file(f)).expect("merge");
        assert!(s.server.zero_copy_downloads);
    }

    // Guards the zero-copy upload setting: on by default, a key and a flag, the flag wins.
    #[test]
    fn zero_copy_uploads_from_file_and_flags() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert!(s.server.zero_copy_uploads);
        let f = "zero_copy_uploads = false\n";
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert!(!s.server.zero_copy_uploads);
        let args = serve_args(&["--zero-copy-uploads", "true"]);
        let s = merge(&args, file(f)).expect("merge");
        assert!(s.server.zero_copy_uploads);
    }

    // Guards the deadline settings: each is a key and a flag, flags win, 0 turns keepalive off.
    #[test]
    fn deadline_settings_from_file_and_flags() {
        let d = ServerConfig::default();
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert_eq!(s.server.login_timeout, d.login_timeout);
        assert!(d.login_timeout < d.idle_timeout);
        assert_eq!(s.server.reply_timeout, d.reply_timeout);
        assert_eq!(s.server.stall_timeout, d.stall_timeout);
        assert_eq!(s.server.tcp_keepalive, Some(Duration::from_secs(60)));
        let f = "login_timeout = 20\nreply_timeout = 21\nstall_timeout = 22\ntcp_keepalive = 0\n";
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert_eq!(s.server.login_timeout, Duration::from_secs(20));
        assert_eq!(s.server.reply_timeout, Duration::from_secs(21));
        assert_eq!(s.server.stall_timeout, Duration::from_secs(22));
        assert_eq!(s.server.tcp_keepalive, None);
        let args = serve_args(&[
            "--login-timeout",
            "5",
            "--reply-timeout",
            "6",
            "--stall-timeout",
            "7",
            "--tcp-keepalive",
            "8",
        ]);
        let s = merge(&args, file(f)).expect("merge");
        assert_eq!(s.server.login_timeout, Duration::from_secs(5));
        assert_eq!(s.server.reply_timeout, Duration::from_secs(6));
        assert_eq!(s.server.stall_timeout, Duration::from_secs(7));
        assert_eq!(s.server.tcp_keepalive, Some(Duration::from_secs(8)));
        for key in ["login_timeout", "reply_timeout", "stall_timeout"] {
            assert!(merge(&serve_args(&[]), file(&format!("{key} = 0"))).is_err());
        }
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        let d = ServerConfig::default();
        assert_eq!(s.server.listen, d.listen);
        assert_eq!(s.server.passive_ports, d.passive_ports);
        assert_eq!(s.server.greeting, d.greeting);
        assert_eq!(s.server.idle_timeout, d.idle_timeout);
        assert!(s.server.anonymous.is_none());
        assert!(s.users.is_none());
        assert_eq!(s.root, PathBuf::from(DEFAULT_ROOT));
        assert_eq!(s.log, DEFAULT_LOG);
    }

    /// Guards the `max_transfers` key and flag: unset stays unset (fitted at start), the
    /// file sets it, the flag wins, and 0 is refused.
    #[test]
    fn max_transfers_from_file_and_flag() {
        let s = merge(&serve_args(&[]), file("")).expect("merge");
        assert_eq!(s.server.max_transfers, None);
        let s = merge(&serve_args(&[]), file("max_transfers = 7")).expect("merge");
        assert_eq!(s.server.max_transfers, Some(7));
        let args = serve_args(&["--max-transfers", "9"]);
        let s = merge(&args, file("max_transfers = 7")).expect("merge");
        assert_eq!(s.server.max_transfers, Some(9));
        assert!(merge(&serve_args(&[]), file("max_transfers = 0")).is_err());
    }

    #[test]
    fn file_beats_defaults_and_flags_beat_file() {
        let f = r#"
listen = ["127.0.0.1:2121", "[::1]:2121"]
users = "/etc/ferroftp/users.toml"
passive_ports = "40000-40010"
passive_address = "203.0.113.7"
greeting = "from file"
max_connections = 10
max_connections_per_ip = 2
idle_timeout = 60
data_timeout = 5
login_failure_delay_ms = 250
allow_user_switch = true
allow_foreign_data_address = false
shutdown_grace = 3
host = ["ftp.example.com"]
anonymous_root = "/srv/pub"
anonymous_writable = false
root = "/tmp/data"
log = "debug"
"#;
        // File only.
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert_eq!(s.server.listen.len(), 2);
        assert_eq!(s.server.passive_ports, 40000..=40010);
        assert_eq!(
            s.server.passive_address,
            Some("203.0.113.7".parse().expect("ip"))
        );
        assert_eq!(s.server.greeting, "from file");
        assert_eq!(s.server.max_connections, 10);
        assert_eq!(s.server.max_connections_per_ip, 2);
        assert_eq!(s.server.idle_timeout, Duration::from_secs(60));
        assert_eq!(s.server.data_connect_timeout, Duration::from_secs(5));
        assert_eq!(s.server.login_failure_delay, Duration::from_millis(250));
        assert!(s.server.allow_user_switch);
        assert!(!s.server.allow_foreign_data_address);
        assert_eq!(s.server.shutdown_grace, Duration::from_secs(3));
        assert_eq!(s.server.hosts, ["ftp.example.com"]);
        let anon = s.server.anonymous.as_ref().expect("anonymous on");
        assert_eq!(anon.root, PathBuf::from("/srv/pub"));
        assert!(!anon.writable);
        assert_eq!(s.users, Some(PathBuf::from("/etc/ferroftp/users.toml")));
        assert_eq!(s.root, PathBuf::from("/tmp/data"));
        assert_eq!(s.log, "debug");

        // Flags over the file.
        let args = serve_args(&[
            "--listen",
            "127.0.0.1:0",
            "--users",
            "u.toml",
            "--passive-ports",
            "60000-60001",
            "--passive-address",
            "198.51.100.1",
            "--greeting",
            "from flag",
            "--max-connections",
            "20",
            "--max-connections-per-ip",
            "4",
            "--idle-timeout",
            "61",
            "--data-timeout",
            "6",
            "--login-failure-delay-ms",
            "0",
            "--allow-foreign-data-address",
            "--shutdown-grace",
            "0",
            "--host",
            "a.example",
            "--host",
            "b.example",
            "--anonymous-root",
            "/srv/anon",
            "--anonymous-writable",
            "--root",
            "/tmp/other",
            "--log",
            "warn",
        ]);
        let s = merge(&args, file(f)).expect("merge");
        assert_eq!(s.server.listen, ["127.0.0.1:0".parse().expect("addr")]);
        assert_eq!(s.server.passive_ports, 60000..=60001);
        assert_eq!(
            s.server.passive_address,
            Some("198.51.100.1".parse().expect("ip"))
        );
        assert_eq!(s.server.greeting, "from flag");
        assert_eq!(s.server.max_connections, 20);
        assert_eq!(s.server.max_connections_per_ip, 4);
        assert_eq!(s.server.idle_timeout, Duration::from_secs(61));
        assert_eq!(s.server.data_connect_timeout, Duration::from_secs(6));
        assert_eq!(s.server.login_failure_delay, Duration::ZERO);
        assert!(s.server.allow_user_switch, "file value kept");
        assert!(s.server.allow_foreign_data_address);
        assert_eq!(s.server.shutdown_grace, Duration::ZERO);
        assert_eq!(s.server.hosts, ["a.example", "b.example"]);
        let anon = s.server.anonymous.as_ref().expect("anonymous on");
        assert_eq!(anon.root, PathBuf::from("/srv/anon"));
        assert!(anon.writable);
        assert_eq!(s.users, Some(PathBuf::from("u.toml")));
        assert_eq!(s.root, PathBuf::from("/tmp/other"));
        assert_eq!(s.log, "warn");
    }

    #[test]
    fn passive_and_truncation_settings_from_file_and_flags() {
        let d = ServerConfig::default();
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert_eq!(s.server.max_passive_per_ip, d.max_passive_per_ip);
        assert_eq!(s.server.passive_wait, d.passive_wait);
        assert!(s.server.tls_upload_requires_close_notify);
        let f =
            "max_passive_per_ip = 3\npassive_wait = 5\ntls_upload_requires_close_notify = false\n";
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert_eq!(s.server.max_passive_per_ip, 3);
        assert_eq!(s.server.passive_wait, Duration::from_secs(5));
        assert!(!s.server.tls_upload_requires_close_notify);
        let args = serve_args(&[
            "--max-passive-per-ip",
            "0",
            "--passive-wait",
            "0",
            "--tls-upload-requires-close-notify",
            "true",
        ]);
        let s = merge(&args, file(f)).expect("merge");
        assert_eq!(s.server.max_passive_per_ip, 0);
        assert_eq!(s.server.passive_wait, Duration::ZERO);
        assert!(s.server.tls_upload_requires_close_notify);
    }

    /// Guards the durability setting: the TOML key and the flag reach `ServerConfig`, the
    /// flag wins, and the default is off.
    #[test]
    fn fsync_uploads_from_file_and_flag() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert!(!s.server.fsync_uploads);
        assert_eq!(
            s.server.fsync_uploads,
            ServerConfig::default().fsync_uploads
        );
        let s = merge(&serve_args(&[]), file("fsync_uploads = true\n")).expect("merge");
        assert!(s.server.fsync_uploads);
        let args = serve_args(&["--fsync-uploads", "false"]);
        let s = merge(&args, file("fsync_uploads = true\n")).expect("merge");
        assert!(!s.server.fsync_uploads);
        let s = merge(
            &serve_args(&["--fsync-uploads", "true"]),
            FileConfig::default(),
        )
        .expect("merge");
        assert!(s.server.fsync_uploads);
        assert!(FileConfig::parse("fsync_uploads = 1").is_err());
    }

    /// Guards the inline-metadata setting: the TOML key and the flag reach `ServerConfig`,
    /// the flag wins, and the default is the server's.
    #[test]
    fn inline_upload_metadata_from_file_and_flag() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert_eq!(
            s.server.inline_upload_metadata,
            ServerConfig::default().inline_upload_metadata
        );
        for v in [false, true] {
            let s = merge(
                &serve_args(&[]),
                file(&format!("inline_upload_metadata = {v}\n")),
            )
            .expect("merge");
            assert_eq!(s.server.inline_upload_metadata, v);
            let flag = serve_args(&["--inline-upload-metadata", &(!v).to_string()]);
            let s = merge(&flag, file(&format!("inline_upload_metadata = {v}\n"))).expect("merge");
            assert_eq!(s.server.inline_upload_metadata, !v);
        }
        assert!(FileConfig::parse("inline_upload_metadata = 1").is_err());
    }

    /// Guards the O_TMPFILE upload setting (perf issue, small uploads): the TOML key and
    /// the flag reach `ServerConfig`, the flag wins, and the default is the server's.
    #[test]
    fn tmpfile_uploads_from_file_and_flag() {
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert!(s.server.tmpfile_uploads);
        assert_eq!(
            s.server.tmpfile_uploads,
            ServerConfig::default().tmpfile_uploads
        );
        for v in [false, true] {
            let s =
                merge(&serve_args(&[]), file(&format!("tmpfile_uploads = {v}\n"))).expect("merge");
            assert_eq!(s.server.tmpfile_uploads, v);
            let flag = serve_args(&["--tmpfile-uploads", &(!v).to_string()]);
            let s = merge(&flag, file(&format!("tmpfile_uploads = {v}\n"))).expect("merge");
            assert_eq!(s.server.tmpfile_uploads, !v);
        }
        assert!(FileConfig::parse("tmpfile_uploads = 1").is_err());
    }

    #[test]
    fn passive_range_parsing() {
        assert_eq!(
            "50000-50100".parse::<PortRange>(),
            Ok(PortRange(50000..=50100))
        );
        assert_eq!(" 1 - 2 ".parse::<PortRange>(), Ok(PortRange(1..=2)));
        assert_eq!("2121".parse::<PortRange>(), Ok(PortRange(2121..=2121)));
        for bad in [
            "",
            "-",
            "50100-50000",
            "0-10",
            "1-65536",
            "a-b",
            "1-2-3",
            "-5",
        ] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(PortRange(1..=2).to_string(), "1-2");
        // The same rules apply in the file, with the position reported.
        let err = FileConfig::parse("passive_ports = \"9-8\"").expect_err("backwards");
        assert!(err.contains("backwards"), "{err}");
        assert!(err.starts_with("line 1"), "{err}");
        // And on the command line, as a usage error.
        let argv = ["ferroftp", "serve", "--passive-ports", "9-8"];
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn unknown_key_is_an_error() {
        let err = FileConfig::parse("listen = [\"127.0.0.1:21\"]\nmax_conections = 5\n")
            .expect_err("typo");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("max_conections"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
        // `config` itself is not a key.
        assert!(FileConfig::parse("config = \"x.toml\"").is_err());
        // Wrong types are reported too.
        assert!(FileConfig::parse("max_connections = \"many\"").is_err());
        assert!(FileConfig::parse("listen = [\"nonsense\"]").is_err());
    }

    #[test]
    fn hosts_alias() {
        let s = merge(&serve_args(&[]), file("hosts = [\"x.example\"]")).expect("merge");
        assert_eq!(s.server.hosts, ["x.example"]);
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ferroftp.toml");
        std::fs::write(
            &path,
            "users = \"users.toml\"\nroot = \"/abs\"\nanonymous_root = \"pub\"\n",
        )
        .expect("write");
        let f = FileConfig::load(&path).expect("load");
        assert_eq!(f.users, Some(dir.path().join("users.toml")));
        assert_eq!(f.root, Some(PathBuf::from("/abs")));
        assert_eq!(f.anonymous_root, Some(dir.path().join("pub")));
        assert!(matches!(
            FileConfig::load(&dir.path().join("missing.toml")),
            Err(ConfigError::Io { .. })
        ));
    }

    /// Guards the bounded-work settings: defaults, file keys and flags.
    #[test]
    fn bounded_work_settings() {
        let d = ServerConfig::default();
        assert!(!d.anonymous_chmod);
        assert_eq!(d.max_blocking_threads, 64);
        assert_eq!(d.stale_upload_sweep_limit, 100_000);
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert!(!s.server.anonymous_chmod);
        assert_eq!(s.server.max_blocking_threads, 64);
        let text =
            "anonymous_chmod = true\nmax_blocking_threads = 8\nstale_upload_sweep_limit = 0\n";
        let s = merge(&serve_args(&[]), file(text)).expect("merge");
        assert!(s.server.anonymous_chmod);
        assert_eq!(s.server.max_blocking_threads, 8);
        assert_eq!(s.server.stale_upload_sweep_limit, 0);
        let flags = [
            "--anonymous-chmod",
            "--max-blocking-threads",
            "16",
            "--stale-upload-sweep-limit",
            "500",
        ];
        let s = merge(&serve_args(&flags), file(text)).expect("merge");
        assert!(s.server.anonymous_chmod);
        assert_eq!(s.server.max_blocking_threads, 16);
        assert_eq!(s.server.stale_upload_sweep_limit, 500);
    }

    /// Guards the listing bound's setting: default twice the CPUs, then the file, then the
    /// flag; 0 is refused (it would stop every listing).
    #[test]
    fn max_listing_jobs_from_file_and_flag() {
        let d = ServerConfig::default();
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(d.max_listing_jobs, (2 * cpus).max(2));
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert_eq!(s.server.max_listing_jobs, d.max_listing_jobs);
        let s = merge(&serve_args(&[]), file("max_listing_jobs = 3\n")).expect("merge");
        assert_eq!(s.server.max_listing_jobs, 3);
        let flags = ["--max-listing-jobs", "5"];
        let s = merge(&serve_args(&flags), file("max_listing_jobs = 3\n")).expect("merge");
        assert_eq!(s.server.max_listing_jobs, 5);
        for (flags, text) in [
            (&["--max-listing-jobs", "0"][..], ""),
            (&[][..], "max_listing_jobs = 0"),
            // As many as the whole blocking pool: nothing would be left for transfers.
            (&["--max-listing-jobs", "64"][..], ""),
            (&[][..], "max_listing_jobs = 8\nmax_blocking_threads = 8"),
        ] {
            assert!(matches!(
                merge(&serve_args(flags), file(text)),
                Err(ConfigError::Invalid { .. })
            ));
        }
    }

    // Guards the listing jobs' share of the blocking pool: the default (twice the CPUs,
    // which a large machine makes large) is held to half a small pool instead of taking it.
    #[test]
    fn default_listing_jobs_leave_half_the_blocking_pool() {
        let s = merge(&serve_args(&[]), file("max_blocking_threads = 2\n")).expect("merge");
        assert_eq!(s.server.max_listing_jobs, 1);
        let s = merge(&serve_args(&[]), file("max_blocking_threads = 1\n")).expect("merge");
        assert_eq!(s.server.max_listing_jobs, 1);
        let s = merge(&serve_args(&[]), file("max_blocking_threads = 1000\n")).expect("merge");
        assert_eq!(
            s.server.max_listing_jobs,
            ServerConfig::default().max_listing_jobs
        );
    }

    #[test]
    fn invalid_values_are_rejected() {
        let cases: &[(&[&str], &str)] = &[
            (&["--max-connections", "0"], ""),
            (&["--max-connections-per-ip", "0"], ""),
            (&["--idle-timeout", "0"], ""),
            (&["--data-timeout", "0"], ""),
            (&["--passive-address", "::1"], ""),
            (&["--greeting", "a\r\n230 fake"], ""),
            (&["--anonymous-writable"], ""),
            (&["--max-blocking-threads", "0"], ""),
            (&[], "max_blocking_threads = 0"),
            (&["--host", "a b"], ""),
            (&[], "listen = []"),
            (&[], "greeting = \"x\\ny\""),
        ];
        for (flags, text) in cases {
            let result = merge(&serve_args(flags), file(text));
            assert!(
                matches!(result, Err(ConfigError::Invalid { .. })),
                "{flags:?} / {text:?} accepted"
            );
        }
    }

    /// Guards the new keys: bandwidth limits and the anonymous drop directory come from
    /// the file, flags win, "" turns the drop directory off, and the root is refused.
    #[test]
    fn bandwidth_and_drop_directory_keys() {
        let d = ServerConfig::default();
        let s = merge(&serve_args(&[]), file("")).expect("merge");
        assert_eq!(s.server.max_download_rate, 0);
        assert_eq!(s.server.max_upload_rate, 0);
        assert_eq!(s.server.anonymous_upload_dir, d.anonymous_upload_dir);
        assert_eq!(
            s.server.anonymous_upload_dir.as_ref().map(VPath::as_str),
            Some("/incoming")
        );

        let f = "max_download_rate = 1000000\nmax_upload_rate = 500000\nanonymous_upload_dir = \"/drop/box\"\n";
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        assert_eq!(s.server.max_download_rate, 1_000_000);
        assert_eq!(s.server.max_upload_rate, 500_000);
        assert_eq!(
            s.server.anonymous_upload_dir.as_ref().map(VPath::as_str),
            Some("/drop/box")
        );
        let args = serve_args(&[
            "--max-download-rate",
            "7",
            "--max-upload-rate",
            "8",
            "--anonymous-upload-dir",
            "",
        ]);
        let s = merge(&args, file(f)).expect("merge");
        assert_eq!(s.server.max_download_rate, 7);
        assert_eq!(s.server.max_upload_rate, 8);
        assert_eq!(s.server.anonymous_upload_dir, None);

        assert!(matches!(
            merge(&serve_args(&[]), file("anonymous_upload_dir = \"/\"")),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(FileConfig::parse("max_upload_rate = -1").is_err());
    }

    // Guards that every login limit is a config key and a flag, flags winning.
    #[test]
    fn login_limits_from_file_and_flags() {
        let f = r#"
max_concurrent_hashes = 3
login_queue_timeout = 7
login_failure_delay_max_ms = 9000
max_login_failures = 5
ban_after_failures = 20
ban_window = 120
ban_duration = 3600
max_sessions_per_user = 4
ipv6_prefix_len = 56
credential_cache_size = 100
credential_cache_ttl = 60
"#;
        let s = merge(&serve_args(&[]), file(f)).expect("merge");
        let expected = LoginLimits {
            max_concurrent_hashes: 3,
            login_queue_timeout: Duration::from_secs(7),
            login_failure_delay_max: Duration::from_secs(9),
            max_login_failures: 5,
            ban_after_failures: 20,
            ban_window: Duration::from_secs(120),
            ban_duration: Duration::from_secs(3600),
            max_sessions_per_user: 4,
            ipv6_prefix_len: 56,
            credential_cache_size: 100,
            credential_cache_ttl: Duration::from_secs(60),
        };
        assert_eq!(s.server.limits, expected);
        let args = serve_args(&[
            "--max-concurrent-hashes",
            "1",
            "--ban-after-failures",
            "0",
            "--max-sessions-per-user",
            "0",
            "--ipv6-prefix-len",
            "128",
            "--credential-cache-size",
            "0",
        ]);
        let s = merge(&args, file(f)).expect("merge");
        assert_eq!(s.server.limits.max_concurrent_hashes, 1);
        assert_eq!(s.server.limits.ban_after_failures, 0);
        assert_eq!(s.server.limits.max_sessions_per_user, 0);
        assert_eq!(s.server.limits.ipv6_prefix_len, 128);
        assert_eq!(s.server.limits.credential_cache_size, 0);
        assert_eq!(
            s.server.limits.credential_cache_ttl,
            Duration::from_secs(60)
        );
        assert_eq!(s.server.limits.ban_window, Duration::from_secs(120));
        // Unset: the defaults.
        let s = merge(&serve_args(&[]), FileConfig::default()).expect("merge");
        assert_eq!(s.server.limits, LoginLimits::default());
        for bad in [
            "--ipv6-prefix-len=129",
            "--ban-window=0",
            "--login-queue-timeout=0",
            "--credential-cache-ttl=0",
        ] {
            assert!(
                merge(&serve_args(&[bad]), FileConfig::default()).is_err(),
                "{bad} accepted"
            );
        }
    }
}
