//! The server-wide bound on data channels (`max_transfers`, issue 9): the channel beyond
//! it gets a 425 from the catalogue, and every way a channel ends (a finished transfer,
//! ABOR, QUIT) gives its place back.

mod common;

use std::io::Read;
use std::net::TcpListener;

use common::*;

const FULL: &str =
    "425 Can't open data connection: the server has too many transfers at once, try again shortly.\r\n";

// Guards the cap on passive channels: with max_transfers 2, a third EPSV is refused
// (before: every session could bind a listener, 3 descriptors each), and ABOR or QUIT of
// a session holding a listener frees its place.
#[test]
fn the_cap_refuses_the_next_channel_and_abor_and_quit_free_it() {
    let s = TestServer::start_with(|c| c.max_transfers = Some(2));
    let mut a = s.raw_logged_in();
    let mut b = s.raw_logged_in();
    let mut c = s.raw_logged_in();
    a.epsv_port();
    b.epsv_port();
    assert_eq!(c.cmd("EPSV").1, FULL);
    assert_eq!(c.cmd("PASV").1, FULL);
    // ABOR without a transfer closes the waiting listener at once.
    assert_eq!(a.code("ABOR"), 225);
    c.epsv_port();
    let mut d = s.raw_logged_in();
    assert_eq!(d.cmd("EPSV").1, FULL);
    // QUIT: the session's listener goes with it (once the server has closed the session).
    assert_eq!(b.code("QUIT"), 221);
    let mut last = String::new();
    let freed = wait_until(deadline(), || {
        let (code, text) = d.cmd("EPSV");
        last = text;
        code == 229
    });
    assert!(freed, "{last}");
}

// Guards the return of permits by transfers: one that finished, and one aborted midway,
// give their place back before their final reply, so the next channel is granted at once.
#[test]
fn finished_and_aborted_transfers_give_their_place_back() {
    let s = TestServer::start_with(|c| c.max_transfers = Some(1));
    s.write("small.txt", b"hello");
    s.write("huge.bin", &vec![7u8; 32 * 1024 * 1024]);
    let mut a = s.raw_logged_in();
    let mut b = s.raw_logged_in();
    assert_eq!(a.code("TYPE I"), 200);

    let mut data = a.pasv();
    assert_eq!(b.cmd("EPSV").1, FULL);
    a.send("RETR small.txt");
    assert_eq!(a.reply().0, 150);
    let mut got = Vec::new();
    data.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"hello");
    assert_eq!(a.reply().0, 226);
    b.epsv_port();
    assert_eq!(b.code("ABOR"), 225);

    // A download left unread stalls on a full socket, holding its place.
    let mut data = a.pasv();
    a.send("RETR huge.bin");
    assert_eq!(a.reply().0, 150);
    let mut buf = [0u8; 1024];
    data.read_exact(&mut buf).expect("read");
    assert_eq!(b.cmd("EPSV").1, FULL);
    a.send("ABOR");
    assert_eq!(a.reply().0, 426);
    assert_eq!(a.reply().0, 226);
    b.epsv_port();
}

// Guards the cap on active channels: a transfer over PORT takes a place when it starts and
// is refused with the same 425 when there is none.
#[test]
fn port_transfers_count_too() {
    let s = TestServer::start_with(|c| c.max_transfers = Some(1));
    s.write("f.txt", b"active");
    let mut a = s.raw_logged_in();
    let mut b = s.raw_logged_in();
    a.epsv_port();
    let client = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = client.local_addr().expect("addr").port();
    let port_cmd = format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff);
    assert_eq!(b.code(&port_cmd), 200);
    assert_eq!(b.cmd("RETR f.txt").1, FULL);
    assert_eq!(a.code("ABOR"), 225);
    assert_eq!(b.code(&port_cmd), 200);
    b.send("RETR f.txt");
    let (mut data, _) = client.accept().expect("accept");
    assert_eq!(b.reply().0, 150);
    let mut got = Vec::new();
    data.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"active");
    assert_eq!(b.reply().0, 226);
}

/// Paused time: a waiting listener nobody connects to gives its place back when it closes
/// at the data timeout, not only when its session ends.
mod paused {
    use std::time::Duration;

    use super::common::duplex::Harness;

    const DATA_TIMEOUT: Duration = Duration::from_secs(20);

    // Guards against hoarding: a client that asks for channels and never connects holds a
    // place for the data timeout at most (the permit lives with the listener).
    #[tokio::test(start_paused = true)]
    async fn a_listener_nobody_connects_to_frees_its_place_at_the_data_timeout() {
        let h = Harness::start(|c| {
            c.max_transfers = Some(1);
            c.data_connect_timeout = DATA_TIMEOUT;
        })
        .await;
        let mut hoarder = h.logged_in().await;
        assert!(hoarder.cmd("EPSV").await.starts_with("229 "));
        let mut other = h.logged_in().await;
        assert_eq!(other.cmd("EPSV").await, super::FULL);
        // Virtual time: the stimulus (time passing), not synchronisation.
        tokio::time::sleep(DATA_TIMEOUT + Duration::from_secs(1)).await;
        assert!(other.cmd("EPSV").await.starts_with("229 "));
    }
}
