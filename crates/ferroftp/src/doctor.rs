//! `ferroftp doctor URL`: the command line of the server checker in [`ferroftp_doctor`].
//!
//! Exit status: 0 when no check found an error, 1 when one did (a broken MUST of the RFCs or
//! something that keeps clients from working), 2 for a bad URL or a server that cannot be
//! reached (connection refused, no greeting in time).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use ferroftp_doctor::{target, Lang, Options};

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
    let options = Options {
        target,
        write: args.write,
        timeout: Duration::from_secs(args.timeout),
        lang: args.lang,
    };
    let report = match ferroftp_doctor::run_blocking(&options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferroftp doctor: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
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
