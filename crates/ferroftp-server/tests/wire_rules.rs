//! Every sequencing rule and control-channel robustness rule, checked over a real socket.

mod common;

use std::io::Write;
use std::time::Duration;

use common::TestServer;

#[test]
fn greeting_is_220_at_once_without_version() {
    let s = TestServer::start();
    let r = s.raw();
    assert_eq!(r.greeting.0, 220);
    assert!(!r.greeting.1.contains("0.1"), "{}", r.greeting.1);
}

#[test]
fn pass_before_user_is_503() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd("PASS x").1, "503 Login with USER first.\r\n");
}

#[test]
fn commands_before_login_are_530() {
    let s = TestServer::start();
    let mut r = s.raw();
    for c in [
        "PWD", "CWD /", "LIST", "RETR a", "STOR a", "PASV", "MKD x", "DELE x", "SIZE x",
    ] {
        assert_eq!(
            r.cmd(c).1,
            "530 Please login with USER and PASS.\r\n",
            "{c}"
        );
    }
}

#[test]
fn wrong_password_is_530_and_right_one_is_230() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(r.code("PASS nope"), 530);
    assert_eq!(r.code("PASS wonderland"), 503, "USER must be sent again");
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(r.code("PASS wonderland"), 230);
    assert_eq!(r.code("PASS wonderland"), 503);
}

#[test]
fn rnto_without_rnfr_is_503_and_rename_works() {
    let s = TestServer::start();
    s.write("a.txt", b"hello");
    let mut r = s.raw_logged_in();
    assert_eq!(r.cmd("RNTO b.txt").1, "503 RNFR required first.\r\n");
    assert_eq!(r.code("RNFR a.txt"), 350);
    assert_eq!(r.code("NOOP"), 200);
    assert_eq!(
        r.code("RNTO b.txt"),
        503,
        "NOOP between RNFR and RNTO clears it"
    );
    assert_eq!(r.code("RNFR missing.txt"), 550);
    assert_eq!(r.code("RNTO b.txt"), 503);
    assert_eq!(r.code("RNFR a.txt"), 350);
    assert_eq!(r.code("RNTO b.txt"), 250);
    assert!(s.path("b.txt").exists() && !s.path("a.txt").exists());
}

#[test]
fn transfer_without_data_channel_is_425() {
    let s = TestServer::start();
    s.write("a.txt", b"x");
    let mut r = s.raw_logged_in();
    for c in [
        "RETR a.txt",
        "STOR b",
        "APPE b",
        "STOU",
        "LIST",
        "NLST",
        "MLSD",
    ] {
        assert_eq!(
            r.cmd(c).1,
            "425 Use PORT, PASV, EPSV or EPRT first.\r\n",
            "{c}"
        );
    }
}

#[test]
fn epsv_all_forbids_other_data_commands() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("EPSV ALL"), 200);
    assert_eq!(r.code("PASV"), 503);
    assert_eq!(r.code("PORT 127,0,0,1,200,10"), 503);
    assert_eq!(r.code("EPRT |1|127.0.0.1|51210|"), 503);
    assert_eq!(r.code("EPSV"), 229);
}

#[test]
fn rest_in_ascii_is_504_and_rest_is_kept_across_pasv() {
    let s = TestServer::start();
    s.write("f.bin", b"0123456789");
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE A"), 200);
    assert_eq!(r.code("REST 5"), 504);
    assert_eq!(r.code("TYPE I"), 200);
    assert_eq!(r.code("REST 5"), 350);
    let data = r.pasv();
    r.send("RETR f.bin");
    assert_eq!(r.reply().0, 150);
    assert_eq!(common::read_all(data), b"56789");
    assert_eq!(r.reply().0, 226);
    // Consumed: the next RETR starts at 0.
    let data = r.epsv();
    r.send("RETR f.bin");
    assert_eq!(r.reply().0, 150);
    assert_eq!(common::read_all(data), b"0123456789");
    assert_eq!(r.reply().0, 226);
}

#[test]
fn user_while_logged_in_is_503_unless_switching_allowed() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    let (code, text) = r.cmd("USER bob");
    assert_eq!(code, 503);
    assert!(text.contains("REIN"), "{text}");

    let s = TestServer::start_with(|c| c.allow_user_switch = true);
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(r.code("PWD"), 530);
    assert_eq!(r.code("PASS wonderland"), 230);
}

#[test]
fn rein_resets_the_session() {
    let s = TestServer::start();
    std::fs::create_dir(s.path("sub")).unwrap();
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("CWD sub"), 250);
    assert_eq!(r.code("REIN"), 220);
    assert_eq!(r.code("PWD"), 530);
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(r.code("PASS wonderland"), 230);
    assert_eq!(r.cmd("PWD").1, "257 \"/\" is the current directory.\r\n");
}

#[test]
fn host_before_user_only() {
    let s = TestServer::start_with(|c| c.hosts = vec!["ftp.example.com".into()]);
    let mut r = s.raw();
    assert_eq!(r.code("HOST nowhere.example"), 504);
    assert_eq!(r.code("HOST ftp.example.com"), 220);
    assert_eq!(r.code("USER alice"), 331);
    assert_eq!(r.code("HOST ftp.example.com"), 503);
}

#[test]
fn empty_lines_get_no_reply() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.send_bytes(b"\r\n\r\n   \r\nNOOP\r\n");
    assert_eq!(r.reply().0, 200, "the first reply is NOOP's");
}

#[test]
fn long_line_is_500_and_session_goes_on() {
    let s = TestServer::start();
    let mut r = s.raw();
    let long = "A".repeat(10_000);
    assert_eq!(r.cmd(&long).0, 500);
    assert_eq!(r.code("NOOP"), 200);
}

#[test]
fn non_utf8_is_501_and_telnet_iac_is_stripped() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.send_bytes(b"USER \xff\xfe\x01\xc3\x28\r\n");
    // \xff\xfe\x01 is IAC DONT 1, stripped whole; \xc3\x28 is invalid UTF-8.
    assert_eq!(r.reply().0, 501);
    r.send_bytes(b"\xff\xf4\xffNOOP\r\n");
    assert_eq!(r.reply().0, 200);
}

#[test]
fn http_request_is_500_and_closes() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd("GET / HTTP/1.1").0, 500);
    assert!(r.is_closed());
}

#[test]
fn unknown_command_is_502_and_lowercase_works() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.code("XYZZY"), 502);
    assert_eq!(r.code("noop"), 200);
    assert_eq!(r.code("syst"), 215);
}

#[test]
fn bare_lf_is_accepted() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.send_bytes(b"NOOP\n");
    assert_eq!(r.reply().0, 200);
}

#[test]
fn quit_says_221_and_closes() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.code("QUIT"), 221);
    assert!(r.is_closed());
}

#[test]
fn idle_timeout_is_421() {
    let s = TestServer::start_with(|c| c.idle_timeout = Duration::from_millis(300));
    let mut r = s.raw();
    let (code, text) = r.reply();
    assert_eq!(code, 421, "{text}");
    assert!(text.contains("Timeout"));
    assert!(r.is_closed());
}

#[test]
fn connection_limits_are_421() {
    let s = TestServer::start_with(|c| c.max_connections_per_ip = 2);
    let _a = s.raw();
    let _b = s.raw();
    let c = common::Raw::connect(s.addr);
    assert_eq!(c.greeting.0, 421);
    let s = TestServer::start_with(|c| c.max_connections = 1);
    let _a = s.raw();
    let c = common::Raw::connect(s.addr);
    assert_eq!(c.greeting.0, 421);
    drop(_a);
    // The slot comes back once the server has seen the session end; until then a new
    // connection is refused, so keep trying until the deadline.
    let mut last = None;
    common::wait_until(common::deadline(), || {
        // Hang up the refused try before the next, so it never holds the slot itself.
        last = None;
        let c = common::Raw::connect(s.addr);
        let ok = c.greeting.0 == 220;
        last = Some(c);
        ok
    });
    let last = last.expect("at least one try");
    assert_eq!(last.greeting.0, 220);
}

#[test]
fn split_writes_form_one_command() {
    let s = TestServer::start();
    let mut r = s.raw();
    for b in b"NO".iter().chain(b"OP\r\n") {
        r.send_bytes(&[*b]);
        r.reader.get_mut().flush().unwrap();
    }
    assert_eq!(r.reply().0, 200);
}

#[test]
fn shutdown_says_421_to_idle_sessions() {
    let s = TestServer::start();
    let mut r = s.raw_logged_in();
    s.stop();
    let (code, text) = r.reply();
    assert_eq!(code, 421, "{text}");
}
