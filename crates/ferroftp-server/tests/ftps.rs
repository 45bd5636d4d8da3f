//! FTPS (RFC 4217): explicit and implicit TLS, protected data connections, session reuse,
//! the TLS policies and every TLS sequencing rule, with a real rustls client.

mod common;

use std::io::{Cursor, Read, Write};
use std::time::Duration;

use common::{explicit_client, TestServer};
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::tls::SessionReuse;
use suppaftp::{Mode, RustlsFtpStream, Status};

#[test]
fn explicit_tls_passive_upload_download_list_resume() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let mut ftp = explicit_client(s.addr, &cert, true);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 13) as u8).collect();
    ftp.put_file("secret.bin", &mut Cursor::new(data.clone()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("secret.bin")).unwrap(), data);
    assert_eq!(ftp.retr_as_buffer("secret.bin").unwrap().into_inner(), data);
    assert!(ftp
        .list(None)
        .unwrap()
        .iter()
        .any(|l| l.ends_with(" secret.bin")));
    assert!(ftp
        .mlsd(None)
        .unwrap()
        .iter()
        .any(|l| l.ends_with(" secret.bin")));
    ftp.resume_transfer(150_000).unwrap();
    assert_eq!(
        ftp.retr_as_buffer("secret.bin").unwrap().into_inner(),
        &data[150_000..]
    );
    ftp.set_mode(Mode::ExtendedPassive);
    assert_eq!(ftp.nlst(None).unwrap(), vec!["secret.bin"]);
    ftp.quit().unwrap();
}

#[test]
fn explicit_tls_active_mode() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let ftp = RustlsFtpStream::connect(s.addr)
        .unwrap()
        .active_mode(Duration::from_secs(5));
    let mut ftp = ftp.into_secure(cert.connector(true), "localhost").unwrap();
    ftp.login(common::USER, common::PASS).unwrap();
    ftp.transfer_type(suppaftp::types::FileType::Binary)
        .unwrap();
    ftp.put_file("act.txt", &mut Cursor::new(b"active tls".to_vec()))
        .unwrap();
    assert_eq!(
        ftp.retr_as_buffer("act.txt").unwrap().into_inner(),
        b"active tls"
    );
    assert!(ftp
        .list(None)
        .unwrap()
        .iter()
        .any(|l| l.ends_with(" act.txt")));
}

#[test]
fn implicit_tls() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |c| {
        c.implicit_tls_listen = vec!["127.0.0.1:0".parse().unwrap()];
    });
    let addr = s.implicit_addr.expect("implicit listener");
    let mut ftp =
        RustlsFtpStream::connect_secure_implicit(addr, cert.connector(true), "localhost").unwrap();
    ftp.login(common::USER, common::PASS).unwrap();
    ftp.custom_command("PBSZ 0", &[Status::CommandOk]).unwrap();
    ftp.custom_command("PROT P", &[Status::CommandOk]).unwrap();
    ftp.transfer_type(suppaftp::types::FileType::Binary)
        .unwrap();
    ftp.put_file("imp.txt", &mut Cursor::new(b"implicit".to_vec()))
        .unwrap();
    assert_eq!(
        ftp.retr_as_buffer("imp.txt").unwrap().into_inner(),
        b"implicit"
    );
    // AUTH on an implicit session is already secured.
    let r = ftp
        .custom_command("AUTH TLS", &[Status::BadSequence])
        .unwrap();
    assert_eq!(r.status, Status::BadSequence);
}

#[test]
fn data_connection_without_session_resumption_is_refused() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    s.write("f.txt", b"guarded");
    let mut ftp = explicit_client(s.addr, &cert, false);
    let err = ftp.retr_as_buffer("f.txt").unwrap_err();
    let text = format!("{err:?} {err}");
    assert!(text.contains("522") || text.contains("resume"), "{text}");
    // The session goes on.
    ftp.noop().unwrap();

    // With reuse optional, the same client works.
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Optional, |_| {});
    s.write("f.txt", b"guarded");
    let mut ftp = explicit_client(s.addr, &cert, false);
    assert_eq!(
        ftp.retr_as_buffer("f.txt").unwrap().into_inner(),
        b"guarded"
    );
}

#[test]
fn tls_sequencing_rules_over_the_wire() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let mut r = s.raw();
    assert_eq!(r.cmd("PBSZ 0").1, "503 Send AUTH TLS first.\r\n");
    assert_eq!(r.cmd("PROT P").1, "503 Send AUTH TLS first.\r\n");
    assert_eq!(r.code("CCC"), 533);
    assert_eq!(r.code("AUTH KERBEROS_V4"), 504);
    let feat = r.cmd("FEAT").1;
    for f in [" AUTH TLS\r\n", " PBSZ\r\n", " PROT\r\n"] {
        assert!(feat.contains(f), "{f} missing: {feat}");
    }
    // Plain-text commands pipelined behind AUTH TLS end the session.
    r.send_bytes(b"AUTH TLS\r\nUSER alice\r\n");
    let (code, _) = r.reply();
    assert_eq!(code, 421);

    let ftp = RustlsFtpStream::connect(s.addr).unwrap();
    let mut ftp = ftp.into_secure(cert.connector(true), "localhost").unwrap();
    // into_secure sent PBSZ and PROT; now the order rules once secured:
    let r = ftp
        .custom_command("AUTH TLS", &[Status::BadSequence])
        .unwrap();
    assert_eq!(r.status, Status::BadSequence);
    assert!(refused(&mut ftp, "PROT S").starts_with("536 "));
    assert!(refused(&mut ftp, "CCC").starts_with("534 "));
    ftp.login(common::USER, common::PASS).unwrap();
    ftp.quit().unwrap();

    // PROT before PBSZ on a fresh secured session.
    let mut raw = std::net::TcpStream::connect(s.addr).unwrap();
    let mut line = [0u8; 256];
    let _ = raw.read(&mut line).unwrap();
    raw.write_all(b"AUTH TLS\r\n").unwrap();
    let n = raw.read(&mut line).unwrap();
    assert!(line[..n].starts_with(b"234 "));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cert.client_config(true), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, raw);
    let read_reply =
        |tls: &mut rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>,
         cmd: &str| {
            tls.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
            let mut buf = [0u8; 512];
            let n = tls.read(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).to_string()
        };
    assert_eq!(read_reply(&mut tls, "PROT P"), "503 Send PBSZ 0 first.\r\n");
    assert!(read_reply(&mut tls, "PBSZ 0").starts_with("200 "));
    assert!(read_reply(&mut tls, "PROT P").starts_with("200 "));
}

/// Sends a command the server must refuse and returns the reply text.
fn refused(ftp: &mut RustlsFtpStream, cmd: &str) -> String {
    match ftp.custom_command(cmd, &[Status::CommandOk]) {
        Err(suppaftp::FtpError::UnexpectedResponse(r)) => {
            String::from_utf8_lossy(&r.body).into_owned()
        }
        other => panic!("{cmd}: {other:?}"),
    }
}

#[test]
fn tls_required_for_login() {
    let (s, cert) = TestServer::start_tls(TlsRequired::Login, SessionReuse::Required, |_| {});
    let mut r = s.raw();
    let (code, text) = r.cmd("USER alice");
    assert_eq!(code, 534, "{text}");
    assert!(text.contains("AUTH TLS"));
    assert_eq!(r.code("PASS wonderland"), 503);
    let mut ftp = explicit_client(s.addr, &cert, true);
    ftp.noop().unwrap();
}

#[test]
fn tls_required_for_data_refuses_prot_c() {
    let (s, cert) = TestServer::start_tls(TlsRequired::All, SessionReuse::Required, |_| {});
    s.write("f.txt", b"x");
    let mut ftp = explicit_client(s.addr, &cert, true);
    ftp.custom_command("PROT C", &[Status::CommandOk]).unwrap();
    let err = ftp.retr_as_buffer("f.txt").unwrap_err();
    let err = format!("{err:?} {err}");
    assert!(err.contains("521"), "{err}");
    ftp.custom_command("PROT P", &[Status::CommandOk]).unwrap();
    assert_eq!(ftp.retr_as_buffer("f.txt").unwrap().into_inner(), b"x");
}

#[test]
fn garbage_after_auth_tls_or_on_the_implicit_port_ends_only_that_session() {
    let (s, _cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |c| {
        c.implicit_tls_listen = vec!["127.0.0.1:0".parse().unwrap()];
        c.tls_handshake_timeout = Duration::from_millis(500);
    });
    let mut bystander = s.raw_logged_in();
    // Garbage after AUTH TLS.
    let mut r = s.raw();
    assert_eq!(r.code("AUTH TLS"), 234);
    r.send_bytes(b"this is not a TLS ClientHello\r\n");
    assert!(r.is_closed());
    // Plain text on the implicit port.
    let mut plain = std::net::TcpStream::connect(s.implicit_addr.unwrap()).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain.write_all(b"USER alice\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = plain.read(&mut buf).unwrap_or(0);
    assert!(!String::from_utf8_lossy(&buf[..n]).starts_with("220"));
    // A handshake that stalls is dropped after the timeout.
    let mut stall = std::net::TcpStream::connect(s.implicit_addr.unwrap()).unwrap();
    stall
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(matches!(stall.read(&mut buf), Ok(0) | Err(_)));
    // Everyone else is unaffected.
    assert_eq!(bystander.code("NOOP"), 200);
}

#[test]
fn certificate_reload_keeps_sessions() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let mut ftp = explicit_client(s.addr, &cert, true);
    ftp.noop().unwrap();
    // Reload is exercised on the TlsConfig itself in the unit tests; here: a session made
    // before stays usable for transfers.
    ftp.put_file("still.txt", &mut Cursor::new(b"ok".to_vec()))
        .unwrap();
    assert!(s.path("still.txt").exists());
}

#[test]
fn auth_ssl_is_an_alias_and_appe_stou_run_over_tls() {
    let (s, cert) = TestServer::start_tls(TlsRequired::None, SessionReuse::Required, |_| {});
    let mut r = s.raw();
    assert_eq!(r.code("AUTH SSL"), 234);
    drop(r);
    let mut ftp = explicit_client(s.addr, &cert, true);
    ftp.append_file("log.txt", &mut Cursor::new(b"one\n".to_vec()))
        .unwrap();
    ftp.append_file("log.txt", &mut Cursor::new(b"two\n".to_vec()))
        .unwrap();
    assert_eq!(std::fs::read(s.path("log.txt")).unwrap(), b"one\ntwo\n");
    let (resp, mut stream) = ftp
        .custom_data_command("STOU", &[Status::AboutToSend, Status::AlreadyOpen])
        .unwrap();
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(text.contains("FILE: "), "{text}");
    stream.write_all(b"unique over tls").unwrap();
    stream.finish().unwrap();
    let name = text.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(std::fs::read(s.path(&name)).unwrap(), b"unique over tls");
}

#[test]
fn many_transfers_in_one_session_keep_resuming() {
    let (s, cert) = TestServer::start_tls(TlsRequired::All, SessionReuse::Required, |_| {});
    let mut ftp = explicit_client(s.addr, &cert, true);
    // rustls spends each TLS 1.3 ticket once and reads no tickets from an upload's data
    // connection; the control connection hands out eight, and every download or listing
    // brings two fresh ones. So a long mixed session keeps resuming.
    for round in 0..3 {
        for i in 0..7 {
            let name = format!("up-{round}-{i}.txt");
            ftp.put_file(&name, &mut Cursor::new(name.clone().into_bytes()))
                .unwrap_or_else(|e| panic!("upload {round}/{i}: {e:?}"));
        }
        for i in 0..7 {
            let name = format!("up-{round}-{i}.txt");
            let got = ftp
                .retr_as_buffer(&name)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(got.into_inner(), name.as_bytes());
        }
    }
}
