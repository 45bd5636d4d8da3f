//! Session rules of the hardening work: shell patterns within limits, and SITE CHMOD never
//! on the root and not for anonymous users unless configured.

use std::sync::Arc;

use ferroftp_proto::listing::{MAX_PATTERN_LEN, MAX_PATTERN_WILDCARDS};
use ferroftp_proto::parser::parse_line;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Action, Outcome, Session, SessionConfig};

fn session_with(config: SessionConfig) -> Session {
    Session::new(Arc::new(config))
}

/// Sends a line and returns the reply, or `None` for an action.
fn reply(s: &mut Session, line: &str) -> Option<(u16, String)> {
    let cmd = parse_line(line.as_bytes()).expect("test line parses");
    match s.handle(&cmd) {
        Outcome::Reply(r) | Outcome::Close(r) => Some((r.code, r.to_wire())),
        Outcome::Act(Action::User(name)) => {
            let r = s.on_user(&name, None);
            Some((r.code, r.to_wire()))
        }
        _ => None,
    }
}

/// Logs in as `user` with all permissions; `anonymous` as the driver would report it.
fn logged_in(config: SessionConfig, anonymous: bool) -> Session {
    let mut s = session_with(config);
    assert_eq!(reply(&mut s, "USER someone").map(|r| r.0), Some(331));
    assert_eq!(reply(&mut s, "PASS secret"), None);
    assert_eq!(s.on_login(Some(Permissions::ALL)).code, 230);
    s.set_anonymous(anonymous);
    s
}

/// Prepares a passive channel, which a listing needs before its pattern is looked at.
fn passive(s: &mut Session) {
    assert_eq!(reply(s, "PASV"), None);
    s.on_data_channel(ferroftp_proto::session::DataChannel::Passive);
}

/// Guards the pattern caps: `NLST *[[[[...` of 4 KB, or a pattern with too many
/// wildcards, gets `501` before any directory is read; patterns within the caps list.
#[test]
fn patterns_over_the_limits_are_refused() {
    let mut s = logged_in(SessionConfig::default(), false);
    for verb in ["NLST", "LIST"] {
        passive(&mut s);
        let long = format!("{verb} *{}", "[".repeat(4095));
        let (code, text) = reply(&mut s, &long).expect("refused");
        assert_eq!(code, 501, "{text}");
        assert!(text.contains("Pattern too long"), "{text}");
        let many = format!("{verb} dir/{}", "*a".repeat(MAX_PATTERN_WILDCARDS + 1));
        assert_eq!(reply(&mut s, &many).map(|r| r.0), Some(501));
        let at_cap = format!("{verb} {}", "?".repeat(MAX_PATTERN_LEN));
        assert_eq!(reply(&mut s, &at_cap), None, "within the cap: a listing");
    }
    // A long name without wildcards is no pattern: it is the directory to list.
    passive(&mut s);
    assert_eq!(reply(&mut s, &format!("LIST {}", "a".repeat(1000))), None);
}

/// Guards against `SITE CHMOD 000 /` locking the account out: the root, by any spelling,
/// gets `550`; other paths are carried out.
#[test]
fn chmod_of_the_root_is_refused() {
    let mut s = logged_in(SessionConfig::default(), false);
    for line in [
        "SITE CHMOD 000 /",
        "SITE CHMOD 000 .",
        "SITE CHMOD 000 /..",
        "SITE CHMOD 755 sub/../",
    ] {
        let (code, text) = reply(&mut s, line).expect("refused");
        assert_eq!(code, 550, "{line}: {text}");
        assert!(text.contains("root directory"), "{text}");
    }
    assert_eq!(reply(&mut s, "SITE CHMOD 644 file"), None);
    assert_eq!(reply(&mut s, "CWD sub"), None);
}

/// Guards anonymous chmod: refused by default even when anonymous may write, allowed when
/// configured, and the mark does not outlive the login.
#[test]
fn anonymous_chmod_only_when_configured() {
    let mut s = logged_in(SessionConfig::default(), true);
    assert_eq!(reply(&mut s, "SITE CHMOD 644 file").map(|r| r.0), Some(550));
    // SITE HELP and other subcommands are unaffected.
    assert_eq!(reply(&mut s, "SITE HELP").map(|r| r.0), Some(214));

    let allowing = SessionConfig {
        anonymous_chmod: true,
        ..SessionConfig::default()
    };
    let mut s = logged_in(allowing, true);
    assert_eq!(reply(&mut s, "SITE CHMOD 644 file"), None);
    assert_eq!(reply(&mut s, "SITE CHMOD 000 /").map(|r| r.0), Some(550));

    // REIN forgets that the login was anonymous.
    let mut s = logged_in(SessionConfig::default(), true);
    assert_eq!(
        reply(&mut s, "REIN"),
        None,
        "the session resets, the driver replies"
    );
    assert_eq!(reply(&mut s, "USER alice").map(|r| r.0), Some(331));
    assert_eq!(reply(&mut s, "PASS secret"), None);
    assert_eq!(s.on_login(Some(Permissions::ALL)).code, 230);
    assert_eq!(reply(&mut s, "SITE CHMOD 644 file"), None);
}
