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
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::auth::Authenticator;
use crate::config::ServerConfig;
use crate::control::Control;
use crate::data::PortPool;

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

/// A bound, not yet running, FTP server.
pub struct Server {
    listeners: Vec<TcpListener>,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
}

impl Server {
    /// Binds every control listener of `config`.
    pub async fn bind(config: ServerConfig, auth: Arc<dyn Authenticator>) -> io::Result<Server> {
        let mut listeners = Vec::new();
        for addr in &config.listen {
            listeners.push(
                bind_control(*addr).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
                })?,
            );
        }
        let (shutdown_tx, shutdown) = watch::channel(false);
        let session_config = Arc::new(SessionConfig {
            allow_user_switch: config.allow_user_switch,
            hosts: config.hosts.clone(),
            greeting: config.greeting.clone(),
            tls_available: false,
        });
        let shared = Arc::new(Shared {
            ports: PortPool::new(config.passive_ports.clone()),
            config,
            session_config,
            auth,
            shutdown,
            connections: Mutex::new(Connections::default()),
        });
        Ok(Server {
            listeners,
            shared,
            shutdown_tx,
        })
    }

    /// The addresses the control listeners are bound to (with the real port when the
    /// configuration asked for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` completes, then stops accepting, tells idle sessions `421`
    /// and gives running transfers the configured grace period to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let (conn_tx, mut conn_rx) = mpsc::channel::<(TcpStream, SocketAddr)>(64);
        let mut acceptors = JoinSet::new();
        for listener in self.listeners {
            let tx = conn_tx.clone();
            acceptors.spawn(accept_loop(listener, tx));
        }
        drop(conn_tx);
        let mut sessions = JoinSet::new();
        let next_id = AtomicU64::new(1);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                conn = conn_rx.recv() => match conn {
                    Some((stream, peer)) => {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let shared = self.shared.clone();
                        sessions.spawn(serve_connection(shared, stream, peer)
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

fn bind_control(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        // Keep IPv4 and IPv6 listeners independent, so both can bind the same port.
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<(TcpStream, SocketAddr)>) {
    loop {
        match listener.accept().await {
            Ok(conn) => {
                if tx.send(conn).await.is_err() {
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

async fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
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
    tracing::info!("connected");
    Control::new(shared, stream, peer, local).run().await;
    drop(slot);
}
