//! The `ferroftp` command: `serve` runs the server, `user` manages the users file, `explain`
//! explains reply codes.
//!
//! Exit status: 0 on success, 1 on errors (one line on stderr), 2 on usage errors.

#![forbid(unsafe_code)]

mod cli;
mod config_file;
mod doctor;
mod explain;
mod fd_limit;
mod user_cmd;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::{StaticAuthenticator, UsersFileAuthenticator, UsersFileError};
use ferroftp_server::{Authenticator, Server};
use rand::distr::{Alphanumeric, SampleString};
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, ServeArgs};
use crate::config_file::{merge, ConfigError, FileConfig};

/// The quick-start user name.
const QUICK_START_USER: &str = "ftpuser";

/// Length of the generated quick-start password (alphanumeric: about 95 bits).
const QUICK_START_PASSWORD_LEN: usize = 16;

/// Anything that makes a command fail with exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or changing the users file failed.
    #[error(transparent)]
    Users(#[from] UsersFileError),
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Message(String),
}

impl Error {
    /// An error with this message.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Message(message.into())
    }
}

/// mimalloc rather than the system allocator: glibc keeps freed memory in per-thread arenas,
/// so a burst of work on many threads (argon2 checks, transfers) left the process gigabytes
/// larger for good; mimalloc gives it back to the OS within seconds.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Usage errors exit with 2 (and --help / --version with 0) inside `parse`.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::User(cmd) => user_cmd::run(cmd),
        Command::Explain(args) => {
            return ExitCode::from(u8::try_from(explain::run(&args)).unwrap_or(1))
        }
        Command::Doctor(args) => return doctor::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferroftp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `level`, unless `RUST_LOG` is set.
fn init_logging(level: &str) -> Result<(), Error> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.trim().is_empty() => EnvFilter::try_new(&env)
            .map_err(|e| Error::msg(format!("invalid RUST_LOG {env:?}: {e}")))?,
        _ => EnvFilter::try_new(level).map_err(|e| {
            Error::Config(ConfigError::Invalid {
                key: "log",
                message: format!("{level:?}: {e}"),
            })
        })?,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only help on a terminal; they clutter journals and log files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| Error::msg(format!("cannot set up logging: {e}")))
}

/// An existing directory, made absolute so the server does not depend on its working
/// directory.
fn existing_dir(what: &str, path: &Path) -> Result<PathBuf, Error> {
    let abs = std::fs::canonicalize(path)
        .map_err(|e| Error::msg(format!("{what} {}: {e}", path.display())))?;
    if !abs.is_dir() {
        return Err(Error::msg(format!(
            "{what} {} is not a directory",
            abs.display()
        )));
    }
    Ok(abs)
}

/// `ferroftp serve`.
fn serve(args: ServeArgs) -> Result<(), Error> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let mut settings = merge(&args, file)?;
    init_logging(&settings.log)?;

    if let Some(anon) = settings.server.anonymous.as_mut() {
        anon.root = existing_dir("anonymous root", &anon.root)?;
        match (&settings.server.anonymous_upload_dir, anon.writable) {
            (_, false) => {}
            (Some(dir), true) => {
                tracing::info!(root = %anon.root.display(), dir = %dir, "anonymous users may upload into the drop directory only");
                if !anon.root.join(dir.relative()).is_dir() {
                    tracing::warn!(dir = %dir, "the anonymous drop directory does not exist: anonymous uploads fail until it is made");
                }
            }
            (None, true) => {
                tracing::warn!(root = %anon.root.display(), "anonymous users may write anywhere");
            }
        }
    }

    // With a users file, its users; without, one made-up user (announced after binding, so
    // a password is never printed for a server that did not start).
    let mut users_file = None;
    let (auth, quick_start): (Arc<dyn Authenticator>, Option<(String, PathBuf)>) = match &settings
        .users
    {
        Some(path) => {
            let auth = Arc::new(UsersFileAuthenticator::load(path)?);
            check_users_file(path, &auth);
            if args.root.is_some() {
                tracing::warn!("--root is only used without a users file; ignoring it");
            }
            users_file = Some(auth.clone());
            (auth, None)
        }
        None => {
            std::fs::create_dir_all(&settings.root).map_err(|e| {
                Error::msg(format!(
                    "cannot create data directory {}: {e}",
                    settings.root.display()
                ))
            })?;
            let root = existing_dir("data directory", &settings.root)?;
            let password = Alphanumeric.sample_string(&mut rand::rng(), QUICK_START_PASSWORD_LEN);
            let auth = StaticAuthenticator::new(
                QUICK_START_USER,
                password.clone(),
                root.clone(),
                Permissions::ALL,
            );
            (Arc::new(auth), Some((password, root)))
        }
    };

    // Sessions on one home share its handle: the budget counts each distinct home once.
    let homes = match &users_file {
        Some(users) => {
            let users = users.users();
            let distinct: std::collections::HashSet<&Path> =
                users.users().map(|u| u.home()).collect();
            distinct.len()
        }
        None => 1,
    } + usize::from(settings.server.anonymous.is_some());
    let fitted = fd_limit::raise_and_fit(
        settings.server.max_connections,
        settings.server.max_transfers,
        homes,
    );
    settings.server.max_connections = fitted.connections;
    settings.server.max_transfers = Some(fitted.transfers);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        // An explicit cap, so that a burst of file-system work queues up rather than
        // spawning hundreds of threads (tokio's own default is 512).
        .max_blocking_threads(settings.server.max_blocking_threads)
        .enable_all()
        .build()
        .map_err(|e| Error::msg(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        // The server's bind error already names the address.
        let server = Server::bind(settings.server, auth)
            .await
            .map_err(|e| Error::msg(format!("cannot start the server: {e}")))?;
        announce(&server, quick_start.as_ref())
            .map_err(|e| Error::msg(format!("cannot write to stdout: {e}")))?;
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "ferroftp started");
        tokio::spawn(reload_on_sighup(server.tls(), users_file));
        server
            .run(shutdown_signal())
            .await
            .map_err(|e| Error::msg(format!("server failed: {e}")))?;
        tracing::info!("ferroftp stopped");
        Ok(())
    })
}

/// Prints the quick-start credentials and one `listening on ftp://ADDR` line per listener;
/// scripts and tests read the port from those lines, so they are flushed at once.
fn announce(server: &Server, quick_start: Option<&(String, PathBuf)>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some((password, root)) = quick_start {
        writeln!(
            out,
            "ferroftp quick start: user \"{QUICK_START_USER}\", password \"{password}\", serving {}",
            root.display()
        )?;
    }
    if let Some(tls) = server.tls() {
        writeln!(
            out,
            "TLS certificate SHA-256 fingerprint: {}",
            tls.fingerprint()
        )?;
    }
    for addr in server.local_addrs() {
        writeln!(out, "listening on ftp://{addr}")?;
    }
    for addr in server.implicit_tls_addrs() {
        writeln!(out, "listening on ftps://{addr}")?;
    }
    out.flush()
}

/// Reads the certificate files and the users file again on each SIGHUP; sessions keep
/// running, and whatever fails to load keeps its old version.
async fn reload_on_sighup(
    tls: Option<Arc<ferroftp_server::tls::TlsConfig>>,
    users: Option<Arc<UsersFileAuthenticator>>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGHUP: nothing will reload");
            return;
        }
    };
    while hup.recv().await.is_some() {
        if let Some(tls) = &tls {
            match tls.reload() {
                Ok(()) => {
                    tracing::info!(fingerprint = %tls.fingerprint(), "TLS certificate reloaded")
                }
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate reload failed; keeping the old one")
                }
            }
        }
        if let Some(users) = &users {
            match users.reload() {
                Ok(count) => tracing::info!(users = count, "users file reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "users file reload failed; keeping the old users")
                }
            }
        }
    }
}

/// Warns about users-file problems that do not prevent starting.
fn check_users_file(path: &Path, auth: &UsersFileAuthenticator) {
    if user_cmd::too_open(path) {
        tracing::warn!(
            file = %path.display(),
            "users file is readable by group or others; chmod 600 it"
        );
    }
    if auth.users().is_empty() {
        tracing::warn!(file = %path.display(), "users file has no users; nobody can log in");
    }
    for user in auth.users().users() {
        if !user.home().is_dir() {
            tracing::warn!(
                user = user.name(),
                home = %user.home().display(),
                "home directory does not exist"
            );
        }
    }
}

/// Resolves on Ctrl-C; never, if Ctrl-C cannot be watched (rather than at once, which
/// would stop the server as soon as it started).
async fn ctrl_c() {
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!("cannot watch for Ctrl-C: {e}");
        std::future::pending::<()>().await;
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot watch for SIGTERM ({e}); only Ctrl-C stops the server");
                ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await;
    tracing::info!("shutting down");
}
