//! `ferroftp doctor URL`: the command line of the server checker in [`ferroftp_doctor`].
//!
//! Exit status: 0 when no check found an error, 1 when one did (a broken MUST of the RFCs or
//! something that keeps clients from working), 2 for a bad URL or a server that cannot be
//! reached (connection refused, no greeting in time).

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use ferroftp_doctor::{target, Lang, Options, Target};

/// `ferroftp doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The server: ftp://[user[:password]@]host[:port][/dir] (default port 21, user
    /// anonymous), or ftps://... for explicit TLS (AUTH TLS).
    // The brackets are the URL's optional parts, shown as they are in --help, not links.
    #[allow(rustdoc::broken_intra_doc_links)]
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
    /// Read the password from one line of standard input, for a URL that names a user but
    /// no password (keeps it out of the command line and shell history). Without this
    /// option such a URL takes its password from FERROFTP_PASSWORD, if set.
    #[arg(long)]
    pub password_stdin: bool,
}

/// The environment variable that holds the password when the URL has none.
const PASSWORD_ENV: &str = "FERROFTP_PASSWORD";

/// Exit status for usage errors.
const USAGE: u8 = 2;

/// Runs `ferroftp doctor` and returns its exit status.
pub fn run(args: DoctorArgs) -> ExitCode {
    let target = match target::parse(&args.url, args.implicit_tls) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ferroftp doctor: bad URL: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let target = match with_password(target, args.password_stdin) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ferroftp doctor: {e}");
            return ExitCode::from(USAGE);
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

/// The target with the password from standard input (`--password-stdin`) or from
/// FERROFTP_PASSWORD. A URL's own password wins over the environment, but giving one in the
/// URL and asking for standard input too is a usage error: one of them would be ignored.
/// The environment's password is only sent for a user the URL names, never for an
/// anonymous login, so a password exported for one account does not leak to other servers.
fn with_password(target: Target, from_stdin: bool) -> Result<Target, String> {
    if from_stdin {
        if target.password_in_url {
            return Err("the URL has a password; do not use --password-stdin with it".to_owned());
        }
        // Refused before reading, rather than reading a password only to throw it away.
        if !target.user_in_url {
            return Err(
                "the URL names no user for the password of --password-stdin, e.g. \
                 ftp://alice@host"
                    .to_owned(),
            );
        }
        let password = read_line(&mut std::io::stdin().lock())
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?
            .ok_or("no password on standard input")?;
        return target.with_password(password);
    }
    if target.password_in_url || !target.user_in_url || target.is_anonymous() {
        return Ok(target);
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(password) => target
            .with_password(password)
            .map_err(|e| format!("{PASSWORD_ENV}: {e}")),
        Err(std::env::VarError::NotPresent) => Ok(target),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{PASSWORD_ENV} is not UTF-8")),
    }
}

/// One line without its line end (LF or CRLF); `None` at the end of the input.
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_lines() {
        let mut input: &[u8] = b"s3cret\r\nnext\n";
        assert_eq!(read_line(&mut input).unwrap().as_deref(), Some("s3cret"));
        let mut input: &[u8] = b"no newline";
        assert_eq!(
            read_line(&mut input).unwrap().as_deref(),
            Some("no newline")
        );
        let mut input: &[u8] = b"";
        assert_eq!(read_line(&mut input).unwrap(), None);
    }
}
