//! TCP keepalive on the server's side of control connections (and none on data connections,
//! which the stall timeout watches), seen from outside:
//! Linux lists every TCP socket in /proc/net/tcp with the timer it has armed, and an idle
//! connection with keepalive on has its keepalive timer (`tr` 2) armed, one without none.

#![cfg(target_os = "linux")]

mod common;

use std::net::{SocketAddr, TcpStream};

use common::{deadline, wait_until, TestServer};

/// `127.0.0.1:port` as /proc/net/tcp writes it.
fn proc_addr(addr: SocketAddr) -> String {
    let SocketAddr::V4(v4) = addr else {
        panic!("IPv4 only: {addr}");
    };
    let ip = u32::from_le_bytes(v4.ip().octets());
    format!("{ip:08X}:{:04X}", v4.port())
}

/// The timer armed on the TCP socket from `local` to `remote` (`tr` of /proc/net/tcp):
/// 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe.
fn timer(local: SocketAddr, remote: SocketAddr) -> Option<u8> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let (local, remote) = (proc_addr(local), proc_addr(remote));
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) == Some(&local.as_str()) && f.get(2) == Some(&remote.as_str()) {
            f.get(5)?.split(':').next()?.parse().ok()
        } else {
            None
        }
    })
}

/// Whether the server's side of `client`'s connection comes to have its keepalive timer
/// armed (checked until the deadline: right after traffic, a retransmit timer may show).
fn server_side_keeps_alive(client: &TcpStream) -> bool {
    let server = client.peer_addr().expect("peer");
    let me = client.local_addr().expect("local");
    wait_until(deadline(), || timer(server, me) == Some(2))
}

// Guards point 5 of the hardening issue: keepalive is on for the control connection. A data
// connection has none since the perf issue (small uploads: four `setsockopt`s per passive
// listener): a data connection that moves nothing ends at the stall timeout, sooner than
// keepalive would notice a vanished peer (tests/deadlines.rs), so it is left off there.
#[test]
fn control_connections_have_keepalive_and_data_connections_the_stall_timeout() {
    let s = TestServer::start();
    let mut c = s.raw_logged_in();
    assert!(server_side_keeps_alive(c.reader.get_ref()));
    let data = c.pasv();
    // An upload that waits for bytes: the data connection sits idle, no timer armed.
    assert_eq!(c.code("STOR idle.bin"), 150);
    let (server, me) = (data.peer_addr().unwrap(), data.local_addr().unwrap());
    assert!(wait_until(deadline(), || timer(server, me) == Some(0)));
}

// The check above can fail: with keepalive off, an idle connection arms no timer.
#[test]
fn keepalive_can_be_turned_off() {
    let s = TestServer::start_with(|c| c.tcp_keepalive = None);
    let c = s.raw_logged_in();
    let client = c.reader.get_ref();
    let (server, me) = (client.peer_addr().unwrap(), client.local_addr().unwrap());
    // With keepalive on, an established socket always has its keepalive timer armed.
    assert!(wait_until(deadline(), || timer(server, me) == Some(0)));
}
