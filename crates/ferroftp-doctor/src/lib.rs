//! # ferroftp-doctor
//!
//! The server checker behind `ferroftp doctor URL`: it connects to any FTP server as a
//! client, runs a series of checks (greeting, login, command sequencing, data channels,
//! listings, FTPS, an optional upload and download round trip) and explains each reply
//! against the RFCs, for administrators debugging their setup.
//!
//! ```no_run
//! use ferroftp_doctor::{target, Lang, Options};
//!
//! let target = target::parse("ftp://alice:secret@ftp.example.com/", false).unwrap();
//! let report = ferroftp_doctor::run_blocking(&Options::new(target)).unwrap();
//! print!("{}", report.to_text(Lang::En));
//! std::process::exit(i32::from(report.summary.exit_code));
//! ```
//!
//! The report's exit code is 0 when no check found an error, 1 when one did (a broken MUST
//! of the RFCs or something that keeps clients from working), 2 for a server that cannot be
//! reached (connection refused, no greeting in time).
//!
//! Every network step has a timeout ([`Options::timeout`]), and replies are read with caps
//! on line length and line count, so the doctor finishes against servers that send garbage,
//! never answer, answer forever or reset the connection.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod checks;
mod client;
mod data;
mod explain;
mod files;
pub mod report;
pub mod target;
mod text;
mod tls;

use std::time::Duration;

/// The language of the report: the guide's, so report and pages agree.
pub use ferroftp_guide::Lang;
pub use report::{Finding, Group, Report, Severity, Summary};
pub use target::{Target, TlsMode};

/// What to check, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server.
    pub target: Target,
    /// Whether the upload/download round trip (in a scratch directory) may run.
    pub write: bool,
    /// The limit on each network step (connect, each reply, each data transfer).
    pub timeout: Duration,
    /// The language of the findings' texts.
    pub lang: Lang,
}

impl Options {
    /// The defaults for `target`: read-only, 10 s per step, English.
    pub fn new(target: Target) -> Options {
        Options {
            target,
            write: false,
            timeout: Duration::from_secs(10),
            lang: Lang::En,
        }
    }
}

/// Runs every check against the server and returns the report.
pub async fn run(options: &Options) -> Report {
    let config = checks::Config {
        target: options.target.clone(),
        write: options.write,
        timeout: options.timeout,
        lang: options.lang,
    };
    let outcome = checks::run(&config).await;
    Report::new(
        options.target.to_string(),
        outcome.findings,
        outcome.unreachable,
    )
}

/// [`run`] on a runtime of its own, for callers without one. Fails only when the runtime
/// cannot be started.
pub fn run_blocking(options: &Options) -> std::io::Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(options));
    // A name lookup that timed out may still run on a blocking thread: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    Ok(report)
}
