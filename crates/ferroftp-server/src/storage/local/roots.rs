//! Root directories shared between sessions: every session whose root is the same
//! directory works through one opened handle, so that N idle sessions of one user hold one
//! descriptor for their home instead of N.
//!
//! Sharing is safe because a [`Dir`] carries no per-session state: every operation is an
//! `openat`-style call relative to it, and listings open a fresh descriptor of their own.
//! A handle is reused only while it is still the directory the path names (same device
//! and inode as a fresh `stat` of the path), so a home an administrator moved away and
//! replaced is opened anew rather than served from the old directory.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use cap_std::fs::{Dir, MetadataExt as _};

/// A root some session opened, held weakly: the descriptor closes with its last session.
struct Entry {
    dir: Weak<Dir>,
    /// Device and inode of the opened directory.
    id: (u64, u64),
}

impl Entry {
    /// The handle, if a session still holds it and it is the directory `id` names.
    fn live(&self, id: (u64, u64)) -> Option<Arc<Dir>> {
        if self.id != id {
            return None;
        }
        self.dir.upgrade()
    }
}

/// The process's open roots, by the path they were opened from.
#[derive(Default)]
struct Registry {
    entries: HashMap<PathBuf, Entry>,
    /// Size at which entries whose sessions are all gone are swept out; doubling it after
    /// each sweep keeps the sweeps' cost proportional to the logins that filled the map.
    prune_at: usize,
}

/// The smallest map that is ever swept.
const PRUNE_FLOOR: usize = 64;

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static ROOTS: OnceLock<Mutex<Registry>> = OnceLock::new();
    // A poisoned lock only means another login panicked while holding it; the map of weak
    // handles is still consistent.
    ROOTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Device and inode of a file's metadata.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// Opens the directory at `path` as a root, or hands out the handle another session of
/// this process already holds on that same directory.
pub(super) fn open(path: &Path) -> io::Result<Arc<Dir>> {
    // Follows symbolic links, as opening the path does.
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(dir) = registry()
            .entries
            .get(path)
            .and_then(|e| e.live(identity(&meta)))
        {
            return Ok(dir);
        }
    }
    // Opened outside the lock: a slow disk must not hold up every other login.
    let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
    // The identity of what was opened, not of what was stat'ed before: the path may have
    // changed in between.
    let meta = dir.dir_metadata()?;
    let id = (meta.dev(), meta.ino());
    let mut reg = registry();
    // Another login to the same directory may have opened it meanwhile: use its handle
    // (ours closes on return) so that the two share one from now on.
    if let Some(existing) = reg.entries.get(path).and_then(|e| e.live(id)) {
        return Ok(existing);
    }
    let dir = Arc::new(dir);
    if reg.entries.len() >= reg.prune_at {
        reg.entries.retain(|_, e| e.dir.strong_count() > 0);
        reg.prune_at = (reg.entries.len() * 2).max(PRUNE_FLOOR);
    }
    reg.entries.insert(
        path.to_path_buf(),
        Entry {
            dir: Arc::downgrade(&dir),
            id,
        },
    );
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the sharing: two opens of one directory give one handle, and a directory
    /// replaced at the same path gets a handle of its own.
    #[test]
    fn one_handle_per_directory_and_none_for_a_replaced_one() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path().join("home");
        std::fs::create_dir(&home).expect("mkdir");
        let a = open(&home).expect("open");
        let b = open(&home).expect("open again");
        assert!(Arc::ptr_eq(&a, &b));

        std::fs::rename(&home, tmp.path().join("old")).expect("move away");
        std::fs::create_dir(&home).expect("new home");
        std::fs::write(home.join("new.txt"), b"new").expect("write");
        let c = open(&home).expect("open the new home");
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(c.exists("new.txt"));
        assert!(!a.exists("new.txt"));
    }

    /// Guards the release: once every holder is gone the descriptor is closed, and the
    /// next open makes a new handle.
    #[test]
    fn the_handle_closes_with_its_last_holder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = open(tmp.path()).expect("open");
        let weak = Arc::downgrade(&a);
        drop(a);
        assert!(weak.upgrade().is_none());
        assert!(open(tmp.path().join("missing").as_path()).is_err());
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        assert!(open(&file).is_err());
    }
}
