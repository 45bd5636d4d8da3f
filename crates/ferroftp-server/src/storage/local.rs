//! Local filesystem storage, confined to one directory.
//!
//! Every access goes through a [`cap_std::fs::Dir`] handle on the user's root, so the kernel
//! (via `openat2(RESOLVE_BENEATH)` where available, or cap-std's own checked resolution)
//! refuses any path that would leave it: `..`, absolute symlinks and symlinks pointing
//! outside all fail with [`StorageError::PermissionDenied`]. The `VPath` clamping done by the
//! protocol layer is thus only the first line of defence, not the only one.
//!
//! cap-std calls block, so each runs on tokio's blocking pool. They speak `io::Error`; every
//! one of them becomes a [`StorageError`] in [`StorageError::from_io`] as it leaves the pool.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use cap_std::fs::{Dir, Metadata, MetadataExt as _, OpenOptions, Permissions};
use ferroftp_proto::listing::{EntryInfo, EntryKind};
use ferroftp_proto::path::VPath;

use super::{
    Capabilities, ChunkStream, EntryStream, ListLines, ReadStream, Storage, StorageError, Upload,
    WriteMode,
};

mod create;
mod listing;
mod roots;
mod upload;

pub use listing::ListingJobs;

use upload::{Durability, LocalUpload};

/// Most directory entries one trip to the blocking pool reads and examines (one
/// `getdents`, see listing.rs). A listing holds at most four batches, whatever the
/// directory's size, and holds no thread while the consumer (a client that may never read)
/// digests them.
const LIST_BATCH: usize = 1024;

/// How many random temporary names an upload tries before giving up (a clash is already
/// astronomically unlikely with 64 random bits; more attempts only guard against a broken RNG).
const TEMP_NAME_ATTEMPTS: usize = 8;

/// Prefix of the temporary files that `WriteMode::Create` uploads write into.
const TEMP_PREFIX: &str = ".ferroftp-upload.";

/// Storage in a directory of the local file system, which no client path can leave.
#[derive(Clone)]
pub struct LocalStorage {
    /// The capability on the root directory; every operation is relative to it.
    root: Arc<Dir>,
    /// The root as configured, for logs and `Debug` only; never used to reach files.
    root_path: PathBuf,
    /// Whether uploads are synced to stable storage before they count as done.
    durability: Durability,
    /// The bound on blocking jobs this storage's listings share with the server's others.
    listing: ListingJobs,
    /// Where the small steps of an upload run.
    offload: Offload,
    /// Whether a new file is uploaded without a name and linked into place (see
    /// [`LocalStorage::with_tmpfile_uploads`]).
    tmpfile: bool,
}

/// Where the few, short system calls that start and finish a `Create` upload run: on
/// tokio's blocking pool, or on the async worker itself when
/// [`LocalStorage::with_inline_metadata`] allows it.
///
/// The trade-off: two trips to the blocking pool per file cost two thread hand-offs each
/// (a wake-up of a pool thread and one of the worker), which for a 4 KiB upload was a
/// quarter of the server's time (measured: +35-40% small files per second inline). On the
/// worker, the calls (stat, create, lock; write a small file to the page cache and rename)
/// take microseconds when the directory's metadata is cached, but a file system that
/// stalls would hold every session on that worker meanwhile, as `sendfile` does with a
/// page-cache miss. So the inline path is bounded: it is taken only when the target's
/// directory resolves from the kernel's dentry cache alone (`RESOLVE_CACHED`: no disk
/// read for the lookup, no network file system revalidation), and anything that can wait
/// long stays on the pool: fsync, writes of more than a small file, every other mode and
/// operation. What is left is not free of the disk: creating and renaming an entry may
/// still read a metadata block (the directory's or an inode table's) that the cache has
/// dropped, which for a directory in use is rare; `inline_upload_metadata = false` keeps
/// every step on the pool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offload {
    /// Whether the small steps run on the async worker.
    inline: bool,
    /// Counts the trips to the blocking pool these steps make, for tests.
    trips: Option<Arc<AtomicU64>>,
}

impl Offload {
    /// Runs `f` on the worker when inlining is allowed and the step is `small`, else on the
    /// blocking pool.
    pub(crate) async fn run<T, F>(&self, small: bool, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.inline && small {
            return Ok(f());
        }
        if let Some(t) = &self.trips {
            t.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(tokio::task::spawn_blocking(f).await?)
    }
}

impl fmt::Debug for LocalStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalStorage")
            .field("root", &self.root_path)
            .field("fsync_uploads", &self.durability.fsync)
            .finish()
    }
}

impl LocalStorage {
    /// Opens `root`, which must exist and be a directory, as the root of a storage.
    ///
    /// Opening it (in roots.rs) is the one place that uses ambient authority: the configured path itself is
    /// trusted; nothing a client sends is.
    pub fn new(root: impl AsRef<Path>) -> io::Result<LocalStorage> {
        let root_path = root.as_ref().to_path_buf();
        // Sessions on the same directory share one handle (one descriptor), see roots.rs.
        let root = roots::open(&root_path)?;
        Ok(LocalStorage {
            root,
            root_path,
            durability: Durability::default(),
            offload: Offload::default(),
            listing: ListingJobs::process_default(),
            tmpfile: true,
        })
    }

    /// Whether a finished upload is forced to stable storage before `commit` returns (and
    /// so before the client hears `226`): the file is fsynced before it takes its final
    /// name and its directory after. Off by default, as in vsftpd, Pure-FTPd and ProFTPD:
    /// the file is then complete and in place, in the page cache. Either way a replaced
    /// file changes atomically.
    pub fn with_fsync_uploads(mut self, fsync: bool) -> LocalStorage {
        self.durability.fsync = fsync;
        self
    }

    /// Counts in `counter` every fsync the uploads of this storage make (files and
    /// directories), so that a test or a metric can see the setting at work.
    pub fn with_sync_counter(mut self, counter: Arc<AtomicU64>) -> LocalStorage {
        self.durability.counter = Some(counter);
        self
    }

    /// Whether the short system calls that start and finish a plain upload (STOR) of a
    /// small file may run on the async worker instead of tokio's blocking pool, saving two
    /// thread hand-offs per file. Off for a storage made here; the server's setting
    /// (`ServerConfig::inline_upload_metadata`) decides for the storages it opens. Taken
    /// only for a directory that resolves from the dentry cache alone; fsync and large
    /// writes never run there (see `Offload`).
    pub fn with_inline_metadata(mut self, inline: bool) -> LocalStorage {
        self.offload.inline = inline;
        self
    }

    /// Whether a plain upload (STOR) of a file that does not exist yet is written into a
    /// file without a name (`O_TMPFILE`) and linked into place when done, rather than into
    /// a named temporary file renamed over the target: fewer directory updates, and
    /// nothing to sweep after a crash. On by default; the file system's lack of
    /// `O_TMPFILE`, a missing `/proc`, or a target that exists take the named temporary
    /// file. Either way nothing half-written is ever seen under the final name.
    pub fn with_tmpfile_uploads(mut self, tmpfile: bool) -> LocalStorage {
        self.tmpfile = tmpfile;
        self
    }

    /// Counts in `counter` every trip to the blocking pool that starting or committing a
    /// plain upload (STOR) makes, so a test can see where those steps run.
    pub fn with_trip_counter(mut self, counter: Arc<AtomicU64>) -> LocalStorage {
        self.offload.trips = Some(counter);
        self
    }

    /// Runs this storage's listings under `jobs`, the server-wide bound on listing jobs
    /// (without it, under one bound per process).
    pub fn with_listing_jobs(mut self, jobs: ListingJobs) -> LocalStorage {
        self.listing = jobs;
        self
    }

    /// The directory this storage was opened on.
    pub fn root_path(&self) -> &Path {
        &self.root_path
    }

    /// Removes the temporary upload files a killed server left under the root (visiting at
    /// most `limit` entries), in the background, the first time this process opens this
    /// root; later calls do nothing. Returns the sweep's task, or `None` when there is
    /// nothing to do (already swept, `limit` 0, or no runtime).
    pub fn sweep_stale_uploads_once(&self, limit: usize) -> Option<tokio::task::JoinHandle<usize>> {
        if limit == 0 {
            return None;
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let swept = SWEPT_ROOTS.get_or_init(Default::default);
        // A poisoned lock only means another sweep's bookkeeping panicked; the set is fine.
        if !swept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(self.root_path.clone())
        {
            return None;
        }
        let root = Arc::clone(&self.root);
        let shown = self.root_path.clone();
        Some(runtime.spawn_blocking(move || {
            let removed = sweep_stale_uploads(&root, limit);
            if removed > 0 {
                tracing::info!(root = %shown.display(), removed, "removed stale temporary upload files");
            }
            removed
        }))
    }

    /// The entries of the directory `path`, with their facts (`facts`) or names only.
    async fn list_dir(&self, path: &VPath, facts: bool) -> Result<EntryStream, StorageError> {
        let (dir_rel, dir) = self.open_listed(path).await?;
        Ok(listing::stream(
            Arc::clone(&self.root),
            dir,
            dir_rel,
            facts,
            self.listing.clone(),
        ))
    }

    /// The directory `path` relative to the root, and open for reading its entries.
    /// Opened before a listing is returned so that a missing directory or a file fails the
    /// call itself rather than the first item of the stream.
    async fn open_listed(&self, path: &VPath) -> Result<(PathBuf, OwnedFd), StorageError> {
        let dir_rel = rel(path);
        let open_rel = dir_rel.clone();
        let dir = self
            .run(move |root| listing::open_for_reading(&root.open_dir(open_rel)?))
            .await?;
        Ok((dir_rel, dir))
    }

    /// Runs a blocking file-system operation against the root on tokio's blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Dir) -> io::Result<T> + Send + 'static,
    {
        let root = Arc::clone(&self.root);
        tokio::task::spawn_blocking(move || f(&root))
            .await?
            .map_err(StorageError::from_io)
    }
}

/// The cap-std path of a virtual path: relative to the root, `.` for the root itself.
fn rel(path: &VPath) -> PathBuf {
    match path.relative() {
        "" => PathBuf::from("."),
        r => PathBuf::from(r),
    }
}

/// An error of `kind` with a message for the log.
fn err(kind: io::ErrorKind, msg: &'static str) -> io::Error {
    io::Error::new(kind, msg)
}

/// Converts cap-std metadata into the protocol's entry facts.
fn entry_info(name: String, md: &Metadata) -> EntryInfo {
    let kind = if md.is_dir() {
        EntryKind::Dir
    } else if md.is_symlink() {
        EntryKind::Symlink
    } else {
        // Devices, FIFOs and sockets have no kind of their own in FTP; they read as files
        // (and `read` refuses them).
        EntryKind::File
    };
    EntryInfo {
        name,
        kind,
        size: md.len(),
        modified: md.modified().ok().map(|t| t.into_std()),
        mode: Some(md.mode() & 0o7777),
        unique: Some(unique_id(md.dev(), md.ino())),
    }
}

/// The MLSx `unique` fact of a file: `{dev:x}-{ino:x}`.
fn unique_id(dev: u64, ino: u64) -> String {
    let mut s = String::with_capacity(24);
    write_unique_id(&mut s, dev, ino);
    s
}

/// Appends the `unique` fact of [`unique_id`] to `out`, written without the `fmt`
/// machinery because every listed entry needs one.
fn write_unique_id(out: &mut String, dev: u64, ino: u64) {
    fn hex(out: &mut String, n: u64) {
        let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
        for i in (0..digits).rev() {
            let d = (n >> (4 * i)) & 0xf;
            out.push(char::from(b"0123456789abcdef"[d as usize]));
        }
    }
    hex(out, dev);
    out.push('-');
    hex(out, ino);
}

/// Checks that what `md` describes may be opened as a file to read or write: a directory
/// is `IsADirectory`; a FIFO, socket or device is refused, because opening one could block
/// a worker thread forever or touch hardware.
fn require_regular_file(md: &Metadata) -> io::Result<()> {
    if md.is_dir() {
        Err(err(io::ErrorKind::IsADirectory, "is a directory"))
    } else if !md.is_file() {
        Err(err(io::ErrorKind::PermissionDenied, "not a regular file"))
    } else {
        Ok(())
    }
}

/// Like [`require_regular_file`] for a path that may not exist yet (it will be created).
fn require_regular_or_missing(root: &Dir, path: &Path) -> io::Result<()> {
    match root.metadata(path) {
        Ok(md) => require_regular_file(&md),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses an operation on the root itself (which the client cannot remove or rename).
fn not_root(path: &VPath) -> Result<(), StorageError> {
    if path.is_root() {
        Err(StorageError::reason(
            StorageError::PermissionDenied,
            "the root directory cannot be changed",
        ))
    } else {
        Ok(())
    }
}

/// The refusal of a file operation on the root directory.
fn root_is_a_directory() -> StorageError {
    StorageError::reason(StorageError::IsADirectory, "is a directory")
}

/// A directory being listed one batch after the other through cap-std: the sequential
/// reader the parallel listing (listing.rs) is tested against, entry for entry.
#[cfg(test)]
struct DirReader {
    root: Arc<Dir>,
    entries: cap_std::fs::ReadDir,
    dir_rel: PathBuf,
    /// Whether entries get their facts (a stat each) or only their names (NLST).
    facts: bool,
}

#[cfg(test)]
impl DirReader {
    /// Reads up to [`LIST_BATCH`] entries (names and their directory entries, no stat);
    /// returns them and whether the directory may have more. Runs on the blocking pool.
    fn read_names(&mut self) -> (Vec<Named>, bool) {
        let mut names = Vec::with_capacity(LIST_BATCH);
        while names.len() < LIST_BATCH {
            let entry = match self.entries.next() {
                Some(Ok(entry)) => entry,
                // A failing readdir may fail again at once; stop rather than loop.
                Some(Err(e)) => {
                    names.push(Err(StorageError::from_io(e)));
                    return (names, false);
                }
                None => return (names, false),
            };
            let file_name = entry.file_name();
            // Uploads in progress are not files yet: keep them out of listings, so a mirror
            // never copies half a file.
            if is_temp_name(&file_name) {
                continue;
            }
            names.push(Ok((entry, file_name)));
        }
        (names, true)
    }

    /// Reads and examines up to [`LIST_BATCH`] entries; returns them and whether the
    /// directory may have more.
    fn next_batch(&mut self) -> (Vec<Result<EntryInfo, StorageError>>, bool) {
        let (names, more) = self.read_names();
        (examine(&self.root, &self.dir_rel, names, self.facts), more)
    }
}

/// A directory entry read but not examined yet, with its name.
#[cfg(test)]
type Named = Result<(cap_std::fs::DirEntry, std::ffi::OsString), StorageError>;

/// The facts of each entry of `names`, which lie in `dir_rel`. Runs on the blocking pool.
/// Without `facts`, only names (and the kind the directory itself records) are filled in.
#[cfg(test)]
fn examine(
    root: &Dir,
    dir_rel: &Path,
    names: Vec<Named>,
    facts: bool,
) -> Vec<Result<EntryInfo, StorageError>> {
    let mut batch = Vec::with_capacity(names.len());
    for named in names {
        let (entry, file_name) = match named {
            Ok(named) => named,
            Err(e) => {
                batch.push(Err(e));
                continue;
            }
        };
        if !facts {
            batch.push(Ok(name_only(&entry, &file_name)));
            continue;
        }
        // One `statx` relative to the open directory, without following a link: for
        // anything but a link that is already the answer, and it costs a third of the
        // checked resolution from the root (open beneath, stat, close).
        let own = match entry.metadata() {
            Ok(md) => md,
            // Vanished meanwhile, or unreadable: skipping it keeps the rest.
            Err(_) => continue,
        };
        let info = if own.is_symlink() {
            // A link shows its target's facts when the target lies inside the root, which
            // only the checked resolution from the root can tell; else the link itself.
            entry_for(root, dir_rel, &file_name)
                .unwrap_or_else(|| entry_info(name_of(&file_name), &own))
        } else {
            entry_info(name_of(&file_name), &own)
        };
        batch.push(Ok(info));
    }
    batch
}

/// An entry with its name and the kind its directory records (no stat where the file
/// system keeps the type in the directory), every other fact unknown.
#[cfg(test)]
fn name_only(entry: &cap_std::fs::DirEntry, file_name: &OsStr) -> EntryInfo {
    let kind = match entry.file_type() {
        Ok(t) if t.is_dir() => EntryKind::Dir,
        Ok(t) if t.is_symlink() => EntryKind::Symlink,
        _ => EntryKind::File,
    };
    EntryInfo {
        name: name_of(file_name),
        kind,
        size: 0,
        modified: None,
        mode: None,
        unique: None,
    }
}

/// Whether a directory entry is named like an upload's temporary file.
fn is_temp_name(name: &OsStr) -> bool {
    name.as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())
}

/// Refuses a client-chosen name that looks like an upload's temporary file: such a file
/// would be hidden from listings and taken for a stale upload by the sweep.
fn not_temp_name(path: &VPath) -> Result<(), StorageError> {
    match path.file_name() {
        Some(name) if is_temp_name(OsStr::new(name)) => Err(StorageError::reason(
            StorageError::InvalidName,
            "name reserved for temporary upload files",
        )),
        _ => Ok(()),
    }
}

/// Takes the exclusive lock that marks a temporary upload file as live. The lock lives as
/// long as the open file (and so dies with the process, even on `kill -9`): a temporary
/// file nobody holds locked is a leftover. `false` when someone else holds it.
fn try_lock(file: &std::fs::File) -> io::Result<bool> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether `path` (not followed if a link) is the very file `file` is open on.
fn still_named(root: &Dir, path: &Path, file: &std::fs::File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let open = file.metadata()?;
    match root.symlink_metadata(path) {
        Ok(md) => Ok(md.dev() == open.dev() && md.ino() == open.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes the temporary upload file `name` of `dir` if no live upload holds it; `true`
/// when it was removed. Anything but a regular file is left alone.
fn remove_if_stale(dir: &Dir, name: &OsStr) -> io::Result<bool> {
    if !dir.symlink_metadata(name)?.is_file() {
        return Ok(false);
    }
    let file = dir.open(name)?.into_std();
    // Locked by its upload, or replaced since the check above: not ours to remove.
    if !try_lock(&file)? || !still_named(dir, Path::new(name), &file)? {
        return Ok(false);
    }
    // Removed while the lock is held, so an upload can never lock a file about to go.
    dir.remove_file(name)?;
    Ok(true)
}

/// Removes the directory `p`; when it holds nothing but stale temporary upload files
/// (left by a server killed mid-upload), removes those first. A live upload keeps it
/// "not empty".
fn remove_dir_with_stale_uploads(root: &Dir, p: &Path) -> io::Result<()> {
    let not_empty = match root.remove_dir(p) {
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => e,
        other => return other,
    };
    let dir = root.open_dir(p)?;
    let mut temps = Vec::new();
    for entry in dir.entries()? {
        let name = entry?.file_name();
        if !is_temp_name(&name) {
            return Err(not_empty);
        }
        temps.push(name);
    }
    for name in temps {
        if !remove_if_stale(&dir, &name)? {
            return Err(not_empty);
        }
    }
    root.remove_dir(p)
}

/// Removes the stale temporary upload files under the root, visiting at most `limit`
/// entries (links are not followed); returns how many it removed. Safe beside running
/// uploads: they hold their files locked. Runs on the blocking pool.
fn sweep_stale_uploads(root: &Dir, limit: usize) -> usize {
    let mut removed = 0;
    let mut visited = 0;
    let mut pending = vec![PathBuf::from(".")];
    while let Some(rel) = pending.pop() {
        let Ok(dir) = root.open_dir(&rel) else {
            continue;
        };
        let Ok(entries) = dir.entries() else {
            continue;
        };
        for entry in entries {
            if visited >= limit {
                return removed;
            }
            visited += 1;
            let Ok(entry) = entry else { break };
            let name = entry.file_name();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(rel.join(&name)),
                Ok(t) if t.is_file() && is_temp_name(&name) => {
                    if matches!(remove_if_stale(&dir, &name), Ok(true)) {
                        removed += 1;
                    }
                }
                _ => {}
            }
        }
    }
    removed
}

/// The roots already swept by this process: each is swept once, at its first login.
static SWEPT_ROOTS: std::sync::OnceLock<std::sync::Mutex<HashSet<PathBuf>>> =
    std::sync::OnceLock::new();

/// The facts of the entry `name` in `dir_rel`, following a symlink only where it stays
/// inside the root. Resolved from the root rather than from the listed directory so that a
/// link like `../other/file` counts as inside whenever it is.
fn entry_for(root: &Dir, dir_rel: &Path, name: &OsStr) -> Option<EntryInfo> {
    root.metadata(dir_rel.join(name))
        .ok()
        .map(|md| entry_info(name_of(name), &md))
}

/// A file name as text. A name that is not UTF-8 is shown with U+FFFD in place of the bad
/// bytes: the protocol layer speaks UTF-8 only, and hiding the file would be worse.
fn name_of(name: &OsStr) -> String {
    name.to_string_lossy().into_owned()
}

#[async_trait]
impl Storage for LocalStorage {
    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
        let p = rel(path);
        let md = self.run(move |root| root.metadata(p)).await?;
        Ok(entry_info(path.file_name().unwrap_or("").to_owned(), &md))
    }

    async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        self.list_dir(path, true).await
    }

    async fn list_names(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        self.list_dir(path, false).await
    }

    /// Formatted on the listing's own jobs, right after each batch is examined: the
    /// transfer only sends the lines.
    async fn list_formatted(
        &self,
        path: &VPath,
        lines: Arc<ListLines>,
    ) -> Result<Option<ChunkStream>, StorageError> {
        let (dir_rel, dir) = self.open_listed(path).await?;
        Ok(Some(listing::formatted(
            Arc::clone(&self.root),
            dir,
            dir_rel,
            lines,
            self.listing.clone(),
        )))
    }

    async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError> {
        let p = rel(path);
        let (file, size) = self
            .run(move |root| {
                require_regular_file(&root.metadata(&p)?)?;
                let file = root.open(&p)?;
                // Checked again on the handle: the path may have changed since.
                let md = file.metadata()?;
                require_regular_file(&md)?;
                let mut file = file.into_std();
                file.seek(SeekFrom::Start(offset))?;
                Ok((file, md.len()))
            })
            .await?;
        // The open file itself, so that the transfer may send it without copying.
        Ok(ReadStream::File {
            file: tokio::fs::File::from_std(file),
            offset,
            len: size.saturating_sub(offset),
        })
    }

    async fn write(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, StorageError> {
        if path.is_root() {
            return Err(root_is_a_directory());
        }
        not_temp_name(path)?;
        let target = rel(path);
        let parent = rel(&path.parent());
        let dir = parent.clone();
        let root = Arc::clone(&self.root);
        let tmpfile = self.tmpfile;
        let (file, temp) = if mode == WriteMode::Create {
            // On the worker only when the directory resolves from the dentry cache alone.
            let cached = match self.offload.inline {
                true => create::open_parent_cached(&root, &parent),
                false => None,
            };
            let inline = match cached {
                Some(dir) => {
                    let (root, target) = (Arc::clone(&root), target.clone());
                    self.offload
                        .run(true, move || {
                            create::create_in(&root, dir, &target, true, tmpfile)
                        })
                        .await?
                        .map_err(StorageError::from_io)?
                }
                None => None,
            };
            let (file, landing) = match inline {
                Some(started) => started,
                // Not cached, or a link in the target's place to resolve: on the pool.
                None => self
                    .offload
                    .run(false, move || {
                        create::open_create(&root, &target, &parent, tmpfile)
                    })
                    .await?
                    .map_err(StorageError::from_io)?,
            };
            (file, Some(landing))
        } else {
            let file = self
                .run(move |root| open_upload(root, &target, mode))
                .await?;
            (file, None)
        };
        let upload = LocalUpload::new(
            file,
            Arc::clone(&self.root),
            temp,
            dir,
            self.durability.clone(),
        )
        .with_offload(self.offload.clone());
        Ok(Box::new(upload))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), StorageError> {
        not_temp_name(path)?;
        let p = rel(path);
        self.run(move |root| root.create_dir(p)).await
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), StorageError> {
        not_root(path)?;
        let p = rel(path);
        self.run(move |root| remove_dir_with_stale_uploads(root, &p))
            .await
    }

    async fn delete(&self, path: &VPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(root_is_a_directory());
        }
        let p = rel(path);
        self.run(move |root| {
            // unlink(2) on a directory gives EISDIR on Linux but EPERM elsewhere; checking
            // first makes the answer the same everywhere. A symlink is removed, not followed.
            if root.symlink_metadata(&p)?.is_dir() {
                return Err(err(io::ErrorKind::IsADirectory, "is a directory"));
            }
            root.remove_file(&p)
        })
        .await
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), StorageError> {
        not_root(from)?;
        not_root(to)?;
        not_temp_name(from)?;
        not_temp_name(to)?;
        let (from, to) = (rel(from), rel(to));
        self.run(move |root| root.rename(from, root, to)).await
    }

    async fn set_modified(&self, path: &VPath, time: SystemTime) -> Result<(), StorageError> {
        let p = rel(path);
        self.run(move |root| {
            // cap-std has no `set_times` of its own (that lives in cap-fs-ext), so the time
            // is set on an open handle, which std supports (futimens).
            let md = root.metadata(&p)?;
            // Directories too are opened as plain read-only files: `open_dir` may give an
            // `O_PATH` handle, on which futimens fails with EBADF.
            if !md.is_dir() {
                require_regular_file(&md)?;
            }
            let file = root.open(&p)?.into_std();
            file.set_modified(time)
        })
        .await
    }

    async fn sweep_stale_uploads(&self, limit: usize) -> usize {
        match self.sweep_stale_uploads_once(limit) {
            Some(sweep) => sweep.await.unwrap_or(0),
            None => 0,
        }
    }

    async fn chmod(&self, path: &VPath, mode: u32) -> Result<(), StorageError> {
        // Only the nine rwx bits: setuid, setgid and sticky on files a remote user uploaded
        // would be a privilege-escalation hazard on the server host.
        let perms = Permissions::from_std(std::fs::Permissions::from_mode(mode & 0o777));
        let p = rel(path);
        self.run(move |root| root.set_permissions(p, perms)).await
    }
}

/// Opens the file an in-place upload writes to (every mode but `Create`, see
/// `create.rs`). Runs on the blocking pool.
fn open_upload(root: &Dir, target: &Path, mode: WriteMode) -> io::Result<std::fs::File> {
    match mode {
        WriteMode::Create => Err(err(io::ErrorKind::Unsupported, "not an in-place upload")),
        WriteMode::Resume(offset) => {
            // REST 0 + STOR is a plain upload and may create the file; a real resume needs
            // the file it resumes.
            let create = offset == 0;
            if create {
                require_regular_or_missing(root, target)?;
            } else {
                require_regular_file(&root.metadata(target)?)?;
            }
            let file = root.open_with(target, OpenOptions::new().write(true).create(create))?;
            require_regular_file(&file.metadata()?)?;
            // Per REST + STOR convention the file ends where the new bytes end: cut (or
            // zero-extend) it to `offset`, then write from there.
            file.set_len(offset)?;
            let mut file = file.into_std();
            file.seek(SeekFrom::Start(offset))?;
            Ok(file)
        }
        WriteMode::Append => {
            require_regular_or_missing(root, target)?;
            let file = root.open_with(target, OpenOptions::new().append(true).create(true))?;
            require_regular_file(&file.metadata()?)?;
            Ok(file.into_std())
        }
        WriteMode::CreateNew => {
            // O_EXCL: fails on any existing entry, and never follows a symlink.
            let file = root.open_with(target, OpenOptions::new().write(true).create_new(true))?;
            Ok(file.into_std())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;
    use std::collections::BTreeSet;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A temporary directory holding `root/` (the storage) and `outside/` (a sibling that
    /// must stay unreachable), with `outside/secret.txt` in it.
    struct Fixture {
        _tmp: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
        storage: LocalStorage,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&root).expect("mkdir root");
        std::fs::create_dir(&outside).expect("mkdir outside");
        std::fs::write(outside.join("secret.txt"), b"secret").expect("write secret");
        let storage = LocalStorage::new(&root).expect("open storage");
        Fixture {
            _tmp: tmp,
            root,
            outside,
            storage,
        }
    }

    fn vp(s: &str) -> VPath {
        VPath::root().resolve(s).expect("valid path")
    }

    async fn read_all(s: &LocalStorage, path: &str, offset: u64) -> io::Result<Vec<u8>> {
        let mut r = s.read(&vp(path), offset).await?;
        let mut buf = Vec::new();
        r.read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn upload(s: &LocalStorage, path: &str, mode: WriteMode, data: &[u8]) -> io::Result<u64> {
        let mut up = s.write(&vp(path), mode).await?;
        up.write_all(data).await?;
        Ok(up.commit().await?)
    }

    async fn names(s: &LocalStorage, path: &str) -> io::Result<BTreeSet<String>> {
        let mut stream = s.list(&vp(path)).await?;
        let mut out = BTreeSet::new();
        while let Some(e) = stream.next().await {
            out.insert(e?.name);
        }
        Ok(out)
    }

    /// Names in `dir` other than the expected ones: leftover temporary files show up here.
    fn dir_names(dir: &Path) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn new_requires_an_existing_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(LocalStorage::new(tmp.path().join("missing")).is_err());
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        assert!(LocalStorage::new(&file).is_err());
        let s = LocalStorage::new(tmp.path()).expect("open");
        assert_eq!(s.root_path(), tmp.path());
        assert!(format!("{s:?}").contains("LocalStorage"));
    }

    #[tokio::test]
    async fn metadata_of_files_dirs_and_root() {
        let f = fixture();
        std::fs::write(f.root.join("a.txt"), b"hello").expect("write");
        std::fs::create_dir(f.root.join("sub")).expect("mkdir");
        std::os::unix::fs::symlink("a.txt", f.root.join("link")).expect("symlink");

        let m = f.storage.metadata(&vp("/a.txt")).await.expect("file");
        assert_eq!(m.name, "a.txt");
        assert_eq!(m.kind, EntryKind::File);
        assert_eq!(m.size, 5);
        assert!(m.modified.is_some());
        let std_md = std::fs::metadata(f.root.join("a.txt")).expect("std md");
        {
            use std::os::unix::fs::MetadataExt as _;
            assert_eq!(m.mode, Some(std_md.mode() & 0o7777));
            let unique = format!("{:x}-{:x}", std_md.dev(), std_md.ino());
            assert_eq!(m.unique.as_deref(), Some(unique.as_str()));
        }

        let m = f.storage.metadata(&vp("/sub")).await.expect("dir");
        assert_eq!((m.name.as_str(), m.kind), ("sub", EntryKind::Dir));
        let m = f.storage.metadata(&VPath::root()).await.expect("root");
        assert_eq!((m.name.as_str(), m.kind), ("", EntryKind::Dir));
        // A link inside the root is followed.
        let m = f.storage.metadata(&vp("/link")).await.expect("link");
        assert_eq!(
            (m.name.as_str(), m.kind, m.size),
            ("link", EntryKind::File, 5)
        );
        let e = f.storage.metadata(&vp("/nope")).await.expect_err("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn list_reports_entries_and_odd_links() {
        let f = fixture();
        std::fs::write(f.root.join("a.txt"), b"abc").expect("write");
        std::fs::write(f.root.join("with space ü.txt"), b"").expect("write");
        std::fs::create_dir(f.root.join("sub")).expect("mkdir");
        std::fs::write(f.root.join("sub/inner"), b"1").expect("write");
        std::os::unix::fs::symlink("sub", f.root.join("to-sub")).expect("symlink");
        std::os::unix::fs::symlink("missing", f.root.join("dangling")).expect("symlink");
        std::os::unix::fs::symlink("/etc", f.root.join("etc")).expect("symlink");
        std::os::unix::fs::symlink(&f.outside, f.root.join("out-abs")).expect("symlink");
        std::os::unix::fs::symlink("../outside", f.root.join("out-rel")).expect("symlink");
        // From inside sub, ../a.txt is still inside the root and must resolve.
        std::os::unix::fs::symlink("../a.txt", f.root.join("sub/up")).expect("symlink");

        let mut stream = f.storage.list(&VPath::root()).await.expect("list");
        let mut seen = Vec::new();
        while let Some(e) = stream.next().await {
            seen.push(e.expect("entry"));
        }
        seen.sort_by(|a, b| a.name.cmp(&b.name));
        let got: Vec<(&str, EntryKind)> = seen.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("a.txt", EntryKind::File),
                ("dangling", EntryKind::Symlink),
                ("etc", EntryKind::Symlink),
                ("out-abs", EntryKind::Symlink),
                ("out-rel", EntryKind::Symlink),
                ("sub", EntryKind::Dir),
                ("to-sub", EntryKind::Dir),
                ("with space ü.txt", EntryKind::File),
            ]
        );
        assert_eq!(seen[0].size, 3);

        let mut stream = f.storage.list(&vp("/sub")).await.expect("list sub");
        let mut sub = Vec::new();
        while let Some(e) = stream.next().await {
            sub.push(e.expect("entry"));
        }
        sub.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(sub.len(), 2);
        assert_eq!(
            (sub[1].name.as_str(), sub[1].kind, sub[1].size),
            ("up", EntryKind::File, 3)
        );

        assert_eq!(
            names(&f.storage, "/to-sub").await.expect("via link"),
            set(&["inner", "up"])
        );
        let e = f.storage.list(&vp("/a.txt")).await.err().expect("file");
        assert_eq!(e.kind(), io::ErrorKind::NotADirectory);
        let e = f.storage.list(&vp("/nope")).await.err().expect("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn list_streams_a_large_directory() {
        let f = fixture();
        for i in 0..2000 {
            std::fs::write(f.root.join(format!("file-{i:04}")), b"").expect("write");
        }
        let got = names(&f.storage, "/").await.expect("list");
        assert_eq!(got.len(), 2000);
        assert!(got.contains("file-0000") && got.contains("file-1999"));
        // Dropping the stream early stops the worker instead of blocking forever.
        let mut stream = f.storage.list(&VPath::root()).await.expect("list");
        assert!(stream.next().await.is_some());
        drop(stream);
    }

    /// Guards flat memory: the local backend never collects a whole directory. Each
    /// blocking trip reads at most `LIST_BATCH` entries, and the listing as a whole gets
    /// every entry with the same facts as `metadata` (links resolved as before).
    #[test]
    fn readdir_batches_stay_bounded() {
        let f = fixture();
        let n = 3 * LIST_BATCH + 17;
        for i in 0..n {
            std::fs::write(f.root.join(format!("file-{i:04}")), b"abc").expect("write");
        }
        std::os::unix::fs::symlink("file-0001", f.root.join("link")).expect("symlink");
        let root = Arc::clone(&f.storage.root);
        let mut reader = DirReader {
            entries: root.entries().expect("entries"),
            root,
            dir_rel: PathBuf::from("."),
            facts: true,
        };
        let mut seen = Vec::new();
        let mut trips = 0;
        loop {
            let (batch, more) = reader.next_batch();
            trips += 1;
            assert!(batch.len() <= LIST_BATCH, "a batch of {}", batch.len());
            seen.extend(batch.into_iter().map(|e| e.expect("entry")));
            if !more {
                break;
            }
        }
        assert!(trips >= n / LIST_BATCH, "{trips} trips");
        assert!(seen
            .iter()
            .all(|e| e.size == 3 && e.kind == EntryKind::File));
        // The link inside the root shows its target, as before.
        assert!(seen.iter().any(|e| e.name == "link"));
        // Every name once; the sub-directories and temp files of the fixture aside.
        let files = seen.iter().filter(|e| e.name.starts_with("file-")).count();
        assert_eq!(files, n);
    }

    /// Guards the names-only listing of NLST: the same names as `list` (temporary upload
    /// files left out, links and directories in), without the facts a stat would give.
    #[tokio::test]
    async fn list_names_gives_the_names_without_a_stat() {
        let f = fixture();
        std::fs::write(f.root.join("a.txt"), b"abc").expect("write");
        std::fs::create_dir(f.root.join("sub")).expect("mkdir");
        std::fs::write(f.root.join(format!("{TEMP_PREFIX}x")), b"").expect("write");
        std::os::unix::fs::symlink("a.txt", f.root.join("link")).expect("symlink");
        let mut listed = f.storage.list_names(&VPath::root()).await.expect("list");
        let mut got = Vec::new();
        while let Some(e) = listed.next().await {
            got.push(e.expect("entry"));
        }
        got.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<&str> = got.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "link", "sub"]);
        assert!(got.iter().all(|e| e.size == 0 && e.modified.is_none()));
        assert_eq!(got[2].kind, EntryKind::Dir);
    }

    /// Guards the hand-written `unique` fact: the same text as `format!("{:x}-{:x}")`.
    #[test]
    fn unique_id_is_hex_dev_dash_ino() {
        for (dev, ino) in [
            (0, 0),
            (1, 15),
            (16, 255),
            (0x801, 0x2a),
            (u64::MAX, 1 << 63),
        ] {
            assert_eq!(unique_id(dev, ino), format!("{dev:x}-{ino:x}"));
        }
    }

    #[tokio::test]
    async fn read_from_offsets() {
        let f = fixture();
        std::fs::write(f.root.join("a.txt"), b"hello world").expect("write");
        assert_eq!(
            read_all(&f.storage, "/a.txt", 0).await.expect("read"),
            b"hello world"
        );
        assert_eq!(
            read_all(&f.storage, "/a.txt", 6).await.expect("read"),
            b"world"
        );
        assert_eq!(read_all(&f.storage, "/a.txt", 11).await.expect("read"), b"");
        assert_eq!(
            read_all(&f.storage, "/a.txt", 500).await.expect("read"),
            b""
        );
        let e = read_all(&f.storage, "/", 0).await.expect_err("dir");
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        let e = read_all(&f.storage, "/nope", 0).await.expect_err("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn read_hands_over_the_open_file() {
        let f = fixture();
        std::fs::write(f.root.join("a.txt"), b"hello world").expect("write");
        for (offset, len) in [(0, 11), (6, 5), (11, 0), (500, 0)] {
            match f.storage.read(&vp("/a.txt"), offset).await.expect("read") {
                ReadStream::File {
                    offset: o, len: l, ..
                } => assert_eq!((o, l), (offset, len)),
                other => panic!("expected the file itself, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn errors_are_typed() {
        let f = fixture();
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        std::fs::write(f.root.join("d/x"), b"x").expect("write");
        std::fs::write(f.root.join("file"), b"x").expect("write");
        let s = &f.storage;
        let e = s.metadata(&vp("/nope")).await.expect_err("missing");
        assert!(matches!(e, StorageError::NotFound(_)), "{e}");
        let e = s.mkdir(&vp("/d")).await.expect_err("exists");
        assert!(matches!(e, StorageError::AlreadyExists(_)), "{e}");
        let e = s.rmdir(&vp("/d")).await.expect_err("not empty");
        assert!(matches!(e, StorageError::NotEmpty(_)), "{e}");
        let e = s.delete(&vp("/d")).await.expect_err("dir");
        assert!(matches!(e, StorageError::IsADirectory(_)), "{e}");
        let e = s.list(&vp("/file")).await.err().expect("file");
        assert!(matches!(e, StorageError::NotADirectory(_)), "{e}");
        let e = s.rmdir(&VPath::root()).await.expect_err("root");
        assert!(matches!(e, StorageError::PermissionDenied(_)), "{e}");
        std::os::unix::fs::symlink("/etc/passwd", f.root.join("pw")).expect("symlink");
        let e = s.read(&vp("/pw"), 0).await.expect_err("escape");
        assert!(matches!(e, StorageError::PermissionDenied(_)), "{e}");
        let long = "n".repeat(300);
        let e = s.mkdir(&vp(&format!("/{long}"))).await.expect_err("long");
        assert!(matches!(e, StorageError::InvalidName(_)), "{e}");
        assert_eq!(s.capabilities(), Capabilities::ALL);
    }

    #[tokio::test]
    async fn create_commit_replaces_atomically() {
        let f = fixture();
        let n = upload(&f.storage, "/new.bin", WriteMode::Create, b"first")
            .await
            .expect("up");
        assert_eq!(n, 5);
        assert_eq!(
            std::fs::read(f.root.join("new.bin")).expect("read"),
            b"first"
        );
        let n = upload(&f.storage, "/new.bin", WriteMode::Create, b"2nd")
            .await
            .expect("up");
        assert_eq!(n, 3);
        assert_eq!(std::fs::read(f.root.join("new.bin")).expect("read"), b"2nd");
        assert_eq!(dir_names(&f.root), set(&["new.bin"]));

        // While the upload runs, the old content stays visible and the temp is in place.
        let mut up = f
            .storage
            .write(&vp("/new.bin"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(b"third").await.expect("write");
        up.flush().await.expect("flush");
        assert_eq!(std::fs::read(f.root.join("new.bin")).expect("read"), b"2nd");
        assert_eq!(dir_names(&f.root).len(), 2);
        assert_eq!(up.commit().await.expect("commit"), 5);
        assert_eq!(
            std::fs::read(f.root.join("new.bin")).expect("read"),
            b"third"
        );
        assert_eq!(dir_names(&f.root), set(&["new.bin"]));

        // In a subdirectory, the temp lives there too.
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        upload(&f.storage, "/d/x", WriteMode::Create, b"x")
            .await
            .expect("up");
        assert_eq!(dir_names(&f.root.join("d")), set(&["x"]));

        let e = f
            .storage
            .write(&vp("/d"), WriteMode::Create)
            .await
            .err()
            .expect("dir");
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        let e = f
            .storage
            .write(&VPath::root(), WriteMode::Create)
            .await
            .err()
            .expect("root");
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        let e = f
            .storage
            .write(&vp("/nope/x"), WriteMode::Create)
            .await
            .err()
            .expect("parent");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn create_abort_and_drop_leave_nothing() {
        let f = fixture();
        let mut up = f
            .storage
            .write(&vp("/a"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(b"partial").await.expect("write");
        up.abort().await;
        assert!(dir_names(&f.root).is_empty());

        let mut up = f
            .storage
            .write(&vp("/b"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(b"partial").await.expect("write");
        drop(up);
        assert!(dir_names(&f.root).is_empty());

        // Abort of a replacement keeps the old file intact.
        std::fs::write(f.root.join("c"), b"old").expect("write");
        let mut up = f
            .storage
            .write(&vp("/c"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(b"new content").await.expect("write");
        up.abort().await;
        assert_eq!(std::fs::read(f.root.join("c")).expect("read"), b"old");
        assert_eq!(dir_names(&f.root), set(&["c"]));
    }

    /// Guards live uploads against the sweep: a sweep running in a loop beside uploads
    /// never removes a temporary file in use (each upload holds its lock), so every upload
    /// commits; without the lock, the sweep takes them and commits fail.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sweep_never_removes_a_live_upload() {
        let f = fixture();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sweeper = {
            let (root, stop) = (Arc::clone(&f.storage.root), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut removed = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    removed += sweep_stale_uploads(&root, usize::MAX);
                }
                removed
            })
        };
        for i in 0..50 {
            let n = upload(&f.storage, &format!("/f{i}"), WriteMode::Create, b"data")
                .await
                .expect("upload commits");
            assert_eq!(n, 4);
        }
        // The same with the steps on the worker (the lock and the link-count check there).
        let inline = f.storage.clone().with_inline_metadata(true);
        for i in 0..50 {
            let n = upload(&inline, &format!("/g{i}"), WriteMode::Create, b"data")
                .await
                .expect("upload commits");
            assert_eq!(n, 4);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // It may have removed a file caught between its creation and its lock; the upload
        // then took another name, as the commits above show.
        let _ = sweeper.join().expect("sweeper");
        assert!(dir_names(&f.root)
            .iter()
            .all(|n| !n.starts_with(TEMP_PREFIX)));
    }

    /// The fixture's storage with the small steps of a STOR on the worker or on the pool,
    /// and the counter of its pool trips.
    fn offloaded(f: &Fixture, inline: bool) -> (LocalStorage, Arc<AtomicU64>) {
        let trips = Arc::new(AtomicU64::new(0));
        let s = f
            .storage
            .clone()
            .with_inline_metadata(inline)
            .with_trip_counter(trips.clone());
        (s, trips)
    }

    /// Guards the hand-offs of a STOR: one trip to the blocking pool to start it and one to
    /// commit it; none with inline metadata, except the commit that syncs (fsync never
    /// runs on the worker). Fails if a trip is added, or if inlining is ignored.
    #[tokio::test]
    async fn a_small_store_makes_one_trip_each_way_or_none_inline() {
        let f = fixture();
        for (inline, fsync, want) in [(false, false, 2), (true, false, 0), (true, true, 1)] {
            let (s, trips) = offloaded(&f, inline);
            let s = s.with_fsync_uploads(fsync);
            upload(&s, "/small", WriteMode::Create, &[7u8; 4096])
                .await
                .expect("up");
            let got = trips.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(got, want, "inline {inline}, fsync {fsync}");
            assert_eq!(
                std::fs::read(f.root.join("small")).expect("read"),
                [7u8; 4096]
            );
        }
        // A commit with more than a small file left to write goes to the pool.
        let (s, trips) = offloaded(&f, true);
        upload(&s, "/big", WriteMode::Create, &vec![1u8; 200_000])
            .await
            .expect("up");
        assert_eq!(trips.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    /// Guards the worker against link resolution: with inline metadata, a STOR over a link
    /// starts on the blocking pool (one trip; resolving the link may read a disk), and the
    /// upload then replaces the link itself, as before.
    #[tokio::test]
    async fn a_link_in_the_targets_place_is_checked_on_the_pool() {
        let f = fixture();
        std::fs::write(f.root.join("file"), b"old").expect("write");
        std::os::unix::fs::symlink("file", f.root.join("link")).expect("symlink");
        let (s, trips) = offloaded(&f, true);
        upload(&s, "/link", WriteMode::Create, b"new")
            .await
            .expect("up");
        // The open went to the pool; the commit of a directory opened there too.
        assert_eq!(trips.load(std::sync::atomic::Ordering::Relaxed), 2);
        assert!(!std::fs::symlink_metadata(f.root.join("link"))
            .expect("md")
            .is_symlink());
        assert_eq!(std::fs::read(f.root.join("link")).expect("read"), b"new");
        assert_eq!(std::fs::read(f.root.join("file")).expect("read"), b"old");
    }

    /// Guards atomic replacement on the new path (the directory opened once), on the pool
    /// and inline: a reader polling the name while it is replaced again and again sees
    /// only whole versions, never a partial or missing file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_see_whole_versions_only() {
        let f = fixture();
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        let a = vec![b'a'; 100_000];
        let b = vec![b'b'; 70_000];
        std::fs::write(f.root.join("d/v"), &a).expect("write");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (path, stop) = (f.root.join("d/v"), Arc::clone(&stop));
            let (a, b) = (a.clone(), b.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    let got = std::fs::read(&path).expect("the name never goes missing");
                    assert!(got == a || got == b, "a partial file of {}", got.len());
                    reads += 1;
                }
                reads
            })
        };
        for inline in [false, true] {
            let (s, _) = offloaded(&f, inline);
            for i in 0..40 {
                let data = if i % 2 == 0 { &b } else { &a };
                upload(&s, "/d/v", WriteMode::Create, data)
                    .await
                    .expect("up");
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().expect("reader") > 0);
        assert_eq!(dir_names(&f.root.join("d")), set(&["v"]));
    }

    /// Guards listings against live uploads on the new path: a temporary file in a
    /// subdirectory exists meanwhile but is never listed, by LIST or NLST. (A new file has
    /// a named temporary file only with O_TMPFILE uploads off, see create.rs.)
    #[tokio::test]
    async fn a_live_upload_is_never_listed() {
        let f = fixture();
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        for inline in [false, true] {
            let (s, _) = offloaded(&f, inline);
            let s = s.with_tmpfile_uploads(false);
            let mut up = s.write(&vp("/d/new"), WriteMode::Create).await.expect("w");
            up.write_all(b"bytes").await.expect("write");
            up.flush().await.expect("flush");
            assert_eq!(dir_names(&f.root.join("d")).len(), 1, "the temp exists");
            assert!(names(&s, "/d").await.expect("list").is_empty());
            let mut listed = s.list_names(&vp("/d")).await.expect("nlst");
            assert!(listed.next().await.is_none());
            up.commit().await.expect("commit");
            assert_eq!(names(&s, "/d").await.expect("list"), set(&["new"]));
            std::fs::remove_file(f.root.join("d/new")).expect("rm");
        }
    }

    /// Guards the open directory against a parent swapped for a link while an upload
    /// runs: the rename happens in the directory the upload opened (now under its new
    /// name), never through the planted link to the outside. A path-based rename would
    /// refuse it (the commit fails); a naive one would write outside the root.
    #[tokio::test]
    async fn a_parent_swapped_for_a_link_cannot_redirect_the_rename() {
        let f = fixture();
        for inline in [false, true] {
            std::fs::create_dir(f.root.join("d")).expect("mkdir");
            let (s, _) = offloaded(&f, inline);
            let mut up = s.write(&vp("/d/x"), WriteMode::Create).await.expect("w");
            up.write_all(b"mine").await.expect("write");
            std::fs::rename(f.root.join("d"), f.root.join("moved")).expect("mv");
            std::os::unix::fs::symlink(&f.outside, f.root.join("d")).expect("symlink");
            up.commit().await.expect("commit in the opened directory");
            assert_eq!(
                std::fs::read(f.root.join("moved/x")).expect("read"),
                b"mine"
            );
            assert_eq!(dir_names(&f.outside), set(&["secret.txt"]));
            assert_eq!(dir_names(&f.root.join("moved")), set(&["x"]));
            std::fs::remove_file(f.root.join("d")).expect("rm link");
            std::fs::remove_dir_all(f.root.join("moved")).expect("rm dir");
        }
    }

    /// Guards the errors of a STOR's start on the new path: the same kinds (and so the
    /// same replies) as the checked resolution from the root gave, for every way the
    /// target or its parent can be wrong, on the pool and inline.
    #[tokio::test]
    async fn store_errors_keep_their_kinds() {
        let f = fixture();
        std::fs::create_dir(f.root.join("sub")).expect("mkdir");
        std::fs::write(f.root.join("file"), b"x").expect("write");
        std::os::unix::fs::symlink("sub", f.root.join("to-sub")).expect("symlink");
        std::os::unix::fs::symlink("file", f.root.join("to-file")).expect("symlink");
        std::os::unix::fs::symlink("/etc/passwd", f.root.join("pw")).expect("symlink");
        std::os::unix::fs::symlink("nowhere", f.root.join("dangling")).expect("symlink");
        std::os::unix::fs::symlink(&f.outside, f.root.join("out")).expect("symlink");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            f.root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        let long = format!("/{}", "n".repeat(300));
        let cases: [(&str, Option<io::ErrorKind>); 11] = [
            ("/sub", Some(io::ErrorKind::IsADirectory)),
            ("/to-sub", Some(io::ErrorKind::IsADirectory)),
            ("/pw", Some(io::ErrorKind::PermissionDenied)),
            ("/out/x", Some(io::ErrorKind::PermissionDenied)),
            ("/fifo", Some(io::ErrorKind::PermissionDenied)),
            ("/nope/x", Some(io::ErrorKind::NotFound)),
            ("/file/x", Some(io::ErrorKind::NotADirectory)),
            (long.as_str(), Some(io::ErrorKind::InvalidInput)),
            ("/to-file", None),
            ("/dangling", None),
            ("/file", None),
        ];
        for inline in [false, true] {
            let (s, _) = offloaded(&f, inline);
            for (path, want) in &cases {
                match (s.write(&vp(path), WriteMode::Create).await, want) {
                    (Ok(up), None) => up.abort().await,
                    (Err(e), Some(kind)) => assert_eq!(e.kind(), *kind, "{path}: {e}"),
                    (Ok(_), Some(kind)) => panic!("{path}: started, wanted {kind:?}"),
                    (Err(e), None) => panic!("{path}: {e}"),
                }
            }
        }
        // Nothing was left behind, and the link's target is untouched.
        assert!(dir_names(&f.root)
            .iter()
            .all(|n| !n.starts_with(TEMP_PREFIX)));
        assert_eq!(std::fs::read(f.root.join("file")).expect("read"), b"x");
    }

    #[tokio::test]
    async fn commit_failure_removes_temp() {
        let f = fixture();
        let mut up = f
            .storage
            .write(&vp("/later-dir"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(b"data").await.expect("write");
        // The target becomes a non-empty directory before commit: rename must fail.
        std::fs::create_dir(f.root.join("later-dir")).expect("mkdir");
        std::fs::write(f.root.join("later-dir/x"), b"").expect("write");
        assert!(up.commit().await.is_err());
        assert_eq!(dir_names(&f.root), set(&["later-dir"]));
    }

    /// Guards abort and drop with bytes still gathered in memory: an in-place upload larger
    /// than a write buffer keeps every byte it accepted, a `Create` one leaves nothing.
    #[tokio::test]
    async fn large_uploads_abort_and_drop_keep_or_discard_every_byte() {
        let f = fixture();
        let big: Vec<u8> = (0..(2 * upload::WRITE_BUFFER + 999))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(f.root.join("r"), b"0123456789").expect("write");
        let mut up = f
            .storage
            .write(&vp("/r"), WriteMode::Resume(4))
            .await
            .expect("w");
        up.write_all(&big).await.expect("write");
        up.abort().await;
        let mut want = b"0123".to_vec();
        want.extend_from_slice(&big);
        assert!(std::fs::read(f.root.join("r")).expect("read") == want);

        // Dropped unfinished: the gathered bytes land from a task of their own.
        let mut up = f
            .storage
            .write(&vp("/a"), WriteMode::Append)
            .await
            .expect("w");
        up.write_all(&big).await.expect("write");
        drop(up);
        let path = f.root.join("a");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(&path).map_or(0, |m| m.len()) < big.len() as u64 {
            assert!(
                std::time::Instant::now() < deadline,
                "dropped bytes never landed"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(std::fs::read(&path).expect("read") == big);

        let mut up = f
            .storage
            .write(&vp("/c"), WriteMode::Create)
            .await
            .expect("w");
        up.write_all(&big).await.expect("write");
        up.abort().await;
        assert_eq!(dir_names(&f.root), set(&["a", "r"]));
    }

    /// Guards the durability setting in the backend: with it, each commit fsyncs the file
    /// and its directory, in every mode; without it, nothing is synced.
    #[tokio::test]
    async fn fsync_uploads_syncs_file_and_directory() {
        for fsync in [false, true] {
            let f = fixture();
            std::fs::create_dir(f.root.join("d")).expect("mkdir");
            let syncs = Arc::new(AtomicU64::new(0));
            let s = f
                .storage
                .clone()
                .with_fsync_uploads(fsync)
                .with_sync_counter(syncs.clone());
            assert!(format!("{s:?}").contains(&format!("fsync_uploads: {fsync}")));
            upload(&s, "/d/x", WriteMode::Create, b"one")
                .await
                .expect("up");
            upload(&s, "/x", WriteMode::Append, b"two")
                .await
                .expect("up");
            upload(&s, "/x", WriteMode::Resume(1), b"3")
                .await
                .expect("up");
            upload(&s, "/y", WriteMode::CreateNew, b"4")
                .await
                .expect("up");
            let want = if fsync { 8 } else { 0 };
            assert_eq!(syncs.load(std::sync::atomic::Ordering::Relaxed), want);
            assert_eq!(std::fs::read(f.root.join("d/x")).expect("read"), b"one");
            assert_eq!(std::fs::read(f.root.join("x")).expect("read"), b"t3");
        }
    }

    #[tokio::test]
    async fn resume_truncates_at_offset() {
        let f = fixture();
        std::fs::write(f.root.join("r"), b"hello world").expect("write");
        let n = upload(&f.storage, "/r", WriteMode::Resume(5), b"XY")
            .await
            .expect("resume");
        assert_eq!(n, 2);
        assert_eq!(std::fs::read(f.root.join("r")).expect("read"), b"helloXY");
        // Beyond the end, the gap is zero-filled.
        upload(&f.storage, "/r", WriteMode::Resume(9), b"Z")
            .await
            .expect("resume");
        assert_eq!(
            std::fs::read(f.root.join("r")).expect("read"),
            b"helloXY\0\0Z"
        );
        // Abort keeps what was written.
        let mut up = f
            .storage
            .write(&vp("/r"), WriteMode::Resume(2))
            .await
            .expect("w");
        up.write_all(b"--").await.expect("write");
        up.abort().await;
        assert_eq!(std::fs::read(f.root.join("r")).expect("read"), b"he--");
        // Resume(0) may create; a real resume needs the file.
        upload(&f.storage, "/fresh", WriteMode::Resume(0), b"ok")
            .await
            .expect("resume 0");
        assert_eq!(std::fs::read(f.root.join("fresh")).expect("read"), b"ok");
        let e = f
            .storage
            .write(&vp("/none"), WriteMode::Resume(3))
            .await
            .err()
            .expect("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        let e = f
            .storage
            .write(&vp("/d"), WriteMode::Resume(3))
            .await
            .err()
            .expect("dir");
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }

    #[tokio::test]
    async fn append_creates_or_extends() {
        let f = fixture();
        upload(&f.storage, "/log", WriteMode::Append, b"one")
            .await
            .expect("append");
        let n = upload(&f.storage, "/log", WriteMode::Append, b",two")
            .await
            .expect("append");
        assert_eq!(n, 4);
        assert_eq!(std::fs::read(f.root.join("log")).expect("read"), b"one,two");
        let e = f
            .storage
            .write(&VPath::root(), WriteMode::Append)
            .await
            .err()
            .expect("root");
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }

    #[tokio::test]
    async fn create_new_refuses_existing_names() {
        let f = fixture();
        upload(&f.storage, "/u", WriteMode::CreateNew, b"1")
            .await
            .expect("create new");
        assert_eq!(std::fs::read(f.root.join("u")).expect("read"), b"1");
        let e = f
            .storage
            .write(&vp("/u"), WriteMode::CreateNew)
            .await
            .err()
            .expect("exists");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        std::os::unix::fs::symlink("/etc/passwd", f.root.join("l")).expect("symlink");
        let e = f
            .storage
            .write(&vp("/l"), WriteMode::CreateNew)
            .await
            .err()
            .expect("link");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(f.root.join("u")).expect("read"), b"1");
    }

    #[tokio::test]
    async fn mkdir_rmdir_delete_rename() {
        let f = fixture();
        let s = &f.storage;
        s.mkdir(&vp("/d")).await.expect("mkdir");
        assert!(f.root.join("d").is_dir());
        assert_eq!(
            s.mkdir(&vp("/d")).await.expect_err("again").kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(
            s.mkdir(&vp("/x/y")).await.expect_err("parent").kind(),
            io::ErrorKind::NotFound
        );
        assert!(s.mkdir(&VPath::root()).await.is_err());

        std::fs::write(f.root.join("d/f"), b"f").expect("write");
        assert_eq!(
            s.rmdir(&vp("/d")).await.expect_err("not empty").kind(),
            io::ErrorKind::DirectoryNotEmpty
        );
        assert_eq!(
            s.delete(&vp("/d")).await.expect_err("dir").kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            s.delete(&VPath::root()).await.expect_err("root").kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            s.rmdir(&VPath::root()).await.expect_err("root").kind(),
            io::ErrorKind::PermissionDenied
        );

        s.rename(&vp("/d/f"), &vp("/g")).await.expect("rename file");
        assert_eq!(std::fs::read(f.root.join("g")).expect("read"), b"f");
        std::fs::write(f.root.join("h"), b"h").expect("write");
        s.rename(&vp("/h"), &vp("/g"))
            .await
            .expect("rename replaces");
        assert_eq!(std::fs::read(f.root.join("g")).expect("read"), b"h");
        s.rename(&vp("/d"), &vp("/e")).await.expect("rename dir");
        assert!(f.root.join("e").is_dir());
        assert_eq!(
            s.rename(&vp("/zz"), &vp("/y"))
                .await
                .expect_err("missing")
                .kind(),
            io::ErrorKind::NotFound
        );
        assert!(s.rename(&VPath::root(), &vp("/r")).await.is_err());
        assert!(s.rename(&vp("/e"), &VPath::root()).await.is_err());

        s.delete(&vp("/g")).await.expect("delete");
        assert!(!f.root.join("g").exists());
        assert_eq!(
            s.delete(&vp("/g")).await.expect_err("gone").kind(),
            io::ErrorKind::NotFound
        );
        s.rmdir(&vp("/e")).await.expect("rmdir");
        assert!(dir_names(&f.root).is_empty());

        // Deleting a link removes the link, never its target.
        std::os::unix::fs::symlink(f.outside.join("secret.txt"), f.root.join("s"))
            .expect("symlink");
        s.delete(&vp("/s")).await.expect("delete link");
        assert!(f.outside.join("secret.txt").exists());
    }

    #[tokio::test]
    async fn set_modified_and_chmod() {
        let f = fixture();
        std::fs::write(f.root.join("f"), b"x").expect("write");
        std::fs::create_dir(f.root.join("d")).expect("mkdir");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        f.storage
            .set_modified(&vp("/f"), t)
            .await
            .expect("mtime file");
        f.storage
            .set_modified(&vp("/d"), t)
            .await
            .expect("mtime dir");
        for p in ["f", "d"] {
            let m = std::fs::metadata(f.root.join(p))
                .expect("md")
                .modified()
                .expect("mtime");
            assert_eq!(m, t);
        }
        let m = f.storage.metadata(&vp("/f")).await.expect("md");
        assert_eq!(m.modified, Some(t));
        let e = f
            .storage
            .set_modified(&vp("/nope"), t)
            .await
            .expect_err("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);

        f.storage.chmod(&vp("/f"), 0o600).await.expect("chmod");
        assert_eq!(
            f.storage.metadata(&vp("/f")).await.expect("md").mode,
            Some(0o600)
        );
        f.storage.chmod(&vp("/f"), 0o4755).await.expect("chmod");
        assert_eq!(
            f.storage.metadata(&vp("/f")).await.expect("md").mode,
            Some(0o755)
        );
        f.storage.chmod(&vp("/d"), 0o700).await.expect("chmod dir");
        assert_eq!(
            f.storage.metadata(&vp("/d")).await.expect("md").mode,
            Some(0o700)
        );
    }

    /// Asserts an operation was refused as an escape.
    fn denied<T, E: Into<io::Error>>(r: Result<T, E>, what: &str) {
        match r.map_err(Into::into) {
            Ok(_) => panic!("{what}: escaped the root"),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{what}: {e}"),
        }
    }

    #[tokio::test]
    async fn symlinks_cannot_escape_the_root() {
        let f = fixture();
        let s = &f.storage;
        std::os::unix::fs::symlink("/etc", f.root.join("etc")).expect("symlink");
        std::os::unix::fs::symlink("/etc/passwd", f.root.join("pw")).expect("symlink");
        std::os::unix::fs::symlink(&f.outside, f.root.join("out-abs")).expect("symlink");
        std::os::unix::fs::symlink("../outside", f.root.join("out-rel")).expect("symlink");
        std::os::unix::fs::symlink("../outside/secret.txt", f.root.join("sec")).expect("symlink");
        std::fs::write(f.root.join("mine"), b"mine").expect("write");

        denied(read_all(s, "/etc/passwd", 0).await, "read /etc/passwd");
        denied(read_all(s, "/pw", 0).await, "read pw");
        denied(s.list(&vp("/etc")).await, "list /etc");
        denied(s.metadata(&vp("/etc/passwd")).await, "metadata");
        denied(
            s.write(&vp("/etc/x"), WriteMode::Create).await,
            "create in /etc",
        );
        denied(s.write(&vp("/pw"), WriteMode::Append).await, "append pw");
        denied(s.write(&vp("/pw"), WriteMode::Resume(1)).await, "resume pw");
        denied(
            s.write(&vp("/pw"), WriteMode::Create).await,
            "create over pw",
        );
        for link in ["/out-abs", "/out-rel"] {
            let secret = format!("{link}/secret.txt");
            denied(read_all(s, &secret, 0).await, "read secret");
            denied(s.list(&vp(link)).await, "list outside");
            denied(
                s.write(&vp(&format!("{link}/new")), WriteMode::Create)
                    .await,
                "create",
            );
            denied(
                s.write(&vp(&format!("{link}/new")), WriteMode::CreateNew)
                    .await,
                "create new",
            );
            denied(s.write(&vp(&secret), WriteMode::Append).await, "append");
            denied(s.write(&vp(&secret), WriteMode::Resume(0)).await, "resume");
            denied(s.mkdir(&vp(&format!("{link}/d"))).await, "mkdir");
            denied(s.delete(&vp(&secret)).await, "delete");
            denied(s.rename(&vp(&secret), &vp("/stolen")).await, "rename out");
            denied(
                s.rename(&vp("/mine"), &vp(&format!("{link}/mine"))).await,
                "rename in",
            );
            denied(s.chmod(&vp(&secret), 0o777).await, "chmod");
            denied(
                s.set_modified(&vp(&secret), SystemTime::UNIX_EPOCH).await,
                "mtime",
            );
        }
        denied(read_all(s, "/sec", 0).await, "read sec");
        denied(s.chmod(&vp("/sec"), 0o777).await, "chmod through link");
        denied(
            s.set_modified(&vp("/sec"), SystemTime::UNIX_EPOCH).await,
            "mtime via link",
        );

        // Nothing outside changed, and nothing was created there.
        assert_eq!(dir_names(&f.outside), set(&["secret.txt"]));
        assert_eq!(
            std::fs::read(f.outside.join("secret.txt")).expect("read"),
            b"secret"
        );
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(f.outside.join("secret.txt"))
                .expect("md")
                .permissions()
                .mode();
            assert_ne!(mode & 0o777, 0o777);
        }
        assert!(f.root.join("mine").exists());
        assert!(!f.root.join("stolen").exists());
        // No temp file was left in the root by the refused uploads.
        assert_eq!(
            dir_names(&f.root),
            set(&["etc", "mine", "out-abs", "out-rel", "pw", "sec"])
        );
    }
}
