//! The `Create` upload (STOR) in its directory: the target's parent is opened once, beneath
//! the root, and everything after (the check of the target, the temporary file, its lock,
//! the final rename and the directory's fsync) is one `*at` call on that directory with a
//! single plain name. A small file thus costs about half the system calls that resolving
//! each path from the root again costs (cap-std opens every parent afresh).
//!
//! Why the `*at` calls on one plain name stay inside the root: the directory was opened by
//! cap-std's checked resolution (`openat2(RESOLVE_BENEATH)` on Linux), so it lies inside
//! the root; a name with no `/` that is neither `.` nor `..` names an entry of that very
//! directory; and none of the calls follows a link in that last place (`O_CREAT|O_EXCL`
//! and `O_NOFOLLOW` refuse one, `rename` replaces a link rather than following it, `linkat`
//! fails on any entry in its way, the check does not follow it). A new file is written
//! without a name (`O_TMPFILE` in the directory itself) and linked into place once whole
//! (see [`create_in`]); the only path resolved from outside the directory is the file's own
//! `/proc/self/fd` entry.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use cap_std::fs::Dir;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::{err, require_regular_or_missing, try_lock, TEMP_NAME_ATTEMPTS, TEMP_PREFIX};

/// Where a `Create` upload lands: its directory, open, and the two names in it.
#[derive(Debug)]
pub(crate) struct Landing {
    /// The target's parent, opened beneath the root (a bare path handle on Linux: enough
    /// for the `*at` calls, not for an fsync).
    pub(crate) dir: Dir,
    /// The temporary file's name in `dir`; `None` for a file without a name (`O_TMPFILE`),
    /// which [`Landing::rename`] links into place.
    pub(crate) temp: Option<OsString>,
    /// The final name in `dir`.
    pub(crate) target: OsString,
    /// Whether `dir` was resolved from the dentry cache alone (see [`open_parent_cached`]):
    /// only then may the commit run on the async worker.
    pub(crate) cached: bool,
}

impl Landing {
    /// Gives the temporary file (`file`, open) its final name: atomic, readers see the old
    /// file or the new one. A link in the target's place is replaced, never followed.
    ///
    /// A file without a name is linked into place, which only adds the name; when the
    /// name was taken meanwhile (a racing creator), it is linked under a temporary name
    /// first and renamed over the target, the atomic replace of the named path.
    pub(crate) fn rename(&self, file: &std::fs::File) -> io::Result<()> {
        if let Some(temp) = &self.temp {
            rustix::fs::renameat(&self.dir, &**temp, &self.dir, &*self.target)?;
            return Ok(());
        }
        match link_anonymous(file, &self.dir, &self.target) {
            Err(rustix::io::Errno::EXIST) => {}
            other => return other.map_err(Into::into),
        }
        // Locked before it has a name, so a sweep that finds the name leaves it alone.
        if !try_lock(file)? {
            return Err(err(io::ErrorKind::Other, "an anonymous upload is locked"));
        }
        for _ in 0..TEMP_NAME_ATTEMPTS {
            let temp = temp_name();
            match link_anonymous(file, &self.dir, &temp) {
                Ok(()) => {}
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
            let renamed = rustix::fs::renameat(&self.dir, &*temp, &self.dir, &*self.target);
            if renamed.is_err() {
                let _ = rustix::fs::unlinkat(&self.dir, &*temp, AtFlags::empty());
            }
            return renamed.map_err(Into::into);
        }
        Err(err(
            io::ErrorKind::AlreadyExists,
            "no free temporary upload name",
        ))
    }

    /// fsyncs the directory, through a readable handle on it (the held one may be a bare
    /// path handle, which fsync refuses).
    pub(crate) fn sync_dir(
        &self,
        sync: impl FnOnce(&std::fs::File) -> io::Result<()>,
    ) -> io::Result<()> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, ".", flags, Mode::empty())?;
        sync(&std::fs::File::from(fd))
    }

    /// Removes the temporary file (an upload aborted or dropped); a file without a name
    /// goes with its last descriptor.
    pub(crate) fn remove_temp(&self) -> io::Result<()> {
        if let Some(temp) = &self.temp {
            rustix::fs::unlinkat(&self.dir, &**temp, AtFlags::empty())?;
        }
        Ok(())
    }
}

/// A fresh temporary file name, unguessable.
fn temp_name() -> OsString {
    let mut temp = OsString::from(TEMP_PREFIX);
    temp.push(format!("{:016x}.tmp", rand::random::<u64>()));
    temp
}

/// A file without a name in `dir` (`O_TMPFILE`), for a new upload; `None` when the file
/// system cannot make one (`EOPNOTSUPP`, `EISDIR` on kernels without it) or on any other
/// error, for the named temporary file to be tried (and give the usual error).
fn create_anonymous(dir: &Dir) -> Option<std::fs::File> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(dir, ".", flags, Mode::from_raw_mode(0o666)).ok()?;
        Some(std::fs::File::from(fd))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = dir;
        None
    }
}

/// Whether `/proc/self/fd` is there to link a file without a name into place (see
/// [`link_anonymous`]); looked up once per process.
fn proc_fd_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| Path::new(PROC_FD).is_dir())
}

/// Where a process sees its own descriptors.
const PROC_FD: &str = "/proc/self/fd";

/// Gives the file without a name `file` the name `name` in `dir` (`linkat` of its
/// `/proc/self/fd` entry with `AT_SYMLINK_FOLLOW`, which needs no capability, unlike
/// `AT_EMPTY_PATH`). Fails with `EEXIST` when the name is taken: it never replaces.
fn link_anonymous(file: &std::fs::File, dir: &Dir, name: &OsStr) -> rustix::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let path = format!("{PROC_FD}/{}", file.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        path.as_str(),
        dir,
        name,
        AtFlags::SYMLINK_FOLLOW,
    )
}

/// Whether `name` is one plain component: the only kind of name the `*at` calls here are
/// given, since it cannot leave the directory they run in.
fn plain_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && b != b"." && b != b".." && !b.contains(&b'/') && !b.contains(&0)
}

/// Opens `parent` beneath the root like cap-std does (`openat2` with `RESOLVE_BENEATH`
/// and no magic links), but only if every component of the path is in the kernel's
/// dentry cache (`RESOLVE_CACHED`): such an open never waits on a disk or a network file
/// system, which is what lets it run on the async worker. `None` when the path is not all
/// cached (or a network file system wants to revalidate it), when the kernel lacks
/// `openat2` or the flag, and on any error: the caller then takes the blocking pool,
/// whose checked open gives the usual answer and error.
pub(crate) fn open_parent_cached(root: &Dir, parent: &Path) -> Option<Dir> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::ResolveFlags;
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | ResolveFlags::CACHED;
        let fd = rustix::fs::openat2(root, parent, flags, Mode::empty(), resolve).ok()?;
        Some(Dir::from_std_file(std::fs::File::from(fd)))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (root, parent);
        None
    }
}

/// Starts a `Create` upload of `target` (relative to the root, in `parent`): opens the
/// parent, checks the target and creates the locked temporary file beside it. Runs on the
/// blocking pool.
pub(crate) fn open_create(
    root: &Dir,
    target: &Path,
    parent: &Path,
    anonymous: bool,
) -> io::Result<(std::fs::File, Landing)> {
    let dir = root.open_dir(parent)?;
    create_in(root, dir, target, false, anonymous)?.ok_or_else(|| {
        err(
            io::ErrorKind::Other,
            "an unchecked link in the target's place",
        )
    })
}

/// Starts a `Create` upload of `target` in its open parent `dir`: checks the target and
/// creates the temporary file. `cached`: `dir` came from [`open_parent_cached`] and this
/// runs on the async worker, which must not resolve a link in the target's place (that may
/// read a disk): `None` then, and the caller starts over on the blocking pool.
///
/// `anonymous`: a new file (the check found no entry of that name) is created without a
/// name (`O_TMPFILE`) and linked into place at commit: the directory then sees one insert
/// of the final name instead of the temporary name's insert, the rename's lookup, delete
/// and insert, and there is no temporary name to lock or to sweep. A file system without
/// `O_TMPFILE`, a missing `/proc`, or a target that exists take the named temporary file
/// and its rename, as does a name taken meanwhile (see [`Landing::rename`]).
pub(crate) fn create_in(
    root: &Dir,
    dir: Dir,
    target: &Path,
    cached: bool,
    anonymous: bool,
) -> io::Result<Option<(std::fs::File, Landing)>> {
    let name = target
        .file_name()
        .filter(|n| plain_name(n))
        .ok_or_else(|| err(io::ErrorKind::PermissionDenied, "not a plain file name"))?
        .to_owned();
    let missing = match check_target(root, &dir, &name, target, !cached)? {
        Some(missing) => missing,
        None => return Ok(None),
    };
    if missing && anonymous && proc_fd_available() {
        if let Some(file) = create_anonymous(&dir) {
            let landing = Landing {
                dir,
                temp: None,
                target: name,
                cached,
            };
            return Ok(Some((file, landing)));
        }
    }
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let temp = temp_name();
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&dir, &*temp, flags, Mode::from_raw_mode(0o666)) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        };
        let file = std::fs::File::from(fd);
        // Locked at once, so a sweep knows it is live. A sweep removes a temporary file
        // only while it holds its lock, so once we hold it the name stays ours; before,
        // a sweep may have taken the file (locked, unlinked, let go): then it has no name
        // left, which its link count says without looking the name up again.
        if !try_lock(&file)? || rustix::fs::fstat(&file)?.st_nlink == 0 {
            continue;
        }
        return Ok(Some((
            file,
            Landing {
                dir,
                temp: Some(temp),
                target: name,
                cached,
            },
        )));
    }
    Err(err(
        io::ErrorKind::AlreadyExists,
        "no free temporary upload name",
    ))
}

/// Fails now rather than at commit if `name` in `dir` is taken by a directory (or by
/// something that is not a regular file), with the same errors as the checked resolution
/// from the root: a link is resolved that way (it may point elsewhere inside the root, or
/// outside it), anything else is decided by one `stat` of the name without following it.
///
/// This probe stays (one `stat`, where the checked resolution cost an open, a stat and a
/// close): without it a directory in the way would be found only by the rename, after the
/// client sent the whole file, and would get another reply than it gets today. Its miss
/// also leaves a negative dentry that makes the rename's own lookup of the name cheap.
///
/// `Some(missing)`: the upload may go on, and whether the name is free. `None` when the
/// name is a link and `resolve_links` is not given: the check is then left undone, for the
/// caller to repeat where resolving may block.
fn check_target(
    root: &Dir,
    dir: &Dir,
    name: &OsStr,
    target: &Path,
    resolve_links: bool,
) -> io::Result<Option<bool>> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(Some(true)),
        Err(e) => return Err(e.into()),
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(Some(false)),
        FileType::Directory => Err(err(io::ErrorKind::IsADirectory, "is a directory")),
        FileType::Symlink if !resolve_links => Ok(None),
        FileType::Symlink => require_regular_or_missing(root, target).map(|()| Some(false)),
        _ => Err(err(io::ErrorKind::PermissionDenied, "not a regular file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the gate of the inline path: a directory inside the root that resolves from
    /// the dentry cache opens; one outside, a link leading out, a missing one or a file
    /// does not (the blocking pool then answers as before).
    #[test]
    fn only_cached_directories_beneath_the_root_open_on_the_worker() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root_path = tmp.path().join("root");
        std::fs::create_dir_all(root_path.join("d/e")).expect("mkdir");
        std::fs::write(root_path.join("f"), b"x").expect("write");
        std::os::unix::fs::symlink(tmp.path(), root_path.join("out")).expect("symlink");
        let root = Dir::open_ambient_dir(&root_path, cap_std::ambient_authority()).expect("root");
        // Looked up once, so their dentries are cached.
        for p in ["d/e", "out", "f"] {
            let _ = std::fs::symlink_metadata(root_path.join(p));
        }
        // A link inside the root may or may not resolve from the cache alone; either answer
        // is safe (the pool resolves what the cache cannot), so it is not asserted.
        for ok in [".", "d", "d/e"] {
            assert!(open_parent_cached(&root, Path::new(ok)).is_some(), "{ok}");
        }
        for no in ["..", "out", "d/../..", "missing", "f"] {
            assert!(open_parent_cached(&root, Path::new(no)).is_none(), "{no}");
        }
    }

    /// The O_TMPFILE uploads (perf issue, small uploads, point 3), through the storage.
    mod tmpfile {
        use std::collections::BTreeSet;
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;

        use ferroftp_proto::path::VPath;
        use tokio::io::AsyncWriteExt as _;

        use crate::storage::local::LocalStorage;
        use crate::storage::{Storage as _, WriteMode};

        /// A storage on a fresh directory (its `d/` made), with O_TMPFILE uploads as asked
        /// and inline metadata as the server has it; `None` where the file system makes
        /// no file without a name, so the branch under test cannot be taken.
        fn storage(tmpfile: bool) -> Option<(tempfile::TempDir, LocalStorage)> {
            let tmp = tempfile::tempdir().expect("tempdir");
            std::fs::create_dir(tmp.path().join("d")).expect("mkdir");
            let probe = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(rustix::fs::OFlags::TMPFILE.bits() as i32)
                .open(tmp.path());
            if probe.is_err() || !super::super::proc_fd_available() {
                eprintln!("no O_TMPFILE or /proc here: skipped");
                return None;
            }
            let s = LocalStorage::new(tmp.path())
                .expect("storage")
                .with_inline_metadata(true)
                .with_tmpfile_uploads(tmpfile);
            Some((tmp, s))
        }

        use std::os::unix::fs::OpenOptionsExt as _;

        fn vp(s: &str) -> VPath {
            VPath::root().resolve(s).expect("path")
        }

        fn names(dir: &std::path::Path) -> BTreeSet<String> {
            std::fs::read_dir(dir)
                .expect("read_dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        }

        /// Whether `names` holds a temporary upload name.
        fn has_temp(names: &BTreeSet<String>) -> bool {
            names
                .iter()
                .any(|n| n.starts_with(super::super::TEMP_PREFIX))
        }

        // Guards the O_TMPFILE path: a new file has no entry at all while it is written
        // (the named path shows its temporary name), takes its final name with all its
        // bytes at commit, and leaves nothing else.
        #[tokio::test]
        async fn a_new_file_has_no_name_until_it_is_complete() {
            let Some((tmp, s)) = storage(true) else {
                return;
            };
            let mut up = s.write(&vp("/d/new"), WriteMode::Create).await.expect("w");
            up.write_all(b"all of it").await.expect("write");
            up.flush().await.expect("flush");
            assert!(names(&tmp.path().join("d")).is_empty(), "nothing named yet");
            up.commit().await.expect("commit");
            assert_eq!(
                names(&tmp.path().join("d")),
                BTreeSet::from(["new".to_owned()])
            );
            let got = std::fs::read(tmp.path().join("d/new")).expect("read");
            assert_eq!(got, b"all of it");
        }

        // Guards the fallbacks: a target that exists, or the setting off (the hook that
        // forces the named path), write a named temporary file renamed over the target.
        #[tokio::test]
        async fn an_existing_target_or_the_setting_off_take_the_named_temporary_file() {
            for (tmpfile, existing) in [(true, true), (false, false), (false, true)] {
                let Some((tmp, s)) = storage(tmpfile) else {
                    return;
                };
                let what = format!("tmpfile {tmpfile}, existing {existing}");
                let d = tmp.path().join("d");
                if existing {
                    std::fs::write(d.join("f"), b"old").expect("write");
                }
                let mut up = s.write(&vp("/d/f"), WriteMode::Create).await.expect("w");
                up.write_all(b"new bytes").await.expect("write");
                up.flush().await.expect("flush");
                let during = names(&d);
                assert!(has_temp(&during), "{what}: {during:?}");
                assert_eq!(during.contains("f"), existing, "{what}");
                if existing {
                    assert_eq!(std::fs::read(d.join("f")).expect("read"), b"old", "{what}");
                }
                up.commit().await.expect("commit");
                assert_eq!(names(&d), BTreeSet::from(["f".to_owned()]), "{what}");
                assert_eq!(std::fs::read(d.join("f")).expect("read"), b"new bytes");
            }
        }

        // Guards the racing creator: the name was free when the upload started, someone
        // created it meanwhile; the commit replaces it atomically (through a temporary
        // name, since a link never replaces), leaving no temporary name behind.
        #[tokio::test]
        async fn a_name_taken_meanwhile_is_replaced() {
            let Some((tmp, s)) = storage(true) else {
                return;
            };
            let d = tmp.path().join("d");
            let mut up = s.write(&vp("/d/race"), WriteMode::Create).await.expect("w");
            up.write_all(b"the upload").await.expect("write");
            std::fs::write(d.join("race"), b"the other creator").expect("write");
            // A reader holding the other file keeps seeing it whole: replaced, not changed.
            let held = std::fs::File::open(d.join("race")).expect("open");
            up.commit().await.expect("commit");
            assert_eq!(names(&d), BTreeSet::from(["race".to_owned()]));
            assert_eq!(std::fs::read(d.join("race")).expect("read"), b"the upload");
            let mut old = String::new();
            std::io::Read::read_to_string(&mut &held, &mut old).expect("read held");
            assert_eq!(old, "the other creator");
        }

        // Guards abort and drop on the O_TMPFILE path: nothing is left, not even a name.
        #[tokio::test]
        async fn an_aborted_or_dropped_upload_leaves_nothing() {
            let Some((tmp, s)) = storage(true) else {
                return;
            };
            let mut up = s.write(&vp("/d/gone"), WriteMode::Create).await.expect("w");
            up.write_all(&[7u8; 300_000]).await.expect("write");
            up.abort().await;
            let mut up = s.write(&vp("/d/gone"), WriteMode::Create).await.expect("w");
            up.write_all(b"dropped").await.expect("write");
            drop(up);
            assert!(names(&tmp.path().join("d")).is_empty());
        }

        // Guards durability on the O_TMPFILE path: the file and its directory are synced
        // (the link is the directory's change), and the file is complete.
        #[tokio::test]
        async fn fsync_syncs_the_file_and_the_directory() {
            let Some((tmp, s)) = storage(true) else {
                return;
            };
            let syncs = Arc::new(AtomicU64::new(0));
            let s = s.with_fsync_uploads(true).with_sync_counter(syncs.clone());
            let mut up = s
                .write(&vp("/d/durable"), WriteMode::Create)
                .await
                .expect("w");
            up.write_all(b"kept").await.expect("write");
            up.flush().await.expect("flush");
            assert!(names(&tmp.path().join("d")).is_empty());
            up.commit().await.expect("commit");
            assert_eq!(syncs.load(Ordering::Relaxed), 2);
            assert_eq!(
                std::fs::read(tmp.path().join("d/durable")).expect("read"),
                b"kept"
            );
        }
    }

    /// Guards the one check that keeps the `*at` calls inside the directory.
    #[test]
    fn only_plain_names_pass() {
        for ok in ["a", "a.txt", " x ", "...", ".hidden"] {
            assert!(plain_name(OsStr::new(ok)), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "/", "a\0b"] {
            assert!(!plain_name(OsStr::new(bad)), "{bad:?}");
        }
    }
}
