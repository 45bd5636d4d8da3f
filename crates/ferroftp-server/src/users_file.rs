//! The TOML users file: login names, argon2id password hashes, home directories and
//! permissions.
//!
//! ```toml
//! [[user]]
//! name = "alice"
//! password = "$argon2id$v=19$m=19456,t=2,p=1$..."   # PHC string
//! home = "/srv/ftp/alice"
//! read_only = false
//! # Optional; when present it overrides `read_only`:
//! # permissions = ["list", "read", "write", "delete", "rename", "mkdir"]
//! ```
//!
//! [`UsersFile`] loads, edits and saves the file (the `ferroftp user` commands);
//! [`UsersFileAuthenticator`] checks logins against it. [`StaticAuthenticator`] is the single
//! in-memory user of the zero-configuration quick start.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Secret, TlsRequired};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth::{Account, AuthError, Authenticator};

/// Longest accepted user name, in characters.
const MAX_NAME_CHARS: usize = 64;

/// Why the users file could not be read, written or changed.
#[derive(Debug, thiserror::Error)]
pub enum UsersFileError {
    /// Reading or writing the file failed.
    #[error("users file {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is not valid TOML or does not describe users correctly.
    #[error("users file {}: {message}", path.display())]
    Parse {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong, with the line and column when known.
        message: String,
    },
    /// `add` was asked for a name that is already taken.
    #[error("user {0:?} already exists")]
    Exists(String),
    /// No user by that name.
    #[error("no such user {0:?}")]
    NotFound(String),
    /// The name cannot be used as a login name.
    #[error("invalid user name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Hashing the password failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// One user of the users file.
#[derive(Clone, PartialEq, Eq)]
pub struct UserEntry {
    name: String,
    /// PHC string, checked to be an argon2 hash when it was loaded or made.
    password_hash: String,
    home: PathBuf,
    permissions: Permissions,
    tls: Option<TlsRequired>,
}

impl UserEntry {
    /// The login name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The directory the user sees as `/`.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// What the user may do.
    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    /// The user's own TLS policy (`tls = "login"` or `"all"` in the file), if any.
    pub fn tls_required(&self) -> Option<TlsRequired> {
        self.tls
    }

    fn account(&self) -> Account {
        Account {
            name: self.name.clone(),
            home: self.home.clone(),
            permissions: self.permissions,
        }
    }
}

// Hand-written so that hashes stay out of logs.
impl fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserEntry")
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .field("home", &self.home)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// The users file in memory. Users keep the order they have in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersFile {
    users: Vec<UserEntry>,
}

/// The file as it is written on disk.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "user")]
    users: Vec<RawUser>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    name: String,
    password: String,
    home: PathBuf,
    #[serde(default)]
    read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permissions: Option<Vec<Perm>>,
    /// "none", "login" or "all": this user's TLS policy, on top of the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls: Option<String>,
}

fn tls_from_text(text: &str) -> Result<TlsRequired, String> {
    match text {
        "none" => Ok(TlsRequired::None),
        "login" => Ok(TlsRequired::Login),
        "all" => Ok(TlsRequired::All),
        other => Err(format!("tls = {other:?} is not one of none, login, all")),
    }
}

fn tls_to_text(policy: TlsRequired) -> &'static str {
    match policy {
        TlsRequired::None => "none",
        TlsRequired::Login => "login",
        TlsRequired::All => "all",
    }
}

/// One entry of the `permissions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Perm {
    List,
    Read,
    Write,
    Delete,
    Rename,
    Mkdir,
}

fn permissions_from_list(list: &[Perm]) -> Permissions {
    let set: BTreeSet<Perm> = list.iter().copied().collect();
    Permissions {
        list: set.contains(&Perm::List),
        read: set.contains(&Perm::Read),
        write: set.contains(&Perm::Write),
        delete: set.contains(&Perm::Delete),
        rename: set.contains(&Perm::Rename),
        mkdir: set.contains(&Perm::Mkdir),
    }
}

fn permissions_to_list(p: Permissions) -> Vec<Perm> {
    [
        (p.list, Perm::List),
        (p.read, Perm::Read),
        (p.write, Perm::Write),
        (p.delete, Perm::Delete),
        (p.rename, Perm::Rename),
        (p.mkdir, Perm::Mkdir),
    ]
    .into_iter()
    .filter_map(|(on, perm)| on.then_some(perm))
    .collect()
}

/// Checks that `name` can be a login name: 1 to 64 characters, none of them whitespace,
/// control characters, `:` or `/`.
pub fn validate_name(name: &str) -> Result<(), UsersFileError> {
    let invalid = |reason| {
        Err(UsersFileError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("must not be empty");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return invalid("longer than 64 characters");
    }
    for c in name.chars() {
        if c.is_whitespace() {
            return invalid("contains whitespace");
        }
        if c.is_control() {
            return invalid("contains a control character");
        }
        if c == ':' || c == '/' {
            return invalid("contains ':' or '/'");
        }
    }
    Ok(())
}

/// Hashes `password` with Argon2id at the default parameters and a fresh random salt, giving
/// a PHC string for the users file.
pub fn hash_password(password: &str) -> Result<String, UsersFileError> {
    let mut salt_bytes = [0u8; 16];
    // rand 0.9's thread RNG is a CSPRNG seeded from the OS. argon2 0.5 wants rand_core 0.6,
    // so the salt is made from bytes instead of handing it our RNG.
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| UsersFileError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| UsersFileError::Hash(e.to_string()))
}

/// Checks that `phc` is an argon2 PHC string; returns why not otherwise.
fn check_phc(phc: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC string ({e})"))?;
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Ok(()),
        other => Err(format!(
            "unsupported hash algorithm {other:?}, expected argon2id"
        )),
    }
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
fn password_matches(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the user is unknown so that the reply
/// takes as long as for a real user.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let password: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        // Hashing at default parameters cannot fail; should it anyway, an empty string makes
        // `password_matches` fail fast, which only costs the timing protection.
        hash_password(&password).unwrap_or_default()
    })
}

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl UsersFile {
    /// An empty set of users.
    pub fn new() -> UsersFile {
        UsersFile::default()
    }

    /// Reads the users file at `path`. A file that does not exist gives an empty set, so that
    /// `ferroftp user add` can create it.
    pub fn load(path: impl AsRef<Path>) -> Result<UsersFile, UsersFileError> {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => UsersFile::parse(&text).map_err(|message| UsersFileError::Parse {
                path: path.to_owned(),
                message,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(UsersFile::new()),
            Err(source) => Err(UsersFileError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses the text of a users file; the error is a one-line description.
    fn parse(text: &str) -> Result<UsersFile, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                format!("line {line}, column {col}: {}", e.message().trim_end())
            }
            None => e.message().trim_end().to_owned(),
        })?;
        let mut file = UsersFile::new();
        for user in raw.users {
            validate_name(&user.name).map_err(|e| e.to_string())?;
            if file.get(&user.name).is_some() {
                return Err(format!("user {:?} appears more than once", user.name));
            }
            check_phc(&user.password)
                .map_err(|e| format!("user {:?}: bad password hash: {e}", user.name))?;
            let permissions = match &user.permissions {
                Some(list) => permissions_from_list(list),
                None if user.read_only => Permissions::READ_ONLY,
                None => Permissions::ALL,
            };
            let tls = match &user.tls {
                Some(t) => {
                    Some(tls_from_text(t).map_err(|e| format!("user {:?}: {e}", user.name))?)
                }
                None => None,
            };
            file.users.push(UserEntry {
                name: user.name,
                password_hash: user.password,
                home: user.home,
                permissions,
                tls,
            });
        }
        Ok(file)
    }

    /// The file's text, in a canonical form: `read_only` when the permissions are all or
    /// read-only, an explicit `permissions` list otherwise.
    fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let raw = RawFile {
            users: self
                .users
                .iter()
                .map(|u| {
                    let (read_only, permissions) = if u.permissions == Permissions::ALL {
                        (false, None)
                    } else if u.permissions == Permissions::READ_ONLY {
                        (true, None)
                    } else {
                        (false, Some(permissions_to_list(u.permissions)))
                    };
                    RawUser {
                        name: u.name.clone(),
                        password: u.password_hash.clone(),
                        home: u.home.clone(),
                        read_only,
                        permissions,
                        tls: u.tls.map(|t| tls_to_text(t).to_owned()),
                    }
                })
                .collect(),
        };
        let body = toml::to_string(&raw)?;
        Ok(format!(
            "# ferroftp users file; edit with `ferroftp user add|passwd|del`.\n\n{body}"
        ))
    }

    /// Writes the users to `path` atomically: a temporary file in the same directory, made
    /// readable by the owner only, is renamed over the old one, so that a crash never leaves
    /// a half-written file and the hashes are never world-readable.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), UsersFileError> {
        let path = path.as_ref();
        let io_err = |source| UsersFileError::Io {
            path: path.to_owned(),
            source,
        };
        let text = self
            .to_toml()
            .map_err(|e| io_err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        let file_name = path.file_name().ok_or_else(|| {
            io_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the users file path has no file name",
            ))
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".tmp{:08x}", rand::rng().next_u32()));
        let tmp_path = dir.join(tmp_name);

        let result = write_private(&tmp_path, text.as_bytes())
            .and_then(|()| std::fs::rename(&tmp_path, path));
        if let Err(e) = result {
            // Best effort: do not leave the temporary file behind.
            let _ = std::fs::remove_file(&tmp_path);
            return Err(io_err(e));
        }
        // Make the rename itself durable; failure here is not worth failing the save.
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// The user called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&UserEntry> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds a user with all permissions, or browse-and-download only when `read_only`.
    pub fn add(
        &mut self,
        name: &str,
        password: &str,
        home: impl Into<PathBuf>,
        read_only: bool,
    ) -> Result<(), UsersFileError> {
        validate_name(name)?;
        if self.get(name).is_some() {
            return Err(UsersFileError::Exists(name.to_owned()));
        }
        let password_hash = hash_password(password)?;
        self.users.push(UserEntry {
            name: name.to_owned(),
            password_hash,
            home: home.into(),
            permissions: if read_only {
                Permissions::READ_ONLY
            } else {
                Permissions::ALL
            },
            tls: None,
        });
        Ok(())
    }

    /// Replaces the password of user `name`.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), UsersFileError> {
        let user = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| UsersFileError::NotFound(name.to_owned()))?;
        user.password_hash = hash_password(password)?;
        Ok(())
    }

    /// Sets the permissions of user `name`.
    pub fn set_permissions(
        &mut self,
        name: &str,
        permissions: Permissions,
    ) -> Result<(), UsersFileError> {
        let user = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| UsersFileError::NotFound(name.to_owned()))?;
        user.permissions = permissions;
        Ok(())
    }

    /// Removes user `name`, returning the removed entry.
    pub fn remove(&mut self, name: &str) -> Result<UserEntry, UsersFileError> {
        let index = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| UsersFileError::NotFound(name.to_owned()))?;
        Ok(self.users.remove(index))
    }

    /// All users, in file order.
    pub fn users(&self) -> impl Iterator<Item = &UserEntry> {
        self.users.iter()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Checks a login. This is CPU-heavy (Argon2); call it off the async executor. Unknown
    /// users cost one hash verification too, so timing does not tell which names exist.
    pub fn verify(&self, name: &str, password: &str) -> Result<Account, AuthError> {
        match self.get(name) {
            Some(user) if password_matches(&user.password_hash, password) => Ok(user.account()),
            Some(_) => Err(AuthError::Invalid),
            None => {
                let _ = password_matches(dummy_hash(), password);
                Err(AuthError::Invalid)
            }
        }
    }
}

/// Creates `path` with mode 0600 (on Unix), writes `data` and syncs it to disk.
fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

/// Authenticates against a loaded [`UsersFile`].
#[derive(Debug)]
pub struct UsersFileAuthenticator {
    /// Swapped whole on reload; a login in progress keeps the set it started with.
    users: RwLock<Arc<UsersFile>>,
    /// Where the users came from, for [`UsersFileAuthenticator::reload`].
    path: Option<PathBuf>,
}

impl UsersFileAuthenticator {
    /// Authenticates against `users`.
    pub fn new(users: UsersFile) -> UsersFileAuthenticator {
        UsersFileAuthenticator {
            users: RwLock::new(Arc::new(users)),
            path: None,
        }
    }

    /// Loads the users file at `path`; unlike [`UsersFile::load`], a missing file is an
    /// error, since a server with no users file configured by mistake should not start.
    pub fn load(path: impl AsRef<Path>) -> Result<UsersFileAuthenticator, UsersFileError> {
        let path = path.as_ref();
        // Look first, so that a typo in the path is reported rather than read as "no users".
        std::fs::metadata(path).map_err(|source| UsersFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(UsersFileAuthenticator {
            path: Some(path.to_owned()),
            ..UsersFileAuthenticator::new(UsersFile::load(path)?)
        })
    }

    /// Reads the users file again (SIGHUP), so `ferroftp user add|passwd|del` take effect
    /// without a restart; sessions already logged in go on. On error the old users stay.
    /// Returns how many users there are now.
    pub fn reload(&self) -> Result<usize, UsersFileError> {
        let Some(path) = &self.path else {
            return Ok(self.users().len());
        };
        std::fs::metadata(path).map_err(|source| UsersFileError::Io {
            path: path.clone(),
            source,
        })?;
        let users = UsersFile::load(path)?;
        let count = users.len();
        *self.users.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(users);
        Ok(count)
    }

    /// The users being authenticated against.
    pub fn users(&self) -> Arc<UsersFile> {
        self.users.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Authenticator for UsersFileAuthenticator {
    async fn authenticate(&self, user: &str, password: &Secret) -> Result<Account, AuthError> {
        let users = self.users();
        let user = user.to_owned();
        let password = password.clone();
        // Argon2 takes tens of milliseconds of CPU; keep it off the executor threads.
        tokio::task::spawn_blocking(move || users.verify(&user, password.expose()))
            .await
            .map_err(|e| AuthError::Backend(format!("password check failed: {e}")))?
    }

    fn tls_policy(&self, user: &str) -> Option<TlsRequired> {
        self.users().get(user).and_then(UserEntry::tls_required)
    }
}

/// One user with a plaintext password held in memory: the `ferroftp serve` quick start.
#[derive(Clone)]
pub struct StaticAuthenticator {
    account: Account,
    password: String,
}

impl StaticAuthenticator {
    /// A single user `name` with `password`, jailed in `home` with `permissions`.
    pub fn new(
        name: impl Into<String>,
        password: impl Into<String>,
        home: impl Into<PathBuf>,
        permissions: Permissions,
    ) -> StaticAuthenticator {
        StaticAuthenticator {
            account: Account {
                name: name.into(),
                home: home.into(),
                permissions,
            },
            password: password.into(),
        }
    }
}

// Hand-written so that the password stays out of logs.
impl fmt::Debug for StaticAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticAuthenticator")
            .field("account", &self.account)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

#[async_trait]
impl Authenticator for StaticAuthenticator {
    async fn authenticate(&self, user: &str, password: &Secret) -> Result<Account, AuthError> {
        let password = password.expose();
        // Both comparisons always run, so the time does not tell whether the name was right.
        let name_ok = constant_time_eq(user.as_bytes(), self.account.name.as_bytes());
        let password_ok = constant_time_eq(password.as_bytes(), self.password.as_bytes());
        if name_ok & password_ok {
            Ok(self.account.clone())
        } else {
            Err(AuthError::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> UsersFile {
        let mut f = UsersFile::new();
        f.add("alice", "secret", "/srv/ftp/alice", false)
            .expect("add alice");
        f.add("bob", "hunter2", "/srv/ftp/bob", true)
            .expect("add bob");
        f
    }

    #[test]
    fn add_and_verify() {
        let f = sample();
        let alice = f.verify("alice", "secret").expect("alice logs in");
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.home, PathBuf::from("/srv/ftp/alice"));
        assert_eq!(alice.permissions, Permissions::ALL);
        let bob = f.verify("bob", "hunter2").expect("bob logs in");
        assert_eq!(bob.permissions, Permissions::READ_ONLY);
    }

    #[test]
    fn hashes_are_argon2id_and_salted() {
        let a = hash_password("pw").expect("hash");
        let b = hash_password("pw").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(password_matches(&a, "pw"));
        assert!(!password_matches(&a, "pw "));
    }

    #[test]
    fn wrong_password_and_unknown_user() {
        let f = sample();
        assert_eq!(f.verify("alice", "Secret"), Err(AuthError::Invalid));
        assert_eq!(f.verify("alice", ""), Err(AuthError::Invalid));
        assert_eq!(f.verify("carol", "secret"), Err(AuthError::Invalid));
        // Names are case-sensitive.
        assert_eq!(f.verify("Alice", "secret"), Err(AuthError::Invalid));
    }

    #[test]
    fn add_existing_fails() {
        let mut f = sample();
        assert!(matches!(
            f.add("alice", "x", "/tmp", false),
            Err(UsersFileError::Exists(n)) if n == "alice"
        ));
    }

    #[test]
    fn remove_user() {
        let mut f = sample();
        let removed = f.remove("alice").expect("remove");
        assert_eq!(removed.name(), "alice");
        assert_eq!(f.verify("alice", "secret"), Err(AuthError::Invalid));
        assert!(matches!(
            f.remove("alice"),
            Err(UsersFileError::NotFound(_))
        ));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn change_password() {
        let mut f = sample();
        f.set_password("alice", "new one").expect("passwd");
        assert_eq!(f.verify("alice", "secret"), Err(AuthError::Invalid));
        assert!(f.verify("alice", "new one").is_ok());
        assert!(matches!(
            f.set_password("nobody", "x"),
            Err(UsersFileError::NotFound(_))
        ));
    }

    #[test]
    fn save_and_load_roundtrip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.toml");
        let mut f = sample();
        let custom = Permissions {
            list: true,
            read: true,
            write: true,
            delete: false,
            rename: false,
            mkdir: true,
        };
        f.add("carol", "pw", "/srv/ftp/carol", false).expect("add");
        f.set_permissions("carol", custom).expect("perms");
        f.save(&path).expect("save");
        let loaded = UsersFile::load(&path).expect("load");
        assert_eq!(loaded, f);
        assert!(loaded.verify("carol", "pw").is_ok());
        let names: Vec<&str> = loaded.users().map(UserEntry::name).collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        // Saving again replaces the file; no temporary files are left behind.
        loaded.save(&path).expect("save again");
        let entries = std::fs::read_dir(dir.path()).expect("read_dir").count();
        assert_eq!(entries, 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = UsersFile::load(dir.path().join("nope.toml")).expect("load");
        assert!(f.is_empty());
        assert!(UsersFileAuthenticator::load(dir.path().join("nope.toml")).is_err());
    }

    #[test]
    fn permissions_parsing() {
        let hash = hash_password("pw").expect("hash");
        let text = format!(
            r#"
[[user]]
name = "ro"
password = "{hash}"
home = "/a"
read_only = true

[[user]]
name = "rw"
password = "{hash}"
home = "/b"

[[user]]
name = "custom"
password = "{hash}"
home = "/c"
read_only = true
permissions = ["list", "read", "mkdir", "read"]

[[user]]
name = "nothing"
password = "{hash}"
home = "/d"
permissions = []
"#
        );
        let f = UsersFile::parse(&text).expect("parse");
        let perms = |n: &str| f.get(n).expect("user").permissions();
        assert_eq!(perms("ro"), Permissions::READ_ONLY);
        assert_eq!(perms("rw"), Permissions::ALL);
        assert_eq!(
            perms("custom"),
            Permissions {
                list: true,
                read: true,
                write: false,
                delete: false,
                rename: false,
                mkdir: true,
            }
        );
        let none = perms("nothing");
        assert!(!none.list && !none.read && !none.write && !none.delete);
    }

    #[test]
    fn parse_errors() {
        let hash = hash_password("pw").expect("hash");
        let bad_perm = format!(
            "[[user]]\nname = \"a\"\npassword = \"{hash}\"\nhome = \"/a\"\npermissions = [\"fly\"]\n"
        );
        let err = UsersFile::parse(&bad_perm).expect_err("unknown permission");
        assert!(err.contains("line 5"), "{err}");
        let unknown_key =
            format!("[[user]]\nname = \"a\"\npassword = \"{hash}\"\nhome = \"/a\"\nshell = 1\n");
        assert!(UsersFile::parse(&unknown_key).is_err());
        let plaintext = "[[user]]\nname = \"a\"\npassword = \"secret\"\nhome = \"/a\"\n";
        let err = UsersFile::parse(plaintext).expect_err("plaintext password");
        assert!(err.contains("bad password hash"), "{err}");
        let dup = format!(
            "[[user]]\nname = \"a\"\npassword = \"{hash}\"\nhome = \"/a\"\n\
             [[user]]\nname = \"a\"\npassword = \"{hash}\"\nhome = \"/b\"\n"
        );
        assert!(UsersFile::parse(&dup).is_err());
        let bad_name = format!("[[user]]\nname = \"a b\"\npassword = \"{hash}\"\nhome = \"/a\"\n");
        assert!(UsersFile::parse(&bad_name).is_err());
        assert!(UsersFile::parse("").expect("empty file").is_empty());
    }

    #[test]
    fn invalid_names() {
        for name in [
            "",
            "a b",
            "a\tb",
            "a:b",
            "a/b",
            "a\u{7}",
            "a\u{a0}b",
            &"x".repeat(65),
        ] {
            assert!(
                matches!(validate_name(name), Err(UsersFileError::InvalidName { .. })),
                "{name:?} should be rejected"
            );
        }
        for name in [
            "a",
            "alice",
            "bob.smith@example.com",
            "ünïcode",
            &"x".repeat(64),
        ] {
            assert!(validate_name(name).is_ok(), "{name:?} should be accepted");
        }
        let mut f = UsersFile::new();
        assert!(f.add("bad name", "pw", "/", false).is_err());
        assert!(f.is_empty());
    }

    #[tokio::test]
    async fn users_file_authenticator() {
        let auth = UsersFileAuthenticator::new(sample());
        let account = auth
            .authenticate("bob", &"hunter2".into())
            .await
            .expect("bob");
        assert_eq!(account.permissions, Permissions::READ_ONLY);
        assert_eq!(
            auth.authenticate("bob", &"nope".into()).await,
            Err(AuthError::Invalid)
        );
        assert_eq!(
            auth.authenticate("nobody", &"hunter2".into()).await,
            Err(AuthError::Invalid)
        );
    }

    #[tokio::test]
    async fn static_authenticator() {
        let auth = StaticAuthenticator::new("ftpuser", "pw123", "/data", Permissions::ALL);
        let account = auth
            .authenticate("ftpuser", &"pw123".into())
            .await
            .expect("login");
        assert_eq!(account.home, PathBuf::from("/data"));
        assert_eq!(account.permissions, Permissions::ALL);
        for (u, p) in [
            ("ftpuser", "pw12"),
            ("ftpuser", "pw1234"),
            ("ftpuser", ""),
            ("ftpuse", "pw123"),
            ("other", "pw123"),
        ] {
            assert_eq!(
                auth.authenticate(u, &p.into()).await,
                Err(AuthError::Invalid)
            );
        }
        assert!(!format!("{auth:?}").contains("pw123"));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"\0"));
    }
}
