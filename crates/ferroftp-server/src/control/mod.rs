//! The control loop of one session: read command lines, let the protocol core decide, carry
//! out its actions, write the replies. One task per session owns all of the session's state,
//! so no lock is ever held across an `.await`; a transfer runs as a job driven inside this
//! task (see `control/job.rs`) and reports back over a channel, which keeps NOOP, STAT and ABOR
//! answered while it runs.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::tls::SessionTls;
use ferroftp_proto::catalogue::{dir_status, Computed, Msg, StatusReport};
use ferroftp_proto::listing::{self, EntryKind};
use ferroftp_proto::parser::{parse_line, LineBuffer, LineEvent, ParseError};
use ferroftp_proto::path::VPath;
use ferroftp_proto::session::{
    answered_during_transfer, Action, DataChannel, LoginState, Outcome, Protection, Secret, Session,
};
use ferroftp_proto::{Command, Reply, Verb};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::data::{same_host, DataError, DataSource, PassiveChannel};
use crate::errors::{closes_session, storage_error_reply};
use crate::server::Shared;
use crate::storage::{Storage, StorageError};
use crate::stream::{ControlStream, MaybeTls};
use crate::transfer::{DataTls, JobKind, ListJob, TransferEvent, TransferJob};
use crate::Account;

mod data_setup;
mod job;

use data_setup::Prepared;
mod files;
mod login;
mod status;
mod tls;

/// Most commands (and replies to malformed lines) that may wait behind a running transfer.
/// Once this many wait, the loop stops reading until the transfer ends, and TCP pushes back
/// on the client: memory per session stays bounded however much it pipelines.
const MAX_QUEUED: usize = 16;

/// Something waiting its turn behind a running transfer, so that replies keep the order
/// of the commands.
enum Queued {
    /// A command to run once the commands before it have run.
    Command(Command),
    /// The answer to a malformed line.
    Reply(Reply),
    /// ABOR's final `Msg::AborDone`: ABOR stopped the transfer at once, but its answer
    /// comes after the replies of the commands that were waiting before it.
    AborDone,
}

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
    /// The running transfer's job while this task drives it (see [`job`]).
    job: Option<job::Job>,
    /// What arrived during a transfer and waits for it to end (see [`MAX_QUEUED`]).
    queue: VecDeque<Queued>,
    /// When the session idles out; each complete command, and the end of a transfer, push
    /// it on.
    idle_deadline: Instant,
    /// When a connection that has not logged in is closed; traffic does not move it.
    login_deadline: Option<Instant>,
    shutting_down: bool,
    /// What the logged-in user shares with their other sessions: bandwidth and quota.
    user_limits: Option<Arc<crate::limits::UserShared>>,
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
        let idle_deadline = Instant::now() + shared.config.idle_timeout;
        let login_deadline = Some(Instant::now() + shared.config.login_timeout);
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
            job: None,
            queue: VecDeque::new(),
            idle_deadline,
            login_deadline,
            shutting_down: false,
            user_limits: None,
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
            let mut job = self.job.take();
            let flow = job::alongside(&mut job, self.process_buffered()).await;
            self.put_back(job);
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) | Err(_) => break,
            }
            if self.shutting_down && self.transfer.is_none() {
                let _ = self.send(&Msg::ShuttingDown.reply()).await;
                break;
            }
            self.update_login_deadline();
            let idle = tokio::time::sleep_until(self.idle_deadline);
            let login = sleep_until_some(self.login_deadline);
            tokio::select! {
                r = self.stream.read(&mut buf), if self.queue.len() < MAX_QUEUED => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        self.lines.extend(&buf[..n]);
                        if buf[n - 1] != b'\n' {
                            let more = self.stream.read_past_urgent_mark(&mut buf);
                            self.lines.extend(&buf[..more]);
                        }
                    }
                },
                ev = next_event(&mut self.transfer, &mut self.job), if self.transfer.is_some() => {
                    let mut job = self.job.take();
                    let flow = job::alongside(&mut job, self.on_transfer_event(ev)).await;
                    self.put_back(job);
                    match flow {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Close) | Err(_) => break,
                    }
                }
                _ = idle, if self.transfer.is_none() => {
                    tracing::info!("idle timeout");
                    let _ = self.send(&Msg::IdleTimeout.reply()).await;
                    break;
                }
                _ = login => {
                    tracing::info!("login timeout");
                    let _ = self.send(&Msg::LoginTimeout.reply()).await;
                    break;
                }
                // The passive listener waits for the client in this task, not one of its
                // own (see PassiveChannel::wait).
                () = wait_passive(&mut self.listener), if self.listener.is_some() => {}
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
            if let Some(job) = self.job.take() {
                job.finish().await;
            }
            while t.events.recv().await.is_some() {}
        }
        tracing::info!("session closed");
    }

    /// Puts back a job taken out to run beside the session's own work. The work may have
    /// started a transfer only if the job taken out had ended (a transfer starts only after
    /// the last one's final reply), so a job still running is never put over a new one.
    fn put_back(&mut self, job: Option<job::Job>) {
        if job.is_some() {
            self.job = job;
        }
    }

    /// Writes one reply, within the reply timeout: a client that sends commands but never
    /// reads the replies fills the connection's buffers, and is closed rather than holding
    /// the session forever.
    async fn send(&mut self, reply: &Reply) -> std::io::Result<()> {
        tracing::debug!(code = reply.code, "reply");
        let wire = reply.to_wire();
        let write = async {
            self.stream.write_all(wire.as_bytes()).await?;
            // Under TLS a reply may sit in the record buffer until flushed.
            self.stream.flush().await
        };
        match tokio::time::timeout(self.shared.config.reply_timeout, write).await {
            Ok(r) => r,
            Err(_) => {
                tracing::info!("client does not read its replies: closing");
                Err(std::io::ErrorKind::TimedOut.into())
            }
        }
    }

    /// Starts the login deadline when the session is (again, after REIN) not logged in,
    /// and ends it once it is.
    fn update_login_deadline(&mut self) {
        let logged_in = matches!(self.session.login_state(), LoginState::LoggedIn(_));
        if logged_in {
            self.login_deadline = None;
        } else if self.login_deadline.is_none() {
            self.login_deadline = Some(Instant::now() + self.shared.config.login_timeout);
        }
    }

    /// Runs what waited for a transfer that has ended, then every complete command line
    /// already received, as far as the queue allows.
    async fn process_buffered(&mut self) -> std::io::Result<Flow> {
        if self.drain_queue().await? == Flow::Close {
            return Ok(Flow::Close);
        }
        while self.queue.len() < MAX_QUEUED {
            let cmd = match self.lines.next_event() {
                None => return Ok(Flow::Continue),
                Some(LineEvent::TooLong) => {
                    self.answer_or_queue(Msg::LineTooLong.reply()).await?;
                    continue;
                }
                Some(LineEvent::Line(line)) => match parse_line(&line) {
                    Ok(c) => c,
                    Err(ParseError::Empty) => continue,
                    Err(ParseError::NotUtf8) => {
                        self.answer_or_queue(Msg::NotUtf8.reply()).await?;
                        continue;
                    }
                    Err(ParseError::TooLong) => {
                        self.answer_or_queue(Msg::LineTooLong.reply()).await?;
                        continue;
                    }
                },
            };
            // Only whole commands keep a session alive: bytes that never form one do not.
            self.idle_deadline = Instant::now() + self.shared.config.idle_timeout;
            let is_abor = matches!(
                cmd,
                Command::Known {
                    verb: Verb::Abor,
                    ..
                }
            );
            // During a transfer, ABOR acts at once; NOOP, STAT and the like too unless
            // something already waits (they must not overtake it); the rest waits.
            let now = self.transfer.is_none()
                || is_abor
                || (self.queue.is_empty() && answered_during_transfer(&cmd));
            if !now {
                self.queue.push_back(Queued::Command(cmd));
                continue;
            }
            if self.execute(&cmd).await? == Flow::Close {
                return Ok(Flow::Close);
            }
        }
        Ok(Flow::Continue)
    }

    /// Runs what waits at the head of the queue, in order, until it empties or its head
    /// must wait for the running transfer.
    async fn drain_queue(&mut self) -> std::io::Result<Flow> {
        while let Some(item) = self.queue.pop_front() {
            let running = self.transfer.is_some();
            match item {
                Queued::Command(cmd) if running && !answered_during_transfer(&cmd) => {
                    self.queue.push_front(Queued::Command(cmd));
                    break;
                }
                Queued::AborDone if running => {
                    self.queue.push_front(Queued::AborDone);
                    break;
                }
                Queued::Command(cmd) => {
                    if self.execute(&cmd).await? == Flow::Close {
                        return Ok(Flow::Close);
                    }
                }
                Queued::Reply(r) => self.send(&r).await?,
                Queued::AborDone => self.send(&Msg::AborDone.reply()).await?,
            }
        }
        Ok(Flow::Continue)
    }

    /// Answers a malformed line at once, or after what already waits.
    async fn answer_or_queue(&mut self, reply: Reply) -> std::io::Result<()> {
        if self.queue.is_empty() {
            self.send(&reply).await
        } else {
            self.queue.push_back(Queued::Reply(reply));
            Ok(())
        }
    }

    /// Lets the protocol core decide on one command and carries out its decision.
    async fn execute(&mut self, cmd: &Command) -> std::io::Result<Flow> {
        log_command(cmd, self.session.user().is_some());
        let flow = match self.session.handle(cmd) {
            Outcome::Silent => Flow::Continue,
            Outcome::Reply(r) => {
                self.send(&r).await?;
                Flow::Continue
            }
            Outcome::Close(r) => {
                self.send(&r).await?;
                Flow::Close
            }
            // Boxed: an action's future (a login, a transfer's setup, a TLS handshake) is
            // the largest state of the session's, and an idle session would otherwise
            // carry room for it all the time (3.4 KB instead of under 1 KB per session).
            Outcome::Act(action) => Box::pin(self.act(action)).await?,
        };
        self.drop_stale_listener();
        Ok(flow)
    }

    async fn on_transfer_event(&mut self, ev: Option<TransferEvent>) -> std::io::Result<Flow> {
        match ev {
            Some(TransferEvent::Started(r)) => self.send(&r).await.map(|()| Flow::Continue),
            Some(TransferEvent::Finished(r)) => {
                let aborted = self.transfer.take().is_some_and(|t| t.abort_requested);
                // The idle timer was off during the transfer: it starts again now.
                self.idle_deadline = Instant::now() + self.shared.config.idle_timeout;
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
            Action::Passive { extended, protocol } => self.open_passive(extended, protocol).await,
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
                if self.queue.is_empty() {
                    t.abort_requested = true;
                } else {
                    // Commands wait before this ABOR: its answer comes after theirs.
                    self.queue.push_back(Queued::AborDone);
                }
                None
            }
            None => {
                self.prepare(Prepared::None);
                Some(Msg::NoTransferToAbort.reply())
            }
        }
    }

    /// Starts a transfer as a job this task drives.
    fn start_transfer(&mut self, kind: JobKind, what: String) -> std::io::Result<Flow> {
        // A refusal (no place under max_transfers) ends the transfer the way a failed data
        // connection does: through the job's channel, so the core sees it finish.
        let (source, permit) = match self.data_source() {
            Ok((source, permit)) => (source, Ok(permit)),
            Err(refusal) => (DataSource::Taken, Err(refusal)),
        };
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
                requires_close_notify: self.shared.config.tls_upload_requires_close_notify,
            }),
            _ => None,
        };
        let mut job = TransferJob {
            storage,
            source,
            kind,
            events: events_tx,
            abort: abort_rx,
            progress: progress.clone(),
            tls,
            throttle: self.shared.limits.throttle(self.user_limits.as_deref()),
            stall_timeout: self.shared.config.stall_timeout,
            zero_copy: self.shared.config.zero_copy_downloads,
            zero_copy_uploads: self.shared.config.zero_copy_uploads,
            permit: None,
        };
        match permit {
            Ok(permit) => {
                tracing::info!(transfer = %what, "transfer started");
                job.permit = permit;
                self.job = Some(job::Job::new(job.run()));
            }
            Err(refusal) => {
                self.job = Some(job::Job::new(async move {
                    let _ = job.events.send(TransferEvent::Finished(refusal)).await;
                }));
            }
        }
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

/// Completes at `deadline`, or never when there is none.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Does the waiting of the session's passive listener, if any (see PassiveChannel::wait).
async fn wait_passive(listener: &mut Option<PassiveChannel>) {
    match listener {
        Some(l) => l.wait().await,
        None => std::future::pending().await,
    }
}

/// Completes when the server starts shutting down (or its sender is gone).
async fn wait_for_shutdown(rx: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send: drop it inside this function.
    let _ = rx.wait_for(|stop| *stop).await.map(|_| ());
}

/// The running transfer's next report, driving its job meanwhile.
async fn next_event(
    transfer: &mut Option<Running>,
    job: &mut Option<job::Job>,
) -> Option<TransferEvent> {
    match transfer {
        Some(t) => job::next_report(job, &mut t.events).await,
        None => std::future::pending().await,
    }
}

/// How much of an argument is logged before login: enough to see what a client tried, too
/// little for a stranger's 4 KB lines to fill the disk.
const LOG_ARG_BEFORE_LOGIN: usize = 64;
/// How much of an argument is logged after login, in bytes: any real path, but bounded.
const LOG_ARG_AFTER_LOGIN: usize = 1024;

/// Logs one command, never a password. Arguments (and unknown verbs) are cut to
/// [`LOG_ARG_BEFORE_LOGIN`] characters until the session has logged in, to
/// [`LOG_ARG_AFTER_LOGIN`] bytes after, with the full length noted.
fn log_command(cmd: &Command, logged_in: bool) {
    match cmd {
        Command::Known {
            verb: Verb::Pass, ..
        } => tracing::info!(command = "PASS ****"),
        Command::Known { verb, arg: Some(a) } => {
            tracing::info!(command = %format!("{verb} {}", clip_for_log(a, logged_in)))
        }
        Command::Known { verb, arg: None } => tracing::info!(command = %verb),
        Command::Unknown(v) => {
            tracing::info!(command = %clip_for_log(v, logged_in), "unknown command")
        }
        Command::Http(_) => tracing::warn!("HTTP request on the control port"),
    }
}

/// `text` as it goes into the log: whole when short, else its start followed by
/// `…(N bytes)` (cut on a character boundary).
fn clip_for_log(text: &str, logged_in: bool) -> std::borrow::Cow<'_, str> {
    let end = if logged_in {
        // The largest character boundary within the byte cap.
        (0..=LOG_ARG_AFTER_LOGIN.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0)
    } else {
        text.char_indices()
            .nth(LOG_ARG_BEFORE_LOGIN)
            .map_or(text.len(), |(i, _)| i)
    };
    if end >= text.len() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(format!("{}…({} bytes)", &text[..end], text.len()))
    }
}

#[cfg(test)]
mod log_tests {
    use super::clip_for_log;

    /// Guards the log flood: before login a 4 KB argument logs 64 characters and its
    /// length; after login a path is logged whole up to 1 KiB, then cut too.
    #[test]
    fn arguments_are_cut_for_the_log() {
        let long = "é".repeat(2048);
        let before = clip_for_log(&long, false);
        assert_eq!(before, format!("{}…(4096 bytes)", "é".repeat(64)));
        assert_eq!(clip_for_log("short", false), "short");
        let path = "/a".repeat(400);
        assert_eq!(clip_for_log(&path, true), path);
        let after = clip_for_log(&long, true);
        assert_eq!(after, format!("{}…(4096 bytes)", "é".repeat(512)));
        assert_eq!(
            clip_for_log(&"x".repeat(1025), true).len(),
            1024 + "…(1025 bytes)".len()
        );
    }
}
