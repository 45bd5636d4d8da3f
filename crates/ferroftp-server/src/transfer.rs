//! One data transfer as an owned job: it opens the file or listing, makes the data
//! connection, streams the bytes and reports its replies (the preliminary one, then the final one) to
//! the control loop, which stays free to answer NOOP, STAT and ABOR meanwhile.
//!
//! Every byte a download moves goes through [`copy`], every byte an upload
//! receives through [`receive`]; a download from an open file goes
//! through [`send_file`] first, the one place where zero-copy sending (sendfile/splice) can
//! be slotted in later.
//!
//! No reply of a transfer carries an error's text: OS and backend errors go to the log, and
//! the client gets the catalogue's words for what happened.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use ferroftp_proto::ascii;
use ferroftp_proto::catalogue::{Computed, Msg};
use ferroftp_proto::listing::{self, EntryInfo, EntryKind, MlstFacts};
use ferroftp_proto::path::VPath;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{ListFormat, NamePattern, StoreKind};
use ferroftp_proto::Reply;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, oneshot};

use crate::data::{DataError, DataSource};
use crate::errors::storage_error_reply;
use crate::stall::StallClock;
use crate::storage::{ReadStream, Storage, StorageError, WriteMode};
use crate::stream::MaybeTls;
use crate::throttle::{Throttle, Throttled};
use crate::tls::{DataSession, SessionReuse, SessionTls};
use crate::truncation::{is_truncated, RequireCloseNotify};

const CHUNK: usize = 64 * 1024;

/// How much matching and formatting work (glob steps, name bytes) a listing does on an
/// async worker before it yields: a few hundred microseconds at most.
const LIST_WORK_BEFORE_YIELD: u64 = 200_000;

/// What a transfer moves.
#[derive(Debug)]
pub enum JobKind {
    /// RETR.
    Retrieve {
        /// The file.
        path: VPath,
        /// Start offset (REST).
        offset: u64,
        /// TYPE A conversion.
        ascii: bool,
    },
    /// STOR, APPE, STOU.
    Store {
        /// The target, or for STOU the name hint.
        path: VPath,
        /// How to write.
        kind: StoreKind,
        /// TYPE A conversion.
        ascii: bool,
    },
    /// LIST, NLST, MLSD.
    List(ListJob),
}

/// What a listing sends.
#[derive(Debug)]
pub struct ListJob {
    /// What to list.
    pub path: VPath,
    /// In which format.
    pub format: ListFormat,
    /// Only names matching this shell pattern, if any (`NLST *.txt`).
    pub pattern: Option<NamePattern>,
    /// MLSx facts the client chose.
    pub facts: MlstFacts,
    /// The user's permissions, for the `perm` fact.
    pub perms: Permissions,
}

/// A message from a transfer to its control loop.
#[derive(Debug)]
pub enum TransferEvent {
    /// The data connection is open (the preliminary reply).
    Started(Reply),
    /// The transfer ended with this reply (success, or why it failed).
    Finished(Reply),
}

/// A transfer ready to run.
#[derive(Debug)]
pub struct TransferJob {
    /// The user's storage.
    pub storage: Arc<dyn Storage>,
    /// Where the data connection comes from.
    pub source: DataSource,
    /// What to move.
    pub kind: JobKind,
    /// Where to report.
    pub events: mpsc::Sender<TransferEvent>,
    /// Fires on ABOR.
    pub abort: oneshot::Receiver<()>,
    /// Bytes moved so far, for STAT during the transfer.
    pub progress: Arc<AtomicU64>,
    /// TLS for the data connection (`PROT P`), if any.
    pub tls: Option<DataTls>,
    /// Bandwidth limits of the user and the server.
    pub throttle: Throttle,
    /// The transfer ends with `Msg::TransferStalled` once its data connection moves no
    /// byte for this long.
    pub stall_timeout: std::time::Duration,
    /// TCP keepalive for the data connection (see `ServerConfig::tcp_keepalive`).
    pub keepalive: Option<std::time::Duration>,
}

/// How to secure a data connection under `PROT P`.
#[derive(Clone)]
pub struct DataTls {
    /// The TLS side of the control connection's session.
    pub session: SessionTls,
    /// Whether the client sends the data (STOR, APPE, STOU).
    pub upload: bool,
    /// Whether the data connection must resume the control connection's session.
    pub reuse: SessionReuse,
    /// How long the handshake may take; also how long a data connection that resumed the
    /// session of a connection still logging in waits for that login.
    pub timeout: std::time::Duration,
    /// Whether an upload must end with a TLS close_notify to be saved.
    pub requires_close_notify: bool,
}

impl std::fmt::Debug for DataTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataTls")
            .field("reuse", &self.reuse)
            .finish()
    }
}

/// How a transfer ended, before it becomes a reply.
enum Failure {
    Reply(Reply),
    Aborted,
}

impl From<Reply> for Failure {
    fn from(r: Reply) -> Failure {
        Failure::Reply(r)
    }
}

impl TransferJob {
    /// Runs the transfer to its end and reports the final reply.
    pub async fn run(mut self) {
        let events = self.events.clone();
        let kind = std::mem::replace(
            &mut self.kind,
            JobKind::Retrieve {
                path: VPath::root(),
                offset: 0,
                ascii: false,
            },
        );
        let result = match kind {
            JobKind::Retrieve {
                path,
                offset,
                ascii,
            } => self.retrieve(&path, offset, ascii).await,
            JobKind::Store { path, kind, ascii } => self.store(path, kind, ascii).await,
            JobKind::List(job) => self.list(&job).await,
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(Failure::Reply(r)) => r,
            Err(Failure::Aborted) => Msg::TransferAborted.reply(),
        };
        let _ = events.send(TransferEvent::Finished(reply)).await;
    }

    /// Opens the data connection unless ABOR comes first, sends the `started` reply, and
    /// runs the TLS handshake under `PROT P`. The preliminary reply goes first because clients (Python's
    /// ftplib, curl) start their TLS handshake only once they have read it.
    async fn open(&mut self, started: Reply) -> Result<DataConnection, Failure> {
        let mut source = std::mem::replace(&mut self.source, DataSource::Taken);
        let mut announced = false;
        // Whether a connection with someone else's TLS session was shut out: if the client
        // never comes, that is the likelier story to tell than a timeout.
        let mut shut_out = false;
        loop {
            let tcp = tokio::select! {
                r = source.next_connection() => r.map_err(|e| {
                    // The reason (a refused connect, a timeout) is for the log; the reply
                    // names the kind of failure only.
                    tracing::warn!(error = %e, "data connection failed");
                    match e {
                        DataError::Timeout if shut_out => {
                            Failure::Reply(Msg::TlsSessionReuseRequired.reply())
                        }
                        e => Failure::Reply(e.reply()),
                    }
                })?,
                _ = &mut self.abort => return Err(Failure::Aborted),
            };
            crate::net::set_keepalive(&tcp, self.keepalive);
            if !announced {
                let _ = self
                    .events
                    .send(TransferEvent::Started(started.clone()))
                    .await;
                announced = true;
            }
            let Some(tls) = self.tls.clone() else {
                return Ok(MaybeTls::Plain(tcp));
            };
            let handshake =
                tokio::time::timeout(tls.timeout, tls.session.accept_data(tcp, tls.upload));
            let data = tokio::select! {
                r = handshake => match r {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "data connection TLS handshake failed");
                        return Err(Msg::DataTlsFailed.reply().into());
                    }
                    Err(_) => {
                        tracing::warn!("data connection TLS handshake timed out");
                        return Err(Msg::DataTlsFailed.reply().into());
                    }
                },
                _ = &mut self.abort => return Err(Failure::Aborted),
            };
            if tls.reuse == SessionReuse::Required {
                let check = tls.session.check_data_session(&data, tls.timeout);
                let verdict = tokio::select! {
                    v = check => v,
                    _ = &mut self.abort => return Err(Failure::Aborted),
                };
                match verdict {
                    DataSession::SameLogin => {}
                    DataSession::OtherLogin if source.can_wait_again() => {
                        // Someone from the client's address raced to the passive port with a
                        // TLS session of their own: shut them out and wait for the client.
                        tracing::warn!(
                            "closed a data connection that resumed another login's TLS session"
                        );
                        drop(data);
                        shut_out = true;
                        continue;
                    }
                    DataSession::OtherLogin | DataSession::FullHandshake => {
                        tracing::warn!(
                            "data connection did not resume the control connection's TLS session"
                        );
                        // Close cleanly, so the client reads an empty transfer and then our
                        // `Msg::TlsSessionReuseRequired`.
                        let mut stream = data.stream;
                        let _ = stream.shutdown().await;
                        return Err(Msg::TlsSessionReuseRequired.reply().into());
                    }
                }
            }
            // The transfer has its connection: the passive port is free for others.
            source.close();
            return Ok(MaybeTls::Tls(Box::new(data.stream)));
        }
    }

    async fn retrieve(&mut self, path: &VPath, offset: u64, ascii: bool) -> Result<Reply, Failure> {
        let meta = self
            .storage
            .metadata(path)
            .await
            .map_err(|e| storage_error_reply(&e))?;
        if meta.kind == EntryKind::Dir {
            return Err(Msg::RetrDirectory.reply().into());
        }
        if offset > meta.size {
            return Err(Msg::RestBeyondEnd.reply().into());
        }
        let reader = self
            .storage
            .read(path, offset)
            .await
            .map_err(|e| storage_error_reply(&e))?;
        let started = Computed::OpeningRetrieve {
            name: meta.name.clone(),
            ascii,
            bytes: meta.size.saturating_sub(offset),
        };
        let mut data = self.open(started.reply()).await?;
        let conversion = if ascii {
            Conversion::ToNetwork(ascii::ToNetwork::default())
        } else {
            Conversion::None
        };
        let progress = self.progress.clone();
        let clock = StallClock::new();
        let mut metered = Throttled::new(clock.watch(&mut data), self.throttle.download.clone());
        let copied = tokio::select! {
            r = send_file(reader, &mut metered, conversion, &progress) => r,
            _ = &mut self.abort => return Err(Failure::Aborted),
            _ = clock.stalled(self.stall_timeout) => return Err(stalled()),
        };
        match copied {
            Ok(_) => {
                shutdown(&mut data).await?;
                Ok(Msg::TransferComplete.reply())
            }
            Err(CopyError::Read(e)) => {
                tracing::warn!(error = %e, "read failed during RETR");
                Err(Msg::ReadFailed.reply().into())
            }
            Err(CopyError::Write(_)) => Err(Msg::DataConnectionClosed.reply().into()),
        }
    }

    async fn store(&mut self, path: VPath, kind: StoreKind, ascii: bool) -> Result<Reply, Failure> {
        let (target, mode) = match kind {
            StoreKind::Store { offset: 0 } => (path, WriteMode::Create),
            StoreKind::Store { offset } => (path, WriteMode::Resume(offset)),
            StoreKind::Append => (path, WriteMode::Append),
            StoreKind::Unique => (self.unique_name(path).await?, WriteMode::CreateNew),
        };
        // Resuming past the end of what is there would leave a hole of zeros in the file.
        if let WriteMode::Resume(offset) = mode {
            let existing = self.storage.metadata(&target).await.ok();
            if existing.as_ref().is_some_and(|m| m.kind == EntryKind::Dir) {
                return Err(Msg::StoreOverDirectory.reply().into());
            }
            if existing.as_ref().is_none_or(|m| offset > m.size) {
                return Err(Msg::RestBeyondEnd.reply().into());
            }
        }
        // The other modes look at the target only when the upload cannot start: one trip
        // to the disk less per file, and a directory in the way still gets its own reply.
        let upload = match self.storage.write(&target, mode).await {
            Ok(upload) => upload,
            Err(e) => {
                let existing = self.storage.metadata(&target).await.ok();
                if existing.is_some_and(|m| m.kind == EntryKind::Dir) {
                    return Err(Msg::StoreOverDirectory.reply().into());
                }
                return Err(storage_error_reply(&e).into());
            }
        };
        let name = target.file_name().unwrap_or_default().to_owned();
        let started = match kind {
            // RFC 1123 4.1.2.9: the STOU preliminary reply names the file.
            StoreKind::Unique => Computed::UniqueStarting { name },
            _ => Computed::OkToSend { name },
        };
        let mut data = match self.open(started.reply()).await {
            Ok(d) => d,
            Err(f) => {
                upload.abort().await;
                return Err(f);
            }
        };
        let mut upload = upload;
        let conversion = if ascii {
            Conversion::FromNetwork(ascii::FromNetwork::default())
        } else {
            Conversion::None
        };
        let progress = self.progress.clone();
        let requires_close_notify = self.tls.as_ref().is_some_and(|t| t.requires_close_notify);
        let clock = StallClock::new();
        let metered = Throttled::new(
            RequireCloseNotify::new(clock.watch(&mut data), requires_close_notify),
            self.throttle.upload.clone(),
        );
        let copied = tokio::select! {
            r = receive(metered, &mut upload, conversion, &progress) => r,
            _ = &mut self.abort => {
                upload.abort().await;
                return Err(Failure::Aborted);
            }
            // The partial upload is discarded; the old file, if any, stays as it was.
            _ = clock.stalled(self.stall_timeout) => {
                upload.abort().await;
                return Err(stalled());
            }
        };
        if let Err(e) = copied {
            upload.abort().await;
            return Err(match e {
                CopyError::Read(e) if is_truncated(&e) => {
                    tracing::warn!(error = %e, "upload discarded");
                    Msg::UploadTruncated.reply().into()
                }
                CopyError::Read(e) => {
                    tracing::warn!(error = %e, "data connection failed during upload");
                    Msg::UploadLost.reply().into()
                }
                CopyError::Write(e) => {
                    let e = StorageError::from_io(e);
                    tracing::warn!(error = %e, "writing the upload failed");
                    storage_error_reply(&e).into()
                }
            });
        }
        // End our side too (a TLS close_notify): FTPS clients such as Python's ftplib wait
        // for it before they read the final reply.
        let _ = data.shutdown().await;
        match upload.commit().await {
            Ok(_) => Ok(match kind {
                StoreKind::Unique => Computed::UniqueStored {
                    name: target.file_name().unwrap_or_default().to_owned(),
                }
                .reply(),
                _ => Msg::TransferComplete.reply(),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "commit failed");
                Err(commit_failure(&e).into())
            }
        }
    }

    /// Picks a name for STOU: in `hint` itself when it is a directory, else beside it.
    async fn unique_name(&self, hint: VPath) -> Result<VPath, Failure> {
        let (dir, stem) = match self.storage.metadata(&hint).await {
            Ok(m) if m.kind == EntryKind::Dir => (hint, "ftp".to_owned()),
            _ => (hint.parent(), hint.file_name().unwrap_or("ftp").to_owned()),
        };
        for _ in 0..16 {
            let suffix: u32 = rand::random();
            let name = format!("{stem}.{suffix:08x}");
            if let Ok(p) = dir.join(&name) {
                if self.storage.metadata(&p).await.is_err() {
                    return Ok(p);
                }
            }
        }
        Err(Msg::NoUniqueName.reply().into())
    }

    async fn list(&mut self, job: &ListJob) -> Result<Reply, Failure> {
        let ListJob {
            path,
            format,
            pattern,
            facts,
            perms,
        } = job;
        let format = *format;
        // The session checked the pattern against the limits already; a refusal here would
        // mean a caller that skipped it.
        let glob = match pattern {
            Some(p) => Some(
                listing::Glob::new(&p.glob)
                    .map_err(|_| Failure::Reply(Msg::PatternTooComplex.reply()))?,
            ),
            None => None,
        };
        let meta = self
            .storage
            .metadata(path)
            .await
            .map_err(|e| storage_error_reply(&e))?;
        let mut entries = if meta.kind == EntryKind::Dir {
            Some(
                self.storage
                    .list(path)
                    .await
                    .map_err(|e| storage_error_reply(&e))?,
            )
        } else if format == ListFormat::Mlsd {
            return Err(Msg::MlsdNotDirectory.reply().into());
        } else {
            None
        };
        let mut data = self.open(Msg::ListingStarting.reply()).await?;
        let now = SystemTime::now();
        let progress = self.progress.clone();
        let clock = StallClock::new();
        let line = |e: &EntryInfo| -> String {
            let mut s = match format {
                ListFormat::List => listing::list_line(e, now),
                ListFormat::Nlst => listing::nlst_line(&e.name).into_owned(),
                ListFormat::Mlsd => listing::mlsx_line(e, facts, perms),
            };
            s.push_str("\r\n");
            s
        };
        let write_all = async {
            let mut out = BufWriter::with_capacity(16 * 1024, clock.watch(&mut data));
            match entries.as_mut() {
                None => {
                    let l = line(&meta);
                    out.write_all(l.as_bytes())
                        .await
                        .map_err(CopyError::Write)?;
                }
                Some(stream) => {
                    // Matching and formatting run on an async worker: count their work and
                    // hand the worker back now and then, so that a long pattern over a huge
                    // directory never holds up the other sessions.
                    let mut work = 0u64;
                    while let Some(entry) = stream.next().await {
                        let entry = entry.map_err(|e| CopyError::Read(e.into()))?;
                        work += entry.name.len() as u64 + 64;
                        if work >= LIST_WORK_BEFORE_YIELD {
                            work = 0;
                            tokio::task::yield_now().await;
                        }
                        let l = match (pattern, &glob) {
                            (Some(_), Some(g)) if !g.matches_counting(&entry.name, &mut work) => {
                                continue
                            }
                            // NLST names keep the directory the client wrote, for mget.
                            (Some(p), _) if format == ListFormat::Nlst => {
                                format!("{}{}", listing::display_name(&p.prefix), line(&entry))
                            }
                            _ => line(&entry),
                        };
                        progress.fetch_add(l.len() as u64, Ordering::Relaxed);
                        out.write_all(l.as_bytes())
                            .await
                            .map_err(CopyError::Write)?;
                    }
                }
            }
            out.flush().await.map_err(CopyError::Write)
        };
        let written = tokio::select! {
            r = write_all => r,
            _ = &mut self.abort => return Err(Failure::Aborted),
            _ = clock.stalled(self.stall_timeout) => return Err(stalled()),
        };
        match written {
            Ok(()) => {
                shutdown(&mut data).await?;
                Ok(Msg::ListingComplete.reply())
            }
            Err(CopyError::Read(e)) => {
                tracing::warn!(error = %e, "listing failed");
                Err(Msg::ListingFailed.reply().into())
            }
            Err(CopyError::Write(_)) => Err(Msg::ListingClosed.reply().into()),
        }
    }
}

/// A transfer ended by its stall timeout; the log says which.
fn stalled() -> Failure {
    tracing::warn!("data connection stalled: transfer ended");
    Failure::Reply(Msg::TransferStalled.reply())
}

/// A data connection, plain or under TLS.
pub type DataConnection = MaybeTls;

/// The reply when a finished upload cannot be saved: a full disk, a quota or a backend
/// that went away say so; anything else keeps the general "could not save".
fn commit_failure(e: &StorageError) -> Reply {
    match e {
        StorageError::NoSpace(_)
        | StorageError::QuotaExceeded(_)
        | StorageError::FileTooLarge(_)
        | StorageError::Unavailable(_) => storage_error_reply(e),
        _ => Msg::CommitFailed.reply(),
    }
}

/// Sends a download. An open file is, for now, read like any stream; this is where
/// sendfile/splice will take over for plain (non-TLS, binary) data connections.
async fn send_file<W>(
    source: ReadStream,
    dst: &mut W,
    conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    match source {
        // The backend left the cursor at `offset`, so reading from here sends the bytes
        // from the REST offset on, exactly as sendfile(fd, offset, len) will.
        ReadStream::File { file, .. } => copy(file, dst, conversion, progress).await,
        ReadStream::Stream(stream) => copy(stream, dst, conversion, progress).await,
    }
}

async fn shutdown(data: &mut DataConnection) -> Result<(), Failure> {
    data.shutdown()
        .await
        .map_err(|_| Failure::Reply(Msg::DataConnectionClosed.reply()))
}

/// Which side of a copy failed.
#[derive(Debug)]
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// TYPE A conversion applied by [`copy`], if any.
enum Conversion {
    None,
    ToNetwork(ascii::ToNetwork),
    FromNetwork(ascii::FromNetwork),
}

/// Moves bytes from `src` to `dst`, converting line ends for TYPE A, and counts them.
async fn copy<R, W>(
    mut src: R,
    dst: &mut W,
    mut conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::new();
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: most FTPS clients do, and the
            // FTP stream mode marks the end of a file by the close itself.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(CopyError::Read(e)),
        };
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let bytes: &[u8] = match &mut conversion {
            Conversion::None => chunk,
            Conversion::ToNetwork(c) => {
                out.clear();
                c.convert(chunk, &mut out);
                &out
            }
            Conversion::FromNetwork(c) => {
                out.clear();
                c.convert(chunk, &mut out);
                &out
            }
        };
        dst.write_all(bytes).await.map_err(CopyError::Write)?;
        total += n as u64;
        progress.store(total, Ordering::Relaxed);
    }
    if let Conversion::FromNetwork(c) = &mut conversion {
        out.clear();
        c.finish(&mut out);
        dst.write_all(&out).await.map_err(CopyError::Write)?;
    }
    dst.flush().await.map_err(CopyError::Write)?;
    Ok(total)
}

/// How much one read of an upload's data connection may take. Large, so that a fast client
/// costs few wake-ups; the upload gathers the pieces into its own large writes. The kernel's
/// receive buffer is left to its autotuning (setting `SO_RCVBUF` would turn that off).
const RECEIVE_CHUNK: usize = 256 * 1024;

/// How long an upload's data connection may stay quiet before the bytes received so far are
/// flushed to the storage. A client that keeps sending fills whole buffers; one that pauses
/// (or trickles) still sees its bytes reach the disk, and a small file whose end follows its
/// bytes at once is written only with its commit.
const FLUSH_WHEN_IDLE: std::time::Duration = std::time::Duration::from_millis(10);

/// Moves an upload from the data connection into `dst`, converting line ends for TYPE A,
/// and counts the bytes. Unlike [`copy`] it does not flush at the end:
/// [`crate::storage::Upload::commit`] writes what the upload still holds, so a small file
/// reaches the disk in one step with its rename.
async fn receive<R, W>(
    mut src: R,
    dst: &mut W,
    mut conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + ?Sized,
{
    // A small first read size, so a small file never costs the whole chunk; the whole
    // chunk once a read fills it.
    let mut size = 16 * 1024;
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut total = 0u64;
    // Whether bytes were handed to `dst` since it was last flushed.
    let mut unflushed = false;
    loop {
        buf.clear();
        buf.reserve_exact(size);
        let mut limited = (&mut src).take(size as u64);
        let read = limited.read_buf(&mut buf);
        let result = if unflushed {
            tokio::pin!(read);
            tokio::select! {
                biased;
                r = &mut read => r,
                // The client paused: what it sent so far goes to the disk meanwhile,
                // rather than wait in memory for the buffer to fill.
                () = tokio::time::sleep(FLUSH_WHEN_IDLE) => {
                    dst.flush().await.map_err(CopyError::Write)?;
                    read.await
                }
            }
        } else {
            read.await
        };
        let n = match result {
            Ok(n) => n,
            // A TLS peer that closes without close_notify (see `copy`).
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(CopyError::Read(e)),
        };
        if n == 0 {
            break;
        }
        let bytes: &[u8] = match &mut conversion {
            Conversion::FromNetwork(c) => {
                out.clear();
                c.convert(&buf, &mut out);
                &out
            }
            _ => &buf,
        };
        dst.write_all(bytes).await.map_err(CopyError::Write)?;
        unflushed = true;
        if n == size {
            size = RECEIVE_CHUNK;
        }
        total += n as u64;
        progress.store(total, Ordering::Relaxed);
    }
    if let Conversion::FromNetwork(c) = &mut conversion {
        out.clear();
        c.finish(&mut out);
        dst.write_all(&out).await.map_err(CopyError::Write)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek as _, SeekFrom, Write as _};

    /// Bytes with every kind of line end, so TYPE A conversion has work to do.
    fn sample() -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..20_000u32 {
            data.extend_from_slice(format!("line {i}").as_bytes());
            data.extend_from_slice(match i % 3 {
                0 => b"\n".as_slice(),
                1 => b"\r\n",
                _ => b"\r",
            });
        }
        data
    }

    /// A file variant as a backend hands it over: opened, cursor at `offset`.
    fn file_variant(data: &[u8], offset: u64) -> ReadStream {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(data).expect("write");
        f.seek(SeekFrom::Start(offset)).expect("seek");
        ReadStream::File {
            file: tokio::fs::File::from_std(f),
            offset,
            len: (data.len() as u64).saturating_sub(offset),
        }
    }

    fn stream_variant(data: &[u8], offset: u64) -> ReadStream {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        ReadStream::Stream(Box::pin(std::io::Cursor::new(data[start..].to_vec())))
    }

    async fn send(source: ReadStream, ascii: bool) -> (Vec<u8>, u64) {
        let conversion = if ascii {
            Conversion::ToNetwork(ascii::ToNetwork::default())
        } else {
            Conversion::None
        };
        let progress = AtomicU64::new(0);
        let mut out = Vec::new();
        let n = send_file(source, &mut out, conversion, &progress)
            .await
            .expect("send");
        assert_eq!(progress.load(Ordering::Relaxed), n);
        (out, n)
    }

    #[tokio::test]
    async fn file_and_stream_variants_send_identical_bytes() {
        let data = sample();
        let len = data.len() as u64;
        for offset in [
            0,
            1,
            7,
            CHUNK as u64 - 1,
            CHUNK as u64 + 3,
            len - 1,
            len,
            len + 10,
        ] {
            for ascii in [false, true] {
                let (from_file, n_file) = send(file_variant(&data, offset), ascii).await;
                let (from_stream, n_stream) = send(stream_variant(&data, offset), ascii).await;
                assert_eq!(n_file, n_stream, "offset {offset}, ascii {ascii}");
                assert!(from_file == from_stream, "offset {offset}, ascii {ascii}");
                if !ascii {
                    let start = usize::try_from(offset)
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    assert!(from_file == data[start..], "offset {offset}");
                }
            }
        }
    }

    #[test]
    fn commit_failures_name_space_and_quota_but_nothing_else() {
        let cause =
            || -> crate::storage::error::Cause { Box::new(io::Error::other("secret detail")) };
        assert_eq!(commit_failure(&StorageError::NoSpace(cause())).code, 452);
        assert_eq!(
            commit_failure(&StorageError::QuotaExceeded(cause())).code,
            552
        );
        assert_eq!(
            commit_failure(&StorageError::Unavailable(cause())).code,
            421
        );
        let r = commit_failure(&StorageError::Transient(cause()));
        assert_eq!(r, Msg::CommitFailed.reply());
        let r = commit_failure(&StorageError::NotFound(cause()));
        assert_eq!(r, Msg::CommitFailed.reply());
    }
}
