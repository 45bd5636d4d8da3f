//! `ferroftp doctor` over FTPS: explicit (AUTH TLS) and implicit TLS against ferroftp itself
//! with a self-signed certificate, both session-reuse policies, a server that wants TLS
//! before the login, and scripted servers that break the handshake. Every connection goes to
//! 127.0.0.1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::{Finished, Served};
use serde_json::Value;

/// Runs `ferroftp doctor ARGS`; fails the test if it runs for more than a minute.
fn run_doctor(args: &[&str]) -> Finished {
    let mut cmd = common::ferroftp(&["doctor"]);
    cmd.args(args);
    common::finish(cmd, b"")
}

/// Every finding of `check`.
fn all_of<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The one finding of `check`, which must have `severity`.
fn the<'a>(report: &'a Value, check: &str, severity: &str) -> &'a Value {
    let found = all_of(report, check);
    assert_eq!(found.len(), 1, "{check}: {found:#?}");
    assert_eq!(found[0]["severity"], severity, "{:#}", found[0]);
    found[0]
}

fn detail(f: &Value) -> &str {
    f["detail"].as_str().unwrap_or_default()
}

/// Error findings of a report.
fn errors(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

/// A running `ferroftp serve`, killed when dropped.
struct Ftps {
    // Kept so the server runs until the test ends.
    _served: Served,
    user: String,
    password: String,
    fingerprint: String,
    /// The plain (explicit FTPS) listener.
    explicit: String,
    /// The implicit FTPS listener, when asked for.
    implicit: Option<String>,
}

impl Ftps {
    /// `ftps://user:password@addr/`.
    fn url(&self, addr: &str) -> String {
        format!("ftps://{}:{}@{addr}/", self.user, self.password)
    }
}

/// Starts `ferroftp serve --tls-self-signed` in quick-start mode on free loopback ports,
/// with `extra` flags.
fn serve(root: &std::path::Path, extra: &[&str]) -> Ftps {
    let implicit = extra.contains(&"--implicit-tls-listen");
    let served = common::Serve::new(&["--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .arg("--root")
        .arg(root)
        .arg("--tls-self-signed")
        .listeners(if implicit { 2 } else { 1 });
    let served = extra.iter().fold(served, |s, a| s.arg(a)).start();
    let (user, password) = served.quick_start.clone().expect("quick start line");
    Ftps {
        user,
        password,
        fingerprint: served.fingerprint.clone().expect("fingerprint line"),
        explicit: served.listener("ftp"),
        implicit: implicit.then(|| served.listener("ftps")),
        _served: served,
    }
}

/// A directory to serve, with a file and a subdirectory in it.
fn served_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("readme.txt"), b"ferroftp over TLS\n").unwrap();
    std::fs::create_dir(dir.path().join("pub")).unwrap();
    dir
}

/// The checks every run against ferroftp over TLS passes.
fn assert_tls_ok(report: &Value, server: &Ftps) {
    the(report, "tls.handshake", "ok");
    let version = the(report, "tls.version", "ok");
    assert!(detail(version).contains("TLS 1."), "{version:#}");
    assert!(!detail(the(report, "tls.cipher", "info")).is_empty());
    let cert = the(report, "tls.certificate", "warning");
    assert!(detail(cert).contains("self-signed"), "{cert:#}");
    assert!(detail(cert).contains(&server.fingerprint), "{cert:#}");
    assert!(cert["fix"].is_string(), "{cert:#}");
    the(report, "tls.pbsz_prot", "ok");
    let data = the(report, "tls.data", "ok");
    assert!(detail(data).contains("resumed"), "{data:#}");
    for check in [
        "login.pass",
        "data.list.pasv",
        "data.list.epsv",
        "facts.mlsd",
    ] {
        the(report, check, "ok");
    }
    assert!(errors(report).is_empty(), "{:#?}", errors(report));
    assert!(
        !report.to_string().contains(&server.password),
        "the password is in the report"
    );
}

#[test]
fn explicit_ftps_with_required_session_reuse() {
    let dir = served_dir();
    let server = serve(dir.path(), &[]);
    let url = server.url(&server.explicit);
    let run = run_doctor(&[&url, "--write", "--json", "--timeout", "5"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_tls_ok(&report, &server);
    the(&report, "tls.auth", "ok");
    let data = the(&report, "tls.data", "ok");
    assert!(detail(data).contains("round trip"), "{data:#}");
    for check in ["write.stor", "write.retr", "write.rmd"] {
        the(&report, check, "ok");
    }
    let reuse = the(&report, "tls.session_reuse", "info");
    assert!(
        detail(reuse).contains("server requires TLS session reuse"),
        "{reuse:#}"
    );
    // No skipped handshake left over from before the TLS client existed.
    assert!(!run.stdout.contains("skipped: TLS"), "{}", run.stdout);
}

#[test]
fn explicit_ftps_with_optional_session_reuse() {
    let dir = served_dir();
    let server = serve(dir.path(), &["--tls-session-reuse", "optional"]);
    let url = server.url(&server.explicit);
    let run = run_doctor(&[&url, "--json", "--timeout", "5"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_tls_ok(&report, &server);
    let reuse = the(&report, "tls.session_reuse", "info");
    assert!(
        detail(reuse).contains("does not require session reuse"),
        "{reuse:#}"
    );
}

#[test]
fn implicit_ftps() {
    let dir = served_dir();
    let server = serve(dir.path(), &["--implicit-tls-listen", "127.0.0.1:0"]);
    let addr = server.implicit.clone().expect("implicit listener");
    let url = server.url(&addr);
    let run = run_doctor(&[&url, "--implicit-tls", "--json", "--timeout", "5"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_tls_ok(&report, &server);
    the(&report, "greeting", "ok");
    assert!(all_of(&report, "tls.auth").is_empty(), "no AUTH TLS");

    // The explicit port is no implicit one: the handshake fails, clearly and promptly.
    let url = server.url(&server.explicit);
    let run = run_doctor(&[&url, "--implicit-tls", "--json", "--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    let report = run.json();
    let f = the(&report, "tls.handshake", "error");
    assert!(f["fix"].as_str().unwrap().contains("implicit"), "{f:#}");
}

#[test]
fn tls_required_for_login() {
    let dir = served_dir();
    let server = serve(dir.path(), &["--tls-required", "login"]);
    let plain = format!(
        "ftp://{}:{}@{}/",
        server.user, server.password, server.explicit
    );
    let run = run_doctor(&[&plain, "--json", "--timeout", "5"]);
    let report = run.json();
    let user = the(&report, "login.user", "warning");
    assert_eq!(user["got"], 534, "{user:#}");
    assert!(
        user["fix"].as_str().unwrap().contains("ftps://"),
        "{user:#}"
    );
    // USER was refused, so PASS was never sent.
    assert!(all_of(&report, "login.pass").is_empty(), "{report:#}");
    assert!(!run.stdout.contains(&server.password));
    assert_eq!(run.code, 0, "{}", run.stdout);

    // Over ftps:// every connection, the extra ones too, logs in after AUTH TLS.
    let run = run_doctor(&[&server.url(&server.explicit), "--json", "--timeout", "5"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_tls_ok(&report, &server);
    the(&report, "sequence.rnto_without_rnfr", "ok");
    the(&report, "sequence.pasv_after_epsv_all", "ok");
}

/// Set when a scripted server receives the real password.
static PASSWORD_SEEN: AtomicBool = AtomicBool::new(false);

/// What a scripted server does after `234`.
#[derive(Clone, Copy)]
enum AfterAuth {
    /// Sends bytes that are no TLS record, then waits.
    Garbage,
    /// Says nothing.
    Silence,
}

/// An FTP server that offers AUTH TLS and breaks the handshake.
fn broken_tls_server(after: AfterAuth) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || broken_tls_session(stream, after));
        }
    });
    addr
}

fn broken_tls_session(stream: TcpStream, after: AfterAuth) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut say = |text: &str| out.write_all(format!("{text}\r\n").as_bytes()).is_ok();
    if !say("220 Scripted server ready.") {
        return;
    }
    let mut lines = BufReader::new(stream).lines();
    while let Some(Ok(line)) = lines.next() {
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        let going = match verb.to_ascii_uppercase().as_str() {
            "FEAT" => say("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End"),
            "AUTH" => {
                say("234 Proceed with negotiation.");
                if let AfterAuth::Garbage = after {
                    say("HTTP/1.1 200 OK\r\nthis is not a ServerHello");
                }
                // The stimulus, not synchronisation: the connection is held open and a
                // client must not wait for more. Bounded, so the thread ends anyway.
                thread::sleep(Duration::from_secs(30));
                return;
            }
            "PASS" => {
                if arg == "s3cret" {
                    PASSWORD_SEEN.store(true, Ordering::SeqCst);
                }
                say("503 Login with USER first.")
            }
            "PROT" | "PBSZ" => say("503 Send AUTH TLS first."),
            "QUIT" => {
                say("221 Bye.");
                return;
            }
            _ => say("530 Please login with USER and PASS."),
        };
        if !going {
            return;
        }
    }
}

#[test]
fn broken_handshakes_fail_promptly() {
    for (after, limit) in [
        (AfterAuth::Garbage, Duration::from_secs(5)),
        (AfterAuth::Silence, Duration::from_secs(8)),
    ] {
        let addr = broken_tls_server(after);
        let url = format!("ftps://tester:s3cret@{addr}/");
        let run = run_doctor(&[&url, "--json", "--timeout", "2"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(run.elapsed < limit, "took {:?}", run.elapsed);
        let report = run.json();
        the(&report, "tls.auth", "ok");
        let f = the(&report, "tls.handshake", "error");
        assert!(f["fix"].is_string(), "{f:#}");
        if let AfterAuth::Silence = after {
            assert!(detail(f).contains("within 2s"), "{f:#}");
        }
        assert!(all_of(&report, "login.user").is_empty(), "{report:#}");
        assert!(
            !PASSWORD_SEEN.load(Ordering::SeqCst),
            "password sent in clear"
        );
    }
}

/// Reads one command line (CRLF or LF) a byte at a time, so nothing after it (a TLS
/// ClientHello after `AUTH TLS`) is read ahead.
fn read_command(io: &mut dyn Read) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match io.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
        if line.len() > 4096 {
            return None;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).ok()
}

/// Both directions of a connection, plain or TLS.
trait Duplex: Read + Write {}

impl<T: Read + Write> Duplex for T {}

/// A TLS server side over `tcp`, with the handshake completed.
fn accept_tls(
    config: &std::sync::Arc<rustls::ServerConfig>,
    mut tcp: TcpStream,
) -> Option<rustls::StreamOwned<rustls::ServerConnection, TcpStream>> {
    let mut conn = rustls::ServerConnection::new(config.clone()).ok()?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).ok()?;
    }
    Some(rustls::StreamOwned::new(conn, tcp))
}

/// A self-signed server configuration for `localhost`.
fn scripted_tls_config() -> std::sync::Arc<rustls::ServerConfig> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![made.cert.der().clone()], key)
    .expect("server config");
    std::sync::Arc::new(config)
}

/// What a scripted session says to one command, and whether the connection goes on.
enum Step {
    Reply(String),
    /// `234`, then TLS on the control connection.
    StartTls,
    Quit,
}

/// An FTPS server (EPSV only) that runs the data connection's TLS handshake before it
/// sends `150`, the order some servers use: a client that waits for the `150` before its
/// ClientHello deadlocks with it.
fn handshake_first_session(tcp: TcpStream, config: std::sync::Arc<rustls::ServerConfig>) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
    let Ok(plain) = tcp.try_clone() else {
        return;
    };
    let mut control: Box<dyn Duplex> = Box::new(plain);
    let mut secured = false;
    let mut protected = false;
    let mut passive: Option<TcpListener> = None;
    let _ = control.write_all(b"220 Handshake-first server.\r\n");
    while let Some(line) = read_command(&mut control) {
        let (verb, _) = line.split_once(' ').unwrap_or((&line, ""));
        let step = match verb.to_ascii_uppercase().as_str() {
            "FEAT" => Step::Reply(
                "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n EPSV\r\n211 End".into(),
            ),
            "AUTH" if !secured => Step::StartTls,
            "PBSZ" if secured => Step::Reply("200 PBSZ=0".into()),
            "PROT" if secured => {
                protected = true;
                Step::Reply("200 Private.".into())
            }
            "PBSZ" | "PROT" => Step::Reply("503 Send AUTH TLS first.".into()),
            "USER" => Step::Reply("331 Password please.".into()),
            "PASS" => Step::Reply("230 Logged in.".into()),
            "PWD" => Step::Reply("257 \"/\" is the current directory.".into()),
            "TYPE" | "NOOP" => Step::Reply("200 OK.".into()),
            "EPSV" => match TcpListener::bind("127.0.0.1:0") {
                Ok(l) => {
                    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                    passive = Some(l);
                    Step::Reply(format!("229 Extended passive mode (|||{port}|)"))
                }
                Err(_) => Step::Reply("425 No passive port.".into()),
            },
            "LIST" | "NLST" => match passive.take().and_then(|l| l.accept().ok()) {
                None => Step::Reply("425 Use EPSV first.".into()),
                Some((data, _)) => {
                    let _ = data.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut data: Box<dyn Duplex> = if protected {
                        // The ClientHello comes before anything is said about the transfer.
                        match accept_tls(&config, data) {
                            Some(tls) => Box::new(tls),
                            None => return,
                        }
                    } else {
                        Box::new(data)
                    };
                    let _ = control.write_all(b"150 Here it comes.\r\n");
                    let _ = data.write_all(b"-rw-r--r-- 1 ftp ftp 5 Jan 01 2026 hello.txt\r\n");
                    let _ = data.flush();
                    drop(data);
                    Step::Reply("226 Done.".into())
                }
            },
            "QUIT" => Step::Quit,
            _ => Step::Reply("502 Not implemented here.".into()),
        };
        match step {
            Step::Reply(text) => {
                if control.write_all(format!("{text}\r\n").as_bytes()).is_err() {
                    return;
                }
            }
            Step::StartTls => {
                let _ = control.write_all(b"234 Go ahead.\r\n");
                let Ok(raw) = tcp.try_clone() else { return };
                match accept_tls(&config, raw) {
                    Some(tls) => control = Box::new(tls),
                    None => return,
                }
                secured = true;
            }
            Step::Quit => {
                let _ = control.write_all(b"221 Bye.\r\n");
                return;
            }
        }
    }
}

#[test]
fn data_handshake_before_the_150() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = scripted_tls_config();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || handshake_first_session(tcp, config));
        }
    });
    let url = format!("ftps://tester:secret@{addr}/");
    let run = run_doctor(&[&url, "--json", "--timeout", "3"]);
    let report = run.json();
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
    the(&report, "tls.handshake", "ok");
    the(&report, "tls.pbsz_prot", "ok");
    the(&report, "data.list.epsv", "ok");
    let data = the(&report, "tls.data", "ok");
    assert!(detail(data).contains("listings"), "{data:#}");
    // Nothing is refused on this server, not even a fresh session.
    let reuse = the(&report, "tls.session_reuse", "info");
    assert!(detail(reuse).contains("does not require"), "{reuse:#}");
}
