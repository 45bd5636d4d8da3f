//! What a logged-in user may do.

/// Per-user permissions, checked by the session before any action reaches storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// LIST, NLST, MLSD, MLST, STAT path, SIZE, MDTM, CWD.
    pub list: bool,
    /// RETR.
    pub read: bool,
    /// STOR, STOU, APPE, MFMT, SITE CHMOD.
    pub write: bool,
    /// DELE, RMD.
    pub delete: bool,
    /// RNFR/RNTO.
    pub rename: bool,
    /// MKD.
    pub mkdir: bool,
}

impl Permissions {
    /// Everything allowed.
    pub const ALL: Permissions = Permissions {
        list: true,
        read: true,
        write: true,
        delete: true,
        rename: true,
        mkdir: true,
    };

    /// Browse and download only.
    pub const READ_ONLY: Permissions = Permissions {
        list: true,
        read: true,
        write: false,
        delete: false,
        rename: false,
        mkdir: false,
    };
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions::ALL
    }
}
