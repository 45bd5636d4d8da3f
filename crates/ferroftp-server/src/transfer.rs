//! One data transfer as an owned job: it opens the file or listing, makes the data
//! connection, streams the bytes and reports its replies (the preliminary one, then the final one) to
//! the control loop, which stays free to answer NOOP, STAT and ABOR meanwhile.
//!
//! An upload goes through `receive`, reading into a buffer; a plain, binary, unthrottled
//! upload larger than its first read into a local file is spliced into it from the
//! socket instead (see [`crate::splice`]). A download takes one of two paths: a plain, binary,
//! unthrottled download of a local file goes out with `sendfile(2)` (see
//! [`crate::sendfile`]); every other one goes through `send_file`, which reads in large
//! blocks and reads the next block while the last one is being written.
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
use futures::{FutureExt as _, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::data::{DataError, DataSource};
use crate::errors::storage_error_reply;
use crate::stall::StallClock;
use crate::storage::{
    ChunkStream, EntryStream, ListLines, ReadStream, Storage, StorageError, WriteMode,
};
use crate::stream::MaybeTls;
use crate::throttle::{Throttle, Throttled};
use crate::tls::{DataSession, SessionReuse, SessionTls};
use crate::truncation::{is_truncated, RequireCloseNotify};

/// Bytes per read of a buffered download. Two such buffers per transfer (one being sent,
/// one being read ahead): 512 KiB, so 50 buffered downloads hold 25 MB. Measured on 1 GiB
/// plain downloads with zero-copy off: 64 KiB blocks cost the server about twice the CPU
/// per byte of 256 KiB ones (the blocking-pool hop per block dominates); 1 MiB blocks
/// saved another fifth of the CPU, not worth four times the memory.
const DOWNLOAD_BLOCK: usize = 256 * 1024;

/// How much matching and formatting work (glob steps, name bytes) a listing does on an
/// async worker before it yields: a few hundred microseconds at most.
const LIST_WORK_BEFORE_YIELD: u64 = 200_000;

/// How many bytes of listing lines are gathered before they go out in one write.
const LIST_BUFFER: usize = 64 * 1024;

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
    /// Whether a download that allows it is sent with `sendfile(2)` (see
    /// `ServerConfig::zero_copy_downloads`).
    pub zero_copy: bool,
    /// Whether an upload that allows it is spliced into its file (see
    /// `ServerConfig::zero_copy_uploads`).
    pub zero_copy_uploads: bool,
    /// This transfer's place under `ServerConfig::max_transfers`, given back before the
    /// final reply goes out.
    pub permit: Option<crate::transfers::TransferPermit>,
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
        // The connection and the file are closed by now; the permit goes too, before the
        // client hears the end and (perhaps) asks for its next data channel at once.
        drop(self);
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
        // Zero-copy only where the bytes on the wire are the file's bytes, unmetered:
        // TLS encrypts them, TYPE A converts them, and a bandwidth limit meters them in
        // small steps, which the buffered path does.
        let zero_copy = self.zero_copy
            && crate::paths::ZERO_COPY_AVAILABLE
            && !ascii
            && !self.throttle.download.is_limited();
        let copied = match (reader, &data) {
            (ReadStream::File { file, offset, .. }, MaybeTls::Plain(tcp)) if zero_copy => {
                let send = crate::sendfile::send_file(&file, offset, tcp, &clock, &progress);
                let sent = tokio::select! {
                    r = send => r,
                    _ = &mut self.abort => return Err(Failure::Aborted),
                    _ = clock.stalled(self.stall_timeout) => return Err(stalled()),
                };
                sent.map_err(|e| match e {
                    crate::paths::ZeroCopyError::File(e) => CopyError::Read(e),
                    crate::paths::ZeroCopyError::Socket(e) => CopyError::Write(e),
                })
            }
            (reader, _) => {
                let mut metered =
                    Throttled::new(clock.watch(&mut data), self.throttle.download.clone());
                tokio::select! {
                    r = send_file(reader, &mut metered, conversion, &progress) => r,
                    _ = &mut self.abort => return Err(Failure::Aborted),
                    _ = clock.stalled(self.stall_timeout) => return Err(stalled()),
                }
            }
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
        // Zero-copy only where the file gets the bytes of the wire, unmetered: TLS
        // decrypts them, TYPE A converts them, and a bandwidth limit meters them in small
        // steps, which the buffered path does.
        let zero_copy = self.zero_copy_uploads
            && crate::paths::ZERO_COPY_AVAILABLE
            && !ascii
            && !self.throttle.upload.is_limited()
            && matches!(data, MaybeTls::Plain(_));
        let receiving = async {
            if zero_copy {
                receive_zero_copy(&mut data, &mut upload, &clock, &progress).await
            } else {
                crate::splice::COUNTS.buffered();
                let metered = Throttled::new(
                    RequireCloseNotify::new(clock.watch(&mut data), requires_close_notify),
                    self.throttle.upload.clone(),
                );
                receive(metered, &mut upload, conversion, &progress, Phase::First)
                    .await
                    .map(Received::total)
            }
        };
        let copied = tokio::select! {
            r = receiving => r,
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
        // for it before they read the final reply. A plain upload's socket never carried
        // our bytes, and closing it (with the job) ends it: no `shutdown` call for nothing.
        if data.is_tls() {
            let _ = data.shutdown().await;
        }
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
        // The recent/old date decision of LIST is made once per listing; NLST names keep
        // the directory the client wrote, for mget.
        let prefix = pattern.as_ref().map_or("", |p| p.prefix.as_str());
        let lines = Arc::new(ListLines::new(
            format,
            SystemTime::now(),
            facts.clone(),
            *perms,
            glob,
            prefix,
        ));
        let mut listed = if meta.kind == EntryKind::Dir {
            // A backend that formats the lines where it reads the entries does so;
            // otherwise the entries come here. NLST shows names only: the backend may
            // skip each entry's facts.
            let listed = match self.storage.list_formatted(path, Arc::clone(&lines)).await {
                Ok(Some(chunks)) => Ok(Listed::Chunks(chunks)),
                Ok(None) if format == ListFormat::Nlst => {
                    self.storage.list_names(path).await.map(Listed::Entries)
                }
                Ok(None) => self.storage.list(path).await.map(Listed::Entries),
                Err(e) => Err(e),
            };
            listed.map_err(|e| storage_error_reply(&e))?
        } else if format == ListFormat::Mlsd {
            return Err(Msg::MlsdNotDirectory.reply().into());
        } else {
            Listed::One(meta)
        };
        let mut data = self.open(Msg::ListingStarting.reply()).await?;
        let progress = self.progress.clone();
        let clock = StallClock::new();
        let write_all = async {
            let mut out = clock.watch(&mut data);
            // Lines are formatted straight into one buffer that goes out in one write when
            // it is full: no allocation per line, few system calls per listing.
            let mut buf = Vec::with_capacity(LIST_BUFFER + 1024);
            match &mut listed {
                Listed::One(meta) => lines.write_bare(&mut buf, meta),
                Listed::Entries(stream) => {
                    // Matching and formatting run on an async worker: count their work and
                    // hand the worker back now and then, so that a long pattern over a huge
                    // directory never holds up the other sessions.
                    let mut work = 0u64;
                    loop {
                        let Some(entry) = next_or_flush(stream, &mut out, &mut buf).await? else {
                            break;
                        };
                        let entry = entry.map_err(|e| CopyError::Read(e.into()))?;
                        work += entry.name.len() as u64 + 64;
                        if work >= LIST_WORK_BEFORE_YIELD {
                            work = 0;
                            tokio::task::yield_now().await;
                        }
                        let before = buf.len();
                        lines.write(&mut buf, &entry, &mut work);
                        progress.fetch_add((buf.len() - before) as u64, Ordering::Relaxed);
                        if buf.len() >= LIST_BUFFER {
                            out.write_all(&buf).await.map_err(CopyError::Write)?;
                            buf.clear();
                        }
                    }
                }
                Listed::Chunks(stream) => loop {
                    // Small chunks are gathered while more are ready.
                    let Some(chunk) = next_or_flush(stream, &mut out, &mut buf).await? else {
                        break;
                    };
                    let chunk = chunk.map_err(|e| CopyError::Read(e.into()))?;
                    progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if chunk.len() >= LIST_BUFFER / 4 {
                        // A big chunk goes out as it is, without a copy, after what
                        // was gathered before it.
                        if !buf.is_empty() {
                            out.write_all(&buf).await.map_err(CopyError::Write)?;
                            buf.clear();
                        }
                        out.write_all(&chunk).await.map_err(CopyError::Write)?;
                    } else {
                        buf.extend_from_slice(&chunk);
                        if buf.len() >= LIST_BUFFER {
                            out.write_all(&buf).await.map_err(CopyError::Write)?;
                            buf.clear();
                        }
                    }
                },
            }
            out.write_all(&buf).await.map_err(CopyError::Write)?;
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

/// What a listing sends: one entry (a file listed by name), the entries of a directory to
/// format here, or the lines its backend formatted.
enum Listed {
    One(EntryInfo),
    Entries(EntryStream),
    Chunks(ChunkStream),
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

/// Sends a download through a buffer: TLS, TYPE A, a bandwidth limit, or a backend
/// without a local file. An open file is read in [`DOWNLOAD_BLOCK`]s on the blocking pool,
/// each block read while the one before is written, so the disk and the network work at
/// the same time and the hop to the pool is paid once per block, not once per 64 KiB.
async fn send_file<W>(
    source: ReadStream,
    dst: &mut W,
    conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    crate::sendfile::COUNTS.buffered();
    match source {
        // Positioned reads from `offset` (the REST offset), so the file's cursor does not
        // matter.
        ReadStream::File { file, offset, .. } => {
            let file = Arc::new(file.into_std().await);
            send_blocks(file, offset, dst, conversion, progress).await
        }
        ReadStream::Stream(stream) => send_stream(stream, dst, conversion, progress).await,
    }
}

/// Reads one block of `file` at `pos` on the blocking pool; gives the buffer back with the
/// byte count (0 at the end of the file).
fn read_block(
    file: Arc<std::fs::File>,
    pos: u64,
    mut buf: Vec<u8>,
) -> tokio::task::JoinHandle<io::Result<(Vec<u8>, usize)>> {
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt as _;
        loop {
            match file.read_at(&mut buf, pos) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(n) => return Ok((buf, n)),
            }
        }
    })
}

/// Sends `file` from `pos` to its end as it is then, double-buffered.
async fn send_blocks<W>(
    file: Arc<std::fs::File>,
    mut pos: u64,
    dst: &mut W,
    mut conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    // Dropped mid-transfer (ABOR, a stall), the read in flight finishes on its own and
    // its block is dropped: no thread waits on the client.
    let mut ahead = read_block(Arc::clone(&file), pos, vec![0u8; DOWNLOAD_BLOCK]);
    let mut spare: Option<Vec<u8>> = None;
    let mut out = Vec::new();
    let mut total = 0u64;
    loop {
        let (buf, n) = ahead
            .await
            .map_err(|e| CopyError::Read(io::Error::other(e)))?
            .map_err(CopyError::Read)?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        let next = spare.take().unwrap_or_else(|| vec![0u8; DOWNLOAD_BLOCK]);
        ahead = read_block(Arc::clone(&file), pos, next);
        write_converted(dst, &mut conversion, &buf[..n], &mut out).await?;
        total += n as u64;
        progress.store(total, Ordering::Relaxed);
        spare = Some(buf);
    }
    dst.flush().await.map_err(CopyError::Write)?;
    Ok(total)
}

/// Sends a backend's stream in [`DOWNLOAD_BLOCK`]s.
async fn send_stream<R, W>(
    mut src: R,
    dst: &mut W,
    mut conversion: Conversion,
    progress: &AtomicU64,
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; DOWNLOAD_BLOCK];
    let mut out = Vec::new();
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).await.map_err(CopyError::Read)?;
        if n == 0 {
            break;
        }
        write_converted(dst, &mut conversion, &buf[..n], &mut out).await?;
        total += n as u64;
        progress.store(total, Ordering::Relaxed);
    }
    dst.flush().await.map_err(CopyError::Write)?;
    Ok(total)
}

/// Writes one chunk of a download, converted for TYPE A if asked.
async fn write_converted<W>(
    dst: &mut W,
    conversion: &mut Conversion,
    chunk: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CopyError>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let bytes = conversion.apply(chunk, out);
    dst.write_all(bytes).await.map_err(CopyError::Write)
}

async fn shutdown(data: &mut DataConnection) -> Result<(), Failure> {
    data.shutdown()
        .await
        .map_err(|_| Failure::Reply(Msg::DataConnectionClosed.reply()))
}

/// The next item of a listing's `stream`: at once when the backend has it ready; when
/// the backend makes us wait, the lines gathered in `buf` go out first, so the client never
/// waits on a half-full buffer.
async fn next_or_flush<T, W>(
    stream: &mut (impl futures::Stream<Item = T> + Unpin + ?Sized),
    out: &mut W,
    buf: &mut Vec<u8>,
) -> Result<Option<T>, CopyError>
where
    W: AsyncWrite + Unpin,
{
    if let Some(next) = stream.next().now_or_never() {
        return Ok(next);
    }
    out.write_all(buf).await.map_err(CopyError::Write)?;
    buf.clear();
    Ok(stream.next().await)
}

/// Which side of a copy failed.
#[derive(Debug)]
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// TYPE A conversion applied to a transfer, if any.
enum Conversion {
    None,
    ToNetwork(ascii::ToNetwork),
    FromNetwork(ascii::FromNetwork),
}

impl Conversion {
    /// `chunk` as it goes on: itself, or its conversion written into `out` (emptied first,
    /// so that one buffer serves a whole transfer).
    fn apply<'a>(&mut self, chunk: &'a [u8], out: &'a mut Vec<u8>) -> &'a [u8] {
        out.clear();
        match self {
            Conversion::None => return chunk,
            Conversion::ToNetwork(c) => c.convert(chunk, out),
            Conversion::FromNetwork(c) => c.convert(chunk, out),
        }
        out
    }
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

/// The size of an upload's first read: small, so a small file never costs the whole
/// [`RECEIVE_CHUNK`]. A read that fills it marks a larger file, which then reads whole
/// chunks or switches to zero-copy.
const FIRST_READ: usize = 16 * 1024;

/// Where [`receive`] starts and when it stops.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// From the first byte to the end of the upload.
    First,
    /// From the first byte until a read fills [`FIRST_READ`] (or the end).
    UntilFull,
    /// On from byte `n`, after `UntilFull` stopped there.
    After(u64),
}

/// How [`receive`] stopped, with the bytes received in all.
#[derive(Debug, Clone, Copy)]
enum Received {
    /// The client closed the connection: the upload is whole.
    End(u64),
    /// A read filled [`FIRST_READ`] (in [`Phase::UntilFull`]); the upload goes on.
    Full(u64),
}

impl Received {
    fn total(self) -> u64 {
        match self {
            Received::End(n) | Received::Full(n) => n,
        }
    }
}

/// Receives a plain, binary, unthrottled upload: the first read into memory as on the
/// buffered path, so that a small file still reaches the disk in one step with its
/// rename; a larger one is then spliced from the socket into the upload's local file
/// (see [`crate::splice`]), or, for a backend without one, goes on through the buffer.
async fn receive_zero_copy(
    data: &mut DataConnection,
    upload: &mut Box<dyn crate::storage::Upload>,
    clock: &StallClock,
    progress: &AtomicU64,
) -> Result<u64, CopyError> {
    let first = receive(
        clock.watch(&mut *data),
        upload,
        Conversion::None,
        progress,
        Phase::UntilFull,
    )
    .await?;
    let Received::Full(before) = first else {
        crate::splice::COUNTS.buffered();
        return Ok(first.total());
    };
    // The pipe comes first: without one (no descriptor left) the upload stays buffered
    // rather than fail.
    let pipe = crate::splice::Pipe::new()
        .inspect_err(|e| tracing::warn!(error = %e, "no pipe for a zero-copy upload"))
        .ok();
    let direct = match (pipe, &*data) {
        (Some(pipe), MaybeTls::Plain(tcp)) => upload.direct().await.map(|d| (d, tcp, pipe)),
        _ => None,
    };
    let Some((direct, tcp, pipe)) = direct else {
        crate::splice::COUNTS.buffered();
        let watched = clock.watch(&mut *data);
        let rest = receive(
            watched,
            upload,
            Conversion::None,
            progress,
            Phase::After(before),
        );
        return rest.await.map(Received::total);
    };
    let mut direct = direct.map_err(CopyError::Write)?;
    let spliced = crate::splice::receive_file(tcp, direct.file(), pipe, clock, progress, before)
        .await
        .map_err(|e| match e {
            crate::paths::ZeroCopyError::Socket(e) => CopyError::Read(e),
            crate::paths::ZeroCopyError::File(e) => CopyError::Write(e),
        })?;
    direct.wrote(spliced);
    Ok(before + spliced)
}

/// Moves an upload from the data connection into `dst`, converting line ends for TYPE A,
/// and counts the bytes. It does not flush at the end:
/// [`crate::storage::Upload::commit`] writes what the upload still holds, so a small file
/// reaches the disk in one step with its rename.
async fn receive<R, W>(
    mut src: R,
    dst: &mut W,
    mut conversion: Conversion,
    progress: &AtomicU64,
    phase: Phase,
) -> Result<Received, CopyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + ?Sized,
{
    // A small first read size, so a small file never costs the whole chunk; the whole
    // chunk once a read fills it.
    let (mut size, mut total) = match phase {
        Phase::First | Phase::UntilFull => (FIRST_READ, 0u64),
        Phase::After(n) => (RECEIVE_CHUNK, n),
    };
    let mut buf = Vec::new();
    let mut out = Vec::new();
    // Whether bytes were handed to `dst` since it was last flushed.
    let mut unflushed = matches!(phase, Phase::After(_));
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
            // A TLS peer that closes without close_notify: most FTPS clients do, and the
            // FTP stream mode marks the end of a file by the close itself.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(CopyError::Read(e)),
        };
        if n == 0 {
            break;
        }
        let bytes = conversion.apply(&buf, &mut out);
        dst.write_all(bytes).await.map_err(CopyError::Write)?;
        unflushed = true;
        total += n as u64;
        progress.store(total, Ordering::Relaxed);
        if n == size {
            if matches!(phase, Phase::UntilFull) {
                return Ok(Received::Full(total));
            }
            size = RECEIVE_CHUNK;
        }
    }
    if let Conversion::FromNetwork(c) = &mut conversion {
        out.clear();
        c.finish(&mut out);
        dst.write_all(&out).await.map_err(CopyError::Write)?;
    }
    Ok(Received::End(total))
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
            DOWNLOAD_BLOCK as u64 - 1,
            DOWNLOAD_BLOCK as u64 + 3,
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

    // Guards the read-ahead of buffered downloads: across block boundaries (one byte
    // before, at and after each, several blocks in all) and with TYPE A conversion, a file
    // sent in blocks gives the same bytes as the same bytes sent as a stream, and counts
    // them all.
    #[tokio::test]
    async fn block_reads_send_every_byte_across_block_boundaries() {
        let mut data = Vec::new();
        while data.len() < 3 * DOWNLOAD_BLOCK + 100 {
            data.extend_from_slice(&sample());
        }
        data.truncate(3 * DOWNLOAD_BLOCK + 100);
        let len = data.len() as u64;
        let block = DOWNLOAD_BLOCK as u64;
        for offset in [0, block - 1, block, block + 1, 2 * block + 7, len - 1, len] {
            for ascii in [false, true] {
                let (from_file, n_file) = send(file_variant(&data, offset), ascii).await;
                let (from_stream, n_stream) = send(stream_variant(&data, offset), ascii).await;
                assert_eq!(n_file, len - offset, "offset {offset}, ascii {ascii}");
                assert_eq!(n_file, n_stream, "offset {offset}, ascii {ascii}");
                assert!(from_file == from_stream, "offset {offset}, ascii {ascii}");
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
