//! The control loop of one session: read command lines, let the protocol core decide, carry
//! out its actions, write the replies. One task per session owns all of the session's state,
//! so no lock is ever held across an `.await`; a transfer runs as a job of its own and
//! reports back over a channel, which keeps NOOP, STAT and ABOR answered while it runs.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::tls::SessionTls;
use ferroftp_proto::args::{format_epsv, format_pasv, TransferType};
use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::listing::{self, EntryKind};
use ferroftp_proto::parser::{parse_line, LineBuffer, LineEvent, ParseError};
use ferroftp_proto::path::VPath;
use ferroftp_proto::session::{
    answered_during_transfer, quote_path, Action, DataChannel, Outcome, Protection, Session,
};
use ferroftp_proto::{Command, Reply, Verb};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::data::{same_host, DataSource, PassiveChannel};
use crate::errors::{closes_session, storage_error_reply};
use crate::server::Shared;
use crate::storage::Storage;
use crate::stream::MaybeTls;
use crate::transfer::{DataTls, JobKind, ListJob, TransferEvent, TransferJob};
use crate::Account;

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

/// One client's control connection and everything it has set up.
pub struct Control {
    shared: Arc<Shared>,
    stream: MaybeTls,
    /// This session's TLS acceptors once it uses TLS; data connections under PROT P use
    /// them too, so they can resume the control connection's session.
    tls: Option<SessionTls>,
    peer: SocketAddr,
    local: SocketAddr,
    session: Session,
    lines: LineBuffer,
    storage: Option<Arc<dyn Storage>>,
    passive: Option<PassiveChannel>,
    active: Option<SocketAddr>,
    transfer: Option<Running>,
    /// A command that arrived during a transfer and waits for it to end.
    pending: Option<Command>,
    shutting_down: bool,
}

impl Control {
    /// A session on a freshly accepted connection.
    pub fn new(
        shared: Arc<Shared>,
        stream: MaybeTls,
        peer: SocketAddr,
        local: SocketAddr,
        tls: Option<SessionTls>,
    ) -> Control {
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
            passive: None,
            active: None,
            transfer: None,
            pending: None,
            shutting_down: false,
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
            Action::User(name) => {
                // A new USER starts a new login: this connection's tickets stop vouching
                // for the old one.
                if let Some(tls) = &self.tls {
                    tls.set_user(None);
                }
                let policy = self.shared.auth.tls_policy(&name);
                self.session.on_user(&name, policy)
            }
            Action::Authenticate { user, password } => self.login(&user, &password).await,
            Action::Reinitialize => {
                self.passive = None;
                self.active = None;
                self.storage = None;
                if let Some(tls) = &self.tls {
                    tls.set_user(None);
                }
                Msg::SessionReset.reply()
            }
            Action::Passive { extended, protocol } => self.open_passive(extended, protocol),
            Action::Active(addr) => self.set_active(addr),
            Action::Abort => match self.abort() {
                Some(r) => r,
                // The job answers 426; then we answer 226 (see on_transfer_event).
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

    /// File and directory commands answered over the control connection alone.
    async fn file_action(&mut self, storage: &dyn Storage, action: Action) -> Reply {
        let result = match action {
            Action::ChangeDir(path) => match storage.metadata(&path).await {
                Ok(m) if m.kind == EntryKind::Dir => Ok(self.session.on_cwd(path)),
                Ok(_) => Ok(Msg::NotADirectory.reply()),
                Err(e) => Err(e),
            },
            Action::MakeDir(path) => storage
                .mkdir(&path)
                .await
                .map(|()| Reply::new(257, format!("{} created.", quote_path(&path)))),
            Action::RemoveDir(path) if path.is_root() => Ok(Msg::RootNotRemovable.reply()),
            Action::RemoveDir(path) => storage
                .rmdir(&path)
                .await
                .map(|()| Msg::DirectoryRemoved.reply()),
            Action::Delete(path) => match storage.metadata(&path).await {
                Ok(m) if m.kind == EntryKind::Dir => Ok(Msg::DeleIsDirectory.reply()),
                _ => storage
                    .delete(&path)
                    .await
                    .map(|()| Msg::FileDeleted.reply()),
            },
            Action::RenameFrom(path) if path.is_root() => Ok(Msg::RootNotRenamable.reply()),
            Action::RenameFrom(path) => storage
                .metadata(&path)
                .await
                .map(|m| self.session.on_rename_from_entry(path, m.kind)),
            Action::Rename { from, to } => storage
                .rename(&from, &to)
                .await
                .map(|()| Msg::Renamed.reply()),
            Action::Size(path) => storage.metadata(&path).await.map(|m| match m.kind {
                EntryKind::Dir => Msg::NotAPlainFile.reply(),
                _ => Reply::new(213, m.size.to_string()),
            }),
            Action::Mdtm(path) => storage.metadata(&path).await.map(|m| match m.modified {
                Some(t) => Reply::new(213, listing::format_mdtm(t)),
                None => Msg::MtimeUnknown.reply(),
            }),
            Action::Mfmt { path, time } => storage.set_modified(&path, time).await.map(|()| {
                Reply::new(
                    213,
                    format!("Modify={}; {}", listing::format_mdtm(time), path),
                )
            }),
            Action::Chmod { path, mode } => storage
                .chmod(&path, mode)
                .await
                .map(|()| Msg::ChmodDone.reply()),
            Action::Mlst(path) => storage.metadata(&path).await.map(|mut m| {
                m.name = path.to_string();
                let facts =
                    listing::mlsx_line(&m, self.session.mlst_facts(), self.session.permissions());
                Reply::multi(
                    250,
                    vec![format!("Listing {path}"), format!(" {facts}"), "End".into()],
                )
            }),
            other => {
                tracing::error!(?other, "action reached the wrong handler");
                Ok(Msg::LocalError.reply())
            }
        };
        result.unwrap_or_else(|e| storage_error_reply(&e))
    }

    async fn login(&mut self, user: &str, password: &str) -> Reply {
        let account = match self.anonymous_account(user) {
            Some(a) => Ok(a),
            None => self.shared.auth.authenticate(user, password).await,
        };
        match account {
            Ok(account) => match self.shared.config.storage.open(&account) {
                Ok(storage) => {
                    tracing::info!(user, "login ok");
                    self.session.set_capabilities(storage.capabilities());
                    self.storage = Some(storage);
                    if let Some(tls) = &self.tls {
                        tls.set_user(Some(&account.name));
                    }
                    self.session.on_login(Some(account.permissions))
                }
                Err(e) => {
                    tracing::error!(user, home = %account.home.display(), error = %e, "home directory unavailable");
                    let _ = self.session.on_login(None);
                    Msg::HomeUnavailable.reply()
                }
            },
            Err(e) => {
                tracing::info!(user, reason = %e, "login failed");
                tokio::time::sleep(self.shared.config.login_failure_delay).await;
                self.session.on_login(None)
            }
        }
    }

    fn anonymous_account(&self, user: &str) -> Option<Account> {
        let anon = self.shared.config.anonymous.as_ref()?;
        if !(user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")) {
            return None;
        }
        let permissions = if anon.writable {
            ferroftp_proto::perms::Permissions::ALL
        } else {
            ferroftp_proto::perms::Permissions::READ_ONLY
        };
        Some(Account {
            name: "anonymous".to_owned(),
            home: anon.root.clone(),
            permissions,
        })
    }

    fn open_passive(&mut self, extended: bool, protocol: Option<u8>) -> Reply {
        let local_ip = self.local.ip().to_canonical();
        match protocol {
            Some(1) if local_ip.is_ipv6() => return Msg::NetworkProtocolUnsupported.reply(),
            Some(2) if local_ip.is_ipv4() => return Msg::NetworkProtocolUnsupported.reply(),
            _ => {}
        }
        let advertised = match (extended, self.shared.config.passive_address, local_ip) {
            (true, _, _) => None,
            (false, Some(IpAddr::V4(a)), _) => Some(a),
            (false, _, IpAddr::V4(a)) => Some(a),
            (false, _, IpAddr::V6(_)) => return Msg::PasvNeedsIpv4.reply(),
        };
        // A second PASV/EPSV replaces (and so closes) the earlier listener.
        self.passive = None;
        self.active = None;
        let channel = match PassiveChannel::open(
            &self.shared.ports,
            self.local.ip(),
            self.peer.ip(),
            self.shared.config.data_connect_timeout,
        ) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "passive listener failed");
                self.session.on_data_channel(DataChannel::None);
                return Reply::new(425, format!("Can't open passive connection: {e}."));
            }
        };
        let port = channel.port;
        self.passive = Some(channel);
        self.session.on_data_channel(DataChannel::Passive);
        match advertised {
            Some(ip) => Reply::new(227, format_pasv(std::net::SocketAddrV4::new(ip, port))),
            None => Reply::new(229, format_epsv(port)),
        }
    }

    fn set_active(&mut self, addr: SocketAddr) -> Reply {
        if !self.shared.config.allow_foreign_data_address && !same_host(addr.ip(), self.peer.ip()) {
            tracing::warn!(%addr, "refused PORT/EPRT to a foreign address");
            return Msg::BounceRefused.reply();
        }
        if addr.port() == 0 {
            return Msg::BadArgument.reply();
        }
        self.passive = None;
        self.active = Some(addr);
        self.session.on_data_channel(DataChannel::Active(addr));
        Msg::PortOk.reply()
    }

    /// ABOR: signals a running transfer (which then answers `426`), or answers `225`.
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
                self.passive = None;
                self.active = None;
                self.session.on_data_channel(DataChannel::None);
                Some(Msg::NoTransferToAbort.reply())
            }
        }
    }

    fn status(&self) -> Reply {
        let mut lines = vec!["ferroftp status:".to_owned()];
        lines.push(format!("Connected from {}", self.peer.ip()));
        match self.session.user() {
            Some(u) => lines.push(format!("Logged in as {u}")),
            None => lines.push("Not logged in".to_owned()),
        }
        let ty = match self.session.transfer_type() {
            TransferType::Ascii => "ASCII",
            TransferType::Binary => "BINARY",
        };
        lines.push(format!("TYPE: {ty}, STRUcture: File, MODE: Stream"));
        match &self.transfer {
            Some(t) => lines.push(format!(
                "Transfer in progress: {}, {} bytes so far",
                t.what,
                t.progress.load(Ordering::Relaxed)
            )),
            None => lines.push("No data connection".to_owned()),
        }
        lines.push("End of status".to_owned());
        Reply::multi(211, lines)
    }

    /// STAT path: a LIST-style listing over the control connection, streamed line by line.
    async fn stat_path(&mut self, path: VPath) -> std::io::Result<Flow> {
        let Some(storage) = self.storage() else {
            self.send(&Msg::PleaseLogin.reply()).await?;
            return Ok(Flow::Continue);
        };
        let meta = match storage.metadata(&path).await {
            Ok(m) => m,
            Err(e) => return self.send_storage_error(&e).await,
        };
        let now = std::time::SystemTime::now();
        if meta.kind != EntryKind::Dir {
            let line = listing::list_line(&meta, now);
            let reply = Reply::multi(
                213,
                vec![
                    format!("Status of {path}:"),
                    format!(" {line}"),
                    "End of status".into(),
                ],
            );
            self.send(&reply).await?;
            return Ok(Flow::Continue);
        }
        let mut entries = match storage.list(&path).await {
            Ok(s) => s,
            Err(e) => return self.send_storage_error(&e).await,
        };
        let head = format!("212-Status of {path}:\r\n");
        self.stream.write_all(head.as_bytes()).await?;
        while let Some(entry) = entries.next().await {
            let Ok(entry) = entry else { continue };
            // One leading space keeps a name that starts with digits from ending the reply.
            let line = format!(
                " {}\r\n",
                listing::list_line(&entry, now).replace(['\r', '\n'], " ")
            );
            self.stream.write_all(line.as_bytes()).await?;
        }
        self.stream.write_all(b"212 End of status\r\n").await?;
        self.stream.flush().await?;
        Ok(Flow::Continue)
    }

    /// Answers a storage failure; a backend that is down ends the session.
    async fn send_storage_error(
        &mut self,
        e: &crate::storage::StorageError,
    ) -> std::io::Result<Flow> {
        let reply = storage_error_reply(e);
        self.send(&reply).await?;
        Ok(if closes_session(&reply) {
            Flow::Close
        } else {
            Flow::Continue
        })
    }

    /// AUTH TLS: `234`, then the handshake on the control connection.
    async fn start_tls(&mut self) -> std::io::Result<Flow> {
        let Some(tls) = self.shared.tls.clone() else {
            self.send(&Msg::TlsNotConfigured.reply()).await?;
            return Ok(Flow::Continue);
        };
        // Commands sent in the clear after AUTH TLS would be read as if they came over
        // TLS (the STARTTLS injection attack): refuse the session instead.
        if !self.lines.is_empty() {
            tracing::warn!("plain-text commands pipelined after AUTH TLS: closing");
            self.send(&Msg::PlaintextAfterAuth.reply()).await?;
            return Ok(Flow::Close);
        }
        self.send(&Msg::AuthTlsOk.reply()).await?;
        self.stream.flush().await?;
        let Some(tcp) = self.stream.take_plain() else {
            return Ok(Flow::Close);
        };
        let session_tls = tls.session(self.peer.ip());
        let handshake = session_tls.accept_control(tcp);
        match tokio::time::timeout(self.shared.config.tls_handshake_timeout, handshake).await {
            Ok(Ok(stream)) => {
                self.stream = MaybeTls::Tls(Box::new(stream));
                self.tls = Some(session_tls);
                self.session.on_tls_established();
                tracing::info!("control connection secured with TLS");
                Ok(Flow::Continue)
            }
            Ok(Err(e)) => {
                tracing::info!(error = %e, "TLS handshake on the control connection failed");
                Ok(Flow::Close)
            }
            Err(_) => {
                tracing::info!("TLS handshake on the control connection timed out");
                Ok(Flow::Close)
            }
        }
    }

    /// Hands a transfer to a job of its own.
    fn start_transfer(&mut self, kind: JobKind, what: String) -> std::io::Result<Flow> {
        let source = match (self.passive.take(), self.active.take()) {
            (Some(p), _) => DataSource::Passive(p),
            (None, Some(target)) => DataSource::Active {
                local_ip: self.local.ip(),
                target,
                timeout: self.shared.config.data_connect_timeout,
            },
            // The core only lets a transfer through with a channel set up.
            (None, None) => DataSource::Taken,
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
