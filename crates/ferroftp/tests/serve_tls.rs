//! The binary's FTPS flags: certificate files, reload on SIGHUP, self-signed quick start,
//! implicit listener.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{deadline, wait_until, Serve, Served, BIN};

/// Starts the server and reads its announcement lines up to the last listener.
fn serve(args: &[&str], dir: &Path, listeners: usize) -> Served {
    Serve::new(args)
        .current_dir(dir)
        .listeners(listeners)
        .start()
}

fn write_cert(dir: &Path) -> Vec<u8> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    made.cert.der().to_vec()
}

fn client_config(trusted: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(trusted.to_vec()))
        .unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// Connects, sends AUTH TLS and tries a handshake trusting only `trusted`.
fn explicit_handshake(addr: &str, trusted: &[u8]) -> Result<(), String> {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 256];
    let _ = tcp.read(&mut buf).unwrap();
    tcp.write_all(b"AUTH TLS\r\n").unwrap();
    let n = tcp.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"234"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(client_config(trusted), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"NOOP\r\n").map_err(|e| e.to_string())?;
    let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
    if buf[..n].starts_with(b"200") {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&buf[..n]).into_owned())
    }
}

#[test]
fn certificate_files_reload_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_cert(dir.path());
    let srv = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--passive-ports",
            "0-0",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
        ],
        dir.path(),
        1,
    );
    let addr = srv.listener("ftp");
    assert!(srv
        .lines
        .iter()
        .any(|l| l.starts_with("TLS certificate SHA-256 fingerprint: ")));
    explicit_handshake(&addr, &first).expect("first certificate");
    let second = write_cert(dir.path());
    assert!(
        explicit_handshake(&addr, &second).is_err(),
        "not reloaded yet"
    );
    let ok = srv.signal("HUP");
    assert!(ok);
    let reloaded = wait_until(deadline(), || explicit_handshake(&addr, &second).is_ok());
    assert!(reloaded, "new certificate not served after SIGHUP");
}

#[test]
fn self_signed_prints_its_fingerprint_and_serves_implicit_tls() {
    let dir = tempfile::tempdir().unwrap();
    let srv = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--implicit-tls-listen",
            "127.0.0.1:0",
            "--passive-ports",
            "0-0",
            "--tls-self-signed",
        ],
        dir.path(),
        2,
    );
    let fp = srv
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("TLS certificate SHA-256 fingerprint: "))
        .expect("fingerprint line")
        .to_owned();
    assert_eq!(fp.len(), 95, "{fp}");
    // The implicit port speaks TLS from the first byte: a plain read gets no 220.
    let mut plain = TcpStream::connect(srv.listener("ftps")).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 16];
    let got = plain.read(&mut buf).unwrap_or(0);
    assert!(!buf[..got].starts_with(b"220"));
}

#[test]
fn tls_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--implicit-tls-listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("certificate"));
    let out = Command::new(BIN)
        .args(["serve", "--tls-required", "sometimes", "--tls-self-signed"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
