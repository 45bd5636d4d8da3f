//! Data-channel security and reuse, path containment, and many sessions at once.

mod common;

use std::io::{Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::TestServer;

#[test]
fn passive_connection_from_another_address_is_refused_with_425() {
    let s = TestServer::start();
    s.write("secret.txt", b"mine");
    let mut r = s.raw_logged_in();
    let port = r.epsv_port();
    // Connect from 127.0.0.2 while the control connection comes from 127.0.0.1.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    sock.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    let thief: TcpStream = sock.into();
    r.send("RETR secret.txt");
    let (code, text) = r.reply();
    assert_eq!(code, 425, "{text}");
    drop(thief);
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn port_to_another_address_is_501_unless_allowed() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    let (code, text) = r.cmd("PORT 10,0,0,1,200,10");
    assert_eq!(code, 501, "{text}");
    assert!(text.contains("bounce"), "{text}");
    assert_eq!(r.code("EPRT |1|192.0.2.7|5000|"), 501);
    assert_eq!(r.code("PORT 127,0,0,1,200,10"), 200);

    let s = TestServer::start_with(|c| c.allow_foreign_data_address = true);
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("PORT 127,0,0,2,200,10"), 200);
}

#[test]
fn active_connect_failure_is_425() {
    let s = TestServer::start_with(|c| c.data_connect_timeout = Duration::from_millis(500));
    s.write("f", b"x");
    let mut r = s.raw_logged_in();
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    assert_eq!(r.code(&format!("EPRT |1|127.0.0.1|{port}|")), 200);
    assert_eq!(r.code("RETR f"), 425);
}

#[test]
fn passive_accept_timeout_is_425() {
    let s = TestServer::start_with(|c| c.data_connect_timeout = Duration::from_millis(300));
    s.write("f", b"x");
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("PASV"), 227);
    // The stimulus, not synchronisation: the client lets the data-connection timeout run
    // out before it asks. Whether the server's timer has fired by then or fires while RETR
    // waits, the answer is the same 425, so the outcome does not hang on the timing.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(r.code("RETR f"), 425);
}

#[test]
fn second_pasv_closes_the_first_listener() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    let port = r.epsv_port();
    assert_eq!(r.code("EPSV"), 229);
    // The old listener may close just after the reply; wait for it, with a deadline.
    let closed = common::wait_until(common::deadline(), || {
        TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    assert!(closed, "old listener still open");
}

#[test]
fn ten_passive_ports_serve_many_sessions_in_a_row_and_at_once() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = probe
        .local_addr()
        .unwrap()
        .port()
        .saturating_sub(5000)
        .max(20000);
    drop(probe);
    let s = TestServer::start_with(move |c| c.passive_ports = base..=base + 9);
    s.write("f.txt", b"pool");
    // 60 transfers in a row on one session, then 20 sessions each doing 5 transfers at once.
    let mut ftp = s.client();
    for _ in 0..60 {
        assert_eq!(ftp.retr_as_buffer("f.txt").unwrap().into_inner(), b"pool");
    }
    let addr = s.addr;
    let handles: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let mut ftp = suppaftp::FtpStream::connect(addr).unwrap();
                ftp.login(common::USER, common::PASS).unwrap();
                for _ in 0..5 {
                    // A busy range may refuse for a moment; a client retries until a
                    // deadline.
                    let mut last = None;
                    let done = common::wait_until(common::deadline(), || {
                        match ftp.retr_as_buffer("f.txt") {
                            Ok(b) => {
                                assert_eq!(b.into_inner(), b"pool");
                                true
                            }
                            Err(e) => {
                                last = Some(e);
                                false
                            }
                        }
                    });
                    assert!(done, "{last:?}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn paths_never_leave_the_root() {
    let s = TestServer::start();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"outside").unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("escape")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", s.path("passwd")).unwrap();
    s.write("inside.txt", b"in");
    let mut ftp = s.client();
    for p in [
        "../../../../etc/passwd",
        "/../etc/passwd",
        "escape/secret",
        "passwd",
        "..\\..\\etc\\passwd",
    ] {
        assert!(ftp.retr_as_buffer(p).is_err(), "{p} readable");
    }
    assert!(ftp
        .put_file("escape/new", &mut Cursor::new(b"x".to_vec()))
        .is_err());
    assert!(!outside.path().join("new").exists());
    assert!(ftp.cwd("escape").is_err());
    ftp.cwd("../../..").unwrap();
    assert_eq!(ftp.pwd().unwrap(), "/");
    assert_eq!(
        ftp.retr_as_buffer("../inside.txt").unwrap().into_inner(),
        b"in"
    );
    assert!(ftp.rm("escape/secret").is_err());
    assert!(outside.path().join("secret").exists());
    // Renaming something out of the root is impossible: the target resolves inside it.
    ftp.rename("inside.txt", "../../moved.txt").unwrap();
    assert!(s.path("moved.txt").exists());
    // The listing survives links that point outside.
    assert!(ftp.list(None).is_ok());
}

#[test]
fn nul_in_a_name_is_refused() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    r.send_bytes(b"MKD a\x00b\r\n");
    let (code, _) = r.reply();
    assert!(code == 553 || code == 501, "{code}");
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn two_hundred_concurrent_sessions() {
    let s = TestServer::start_with(|c| {
        c.max_connections_per_ip = 500;
        c.login_failure_delay = Duration::from_millis(1);
        // 200 sessions of one user: past the default per-user limit.
        c.limits.max_sessions_per_user = 0;
    });
    let addr = s.addr;
    let handles: Vec<_> = (0..200)
        .map(|i| {
            std::thread::spawn(move || {
                let mut ftp = suppaftp::FtpStream::connect(addr).unwrap();
                ftp.login(common::USER, common::PASS).unwrap();
                ftp.transfer_type(suppaftp::types::FileType::Binary)
                    .unwrap();
                let name = format!("file-{i}.txt");
                let body = format!("session {i}").into_bytes();
                ftp.put_file(&name, &mut Cursor::new(body.clone())).unwrap();
                assert_eq!(ftp.retr_as_buffer(&name).unwrap().into_inner(), body);
                ftp.quit().unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(std::fs::read_dir(s.root.path()).unwrap().count(), 200);
}

#[test]
fn data_connection_reset_during_upload_discards_it() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    let mut data = r.pasv();
    r.send("STOR reset.bin");
    assert_eq!(r.reply().0, 150);
    data.write_all(&[9u8; 50_000]).unwrap();
    // SO_LINGER 0 makes close send RST instead of FIN.
    let sock = socket2::Socket::from(data);
    sock.set_linger(Some(Duration::ZERO)).unwrap();
    drop(sock);
    let (code, text) = r.reply();
    assert!(code == 426 || code == 226, "{code} {text}");
    if code == 426 {
        assert!(!s.path("reset.bin").exists());
    }
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn ipv6_listener_with_epsv_and_eprt() {
    let s = TestServer::start_with(|c| c.listen = vec!["[::1]:0".parse().unwrap()]);
    assert!(s.addr.is_ipv6());
    s.write("six.txt", b"over ipv6");
    let mut r = s.raw_logged_in();
    // PASV can only name an IPv4 address.
    assert_eq!(r.code("PASV"), 425);
    assert_eq!(r.code("EPSV 1"), 522);
    let data = r.epsv();
    r.send("RETR six.txt");
    assert_eq!(r.reply().0, 150);
    assert_eq!(common::read_all(data), b"over ipv6");
    assert_eq!(r.reply().0, 226);
    let l = std::net::TcpListener::bind("[::1]:0").unwrap();
    let port = l.local_addr().unwrap().port();
    assert_eq!(r.code(&format!("EPRT |2|::1|{port}|")), 200);
    r.send("RETR six.txt");
    let (conn, _) = l.accept().unwrap();
    assert_eq!(r.reply().0, 150);
    assert_eq!(common::read_all(conn), b"over ipv6");
    assert_eq!(r.reply().0, 226);
}

#[test]
fn shutdown_lets_a_running_transfer_finish() {
    let s = TestServer::start();
    s.write("big.bin", &vec![3u8; 8 * 1024 * 1024]);
    let mut r = s.raw_logged_in();
    r.code("TYPE I");
    // An idle session shows when the shutdown has reached the server: it gets its 421 at once.
    let mut idle = s.raw_logged_in();
    let mut data = r.pasv();
    r.send("RETR big.bin");
    assert_eq!(r.reply().0, 150);
    // Take a little, then stop reading: the transfer stalls on the socket, far from done
    // (the file is larger than the socket buffers).
    let mut first = vec![0u8; 64 * 1024];
    data.read_exact(&mut first).unwrap();
    let stopper = std::thread::spawn(move || s.stop());
    let (code, text) = idle.reply();
    assert_eq!(code, 421, "{text}");
    // The shutdown has arrived and the transfer is still running: no 226 yet.
    assert!(!r.has_pending(), "the transfer ended before the shutdown");
    let reader = std::thread::spawn(move || first.len() + common::read_all(data).len());
    assert_eq!(reader.join().unwrap(), 8 * 1024 * 1024);
    assert_eq!(r.reply().0, 226);
    assert_eq!(r.reply().0, 421);
    stopper.join().unwrap();
}

#[test]
fn pasv_advertises_the_configured_address() {
    let s = TestServer::start_with(|c| c.passive_address = Some("127.0.0.3".parse().unwrap()));
    let mut r = s.raw_logged_in();
    let (code, text) = r.cmd("PASV");
    assert_eq!(code, 227);
    assert!(text.contains("(127,0,0,3,"), "{text}");
}

#[test]
fn failed_logins_are_delayed() {
    let s = TestServer::start_with(|c| c.login_failure_delay = Duration::from_millis(400));
    let mut r = s.raw();
    r.code("USER alice");
    let started = std::time::Instant::now();
    assert_eq!(r.code("PASS wrong"), 530);
    assert!(started.elapsed() >= Duration::from_millis(400));
}
