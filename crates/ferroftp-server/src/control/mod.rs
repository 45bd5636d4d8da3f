//! The control loop of one session: read command lines, let the protocol core decide, carry
//! out its actions, write the replies. One task per session owns all of the session's state,
//! so no lock is ever held across an `.await`; a transfer runs as a job of its own and
//! reports back over a channel, which keeps NOOP, STAT and ABOR answered while it runs.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::tls::SessionTls;
use ferroftp_proto::catalogue::{dir_status, Computed, Msg, StatusReport};
use ferroftp_proto::listing::{self, EntryKind};
use ferroftp_proto::parser::{parse_line, LineBuffer, LineEvent, ParseError};
use ferroftp_proto::path::VPath;
use ferroftp_proto::session::{
    answered_during_transfer, Action, DataChannel, Outcome, Protection, Secret, Session,
};
use ferroftp_proto::{Command, Reply, Verb};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::data::{same_host, DataError, DataSource, PassiveChannel};
use crate::errors::{closes_session, storage_error_reply};
use crate::server::Shared;
use crate::storage::{Storage, StorageError};
use crate::stream::{ControlStream, MaybeTls};
use crate::transfer::{DataTls, JobKind, ListJob, TransferEvent, TransferJob};
use crate::Account;

mod data_setup;

use data_setup::Prepared;
mod files;
mod login;
mod status;
mod tls;

/// Whether the session goes on after a step.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// A transfer running on behalf of this session.
struct Running {
    events: mpsc::Receiver<TransferEvent>,
    abort: Option<oneshot::Sender<()>>,
    progress: Arc<AtomicU64>,
    abort_requested: bool,
    what: String,
}

/// One client's control connection and everything it has set up. The connection is a TCP
/// stream (plain or TLS) when serving, and any [`ControlStream`] in tests (an in-memory
/// `tokio::io::duplex`, for one).
pub struct Control<S = MaybeTls> {
    shared: Arc<Shared>,
    stream: S,
    /// This session's TLS acceptors once it uses TLS; data connections under PROT P use
    /// them too, so they can resume the control connection's session.
    tls: Option<SessionTls>,
    peer: SocketAddr,
    local: SocketAddr,
    session: Session,
    lines: LineBuffer,
    storage: Option<Arc<dyn Storage>>,
    /// The live listener of a passive channel the session records (see data_setup).
    listener: Option<PassiveChannel>,
    transfer: Option<Running>,
    /// A command that arrived during a transfer and waits for it to end.
    pending: Option<Command>,
    shutting_down: bool,
    /// Login bookkeeping of this connection (see login.rs).
    logins: login::LoginState,
}

impl<S: ControlStream> Control<S> {
    /// A session on a freshly accepted connection.
    pub fn new(
        shared: Arc<Shared>,
        stream: S,
        peer: SocketAddr,
        local: SocketAddr,
        tls: Option<SessionTls>,
    ) -> Control<S> {
        let mut session = Session::new(shared.session_config.clone());
        // Until login, FEAT and HELP show what the configured backend advertises.
        session.set_capabilities(shared.config.storage.advertised());
        if stream.is_tls() {
            // Implicit FTPS: secured before the first byte.
            session.on_tls_established();
        }
        Control {
            shared,
            stream,
            tls,
            peer,
            local,
            session,
            lines: LineBuffer::new(),
            storage: None,
            listener: None,
            transfer: None,
            pending: None,
            shutting_down: false,
            logins: login::LoginState::default(),
        }
    }

    /// Runs the session until the client quits, the connection drops, the session idles out
    /// or the server shuts down.
    pub async fn run(mut self) {
        if self.send(&self.session.greeting()).await.is_err() {
            return;
        }
        let mut shutdown = self.shared.shutdown.clone();
        let mut buf = vec![0u8; 2048];
        loop {
            match self.process_buffered().await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) | Err(_) => break,
            }
            if self.shutting_down && self.transfer.is_none() {
                let _ = self.send(&Msg::ShuttingDown.reply()).await;
                break;
            }
            let idle = tokio::time::sleep(self.shared.config.idle_timeout);
            tokio::select! {
                r = self.stream.read(&mut buf), if self.pending.is_none() => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        self.lines.extend(&buf[..n]);
                        if buf[n - 1] != b'\n' {
                            let more = self.stream.read_past_urgent_mark(&mut buf);
                            self.lines.extend(&buf[..more]);
                        }
                    }
                },
                ev = next_event(&mut self.transfer), if self.transfer.is_some() => {
                    match self.on_transfer_event(ev).await {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Close) | Err(_) => break,
                    }
                }
                _ = idle, if self.transfer.is_none() => {
                    tracing::info!("idle timeout");
                    let _ = self.send(&Msg::IdleTimeout.reply()).await;
                    break;
                }
                _ = wait_for_shutdown(&mut shutdown), if !self.shutting_down => {
                    self.shutting_down = true;
                }
            }
        }
        // A transfer still running when the control connection ends is aborted: an upload
        // is discarded rather than left half-written.
        if let Some(mut t) = self.transfer.take() {
            if let Some(abort) = t.abort.take() {
                let _ = abort.send(());
            }
            while t.events.recv().await.is_some() {}
        }
        tracing::info!("session closed");
    }

    async fn send(&mut self, reply: &Reply) -> std::io::Result<()> {
        tracing::debug!(code = reply.code, "reply");
        self.stream.write_all(reply.to_wire().as_bytes()).await?;
        // Under TLS a reply may sit in the record buffer until flushed.
        self.stream.flush().await
    }

    /// Handles every complete command line already received.
    async fn process_buffered(&mut self) -> std::io::Result<Flow> {
        loop {
            let cmd = match self.pending.take() {
                Some(c) => c,
                None => match self.lines.next_event() {
                    None => return Ok(Flow::Continue),
                    Some(LineEvent::TooLong) => {
                        self.send(&Msg::LineTooLong.reply()).await?;
                        continue;
                    }
                    Some(LineEvent::Line(line)) => match parse_line(&line) {
                        Ok(c) => c,
                        Err(ParseError::Empty) => continue,
                        Err(ParseError::NotUtf8) => {
                            self.send(&Msg::NotUtf8.reply()).await?;
                            continue;
                        }
                        Err(ParseError::TooLong) => {
                            self.send(&Msg::LineTooLong.reply()).await?;
                            continue;
                        }
                    },
                },
            };
            if self.transfer.is_some() && !answered_during_transfer(&cmd) {
                self.pending = Some(cmd);
                return Ok(Flow::Continue);
            }
            log_command(&cmd);
            let flow = match self.session.handle(&cmd) {
                Outcome::Silent => Flow::Continue,
                Outcome::Reply(r) => {
                    self.send(&r).await?;
                    Flow::Continue
                }
                Outcome::Close(r) => {
                    self.send(&r).await?;
                    Flow::Close
                }
                Outcome::Act(action) => self.act(action).await?,
            };
            self.drop_stale_listener();
            if flow == Flow::Close {
                return Ok(Flow::Close);
            }
        }
    }

    async fn on_transfer_event(&mut self, ev: Option<TransferEvent>) -> std::io::Result<Flow> {
        match ev {
            Some(TransferEvent::Started(r)) => self.send(&r).await.map(|()| Flow::Continue),
            Some(TransferEvent::Finished(r)) => {
                let aborted = self.transfer.take().is_some_and(|t| t.abort_requested);
                self.send(&r).await?;
                if closes_session(&r) {
                    return Ok(Flow::Close);
                }
                if aborted {
                    self.send(&Msg::AborDone.reply()).await?;
                }
                Ok(Flow::Continue)
            }
            None => {
                // The job ended without a final word (it panicked): say so.
                self.transfer = None;
                self.send(&Msg::TransferFailedLocal.reply()).await?;
                Ok(Flow::Continue)
            }
        }
    }

    fn storage(&self) -> Option<Arc<dyn Storage>> {
        self.storage.clone()
    }

    /// Carries out one action of the protocol core.
    async fn act(&mut self, action: Action) -> std::io::Result<Flow> {
        let reply = match action {
            Action::User(name) => self.user(&name),
            Action::Authenticate { user, password } => self.login(&user, &password).await,
            Action::Reinitialize => self.reinitialize(),
            Action::Passive { extended, protocol } => self.open_passive(extended, protocol),
            Action::Active(addr) => self.set_active(addr),
            Action::Abort => match self.abort() {
                Some(r) => r,
                // The job answers `TransferAborted`; then we answer `AborDone` (see
                // on_transfer_event).
                None => return Ok(Flow::Continue),
            },
            Action::ServerStatus => self.status(),
            Action::StartTls => return self.start_tls().await,
            Action::Retrieve {
                path,
                offset,
                ascii,
            } => {
                let what = format!("RETR {path}");
                return self.start_transfer(
                    JobKind::Retrieve {
                        path,
                        offset,
                        ascii,
                    },
                    what,
                );
            }
            Action::Store { path, kind, ascii } => {
                let what = format!("STOR {path}");
                return self.start_transfer(JobKind::Store { path, kind, ascii }, what);
            }
            Action::List {
                path,
                format,
                pattern,
            } => {
                let what = format!("listing {path}");
                let kind = JobKind::List(ListJob {
                    path,
                    format,
                    pattern,
                    facts: self.session.mlst_facts().clone(),
                    perms: *self.session.permissions(),
                });
                return self.start_transfer(kind, what);
            }
            Action::StatPath(path) => return self.stat_path(path).await,
            other => match self.storage() {
                Some(storage) => self.file_action(storage.as_ref(), other).await,
                None => Msg::PleaseLogin.reply(),
            },
        };
        self.send(&reply).await?;
        if closes_session(&reply) {
            return Ok(Flow::Close);
        }
        Ok(Flow::Continue)
    }

    /// Answers a storage failure; a backend that is down ends the session.
    async fn send_storage_error(&mut self, e: &StorageError) -> std::io::Result<Flow> {
        let reply = storage_error_reply(e);
        self.send(&reply).await?;
        Ok(if closes_session(&reply) {
            Flow::Close
        } else {
            Flow::Continue
        })
    }

    /// ABOR: signals a running transfer (which then answers
    /// `Msg::TransferAborted`), or answers `Msg::NoTransferToAbort`.
    fn abort(&mut self) -> Option<Reply> {
        match &mut self.transfer {
            Some(t) => {
                if let Some(abort) = t.abort.take() {
                    let _ = abort.send(());
                }
                t.abort_requested = true;
                None
            }
            None => {
                self.prepare(Prepared::None);
                Some(Msg::NoTransferToAbort.reply())
            }
        }
    }

    /// Hands a transfer to a job of its own.
    fn start_transfer(&mut self, kind: JobKind, what: String) -> std::io::Result<Flow> {
        let source = self.data_source();
        let Some(storage) = self.storage() else {
            return Ok(Flow::Continue);
        };
        let (events_tx, events) = mpsc::channel(4);
        let (abort_tx, abort_rx) = oneshot::channel();
        let progress = Arc::new(AtomicU64::new(0));
        let tls = match (self.session.protection(), &self.tls, &self.shared.tls) {
            (Protection::Private, Some(session_tls), Some(config)) => Some(DataTls {
                session: session_tls.clone(),
                upload: matches!(kind, JobKind::Store { .. }),
                reuse: config.reuse,
                timeout: self.shared.config.tls_handshake_timeout,
            }),
            _ => None,
        };
        let job = TransferJob {
            storage,
            source,
            kind,
            events: events_tx,
            abort: abort_rx,
            progress: progress.clone(),
            tls,
        };
        tracing::info!(transfer = %what, "transfer started");
        tokio::spawn(job.run());
        self.transfer = Some(Running {
            events,
            abort: Some(abort_tx),
            progress,
            abort_requested: false,
            what,
        });
        Ok(Flow::Continue)
    }
}

/// Completes when the server starts shutting down (or its sender is gone).
async fn wait_for_shutdown(rx: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send: drop it inside this function.
    let _ = rx.wait_for(|stop| *stop).await.map(|_| ());
}

async fn next_event(transfer: &mut Option<Running>) -> Option<TransferEvent> {
    match transfer {
        Some(t) => t.events.recv().await,
        None => std::future::pending().await,
    }
}

/// Logs one command, never a password.
fn log_command(cmd: &Command) {
    match cmd {
        Command::Known {
            verb: Verb::Pass, ..
        } => tracing::info!(command = "PASS ****"),
        Command::Known { verb, arg: Some(a) } => tracing::info!(command = %format!("{verb} {a}")),
        Command::Known { verb, arg: None } => tracing::info!(command = %verb),
        Command::Unknown(v) => tracing::info!(command = %v, "unknown command"),
        Command::Http(_) => tracing::warn!("HTTP request on the control port"),
    }
}
