//! The storage's capabilities as the session core applies them: FEAT, HELP and the up-front
//! refusals, checked after the sequencing rules.

use std::sync::Arc;

use ferroftp_proto::capabilities::Capabilities;
use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::listing::EntryKind;
use ferroftp_proto::parser::parse_line;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Action, DataChannel, Outcome, Session, SessionConfig, StoreKind};
use ferroftp_proto::VPath;

fn handle(s: &mut Session, line: &str) -> Outcome {
    s.handle(&parse_line(line.as_bytes()).expect("test line parses"))
}

/// The reply's wire text, or the action's debug form.
fn text(s: &mut Session, line: &str) -> String {
    match handle(s, line) {
        Outcome::Reply(r) | Outcome::Close(r) => r.to_wire(),
        Outcome::Act(Action::User(name)) => s.on_user(&name, None).to_wire(),
        other => format!("{other:?}"),
    }
}

fn wire(m: Msg) -> String {
    m.reply().to_wire()
}

fn logged_in(capabilities: Capabilities, perms: Permissions) -> Session {
    let mut s = Session::new(Arc::new(SessionConfig::default()));
    text(&mut s, "USER alice");
    assert!(matches!(
        handle(&mut s, "PASS x"),
        Outcome::Act(Action::Authenticate { .. })
    ));
    s.on_login(Some(perms));
    s.set_capabilities(capabilities);
    s
}

#[test]
fn the_default_is_everything() {
    let s = Session::new(Arc::new(SessionConfig::default()));
    assert_eq!(*s.capabilities(), Capabilities::ALL);
}

#[test]
fn feat_follows_set_modified_and_resume() {
    let mut s = logged_in(Capabilities::ALL, Permissions::ALL);
    let all = text(&mut s, "FEAT");
    assert!(
        all.contains(" MFMT\r\n") && all.contains(" REST STREAM\r\n"),
        "{all}"
    );
    for (caps, gone) in [
        (
            Capabilities {
                set_modified: false,
                ..Capabilities::ALL
            },
            " MFMT\r\n",
        ),
        (
            Capabilities {
                resume: false,
                ..Capabilities::ALL
            },
            " REST STREAM\r\n",
        ),
    ] {
        s.set_capabilities(caps);
        let feat = text(&mut s, "FEAT");
        assert!(!feat.contains(gone), "{feat}");
        // Nothing else changed.
        assert_eq!(feat, all.replace(gone, "\r\n").replace("\r\n\r\n", "\r\n"));
    }
}

#[test]
fn help_lists_only_what_the_storage_can_do() {
    let mut s = logged_in(Capabilities::NONE, Permissions::ALL);
    let help = text(&mut s, "HELP");
    let words: Vec<&str> = help
        .lines()
        .filter(|l| l.starts_with(' '))
        .flat_map(str::split_whitespace)
        .collect();
    assert!(
        !words.contains(&"APPE") && !words.contains(&"MKD"),
        "{help}"
    );
    assert!(words.contains(&"STOR") && words.contains(&"RMD"), "{help}");
    assert_eq!(text(&mut s, "HELP mkd"), wire(Msg::MkdUnsupported));
    assert!(!text(&mut s, "SITE HELP").contains("CHMOD"));
}

#[test]
fn refusals_come_after_login_and_data_channel_checks() {
    let mut s = Session::new(Arc::new(SessionConfig::default()));
    s.set_capabilities(Capabilities::NONE);
    // Not logged in: 530 first, as for any backend.
    assert_eq!(text(&mut s, "APPE f"), wire(Msg::PleaseLogin));
    let mut s = logged_in(Capabilities::NONE, Permissions::ALL);
    // No data channel: 425 first.
    assert_eq!(text(&mut s, "APPE f"), wire(Msg::UseDataCommandFirst));
    s.on_data_channel(DataChannel::Passive);
    assert_eq!(text(&mut s, "APPE f"), wire(Msg::AppendUnsupported));
    // The refusal leaves the data channel for the next transfer.
    assert_eq!(s.data_channel(), DataChannel::Passive);
    assert_eq!(
        text(&mut s, "SITE CHMOD 644 f"),
        wire(Msg::ChmodUnsupported)
    );
    assert_eq!(
        text(&mut s, "MFMT 20200101000000 f"),
        wire(Msg::MfmtUnsupported)
    );
    assert_eq!(text(&mut s, "MKD d"), wire(Msg::MkdUnsupported));
}

#[test]
fn rest_then_stor_is_504_without_resume_and_rest_is_used_up() {
    let mut s = logged_in(Capabilities::NONE, Permissions::ALL);
    text(&mut s, "TYPE I");
    s.on_data_channel(DataChannel::Passive);
    assert!(text(&mut s, "REST 10").starts_with("350 "));
    assert_eq!(text(&mut s, "STOR f"), wire(Msg::ResumeUnsupported));
    // The offset is gone: a plain STOR goes through.
    match handle(&mut s, "STOR f") {
        Outcome::Act(Action::Store { kind, .. }) => {
            assert_eq!(kind, StoreKind::Store { offset: 0 })
        }
        other => panic!("{other:?}"),
    }
    // Downloads resume whatever the storage.
    s.on_data_channel(DataChannel::Passive);
    text(&mut s, "REST 10");
    assert!(matches!(
        handle(&mut s, "RETR f"),
        Outcome::Act(Action::Retrieve { offset: 10, .. })
    ));
}

#[test]
fn rnfr_of_a_directory_needs_rename_dirs() {
    let path = || VPath::root().resolve("/d").expect("path");
    let mut s = logged_in(Capabilities::NONE, Permissions::ALL);
    assert!(matches!(
        handle(&mut s, "RNFR d"),
        Outcome::Act(Action::RenameFrom(_))
    ));
    assert_eq!(
        s.on_rename_from_entry(path(), EntryKind::Dir),
        Msg::RenameDirUnsupported.reply()
    );
    assert_eq!(text(&mut s, "RNTO e"), wire(Msg::RnfrRequired));
    handle(&mut s, "RNFR d");
    assert_eq!(
        s.on_rename_from_entry(path(), EntryKind::File),
        Msg::RnfrOk.reply()
    );
    s.set_capabilities(Capabilities::ALL);
    handle(&mut s, "RNFR d");
    assert_eq!(
        s.on_rename_from_entry(path(), EntryKind::Dir),
        Msg::RnfrOk.reply()
    );
}

#[test]
fn rein_keeps_the_capabilities_until_the_next_login() {
    let mut s = logged_in(Capabilities::NONE, Permissions::ALL);
    text(&mut s, "REIN");
    assert_eq!(*s.capabilities(), Capabilities::NONE);
    assert!(!text(&mut s, "FEAT").contains("MFMT"));
}
