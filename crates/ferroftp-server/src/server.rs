//! The listener: accepts control connections, enforces connection limits and shuts down
//! gracefully.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::session::SessionConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::auth::Authenticator;
use crate::config::ServerConfig;
use crate::control::Control;
use crate::data::PortPool;
use crate::stream::MaybeTls;
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
    pub ports: PortPool,
    /// Becomes `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// FTPS, when configured.
    pub tls: Option<Arc<TlsConfig>>,
    connections: Mutex<Connections>,
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
    /// Takes a connection slot, or says which limit is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Msg> {
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
    pub async fn bind(config: ServerConfig, auth: Arc<dyn Authenticator>) -> io::Result<Server> {
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
            listeners.push((listener, kind));
        }
        let (shutdown_tx, shutdown) = watch::channel(false);
        let session_config = Arc::new(SessionConfig {
            allow_user_switch: config.allow_user_switch,
            hosts: config.hosts.clone(),
            greeting: config.greeting.clone(),
            tls_available: tls.is_some(),
            tls_required: config.tls.as_ref().map(|t| t.required).unwrap_or_default(),
        });
        let shared = Arc::new(Shared {
            ports: PortPool::new(config.passive_ports.clone()),
            config,
            session_config,
            auth,
            shutdown,
            tls,
            connections: Mutex::new(Connections::default()),
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

    /// The TLS setup, to reload certificates (SIGHUP) or show the fingerprint.
    pub fn tls(&self) -> Option<Arc<TlsConfig>> {
        self.shared.tls.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting, tells idle sessions `421`
    /// and gives running transfers the configured grace period to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let (conn_tx, mut conn_rx) = mpsc::channel::<(TcpStream, SocketAddr, Kind)>(64);
        let mut acceptors = JoinSet::new();
        for (listener, kind) in self.listeners {
            let tx = conn_tx.clone();
            acceptors.spawn(accept_loop(listener, kind, tx));
        }
        drop(conn_tx);
        let mut sessions = JoinSet::new();
        let next_id = AtomicU64::new(1);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                conn = conn_rx.recv() => match conn {
                    Some((stream, peer, kind)) => {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let shared = self.shared.clone();
                        sessions.spawn(serve_connection(shared, stream, peer, kind)
                            .instrument(tracing::info_span!("session", id, %peer)));
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

async fn accept_loop(
    listener: TcpListener,
    kind: Kind,
    tx: mpsc::Sender<(TcpStream, SocketAddr, Kind)>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if tx.send((stream, peer, kind)).await.is_err() {
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

async fn serve_connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    kind: Kind,
) {
    let slot = match shared.admit(peer.ip()) {
        Ok(slot) => slot,
        Err(msg) => {
            tracing::warn!(reason = ?msg, "connection refused");
            let _ = stream.write_all(msg.reply().to_wire().as_bytes()).await;
            return;
        }
    };
    let local = match stream.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let _ = stream.set_nodelay(true);
    // Clients send ABOR as Telnet IP/Synch with the last byte as TCP urgent data; keep that
    // byte in the stream, or the line would never end.
    let _ = socket2::SockRef::from(&stream).set_out_of_band_inline(true);
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
