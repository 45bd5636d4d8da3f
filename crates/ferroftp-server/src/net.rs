//! Binding TCP listeners: the one place that decides their socket options, for control
//! listeners and passive data listeners alike.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

/// Accept backlog of a control listener: many clients may connect at once.
pub(crate) const CONTROL_BACKLOG: i32 = 1024;

/// Accept backlog of a passive data listener, which waits for one connection.
pub(crate) const DATA_BACKLOG: i32 = 8;

/// Binds a non-blocking TCP listener on `addr` with room for `backlog` pending connections.
///
/// `SO_REUSEADDR` lets a port serve again while an earlier connection on it lingers in
/// `TIME_WAIT` (a restarted server, a reused passive port). IPv6 listeners are IPv6-only, so
/// that IPv4 and IPv6 listeners stay independent and can bind the same port.
pub(crate) fn bind_listener(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    bind_first(addr.ip(), std::iter::once(addr.port()), backlog)?
        .map(|(listener, _)| listener)
        .ok_or_else(|| io::ErrorKind::AddrInUse.into())
}

/// Binds a listener like [`bind_listener`] on `ip` at the first of `ports` that is free,
/// and says which port it has; `None` when every one is in use. One socket serves all the
/// attempts: a port in use costs one failed `bind`, not a socket, its options and a close
/// as well.
pub(crate) fn bind_first(
    ip: std::net::IpAddr,
    ports: impl IntoIterator<Item = u16>,
    backlog: i32,
) -> io::Result<Option<(TcpListener, u16)>> {
    let addr = SocketAddr::new(ip, 0);
    // Created non-blocking where the system can (`SOCK_NONBLOCK`): two `fcntl` calls less
    // per listener, and a passive listener is bound for every transfer.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let ty = Type::STREAM.nonblocking();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let ty = Type::STREAM;
    let socket = Socket::new(Domain::for_address(addr), ty, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    socket.set_nonblocking(true)?;
    for port in ports {
        // A failed bind leaves the socket unbound, free to try the next port.
        match socket.bind(&SocketAddr::new(ip, port).into()) {
            Ok(()) => {
                socket.listen(backlog)?;
                let listener = TcpListener::from_std(socket.into())?;
                // The port asked for is the port bound (no `getsockname` per passive
                // listener), unless the system was left to choose one.
                let port = match port {
                    0 => listener.local_addr()?.port(),
                    p => p,
                };
                return Ok(Some((listener, port)));
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Seconds between keepalive probes once the first goes unanswered.
const KEEPALIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Unanswered probes before the kernel declares the peer gone.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "macos"
))]
const KEEPALIVE_PROBES: u32 = 6;

/// Turns on TCP keepalive on a control connection, probing after `idle` without
/// traffic: a peer that vanished (a NAT entry dropped, a machine switched off) then ends
/// in an error on the connection rather than holding it forever. `None` leaves it off.
pub(crate) fn set_keepalive(stream: &tokio::net::TcpStream, idle: Option<std::time::Duration>) {
    set_keepalive_on(&socket2::SockRef::from(stream), idle);
}

/// Whether accepted connections inherit their listener's socket options (TCP_NODELAY,
/// urgent data inline, keepalive). Linux copies them to each accepted socket, so setting
/// them once on a listener saves several system calls per connection.
pub(crate) const OPTIONS_INHERITED: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// Sets on a passive data listener what its data connection needs: no Nagle delay (bulk
/// bytes; Nagle would only hold back the last segment). Where options are inherited this
/// replaces the per-connection `setsockopt`. No keepalive: a data connection that moves
/// nothing ends at the stall timeout (or, before its transfer starts, with the listener's
/// data timeout or the session), well before keepalive probes would give up, so its four
/// `setsockopt`s per transfer bought nothing.
pub(crate) fn data_listener_options(listener: &tokio::net::TcpListener) {
    if !OPTIONS_INHERITED {
        return;
    }
    let _ = socket2::SockRef::from(listener).set_tcp_nodelay(true);
}

/// [`set_keepalive`] on any socket: a control listener sets it once for the connections
/// it accepts (they inherit it on Linux).
pub(crate) fn set_keepalive_on(sock: &socket2::SockRef<'_>, idle: Option<std::time::Duration>) {
    let Some(idle) = idle else {
        return;
    };
    let params = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval(KEEPALIVE_INTERVAL);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "macos"
    ))]
    let params = params.with_retries(KEEPALIVE_PROBES);
    if let Err(e) = sock.set_tcp_keepalive(&params) {
        // Not fatal: the connection works without it, only less watched.
        tracing::debug!(error = %e, "cannot set TCP keepalive");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the listener's mode: created non-blocking (a blocking one would stall the
    /// async worker in `accept`).
    #[tokio::test]
    async fn listeners_are_non_blocking() {
        let l = bind_listener("127.0.0.1:0".parse().expect("addr"), DATA_BACKLOG).expect("bind");
        let flags = rustix::fs::fcntl_getfl(&l).expect("getfl");
        assert!(flags.contains(rustix::fs::OFlags::NONBLOCK));
    }

    // Guards the passive ports' binding on one socket (perf issue, small uploads): ports in
    // use are skipped on the same socket, which then binds the first free one, and the
    // answer is `None` when none is. (The socket saved per busy port is not visible from
    // outside; this checks that reusing it after a failed bind works.)
    #[tokio::test]
    async fn one_socket_tries_ports_until_one_is_free() {
        let ip: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
        let busy: Vec<TcpListener> = (0..3)
            .map(|_| bind_listener(SocketAddr::new(ip, 0), DATA_BACKLOG).expect("bind"))
            .collect();
        let ports: Vec<u16> = busy
            .iter()
            .map(|l| l.local_addr().expect("addr").port())
            .collect();
        assert!(bind_first(ip, ports.clone(), DATA_BACKLOG)
            .expect("only busy ports")
            .is_none());
        // A free port: one whose listener was just closed.
        let free = bind_listener(SocketAddr::new(ip, 0), DATA_BACKLOG).expect("bind");
        let free_port = free.local_addr().expect("addr").port();
        drop(free);
        let mut tried = ports.clone();
        tried.push(free_port);
        let (l, port) = bind_first(ip, tried, DATA_BACKLOG)
            .expect("bind")
            .expect("the free port");
        assert_eq!(port, free_port);
        assert_eq!(l.local_addr().expect("addr").port(), free_port);
        // Port 0 leaves the choice to the system, and the port it chose is told.
        let (any, chosen) = bind_first(ip, [0], DATA_BACKLOG)
            .expect("bind")
            .expect("a port");
        assert_eq!(any.local_addr().expect("addr").port(), chosen);
        assert_ne!(chosen, 0);
        // It listens: a connection gets through.
        let (accepted, connected) =
            tokio::join!(l.accept(), tokio::net::TcpStream::connect((ip, free_port)));
        accepted.expect("accept");
        connected.expect("connect");
    }

    #[tokio::test]
    async fn binds_v4_and_v6_on_the_same_port() {
        let v4 =
            bind_listener("127.0.0.1:0".parse().expect("addr"), DATA_BACKLOG).expect("bind v4");
        let port = v4.local_addr().expect("local addr").port();
        // Only where the machine has IPv6 loopback.
        if std::net::TcpListener::bind("[::1]:0").is_ok() {
            let v6 = bind_listener(SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], port)), 8)
                .expect("v6 listener beside the v4 one");
            assert_eq!(v6.local_addr().expect("local addr").port(), port);
        }
        let client = tokio::net::TcpStream::connect(("127.0.0.1", port));
        let (accepted, connected) = tokio::join!(v4.accept(), client);
        accepted.expect("accept");
        connected.expect("connect");
    }
}
