//! Server settings, as the binary builds them from flags and the TOML config file.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use ferroftp_proto::session::TlsRequired;

use crate::storage::StorageFactory;
use crate::tls::{CertSource, SessionReuse};

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
    /// A session with no command for this long gets `Msg::IdleTimeout` and is closed.
    pub idle_timeout: Duration,
    /// How long to wait for a data connection to be made (passive accept or active connect).
    pub data_connect_timeout: Duration,
    /// A connection not logged in this long after it connected gets `Msg::LoginTimeout` and
    /// is closed. Unlike the idle timer, traffic does not extend it.
    pub login_timeout: Duration,
    /// How long writing one reply may block (a client that sends commands but never reads
    /// the replies) before the session is closed.
    pub reply_timeout: Duration,
    /// A data transfer or listing that moves no byte for this long ends with
    /// `Msg::TransferStalled`; the session goes on.
    pub stall_timeout: Duration,
    /// TCP keepalive on control and data connections: idle time before the first probe
    /// (then probes every 10 s, 6 at most). `None` turns keepalive off.
    pub tcp_keepalive: Option<Duration>,
    /// Pause after each failed login, to slow down password guessing.
    pub login_failure_delay: Duration,
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
    /// FTPS: off when `None`.
    pub tls: Option<TlsOptions>,
    /// Listen addresses for implicit FTPS (TLS from the first byte, conventionally port 990).
    pub implicit_tls_listen: Vec<SocketAddr>,
    /// How long a TLS handshake may take before the session is dropped.
    pub tls_handshake_timeout: Duration,
    /// Opens each user's storage at login: their home directory on the local disk unless
    /// another backend is plugged in.
    pub storage: StorageFactory,
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
            idle_timeout: Duration::from_secs(600),
            data_connect_timeout: Duration::from_secs(30),
            login_timeout: Duration::from_secs(60),
            reply_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(60),
            tcp_keepalive: Some(Duration::from_secs(60)),
            login_failure_delay: Duration::from_secs(1),
            allow_user_switch: false,
            allow_foreign_data_address: false,
            shutdown_grace: Duration::from_secs(30),
            hosts: Vec::new(),
            anonymous: None,
            tls: None,
            implicit_tls_listen: Vec::new(),
            tls_handshake_timeout: Duration::from_secs(10),
            storage: StorageFactory::default(),
        }
    }
}
