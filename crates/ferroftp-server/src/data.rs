//! Data channels: passive listeners from a shared port range, active connections, and the
//! checks that keep a third party from taking over a transfer.
//!
//! A passive listener accepts exactly one connection and is closed at once, so its port is
//! free for the next session the moment the connection is made or the wait times out; a
//! range of ten ports serves many sessions.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferroftp_proto::catalogue::{Computed, Msg};
use ferroftp_proto::Reply;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why a data connection could not be made. Each becomes a reply of the catalogue through
/// [`DataError::reply`]; an OS error's text stays in the log.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Every port of the passive range is busy.
    #[error("no passive port free: try again")]
    NoPassivePort,
    /// Nobody connected (passive) or the client did not answer (active) in time.
    #[error("data connection timed out")]
    Timeout,
    /// A passive connection came from an address other than the client's.
    #[error(
        "data connection from {0} refused: it must come from the control connection's address"
    )]
    ForeignPeer(IpAddr),
    /// The socket calls failed.
    #[error("data connection failed: {0}")]
    Io(#[from] io::Error),
    /// The session closed the channel (a second PASV, REIN, QUIT).
    #[error("data channel closed")]
    Closed,
}

impl DataError {
    /// The reply for a transfer whose data connection could not be made.
    pub fn reply(&self) -> Reply {
        match self {
            DataError::NoPassivePort => Msg::DataNoPassivePort.reply(),
            DataError::Timeout => Msg::DataConnectTimeout.reply(),
            DataError::ForeignPeer(ip) => Computed::ForeignDataPeer(*ip).reply(),
            DataError::Io(_) => Msg::DataConnectFailed.reply(),
            DataError::Closed => Msg::DataChannelClosed.reply(),
        }
    }
}

/// Hands out passive ports round-robin from the configured range. The operating system is
/// the judge of which ports are free: a port whose listener is closed can be bound again at
/// once, so nothing here needs to be returned by hand.
#[derive(Debug)]
pub struct PortPool {
    range: RangeInclusive<u16>,
    next: AtomicUsize,
}

impl PortPool {
    /// A pool over `range`.
    pub fn new(range: RangeInclusive<u16>) -> PortPool {
        PortPool {
            range,
            next: AtomicUsize::new(0),
        }
    }

    fn len(&self) -> usize {
        let (lo, hi) = (*self.range.start() as usize, *self.range.end() as usize);
        hi.saturating_sub(lo) + 1
    }

    /// Binds a listener on `ip` at the first free port of the range, starting after the
    /// last port handed out so that sessions spread over the range.
    pub fn bind(&self, ip: IpAddr) -> Result<TcpListener, DataError> {
        let len = self.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..len {
            let port = *self.range.start() as usize + (start + i) % len;
            let Ok(port) = u16::try_from(port) else {
                continue;
            };
            match crate::net::bind_listener(SocketAddr::new(ip, port), crate::net::DATA_BACKLOG) {
                Ok(l) => {
                    self.next.store(start + i + 1, Ordering::Relaxed);
                    return Ok(l);
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(DataError::Io(e)),
            }
        }
        Err(DataError::NoPassivePort)
    }
}

/// Whether two addresses are the same host, treating IPv4-mapped IPv6 addresses as IPv4.
pub fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A passive listener waiting, in a task of its own, for the client's one data connection.
#[derive(Debug)]
pub struct PassiveChannel {
    /// The port the listener is bound to.
    pub port: u16,
    result: oneshot::Receiver<Result<TcpStream, DataError>>,
    task: JoinHandle<()>,
}

impl PassiveChannel {
    /// Binds a port and starts waiting for the connection from `client`, for at most `timeout`.
    pub fn open(
        pool: &PortPool,
        local_ip: IpAddr,
        client: IpAddr,
        timeout: Duration,
    ) -> Result<PassiveChannel, DataError> {
        let listener = pool.bind(local_ip)?;
        let port = listener.local_addr()?.port();
        let (tx, result) = oneshot::channel();
        let task = tokio::spawn(async move {
            let outcome = match tokio::time::timeout(timeout, listener.accept()).await {
                Err(_) => Err(DataError::Timeout),
                Ok(Err(e)) => Err(DataError::Io(e)),
                Ok(Ok((stream, peer))) if same_host(peer.ip(), client) => Ok(stream),
                Ok(Ok((_, peer))) => {
                    tracing::warn!(%peer, %client, "refused data connection from a foreign address");
                    Err(DataError::ForeignPeer(peer.ip()))
                }
            };
            // Close the listener before handing over, so the port is free again at once.
            drop(listener);
            let _ = tx.send(outcome);
        });
        Ok(PassiveChannel { port, result, task })
    }

    /// Waits for the accepted connection.
    pub async fn connection(mut self) -> Result<TcpStream, DataError> {
        match (&mut self.result).await {
            Ok(r) => r,
            Err(_) => Err(DataError::Closed),
        }
    }
}

impl Drop for PassiveChannel {
    fn drop(&mut self) {
        // A channel given up before its transfer (second PASV, REIN, session end) closes
        // its listener now instead of holding the port until the timeout.
        self.task.abort();
    }
}

/// Connects to the client's PORT/EPRT address from the control connection's local address.
pub async fn connect_active(
    local_ip: IpAddr,
    target: SocketAddr,
    timeout: Duration,
) -> Result<TcpStream, DataError> {
    let socket = if target.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if local_ip.is_ipv4() == target.is_ipv4() {
        socket.bind(SocketAddr::new(local_ip, 0))?;
    }
    match tokio::time::timeout(timeout, socket.connect(target)).await {
        Err(_) => Err(DataError::Timeout),
        Ok(r) => Ok(r?),
    }
}

/// Where the next transfer's data connection comes from.
#[derive(Debug)]
pub enum DataSource {
    /// A passive listener (PASV/EPSV).
    Passive(PassiveChannel),
    /// Connect to the client (PORT/EPRT).
    Active {
        /// The control connection's local address, used as the source.
        local_ip: IpAddr,
        /// The client's address.
        target: SocketAddr,
        /// How long to try.
        timeout: Duration,
    },
    /// Already used by a transfer.
    Taken,
}

impl DataSource {
    /// Makes the data connection.
    pub async fn connect(self) -> Result<TcpStream, DataError> {
        let stream = match self {
            DataSource::Passive(p) => p.connection().await?,
            DataSource::Active {
                local_ip,
                target,
                timeout,
            } => connect_active(local_ip, target, timeout).await?,
            DataSource::Taken => return Err(DataError::Closed),
        };
        // Data connections carry bulk bytes: Nagle only delays the last segment.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_reach_the_client_without_os_text() {
        let os = DataError::Io(io::Error::other("ECONNREFUSED at /secret/path"));
        assert_eq!(os.reply().to_wire(), "425 Can't open data connection.\r\n");
        assert_eq!(
            DataError::Timeout.reply().to_wire(),
            "425 Can't open data connection: data connection timed out.\r\n"
        );
        assert_eq!(
            DataError::NoPassivePort.reply().to_wire(),
            "425 Can't open data connection: no passive port free: try again.\r\n"
        );
        assert_eq!(
            DataError::Closed.reply().to_wire(),
            "425 Can't open data connection: data channel closed.\r\n"
        );
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            DataError::ForeignPeer(ip).reply().to_wire(),
            format!(
                "425 Can't open data connection: {}.\r\n",
                DataError::ForeignPeer(ip)
            )
        );
    }

    #[tokio::test]
    async fn ports_are_reused_once_the_listener_closes() {
        // Find a free port to anchor a one-port range.
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let pool = PortPool::new(port..=port);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let first = pool.bind(ip).unwrap();
        assert!(matches!(pool.bind(ip), Err(DataError::NoPassivePort)));
        drop(first);
        for _ in 0..20 {
            let ch = PassiveChannel::open(&pool, ip, ip, Duration::from_secs(5)).unwrap();
            let client = TcpStream::connect((ip, ch.port)).await.unwrap();
            let server = ch.connection().await.unwrap();
            drop((client, server));
        }
    }

    #[tokio::test]
    async fn accept_timeout_frees_the_port() {
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let pool = PortPool::new(port..=port);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let ch = PassiveChannel::open(&pool, ip, ip, Duration::from_millis(50)).unwrap();
        assert!(matches!(ch.connection().await, Err(DataError::Timeout)));
        assert!(pool.bind(ip).is_ok());
    }

    #[tokio::test]
    async fn foreign_peer_is_refused() {
        let pool = PortPool::new(0..=0);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let ch = PassiveChannel::open(&pool, ip, other, Duration::from_secs(5)).unwrap();
        let _client = TcpStream::connect((ip, ch.port)).await.unwrap();
        assert!(matches!(
            ch.connection().await,
            Err(DataError::ForeignPeer(_))
        ));
    }

    #[test]
    fn mapped_addresses_are_the_same_host() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(same_host(v4, mapped));
    }
}
