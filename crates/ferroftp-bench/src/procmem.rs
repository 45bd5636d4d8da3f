//! Memory of a server's process tree from /proc: forking servers (vsftpd, Pure-FTPd) hold a
//! process per session, so only the sum over the whole tree compares with a single process.

use std::collections::HashMap;
use std::fs;

/// Memory figures of one process tree, in KiB.
#[derive(Debug, Default, Clone, Copy)]
pub struct TreeMem {
    /// Processes in the tree, the root included.
    pub processes: u64,
    /// Sum of proportional set sizes (shared pages split between their users).
    pub pss_kib: u64,
    /// Sum of resident set sizes (shared pages counted in each process).
    pub rss_kib: u64,
    /// The root's resident set size.
    pub root_rss_kib: u64,
    /// The root's peak resident set size (VmHWM).
    pub root_hwm_kib: u64,
}

/// The root and every descendant of `root`, read from each process's `stat`.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = parent(pid) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids);
        }
        i += 1;
    }
    out
}

fn parent(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A `Key:   123 kB` field of a /proc file, in KiB.
fn field_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Memory of `root` and its descendants now; processes that vanish meanwhile are skipped.
pub fn measure(root: u32) -> TreeMem {
    let mut m = TreeMem::default();
    for pid in tree(root) {
        let Ok(rollup) = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        m.processes += 1;
        m.pss_kib += field_kib(&rollup, "Pss").unwrap_or(0);
        m.rss_kib += field_kib(&rollup, "Rss").unwrap_or(0);
    }
    if let Ok(status) = fs::read_to_string(format!("/proc/{root}/status")) {
        m.root_rss_kib = field_kib(&status, "VmRSS").unwrap_or(0);
        m.root_hwm_kib = field_kib(&status, "VmHWM").unwrap_or(0);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_has_memory() {
        let m = measure(std::process::id());
        assert!(m.processes >= 1);
        assert!(m.pss_kib > 0 && m.rss_kib > 0 && m.root_hwm_kib >= m.root_rss_kib);
    }

    #[test]
    fn fields_are_read_in_kib() {
        assert_eq!(
            field_kib("Rss:      120 kB\nPss:  60 kB\n", "Pss"),
            Some(60)
        );
        assert_eq!(field_kib("VmHWM:\t  512 kB\n", "VmHWM"), Some(512));
    }
}
