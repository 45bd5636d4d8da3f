//! FTPS data connections under attack, with a real rustls client over loopback: a
//! same-address attacker that only sent AUTH TLS races to the victim's passive port with a
//! session of its own, and a `PROT P` upload is cut by a bare TCP close (truncation).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::tls::SessionReuse;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn tls_client(config: &Arc<ClientConfig>, tcp: TcpStream) -> Tls {
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    StreamOwned::new(
        ClientConnection::new(config.clone(), name).expect("client"),
        tcp,
    )
}

/// Reads one reply, byte by byte so that nothing after it is consumed.
fn read_reply(r: &mut impl Read) -> String {
    let mut text = String::new();
    let mut line = Vec::new();
    loop {
        let mut b = [0u8; 1];
        if r.read(&mut b).expect("control connection") == 0 {
            return text;
        }
        line.push(b[0]);
        if line.ends_with(b"\r\n") {
            let l = String::from_utf8_lossy(&line).into_owned();
            text.push_str(&l);
            line.clear();
            if l.len() >= 4 && l.as_bytes()[3] == b' ' {
                return text;
            }
        }
    }
}

/// An explicit-FTPS control connection: greeting, AUTH TLS, handshake.
struct Control {
    tls: Tls,
}

impl Control {
    fn open(addr: SocketAddr, config: &Arc<ClientConfig>) -> Control {
        let mut tcp = TcpStream::connect(addr).expect("connect");
        assert!(read_reply(&mut tcp).starts_with("220 "));
        tcp.write_all(b"AUTH TLS\r\n").expect("send");
        assert!(read_reply(&mut tcp).starts_with("234 "));
        let mut c = Control {
            tls: tls_client(config, tcp),
        };
        // The first exchange also reads the session tickets sent after the handshake.
        assert!(c.cmd("NOOP").starts_with("200 "));
        c
    }

    fn logged_in(addr: SocketAddr, config: &Arc<ClientConfig>) -> Control {
        let mut c = Control::open(addr, config);
        assert!(c.cmd(&format!("USER {}", common::USER)).starts_with("331 "));
        assert!(c.cmd(&format!("PASS {}", common::PASS)).starts_with("230 "));
        for cmd in ["PBSZ 0", "PROT P", "TYPE I"] {
            assert!(c.cmd(cmd).starts_with("200 "), "{cmd}");
        }
        c
    }

    fn cmd(&mut self, line: &str) -> String {
        self.tls
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send");
        self.reply()
    }

    fn reply(&mut self) -> String {
        read_reply(&mut self.tls)
    }

    fn epsv_port(&mut self) -> u16 {
        let r = self.cmd("EPSV");
        r.split("|||")
            .nth(1)
            .and_then(|t| t.split('|').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("EPSV port in {r}"))
    }
}

// Guards point 6: an attacker from the victim's address that only sent AUTH TLS (and never
// logged in) races to the victim's passive port and resumes its own TLS session. It used
// to receive the victim's file while the victim saw 226; now its connection is closed and
// the victim's transfer goes through on the victim's own connection.
#[test]
fn a_same_address_attacker_that_never_logged_in_cannot_take_the_download() {
    attack(false);
}

// Guards point 6 under TLS 1.2, whose resumed sessions rustls does not hand back: they
// used to be accepted whoever they belonged to.
#[test]
fn the_same_attack_over_tls_1_2_fails_too() {
    attack(true);
}

/// A client config like `cert.client_config(true)`, held to TLS 1.2.
fn tls12_client(cert: &common::TestCert) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(cert.der.clone()))
        .expect("root");
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .expect("TLS 1.2")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn attack(tls12: bool) {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |c| {
        // The attacker's session is of a connection that might still log in: the transfer
        // waits this long for that login before shutting the attacker out.
        c.tls_handshake_timeout = Duration::from_secs(1);
    });
    let secret: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    s.write("secret.bin", &secret);
    let victim_config = cert.client_config(true);
    let mut victim = Control::logged_in(s.addr, &victim_config);
    let attacker_config = if tls12 {
        tls12_client(&cert)
    } else {
        cert.client_config(true)
    };
    let attacker = Control::open(s.addr, &attacker_config);

    let port = victim.epsv_port();
    // The attacker is first on the port, and resumes its own session at once.
    let attacker_tcp = TcpStream::connect(("127.0.0.1", port)).expect("attacker connects");
    let thief = std::thread::spawn(move || {
        let mut data = tls_client(&attacker_config, attacker_tcp);
        let mut got = Vec::new();
        let _ = data.read_to_end(&mut got);
        (
            data.conn.handshake_kind(),
            data.conn.protocol_version(),
            got,
        )
    });
    let victim_tcp = TcpStream::connect(("127.0.0.1", port)).expect("victim connects");
    let started = victim.cmd("RETR secret.bin");
    assert!(started.starts_with("150 "), "{started}");
    let mut data = tls_client(&victim_config, victim_tcp);
    let mut got = Vec::new();
    data.read_to_end(&mut got).expect("the victim's download");
    assert!(got == secret, "the victim got its file");
    assert_eq!(victim.reply(), "226 Transfer complete.\r\n");

    let (kind, version, stolen) = thief.join().expect("attacker thread");
    let expected = if tls12 {
        rustls::ProtocolVersion::TLSv1_2
    } else {
        rustls::ProtocolVersion::TLSv1_3
    };
    assert_eq!(version, Some(expected));
    assert_eq!(
        kind,
        Some(rustls::HandshakeKind::Resumed),
        "the attacker did resume its own session"
    );
    assert!(stolen.is_empty(), "the attacker got {} bytes", stolen.len());
    drop(attacker);
}

/// Uploads `body` to `name` under PROT P; with `close_notify` the client ends TLS properly,
/// without it the connection ends with a bare TCP close (FIN). Returns the final reply.
fn upload(c: &mut Control, config: &Arc<ClientConfig>, name: &str, close_notify: bool) -> String {
    let port = c.epsv_port();
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("data connect");
    let started = c.cmd(&format!("STOR {name}"));
    assert!(started.starts_with("150 "), "{started}");
    let mut data = tls_client(config, tcp);
    data.write_all(b"new contents, maybe cut short")
        .expect("upload");
    if close_notify {
        data.conn.send_close_notify();
    }
    data.flush().expect("flush");
    data.sock.shutdown(Shutdown::Write).expect("FIN");
    let reply = c.reply();
    drop(data);
    reply
}

// Guards point 7: a PROT P upload cut by a TCP FIN without close_notify (a truncation
// attack) used to be saved as complete over the old file; now it is discarded with 426
// and the old file stays. A proper end (close_notify) still saves it.
#[test]
fn a_prot_p_upload_without_close_notify_is_discarded_with_426() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    s.write("doc.txt", b"old contents");
    let config = cert.client_config(true);
    let mut c = Control::logged_in(s.addr, &config);
    assert_eq!(
        upload(&mut c, &config, "doc.txt", false),
        "426 Data connection closed without TLS close_notify: upload discarded as truncated.\r\n"
    );
    assert_eq!(std::fs::read(s.path("doc.txt")).unwrap(), b"old contents");
    assert_eq!(
        upload(&mut c, &config, "doc.txt", true),
        "226 Transfer complete.\r\n"
    );
    assert_eq!(
        std::fs::read(s.path("doc.txt")).unwrap(),
        b"new contents, maybe cut short"
    );
}

// With `tls_upload_requires_close_notify` off, a bare close ends an upload as before.
#[test]
fn without_the_setting_an_upload_may_end_with_a_bare_close() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |c| {
        c.tls_upload_requires_close_notify = false;
    });
    s.write("doc.txt", b"old contents");
    let config = cert.client_config(true);
    let mut c = Control::logged_in(s.addr, &config);
    assert_eq!(
        upload(&mut c, &config, "doc.txt", false),
        "226 Transfer complete.\r\n"
    );
    assert_eq!(
        std::fs::read(s.path("doc.txt")).unwrap(),
        b"new contents, maybe cut short"
    );
}
