//! The lines of one listing, as the data connection carries them: the format (LIST, NLST,
//! MLSD), the name filter of a pattern and the directory prefix of NLST, in one value that
//! both the transfer driver and a backend's own listing jobs use, so that whichever of them
//! formats the entries sends the very same bytes.

use std::time::SystemTime;

use ferroftp_proto::listing::{self, EntryInfo, Glob, ListTimes, MlstFacts};
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::ListFormat;

/// How each entry of a listing becomes its line (see [`ListLines::write`]). Shared between
/// threads: a backend may format on its own jobs (see `Storage::list_formatted`).
#[derive(Debug, Clone)]
pub struct ListLines {
    format: ListFormat,
    /// The recent/old date decision of LIST, made once per listing.
    times: ListTimes,
    facts: MlstFacts,
    perms: Permissions,
    /// Only names matching this pattern are listed.
    glob: Option<Glob>,
    /// What goes before each NLST name (the directory the client wrote), already shown as
    /// a listing shows names.
    prefix: Vec<u8>,
}

impl ListLines {
    /// The lines of a listing in `format` made at `now`: MLSD shows `facts` and the
    /// `perms` of the user; only names matching `glob` are listed, and NLST puts `prefix`
    /// before each name.
    pub fn new(
        format: ListFormat,
        now: SystemTime,
        facts: MlstFacts,
        perms: Permissions,
        glob: Option<Glob>,
        prefix: &str,
    ) -> ListLines {
        let mut shown = Vec::new();
        // NLST names keep the directory the client wrote, for mget; the other formats
        // show bare names.
        if format == ListFormat::Nlst {
            listing::write_display_name(&mut shown, prefix);
        }
        ListLines {
            format,
            times: ListTimes::new(now),
            facts,
            perms,
            glob,
            prefix: shown,
        }
    }

    /// Whether the lines show only names (NLST): then an entry's other facts are never
    /// read, and a backend may leave them unknown.
    pub fn names_only(&self) -> bool {
        self.format == ListFormat::Nlst
    }

    /// Appends the line of `entry` with its CRLF to `out`, unless the pattern leaves the
    /// entry out. The matching work (glob steps) is added to `work`, for a caller that
    /// must hand its thread back now and then.
    pub fn write(&self, out: &mut Vec<u8>, entry: &EntryInfo, work: &mut u64) {
        if let Some(g) = &self.glob {
            if !g.matches_counting(&entry.name, work) {
                return;
            }
        }
        out.extend_from_slice(&self.prefix);
        self.write_bare(out, entry);
    }

    /// Appends the line of `entry` with its CRLF, whatever the pattern says: for a listing
    /// of one file, which shows the file as it is named.
    pub fn write_bare(&self, out: &mut Vec<u8>, entry: &EntryInfo) {
        match self.format {
            ListFormat::List => listing::write_list_line(out, entry, &self.times),
            ListFormat::Nlst => listing::write_nlst_line(out, &entry.name),
            ListFormat::Mlsd => listing::write_mlsx_line(out, entry, &self.facts, &self.perms),
        }
        out.extend_from_slice(b"\r\n");
    }
}
