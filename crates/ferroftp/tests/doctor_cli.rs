//! `ferroftp doctor` against ferroftp itself, a deliberately broken scripted server, and
//! servers that misbehave at the transport level (garbage, silence, endless replies, resets).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::{Finished, Served};
use serde_json::Value;

/// Runs `ferroftp doctor ARGS`, killing it (and failing) if it takes over 60 s.
fn doctor(args: &[&str]) -> Finished {
    let mut cmd = common::ferroftp(&["doctor"]);
    cmd.args(args);
    common::finish(cmd, b"")
}

/// The findings of a JSON report with the given check name.
fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// Asserts that `check` was reported with `severity`, naming the expected code.
fn assert_finding(
    report: &Value,
    check: &str,
    severity: &str,
    got: Option<u64>,
    expected: Option<u64>,
) {
    let all = findings(report, check);
    let f = all
        .iter()
        .find(|f| f["severity"] == severity)
        .unwrap_or_else(|| panic!("no {severity} finding for {check}: {all:#?}"));
    if let Some(code) = got {
        assert_eq!(f["got"], code, "{f:#?}");
    }
    if let Some(code) = expected {
        let exp = f["expected"].as_array().unwrap();
        assert!(exp.iter().any(|c| c == code), "{f:#?}");
        let text = f["explanation"].as_str().unwrap_or_default();
        assert!(text.contains(&code.to_string()), "{f:#?}");
    }
    if severity == "error" || severity == "warning" {
        assert!(f["fix"].is_string(), "no fix for {check}: {f:#?}");
    }
}

struct Server {
    // Kept so the server runs until the test ends.
    _served: Served,
    addr: String,
    user: String,
    pass: String,
}

/// Starts `ferroftp serve` in quick-start mode on a free port.
fn serve_ferroftp(root: &std::path::Path) -> Server {
    let served = common::Serve::new(&["--listen", "127.0.0.1:0", "--passive-ports", "0-0"])
        .arg("--root")
        .arg(root)
        .start();
    let (user, pass) = served.quick_start.clone().expect("quick start line");
    Server {
        addr: served.addr.clone(),
        _served: served,
        user,
        pass,
    }
}

#[test]
fn ferroftp_itself_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), b"hello\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let server = serve_ferroftp(dir.path());
    let url = format!("ftp://{}:{}@{}/", server.user, server.pass, server.addr);
    let run = doctor(&[&url, "--write", "--json", "--timeout", "5"]);
    let report = run.json();
    for f in report["findings"].as_array().unwrap() {
        let sev = f["severity"].as_str().unwrap();
        assert!(sev == "ok" || sev == "info", "not ok: {f:#?}");
    }
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(report["summary"]["error"], 0);
    assert_eq!(report["summary"]["verdict"], "pass");
    for check in [
        "greeting",
        "sequence.pass_before_user",
        "sequence.rnto_without_rnfr",
        "sequence.retr_without_data_channel",
        "sequence.pasv_after_epsv_all",
        "sequence.unknown_verb",
        "login.pass",
        "pwd",
        "data.list.pasv",
        "data.list.epsv",
        "data.list.eprt",
        "data.list.port",
        "facts.mlsd",
        "facts.size",
        "facts.mdtm",
        "write.stor",
        "write.retr",
        "write.rmd",
    ] {
        assert_finding(&report, check, "ok", None, None);
    }
    assert!(
        !run.stdout.contains(&server.pass),
        "password leaked into the report"
    );
    // The scratch directory is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        left.iter().all(|n| !n.starts_with("ferroftp-doctor")),
        "{left:?}"
    );

    // The text report says the same, in either language.
    let run = doctor(&[&url, "--timeout", "5", "--lang", "vi"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("✓ OK"), "{}", run.stdout);
    assert!(run.stdout.contains("Tổng kết"), "{}", run.stdout);
}

/// Starts a scripted server: `handle` runs for each connection, in a thread of its own.
fn scripted(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server that breaks the sequencing rules and advertises a private PASV address.
fn broken_session(stream: TcpStream) {
    let dead_port = closed_port();
    let mut out = stream.try_clone().unwrap();
    let mut send = |s: &str| out.write_all(format!("{s}\r\n").as_bytes()).is_ok();
    send("220 (vsFTPd 3.0.3)");
    let mut user_sent = false;
    let mut logged_in = false;
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let verb = verb.to_ascii_uppercase();
        let ok = match verb.as_str() {
            "FEAT" => send("211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n211 End"),
            "USER" => {
                user_sent = true;
                send("331 Please specify the password.")
            }
            // Broken: PASS with no USER logs in (RFC: 503).
            "PASS" if !user_sent => {
                logged_in = true;
                send("230 Login successful.")
            }
            "PASS" if arg == "secret" => {
                logged_in = true;
                send("230 Login successful.")
            }
            "PASS" => send("530 Login incorrect."),
            "QUIT" => {
                send("221 Goodbye.");
                return;
            }
            _ if !logged_in => send("530 Please login with USER and PASS."),
            "PWD" => send("257 \"/\" is the current directory"),
            "SYST" => send("215 UNIX Type: L8"),
            "HELP" => send("214 Help OK."),
            "NOOP" | "TYPE" | "OPTS" => send("200 OK."),
            // Broken: RNTO without RNFR "renames" (RFC: 503).
            "RNTO" => send("250 Rename successful."),
            // Broken: a transfer with no data channel starts (RFC: 425).
            "RETR" => send("150 Opening BINARY mode data connection."),
            "LIST" | "MLSD" | "NLST" => send("425 Use PORT or PASV first."),
            "EPSV" if arg.eq_ignore_ascii_case("ALL") => send("200 EPSV ALL ok."),
            // Broken: PASV after EPSV ALL is accepted (RFC 2428: refuse), and the address
            // advertised is another host's (127.0.0.2: tests only ever talk to loopback)
            // where nothing answers.
            "PASV" => {
                let [p1, p2] = dead_port.to_be_bytes();
                send(&format!("227 Entering Passive Mode (127,0,0,2,{p1},{p2})."))
            }
            "EPSV" | "EPRT" | "PORT" => send("502 Command not implemented."),
            // Broken: unknown verbs "succeed" (RFC: 500 or 502).
            _ => send("200 OK."),
        };
        if !ok {
            return;
        }
    }
}

#[test]
fn broken_server_rules_are_caught() {
    let addr = scripted(broken_session);
    let url = format!("ftp://tester:secret@{addr}/");
    let run = doctor(&[&url, "--json", "--timeout", "2"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_finding(
        &report,
        "sequence.pass_before_user",
        "error",
        Some(230),
        Some(503),
    );
    assert_finding(
        &report,
        "sequence.rnto_without_rnfr",
        "error",
        Some(250),
        Some(503),
    );
    assert_finding(
        &report,
        "sequence.retr_without_data_channel",
        "error",
        Some(150),
        Some(425),
    );
    assert_finding(
        &report,
        "sequence.unknown_verb",
        "error",
        Some(200),
        Some(500),
    );
    assert_finding(
        &report,
        "sequence.pasv_after_epsv_all",
        "error",
        Some(227),
        Some(503),
    );
    assert_finding(&report, "data.pasv.address", "warning", Some(227), None);
    // Nothing listens on the advertised address (nor on the server's own at that port).
    let pasv_failed = ["data.pasv.connect"].iter().any(|c| {
        findings(&report, c)
            .iter()
            .any(|f| f["severity"] == "error")
    });
    assert!(pasv_failed, "{report:#?}");
    assert_finding(&report, "greeting.version", "warning", None, None);
    // What the server did right is ok.
    assert_finding(&report, "sequence.pwd_before_login", "ok", Some(530), None);
    assert_finding(
        &report,
        "sequence.list_without_data_channel",
        "ok",
        Some(425),
        None,
    );
    assert_finding(&report, "login.pass", "ok", Some(230), None);
    assert!(report["summary"]["error"].as_u64().unwrap() >= 6);
    assert_eq!(report["summary"]["verdict"], "fail");

    // The text report marks them.
    let run = doctor(&[&url, "--timeout", "2"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("✗ FAIL  sequence.pass_before_user"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("expected: 503"), "{}", run.stdout);
    assert!(run.stdout.contains("fix:"), "{}", run.stdout);
    assert!(run.stdout.contains("NAT"), "{}", run.stdout);
}

/// Set when a scripted TLS server receives the real password in clear text.
static PASSWORD_LEAKED: AtomicBool = AtomicBool::new(false);

/// A server that offers AUTH TLS and watches for the password.
fn tls_session(stream: TcpStream) {
    let mut out = stream.try_clone().unwrap();
    let mut send = |s: &str| out.write_all(format!("{s}\r\n").as_bytes()).is_ok();
    send("220 Ready.");
    let mut user_sent = false;
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let ok = match verb.to_ascii_uppercase().as_str() {
            "FEAT" => send("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End"),
            "AUTH" => send("234 Proceed with negotiation."),
            "USER" => {
                user_sent = true;
                send("331 Password please.")
            }
            "PASS" if arg == "secret" => {
                PASSWORD_LEAKED.store(true, Ordering::SeqCst);
                send("230 Logged in.")
            }
            "PASS" if !user_sent => send("503 Login with USER first."),
            "PASS" => send("530 Login incorrect."),
            "PROT" | "PBSZ" => send("503 Secure the connection first."),
            "QUIT" => {
                send("221 Bye.");
                return;
            }
            _ => send("530 Please login with USER and PASS."),
        };
        if !ok {
            return;
        }
    }
}

#[test]
fn ftps_never_sends_the_password_in_clear() {
    let addr = scripted(tls_session);
    let run = doctor(&[
        &format!("ftps://tester:secret@{addr}/"),
        "--timeout",
        "2",
        "--json",
    ]);
    assert!(
        !PASSWORD_LEAKED.load(Ordering::SeqCst),
        "password sent in clear"
    );
    // The scripted server answers 234 but cannot speak TLS: a failed handshake is an error.
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_finding(&report, "tls.auth", "ok", Some(234), None);
    assert_finding(&report, "sequence.prot_before_pbsz", "ok", Some(503), None);
    let f = &findings(&report, "tls.handshake")[0];
    assert_eq!(f["severity"], "error", "{f:#?}");
}

/// Accepts and never says a word.
fn silent_session(stream: TcpStream) {
    // The silence is the stimulus, not synchronisation: the doctor must give up after its
    // own 2 s timeout. Bounded, so the thread ends even if the doctor never hangs up.
    thread::sleep(Duration::from_secs(30));
    drop(stream);
}

/// Sends bytes that are not FTP replies, with no line end, then waits.
fn garbage_session(mut stream: TcpStream) {
    let mut x: u32 = 12345;
    let bytes: Vec<u8> = (0..300)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = (x >> 16) as u8;
            if b == b'\n' {
                0
            } else {
                b
            }
        })
        .collect();
    let _ = stream.write_all(&bytes);
    // Stimulus: the connection stays open with no line end, so only the doctor's own limits
    // can end the read. Bounded, so the thread ends anyway.
    thread::sleep(Duration::from_secs(30));
}

/// Sends a line that is not an FTP reply.
fn http_session(mut stream: TcpStream) {
    let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    // Stimulus: the connection stays open, so the doctor must judge from the line alone.
    // Bounded, so the thread ends anyway.
    thread::sleep(Duration::from_secs(30));
}

/// A multi-line greeting that never ends.
fn endless_session(mut stream: TcpStream) {
    let _ = stream.write_all(b"220-Welcome\r\n");
    let line = b"220-and more and more and more\r\n".repeat(64);
    while stream.write_all(&line).is_ok() {}
}

/// Greets, then resets the connection on the first command.
fn resetting_session(stream: TcpStream) {
    let mut s = stream;
    let _ = s.write_all(b"220 Hello.\r\n");
    // Wait for the command without reading it: closing with unread data sends a reset.
    let _ = s.set_read_timeout(Some(common::PATIENCE));
    let _ = s.peek(&mut [0u8; 1]);
    drop(s);
}

#[test]
fn silent_server_times_out_as_unreachable() {
    let addr = scripted(silent_session);
    let run = doctor(&[&format!("ftp://{addr}"), "--timeout", "2"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
    assert!(run.stdout.contains("no greeting"), "{}", run.stdout);
    assert!(run.stdout.contains("no answer within 2s"), "{}", run.stdout);
}

#[test]
fn garbage_servers_are_named() {
    let addr = scripted(garbage_session);
    let run = doctor(&[&format!("ftp://{addr}"), "--timeout", "2", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
    let report = run.json();
    let f = &findings(&report, "greeting")[0];
    assert_eq!(f["severity"], "error");
    assert!(
        f["detail"].as_str().unwrap().contains("without a line end"),
        "{f:#?}"
    );

    let addr = scripted(http_session);
    let run = doctor(&[&format!("ftp://{addr}"), "--timeout", "2"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("not an FTP reply: \"HTTP/1.1 400"),
        "{}",
        run.stdout
    );
}

#[test]
fn endless_reply_is_cut_off() {
    let addr = scripted(endless_session);
    let run = doctor(&[&format!("ftp://{addr}"), "--timeout", "2"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
    assert!(run.stdout.contains("reply too long"), "{}", run.stdout);
}

#[test]
fn reset_connection_is_reported() {
    let addr = scripted(resetting_session);
    let run = doctor(&[&format!("ftp://{addr}"), "--timeout", "2"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
    assert!(
        run.stdout.contains("reset the connection") || run.stdout.contains("closed the connection"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_urls_and_refused_connections_exit_2() {
    for url in [
        "not a url",
        "http://example.com/",
        "ftp://host:70000/",
        "ftp://[::1/",
    ] {
        let run = doctor(&[url]);
        assert_eq!(run.code, 2, "{url}: {}", run.stdout);
        assert!(run.stderr.contains("bad URL"), "{url}: {}", run.stderr);
    }
    let run = doctor(&["ftp://127.0.0.1:0/"]);
    assert_eq!(run.code, 2);
    let port = closed_port();
    let run = doctor(&[
        &format!("ftp://127.0.0.1:{port}/"),
        "--timeout",
        "2",
        "--json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["summary"]["verdict"], "unreachable");
    let f = &findings(&report, "connect")[0];
    assert!(f["detail"].as_str().unwrap().contains("refused"), "{f:#?}");
}
