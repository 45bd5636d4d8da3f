//! Server settings, as the binary builds them from flags and the TOML config file.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use ferroftp_proto::path::VPath;
use ferroftp_proto::session::TlsRequired;

use crate::storage::StorageFactory;
use crate::tls::{CertSource, SessionReuse};

/// The anonymous drop directory unless configured otherwise.
pub const DEFAULT_UPLOAD_DIR: &str = "/incoming";

/// Everything the server needs to know to run, with sensible defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Control-connection listen addresses (IPv4 and IPv6 alike).
    pub listen: Vec<SocketAddr>,
    /// Ports handed out for passive data connections.
    pub passive_ports: RangeInclusive<u16>,
    /// The IPv4 address advertised in PASV replies (for servers behind NAT); by default the
    /// local address of the control connection.
    pub passive_address: Option<IpAddr>,
    /// Text of the greeting. No version number by default.
    pub greeting: String,
    /// Most control connections open at once; more get `Msg::TooManyConnections`.
    pub max_connections: usize,
    /// Most control connections from one IP address; more get `Msg::TooManyFromAddress`.
    pub max_connections_per_ip: usize,
    /// Most data channels (a waiting passive listener or a running transfer) open at once
    /// in the whole server; PASV/EPSV, or a transfer over PORT/EPRT, beyond it gets
    /// `Msg::TooManyTransfers`. Each costs up to four descriptors (connection and file,
    /// with the listener or a zero-copy upload's pipe), so this is what keeps busy sessions
    /// within the open-files limit. `None`: no
    /// bound but `max_connections` (the `ferroftp` binary always sets one, fitted to the
    /// limit).
    pub max_transfers: Option<usize>,
    /// A session with no command for this long gets `Msg::IdleTimeout` and is closed.
    pub idle_timeout: Duration,
    /// How long to wait for a data connection to be made (passive accept or active connect).
    pub data_connect_timeout: Duration,
    /// Most passive listeners waiting at once for one client address (IPv6: per /64); more
    /// PASV/EPSV wait up to `passive_wait` for one to close, then get `Msg::PassiveTooMany`.
    /// 0: no limit.
    pub max_passive_per_ip: usize,
    /// How long a PASV/EPSV that finds every passive port busy waits for one to be freed
    /// before `Msg::PassiveNoPort`.
    pub passive_wait: Duration,
    /// Whether a `PROT P` upload must end with a TLS close_notify: an upload cut by a bare
    /// TCP close (a truncation attack) is then discarded with `Msg::UploadTruncated`.
    pub tls_upload_requires_close_notify: bool,
    /// A connection not logged in this long after it connected gets `Msg::LoginTimeout` and
    /// is closed. Unlike the idle timer, traffic does not extend it.
    pub login_timeout: Duration,
    /// How long writing one reply may block (a client that sends commands but never reads
    /// the replies) before the session is closed.
    pub reply_timeout: Duration,
    /// A data transfer or listing that moves no byte for this long ends with
    /// `Msg::TransferStalled`; the session goes on.
    pub stall_timeout: Duration,
    /// TCP keepalive on control connections: idle time before the first probe
    /// (then probes every 10 s, 6 at most). `None` turns keepalive off.
    pub tcp_keepalive: Option<Duration>,
    /// Whether plain (no TLS), binary, unthrottled downloads of local files are sent with
    /// `sendfile(2)`, without copying through the server; on by default. Off, every
    /// download is read into a buffer and written (for file systems where sendfile
    /// misbehaves).
    pub zero_copy_downloads: bool,
    /// Whether plain (no TLS), binary, unthrottled uploads into local files are moved
    /// from the data connection into the file with `splice(2)`, without copying through
    /// the server, once they outgrow their first read (16 KiB); on by default (APPE stays
    /// buffered: splice cannot append, see `storage::local`). Off, every
    /// upload is read into a buffer and written (for file systems where splice
    /// misbehaves).
    pub zero_copy_uploads: bool,
    /// Pause after a failed login, to slow down password guessing; it doubles with each
    /// further failure from the same address (see [`LoginLimits::login_failure_delay_max`]).
    pub login_failure_delay: Duration,
    /// Bounds on login work, failed logins, bans and sessions per user.
    pub limits: LoginLimits,
    /// Whether `USER` while logged in may switch to another user.
    pub allow_user_switch: bool,
    /// Whether PORT/EPRT may name an address other than the client's (FTP bounce); off by
    /// default.
    pub allow_foreign_data_address: bool,
    /// On shutdown, how long running transfers may go on before they are cut.
    pub shutdown_grace: Duration,
    /// Names accepted by `HOST` (RFC 7151). Empty: any name is accepted (one default host).
    pub hosts: Vec<String>,
    /// Anonymous login (`USER anonymous` or `ftp`), off when `None`.
    pub anonymous: Option<AnonymousConfig>,
    /// Whether anonymous users may SITE CHMOD (only when the whole anonymous root is
    /// writable, `anonymous_upload_dir` = None: a drop directory refuses it); off by default,
    /// since every anonymous client shares the same files.
    pub anonymous_chmod: bool,
    /// Most threads of the blocking pool (file-system calls, listings); the binary builds
    /// its runtime with this cap.
    pub max_blocking_threads: usize,
    /// Most blocking jobs (threads reading and stat'ing directories) all listings of the
    /// local disk may run at once, so that many listings cannot take the whole blocking
    /// pool; one listing runs at most two. Default: twice the CPUs.
    pub max_listing_jobs: usize,
    /// How many entries the start-up sweep for stale temporary upload files visits in each
    /// user's root at most (0 turns the sweep off).
    pub stale_upload_sweep_limit: usize,
    /// FTPS: off when `None`.
    pub tls: Option<TlsOptions>,
    /// Listen addresses for implicit FTPS (TLS from the first byte, conventionally port 990).
    pub implicit_tls_listen: Vec<SocketAddr>,
    /// How long a TLS handshake may take before the session is dropped.
    pub tls_handshake_timeout: Duration,
    /// Opens each user's storage at login: their home directory on the local disk unless
    /// another backend is plugged in.
    pub storage: StorageFactory,
    /// Whether a finished upload is forced to stable storage (the file fsynced before it
    /// takes its final name, its directory after) before the client hears that it is
    /// stored. Off: the file is complete and in place in the OS page cache, as with vsftpd,
    /// Pure-FTPd and ProFTPD. A replaced file changes atomically either way. The server hands
    /// it to the storage backends through [`crate::storage::BackendOptions`].
    pub fsync_uploads: bool,
    /// Whether the short file-system calls that start and finish a plain upload (STOR) of
    /// a small file may run on the async worker rather than the blocking pool: two thread
    /// hand-offs less per file (+35-40% small files per second measured). Taken only when
    /// the target's directory resolves from the kernel's dentry cache alone, and never for
    /// fsync or more than 64 KiB of writing; still, a file system that stalls in the
    /// middle of a create or a rename then delays the other sessions of that worker too
    /// (see `storage::local::Offload`): turn it off for storage that may hang (a network
    /// file system). On by default. Handed to the backends through
    /// [`crate::storage::BackendOptions`].
    pub inline_upload_metadata: bool,
    /// Whether a plain upload (STOR) of a new file into a local directory is written into
    /// a file without a name (`O_TMPFILE`) and linked into place when complete, instead of
    /// a named temporary file renamed over the target: fewer directory updates per file,
    /// and an aborted or crashed upload leaves no file behind. A target that exists, a file
    /// system without `O_TMPFILE` or a missing `/proc` take the named temporary file; the
    /// guarantees are the same (nothing half-written under the final name, atomic
    /// replace). On by default.
    pub tmpfile_uploads: bool,
    /// Most bytes per second all downloads together may use (0: unlimited).
    pub max_download_rate: u64,
    /// Most bytes per second all uploads together may use (0: unlimited).
    pub max_upload_rate: u64,
    /// When anonymous users may write: the one directory (in the anonymous root) they may
    /// upload into, and whose files they can neither list nor download. `None` keeps the
    /// old behaviour of a fully writable anonymous root.
    pub anonymous_upload_dir: Option<VPath>,
}

/// Limits on logins: how many password checks run at once, what failed logins cost, when an
/// address is banned, and how many sessions one user may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLimits {
    /// Password checks (argon2, ~19 MiB each) running at once; the others wait. Default: half
    /// the CPUs, rounded up.
    pub max_concurrent_hashes: usize,
    /// How long a login may wait for a password check to start; then the client gets
    /// `Msg::LoginsBusy` and is disconnected.
    pub login_queue_timeout: Duration,
    /// The longest pause after a failed login, however many failures came before.
    pub login_failure_delay_max: Duration,
    /// Failed logins on one connection before it is closed with `Msg::TooManyLoginFailures`.
    pub max_login_failures: u32,
    /// Failed logins from one address (IPv6: one prefix) within `ban_window` that get it
    /// banned; 0 turns bans off.
    pub ban_after_failures: u32,
    /// The window in which failed logins are counted, both for bans and for the growing delay.
    pub ban_window: Duration,
    /// How long a banned address gets `Msg::AddressBanned` at connect.
    pub ban_duration: Duration,
    /// Sessions one user may have logged in at once (anonymous logins excepted); 0: no limit.
    pub max_sessions_per_user: usize,
    /// IPv6 clients are counted per network of this prefix length (per-address connection
    /// limit and bans), since one host usually holds a whole /64.
    pub ipv6_prefix_len: u8,
    /// Users whose recently verified password is remembered (as a keyed MAC, never the
    /// password), so that their next logins skip argon2; 0 turns the cache off.
    pub credential_cache_size: usize,
    /// How long after its argon2 check a remembered credential is trusted.
    pub credential_cache_ttl: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            // Half the CPUs, rounded up: password checks never take the cores the sessions
            // need (on 2 cores, guessers hashing on both made every reply wait).
            max_concurrent_hashes: std::thread::available_parallelism()
                .map_or(1, |n| n.get().div_ceil(2)),
            login_queue_timeout: Duration::from_secs(10),
            login_failure_delay_max: Duration::from_secs(16),
            max_login_failures: 3,
            ban_after_failures: 10,
            ban_window: Duration::from_secs(600),
            ban_duration: Duration::from_secs(1800),
            max_sessions_per_user: 50,
            ipv6_prefix_len: 64,
            credential_cache_size: crate::credcache::DEFAULT_CAPACITY,
            credential_cache_ttl: crate::credcache::DEFAULT_TTL,
        }
    }
}

/// FTPS settings.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// The certificate.
    pub cert: CertSource,
    /// How much TLS every user must use (users may be held to more in the users file).
    pub required: TlsRequired,
    /// Whether data connections must resume the control connection's TLS session.
    pub session_reuse: SessionReuse,
}

/// Anonymous FTP settings.
#[derive(Debug, Clone)]
pub struct AnonymousConfig {
    /// The directory anonymous users see as `/`.
    pub root: PathBuf,
    /// Whether anonymous users may upload, create, rename and delete.
    pub writable: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 2121))],
            passive_ports: 50000..=50100,
            passive_address: None,
            greeting: "ferroftp ready.".to_owned(),
            max_connections: 1000,
            max_connections_per_ip: 50,
            max_transfers: None,
            idle_timeout: Duration::from_secs(600),
            data_connect_timeout: Duration::from_secs(30),
            max_passive_per_ip: 8,
            passive_wait: Duration::from_secs(2),
            tls_upload_requires_close_notify: true,
            login_timeout: Duration::from_secs(60),
            reply_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(60),
            tcp_keepalive: Some(Duration::from_secs(60)),
            zero_copy_downloads: true,
            zero_copy_uploads: true,
            login_failure_delay: Duration::from_secs(1),
            limits: LoginLimits::default(),
            allow_user_switch: false,
            allow_foreign_data_address: false,
            shutdown_grace: Duration::from_secs(30),
            hosts: Vec::new(),
            anonymous: None,
            anonymous_chmod: false,
            max_blocking_threads: 64,
            max_listing_jobs: crate::storage::ListingJobs::default_size(),
            stale_upload_sweep_limit: 100_000,
            tls: None,
            implicit_tls_listen: Vec::new(),
            tls_handshake_timeout: Duration::from_secs(10),
            storage: StorageFactory::default(),
            fsync_uploads: false,
            inline_upload_metadata: true,
            tmpfile_uploads: true,
            max_download_rate: 0,
            max_upload_rate: 0,
            anonymous_upload_dir: VPath::root().resolve(DEFAULT_UPLOAD_DIR).ok(),
        }
    }
}
