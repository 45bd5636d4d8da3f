//! The listener: accepts control connections, enforces connection limits and shuts down
//! gracefully.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::session::SessionConfig;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::auth::{Account, Authenticator};
use crate::config::ServerConfig;
use crate::control::Control;
use crate::data::PortPool;
use crate::guard::{HashGate, LoginGuard, UserSessions};
use crate::stream::{ControlStream, MaybeTls};
use crate::tls::TlsConfig;

/// What every session of a server shares.
#[derive(Debug)]
pub struct Shared {
    /// The server's settings.
    pub config: ServerConfig,
    /// The protocol core's settings, shared by every session.
    pub session_config: Arc<SessionConfig>,
    /// Checks passwords.
    pub auth: Arc<dyn Authenticator>,
    /// Passive ports.
    pub ports: Arc<PortPool>,
    /// Becomes `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// FTPS, when configured.
    pub tls: Option<Arc<TlsConfig>>,
    /// Bandwidth buckets and per-user quotas, shared by all sessions.
    pub limits: crate::limits::ServerLimits,
    /// Failed logins per address: delays and bans.
    pub guard: LoginGuard,
    /// Bounds the password checks running at once.
    pub hashes: Arc<HashGate>,
    /// Logged-in sessions per user.
    pub user_sessions: Arc<UserSessions>,
    /// The server-wide bound on data channels (`ServerConfig::max_transfers`).
    pub transfers: crate::transfers::TransferGate,
    connections: Mutex<Connections>,
    /// Homes a login has already asked to sweep (see [`Shared::first_login_to`]).
    swept_homes: Mutex<HashSet<PathBuf>>,
}

/// Open control connections, in total and per client address.
#[derive(Debug, Default)]
struct Connections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Holds one connection's place in the counts and gives it back on drop.
struct ConnectionSlot {
    shared: Arc<Shared>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut c = self
            .shared
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

impl Shared {
    /// Whether this is the first login to `home` in this process. Storage sweeps stale
    /// uploads once per process and root: later logins to the same home skip even starting
    /// the sweep's task (a task spawn per login, and often a worker thread woken for it).
    pub fn first_login_to(&self, home: &Path) -> bool {
        let mut swept = self.swept_homes.lock().unwrap_or_else(|p| p.into_inner());
        if swept.contains(home) {
            return false;
        }
        swept.insert(home.to_owned())
    }

    /// The key `ip` is counted under for limits and bans (IPv6: its network).
    pub fn address_key(&self, ip: IpAddr) -> IpAddr {
        crate::guard::address_key(ip, self.config.limits.ipv6_prefix_len)
    }

    /// Takes a connection slot, or says which limit is reached (or that the address is
    /// banned).
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Msg> {
        let ip = self.address_key(ip);
        if let Some(left) = self.guard.banned(ip) {
            tracing::warn!(address = %ip, reason = "banned after failed logins", remaining_secs = left.as_secs(), "connection refused");
            return Err(Msg::AddressBanned);
        }
        let mut c = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if c.total >= self.config.max_connections {
            return Err(Msg::TooManyConnections);
        }
        let n = c.per_ip.entry(ip).or_insert(0);
        if *n >= self.config.max_connections_per_ip {
            return Err(Msg::TooManyFromAddress);
        }
        *n += 1;
        c.total += 1;
        Ok(ConnectionSlot {
            shared: self.clone(),
            ip,
        })
    }
}

/// How a control listener's connections begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Plain, possibly upgraded by `AUTH TLS`.
    Explicit,
    /// TLS from the first byte.
    Implicit,
}

/// A bound, not yet running, FTP server.
pub struct Server {
    listeners: Vec<(TcpListener, Kind)>,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
}

impl Server {
    /// Binds every control listener of `config`.
    pub async fn bind(
        mut config: ServerConfig,
        auth: Arc<dyn Authenticator>,
    ) -> io::Result<Server> {
        // The backends learn the settings that concern them from the one place they live.
        config.storage.set_options(crate::storage::BackendOptions {
            fsync_uploads: config.fsync_uploads,
            inline_upload_metadata: config.inline_upload_metadata,
            tmpfile_uploads: config.tmpfile_uploads,
        });
        config.storage.set_max_listing_jobs(config.max_listing_jobs);
        let tls = match &config.tls {
            Some(opts) => Some(Arc::new(
                TlsConfig::new(opts.cert.clone(), opts.session_reuse)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?,
            )),
            None => None,
        };
        if tls.is_none() && !config.implicit_tls_listen.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "implicit FTPS needs a certificate: set tls-cert and tls-key, or tls-self-signed",
            ));
        }
        let mut listeners = Vec::new();
        let all = config.listen.iter().map(|a| (a, Kind::Explicit)).chain(
            config
                .implicit_tls_listen
                .iter()
                .map(|a| (a, Kind::Implicit)),
        );
        for (addr, kind) in all {
            let listener = crate::net::bind_listener(*addr, crate::net::CONTROL_BACKLOG)
                .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
            inherited_options(&listener, config.tcp_keepalive);
            listeners.push((listener, kind));
        }
        let (shutdown_tx, shutdown) = watch::channel(false);
        let session_config = Arc::new(SessionConfig {
            allow_user_switch: config.allow_user_switch,
            hosts: config.hosts.clone(),
            greeting: config.greeting.clone(),
            tls_available: tls.is_some(),
            tls_required: config.tls.as_ref().map(|t| t.required).unwrap_or_default(),
            anonymous_chmod: config.anonymous_chmod,
        });
        warn_reserved_accounts(&config, auth.as_ref());
        auth.configure_credential_cache(
            config.limits.credential_cache_size,
            config.limits.credential_cache_ttl,
        );
        let shared = Arc::new(Shared {
            ports: Arc::new(
                PortPool::new(config.passive_ports.clone())
                    .with_max_per_address(config.max_passive_per_ip),
            ),
            limits: crate::limits::ServerLimits::new(&config),
            guard: LoginGuard::new(config.login_failure_delay, &config.limits),
            hashes: Arc::new(HashGate::new(
                config.limits.max_concurrent_hashes,
                config.limits.login_queue_timeout,
            )),
            user_sessions: Arc::new(UserSessions::new(config.limits.max_sessions_per_user)),
            transfers: crate::transfers::TransferGate::new(config.max_transfers),
            config,
            session_config,
            auth,
            shutdown,
            tls,
            connections: Mutex::new(Connections::default()),
            swept_homes: Mutex::new(HashSet::new()),
        });
        Ok(Server {
            listeners,
            shared,
            shutdown_tx,
        })
    }

    /// The addresses the (explicit) control listeners are bound to, with the real port
    /// when the configuration asked for port 0.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(Kind::Explicit)
    }

    /// The addresses the implicit-FTPS listeners are bound to.
    pub fn implicit_tls_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(Kind::Implicit)
    }

    fn addrs(&self, kind: Kind) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|(_, k)| *k == kind)
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    }

    /// The gate around password checks, kept by the caller to read its counters once the
    /// server runs (a login answered from the credential cache never takes a permit).
    pub fn hash_gate(&self) -> Arc<HashGate> {
        self.shared.hashes.clone()
    }

    /// The TLS setup, to reload certificates (SIGHUP) or show the fingerprint.
    pub fn tls(&self) -> Option<Arc<TlsConfig>> {
        self.shared.tls.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting, tells idle sessions
    /// `Msg::ShuttingDown` and gives running transfers the configured grace period to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        // No other streams: with the sender gone, only the listeners feed sessions.
        let (none, streams) = mpsc::channel::<IncomingStream<MaybeTls>>(1);
        drop(none);
        self.run_with_streams(shutdown, streams).await
    }

    /// Like [`Server::run`], and also serves a session over each stream sent on `streams`,
    /// besides the bound listeners: the seam for transports other than TCP, and for tests
    /// that run whole sessions over `tokio::io::duplex` under paused time. Those sessions
    /// count against the connection limits like any other.
    pub async fn run_with_streams<S: ControlStream + 'static>(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        streams: mpsc::Receiver<IncomingStream<S>>,
    ) -> io::Result<()> {
        let (conn_tx, mut conn_rx) = mpsc::channel::<(SocketAddr, SessionFuture)>(64);
        let mut acceptors = JoinSet::new();
        for (listener, kind) in self.listeners {
            let tx = conn_tx.clone();
            acceptors.spawn(accept_loop(listener, kind, self.shared.clone(), tx));
        }
        acceptors.spawn(forward_streams(streams, self.shared.clone(), conn_tx));
        tokio::spawn(sweep_at_start(self.shared.clone()));
        let mut sessions = JoinSet::new();
        let next_id = AtomicU64::new(1);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                conn = conn_rx.recv() => match conn {
                    Some((peer, session)) => {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let span = tracing::info_span!("session", id, %peer);
                        sessions.spawn(contain_panic(session).instrument(span));
                    }
                    None => break,
                },
                // Reap finished sessions so the set stays small.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        tracing::info!(sessions = sessions.len(), "shutting down");
        acceptors.abort_all();
        let _ = self.shutdown_tx.send(true);
        let grace = self.shared.config.shutdown_grace;
        let drained = tokio::time::timeout(grace, async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                sessions = sessions.len(),
                "grace period over: cutting remaining sessions"
            );
            sessions.shutdown().await;
        }
        Ok(())
    }
}

/// Runs a session and, should it panic, logs the panic: only that session ends (its
/// connection closes and its slot is given back as the stack unwinds), the server and every
/// other session go on.
async fn contain_panic(session: SessionFuture) {
    use futures::FutureExt;
    if let Err(panic) = std::panic::AssertUnwindSafe(session).catch_unwind().await {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(panic = %what, "session panicked: closed it; the server goes on");
    }
}

/// Removes the temporary upload files a killed server left in each user's root (and the
/// anonymous root), one root after another in the background, so that start-up is not
/// delayed and the blocking pool is not flooded; a root whose user logs in first is swept
/// then (once per root either way).
async fn sweep_at_start(shared: Arc<Shared>) {
    let limit = shared.config.stale_upload_sweep_limit;
    if limit == 0 {
        return;
    }
    let mut accounts = shared.auth.accounts();
    if let Some(anon) = &shared.config.anonymous {
        accounts.push(Account {
            name: "anonymous".to_owned(),
            home: anon.root.clone(),
            permissions: ferroftp_proto::perms::Permissions::READ_ONLY,
        });
    }
    let mut removed = 0;
    for account in &accounts {
        match shared.config.storage.open(account) {
            Ok(storage) => removed += storage.sweep_stale_uploads(limit).await,
            Err(e) => {
                tracing::debug!(user = %account.name, error = %e, "start-up sweep: root unavailable");
            }
        }
    }
    tracing::info!(
        roots = accounts.len(),
        removed,
        "start-up sweep of stale upload files done"
    );
}

/// With anonymous login on, `USER ftp` and `USER anonymous` are always anonymous logins: a
/// real account by either name can never log in, so say so at start-up rather than let an
/// administrator wonder (`ferroftp user add` refuses these names).
fn warn_reserved_accounts(config: &ServerConfig, auth: &dyn Authenticator) {
    if config.anonymous.is_none() {
        return;
    }
    for name in crate::auth::ANONYMOUS_NAMES {
        if auth.has_account(name) {
            tracing::warn!(
                user = name,
                "anonymous login is on: the account {name:?} in the users file cannot log in \
                 (USER {name} is always anonymous); rename it"
            );
        }
    }
}

/// One session, ready to run.
type SessionFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A connection handed to [`Server::run_with_streams`].
#[derive(Debug)]
pub struct IncomingStream<S> {
    /// The connection.
    pub stream: S,
    /// The client's address: connection limits, data-connection checks and logs use it.
    pub peer: SocketAddr,
    /// The server's own address on it: passive listeners are bound to its IP.
    pub local: SocketAddr,
}

// Whether accepted connections inherit the control listener's socket options (see
// `inherited_options`), so that a login costs no `setsockopt` of its own.
use crate::net::OPTIONS_INHERITED;

/// Sets on a control listener the options every control connection needs: no Nagle delay
/// on replies, urgent data inline (ABOR), keepalive. Linux copies them to each accepted
/// socket (keepalive timer armed), which saves five system calls per connection; elsewhere
/// [`serve_connection`] sets them on each connection.
fn inherited_options(listener: &TcpListener, keepalive: Option<std::time::Duration>) {
    if !OPTIONS_INHERITED {
        return;
    }
    let sock = socket2::SockRef::from(listener);
    let _ = sock.set_tcp_nodelay(true);
    let _ = sock.set_out_of_band_inline(true);
    crate::net::set_keepalive_on(&sock, keepalive);
}

async fn accept_loop(
    listener: TcpListener,
    kind: Kind,
    shared: Arc<Shared>,
    tx: mpsc::Sender<(SocketAddr, SessionFuture)>,
) {
    // A listener bound to one address is what every connection on it arrives at: no
    // `getsockname` per connection. A wildcard listener must ask each time.
    let fixed_local = listener
        .local_addr()
        .ok()
        .filter(|a| !a.ip().is_unspecified());
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let session = Box::pin(serve_connection(
                    shared.clone(),
                    stream,
                    peer,
                    fixed_local,
                    kind,
                ));
                if tx.send((peer, session)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn forward_streams<S: ControlStream + 'static>(
    mut streams: mpsc::Receiver<IncomingStream<S>>,
    shared: Arc<Shared>,
    tx: mpsc::Sender<(SocketAddr, SessionFuture)>,
) {
    while let Some(incoming) = streams.recv().await {
        let peer = incoming.peer;
        let session = Box::pin(serve_stream(shared.clone(), incoming));
        if tx.send((peer, session)).await.is_err() {
            return;
        }
    }
}

/// Takes a connection slot for `peer`, or tells the client which limit is reached.
async fn admit<S: AsyncWrite + Unpin>(
    shared: &Arc<Shared>,
    stream: &mut S,
    peer: SocketAddr,
) -> Option<ConnectionSlot> {
    match shared.admit(peer.ip()) {
        Ok(slot) => Some(slot),
        Err(Msg::AddressBanned) => {
            // Logged in `Shared::admit`, with the address and the reason.
            let _ = stream
                .write_all(Msg::AddressBanned.reply().to_wire().as_bytes())
                .await;
            None
        }
        Err(msg) => {
            tracing::warn!(reason = ?msg, "connection refused");
            let _ = stream.write_all(msg.reply().to_wire().as_bytes()).await;
            None
        }
    }
}

async fn serve_stream<S: ControlStream + 'static>(
    shared: Arc<Shared>,
    incoming: IncomingStream<S>,
) {
    let IncomingStream {
        mut stream,
        peer,
        local,
    } = incoming;
    let Some(slot) = admit(&shared, &mut stream, peer).await else {
        return;
    };
    tracing::info!(tls = stream.is_tls(), "connected");
    Control::new(shared, stream, peer, local, None).run().await;
    drop(slot);
}

async fn serve_connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    fixed_local: Option<SocketAddr>,
    kind: Kind,
) {
    let Some(slot) = admit(&shared, &mut stream, peer).await else {
        return;
    };
    let local = match fixed_local.map_or_else(|| stream.local_addr(), Ok) {
        Ok(a) => a,
        Err(_) => return,
    };
    if !OPTIONS_INHERITED {
        let _ = stream.set_nodelay(true);
        crate::net::set_keepalive(&stream, shared.config.tcp_keepalive);
        // Clients send ABOR as Telnet IP/Synch with the last byte as TCP urgent data; keep
        // that byte in the stream, or the line would never end.
        let _ = socket2::SockRef::from(&stream).set_out_of_band_inline(true);
    }
    let (stream, session_tls) = match (kind, &shared.tls) {
        (Kind::Implicit, Some(tls)) => {
            let session_tls = tls.session(peer.ip());
            let handshake = session_tls.accept_control(stream);
            match tokio::time::timeout(shared.config.tls_handshake_timeout, handshake).await {
                Ok(Ok(s)) => (MaybeTls::Tls(Box::new(s)), Some(session_tls)),
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "implicit TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::info!("implicit TLS handshake timed out");
                    return;
                }
            }
        }
        _ => (MaybeTls::Plain(stream), None),
    };
    tracing::info!(tls = stream.is_tls(), "connected");
    Control::new(shared, stream, peer, local, session_tls)
        .run()
        .await;
    drop(slot);
}
