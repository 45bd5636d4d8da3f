//! Data channels: passive listeners from a shared port range, active connections, and the
//! checks that keep a third party from taking over a transfer.
//!
//! Passive ports are drawn at random from the range, so a third party cannot guess the next
//! one. A passive listener waits for the client's connection until the data timeout; a
//! connection from another address is closed and logged, and the listener goes on waiting
//! for the real client. It closes as soon as its transfer has taken a connection (or the
//! wait is over), so its port is free again at once; a range of ten ports serves many
//! sessions. Each client address holds at most a configured number of waiting listeners,
//! and a PASV that finds every port busy waits a little for one to be freed.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::Reply;
use rand::Rng;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Why a data connection could not be made. Each becomes a reply of the catalogue through
/// [`DataError::reply`]; an OS error's text stays in the log.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Every port of the passive range is busy.
    #[error("no passive port free: try again")]
    NoPassivePort,
    /// The client's address already holds as many waiting passive listeners as allowed.
    #[error("too many passive listeners for this client address")]
    TooManyPassive,
    /// Nobody connected (passive) or the client did not answer (active) in time.
    #[error("data connection timed out")]
    Timeout,
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
            DataError::TooManyPassive => Msg::PassiveTooMany.reply(),
            DataError::Timeout => Msg::DataConnectTimeout.reply(),
            DataError::Io(_) => Msg::DataConnectFailed.reply(),
            DataError::Closed => Msg::DataChannelClosed.reply(),
        }
    }
}

/// The part of a client address that limits count: the address itself for IPv4, its /64
/// prefix for IPv6 (one subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// Hands out passive ports at random from the configured range. The operating system is
/// the judge of which ports are free: binding a port in use fails, and a port whose
/// listener is closed can be bound again at once, so nothing here needs to be returned by
/// hand. The pool also counts the waiting listeners of each client address.
#[derive(Debug)]
pub struct PortPool {
    range: RangeInclusive<u16>,
    max_per_address: usize,
    waiting: Mutex<HashMap<IpAddr, usize>>,
    /// Woken whenever a listener of this pool closes, for PASVs waiting for a free port.
    freed: Notify,
}

/// How often a PASV waiting for a free port tries again even without a wake-up: ports may
/// also be freed by other programs on the machine.
const PORT_RETRY: Duration = Duration::from_millis(50);

impl PortPool {
    /// A pool over `range`, with no limit per client address.
    pub fn new(range: RangeInclusive<u16>) -> PortPool {
        PortPool {
            range,
            max_per_address: usize::MAX,
            waiting: Mutex::new(HashMap::new()),
            freed: Notify::new(),
        }
    }

    /// Limits the passive listeners waiting at once for one client address (IPv6: per
    /// /64); 0 means no limit.
    pub fn with_max_per_address(mut self, max: usize) -> PortPool {
        self.max_per_address = if max == 0 { usize::MAX } else { max };
        self
    }

    fn len(&self) -> usize {
        let (lo, hi) = (*self.range.start() as usize, *self.range.end() as usize);
        hi.saturating_sub(lo) + 1
    }

    /// Binds a listener on `ip` at a free port of the range, trying the ports in a random
    /// order so that the next port cannot be guessed from the last one; the listener and
    /// its port.
    pub fn bind(&self, ip: IpAddr) -> Result<(TcpListener, u16), DataError> {
        let len = self.len();
        let mut rng = rand::rng();
        let start = rng.random_range(0..len);
        // A step coprime with the length visits every port once, in an order that changes
        // from one PASV to the next.
        let step = (0..8)
            .map(|_| rng.random_range(1..len.max(2)))
            .find(|s| gcd(*s, len) == 1)
            .unwrap_or(1);
        let first = *self.range.start() as usize;
        let ports = (0..len).filter_map(|i| u16::try_from(first + (start + i * step) % len).ok());
        match crate::net::bind_first(ip, ports, crate::net::DATA_BACKLOG)? {
            Some((l, port)) => {
                crate::net::data_listener_options(&l);
                Ok((l, port))
            }
            None => Err(DataError::NoPassivePort),
        }
    }

    /// Binds a listener like [`PortPool::bind`]; when every port is busy, waits until
    /// `deadline` for one to be freed.
    async fn bind_until(
        &self,
        ip: IpAddr,
        deadline: Instant,
    ) -> Result<(TcpListener, u16), DataError> {
        self.until(deadline, || match self.bind(ip) {
            Err(DataError::NoPassivePort) => None,
            other => Some(other),
        })
        .await
        .unwrap_or(Err(DataError::NoPassivePort))
    }

    /// Counts a waiting listener of `client`; when its address is at the limit, waits
    /// until `deadline` for one of its listeners to close.
    async fn reserve_until(
        self: &Arc<Self>,
        client: IpAddr,
        deadline: Instant,
    ) -> Result<Reservation, DataError> {
        self.until(deadline, || match self.reserve(client) {
            Err(DataError::TooManyPassive) => None,
            other => Some(other),
        })
        .await
        .unwrap_or(Err(DataError::TooManyPassive))
    }

    /// Runs `attempt` until it gives an answer, again whenever a listener closes, until
    /// `deadline`.
    async fn until<T>(
        &self,
        deadline: Instant,
        mut attempt: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        loop {
            // Registered before trying, so a listener closed in between still wakes us.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if let Some(answer) = attempt() {
                return Some(answer);
            }
            if Instant::now() >= deadline {
                return None;
            }
            let retry = (Instant::now() + PORT_RETRY).min(deadline);
            let _ = tokio::time::timeout_at(retry, freed).await;
        }
    }

    /// Counts a waiting listener of `client`, unless its address is at the limit.
    fn reserve(self: &Arc<Self>, client: IpAddr) -> Result<Reservation, DataError> {
        let key = address_key(client);
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let n = waiting.entry(key).or_insert(0);
        if *n >= self.max_per_address {
            return Err(DataError::TooManyPassive);
        }
        *n += 1;
        Ok(Reservation {
            pool: self.clone(),
            key,
            permit: None,
        })
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// One waiting listener in the count of its client address; given back on drop, which
/// also wakes PASVs waiting for a port.
#[derive(Debug)]
struct Reservation {
    pool: Arc<PortPool>,
    key: IpAddr,
    /// The channel's place under the server's transfer bound while only the listener
    /// exists: freed with it (a client that never connects does not keep it), or handed to
    /// the transfer that takes the channel.
    permit: Option<crate::transfers::TransferPermit>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        {
            let mut waiting = self.pool.waiting.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = waiting.get_mut(&self.key) {
                *n -= 1;
                if *n == 0 {
                    waiting.remove(&self.key);
                }
            }
        }
        self.pool.freed.notify_waiters();
    }
}

/// Whether two addresses are the same host, treating IPv4-mapped IPv6 addresses as IPv4.
pub fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A listener and its place in its address's count, closed together.
type Slot = Mutex<Option<(TcpListener, Reservation)>>;

fn close(slot: &Slot) {
    let taken = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    drop(taken);
}

/// A passive listener waiting for the client's data connection. It has no task of its
/// own: whoever holds it does the waiting, the session (see [`PassiveChannel::wait`]) until
/// a transfer takes the channel, then the transfer (see [`PassiveChannel::next`]). A
/// separate accepting task cost a wake-up of its own per transfer, and another to cancel
/// it, often on the runtime's other worker thread.
#[derive(Debug)]
pub struct PassiveChannel {
    /// The port the listener is bound to.
    pub port: u16,
    slot: Slot,
    client: IpAddr,
    /// The data timeout: the listener closes then if nobody took the channel.
    deadline: Instant,
    /// What the waiting so far came to: the client's connections, kept for the transfer,
    /// and last, why there will be no more.
    ready: VecDeque<Result<TcpStream, DataError>>,
}

/// Connections from the client kept while its transfer has not yet taken one.
const QUEUED: usize = 4;

impl PassiveChannel {
    /// Binds a port to wait for connections from `client`, for at most `timeout`; fails
    /// at once when every port is busy.
    pub fn open(
        pool: &Arc<PortPool>,
        local_ip: IpAddr,
        client: IpAddr,
        timeout: Duration,
    ) -> Result<PassiveChannel, DataError> {
        let reservation = pool.reserve(client)?;
        let listener = pool.bind(local_ip)?;
        Self::start(listener, reservation, client, timeout)
    }

    /// Like [`PassiveChannel::open`], but when every port is busy, or the client's address
    /// holds as many waiting listeners as allowed, waits up to `wait` for one to close.
    pub async fn open_waiting(
        pool: &Arc<PortPool>,
        local_ip: IpAddr,
        client: IpAddr,
        timeout: Duration,
        wait: Duration,
    ) -> Result<PassiveChannel, DataError> {
        let deadline = Instant::now() + wait;
        let reservation = pool.reserve_until(client, deadline).await?;
        let listener = pool.bind_until(local_ip, deadline).await?;
        Self::start(listener, reservation, client, timeout)
    }

    fn start(
        (listener, port): (TcpListener, u16),
        reservation: Reservation,
        client: IpAddr,
        timeout: Duration,
    ) -> Result<PassiveChannel, DataError> {
        Ok(PassiveChannel {
            port,
            slot: Mutex::new(Some((listener, reservation))),
            client,
            deadline: Instant::now() + timeout,
            ready: VecDeque::new(),
        })
    }

    /// The waiting the holder of an untaken channel does beside its other work: keeps the
    /// client's connections for the transfer (a few), closes (and logs) every connection
    /// from another address, and closes the listener at the data timeout. Completes each
    /// time there is news (then call it again); pending for good once the listener is
    /// closed.
    pub async fn wait(&mut self) {
        match accept_client(&self.slot, self.client, self.deadline).await {
            Ok(stream) if self.ready.len() < QUEUED => self.ready.push_back(Ok(stream)),
            Ok(stream) => {
                tracing::warn!(peer = ?stream.peer_addr().ok(), "closed a data connection: too many waiting");
            }
            Err(None) => std::future::pending().await,
            Err(Some(e)) => {
                // Closed before saying why, so the port is free again at once.
                close(&self.slot);
                self.ready.push_back(Err(e));
            }
        }
    }

    #[cfg(test)]
    fn is_open(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The next connection from the client, waiting for it until the data timeout. A
    /// transfer that refuses a connection (a TLS session of someone else) asks again.
    pub async fn next(&mut self) -> Result<TcpStream, DataError> {
        if let Some(r) = self.ready.pop_front() {
            return r;
        }
        match accept_client(&self.slot, self.client, self.deadline).await {
            Ok(stream) => Ok(stream),
            // Nothing left to wait for: the reason was handed out already.
            Err(None) => Err(DataError::Closed),
            Err(Some(e)) => {
                close(&self.slot);
                Err(e)
            }
        }
    }

    /// Waits for the client's connection, and closes the listener.
    pub async fn connection(mut self) -> Result<TcpStream, DataError> {
        self.next().await
    }

    /// Makes the listener hold `permit` until it closes or [`PassiveChannel::take_permit`].
    pub fn hold_permit(&self, permit: crate::transfers::TransferPermit) {
        if let Some((_, r)) = &mut *self.slot.lock().unwrap_or_else(|p| p.into_inner()) {
            r.permit = Some(permit);
        }
    }

    /// The permit the listener holds, for the transfer that takes this channel; `None`
    /// once the listener has closed.
    pub fn take_permit(&self) -> Option<crate::transfers::TransferPermit> {
        match &mut *self.slot.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((_, r)) => r.permit.take(),
            None => None,
        }
    }
}

/// Accepts until a connection from the client's address comes, closing (and logging) every
/// other one, until `deadline`. `Err(None)`: the listener is closed.
async fn accept_client(
    slot: &Slot,
    client: IpAddr,
    deadline: Instant,
) -> Result<TcpStream, Option<DataError>> {
    // The lock is held only inside each poll, never across a wait.
    let accept = || {
        std::future::poll_fn(
            |cx| match &*slot.lock().unwrap_or_else(|p| p.into_inner()) {
                Some((listener, _)) => listener.poll_accept(cx).map(Some),
                None => std::task::Poll::Ready(None),
            },
        )
    };
    loop {
        match tokio::time::timeout_at(deadline, accept()).await {
            Err(_) => return Err(Some(DataError::Timeout)),
            Ok(None) => return Err(None),
            // A connection that was reset before we took it is the stranger's loss, not
            // the client's.
            Ok(Some(Err(e)))
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Ok(Some(Err(e))) => return Err(Some(DataError::Io(e))),
            Ok(Some(Ok((stream, peer)))) if same_host(peer.ip(), client) => return Ok(stream),
            Ok(Some(Ok((stream, peer)))) => {
                // A host sweeping the range must not spoil the real client's transfer: close
                // its connection and go on waiting.
                tracing::warn!(%peer, %client, "closed a data connection from a foreign address");
                drop(stream);
            }
        }
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
    pub async fn connect(mut self) -> Result<TcpStream, DataError> {
        self.next_connection().await
    }

    /// The next data connection: a passive channel may be asked again after its transfer
    /// refused a connection; an active one connects once.
    pub async fn next_connection(&mut self) -> Result<TcpStream, DataError> {
        let stream = match self {
            DataSource::Passive(p) => p.next().await?,
            DataSource::Active {
                local_ip,
                target,
                timeout,
            } => {
                let (local_ip, target, timeout) = (*local_ip, *target, *timeout);
                *self = DataSource::Taken;
                connect_active(local_ip, target, timeout).await?
            }
            DataSource::Taken => return Err(DataError::Closed),
        };
        // Data connections carry bulk bytes: Nagle only delays the last segment. A passive
        // connection inherited that from its listener where it can.
        if !self.options_inherited() {
            let _ = stream.set_nodelay(true);
        }
        Ok(stream)
    }

    /// Whether this source's connections come with TCP_NODELAY already set (a passive
    /// listener's, where accepted sockets inherit options).
    pub fn options_inherited(&self) -> bool {
        crate::net::OPTIONS_INHERITED && matches!(self, DataSource::Passive(_))
    }

    /// Whether another connection may still come (a passive listener).
    pub fn can_wait_again(&self) -> bool {
        matches!(self, DataSource::Passive(_))
    }

    /// Closes a passive listener now that the transfer has its connection.
    pub fn close(&mut self) {
        *self = DataSource::Taken;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of one port that was free a moment ago, and its address, 127.0.0.1.
    async fn one_port_pool() -> (Arc<PortPool>, IpAddr) {
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        (
            Arc::new(PortPool::new(port..=port)),
            "127.0.0.1".parse().unwrap(),
        )
    }

    /// Connects from 127.0.0.2 (not the client's address) to `ch`'s port and checks that
    /// the server closes that connection while the channel's holder waits, the waiting
    /// going on.
    async fn a_stranger_is_closed_while_waiting(ch: &mut PassiveChannel, ip: IpAddr) {
        let foreign = TcpSocket::new_v4().unwrap();
        foreign
            .bind(SocketAddr::new("127.0.0.2".parse().unwrap(), 0))
            .unwrap();
        let mut foreign = foreign.connect(SocketAddr::new(ip, ch.port)).await.unwrap();
        let mut b = [0u8; 1];
        let n = tokio::select! {
            () = ch.wait() => panic!("the waiting ended on a foreign connection"),
            n = tokio::io::AsyncReadExt::read(&mut foreign, &mut b) => n,
        };
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    }

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
    }

    #[tokio::test]
    async fn ports_are_reused_once_the_listener_closes() {
        // Find a free port to anchor a one-port range.
        let (pool, ip) = one_port_pool().await;
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
        let (pool, ip) = one_port_pool().await;
        let ch = PassiveChannel::open(&pool, ip, ip, Duration::from_millis(50)).unwrap();
        assert!(matches!(ch.connection().await, Err(DataError::Timeout)));
        assert!(pool.bind(ip).is_ok());
    }

    // Guards point 2 of the hardening issue: a connection from another address is closed
    // and the listener keeps waiting for the client (it used to end the channel with 425).
    #[tokio::test]
    async fn a_foreign_peer_is_closed_and_the_client_still_gets_through() {
        let pool = Arc::new(PortPool::new(0..=0));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let mut ch = PassiveChannel::open(&pool, ip, ip, Duration::from_secs(30)).unwrap();
        // The server closes the stranger's connection while the channel's holder waits (the
        // session does, see `wait`).
        a_stranger_is_closed_while_waiting(&mut ch, ip).await;
        let client = TcpStream::connect((ip, ch.port)).await.unwrap();
        let server = ch.connection().await.unwrap();
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    }

    // Guards the passive channel without a task of its own (the perf issue, small STORs):
    // the holder's waiting keeps the client's connection for the transfer, and a listener
    // whose client connected but never started a transfer still closes at the data
    // timeout (its port free again), as the accepting task used to close it.
    #[tokio::test]
    async fn the_waiting_keeps_the_connection_and_closes_the_listener_at_the_timeout() {
        let (pool, ip) = one_port_pool().await;
        let mut ch = PassiveChannel::open(&pool, ip, ip, Duration::from_secs(60)).unwrap();
        let client = TcpStream::connect((ip, ch.port)).await.unwrap();
        // The first news: the client's connection, taken from the listener.
        ch.wait().await;
        assert!(ch.is_open());
        assert!(matches!(pool.bind(ip), Err(DataError::NoPassivePort)));
        // A stranger coming after the client is still closed at once.
        a_stranger_is_closed_while_waiting(&mut ch, ip).await;
        // Virtual time from here: the next news is the timeout, which closes the listener.
        tokio::time::pause();
        ch.wait().await;
        assert!(!ch.is_open());
        assert!(pool.bind(ip).is_ok());
        // The connection was kept for the transfer, then the reason there is no other.
        let server = ch.next().await.unwrap();
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
        assert!(matches!(ch.next().await, Err(DataError::Timeout)));
        assert!(matches!(ch.next().await, Err(DataError::Closed)));
    }

    // Guards point 1: ports come in a random order, not in sequence.
    #[test]
    fn ports_are_drawn_at_random() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        // A range of free ports is not guaranteed; use a wide one and tolerate busy ports.
        let pool = PortPool::new(40000..=40999);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let mut ports = Vec::new();
        for _ in 0..20 {
            let (l, _) = pool.bind(ip).unwrap();
            ports.push(l.local_addr().unwrap().port());
        }
        let sequential = ports.windows(2).filter(|w| w[1] == w[0] + 1).count();
        assert!(sequential < 5, "ports in sequence: {ports:?}");
    }

    // Guards point 3: the cap on waiting listeners per address (IPv6 per /64), and its
    // release when a listener closes.
    #[tokio::test]
    async fn waiting_listeners_are_capped_per_address() {
        let pool = Arc::new(PortPool::new(0..=0).with_max_per_address(2));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t = Duration::from_secs(30);
        let a = PassiveChannel::open(&pool, ip, ip, t).unwrap();
        let _b = PassiveChannel::open(&pool, ip, ip, t).unwrap();
        assert!(matches!(
            PassiveChannel::open(&pool, ip, ip, t),
            Err(DataError::TooManyPassive)
        ));
        // Another address has its own count.
        let other: IpAddr = "127.0.0.3".parse().unwrap();
        assert!(PassiveChannel::open(&pool, ip, other, t).is_ok());
        drop(a);
        assert!(PassiveChannel::open(&pool, ip, ip, t).is_ok());
        // Addresses of one IPv6 /64 count together.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let v6c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(v6a), address_key(v6b));
        assert_ne!(address_key(v6a), address_key(v6c));
    }

    #[test]
    fn mapped_addresses_are_the_same_host() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(same_host(v4, mapped));
    }
}
