//! Out of descriptors: when `accept` fails with "Too many open files" (the budget of
//! fd_limit exceeded anyway: files opened by something else, a limit lowered under a
//! running server), the listener waits a moment and tries again rather than spinning or
//! giving up, and serves the waiting client once descriptors are free again.
//!
//! This file holds one test: it lowers this whole process's open-files limit.

#![cfg(target_os = "linux")]

mod common;

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use rlimit::Resource;

/// How many times the server logged a failed accept.
static ACCEPT_FAILURES: AtomicUsize = AtomicUsize::new(0);

/// Counts the server's "accept failed" warnings: the only outside sign that it tried.
struct CountAcceptFailures;

struct IsAcceptFailure(bool);

impl tracing::field::Visit for IsAcceptFailure {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && format!("{value:?}") == "accept failed" {
            self.0 = true;
        }
    }
}

impl tracing::Subscriber for CountAcceptFailures {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut seen = IsAcceptFailure(false);
        event.record(&mut seen);
        if seen.0 {
            ACCEPT_FAILURES.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

// Guards the accept loop's recovery: a connection that arrives while the process has no
// descriptor left gets its 220 once descriptors are freed.
#[test]
fn a_connection_waiting_out_emfile_is_served_once_descriptors_are_free() {
    tracing::subscriber::set_global_default(CountAcceptFailures).expect("subscriber");
    let server = TestServer::start();
    let (soft, hard) = Resource::NOFILE.get().expect("getrlimit");
    let open = std::fs::read_dir("/proc/self/fd").expect("fds").count() as u64;
    // A small limit, so that using it all up takes few files.
    Resource::NOFILE
        .set((open + 64).min(soft), hard)
        .expect("setrlimit");
    let mut burned = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(f) => burned.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    // One descriptor for the client's socket; the server's accept then has none.
    burned.pop();
    let client = std::net::TcpStream::connect(server.addr).expect("connect");
    assert!(
        matches!(File::open("/dev/null"), Err(e) if e.raw_os_error() == Some(libc::EMFILE)),
        "the process still has a free descriptor"
    );
    // Two failures: the loop met EMFILE, waited, and tried again (it neither gave up nor,
    // by design, spins: it waits between tries).
    let retried = wait_until(deadline(), || ACCEPT_FAILURES.load(Ordering::SeqCst) >= 2);
    drop(burned);
    client
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let mut raw = Raw {
        reader: std::io::BufReader::new(client),
        greeting: (0, String::new()),
    };
    let (code, text) = raw.reply();
    Resource::NOFILE.set(soft, hard).expect("restore the limit");
    assert!(retried, "the accept loop did not try again");
    assert_eq!(code, 220, "{text}");
    assert_eq!(raw.code("QUIT"), 221);
}
