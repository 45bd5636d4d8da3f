//! `ferroftp doctor URL`: connects to any FTP server as a client, runs a series of checks
//! (greeting, login, command sequencing, data channels, listings, an optional upload and
//! download round trip) and explains each reply against the RFCs, for administrators
//! debugging their setup.
//!
//! Exit status: 0 when no check found an error, 1 when one did (a broken MUST of the RFCs or
//! something that keeps clients from working), 2 for a bad URL or a server that cannot be
//! reached (connection refused, no greeting in time).
//!
//! Every network step has a timeout (`--timeout`, per step), and replies are read with caps
//! on line length and line count, so the doctor finishes against servers that send garbage,
//! never answer, answer forever or reset the connection.

mod checks;
pub mod client;
mod data;
mod explain;
mod files;
pub mod report;
pub mod target;
mod text;
pub mod tls;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

/// The language of the report: the guide's, so report and pages agree.
pub use ferroftp_guide::Lang;

/// `ferroftp doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The server: ftp://[user[:password]@]host[:port][/dir] (default port 21, user
    /// anonymous), or ftps://... for explicit TLS (AUTH TLS).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also test uploads: create a scratch directory, upload, download and compare a small
    /// file, then remove both.
    #[arg(long)]
    pub write: bool,
    /// Seconds to wait for each step (connect, each reply, each data transfer).
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// TLS from the first byte (implicit FTPS, port 990 by default).
    #[arg(long)]
    pub implicit_tls: bool,
}

/// Runs `ferroftp doctor` and returns its exit status.
pub fn run(args: DoctorArgs) -> ExitCode {
    let target = match target::parse(&args.url, args.implicit_tls) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ferroftp doctor: bad URL: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferroftp doctor: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = checks::Config {
        target,
        write: args.write,
        timeout: Duration::from_secs(args.timeout),
        lang: args.lang,
    };
    let outcome = runtime.block_on(checks::run(&config));
    // A name lookup that timed out may still run on a blocking thread: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    let report = report::Report::new(
        config.target.to_string(),
        outcome.findings,
        outcome.unreachable,
    );
    let text = if args.json {
        report.to_json() + "\n"
    } else {
        report.to_text(args.lang)
    };
    // A closed pipe (`| head`) is no reason to panic; the exit status still tells.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    ExitCode::from(report.summary.exit_code)
}
