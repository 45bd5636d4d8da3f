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
//! and `O_NOFOLLOW` refuse one, `rename` replaces a link rather than following it, the
//! check does not follow it).

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
    /// The temporary file's name in `dir`.
    pub(crate) temp: OsString,
    /// The final name in `dir`.
    pub(crate) target: OsString,
    /// Whether `dir` was resolved from the dentry cache alone (see [`open_parent_cached`]):
    /// only then may the commit run on the async worker.
    pub(crate) cached: bool,
}

impl Landing {
    /// Gives the temporary file its final name: atomic, readers see the old file or the new
    /// one. A link in the target's place is replaced, never followed.
    pub(crate) fn rename(&self) -> io::Result<()> {
        rustix::fs::renameat(&self.dir, &*self.temp, &self.dir, &*self.target)?;
        Ok(())
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

    /// Removes the temporary file (an upload aborted or dropped).
    pub(crate) fn remove_temp(&self) -> io::Result<()> {
        rustix::fs::unlinkat(&self.dir, &*self.temp, AtFlags::empty())?;
        Ok(())
    }
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
) -> io::Result<(std::fs::File, Landing)> {
    let dir = root.open_dir(parent)?;
    create_in(root, dir, target, false)?.ok_or_else(|| {
        err(
            io::ErrorKind::Other,
            "an unchecked link in the target's place",
        )
    })
}

/// Starts a `Create` upload of `target` in its open parent `dir`: checks the target and
/// creates the locked temporary file. `cached`: `dir` came from [`open_parent_cached`] and
/// this runs on the async worker, which must not resolve a link in the target's place (that
/// may read a disk): `None` then, and the caller starts over on the blocking pool.
pub(crate) fn create_in(
    root: &Dir,
    dir: Dir,
    target: &Path,
    cached: bool,
) -> io::Result<Option<(std::fs::File, Landing)>> {
    let name = target
        .file_name()
        .filter(|n| plain_name(n))
        .ok_or_else(|| err(io::ErrorKind::PermissionDenied, "not a plain file name"))?
        .to_owned();
    if !check_target(root, &dir, &name, target, !cached)? {
        return Ok(None);
    }
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let mut temp = OsString::from(TEMP_PREFIX);
        temp.push(format!("{:016x}.tmp", rand::random::<u64>()));
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
                temp,
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
/// `false` when the name is a link and `resolve_links` is not given: the check is then
/// left undone, for the caller to repeat where resolving may block.
fn check_target(
    root: &Dir,
    dir: &Dir,
    name: &OsStr,
    target: &Path,
    resolve_links: bool,
) -> io::Result<bool> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(true),
        Err(e) => return Err(e.into()),
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(true),
        FileType::Directory => Err(err(io::ErrorKind::IsADirectory, "is a directory")),
        FileType::Symlink if !resolve_links => Ok(false),
        FileType::Symlink => require_regular_or_missing(root, target).map(|()| true),
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
