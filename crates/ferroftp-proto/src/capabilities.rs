//! What the storage behind a session can do.
//!
//! A backend reports its [`Capabilities`] when the user logs in
//! ([`crate::session::Session::set_capabilities`]); from then on they decide what FEAT
//! advertises, what HELP lists, and which commands are refused up front with a reply that
//! says why, instead of failing halfway through with a vague error. The local file system
//! can do everything, which is the default.

use crate::catalogue::Msg;
use crate::command::Verb;

/// The optional abilities of a storage backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Appending to an existing file (APPE).
    pub append: bool,
    /// Resuming an upload at an offset (REST n, then STOR). Downloads can always resume.
    pub resume: bool,
    /// Renaming directories, not only files (RNFR of a directory).
    pub rename_dirs: bool,
    /// Changing permission bits (SITE CHMOD).
    pub chmod: bool,
    /// Setting a file's modification time (MFMT).
    pub set_modified: bool,
    /// Directories that exist while empty (MKD). Object stores only have prefixes of
    /// object names, which vanish with their last object.
    pub empty_dirs: bool,
}

impl Capabilities {
    /// Everything: what the local file system offers.
    pub const ALL: Capabilities = Capabilities {
        append: true,
        resume: true,
        rename_dirs: true,
        chmod: true,
        set_modified: true,
        empty_dirs: true,
    };

    /// Nothing optional: plain reads, whole-file writes, file renames and deletes.
    pub const NONE: Capabilities = Capabilities {
        append: false,
        resume: false,
        rename_dirs: false,
        chmod: false,
        set_modified: false,
        empty_dirs: false,
    };

    /// Whether every form of `verb` is possible; `false` only for verbs that exist solely
    /// to use a missing capability (APPE, MFMT, MKD). HELP leaves those out.
    pub fn supports_verb(&self, verb: Verb) -> bool {
        match verb {
            Verb::Appe => self.append,
            Verb::Mfmt => self.set_modified,
            Verb::Mkd => self.empty_dirs,
            _ => true,
        }
    }

    /// The refusal of a command that needs a capability the backend lacks, decided before
    /// anything touches the storage: `502` for a verb (or SITE command) that cannot work at
    /// all, `504` for a parameter (a REST offset before STOR). `arg` is the command's
    /// argument and `rest` the pending REST offset.
    pub fn refusal(&self, verb: Verb, arg: Option<&str>, rest: u64) -> Option<Msg> {
        match verb {
            Verb::Appe if !self.append => Some(Msg::AppendUnsupported),
            Verb::Mfmt if !self.set_modified => Some(Msg::MfmtUnsupported),
            Verb::Mkd if !self.empty_dirs => Some(Msg::MkdUnsupported),
            Verb::Stor if rest > 0 && !self.resume => Some(Msg::ResumeUnsupported),
            Verb::Site if !self.chmod && site_command(arg).eq_ignore_ascii_case("CHMOD") => {
                Some(Msg::ChmodUnsupported)
            }
            _ => None,
        }
    }

    /// The reason a verb is not available, for `HELP verb`.
    pub fn verb_refusal(&self, verb: Verb) -> Option<Msg> {
        if self.supports_verb(verb) {
            None
        } else {
            self.refusal(verb, None, 0)
        }
    }
}

impl Default for Capabilities {
    /// Everything, so that a session that never heard from its backend behaves as on the
    /// local disk.
    fn default() -> Capabilities {
        Capabilities::ALL
    }
}

/// The SITE sub-command of a SITE argument (`CHMOD` in `CHMOD 644 f`).
fn site_command(arg: Option<&str>) -> &str {
    arg.unwrap_or("").split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_refuses_nothing() {
        let c = Capabilities::default();
        assert_eq!(c, Capabilities::ALL);
        for (verb, arg) in [
            (Verb::Appe, Some("f")),
            (Verb::Mfmt, Some("20200101000000 f")),
            (Verb::Mkd, Some("d")),
            (Verb::Stor, Some("f")),
            (Verb::Site, Some("CHMOD 644 f")),
        ] {
            assert_eq!(c.refusal(verb, arg, 10), None, "{verb}");
            assert!(c.supports_verb(verb));
        }
    }

    #[test]
    fn none_refuses_each_gated_command() {
        let c = Capabilities::NONE;
        assert_eq!(
            c.refusal(Verb::Appe, Some("f"), 0),
            Some(Msg::AppendUnsupported)
        );
        assert_eq!(
            c.refusal(Verb::Mfmt, Some("20200101000000 f"), 0),
            Some(Msg::MfmtUnsupported)
        );
        assert_eq!(
            c.refusal(Verb::Mkd, Some("d"), 0),
            Some(Msg::MkdUnsupported)
        );
        assert_eq!(
            c.refusal(Verb::Site, Some(" chmod 644 f"), 0),
            Some(Msg::ChmodUnsupported)
        );
        // A whole-file STOR, SITE HELP and downloads from an offset still work.
        assert_eq!(c.refusal(Verb::Stor, Some("f"), 0), None);
        assert_eq!(
            c.refusal(Verb::Stor, Some("f"), 5),
            Some(Msg::ResumeUnsupported)
        );
        assert_eq!(c.refusal(Verb::Site, Some("HELP"), 0), None);
        assert_eq!(c.refusal(Verb::Retr, Some("f"), 5), None);
        assert_eq!(c.refusal(Verb::Rnfr, Some("d"), 0), None);
        assert!(!c.supports_verb(Verb::Appe));
        assert!(c.supports_verb(Verb::Stor));
        assert!(c.supports_verb(Verb::Site));
        assert_eq!(c.verb_refusal(Verb::Mkd), Some(Msg::MkdUnsupported));
        assert_eq!(c.verb_refusal(Verb::Stor), None);
    }

    #[test]
    fn refusals_are_502_for_verbs_and_504_for_parameters() {
        for m in [
            Msg::AppendUnsupported,
            Msg::MfmtUnsupported,
            Msg::MkdUnsupported,
            Msg::ChmodUnsupported,
        ] {
            assert_eq!(m.code(), 502, "{m:?}");
        }
        assert_eq!(Msg::ResumeUnsupported.code(), 504);
        assert_eq!(Msg::RenameDirUnsupported.code(), 504);
    }
}
