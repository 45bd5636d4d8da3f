//! Fuzzes the session machine: random command sequences through `Session::handle`, with the
//! driver's callbacks (`on_user`, `on_login`, `on_cwd`, `on_data_channel`, ...) answered at
//! random, in and out of turn. Checks what must hold whatever the order: replies are well
//! formed, nothing that touches files happens before login, listing patterns stay within
//! their caps, transfers only take a prepared data channel, and the working directory stays
//! an absolute path.

#![no_main]

use std::net::SocketAddr;
use std::sync::Arc;

use ferroftp_proto::capabilities::Capabilities;
use ferroftp_proto::listing::{EntryKind, Glob};
use ferroftp_proto::parser::parse_line;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Action, DataChannel, Outcome, Session, SessionConfig, TlsRequired};
use ferroftp_proto::Reply;
use libfuzzer_sys::fuzz_target;

/// Verbs the fuzzer picks from, so that most lines are commands the machine knows.
const VERBS: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "CDUP", "REIN", "QUIT", "PORT", "PASV", "EPRT", "EPSV", "TYPE",
    "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE",
    "RMD", "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP", "FEAT", "OPTS",
    "AUTH", "PBSZ", "PROT", "CCC", "MDTM", "SIZE", "MLST", "MLSD", "MFMT", "HOST", "LANG", "XPWD",
    "XCWD", "XMKD", "XRMD",
];

/// Reads the fuzzer's bytes as a stream of small decisions.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn flag(&mut self) -> bool {
        self.byte().is_some_and(|b| b & 1 == 1)
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let config = SessionConfig {
        allow_user_switch: input.flag(),
        hosts: if input.flag() {
            vec!["ftp.example.com".to_owned()]
        } else {
            Vec::new()
        },
        greeting: "ready".to_owned(),
        tls_available: input.flag(),
        tls_required: tls_required(input.byte().unwrap_or(0)),
        anonymous_chmod: input.flag(),
    };
    let mut session = Session::new(Arc::new(config));
    check_reply(&session.greeting());
    // Each round: one command line, then the callbacks the driver might make.
    for _ in 0..64 {
        let Some(op) = input.byte() else { break };
        let line = command_line(op, &mut input);
        if let Ok(cmd) = parse_line(&line) {
            let logged_in = session.user().is_some();
            let channel = session.data_channel();
            match session.handle(&cmd) {
                Outcome::Silent => {}
                Outcome::Reply(r) | Outcome::Close(r) => check_reply(&r),
                Outcome::Act(action) => act(&mut session, action, logged_in, channel, &mut input),
            }
        }
        random_callback(&mut session, &mut input);
        assert!(session.cwd().to_string().starts_with('/'));
    }
});

/// A command line: a known verb (or raw bytes) and an argument made of the fuzzer's bytes,
/// with a few shapes that reach deep paths (patterns, SITE CHMOD, ports).
fn command_line(op: u8, input: &mut Input) -> Vec<u8> {
    // Mostly short arguments; patterns may go past their 256-byte cap.
    let n = usize::from(input.byte().unwrap_or(0));
    let len = if op % 8 == 2 { n * 2 } else { n % 48 };
    let arg = input.bytes(len).to_vec();
    let mut line = match op % 8 {
        // Raw bytes: the parser decides what they are.
        0 => return arg,
        1 => b"SITE CHMOD ".to_vec(),
        2 => b"NLST *".to_vec(),
        _ => {
            let verb = VERBS[usize::from(op) % VERBS.len()];
            format!("{verb} ").into_bytes()
        }
    };
    line.extend_from_slice(&arg);
    line
}

fn tls_required(b: u8) -> TlsRequired {
    match b % 3 {
        0 => TlsRequired::None,
        1 => TlsRequired::Login,
        _ => TlsRequired::All,
    }
}

fn permissions(b: u8) -> Permissions {
    Permissions {
        list: b & 1 != 0,
        read: b & 2 != 0,
        write: b & 4 != 0,
        delete: b & 8 != 0,
        rename: b & 16 != 0,
        mkdir: b & 32 != 0,
    }
}

fn capabilities(b: u8) -> Capabilities {
    Capabilities {
        append: b & 1 != 0,
        resume: b & 2 != 0,
        rename_dirs: b & 4 != 0,
        chmod: b & 8 != 0,
        set_modified: b & 16 != 0,
        empty_dirs: b & 32 != 0,
    }
}

/// Checks an action against what the session allowed, and answers it as a driver would.
fn act(
    session: &mut Session,
    action: Action,
    logged_in: bool,
    channel: DataChannel,
    input: &mut Input,
) {
    let needs_login = !matches!(
        action,
        Action::User(_)
            | Action::Authenticate { .. }
            | Action::StartTls
            | Action::Reinitialize
            | Action::Abort
            | Action::ServerStatus
    );
    assert!(!needs_login || logged_in, "{action:?} before login");
    match action {
        Action::User(name) => {
            let policy = input
                .flag()
                .then(|| tls_required(input.byte().unwrap_or(0)));
            check_reply(&session.on_user(&name, policy));
        }
        Action::Authenticate { .. } => {
            let result = input.flag().then(|| permissions(input.byte().unwrap_or(0)));
            check_reply(&session.on_login(result));
            session.set_anonymous(input.flag());
        }
        // Each callback below happens or not, as the input says (a failed storage call).
        Action::ChangeDir(path) if input.flag() => check_reply(&session.on_cwd(path)),
        Action::RenameFrom(path) => {
            let kind = if input.flag() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            check_reply(&session.on_rename_from_entry(path, kind));
        }
        Action::Retrieve { .. } | Action::Store { .. } | Action::List { .. } => {
            if let Action::List {
                pattern: Some(p), ..
            } = &action
            {
                assert!(Glob::new(&p.glob).is_ok(), "pattern over the caps: {p:?}");
            }
            assert_ne!(
                channel,
                DataChannel::None,
                "{action:?} without a data channel"
            );
            let _ = session.take_transfer_channel();
        }
        Action::Chmod { path, .. } => assert!(!path.is_root(), "SITE CHMOD on the root"),
        Action::Passive { .. } if input.flag() => session.on_data_channel(DataChannel::Passive),
        Action::Active(addr) if input.flag() => session.on_data_channel(DataChannel::Active(addr)),
        Action::StartTls if input.flag() => session.on_tls_established(),
        _ => {}
    }
}

/// A callback out of turn: the driver's calls must never break the machine either.
fn random_callback(session: &mut Session, input: &mut Input) {
    let Some(b) = input.byte() else { return };
    match b % 16 {
        0 => check_reply(&session.on_login(Some(permissions(b)))),
        1 => check_reply(&session.on_login(None)),
        2 => session.on_data_channel(DataChannel::Passive),
        3 => {
            let addr = SocketAddr::from(([127, 0, 0, 1], u16::from(b) * 256));
            session.on_data_channel(DataChannel::Active(addr));
        }
        4 => session.on_tls_established(),
        5 => session.set_capabilities(capabilities(input.byte().unwrap_or(0))),
        6 => session.set_anonymous(b & 32 != 0),
        7 => {
            let _ = session.take_transfer_channel();
        }
        8 => check_reply(&session.on_user("fuzz", Some(tls_required(b)))),
        _ => {}
    }
}

/// A reply's wire form: a three-digit code, CRLF-terminated lines, no bare CR or LF.
fn check_reply(reply: &Reply) {
    assert!((100..=599).contains(&reply.code), "code {}", reply.code);
    let wire = reply.to_wire();
    let body = wire.strip_suffix("\r\n").expect("reply ends with CRLF");
    for line in body.split("\r\n") {
        assert!(!line.contains(['\r', '\n']), "bare CR/LF in {wire:?}");
    }
}
