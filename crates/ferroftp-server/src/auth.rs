//! Authentication: who may log in, where their home is and what they may do.
//!
//! The users file is TOML with argon2id password hashes; see [`UsersFile`](crate::users_file::UsersFile).

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Secret, TlsRequired};

/// The user names that mean an anonymous login (compared without regard to case).
pub const ANONYMOUS_NAMES: [&str; 2] = ["anonymous", "ftp"];

/// Whether `user` asks for an anonymous login.
pub fn is_anonymous_name(user: &str) -> bool {
    ANONYMOUS_NAMES.iter().any(|n| user.eq_ignore_ascii_case(n))
}

/// A user who has logged in: what the session needs to serve them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// The directory the user sees as `/`.
    pub home: PathBuf,
    /// What the user may do.
    pub permissions: Permissions,
}

/// A user's own limits, from the users file. Zero means no limit of that kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UserLimits {
    /// Most bytes per second the user downloads, over all their sessions.
    pub download_rate: u64,
    /// Most bytes per second the user uploads, over all their sessions.
    pub upload_rate: u64,
    /// Most bytes of regular files under the user's root.
    pub quota_bytes: u64,
    /// Most regular files under the user's root.
    pub quota_files: u64,
}

impl UserLimits {
    /// Whether a quota of either kind applies.
    pub fn has_quota(&self) -> bool {
        self.quota_bytes > 0 || self.quota_files > 0
    }
}

/// Why a login was refused. The client sees the same `Msg::LoginIncorrect` either way, so that nobody can
/// learn which user names exist.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No such user, or the password does not match.
    #[error("invalid user name or password")]
    Invalid,
    /// The users file could not be read.
    #[error("authentication backend failed: {0}")]
    Backend(String),
}

/// Checks user names and passwords.
#[async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug {
    /// Returns the account when `password` is right for `user`.
    async fn authenticate(&self, user: &str, password: &Secret) -> Result<Account, AuthError>;

    /// The user's own TLS policy, if stricter rules apply to them than to everyone. The
    /// server looks it up only once the password is right, so that USER gets the same answer
    /// for every name and does not tell which exist.
    fn tls_policy(&self, _user: &str) -> Option<TlsRequired> {
        None
    }

    /// The bandwidth limits and quotas of `user`, looked up once they have logged in.
    fn limits(&self, _user: &str) -> UserLimits {
        UserLimits::default()
    }

    /// The account, when the authenticator can confirm `password` for `user` at once from
    /// credentials it verified recently, without its slow check. The server tries this
    /// before queueing for a password-check permit; `None` means "do the full check".
    fn authenticate_cached(&self, _user: &str, _password: &Secret) -> Option<Account> {
        None
    }

    /// Sets how many recently verified credentials are remembered (0: none) and for how
    /// long; the server calls it at start from its [`crate::LoginLimits`].
    fn configure_credential_cache(&self, _capacity: usize, _ttl: Duration) {}

    /// Every account, for work done at start-up (the sweep of stale upload files); an
    /// authenticator that cannot list its users returns none.
    fn accounts(&self) -> Vec<Account> {
        Vec::new()
    }

    /// Whether an account by this name exists; used only for start-up warnings.
    fn has_account(&self, _user: &str) -> bool {
        false
    }
}
