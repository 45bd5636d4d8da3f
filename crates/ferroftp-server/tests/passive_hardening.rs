//! Hardening of data channels, over real loopback sockets: random passive ports, foreign
//! connections shut out while the listener waits for the client, a cap on waiting
//! listeners per address, PORT/EPRT below 1024 refused. (The waits are tested under paused
//! time in paused_passive.rs; TLS data-connection theft and truncation in tls_hardening.rs.)

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{deadline, wait_until, TestServer};

/// A TCP connection to `port` on 127.0.0.1 made from `from`.
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    sock.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    sock.into()
}

// Guards point 2: a connection from another address used to make the server close the
// passive port and fail the real transfer with 425; now it is closed and the client's own
// connection still gets the file.
#[test]
fn a_foreign_connection_is_shut_out_and_the_client_still_gets_its_file() {
    let s = TestServer::start();
    s.write("f.txt", b"for the client only");
    let mut r = s.raw_logged_in();
    let port = r.epsv_port();
    let mut stranger = connect_from([127, 0, 0, 2], port);
    // A generous bound so a broken server cannot hang the test; the read ends when the
    // server closes the stranger's connection.
    stranger
        .set_read_timeout(Some(common::PATIENCE))
        .expect("timeout");
    let mut got = Vec::new();
    let read = stranger.read_to_end(&mut got);
    assert!(
        matches!(read, Ok(0)) || read.is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
        "the stranger's connection is closed"
    );
    assert!(got.is_empty());

    let data = connect_from([127, 0, 0, 1], port);
    let (code, text) = r.cmd("RETR f.txt");
    assert_eq!(code, 150, "{text}");
    assert_eq!(common::read_all(data), b"for the client only");
    assert_eq!(r.reply().0, 226);
}

// Guards point 1: passive ports are drawn at random from the range, not handed out in
// sequence (41019, 41020, ...), and always from the range.
#[test]
fn passive_ports_are_random_within_the_range() {
    // A wide range: ports that happen to be busy on this machine are skipped, never needed.
    let s = TestServer::start_with(|c| c.passive_ports = 40000..=49999);
    let mut r = s.raw_logged_in();
    let ports: Vec<u16> = (0..20).map(|_| r.epsv_port()).collect();
    assert!(
        ports.iter().all(|p| (40000..=49999).contains(p)),
        "{ports:?}"
    );
    let in_sequence = ports.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(in_sequence < 5, "ports in sequence: {ports:?}");
}

// Guards point 3: one address holds at most `max_passive_per_ip` waiting listeners; more
// get 425 with the catalogue's text, and a place is free again once a listener closes. A
// listener in use by its transfer no longer counts.
#[test]
fn waiting_passive_listeners_are_capped_per_address() {
    let s = TestServer::start_with(|c| {
        c.max_passive_per_ip = 2;
        c.passive_wait = Duration::ZERO;
        c.max_connections_per_ip = 10;
    });
    s.write("f.txt", b"x");
    let mut a = s.raw_logged_in();
    let mut b = s.raw_logged_in();
    let mut c = s.raw_logged_in();
    let a_port = a.epsv_port();
    b.epsv_port();
    let (code, text) = c.cmd("EPSV");
    assert_eq!(
        (code, text.as_str()),
        (
            425,
            "425 Can't open passive connection: too many waiting from your address, use the ones you have.\r\n"
        )
    );
    // A's listener is taken by its transfer: its place is free again.
    let data = TcpStream::connect(("127.0.0.1", a_port)).unwrap();
    assert_eq!(a.code("RETR f.txt"), 150);
    assert_eq!(common::read_all(data), b"x");
    assert_eq!(a.reply().0, 226);
    assert!(
        wait_until(deadline(), || c.code("EPSV") == 229),
        "a place is free once A's listener closed"
    );
    // A session that quits frees its place too.
    drop(b);
    assert!(wait_until(deadline(), || a.code("EPSV") == 229));
}

// Guards point 5: PORT/EPRT to a port below 1024 is refused (RFC 2577), as vsftpd,
// Pure-FTPd and ProFTPD do; 1024 and up is accepted.
#[test]
fn port_and_eprt_below_1024_are_refused() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    let refused = "501 PORT/EPRT to a port below 1024 refused: use a port from 1024 up.\r\n";
    for cmd in [
        "PORT 127,0,0,1,0,21",
        "PORT 127,0,0,1,3,255",
        "EPRT |1|127.0.0.1|25|",
        "EPRT |1|127.0.0.1|1023|",
    ] {
        let (code, text) = r.cmd(cmd);
        assert_eq!((code, text.as_str()), (501, refused), "{cmd}");
    }
    assert_eq!(r.code("PORT 127,0,0,1,4,0"), 200);
    assert_eq!(r.code("EPRT |1|127.0.0.1|1024|"), 200);
    // The session goes on, and a refused PORT leaves no channel behind.
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("PORT 127,0,0,1,0,80"), 501);
    assert_eq!(r.code("LIST"), 425);
}
