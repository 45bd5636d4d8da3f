//! Listing a local directory: `getdents` and one `statx` per entry, on at most two blocking
//! jobs per listing at once, and on at most a server-wide number of jobs in all.
//!
//! Nearly all of a listing's time is the kernel's (the name lookup and attribute copy of
//! each `statx`, then `getdents`), so this module spends as little as it can around those
//! calls and spreads them over two cores: the names of a batch are read by one `getdents`
//! into a reused buffer and kept in one allocation, each entry is examined with one `statx`
//! relative to the open directory that asks only for the facts the formats show. The two
//! jobs take the parts ([`PART`] entries each) of a batch in turn, and when few parts are
//! left, one job reads the next batch while the other examines them: neither job idles
//! while entries are left, a `getdents` overlaps the other job's stats, and at the end of
//! a listing at most one part is left to one job. The parts of a batch are joined in
//! order, and the batches come out in the directory's order, whatever order the jobs
//! finish in.
//!
//! A listing the transfer wants formatted ([`formatted`]) goes one step further: each job
//! formats its batch into one buffer of lines right after examining it, refilling one
//! scratch entry rather than allocating one per entry, so that the async worker only
//! sends ready chunks and the formatting runs on the two cores that do the examining.
//! Each job examines through a handle of its own on the directory (see [`own_handle`]).
//!
//! Bounds: a listing runs at most [`JOBS_PER_LISTING`] jobs and holds at most `AHEAD + 1`
//! batches (read ahead, and the one being sent) of at most [`LIST_BATCH`] entries each,
//! whatever the directory's size. A job reads another batch only while there is room
//! for it; with none it waits, holding no permit, for the consumer to take a batch, at
//! most [`ROOM_WAIT`], so a client that stops reading soon holds no thread; and a job
//! holds a permit of the server's [`ListingJobs`] for each part, so that many listings
//! cannot take the whole blocking pool.

use std::collections::VecDeque;
use std::ffi::{CStr, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use cap_std::fs::Dir;
use ferroftp_proto::listing::{EntryInfo, EntryKind};
use futures::task::AtomicWaker;
use futures::StreamExt as _;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, StatxFlags};
use std::os::fd::OwnedFd;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{entry_for, is_temp_name, write_unique_id, LIST_BATCH};
use crate::storage::{ChunkStream, EntryStream, ListLines, StorageError};

/// How many blocking jobs one listing runs at once: one examines its batch while the next
/// reads and examines the following one, which keeps two cores busy.
pub(super) const JOBS_PER_LISTING: usize = 2;

/// The smallest room a `getdents` record takes (19 bytes of header, a one-byte name and
/// its NUL, padded to 8): a buffer of `LIST_BATCH` of them never holds more entries.
const MIN_DIRENT: usize = 24;

/// The facts a listing shows, all a `statx` is asked for (the kernel may skip the rest).
const FACTS: StatxFlags = StatxFlags::TYPE
    .union(StatxFlags::MODE)
    .union(StatxFlags::SIZE)
    .union(StatxFlags::MTIME)
    .union(StatxFlags::INO);

/// The server-wide bound on listing jobs: the blocking threads all listings together may use
/// at once. Cloning shares the bound.
#[derive(Clone)]
pub struct ListingJobs {
    inner: Arc<JobsInner>,
}

struct JobsInner {
    permits: Arc<Semaphore>,
    /// The configured number of permits (the semaphore only knows the free ones).
    size: Mutex<usize>,
    /// Jobs running now, and the most that ever ran at once (for tests and metrics).
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Listings whose jobs formatted the lines themselves (for tests and metrics).
    formatted: AtomicU64,
    /// Jobs started (for tests and metrics).
    starts: AtomicU64,
    /// Test hook: each job waits, up to a deadline, until this many run at once (once that
    /// happened the gate stays open), so that a test sees real overlap without timing.
    #[cfg(test)]
    gate: Option<(usize, Mutex<bool>, std::sync::Condvar)>,
}

impl fmt::Debug for ListingJobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListingJobs")
            .field("size", &self.size())
            .field("running", &self.inner.running.load(Ordering::Relaxed))
            .finish()
    }
}

impl ListingJobs {
    /// A bound of `n` jobs at once (at least 1).
    pub fn new(n: usize) -> ListingJobs {
        let n = n.clamp(1, Semaphore::MAX_PERMITS);
        ListingJobs {
            inner: Arc::new(JobsInner {
                permits: Arc::new(Semaphore::new(n)),
                size: Mutex::new(n),
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                formatted: AtomicU64::new(0),
                starts: AtomicU64::new(0),
                #[cfg(test)]
                gate: None,
            }),
        }
    }

    /// The default bound: twice the CPUs, since a job waits on the disk as often as it
    /// computes, and never fewer than one listing's worth.
    pub fn default_size() -> usize {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        (2 * cpus).max(JOBS_PER_LISTING)
    }

    /// The bound the storages opened without a server's own share, one per process.
    pub fn process_default() -> ListingJobs {
        static DEFAULT: OnceLock<ListingJobs> = OnceLock::new();
        DEFAULT
            .get_or_init(|| ListingJobs::new(ListingJobs::default_size()))
            .clone()
    }

    /// Changes the bound to `n` (at least 1). Meant for start-up: while jobs hold permits,
    /// a smaller bound takes effect as they finish, at the latest.
    pub fn resize(&self, n: usize) {
        let n = n.clamp(1, Semaphore::MAX_PERMITS);
        let mut size = self.inner.size.lock().unwrap_or_else(|p| p.into_inner());
        if n > *size {
            self.inner.permits.add_permits(n - *size);
        } else {
            // Permits held now cannot be taken back; forget the free ones only.
            self.inner.permits.forget_permits(*size - n);
        }
        *size = n;
    }

    /// The configured bound.
    pub fn size(&self) -> usize {
        *self.inner.size.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most jobs that ever ran at once under this bound.
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// How many listings under this bound had their lines formatted by their jobs.
    pub fn formatted_listings(&self) -> u64 {
        self.inner.formatted.load(Ordering::Relaxed)
    }

    /// How many jobs listings under this bound started.
    pub fn starts(&self) -> u64 {
        self.inner.starts.load(Ordering::Relaxed)
    }

    /// A permit, waiting for one.
    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.inner.permits).acquire_owned().await.ok()
    }

    /// A permit if one is free now.
    fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.inner.permits).try_acquire_owned().ok()
    }

    /// Counts a job in for as long as the returned guard lives.
    fn enter(&self) -> Running<'_> {
        let now = self.inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.peak.fetch_max(now, Ordering::SeqCst);
        #[cfg(test)]
        self.wait_at_gate(now);
        Running(self)
    }

    #[cfg(test)]
    fn with_gate(n: usize, target: usize) -> ListingJobs {
        let jobs = ListingJobs::new(n);
        let mut inner = Arc::try_unwrap(jobs.inner).unwrap_or_else(|_| unreachable!());
        inner.gate = Some((target, Mutex::new(false), std::sync::Condvar::new()));
        ListingJobs {
            inner: Arc::new(inner),
        }
    }

    #[cfg(test)]
    fn wait_at_gate(&self, now: usize) {
        let Some((target, open, cv)) = &self.inner.gate else {
            return;
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut open = open.lock().unwrap_or_else(|p| p.into_inner());
        if now >= *target {
            *open = true;
            cv.notify_all();
        }
        while !*open {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                // The overlap never came: let the test see the peak it got.
                *open = true;
                cv.notify_all();
                break;
            }
            open = cv
                .wait_timeout(open, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// A running listing job, counted in [`ListingJobs`] until dropped.
struct Running<'a>(&'a ListingJobs);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.inner.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Opens `dir` (a capability, maybe without the right to read) for reading its entries.
/// `.` from an open directory cannot leave it.
pub(super) fn open_for_reading(dir: &Dir) -> std::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    Ok(rustix::fs::openat(dir, c".", flags, Mode::empty())?)
}

/// The entries of the directory `dir` (open by [`open_for_reading`], at `dir_rel` under
/// `root`), with their facts or names only, read ahead by up to [`JOBS_PER_LISTING`] jobs
/// under `jobs`.
pub(super) fn stream(
    root: Arc<Dir>,
    dir: OwnedFd,
    dir_rel: PathBuf,
    facts: bool,
    jobs: ListingJobs,
) -> EntryStream {
    let shared = Shared::new(root, dir, dir_rel, facts, jobs, LIST_BATCH * MIN_DIRENT);
    streamed(Arc::new(shared))
}

/// Like [`stream`], but each job formats its batch with `lines` right after examining it:
/// the listing comes out as one chunk of lines per batch.
pub(super) fn formatted(
    root: Arc<Dir>,
    dir: OwnedFd,
    dir_rel: PathBuf,
    lines: Arc<ListLines>,
    jobs: ListingJobs,
) -> ChunkStream {
    jobs.inner.formatted.fetch_add(1, Ordering::Relaxed);
    let facts = !lines.names_only();
    let mut shared = Shared::new(root, dir, dir_rel, facts, jobs, LIST_BATCH * MIN_DIRENT);
    shared.lines = Some(lines);
    chunked(Arc::new(shared))
}

/// The stream of the formatted batches of `shared`, chunk by chunk.
fn chunked(shared: Arc<Shared>) -> ChunkStream {
    batches(shared, |out| match out {
        Output::Bytes(b) if !b.is_empty() => vec![b],
        // Nothing matched in this batch, or the batch failed before any line.
        _ => Vec::new(),
    })
}

/// The stream of the batches of `shared`, entry by entry.
fn streamed(shared: Arc<Shared>) -> EntryStream {
    batches(shared, |out| match out {
        Output::Entries(v) => v,
        // Only a formatted listing makes bytes, and it is never streamed here.
        Output::Bytes(_) => Vec::new(),
    })
}

/// The batches of `shared` in order, each turned into `items` and followed by the error
/// that ended its reading, if any.
fn batches<T: Send + 'static>(
    shared: Arc<Shared>,
    items: fn(Output) -> Vec<T>,
) -> std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, StorageError>> + Send>> {
    let ahead = ReadAhead::started(shared);
    Box::pin(
        futures::stream::unfold(ahead, move |mut ahead| async move {
            let batch = ahead.next_batch().await?;
            let items = items(batch.out)
                .into_iter()
                .map(Ok)
                .chain(batch.err.map(Err));
            Some((futures::stream::iter(items), ahead))
        })
        .flatten(),
    )
}

impl Shared {
    /// A listing whose batches are read by `getdents` into `batch_bytes` of buffer.
    fn new(
        root: Arc<Dir>,
        dir: OwnedFd,
        dir_rel: PathBuf,
        facts: bool,
        jobs: ListingJobs,
        batch_bytes: usize,
    ) -> Shared {
        Shared {
            root,
            dir,
            dir_rel,
            facts,
            lines: None,
            jobs,
            cursor: Mutex::new(Cursor {
                next: 0,
                buf: Vec::with_capacity(batch_bytes),
            }),
            claims: Mutex::new(Claims {
                open: VecDeque::with_capacity(2),
                reading: false,
            }),
            read_done: Condvar::new(),
            room: Condvar::new(),
            room_wait: ROOM_WAIT,
            state: Mutex::new(State {
                ready: Vec::with_capacity(AHEAD),
                held: 0,
                workers: 0,
                waiting: 0,
            }),
            exhausted: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            #[cfg(test)]
            part_gate: None,
        }
    }
}

/// How many batches of a listing may exist besides the one being sent: read, being read,
/// or waiting for the consumer. Two more than the jobs: besides the batch under way and
/// the one read ahead while its last parts are examined, room for the ready ones, so that
/// the jobs go on while the consumer sends.
const AHEAD: usize = JOBS_PER_LISTING + 2;

/// What the jobs of one listing share.
struct Shared {
    root: Arc<Dir>,
    /// The listed directory, open: `getdents` reads it and each `statx` starts from it.
    dir: OwnedFd,
    dir_rel: PathBuf,
    /// Whether entries get their facts (a stat each) or only their names (NLST).
    facts: bool,
    /// When set, jobs format their batches into lines with it instead of handing over
    /// the entries.
    lines: Option<Arc<ListLines>>,
    jobs: ListingJobs,
    /// The directory's read position is the kernel's: one job at a time reads names.
    cursor: Mutex<Cursor>,
    /// The batches read whose parts are not all taken yet, and whether a job reads.
    claims: Mutex<Claims>,
    /// Signalled when a job ends its read.
    read_done: Condvar,
    /// Signalled (with `state`) when the consumer takes a batch or gives the listing up.
    room: Condvar,
    /// How long a job waits for room: [`ROOM_WAIT`].
    room_wait: Duration,
    /// Batches and jobs, for the consumer.
    state: Mutex<State>,
    /// The directory is read to its end (or failed): no more batches to start.
    exhausted: AtomicBool,
    /// Set when the listing is dropped: jobs stop at their next check.
    closed: AtomicBool,
    /// A job died (a panic) and its batch with it: the listing ends with an error.
    failed: AtomicBool,
    /// The consumer, woken when a batch is ready or a job ends.
    waker: AtomicWaker,
    /// Test hook: a job that handed in a part waits, up to a deadline, until jobs on two
    /// threads have handed in parts, so that a test sees the parts shared without timing.
    #[cfg(test)]
    part_gate: Option<PartGate>,
}

/// The reading end of a listing.
struct Cursor {
    /// The number of the next batch to read: batches are numbered in directory order.
    next: u64,
    /// The `getdents` buffer, reused by every batch.
    buf: Vec<u8>,
}

/// The parts to take.
struct Claims {
    /// Batches read, in order, each with the next part to take, while one is left: at
    /// most two (the one under way and the one read ahead).
    open: VecDeque<(Arc<Open>, usize)>,
    /// A job is reading the next batch.
    reading: bool,
}

/// What a job does next.
enum Move {
    /// Read the next batch.
    Read,
    /// Wait for the job reading the next batch.
    Wait,
    /// Examine this part of this batch.
    Part(Arc<Open>, usize),
    /// Wait for the consumer to take a batch: there is no room to read another.
    NoRoom,
    /// End: nothing left, or nobody to read for.
    End,
}

/// What came of a job's step.
enum Step {
    /// A part was examined.
    Worked,
    /// Nothing to examine and no room to read the next batch.
    NoRoom,
    /// Nothing left, or the listing was given up.
    Done,
}

/// How long a job with no room for the next batch waits for the consumer to take one
/// before it ends (and the consumer starts a new one when it takes one later).
const ROOM_WAIT: Duration = Duration::from_millis(5);

/// When a batch's parts not yet taken are this few, a job reads the next batch: the
/// other job examines them meanwhile, so a `getdents` costs no core its stats.
const LOW_PARTS: usize = 2;

/// Ends a read of the next batch when dropped, even by a panic.
struct Reading<'a>(&'a Shared);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.claims().reading = false;
        self.0.read_done.notify_all();
    }
}

/// A batch read, its parts being examined.
struct Open {
    number: u64,
    names: Names,
    /// Whether it is the listing's last.
    last: bool,
    done: Mutex<Assembly>,
}

/// The parts of a batch examined so far.
struct Assembly {
    /// Each part's output, in order, once handed in.
    parts: Vec<Option<Output>>,
    /// Parts not handed in yet.
    left: usize,
    /// The error that ended the reading after the batch's entries.
    err: Option<StorageError>,
}

/// The listing's batches and jobs.
struct State {
    /// Batches done, not yet taken, with their numbers.
    ready: Vec<(u64, Batch)>,
    /// Batches being read or ready: at most [`AHEAD`].
    held: usize,
    /// Jobs running: at most [`JOBS_PER_LISTING`].
    workers: usize,
    /// Jobs waiting for room (see `Shared::wait_for_room`).
    waiting: usize,
}

/// One batch as it leaves its job: entries (or their lines) in directory order, the error
/// that ended the reading after them, and whether it is the last.
struct Batch {
    out: Output,
    err: Option<StorageError>,
    last: bool,
}

/// What a job makes of a batch.
enum Output {
    /// The entries, for the transfer to format.
    Entries(Vec<EntryInfo>),
    /// Their lines, formatted by the job.
    Bytes(Vec<u8>),
}

/// The consuming end of a listing.
struct ReadAhead {
    shared: Arc<Shared>,
    /// How many batches were taken: the number of the next one.
    taken: u64,
    /// The last batch was taken.
    ended: bool,
}

impl ReadAhead {
    /// The consuming end of `shared`, its jobs started at once when permits are free: the
    /// first batches are read while the transfer opens its data connection.
    fn started(shared: Arc<Shared>) -> ReadAhead {
        let mut ahead = ReadAhead {
            shared,
            taken: 0,
            ended: false,
        };
        // Outside a runtime there is no blocking pool to start on; the first poll starts
        // the jobs then.
        if tokio::runtime::Handle::try_current().is_ok() {
            ahead.top_up();
        }
        ahead
    }

    /// The next batch in directory order, `None` after the last.
    async fn next_batch(&mut self) -> Option<Batch> {
        if self.ended {
            return None;
        }
        loop {
            if let Some(batch) = self.take() {
                self.ended = batch.last;
                // More jobs before this batch is formatted and sent.
                self.top_up();
                return Some(batch);
            }
            if self.shared.failed.load(Ordering::SeqCst) {
                self.ended = true;
                let e = StorageError::reason(StorageError::Transient, "a listing job failed");
                return Some(Batch {
                    out: Output::Entries(Vec::new()),
                    err: Some(e),
                    last: true,
                });
            }
            if self.workers() == 0 {
                // Nothing under way and nothing ready: this listing waits in line for a
                // permit (the semaphore is fair), then starts a job.
                let permit = self.shared.jobs.acquire().await?;
                self.start(permit);
                continue;
            }
            self.top_up();
            // Woken by a job that finished a batch or ended.
            futures::future::poll_fn(|cx| {
                self.shared.waker.register(cx.waker());
                if self.has_next()
                    || self.workers() == 0
                    || self.shared.failed.load(Ordering::SeqCst)
                {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn workers(&self) -> usize {
        self.state().workers
    }

    fn has_next(&self) -> bool {
        self.state().ready.iter().any(|(n, _)| *n == self.taken)
    }

    /// The next batch, if it is ready.
    fn take(&mut self) -> Option<Batch> {
        let mut state = self.state();
        let i = state.ready.iter().position(|(n, _)| *n == self.taken)?;
        let (_, batch) = state.ready.swap_remove(i);
        state.held -= 1;
        let waiting = state.waiting > 0;
        drop(state);
        if waiting {
            self.shared.room.notify_one();
        }
        self.taken += 1;
        Some(batch)
    }

    /// Starts jobs, up to the listing's two, while a permit is free now and there is work.
    fn top_up(&mut self) {
        while !self.ended && self.wants_worker() {
            match self.shared.jobs.try_acquire() {
                Some(permit) => self.start(permit),
                None => return,
            }
        }
    }

    fn wants_worker(&self) -> bool {
        if self.shared.exhausted.load(Ordering::SeqCst) {
            return false;
        }
        let state = self.state();
        state.workers < JOBS_PER_LISTING && state.held < AHEAD
    }

    /// Starts a job on the blocking pool, counted in before it runs.
    fn start(&mut self, permit: OwnedSemaphorePermit) {
        self.shared
            .jobs
            .inner
            .starts
            .fetch_add(1, Ordering::Relaxed);
        self.state().workers += 1;
        // Counted out when the job ends, or when it never runs (a runtime shutting down
        // drops it unrun).
        let exit = WorkerExit(Arc::clone(&self.shared));
        // The job's handle is not kept: a job ends on its own, at the latest at its next
        // check after the listing is dropped, and reports through the shared state.
        drop(tokio::task::spawn_blocking(move || {
            let exit = exit;
            exit.0.work(permit);
        }));
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // A listing given up (ABOR, a closed connection) needs no more reading: its jobs
        // stop at their next check and give their permits back.
        self.shared.closed.store(true, Ordering::SeqCst);
        // A job waiting for room checks `closed` under the state's lock: taking it here
        // makes sure the job either sees it or is already waiting for this signal.
        drop(self.shared.state());
        self.shared.room.notify_all();
    }
}

/// The names of one batch in one allocation: for each entry a kind byte (never 0), the
/// name, and its NUL; and where each part of [`PART`] entries starts.
struct Names {
    bytes: Vec<u8>,
    /// The offset in `bytes` of each part's first record.
    cuts: Vec<usize>,
}

/// How many entries of a batch a job examines and formats at a time. The two jobs of a
/// listing take the parts of a batch in turn, so that neither idles while the other
/// examines the rest of a batch: at the end of a listing at most one part is left to one
/// job. Small enough for a short tail, big enough that taking a part costs nothing.
const PART: usize = 64;

/// Kind bytes of [`Names`], from the directory's record type.
const KIND_DIR: u8 = b'd';
const KIND_LINK: u8 = b'l';
const KIND_UNKNOWN: u8 = b'?';
const KIND_OTHER: u8 = b'f';

impl Names {
    fn new(bytes: Vec<u8>, cuts: Vec<usize>) -> Names {
        Names { bytes, cuts }
    }

    /// Each entry's kind byte and name (with its NUL).
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (u8, &CStr)> {
        records(&self.bytes)
    }

    /// How many parts the batch has (none when it has no entries).
    fn parts(&self) -> usize {
        self.cuts.len()
    }

    /// The records of part `i`.
    fn part(&self, i: usize) -> &[u8] {
        let start = self.cuts.get(i).copied().unwrap_or(self.bytes.len());
        let end = self.cuts.get(i + 1).copied().unwrap_or(self.bytes.len());
        self.bytes.get(start..end).unwrap_or_default()
    }
}

/// Each kind byte and name (with its NUL) of the records in `bytes`.
fn records(bytes: &[u8]) -> impl Iterator<Item = (u8, &CStr)> {
    bytes.split_inclusive(|b| *b == 0).filter_map(|rec| {
        let (kind, name) = rec.split_first()?;
        Some((*kind, CStr::from_bytes_with_nul(name).ok()?))
    })
}

/// Ends a job when dropped, even by a panic: it is counted out and the consumer woken.
struct WorkerExit(Arc<Shared>);

impl Drop for WorkerExit {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::SeqCst);
        }
        self.0.state().workers -= 1;
        self.0.waker.wake();
    }
}

impl Shared {
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A job: reads and examines batches in turn with the listing's other job, as long as
    /// there is room for another batch and a permit for it. Runs on the blocking pool.
    fn work(&self, mut permit: OwnedSemaphorePermit) {
        let mut job = Job {
            scratch: blank_entry(),
            dir: own_handle(&self.dir),
        };
        loop {
            let running = self.jobs.enter();
            let step = self.step(&mut job);
            // Between parts the permit goes back: a listing waiting in line for one gets
            // it, and this job ends; else it goes on without a hand-off.
            drop(running);
            drop(permit);
            match step {
                Step::Worked => {}
                Step::NoRoom if self.wait_for_room() => {}
                Step::NoRoom | Step::Done => return,
            }
            permit = match self.jobs.try_acquire() {
                Some(p) => p,
                None => return,
            };
        }
    }

    /// Waits, holding no permit, until the consumer takes a batch (`true`), or for at
    /// most `room_wait`, or until the listing is given up: a job that is ahead goes on
    /// without a new start when the consumer keeps up, and a listing whose client stops
    /// reading soon holds no thread.
    fn wait_for_room(&self) -> bool {
        let mut state = self.state();
        state.waiting += 1;
        let (mut state, _) = self
            .room
            .wait_timeout_while(state, self.room_wait, |s| {
                s.held >= AHEAD && !self.is_closed()
            })
            .unwrap_or_else(|p| p.into_inner());
        state.waiting -= 1;
        state.held < AHEAD && !self.is_closed()
    }

    /// Examines (and formats) one part of a batch, reading the next batch first when the
    /// parts left run low.
    fn step(&self, job: &mut Job) -> Step {
        loop {
            match self.next_move() {
                Move::Read => self.read_batch(),
                Move::Wait => {
                    // Another job reads the next batch (one `getdents`): nothing else to do.
                    let claims = self.claims();
                    drop(
                        self.read_done
                            .wait_while(claims, |c| c.reading)
                            .unwrap_or_else(|p| p.into_inner()),
                    );
                }
                Move::Part(open, part) => {
                    let records = open.names.part(part);
                    let out = match &self.lines {
                        Some(lines) => Output::Bytes(self.format(records, lines, job)),
                        None => Output::Entries(self.examine(records, job)),
                    };
                    self.finish(&open, part, out);
                    return Step::Worked;
                }
                Move::NoRoom => return Step::NoRoom,
                Move::End => return Step::Done,
            }
        }
    }

    /// What a job does next: reads the next batch while the other job still has parts to
    /// examine (so that the `getdents` overlaps the other job's stats), or takes a part.
    fn next_move(&self) -> Move {
        let mut claims = self.claims();
        if self.is_closed() {
            return Move::End;
        }
        let left: usize = claims
            .open
            .iter()
            .map(|(open, next)| open.names.parts() - next)
            .sum();
        if !claims.reading && left <= LOW_PARTS && !self.exhausted.load(Ordering::SeqCst) {
            let mut state = self.state();
            if state.held < AHEAD {
                state.held += 1;
                claims.reading = true;
                return Move::Read;
            }
        }
        let no_room = !claims.reading && left <= LOW_PARTS;
        if let Some((open, next)) = claims.open.front_mut() {
            let part = *next;
            *next += 1;
            let open = Arc::clone(open);
            if *next >= open.names.parts() {
                claims.open.pop_front();
            }
            return Move::Part(open, part);
        }
        if claims.reading {
            Move::Wait
        } else if no_room && !self.exhausted.load(Ordering::SeqCst) {
            // No room until the consumer takes a batch.
            Move::NoRoom
        } else {
            Move::End
        }
    }

    /// Reads the next batch (one `getdents`, a batch was counted in `held` for it) and
    /// offers its parts; a batch without entries is ready at once.
    fn read_batch(&self) {
        // Whatever happens, the other job stops waiting for this read.
        let _reading = Reading(self);
        let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let (names, err, last) = self.read_names(&mut cursor.buf);
        if last {
            self.exhausted.store(true, Ordering::SeqCst);
        }
        let number = cursor.next;
        cursor.next += 1;
        drop(cursor);
        let parts = names.parts();
        if parts == 0 {
            // Nothing to examine: only `.`, `..` or upload temporaries, or the end.
            let out = self.empty_output();
            self.ready(number, Batch { out, err, last });
            return;
        }
        let open = Arc::new(Open {
            number,
            last,
            done: Mutex::new(Assembly {
                parts: (0..parts).map(|_| None).collect(),
                left: parts,
                err,
            }),
            names,
        });
        self.claims().open.push_back((open, 0));
    }

    fn claims(&self) -> MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands in part `part` of the batch `open`; the job handing in its last part joins
    /// the parts in order and makes the batch ready.
    fn finish(&self, open: &Open, part: usize, out: Output) {
        let mut done = open.done.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = done.parts.get_mut(part) {
            *slot = Some(out);
        }
        done.left -= 1;
        if done.left > 0 {
            drop(done);
            #[cfg(test)]
            self.wait_at_part_gate();
            return;
        }
        let parts = std::mem::take(&mut done.parts);
        let err = done.err.take();
        drop(done);
        let out = self.join(parts);
        self.ready(
            open.number,
            Batch {
                out,
                err,
                last: open.last,
            },
        );
    }

    #[cfg(test)]
    fn wait_at_part_gate(&self) {
        let Some(gate) = &self.part_gate else {
            return;
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut seen = gate.threads.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(std::thread::current().id());
        gate.cv.notify_all();
        while seen.len() < 2 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            seen = gate
                .cv
                .wait_timeout(seen, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The parts of a batch as one output, in order.
    fn join(&self, parts: Vec<Option<Output>>) -> Output {
        let mut parts: Vec<Output> = parts.into_iter().flatten().collect();
        if parts.len() <= 1 {
            return parts.pop().unwrap_or_else(|| self.empty_output());
        }
        // One allocation of the batch's exact size: no regrowing, no spare room kept.
        let size: usize = parts
            .iter()
            .map(|p| match p {
                Output::Bytes(b) => b.len(),
                Output::Entries(e) => e.len(),
            })
            .sum();
        match self.lines {
            Some(_) => {
                let mut all = Vec::with_capacity(size);
                for part in parts {
                    if let Output::Bytes(b) = part {
                        all.extend_from_slice(&b);
                    }
                }
                Output::Bytes(all)
            }
            None => {
                let mut all = Vec::with_capacity(size);
                for part in parts {
                    if let Output::Entries(e) = part {
                        all.extend(e);
                    }
                }
                Output::Entries(all)
            }
        }
    }

    /// The output of a batch without entries.
    fn empty_output(&self) -> Output {
        match self.lines {
            Some(_) => Output::Bytes(Vec::new()),
            None => Output::Entries(Vec::new()),
        }
    }

    /// Makes batch `number` ready for the consumer.
    fn ready(&self, number: u64, batch: Batch) {
        self.state().ready.push((number, batch));
        self.waker.wake();
    }

    /// One `getdents` into `buf`: the names it gave (upload temporaries, `.` and `..` left
    /// out), an error that ended the reading, and whether the directory is at its end.
    fn read_names(&self, buf: &mut Vec<u8>) -> (Names, Option<StorageError>, bool) {
        // Grown as needed: a small directory's listing stays small.
        let mut names = Vec::new();
        let mut count = 0;
        let mut cuts = Vec::new();
        let mut raw = RawDir::new(&self.dir, buf.spare_capacity_mut());
        let mut first = true;
        loop {
            // One `getdents` per batch: stop when its records are used up.
            if !first && raw.is_buffer_empty() {
                return (Names::new(names, cuts), None, false);
            }
            first = false;
            let entry = match raw.next() {
                Some(Ok(entry)) => entry,
                // A failing readdir may fail again at once; stop rather than loop.
                Some(Err(e)) => {
                    let e = StorageError::from_io(e.into());
                    return (Names::new(names, cuts), Some(e), true);
                }
                None => return (Names::new(names, cuts), None, true),
            };
            let name = entry.file_name().to_bytes_with_nul();
            if matches!(name, b".\0" | b"..\0") || is_temp_name(OsStr::from_bytes(name)) {
                continue;
            }
            if count % PART == 0 {
                cuts.push(names.len());
            }
            names.push(match entry.file_type() {
                FileType::Directory => KIND_DIR,
                FileType::Symlink => KIND_LINK,
                FileType::Unknown => KIND_UNKNOWN,
                _ => KIND_OTHER,
            });
            names.extend_from_slice(name);
            count += 1;
        }
    }

    /// The entries of the records `part`, with their facts when the listing wants them.
    fn examine(&self, part: &[u8], job: &Job) -> Vec<EntryInfo> {
        let mut entries = Vec::with_capacity(PART);
        for (i, (kind, name)) in records(part).enumerate() {
            if i % 64 == 63 && self.is_closed() {
                // Nobody will read this batch any more.
                break;
            }
            let mut entry = blank_entry();
            if self.fill(job.dir(&self.dir), kind, name, &mut entry) {
                entries.push(entry);
            }
        }
        entries
    }

    /// The lines of the entries of the records `part` as `lines` formats them, each entry
    /// examined into the job's scratch entry in turn.
    fn format(&self, part: &[u8], lines: &ListLines, job: &mut Job) -> Vec<u8> {
        let Job { scratch, dir } = job;
        let dir = dir.as_ref().unwrap_or(&self.dir);
        // Room for the names and a typical line's facts: one allocation for most parts.
        let mut out = Vec::with_capacity(part.len() + PART * LINE_FACTS);
        // The pattern's own limits bound each match; this job's bound bounds the rest.
        let mut work = 0;
        for (i, (kind, name)) in records(part).enumerate() {
            if i % 64 == 63 && self.is_closed() {
                break;
            }
            if self.fill(dir, kind, name, scratch) {
                lines.write(&mut out, scratch, &mut work);
            }
        }
        out
    }

    /// Examines the entry `name` (of the directory's record type `kind`) of `dir` (the
    /// listed directory) into `entry`, reusing its strings; `false` when it is to be left
    /// out.
    fn fill(&self, dir: &OwnedFd, kind: u8, name: &CStr, entry: &mut EntryInfo) -> bool {
        if !self.facts {
            name_only(dir, kind, name, entry);
            return true;
        }
        // One `statx` relative to the open directory, without following a link: for
        // anything but a link that is the answer. Vanished meanwhile, or unreadable:
        // skipping it keeps the rest.
        let Some(facts) = stat(dir, name, FACTS) else {
            return false;
        };
        if facts.kind() == EntryKind::Symlink {
            // A link shows its target's facts when the target lies inside the root,
            // which only the checked resolution from the root can tell.
            let os_name = OsStr::from_bytes(name.to_bytes());
            if let Some(target) = entry_for(&self.root, &self.dir_rel, os_name) {
                *entry = target;
                return true;
            }
        }
        facts.fill(name, entry);
        true
    }
}

/// See `Shared::part_gate`.
#[cfg(test)]
#[derive(Default)]
struct PartGate {
    /// The threads of the jobs that handed in a part.
    threads: Mutex<std::collections::HashSet<std::thread::ThreadId>>,
    cv: std::sync::Condvar,
}

/// What one job keeps from batch to batch.
struct Job {
    /// One entry's facts, refilled for each entry a formatting job formats: its strings
    /// keep their room from entry to entry.
    scratch: EntryInfo,
    /// The listed directory, opened anew for this job's stats (`None` when that failed).
    dir: Option<OwnedFd>,
}

impl Job {
    /// The handle this job's stats start from.
    fn dir<'a>(&'a self, shared: &'a OwnedFd) -> &'a OwnedFd {
        self.dir.as_ref().unwrap_or(shared)
    }
}

/// A handle of its own on the directory `dir`, for one job's stats: every `statx` takes
/// and drops a reference on the open file it starts from, and two jobs doing that on the
/// same open file make its counter bounce between their cores. A path-only handle of `.`
/// cannot leave the directory.
fn own_handle(dir: &OwnedFd) -> Option<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::openat(dir, c".", flags, Mode::empty()).ok()
}

/// Bytes a listing line takes besides its name, about: an MLSD line with every fact of a
/// file on a local disk, or a LIST line, and the CRLF.
const LINE_FACTS: usize = 96;

/// An entry with no facts yet, to be filled in.
fn blank_entry() -> EntryInfo {
    EntryInfo {
        name: String::new(),
        kind: EntryKind::File,
        size: 0,
        modified: None,
        mode: None,
        unique: None,
    }
}

/// Fills `entry` with its name and the kind its directory records, every other fact
/// unknown. Only a file system that keeps no type in its directory costs a stat.
fn name_only(dir: &OwnedFd, kind: u8, name: &CStr, entry: &mut EntryInfo) {
    entry.kind = match kind {
        KIND_DIR => EntryKind::Dir,
        KIND_LINK => EntryKind::Symlink,
        KIND_UNKNOWN => match stat(dir, name, StatxFlags::TYPE) {
            Some(facts) if facts.kind() != EntryKind::File => facts.kind(),
            _ => EntryKind::File,
        },
        _ => EntryKind::File,
    };
    set_name(&mut entry.name, name);
    entry.size = 0;
    entry.modified = None;
    entry.mode = None;
    entry.unique = None;
}

/// Sets `out` to the file name as text, U+FFFD in place of bytes that are not UTF-8 (as
/// `name_of` does). Nearly every name is UTF-8 already and is copied as it is.
fn set_name(out: &mut String, name: &CStr) {
    out.clear();
    match std::str::from_utf8(name.to_bytes()) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(name.to_bytes())),
    }
}

/// What one stat tells of an entry.
struct Facts {
    /// `st_mode`: type and permission bits.
    mode: u32,
    size: u64,
    /// The modification time, when the file system gave one: seconds and nanoseconds.
    mtime: Option<(i64, u32)>,
    dev: u64,
    ino: u64,
}

impl Facts {
    fn kind(&self) -> EntryKind {
        match FileType::from_raw_mode(self.mode) {
            FileType::Directory => EntryKind::Dir,
            FileType::Symlink => EntryKind::Symlink,
            // Devices, FIFOs and sockets have no kind of their own in FTP; they read as
            // files (and `read` refuses them).
            _ => EntryKind::File,
        }
    }

    /// Fills `entry` as `entry_info` makes it from cap-std's metadata, fact for fact,
    /// named `name`.
    fn fill(&self, name: &CStr, entry: &mut EntryInfo) {
        set_name(&mut entry.name, name);
        entry.kind = self.kind();
        entry.size = self.size;
        entry.modified = self.mtime.and_then(|(s, ns)| system_time(s, ns));
        entry.mode = Some(self.mode & 0o7777);
        let unique = entry.unique.get_or_insert_with(String::new);
        unique.clear();
        write_unique_id(unique, self.dev, self.ino);
    }
}

/// The time `sec` seconds and `nsec` nanoseconds after the epoch (before it when negative).
fn system_time(sec: i64, nsec: u32) -> Option<SystemTime> {
    if sec >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::new(sec.unsigned_abs(), nsec))
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_secs(sec.unsigned_abs()))
            .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nsec))))
    }
}

/// Whether `statx` turned out to be missing (old kernels, some seccomp filters).
static NO_STATX: AtomicBool = AtomicBool::new(false);

/// The facts of `name` in `dir`, not following a link; `None` when it cannot be examined.
fn stat(dir: &OwnedFd, name: &CStr, mask: StatxFlags) -> Option<Facts> {
    if !NO_STATX.load(Ordering::Relaxed) {
        match rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, mask) {
            Ok(x) => {
                return Some(Facts {
                    mode: u32::from(x.stx_mode),
                    size: x.stx_size,
                    mtime: (x.stx_mask & StatxFlags::MTIME.bits() != 0)
                        .then_some((x.stx_mtime.tv_sec, x.stx_mtime.tv_nsec)),
                    dev: rustix::fs::makedev(x.stx_dev_major, x.stx_dev_minor),
                    ino: x.stx_ino,
                })
            }
            Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) if statx_missing() => {}
            Err(_) => return None,
        }
    }
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
    Some(Facts {
        mode: st.st_mode,
        size: u64::try_from(st.st_size).unwrap_or(0),
        mtime: Some((st.st_mtime, u32::try_from(st.st_mtime_nsec).unwrap_or(0))),
        dev: st.st_dev,
        ino: st.st_ino,
    })
}

/// After a `statx` refused with `ENOSYS` or `EPERM`: whether `statx` itself is missing
/// (then remembered), as cap-std tells it, by asking about the working directory.
fn statx_missing() -> bool {
    let missing = matches!(
        rustix::fs::statx(
            rustix::fs::CWD,
            c"",
            AtFlags::EMPTY_PATH,
            StatxFlags::empty()
        ),
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM)
    );
    if missing {
        NO_STATX.store(true, Ordering::Relaxed);
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::super::{DirReader, LocalStorage};
    use super::*;
    use crate::storage::Storage as _;
    use ferroftp_proto::listing::{self, ListTimes, MlstFacts};
    use ferroftp_proto::path::VPath;
    use ferroftp_proto::perms::Permissions;
    use std::path::Path;

    /// The names in the test directories are 7 bytes: a `getdents` record of 32 bytes.
    const RECORD: usize = 32;

    /// A root holding `dir/` with `n` files of 7-byte names (sizes and modes varied), two
    /// sub-directories, links (to a file and a directory inside, dangling, and out of the
    /// root) and an upload's temporary file, and `outside/` next to the root.
    fn tree(n: usize) -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::{symlink, PermissionsExt as _};
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("root");
        let dir = root.join("dir");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::create_dir(tmp.path().join("outside")).expect("mkdir outside");
        for i in 0..n {
            let path = dir.join(format!("f{i:06}"));
            std::fs::write(&path, vec![b'x'; i % 7]).expect("write");
            let mode = if i % 3 == 0 { 0o600 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        std::fs::create_dir(dir.join("sub-one")).expect("mkdir");
        std::fs::create_dir(dir.join("sub-two")).expect("mkdir");
        if n > 0 {
            symlink("f000000", dir.join("ln-file")).expect("symlink");
        }
        symlink("sub-one", dir.join("ln-dir")).expect("symlink");
        symlink("nowhere", dir.join("ln-dangling")).expect("symlink");
        symlink("../../outside", dir.join("ln-out")).expect("symlink");
        std::fs::write(dir.join(".ferroftp-upload.abc"), b"half").expect("write temp");
        (tmp, root)
    }

    /// What the sequential reader (one batch at a time, cap-std's stat) gives.
    fn sequential(root: &Path, facts: bool) -> Vec<EntryInfo> {
        let root = super::super::roots::open(root).expect("root");
        let mut reader = DirReader {
            entries: root
                .open_dir("dir")
                .and_then(|d| d.entries())
                .expect("entries"),
            root,
            dir_rel: PathBuf::from("dir"),
            facts,
        };
        let mut all = Vec::new();
        loop {
            let (batch, more) = reader.next_batch();
            all.extend(batch.into_iter().map(|e| e.expect("entry")));
            if !more {
                return all;
            }
        }
    }

    /// What the parallel listing gives, with `batch_bytes` of `getdents` buffer.
    async fn parallel(
        root: &Path,
        facts: bool,
        jobs: ListingJobs,
        batch_bytes: usize,
    ) -> Vec<EntryInfo> {
        let cap = super::super::roots::open(root).expect("root");
        let dir = open_for_reading(&cap.open_dir("dir").expect("dir")).expect("open");
        let shared = Shared::new(cap, dir, PathBuf::from("dir"), facts, jobs, batch_bytes);
        streamed(Arc::new(shared))
            .map(|e| e.expect("entry"))
            .collect()
            .await
    }

    /// The LIST and MLSD bytes of `entries`.
    fn wire(entries: &[EntryInfo]) -> (Vec<u8>, Vec<u8>) {
        let times = ListTimes::new(SystemTime::now());
        let (mut list, mut mlsd) = (Vec::new(), Vec::new());
        for e in entries {
            listing::write_list_line(&mut list, e, &times);
            list.extend_from_slice(b"\r\n");
            listing::write_mlsx_line(&mut mlsd, e, &MlstFacts::default(), &Permissions::ALL);
            mlsd.extend_from_slice(b"\r\n");
        }
        (list, mlsd)
    }

    /// Directory sizes and batch sizes (entries, batch) around the edges of a batch and of
    /// its parts: empty, one, one short of a batch, a batch, one over, several batches, and
    /// batches of several parts whose last part is short or full; small batches, then the
    /// real one.
    fn batch_edges() -> [(usize, usize); 13] {
        let small = 64;
        let real = LIST_BATCH * MIN_DIRENT / RECORD;
        [
            (0, small),
            (1, small),
            (small - 1, small),
            (small, small),
            (small + 1, small),
            (3 * small + 7, small),
            (2 * PART + 1, 3 * PART + 5),
            (3 * PART + 5, 3 * PART + 5),
            (7 * PART + 3, 3 * PART + 5),
            (real - 1, real),
            (real, real),
            (real + 1, real),
            (3 * real + 7, real),
        ]
    }

    /// Guards the parallel path against the sequential one: for directories of sizes
    /// around a batch (small batches, then the real one), links and sub-directories
    /// included, LIST and MLSD send the very same bytes in the very same order, and NLST
    /// the same names and kinds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_listing_matches_the_sequential_one() {
        let cases = batch_edges();
        for (n, batch) in cases {
            let (_tmp, root) = tree(n);
            let want = sequential(&root, true);
            // A bound of its own for each listing: the jobs of one listing may still be
            // winding down (counted as running) when the next one starts, so a shared
            // bound would see both listings' jobs at once.
            let jobs = ListingJobs::new(4);
            let got = parallel(&root, true, jobs.clone(), batch * RECORD).await;
            assert!(jobs.peak() <= JOBS_PER_LISTING, "peak {}", jobs.peak());
            // Files, two directories and the links; the temporary file left out.
            assert_eq!(got.len(), n + 5 + usize::from(n > 0), "{n} files");
            assert_eq!(wire(&got), wire(&want), "{n} files, batches of {batch}");
            let names = |v: &[EntryInfo]| -> Vec<(String, EntryKind)> {
                v.iter().map(|e| (e.name.clone(), e.kind)).collect()
            };
            let jobs = ListingJobs::new(4);
            let got = parallel(&root, false, jobs.clone(), batch * RECORD).await;
            assert_eq!(names(&got), names(&sequential(&root, false)), "NLST of {n}");
            assert!(got
                .iter()
                .all(|e| e.modified.is_none() && e.unique.is_none()));
            assert!(jobs.peak() <= JOBS_PER_LISTING, "peak {}", jobs.peak());
        }
    }

    /// Guards the batch bound that keeps a listing's memory flat: one `getdents` per
    /// batch, never more than `LIST_BATCH` entries (names as short as they get), and every
    /// entry once.
    #[test]
    fn batches_stay_bounded() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let n = 2 * LIST_BATCH + 100;
        for i in 0..n {
            std::fs::write(tmp.path().join(format!("{i:x}")), b"").expect("write");
        }
        let cap = Arc::new(
            Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).expect("root"),
        );
        let dir = open_for_reading(&cap).expect("open");
        let shared = Shared::new(
            cap,
            dir,
            PathBuf::from("."),
            true,
            ListingJobs::new(2),
            LIST_BATCH * MIN_DIRENT,
        );
        let mut cursor = shared.cursor.lock().expect("lock");
        let (mut seen, mut batches) = (0, 0);
        loop {
            let (names, err, end) = shared.read_names(&mut cursor.buf);
            assert!(err.is_none());
            let count = names.iter().count();
            assert!(count <= LIST_BATCH, "a batch of {count}");
            seen += count;
            batches += 1;
            if end {
                break;
            }
        }
        assert_eq!(seen, n);
        assert!(batches > n / LIST_BATCH, "{batches} batches");
    }

    /// What the listing formatted on its jobs sends, with `batch_bytes` of `getdents`
    /// buffer.
    async fn formatted_bytes(root: &Path, lines: &ListLines, batch_bytes: usize) -> Vec<u8> {
        let cap = super::super::roots::open(root).expect("root");
        let dir = open_for_reading(&cap.open_dir("dir").expect("dir")).expect("open");
        let jobs = ListingJobs::new(4);
        let facts = !lines.names_only();
        let mut shared = Shared::new(cap, dir, PathBuf::from("dir"), facts, jobs, batch_bytes);
        shared.lines = Some(Arc::new(lines.clone()));
        let chunks: Vec<Vec<u8>> = chunked(Arc::new(shared))
            .map(|c| c.expect("chunk"))
            .collect()
            .await;
        chunks.concat()
    }

    /// What the transfer sends when it formats `entries` itself.
    fn driver_bytes(entries: &[EntryInfo], lines: &ListLines) -> Vec<u8> {
        let mut out = Vec::new();
        let mut work = 0;
        for e in entries {
            lines.write(&mut out, e, &mut work);
        }
        out
    }

    /// Names that a listing must show with care: line breaks and other control characters
    /// (C0 and C1), bytes that are not UTF-8, the MLSx separators, spaces, non-ASCII.
    fn add_odd_names(root: &Path) {
        let dir = root.join("dir");
        let odd: [&[u8]; 9] = [
            b"line\nbreak",
            b"cr\rname",
            b"esc\x1b[31mred",
            b"tab\tname",
            b"bad\xff\xfeutf8",
            "\u{85}next-line".as_bytes(),
            b"semi;colon=eq",
            b"space name",
            "\u{fc}n\u{ef}c\u{f6}d\u{e9}".as_bytes(),
        ];
        for name in odd {
            let path = dir.join(OsStr::from_bytes(name));
            std::fs::write(path, b"odd").expect("write odd name");
        }
        std::fs::create_dir(dir.join("sub\x07bell")).expect("mkdir odd");
    }

    /// Guards the formatted path against the entry path: for directories of sizes around
    /// a batch, links (inside, dangling, outside the root), sub-directories and odd names
    /// included, the lines the jobs format are byte for byte those the transfer makes from
    /// the entries, for LIST, MLSD under several `OPTS MLST` fact sets, and NLST with and
    /// without a pattern (and its prefix).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn formatted_listing_sends_the_bytes_of_the_entry_listing() {
        use ferroftp_proto::session::ListFormat;
        let cases = batch_edges();
        let now = SystemTime::now();
        let fact_sets = [
            MlstFacts::default(),
            MlstFacts {
                kind: false,
                size: false,
                modify: false,
                perm: false,
                unique: false,
            },
            MlstFacts {
                kind: true,
                size: true,
                modify: false,
                perm: false,
                unique: false,
            },
            MlstFacts {
                kind: false,
                size: false,
                modify: true,
                perm: true,
                unique: true,
            },
        ];
        let mut line_sets = vec![
            ListLines::new(
                ListFormat::List,
                now,
                MlstFacts::default(),
                Permissions::ALL,
                None,
                "",
            ),
            ListLines::new(
                ListFormat::Nlst,
                now,
                MlstFacts::default(),
                Permissions::ALL,
                None,
                "",
            ),
        ];
        for facts in fact_sets {
            line_sets.push(ListLines::new(
                ListFormat::Mlsd,
                now,
                facts,
                Permissions::READ_ONLY,
                None,
                "",
            ));
        }
        for (format, pattern, prefix) in [
            (ListFormat::Nlst, "f00000*", "dir/"),
            (ListFormat::Nlst, "[a-z]*?e*", "dir\nx/"),
            (ListFormat::Nlst, "ln-*", ""),
            (ListFormat::List, "*-*", ""),
            (ListFormat::Mlsd, "*e*", ""),
        ] {
            let glob = listing::Glob::new(pattern).expect("pattern");
            line_sets.push(ListLines::new(
                format,
                now,
                MlstFacts::default(),
                Permissions::ALL,
                Some(glob),
                prefix,
            ));
        }
        for (n, batch) in cases {
            let (_tmp, root) = tree(n);
            add_odd_names(&root);
            for lines in &line_sets {
                let facts = !lines.names_only();
                let entries = parallel(&root, facts, ListingJobs::new(4), batch * RECORD).await;
                let want = driver_bytes(&entries, lines);
                let got = formatted_bytes(&root, lines, batch * RECORD).await;
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "{n} files, batches of {batch}, {lines:?}"
                );
                assert_eq!(got, want, "{n} files, batches of {batch}, {lines:?}");
                // And what the sequential reader gives, formatted the same way.
                assert_eq!(got, driver_bytes(&sequential(&root, facts), lines));
            }
        }
    }

    /// Guards the sharing of a batch's parts: a directory of one batch of many parts is
    /// examined by two jobs, not by the one that read it. A job that handed in a part waits
    /// (up to a deadline) until another did; with one job per batch only one ever does.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_jobs_examine_the_parts_of_one_batch() {
        let n = 6 * PART;
        let (_tmp, root) = tree(n);
        let cap = super::super::roots::open(&root).expect("root");
        let dir = open_for_reading(&cap.open_dir("dir").expect("dir")).expect("open");
        let batch = (n + 64) * RECORD;
        let mut shared = Shared::new(
            cap,
            dir,
            PathBuf::from("dir"),
            true,
            ListingJobs::new(4),
            batch,
        );
        shared.part_gate = Some(PartGate::default());
        let shared = Arc::new(shared);
        let got: Vec<EntryInfo> = streamed(Arc::clone(&shared))
            .map(|e| e.expect("entry"))
            .collect()
            .await;
        assert_eq!(got.len(), n + 6);
        assert_eq!(wire(&got), wire(&sequential(&root, true)));
        let threads = shared
            .part_gate
            .as_ref()
            .map(|g| g.threads.lock().expect("lock").len());
        assert_eq!(
            threads,
            Some(2),
            "jobs that examined parts of the one batch"
        );
    }

    /// Polls `done` until it holds, failing after a deadline (which only turns a hang
    /// into a failure).
    fn poll_until(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            std::thread::yield_now();
        }
    }

    /// Guards the wait for room: a job that is ahead of the consumer waits for it to take
    /// a batch instead of ending, so a listing read in fits and starts runs on its first
    /// two jobs; and a waiting job ends at once when the listing is given up. (Without
    /// the wait no job ever waits, and each batch taken later starts a new job.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_ahead_waits_for_room_and_ends_when_given_up() {
        let n = 20 * 64;
        let (_tmp, root) = tree(n);
        let listing = |jobs: &ListingJobs| {
            let cap = super::super::roots::open(&root).expect("root");
            let dir = open_for_reading(&cap.open_dir("dir").expect("dir")).expect("open");
            let mut shared = Shared::new(
                cap,
                dir,
                PathBuf::from("dir"),
                true,
                jobs.clone(),
                64 * RECORD,
            );
            // Long enough that only the consumer or the end of the listing ends a wait.
            shared.room_wait = Duration::from_secs(60);
            Arc::new(shared)
        };
        let waiting = |shared: &Shared| shared.state().waiting > 0;

        // Read in fits and starts: after each batch the consumer waits until a job
        // waits for room.
        let jobs = ListingJobs::new(4);
        let shared = listing(&jobs);
        let mut stream = streamed(Arc::clone(&shared));
        let mut got = 0;
        let mut fits = 0;
        while let Some(entry) = stream.next().await {
            entry.expect("entry");
            got += 1;
            // The memory bound: never more batches read ahead than the room.
            assert!(shared.state().held <= AHEAD);
            if got % 64 == 0 && !shared.exhausted.load(Ordering::SeqCst) {
                poll_until("a job waits for room", || {
                    waiting(&shared) || shared.exhausted.load(Ordering::SeqCst)
                });
                fits += 1;
            }
        }
        assert_eq!(got, n + 6);
        assert!(fits > AHEAD, "{fits} fits");
        assert_eq!(jobs.starts(), JOBS_PER_LISTING as u64, "jobs started");

        // Given up while a job waits for room: the job ends now, not after its wait.
        let jobs = ListingJobs::new(4);
        let shared = listing(&jobs);
        let mut stream = streamed(Arc::clone(&shared));
        stream.next().await.expect("an entry").expect("entry");
        poll_until("a job waits for room", || waiting(&shared));
        drop(stream);
        poll_until("the jobs end", || shared.state().workers == 0);
    }

    /// Guards the early start: a listing's jobs start when it is made, before its first
    /// poll, so that the first batches are read while the transfer opens its data
    /// connection; dropped unpolled, its jobs end. (Started lazily, nothing is ever ready
    /// before the first poll.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_start_when_the_listing_is_made() {
        let n = 5 * 64;
        let (_tmp, root) = tree(n);
        let listing = || {
            let cap = super::super::roots::open(&root).expect("root");
            let dir = open_for_reading(&cap.open_dir("dir").expect("dir")).expect("open");
            let shared = Shared::new(
                cap,
                dir,
                PathBuf::from("dir"),
                true,
                ListingJobs::new(4),
                64 * RECORD,
            );
            Arc::new(shared)
        };
        let shared = listing();
        let stream = streamed(Arc::clone(&shared));
        poll_until("a batch ready before the first poll", || {
            !shared.state().ready.is_empty()
        });
        assert_eq!(stream.count().await, n + 6);

        let shared = listing();
        let stream = streamed(Arc::clone(&shared));
        poll_until("a batch ready", || !shared.state().ready.is_empty());
        drop(stream);
        poll_until("the jobs end", || shared.state().workers == 0);
    }

    /// Guards the parallelism: one listing really has two jobs examining at once. Each job
    /// waits (up to a deadline) until two run; with one job at a time the peak stays 1.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_listing_runs_two_jobs_at_once() {
        let (_tmp, root) = tree(10 * 64);
        let jobs = ListingJobs::with_gate(8, 2);
        let got = parallel(&root, true, jobs.clone(), 64 * RECORD).await;
        assert_eq!(got.len(), 10 * 64 + 6);
        assert_eq!(jobs.peak(), 2, "jobs at once");
    }

    /// Guards the server-wide bound: many listings at once never run more jobs than the
    /// bound, and do reach it (each job waits, up to a deadline, until the bound is full);
    /// every listing still completes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_listings_stay_within_the_bound() {
        let (_tmp, root) = tree(6 * 64);
        let jobs = ListingJobs::with_gate(3, 3);
        let listings = (0..12).map(|_| parallel(&root, true, jobs.clone(), 64 * RECORD));
        for got in futures::future::join_all(listings).await {
            assert_eq!(got.len(), 6 * 64 + 6);
        }
        assert_eq!(jobs.peak(), 3, "jobs at once");
        // Through a storage as the server opens it: the bound it was given applies.
        let storage = LocalStorage::new(&root)
            .expect("storage")
            .with_listing_jobs(jobs.clone());
        let dir = VPath::root().resolve("dir").expect("path");
        let listed: Vec<_> = futures::future::join_all((0..6).map(|_| async {
            let stream = storage.list(&dir).await.expect("list");
            stream.count().await
        }))
        .await;
        assert!(listed.iter().all(|n| *n == 6 * 64 + 6));
        assert_eq!(jobs.peak(), 3, "jobs at once");
    }
}
