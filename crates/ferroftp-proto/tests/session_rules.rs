//! The sequencing rules of the session state machine, one test per rule, plus each
//! command's happy and error paths as far as the protocol core decides them.

use std::sync::Arc;

use ferroftp_proto::command::{Command, Verb};
use ferroftp_proto::parser::parse_line;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{
    Action, DataChannel, ListFormat, NamePattern, Outcome, Session, SessionConfig, StoreKind, RULES,
};
use ferroftp_proto::VPath;

fn config() -> SessionConfig {
    SessionConfig {
        greeting: "ready".into(),
        ..SessionConfig::default()
    }
}

fn session() -> Session {
    Session::new(Arc::new(config()))
}

fn cmd(line: &str) -> Command {
    parse_line(line.as_bytes()).expect("test line parses")
}

/// Sends a line and returns the reply code, or 0 for an action.
fn code(s: &mut Session, line: &str) -> u16 {
    match s.handle(&cmd(line)) {
        Outcome::Reply(r) | Outcome::Close(r) => r.code,
        Outcome::Act(Action::User(name)) => s.on_user(&name, None).code,
        Outcome::Act(_) => 0,
        Outcome::Silent => 1,
    }
}

fn text(s: &mut Session, line: &str) -> String {
    match s.handle(&cmd(line)) {
        Outcome::Reply(r) | Outcome::Close(r) => r.to_wire(),
        Outcome::Act(Action::User(name)) => s.on_user(&name, None).to_wire(),
        other => format!("{other:?}"),
    }
}

fn act(s: &mut Session, line: &str) -> Action {
    match s.handle(&cmd(line)) {
        Outcome::Act(a) => a,
        other => panic!("{line}: expected an action, got {other:?}"),
    }
}

fn logged_in() -> Session {
    logged_in_with(Permissions::ALL)
}

fn logged_in_with(perms: Permissions) -> Session {
    let mut s = session();
    assert_eq!(code(&mut s, "USER alice"), 331);
    assert!(matches!(
        act(&mut s, "PASS secret"),
        Action::Authenticate { .. }
    ));
    assert_eq!(s.on_login(Some(perms)).code, 230);
    s
}

fn with_passive(s: &mut Session) {
    assert!(matches!(
        act(s, "PASV"),
        Action::Passive {
            extended: false,
            ..
        }
    ));
    s.on_data_channel(DataChannel::Passive);
}

#[test]
fn every_verb_has_exactly_one_rule() {
    for (_, verb) in ferroftp_proto::command::VERB_SPELLINGS {
        let n = RULES.iter().filter(|r| r.verb == *verb).count();
        assert_eq!(n, 1, "{verb:?} has {n} rules");
    }
}

#[test]
fn greeting_is_220_without_version() {
    let s = session();
    assert_eq!(s.greeting().code, 220);
    assert_eq!(s.greeting().to_wire(), "220 ready\r\n");
}

#[test]
fn pass_without_user_is_503() {
    let mut s = session();
    assert_eq!(text(&mut s, "PASS x"), "503 Login with USER first.\r\n");
}

#[test]
fn user_then_pass_asks_for_authentication_without_logging_the_password_in_state() {
    let mut s = session();
    assert_eq!(code(&mut s, "USER bob"), 331);
    assert_eq!(
        act(&mut s, "PASS hunter2"),
        Action::Authenticate {
            user: "bob".into(),
            password: "hunter2".into()
        }
    );
}

#[test]
fn failed_login_returns_to_connected() {
    let mut s = session();
    code(&mut s, "USER bob");
    act(&mut s, "PASS wrong");
    assert_eq!(s.on_login(None).code, 530);
    assert_eq!(code(&mut s, "PASS again"), 503);
    assert_eq!(code(&mut s, "PWD"), 530);
}

#[test]
fn commands_before_login_are_530() {
    for line in [
        "CWD /",
        "CDUP",
        "PWD",
        "MKD a",
        "RMD a",
        "DELE a",
        "RNFR a",
        "RETR a",
        "STOR a",
        "APPE a",
        "STOU",
        "LIST",
        "NLST",
        "MLSD",
        "MLST",
        "SIZE a",
        "MDTM a",
        "PASV",
        "EPSV",
        "PORT 127,0,0,1,4,1",
        "EPRT |1|127.0.0.1|1025|",
        "TYPE I",
        "REST 0",
        "STAT",
        "SITE HELP",
        "MFMT 20200101000000 a",
        "STRU F",
        "MODE S",
        "ALLO 10",
    ] {
        let mut s = session();
        assert_eq!(
            text(&mut s, line),
            "530 Please login with USER and PASS.\r\n",
            "{line}"
        );
    }
}

#[test]
fn commands_allowed_before_login() {
    for (line, want) in [
        ("NOOP", 200),
        ("SYST", 215),
        ("FEAT", 211),
        ("HELP", 214),
        ("OPTS UTF8 ON", 200),
        ("ACCT x", 202),
        ("QUIT", 221),
        ("HOST example.com", 220),
    ] {
        let mut s = session();
        assert_eq!(code(&mut s, line), want, "{line}");
    }
}

#[test]
fn rnto_needs_rnfr_immediately_before() {
    let mut s = logged_in();
    assert_eq!(text(&mut s, "RNTO b"), "503 RNFR required first.\r\n");
    assert_eq!(
        act(&mut s, "RNFR a"),
        Action::RenameFrom(VPath::root().resolve("a").unwrap())
    );
    assert_eq!(
        s.on_rename_from(VPath::root().resolve("/a").unwrap()).code,
        350
    );
    assert_eq!(
        act(&mut s, "RNTO b"),
        Action::Rename {
            from: VPath::root().resolve("/a").unwrap(),
            to: VPath::root().resolve("/b").unwrap()
        }
    );
    // Used up: a second RNTO needs a new RNFR.
    assert_eq!(code(&mut s, "RNTO c"), 503);
}

#[test]
fn any_command_between_rnfr_and_rnto_clears_the_rename() {
    let mut s = logged_in();
    act(&mut s, "RNFR a");
    s.on_rename_from(VPath::root().resolve("/a").unwrap());
    assert_eq!(code(&mut s, "NOOP"), 200);
    assert_eq!(code(&mut s, "RNTO b"), 503);
    // Even an unknown command clears it.
    act(&mut s, "RNFR a");
    s.on_rename_from(VPath::root().resolve("/a").unwrap());
    assert_eq!(code(&mut s, "XYZZY"), 502);
    assert_eq!(code(&mut s, "RNTO b"), 503);
}

#[test]
fn failed_rnfr_leaves_no_pending_rename() {
    let mut s = logged_in();
    act(&mut s, "RNFR missing");
    // The I/O layer found no such file and did not call on_rename_from.
    assert_eq!(code(&mut s, "RNTO b"), 503);
}

#[test]
fn transfers_without_a_data_channel_are_425() {
    for line in ["RETR a", "STOR a", "APPE a", "STOU", "LIST", "NLST", "MLSD"] {
        let mut s = logged_in();
        assert_eq!(
            text(&mut s, line),
            "425 Use PORT, PASV, EPSV or EPRT first.\r\n",
            "{line}"
        );
    }
}

#[test]
fn a_transfer_uses_up_the_data_channel() {
    let mut s = logged_in();
    with_passive(&mut s);
    assert!(matches!(act(&mut s, "RETR a"), Action::Retrieve { .. }));
    assert_eq!(s.data_channel(), DataChannel::None);
    assert_eq!(code(&mut s, "LIST"), 425);
}

#[test]
fn epsv_all_forbids_port_pasv_eprt() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "EPSV ALL"), 200);
    for line in ["PASV", "PORT 127,0,0,1,4,1", "EPRT |1|127.0.0.1|1025|"] {
        assert_eq!(
            text(&mut s, line),
            "503 EPSV ALL is in effect: use EPSV.\r\n",
            "{line}"
        );
    }
    assert!(matches!(
        act(&mut s, "EPSV"),
        Action::Passive { extended: true, .. }
    ));
}

#[test]
fn rest_is_consumed_by_the_next_transfer() {
    let mut s = logged_in();
    code(&mut s, "TYPE I");
    assert_eq!(code(&mut s, "REST 100"), 350);
    with_passive(&mut s);
    match act(&mut s, "RETR a") {
        Action::Retrieve { offset, .. } => assert_eq!(offset, 100),
        other => panic!("{other:?}"),
    }
    with_passive(&mut s);
    match act(&mut s, "RETR a") {
        Action::Retrieve { offset, .. } => assert_eq!(offset, 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rest_survives_commands_that_prepare_a_transfer() {
    let mut s = logged_in();
    code(&mut s, "TYPE I");
    code(&mut s, "REST 7");
    for line in [
        "TYPE I", "MODE S", "STRU F", "NOOP", "SIZE a", "MDTM a", "EPSV",
    ] {
        s.handle(&cmd(line));
    }
    s.on_data_channel(DataChannel::Passive);
    match act(&mut s, "STOR a") {
        Action::Store { kind, .. } => assert_eq!(kind, StoreKind::Store { offset: 7 }),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rest_is_cleared_by_other_commands() {
    let mut s = logged_in();
    code(&mut s, "TYPE I");
    code(&mut s, "REST 7");
    code(&mut s, "PWD");
    assert_eq!(s.rest_offset(), 0);
}

#[test]
fn rest_in_ascii_mode_is_504_unless_zero() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "TYPE A"), 200);
    assert_eq!(code(&mut s, "REST 10"), 504);
    assert_eq!(code(&mut s, "REST 0"), 350);
    assert_eq!(code(&mut s, "REST abc"), 501);
}

#[test]
fn user_while_logged_in_is_refused_unless_switching_is_allowed() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "USER bob"), 503);
    assert_eq!(s.user(), Some("alice"));

    let mut s = Session::new(Arc::new(SessionConfig {
        allow_user_switch: true,
        ..config()
    }));
    code(&mut s, "USER alice");
    act(&mut s, "PASS a");
    s.on_login(Some(Permissions::ALL));
    assert_eq!(code(&mut s, "USER bob"), 331);
    assert_eq!(s.user(), None);
    assert_eq!(code(&mut s, "PWD"), 530);
}

#[test]
fn pass_while_logged_in_is_503() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "PASS x"), 503);
}

#[test]
fn rein_resets_to_freshly_connected() {
    let mut s = logged_in();
    code(&mut s, "TYPE I");
    code(&mut s, "EPSV ALL");
    act(&mut s, "CWD /x");
    s.on_cwd(VPath::root().resolve("/x").unwrap());
    assert_eq!(act(&mut s, "REIN"), Action::Reinitialize);
    assert_eq!(s.user(), None);
    assert_eq!(code(&mut s, "PWD"), 530);
    code(&mut s, "USER alice");
    act(&mut s, "PASS a");
    s.on_login(Some(Permissions::ALL));
    assert_eq!(
        text(&mut s, "PWD"),
        "257 \"/\" is the current directory.\r\n"
    );
    // EPSV ALL was reset too.
    assert!(matches!(act(&mut s, "PASV"), Action::Passive { .. }));
}

#[test]
fn host_must_come_before_user() {
    let mut s = session();
    code(&mut s, "USER a");
    assert_eq!(
        text(&mut s, "HOST example.com"),
        "503 HOST must be sent before USER.\r\n"
    );
    let mut s = logged_in();
    assert_eq!(code(&mut s, "HOST example.com"), 503);
}

#[test]
fn host_checks_configured_names() {
    let mut s = Session::new(Arc::new(SessionConfig {
        hosts: vec!["ftp.example.com".into()],
        ..config()
    }));
    assert_eq!(code(&mut s, "HOST other.example.com"), 504);
    assert_eq!(code(&mut s, "HOST"), 501);
    assert_eq!(code(&mut s, "HOST FTP.example.com"), 220);
    assert_eq!(s.host(), Some("FTP.example.com"));
}

#[test]
fn pwd_doubles_embedded_quotes() {
    let mut s = logged_in();
    act(&mut s, "CWD a\"b");
    s.on_cwd(VPath::root().resolve("/a\"b").unwrap());
    assert_eq!(
        text(&mut s, "PWD"),
        "257 \"/a\"\"b\" is the current directory.\r\n"
    );
}

#[test]
fn paths_resolve_against_cwd_and_stay_in_root() {
    let mut s = logged_in();
    assert_eq!(
        act(&mut s, "CWD ../../.."),
        Action::ChangeDir(VPath::root())
    );
    s.on_cwd(VPath::root().resolve("/a/b").unwrap());
    assert_eq!(
        act(&mut s, "DELE ../../../etc/passwd"),
        Action::Delete(VPath::root().resolve("/etc/passwd").unwrap())
    );
    assert_eq!(
        act(&mut s, "CDUP"),
        Action::ChangeDir(VPath::root().resolve("/a").unwrap())
    );
}

#[test]
fn nul_in_a_path_is_553() {
    let mut s = logged_in();
    let c = Command::new(Verb::Dele, Some("a\0b"));
    match s.handle(&c) {
        Outcome::Reply(r) => assert_eq!(r.code, 553),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arguments_are_checked() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "CWD"), 501);
    assert_eq!(code(&mut s, "TYPE X"), 501);
    assert_eq!(code(&mut s, "TYPE E"), 504);
    assert_eq!(code(&mut s, "TYPE L 8"), 200);
    assert_eq!(code(&mut s, "STRU R"), 504);
    assert_eq!(code(&mut s, "STRU Q"), 501);
    assert_eq!(code(&mut s, "MODE B"), 504);
    assert_eq!(code(&mut s, "PORT 1,2,3"), 501);
    assert_eq!(code(&mut s, "EPRT |3|x|1|"), 522);
    assert_eq!(code(&mut s, "EPSV 3"), 522);
    assert_eq!(code(&mut s, "OPTS FOO"), 501);
    assert_eq!(code(&mut s, "MFMT notatime a"), 501);
    assert_eq!(code(&mut s, "SITE FOO"), 504);
    assert_eq!(code(&mut s, "SITE CHMOD xyz a"), 501);
    assert_eq!(code(&mut s, "USER"), 501);
}

#[test]
fn unknown_verbs_are_502_and_http_closes() {
    let mut s = session();
    assert_eq!(code(&mut s, "FOOBAR"), 502);
    assert!(matches!(
        s.handle(&cmd("GET / HTTP/1.1")),
        Outcome::Close(r) if r.code == 500
    ));
}

#[test]
fn permissions_are_enforced() {
    let mut s = logged_in_with(Permissions::READ_ONLY);
    for line in [
        "MKD a",
        "RMD a",
        "DELE a",
        "RNFR a",
        "MFMT 20200101000000 a",
        "SITE CHMOD 644 a",
    ] {
        assert_eq!(text(&mut s, line), "550 Permission denied.\r\n", "{line}");
    }
    with_passive(&mut s);
    assert_eq!(code(&mut s, "STOR a"), 550);
    // A refused transfer keeps its data channel for the next one.
    assert!(matches!(act(&mut s, "RETR a"), Action::Retrieve { .. }));
}

#[test]
fn listing_commands_drop_ls_flags() {
    let mut s = logged_in();
    with_passive(&mut s);
    assert_eq!(
        act(&mut s, "LIST -la"),
        Action::List {
            path: VPath::root(),
            format: ListFormat::List,
            pattern: None,
        }
    );
    with_passive(&mut s);
    assert_eq!(
        act(&mut s, "NLST -a sub"),
        Action::List {
            path: VPath::root().resolve("/sub").unwrap(),
            format: ListFormat::Nlst,
            pattern: None,
        }
    );
}

#[test]
fn nlst_and_list_with_wildcards_list_the_directory_with_a_pattern() {
    let mut s = logged_in();
    with_passive(&mut s);
    assert_eq!(
        act(&mut s, "NLST *.txt"),
        Action::List {
            path: VPath::root(),
            format: ListFormat::Nlst,
            pattern: Some(NamePattern {
                glob: "*.txt".into(),
                prefix: String::new()
            }),
        }
    );
    with_passive(&mut s);
    assert_eq!(
        act(&mut s, "LIST -l sub/report-??.csv"),
        Action::List {
            path: VPath::root().resolve("/sub").unwrap(),
            format: ListFormat::List,
            pattern: Some(NamePattern {
                glob: "report-??.csv".into(),
                prefix: "sub/".into()
            }),
        }
    );
    with_passive(&mut s);
    assert_eq!(
        act(&mut s, "MLSD *"),
        Action::List {
            path: VPath::root().resolve("/*").unwrap(),
            format: ListFormat::Mlsd,
            pattern: None,
        }
    );
}

#[test]
fn ascii_and_binary_reach_the_transfer() {
    let mut s = logged_in();
    with_passive(&mut s);
    assert!(matches!(
        act(&mut s, "RETR a"),
        Action::Retrieve { ascii: true, .. }
    ));
    code(&mut s, "TYPE I");
    with_passive(&mut s);
    assert!(matches!(
        act(&mut s, "STOR a"),
        Action::Store { ascii: false, .. }
    ));
}

#[test]
fn feat_lists_the_extensions() {
    let mut s = session();
    let feat = text(&mut s, "FEAT");
    for f in [
        "EPSV",
        "EPRT",
        "MDTM",
        "MFMT",
        "SIZE",
        "UTF8",
        "REST STREAM",
        "TVFS",
        "HOST",
        "MLST type*",
    ] {
        assert!(
            feat.contains(&format!("\r\n {f}")),
            "{f} missing from {feat}"
        );
    }
    assert!(feat.starts_with("211-") && feat.ends_with("211 End\r\n"));
    assert!(!feat.contains("AUTH TLS"), "no TLS configured");
}

#[test]
fn tls_sequencing() {
    let mut s = session();
    assert_eq!(code(&mut s, "CCC"), 533);
    assert_eq!(text(&mut s, "PBSZ 0"), "503 Send AUTH TLS first.\r\n");
    assert_eq!(code(&mut s, "PROT P"), 503);
    assert_eq!(code(&mut s, "AUTH TLS"), 502);
    let mut s = Session::new(Arc::new(SessionConfig {
        tls_available: true,
        ..config()
    }));
    assert_eq!(act(&mut s, "AUTH TLS"), Action::StartTls);
    s.on_tls_established();
    assert_eq!(code(&mut s, "AUTH TLS"), 503);
    assert_eq!(text(&mut s, "PROT P"), "503 Send PBSZ 0 first.\r\n");
    assert_eq!(code(&mut s, "PBSZ 0"), 200);
    assert_eq!(code(&mut s, "PROT S"), 536);
    assert_eq!(code(&mut s, "PROT P"), 200);
    assert_eq!(code(&mut s, "CCC"), 534);
}

#[test]
fn tls_required_for_login_refuses_user_on_a_plain_connection() {
    use ferroftp_proto::session::TlsRequired;
    let mut s = Session::new(Arc::new(SessionConfig {
        tls_available: true,
        tls_required: TlsRequired::Login,
        ..config()
    }));
    assert_eq!(
        text(&mut s, "USER alice"),
        "534 TLS required: send AUTH TLS before USER.\r\n"
    );
    assert_eq!(code(&mut s, "PASS x"), 503);
    assert_eq!(act(&mut s, "AUTH TLS"), Action::StartTls);
    s.on_tls_established();
    assert_eq!(code(&mut s, "USER alice"), 331);

    // A per-user policy applies on a server that requires nothing.
    let mut s = Session::new(Arc::new(SessionConfig {
        tls_available: true,
        ..config()
    }));
    assert!(matches!(act(&mut s, "USER bob"), Action::User(_)));
    assert_eq!(s.on_user("bob", Some(TlsRequired::Login)).code, 534);
}

#[test]
fn tls_required_for_data_refuses_prot_c_transfers_with_521() {
    use ferroftp_proto::session::TlsRequired;
    let mut s = Session::new(Arc::new(SessionConfig {
        tls_available: true,
        ..config()
    }));
    act(&mut s, "AUTH TLS");
    s.on_tls_established();
    assert!(matches!(act(&mut s, "USER bob"), Action::User(_)));
    assert_eq!(s.on_user("bob", Some(TlsRequired::All)).code, 331);
    act(&mut s, "PASS x");
    s.on_login(Some(Permissions::ALL));
    with_passive(&mut s);
    for line in ["RETR a", "STOR a", "LIST", "MLSD", "NLST", "APPE a", "STOU"] {
        assert_eq!(
            text(&mut s, line),
            "521 Data connections must be protected: send PBSZ 0 and PROT P first.\r\n",
            "{line}"
        );
    }
    assert_eq!(code(&mut s, "PBSZ 0"), 200);
    assert_eq!(code(&mut s, "PROT P"), 200);
    assert!(matches!(act(&mut s, "RETR a"), Action::Retrieve { .. }));
}

#[test]
fn abor_stat_noop_are_answered_during_transfers() {
    use ferroftp_proto::session::answered_during_transfer;
    for line in ["ABOR", "STAT", "NOOP"] {
        assert!(answered_during_transfer(&cmd(line)), "{line}");
    }
    for line in ["RETR a", "LIST", "PASV", "QUIT", "CWD a"] {
        assert!(!answered_during_transfer(&cmd(line)), "{line}");
    }
}

#[test]
fn stat_and_mlst_and_site_help() {
    let mut s = logged_in();
    assert_eq!(act(&mut s, "STAT"), Action::ServerStatus);
    assert_eq!(
        act(&mut s, "STAT -l sub"),
        Action::StatPath(VPath::root().resolve("/sub").unwrap())
    );
    assert_eq!(act(&mut s, "MLST"), Action::Mlst(VPath::root()));
    assert_eq!(code(&mut s, "SITE HELP"), 214);
    assert_eq!(code(&mut s, "ALLO 100"), 202);
    assert_eq!(code(&mut s, "HELP RETR"), 214);
}

/// The sequencing rules that used to live in the verbs' arms are preconditions of the table.
#[test]
fn rest_user_and_ccc_rules_are_preconditions_of_the_table() {
    use ferroftp_proto::command::Verb;
    use ferroftp_proto::session::{rule_for, Precondition};
    let needs = |v: Verb| rule_for(v).map(|r| r.needs).unwrap_or_default();
    assert!(needs(Verb::Rest).contains(&Precondition::RestOffset));
    assert!(needs(Verb::User).contains(&Precondition::UserSwitch));
    assert!(needs(Verb::Ccc).contains(&Precondition::ControlProtected));
    assert_eq!(
        Precondition::RestOffset.failure().reply().to_wire(),
        "504 REST is not supported in ASCII mode: send TYPE I first.\r\n"
    );
    assert_eq!(
        Precondition::UserSwitch.failure().reply().to_wire(),
        "503 Already logged in: send REIN first to log in as another user.\r\n"
    );
    assert_eq!(
        Precondition::ControlProtected.failure().reply().to_wire(),
        "533 CCC must be sent over a TLS-protected control connection.\r\n"
    );
}

#[test]
fn rest_offset_rule_follows_the_type() {
    let mut s = logged_in();
    // TYPE A is the default.
    assert_eq!(
        text(&mut s, "REST 1"),
        "504 REST is not supported in ASCII mode: send TYPE I first.\r\n"
    );
    assert_eq!(s.rest_offset(), 0);
    assert_eq!(code(&mut s, "REST 00"), 350);
    assert_eq!(code(&mut s, "REST -1"), 501);
    assert_eq!(code(&mut s, "TYPE I"), 200);
    assert_eq!(code(&mut s, "REST 1"), 350);
    assert_eq!(s.rest_offset(), 1);
    // Logged out, the login rule comes first.
    let mut s = session();
    assert_eq!(code(&mut s, "REST 1"), 530);
}

#[test]
fn user_switch_rule_checks_the_argument_first_and_keeps_the_login() {
    let mut s = logged_in();
    assert_eq!(code(&mut s, "USER"), 501);
    assert_eq!(
        text(&mut s, "USER alice"),
        "503 Already logged in: send REIN first to log in as another user.\r\n"
    );
    assert_eq!(s.user(), Some("alice"));
    assert_eq!(code(&mut s, "PWD"), 257);
    // After REIN the rule holds again.
    act(&mut s, "REIN");
    assert_eq!(code(&mut s, "USER bob"), 331);
}

#[test]
fn ccc_rule_is_533_in_the_clear_and_534_under_tls() {
    let mut s = logged_in();
    assert_eq!(
        text(&mut s, "CCC"),
        "533 CCC must be sent over a TLS-protected control connection.\r\n"
    );
    s.on_tls_established();
    assert_eq!(code(&mut s, "CCC"), 534);
}

#[test]
fn the_password_travels_as_a_secret_that_debug_does_not_show() {
    use ferroftp_proto::session::Secret;
    let mut s = session();
    code(&mut s, "USER bob");
    let action = act(&mut s, "PASS hunter2");
    let shown = format!("{action:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("****"), "{shown}");
    match action {
        Action::Authenticate { password, .. } => assert_eq!(password.expose(), "hunter2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(format!("{:?}", Secret::new("x")), "****");
}

#[test]
fn the_transfer_hands_its_data_channel_over_once() {
    let mut s = logged_in();
    with_passive(&mut s);
    assert!(matches!(act(&mut s, "RETR a"), Action::Retrieve { .. }));
    assert_eq!(s.data_channel(), DataChannel::None);
    assert_eq!(s.take_transfer_channel(), DataChannel::Passive);
    assert_eq!(s.take_transfer_channel(), DataChannel::None);
    let target = "127.0.0.1:2000".parse().unwrap();
    s.on_data_channel(DataChannel::Active(target));
    // A refused transfer leaves the channel prepared and hands nothing over.
    assert_eq!(code(&mut s, "RETR"), 501);
    assert_eq!(s.take_transfer_channel(), DataChannel::None);
    assert!(matches!(act(&mut s, "LIST"), Action::List { .. }));
    assert_eq!(s.take_transfer_channel(), DataChannel::Active(target));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn any_line() -> impl Strategy<Value = String> {
        let verbs: Vec<&'static str> = ferroftp_proto::command::VERB_SPELLINGS
            .iter()
            .map(|(s, _)| *s)
            .chain(["GET", "FOO", ""])
            .collect();
        (
            proptest::sample::select(verbs),
            proptest::option::of("[ -~]{0,20}"),
        )
            .prop_map(|(v, a)| match a {
                Some(a) => format!("{v} {a}"),
                None => v.to_owned(),
            })
    }

    proptest! {
        #[test]
        fn no_sequence_panics_and_replies_are_well_formed(
            lines in proptest::collection::vec(any_line(), 0..40),
            results in proptest::collection::vec(any::<bool>(), 40),
        ) {
            let mut s = session();
            for (i, line) in lines.iter().enumerate() {
                let Ok(c) = parse_line(line.as_bytes()) else { continue };
                let ok = results[i];
                match s.handle(&c) {
                    Outcome::Reply(r) | Outcome::Close(r) => {
                        prop_assert!((100..700).contains(&r.code));
                        let wire = r.to_wire();
                        prop_assert!(wire.ends_with("\r\n"));
                        prop_assert!(wire.starts_with(&r.code.to_string()));
                    }
                    Outcome::Act(Action::User(name)) => {
                        let r = s.on_user(&name, None);
                        prop_assert!(r.code == 331 || r.code == 534);
                    }
                    Outcome::Act(Action::Authenticate { .. }) => {
                        s.on_login(ok.then_some(Permissions::ALL));
                    }
                    Outcome::Act(Action::ChangeDir(p)) if ok => { s.on_cwd(p); }
                    Outcome::Act(Action::RenameFrom(p)) if ok => { s.on_rename_from(p); }
                    Outcome::Act(Action::Passive { .. }) if ok => s.on_data_channel(DataChannel::Passive),
                    Outcome::Act(Action::StartTls) if ok => s.on_tls_established(),
                    Outcome::Act(_) | Outcome::Silent => {}
                }
            }
        }
    }
}
