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

/// Starts a `Create` upload of `target` (relative to the root, in `parent`): opens the
/// parent, checks the target and creates the locked temporary file beside it. Runs where
/// blocking is allowed.
pub(crate) fn open_create(
    root: &Dir,
    target: &Path,
    parent: &Path,
) -> io::Result<(std::fs::File, Landing)> {
    let name = target
        .file_name()
        .filter(|n| plain_name(n))
        .ok_or_else(|| err(io::ErrorKind::PermissionDenied, "not a plain file name"))?
        .to_owned();
    let dir = root.open_dir(parent)?;
    check_target(root, &dir, &name, target)?;
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
        return Ok((
            file,
            Landing {
                dir,
                temp,
                target: name,
            },
        ));
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
fn check_target(root: &Dir, dir: &Dir, name: &OsStr, target: &Path) -> io::Result<()> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Directory => Err(err(io::ErrorKind::IsADirectory, "is a directory")),
        FileType::Symlink => require_regular_or_missing(root, target),
        _ => Err(err(io::ErrorKind::PermissionDenied, "not a regular file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
