//! Command-line syntax (clap derive).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config_file::PortRange;
use crate::doctor::DoctorArgs;
use crate::explain::ExplainArgs;

/// ferroftp: a correct, fast and safe FTP server.
#[derive(Debug, Parser)]
#[command(name = "ferroftp", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the FTP server (with no users file: a quick start with a random password).
    Serve(Box<ServeArgs>),
    /// Manage the users file.
    #[command(subcommand)]
    User(UserCommand),
    /// Explain an FTP reply code (or compare several): meaning, causes and fixes.
    Explain(ExplainArgs),
    /// Check any FTP server and explain each reply against the RFCs.
    Doctor(DoctorArgs),
}

/// `ferroftp serve` options. Every one except `--config` can also be set as a key of the
/// config file (snake_case of the flag name); flags win over the file.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// TOML config file; relative paths in it are relative to its directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Control connection address to listen on (repeatable) [default: 127.0.0.1:2121].
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<SocketAddr>,
    /// Users file (argon2id hashes); without it, a quick-start user is made up.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Port range for passive data connections, or 0-0 for any free port [default: 50000-50100].
    #[arg(long, value_name = "FIRST-LAST")]
    pub passive_ports: Option<PortRange>,
    /// IPv4 address advertised in PASV replies (when behind NAT).
    #[arg(long, value_name = "IP")]
    pub passive_address: Option<IpAddr>,
    /// Text of the 220 greeting [default: "ferroftp ready."].
    #[arg(long, value_name = "TEXT")]
    pub greeting: Option<String>,
    /// Most control connections at once [default: 1000].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Most control connections from one IP address [default: 50].
    #[arg(long, value_name = "N")]
    pub max_connections_per_ip: Option<usize>,
    /// Most data channels (waiting passive listeners and running transfers) open at once
    /// in the whole server [default: fitted to the open-files limit, at most
    /// --max-connections].
    #[arg(long, value_name = "N")]
    pub max_transfers: Option<usize>,
    /// Close sessions idle for this many seconds [default: 600].
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,
    /// Seconds to wait for a data connection to be made [default: 30].
    #[arg(long, value_name = "SECS")]
    pub data_timeout: Option<u64>,
    /// Most passive listeners waiting at once for one client address, IPv6 per /64; 0: no
    /// limit [default: 8].
    #[arg(long, value_name = "N")]
    pub max_passive_per_ip: Option<usize>,
    /// Seconds a PASV/EPSV waits for a free passive port (or a free place under
    /// max-passive-per-ip) before 425 [default: 2].
    #[arg(long, value_name = "SECS")]
    pub passive_wait: Option<u64>,
    /// Discard PROT P uploads that end without a TLS close_notify (truncation attack)
    /// [default: true].
    #[arg(long, value_name = "BOOL")]
    pub tls_upload_requires_close_notify: Option<bool>,
    /// Close connections not logged in this many seconds after connecting; traffic does
    /// not extend it [default: 60].
    #[arg(long, value_name = "SECS")]
    pub login_timeout: Option<u64>,
    /// Close sessions whose client does not read a reply for this many seconds [default: 30].
    #[arg(long, value_name = "SECS")]
    pub reply_timeout: Option<u64>,
    /// End transfers and listings that move no byte for this many seconds [default: 60].
    #[arg(long, value_name = "SECS")]
    pub stall_timeout: Option<u64>,
    /// TCP keepalive on control connections (a data connection has the stall timeout):
    /// seconds idle before the first probe, 0 for off [default: 60].
    #[arg(long, value_name = "SECS")]
    pub tcp_keepalive: Option<u64>,
    /// Send plain, binary, unthrottled downloads of local files with sendfile(2), without
    /// copying them through the server [default: true].
    #[arg(long, value_name = "BOOL")]
    pub zero_copy_downloads: Option<bool>,
    /// Splice plain, binary, unthrottled uploads into local files with splice(2) once they
    /// outgrow their first 16 KiB, without copying them through the server [default: true].
    #[arg(long, value_name = "BOOL")]
    pub zero_copy_uploads: Option<bool>,
    /// Pause after a failed login, in milliseconds; it doubles with each recent failure from
    /// the same address, up to --login-failure-delay-max-ms [default: 1000].
    #[arg(long, value_name = "MS")]
    pub login_failure_delay_ms: Option<u64>,
    /// Let USER switch to another user while logged in.
    #[arg(long)]
    pub allow_user_switch: bool,
    /// Let PORT/EPRT name an address other than the client's (enables FTP bounce).
    #[arg(long)]
    pub allow_foreign_data_address: bool,
    /// Seconds running transfers may go on after a shutdown signal [default: 30].
    #[arg(long, value_name = "SECS")]
    pub shutdown_grace: Option<u64>,
    /// Host name accepted by HOST, RFC 7151 (repeatable) [default: any].
    #[arg(long, value_name = "NAME")]
    pub host: Vec<String>,
    /// Enable anonymous login, serving this directory.
    #[arg(long, value_name = "DIR")]
    pub anonymous_root: Option<PathBuf>,
    /// Let anonymous users upload, into --anonymous-upload-dir only.
    #[arg(long)]
    pub anonymous_writable: bool,
    /// The drop directory anonymous uploads go to, unlistable and undownloadable; "" lets
    /// them write anywhere (unsafe) [default: /incoming].
    #[arg(long, value_name = "DIR")]
    pub anonymous_upload_dir: Option<String>,
    /// Most bytes per second all downloads together may use, 0 for no limit [default: 0].
    #[arg(long, value_name = "BYTES")]
    pub max_download_rate: Option<u64>,
    /// Most bytes per second all uploads together may use, 0 for no limit [default: 0].
    #[arg(long, value_name = "BYTES")]
    pub max_upload_rate: Option<u64>,
    /// fsync each finished upload (file, then directory) before replying that it is
    /// stored; off, a stored file may be lost by a power cut, as with vsftpd and Pure-FTPd
    /// [default: false].
    #[arg(long, value_name = "BOOL")]
    pub fsync_uploads: Option<bool>,
    /// Run the few file-system calls that start and finish a small STOR on the async
    /// worker instead of the blocking pool when its directory is in the dentry cache
    /// (faster for many small files; a file system that stalls then delays other sessions
    /// too: off for network file systems; never fsync) [default: true].
    #[arg(long, value_name = "BOOL")]
    pub inline_upload_metadata: Option<bool>,
    /// Write a STOR of a new file into a file without a name (O_TMPFILE) and link it into
    /// place when complete, instead of renaming a named temporary file (fewer directory
    /// updates; falls back by itself where unsupported) [default: true].
    #[arg(long, value_name = "BOOL")]
    pub tmpfile_uploads: Option<bool>,
    /// Let anonymous users SITE CHMOD too (with --anonymous-writable).
    #[arg(long)]
    pub anonymous_chmod: bool,
    /// Most threads for blocking file-system work [default: 64].
    #[arg(long, value_name = "N")]
    pub max_blocking_threads: Option<usize>,
    /// Most blocking jobs (directory reads and stats) all listings may run at once; one
    /// listing runs at most two; below max_blocking_threads [default: twice the CPUs, at
    /// most half of max_blocking_threads].
    #[arg(long, value_name = "N")]
    pub max_listing_jobs: Option<usize>,
    /// Most entries the start-up sweep for stale temporary upload files visits in each
    /// user's root; 0 turns it off [default: 100000].
    #[arg(long, value_name = "N")]
    pub stale_upload_sweep_limit: Option<usize>,
    /// Quick-start data directory, used when there is no users file [default: ./ftp-data].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Log level or filter, e.g. debug or ferroftp=trace (RUST_LOG overrides) [default: info].
    #[arg(long, value_name = "LEVEL")]
    pub log: Option<String>,
    /// FTPS certificate chain (PEM); reloaded on SIGHUP.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// FTPS private key (PEM); reloaded on SIGHUP.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Make a self-signed FTPS certificate at start-up and print its SHA-256 fingerprint.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
    /// Implicit FTPS listen address, TLS from the first byte (repeatable; usually port 990).
    #[arg(long, value_name = "ADDR")]
    pub implicit_tls_listen: Vec<SocketAddr>,
    /// Require TLS: none, login (AUTH TLS before USER) or all (login and PROT P data) [default: none].
    #[arg(long, value_name = "POLICY", value_parser = ["none", "login", "all"])]
    pub tls_required: Option<String>,
    /// Whether data connections must resume the control connection's TLS session [default: required].
    #[arg(long, value_name = "MODE", value_parser = ["required", "optional"])]
    pub tls_session_reuse: Option<String>,
    /// Login limits: concurrent password checks, failed logins, bans, sessions per user.
    #[command(flatten)]
    pub login: LoginArgs,
}

/// `serve` flags bounding logins; each is also a config key (snake_case).
#[derive(Debug, Default, Args)]
pub struct LoginArgs {
    /// Password checks (argon2, ~19 MiB each) running at once; 0: half the CPUs [default: 0].
    #[arg(long, value_name = "N")]
    pub max_concurrent_hashes: Option<usize>,
    /// Seconds a login may wait for a password check to start, then 421 [default: 10].
    #[arg(long, value_name = "SECS")]
    pub login_queue_timeout: Option<u64>,
    /// Longest pause after a failed login; the pause doubles per recent failure from an
    /// address, up to this [default: 16000].
    #[arg(long, value_name = "MS")]
    pub login_failure_delay_max_ms: Option<u64>,
    /// Failed logins on one connection before it is closed with 421; 0: no cap [default: 3].
    #[arg(long, value_name = "N")]
    pub max_login_failures: Option<u32>,
    /// Failed logins from one address within --ban-window that ban it; 0: no bans [default: 10].
    #[arg(long, value_name = "N")]
    pub ban_after_failures: Option<u32>,
    /// Seconds over which failed logins from an address are counted [default: 600].
    #[arg(long, value_name = "SECS")]
    pub ban_window: Option<u64>,
    /// Seconds a banned address gets 421 at connect [default: 1800].
    #[arg(long, value_name = "SECS")]
    pub ban_duration: Option<u64>,
    /// Sessions one user may have logged in at once (anonymous excepted); 0: no limit [default: 50].
    #[arg(long, value_name = "N")]
    pub max_sessions_per_user: Option<usize>,
    /// IPv6 clients count per network of this prefix length, for limits and bans [default: 64].
    #[arg(long, value_name = "BITS")]
    pub ipv6_prefix_len: Option<u8>,
    /// Users whose last verified password is remembered (as a keyed MAC, never the password)
    /// so their next logins skip argon2; 0: off [default: 10000].
    #[arg(long, value_name = "N")]
    pub credential_cache_size: Option<usize>,
    /// Seconds a remembered credential is trusted after its argon2 check [default: 600].
    #[arg(long, value_name = "SECS")]
    pub credential_cache_ttl: Option<u64>,
}

/// `ferroftp user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (creates the users file and the home directory if missing).
    Add(UserAddArgs),
    /// Change a user's password.
    Passwd(UserPasswdArgs),
    /// Change a user's permissions, TLS policy, home directory, bandwidth limits or quotas.
    Set(UserSetArgs),
    /// Remove a user (the home directory is left in place).
    Del(UserDelArgs),
    /// List users: name, home directory, TLS policy and permissions (never the hash).
    List(UserListArgs),
}

/// The users file option shared by the `user` subcommands.
#[derive(Debug, Args)]
pub struct UsersFileArg {
    /// Users file to edit.
    #[arg(long, value_name = "FILE", env = "FERROFTP_USERS")]
    pub users: PathBuf,
}

/// `ferroftp user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name.
    pub name: String,
    /// Home directory (the user's `/`); created if missing.
    #[arg(long, value_name = "DIR")]
    pub home: PathBuf,
    /// Browse and download only.
    #[arg(long)]
    pub read_only: bool,
    /// Users file.
    #[command(flatten)]
    pub users: UsersFileArg,
    /// Read the password from one line of standard input instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `ferroftp user passwd`.
#[derive(Debug, Args)]
pub struct UserPasswdArgs {
    /// Login name.
    pub name: String,
    /// Users file.
    #[command(flatten)]
    pub users: UsersFileArg,
    /// Read the password from one line of standard input instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `ferroftp user set`: only the options given change; the rest of the file stays as it is.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args([
            "permissions",
            "tls",
            "home",
            "read_only",
            "read_write",
            "download_rate",
            "upload_rate",
            "quota_bytes",
            "quota_files",
        ]),
))]
pub struct UserSetArgs {
    /// Login name.
    pub name: String,
    /// What the user may do: a comma-separated list of list, read, write, delete, rename,
    /// mkdir, or `none`.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with_all = ["read_only", "read_write"]
    )]
    pub permissions: Option<Vec<String>>,
    /// The user's own TLS policy, on top of the server's: none, login or all.
    #[arg(long, value_name = "POLICY", value_parser = ["none", "login", "all"])]
    pub tls: Option<String>,
    /// New home directory (the user's `/`); created if missing.
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Browse and download only (drops any permissions list).
    #[arg(long, conflicts_with = "read_write")]
    pub read_only: bool,
    /// Every permission (drops any permissions list).
    #[arg(long)]
    pub read_write: bool,
    /// Most bytes per second over all the user's downloads, 0 for no limit.
    #[arg(long, value_name = "BYTES")]
    pub download_rate: Option<u64>,
    /// Most bytes per second over all the user's uploads, 0 for no limit.
    #[arg(long, value_name = "BYTES")]
    pub upload_rate: Option<u64>,
    /// Most bytes of files under the user's home, 0 for no limit.
    #[arg(long, value_name = "BYTES")]
    pub quota_bytes: Option<u64>,
    /// Most files under the user's home, 0 for no limit.
    #[arg(long, value_name = "N")]
    pub quota_files: Option<u64>,
    /// Users file.
    #[command(flatten)]
    pub users: UsersFileArg,
}

/// `ferroftp user del`.
#[derive(Debug, Args)]
pub struct UserDelArgs {
    /// Login name.
    pub name: String,
    /// Users file.
    #[command(flatten)]
    pub users: UsersFileArg,
}

/// `ferroftp user list`.
#[derive(Debug, Args)]
pub struct UserListArgs {
    /// Users file.
    #[command(flatten)]
    pub users: UsersFileArg,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
