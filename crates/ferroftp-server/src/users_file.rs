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
//! # Optional limits, 0 or absent for none: bytes per second over all the user's
//! # sessions, and the most bytes and regular files under the home directory.
//! # download_rate = 1000000
//! # upload_rate = 500000
//! # quota_bytes = 10000000000
//! # quota_files = 100000
//! ```
//!
//! [`UsersFile`] loads, edits and saves the file (the `ferroftp user` commands), changing
//! only the lines an edit is about: comments, blank lines and the order of keys stay as the
//! administrator wrote them;
//! [`UsersFileAuthenticator`] checks logins against it. [`StaticAuthenticator`] is the single
//! in-memory user of the zero-configuration quick start.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::{Secret, TlsRequired};
use rand::RngCore;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, TableLike, Value};

use crate::auth::{Account, AuthError, Authenticator, UserLimits};
use crate::credcache::CredentialCache;

/// Longest accepted user name, in characters.
const MAX_NAME_CHARS: usize = 64;

/// The first lines of a users file that `ferroftp user add` creates.
const HEADER: &str = "# ferroftp users file; edit with `ferroftp user add|passwd|set|del`.\n\n";

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
    /// A home directory path that TOML cannot hold (it is not valid UTF-8).
    #[error("home directory {} is not valid UTF-8", .0.display())]
    NonUtf8Home(PathBuf),
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
    limits: UserLimits,
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

    /// The user's bandwidth limits and quotas.
    pub fn limits(&self) -> UserLimits {
        self.limits
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
            .field("limits", &self.limits)
            .finish()
    }
}

/// The users file in memory. Users keep the order they have in the file.
///
/// Besides the users it keeps the file's text as a `toml_edit` document, and every change is
/// made to both, so that saving rewrites only what changed.
#[derive(Clone)]
pub struct UsersFile {
    users: Vec<UserEntry>,
    /// The file as written, comments and layout included; it holds the hashes, so it is
    /// left out of `Debug`.
    doc: DocumentMut,
}

impl Default for UsersFile {
    fn default() -> UsersFile {
        UsersFile {
            users: Vec::new(),
            // A fixed text that is valid TOML: the fallback is never taken.
            doc: HEADER.parse().unwrap_or_default(),
        }
    }
}

/// Two files are equal when they hold the same users, however they are laid out.
impl PartialEq for UsersFile {
    fn eq(&self, other: &UsersFile) -> bool {
        self.users == other.users
    }
}

impl Eq for UsersFile {}

// Hand-written so that the document, which holds the hashes, stays out of logs.
impl fmt::Debug for UsersFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsersFile")
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

/// The file as it is written on disk.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "user")]
    users: Vec<RawUser>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    name: String,
    password: String,
    home: PathBuf,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    permissions: Option<Vec<Perm>>,
    /// "none", "login" or "all": this user's TLS policy, on top of the server's.
    #[serde(default)]
    tls: Option<String>,
    /// Bytes per second, over all the user's sessions; 0 for no limit.
    #[serde(default)]
    download_rate: u64,
    /// Bytes per second, over all the user's sessions; 0 for no limit.
    #[serde(default)]
    upload_rate: u64,
    /// Most bytes of regular files under the home; 0 for no limit.
    #[serde(default)]
    quota_bytes: u64,
    /// Most regular files under the home; 0 for no limit.
    #[serde(default)]
    quota_files: u64,
}

fn tls_from_text(text: &str) -> Result<TlsRequired, String> {
    match text {
        "none" => Ok(TlsRequired::None),
        "login" => Ok(TlsRequired::Login),
        "all" => Ok(TlsRequired::All),
        other => Err(format!("tls = {other:?} is not one of none, login, all")),
    }
}

/// The word for `policy` in the users file (`tls = "..."`).
pub fn tls_to_text(policy: TlsRequired) -> &'static str {
    match policy {
        TlsRequired::None => "none",
        TlsRequired::Login => "login",
        TlsRequired::All => "all",
    }
}

/// One entry of the `permissions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
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

/// The names of what `p` allows, in the file's canonical order.
pub fn permission_names(p: Permissions) -> Vec<&'static str> {
    [
        (p.list, "list"),
        (p.read, "read"),
        (p.write, "write"),
        (p.delete, "delete"),
        (p.rename, "rename"),
        (p.mkdir, "mkdir"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// Reads a permission name as the file spells it (`list`, `read`, `write`, `delete`,
/// `rename`, `mkdir`) and turns it on in `p`; false for an unknown name.
pub fn allow_permission(p: &mut Permissions, name: &str) -> bool {
    let flag = match name {
        "list" => &mut p.list,
        "read" => &mut p.read,
        "write" => &mut p.write,
        "delete" => &mut p.delete,
        "rename" => &mut p.rename,
        "mkdir" => &mut p.mkdir,
        _ => return false,
    };
    *flag = true;
    true
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
#[cfg(test)]
fn password_matches(phc: &str, password: &str) -> bool {
    password_matches_in(phc, password, &mut Vec::new())
}

/// Like `password_matches`, with argon2's working memory (~19 MiB at the default
/// parameters) taken from `memory`, grown if the hash asks for more: reusing one block per
/// concurrent check keeps memory flat however many logins come.
fn password_matches_in(phc: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version {
        Some(v) => Version::try_from(v),
        None => Ok(Version::default()),
    };
    let (Ok(version), Ok(params), Some(expected), Some(salt)) =
        (version, Params::try_from(&hash), hash.hash, hash.salt)
    else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut memory[..],
    );
    hashed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// What an unknown user's password is verified against, so that the reply takes as long as
/// for a real user: an argon2id PHC string at the default parameters (those `user add`
/// uses) whose salt and output are random bytes. No password matches it, and making it costs
/// no hash (nor its 19 MiB) at start-up.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut salt = [0u8; 16];
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut output);
        let salt = SaltString::encode_b64(&salt).map(|s| s.to_string());
        let output = argon2::password_hash::Output::new(&output).map(|o| o.to_string());
        match (salt, output) {
            (Ok(salt), Ok(output)) => format!(
                "$argon2id$v=19$m={},t={},p={}${salt}${output}",
                Params::DEFAULT_M_COST,
                Params::DEFAULT_T_COST,
                Params::DEFAULT_P_COST
            ),
            // Fixed-size inputs that fit: not taken. An empty string would only cost the
            // timing protection, never a false match.
            _ => String::new(),
        }
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
        // Same TOML grammar as above, so this only fails where that already did.
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| e.message().trim_end().to_owned())?;
        let mut file = UsersFile {
            users: Vec::new(),
            doc,
        };
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
                limits: UserLimits {
                    download_rate: user.download_rate,
                    upload_rate: user.upload_rate,
                    quota_bytes: user.quota_bytes,
                    quota_files: user.quota_files,
                },
            });
        }
        Ok(file)
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
        let text = self.doc.to_string();
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

    /// The in-memory entry and the file's table of user `name`, both to be changed alike.
    fn entry_mut(
        &mut self,
        name: &str,
    ) -> Result<(&mut UserEntry, &mut dyn TableLike), UsersFileError> {
        let not_found = || UsersFileError::NotFound(name.to_owned());
        let entry = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(not_found)?;
        let table = user_tables(&mut self.doc)
            .into_iter()
            .find(|t| t.get("name").and_then(Item::as_str) == Some(name))
            .ok_or_else(not_found)?;
        Ok((entry, table))
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
        if crate::auth::is_anonymous_name(name) {
            // With anonymous login on, USER ftp/anonymous is always anonymous: such an
            // account could never log in, or would be mistaken for the anonymous one.
            return Err(UsersFileError::InvalidName {
                name: name.to_owned(),
                reason: "reserved for anonymous login",
            });
        }
        if self.get(name).is_some() {
            return Err(UsersFileError::Exists(name.to_owned()));
        }
        let home = home.into();
        let home_text = home_to_text(&home)?;
        let password_hash = hash_password(password)?;

        let mut table = Table::new();
        table.insert("name", toml_edit::value(name));
        table.insert("password", toml_edit::value(password_hash.as_str()));
        table.insert("home", toml_edit::value(home_text));
        table.insert("read_only", toml_edit::value(read_only));
        append_user_table(&mut self.doc, table);

        self.users.push(UserEntry {
            name: name.to_owned(),
            password_hash,
            home,
            permissions: if read_only {
                Permissions::READ_ONLY
            } else {
                Permissions::ALL
            },
            tls: None,
            limits: UserLimits::default(),
        });
        Ok(())
    }

    /// Replaces the password of user `name`.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), UsersFileError> {
        let (entry, table) = self.entry_mut(name)?;
        let hash = hash_password(password)?;
        set_value(table, "password", Value::from(hash.as_str()));
        entry.password_hash = hash;
        Ok(())
    }

    /// Sets the permissions of user `name`, as an explicit `permissions` list (which
    /// overrides `read_only`).
    pub fn set_permissions(
        &mut self,
        name: &str,
        permissions: Permissions,
    ) -> Result<(), UsersFileError> {
        let (entry, table) = self.entry_mut(name)?;
        let list: Array = permission_names(permissions).into_iter().collect();
        set_value(table, "permissions", Value::Array(list));
        entry.permissions = permissions;
        Ok(())
    }

    /// Makes user `name` read-only (browse and download) or read-write (everything),
    /// dropping any `permissions` list, which would override `read_only`.
    pub fn set_read_only(&mut self, name: &str, read_only: bool) -> Result<(), UsersFileError> {
        let (entry, table) = self.entry_mut(name)?;
        set_value(table, "read_only", Value::from(read_only));
        table.remove("permissions");
        entry.permissions = if read_only {
            Permissions::READ_ONLY
        } else {
            Permissions::ALL
        };
        Ok(())
    }

    /// Sets the home directory of user `name`.
    pub fn set_home(&mut self, name: &str, home: impl Into<PathBuf>) -> Result<(), UsersFileError> {
        let home = home.into();
        let home_text = home_to_text(&home)?;
        let (entry, table) = self.entry_mut(name)?;
        set_value(table, "home", Value::from(home_text));
        entry.home = home;
        Ok(())
    }

    /// Sets the TLS policy of user `name` (`tls = "none" | "login" | "all"`).
    pub fn set_tls(&mut self, name: &str, policy: TlsRequired) -> Result<(), UsersFileError> {
        let (entry, table) = self.entry_mut(name)?;
        set_value(table, "tls", Value::from(tls_to_text(policy)));
        entry.tls = Some(policy);
        Ok(())
    }

    /// Sets the bandwidth limits and quotas of user `name`. A limit of 0 (none) removes its
    /// key from the file.
    pub fn set_limits(&mut self, name: &str, limits: UserLimits) -> Result<(), UsersFileError> {
        let (entry, table) = self.entry_mut(name)?;
        for (key, value) in [
            ("download_rate", limits.download_rate),
            ("upload_rate", limits.upload_rate),
            ("quota_bytes", limits.quota_bytes),
            ("quota_files", limits.quota_files),
        ] {
            if value == 0 {
                table.remove(key);
            } else {
                // TOML integers are signed 64-bit; larger limits are as good as none.
                set_value(
                    table,
                    key,
                    Value::from(i64::try_from(value).unwrap_or(i64::MAX)),
                );
            }
        }
        entry.limits = limits;
        Ok(())
    }

    /// Removes user `name`, returning the removed entry. Comments inside the user's table,
    /// and those just above its `[[user]]` line, go with it.
    pub fn remove(&mut self, name: &str) -> Result<UserEntry, UsersFileError> {
        let index = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| UsersFileError::NotFound(name.to_owned()))?;
        let is_named = |t: &dyn TableLike| t.get("name").and_then(Item::as_str) == Some(name);
        match self.doc.get_mut("user") {
            Some(Item::ArrayOfTables(tables)) => {
                let found = tables.iter().position(|t| is_named(t));
                if let Some(i) = found {
                    tables.remove(i);
                }
            }
            Some(Item::Value(Value::Array(array))) => {
                let found = array
                    .iter()
                    .position(|v| v.as_inline_table().is_some_and(|t| is_named(t)));
                if let Some(i) = found {
                    array.remove(i);
                }
            }
            _ => {}
        }
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
        self.verify_in(name, password, &mut Vec::new())
    }

    /// [`UsersFile::verify`] with argon2's working memory taken from `memory`.
    fn verify_in(
        &self,
        name: &str,
        password: &str,
        memory: &mut Vec<Block>,
    ) -> Result<Account, AuthError> {
        match self.get(name) {
            Some(user) if password_matches_in(&user.password_hash, password, memory) => {
                Ok(user.account())
            }
            Some(_) => Err(AuthError::Invalid),
            None => {
                let _ = password_matches_in(dummy_hash(), password, memory);
                Err(AuthError::Invalid)
            }
        }
    }
}

/// The users' tables in the document: `[[user]]` sections, or the inline tables of a
/// `user = [...]` array, which is the same thing to TOML.
fn user_tables(doc: &mut DocumentMut) -> Vec<&mut dyn TableLike> {
    match doc.get_mut("user") {
        Some(Item::ArrayOfTables(tables)) => {
            tables.iter_mut().map(|t| t as &mut dyn TableLike).collect()
        }
        Some(Item::Value(Value::Array(array))) => array
            .iter_mut()
            .filter_map(Value::as_inline_table_mut)
            .map(|t| t as &mut dyn TableLike)
            .collect(),
        _ => Vec::new(),
    }
}

/// Sets `key` to `value` in `table`. An existing value keeps its surroundings (the spaces
/// around `=`, a comment after it); a new key goes at the end of the table.
fn set_value(table: &mut dyn TableLike, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        Some(other) => *other = Item::Value(value),
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Appends a user's table to the document, after everything already in the file, so that
/// the old text stays a prefix of the new one.
fn append_user_table(doc: &mut DocumentMut, mut table: Table) {
    if let Some(Item::Value(Value::Array(array))) = doc.get_mut("user") {
        array.push(table.into_inline_table());
        return;
    }
    // Comments at the end of the file belong to the document, which would print them after
    // the new table; moving them in front of it keeps them where they were.
    let trailing = doc.trailing().as_str().unwrap_or_default().to_owned();
    let text = doc.to_string();
    let gap = if text.is_empty() || text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    table.decor_mut().set_prefix(format!("{trailing}{gap}"));
    doc.set_trailing("");
    match doc.get_mut("user") {
        Some(Item::ArrayOfTables(tables)) => tables.push(table),
        _ => {
            let mut tables = ArrayOfTables::new();
            tables.push(table);
            doc.insert("user", Item::ArrayOfTables(tables));
        }
    }
}

/// A home directory as TOML text; TOML strings are UTF-8, so other paths cannot be stored.
fn home_to_text(home: &Path) -> Result<&str, UsersFileError> {
    home.to_str()
        .ok_or_else(|| UsersFileError::NonUtf8Home(home.to_owned()))
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

/// Argon2 working memory kept for reuse, and counts of the checks run with it.
#[derive(Default)]
struct HashMemory {
    /// One block per check that ran at the same time as others, at most; the server's
    /// limit on concurrent checks bounds how many there are.
    free: Mutex<Vec<Vec<Block>>>,
    checks: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashMemory")
            .field("checks", &self.checks)
            .field("peak", &self.peak)
            .finish_non_exhaustive()
    }
}

impl HashMemory {
    /// Runs `check` with a block of reused memory, counting it.
    fn with_block<T>(&self, check: impl FnOnce(&mut Vec<Block>) -> T) -> T {
        let mut block = self
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        self.checks.fetch_add(1, Ordering::Relaxed);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let out = check(&mut block);
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(block);
        out
    }
}

/// How many password checks an authenticator has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashStats {
    /// Argon2 checks run, for known and unknown users alike.
    pub checks: u64,
    /// The most checks that ever ran at the same time.
    pub peak_concurrent: usize,
    /// Blocks of argon2 memory held for reuse (as many as the peak, allocated once each).
    pub memory_blocks: usize,
    /// Logins accepted from the credential cache, without an argon2 check.
    pub cache_hits: u64,
}

/// Authenticates against a loaded [`UsersFile`].
#[derive(Debug)]
pub struct UsersFileAuthenticator {
    /// Swapped whole on reload; a login in progress keeps the set it started with.
    users: RwLock<Arc<UsersFile>>,
    /// Where the users came from, for [`UsersFileAuthenticator::reload`].
    path: Option<PathBuf>,
    memory: Arc<HashMemory>,
    /// Recently verified credentials, so that a returning user pays argon2 once per TTL.
    cache: Arc<CredentialCache>,
    cache_hits: AtomicU64,
}

impl UsersFileAuthenticator {
    /// Authenticates against `users`.
    pub fn new(users: UsersFile) -> UsersFileAuthenticator {
        // Made now rather than during the first unknown user's login.
        let _ = dummy_hash();
        UsersFileAuthenticator {
            users: RwLock::new(Arc::new(users)),
            path: None,
            memory: Arc::default(),
            cache: Arc::default(),
            cache_hits: AtomicU64::new(0),
        }
    }

    /// How many password checks ran, and how many at once at most.
    pub fn hash_stats(&self) -> HashStats {
        HashStats {
            checks: self.memory.checks.load(Ordering::SeqCst),
            peak_concurrent: self.memory.peak.load(Ordering::SeqCst),
            memory_blocks: self
                .memory
                .free
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len(),
            cache_hits: self.cache_hits.load(Ordering::SeqCst),
        }
    }

    /// The account, if `password` was verified for `user` against their current hash
    /// within the credential cache's TTL; no argon2 check is run.
    fn cached_account(&self, user: &str, password: &str) -> Option<Account> {
        let users = self.users();
        // A removed user is not in the file, so never gets to the cache.
        let entry = users.get(user)?;
        if !self.cache.hit(user, &entry.password_hash, password) {
            return None;
        }
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(entry.account())
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
        // The hash binding already makes changed passwords miss; clearing also drops what
        // removed users left behind and anything verified before the administrator's edit.
        self.cache.clear();
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
        if let Some(account) = self.cached_account(user, password.expose()) {
            return Ok(account);
        }
        let users = self.users();
        let user = user.to_owned();
        let password = password.clone();
        let memory = self.memory.clone();
        let cache = self.cache.clone();
        // Argon2 takes tens of milliseconds of CPU; keep it off the executor threads.
        tokio::task::spawn_blocking(move || {
            let result =
                memory.with_block(|block| users.verify_in(&user, password.expose(), block));
            // Only a success is remembered, bound to the hash string it was checked against
            // (from the same snapshot), so a reload in the meantime cannot mix them up.
            if let (Ok(_), Some(entry)) = (&result, users.get(&user)) {
                cache.insert(&user, &entry.password_hash, password.expose());
            }
            result
        })
        .await
        .map_err(|e| AuthError::Backend(format!("password check failed: {e}")))?
    }

    fn authenticate_cached(&self, user: &str, password: &Secret) -> Option<Account> {
        self.cached_account(user, password.expose())
    }

    fn configure_credential_cache(&self, capacity: usize, ttl: Duration) {
        self.cache.configure(capacity, ttl);
    }

    fn tls_policy(&self, user: &str) -> Option<TlsRequired> {
        self.users().get(user).and_then(UserEntry::tls_required)
    }

    fn limits(&self, user: &str) -> UserLimits {
        self.users()
            .get(user)
            .map(UserEntry::limits)
            .unwrap_or_default()
    }

    fn accounts(&self) -> Vec<Account> {
        self.users().users().map(UserEntry::account).collect()
    }

    fn has_account(&self, user: &str) -> bool {
        // Without regard to case, as anonymous names are matched.
        self.users()
            .users()
            .any(|u| u.name().eq_ignore_ascii_case(user))
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

/// Compares in constant time, so the time taken does not tell how much of a guess was
/// right. Both sides are hashed first: `subtle` compares equal-length slices only, and a
/// fixed-length digest keeps the secret's length from showing too.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let a = ring::digest::digest(&ring::digest::SHA256, a);
    let b = ring::digest::digest(&ring::digest::SHA256, b);
    a.as_ref().ct_eq(b.as_ref()).into()
}

#[async_trait]
impl Authenticator for StaticAuthenticator {
    async fn authenticate(&self, user: &str, password: &Secret) -> Result<Account, AuthError> {
        let password = password.expose();
        // Both comparisons always run, so the time does not tell whether the name was right.
        let name_ok = constant_time_eq(user.as_bytes(), self.account.name.as_bytes());
        let password_ok = constant_time_eq(password.as_bytes(), self.password.as_bytes());
        // `&` rather than `&&`: no early exit when the name is wrong.
        if name_ok & password_ok {
            Ok(self.account.clone())
        } else {
            Err(AuthError::Invalid)
        }
    }

    fn has_account(&self, user: &str) -> bool {
        self.account.name.eq_ignore_ascii_case(user)
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

    // Guards against a real account that would collide with anonymous login: `user add`
    // refuses the anonymous names in any case.
    // Guards the timing protection: the dummy is a well-formed argon2id hash at the
    // parameters of `user add` (so it costs a full check), and matches no password.
    #[test]
    fn dummy_hash_costs_a_full_check_and_matches_nothing() {
        let dummy = PasswordHash::new(dummy_hash()).expect("PHC string");
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        let real = hash_password("pw").expect("hash");
        let real = PasswordHash::new(&real).expect("PHC string");
        assert_eq!(
            Params::try_from(&dummy).expect("params"),
            Params::try_from(&real).expect("params")
        );
        assert!(!password_matches(dummy_hash(), ""));
        assert!(!password_matches(dummy_hash(), "password"));
    }

    #[test]
    fn anonymous_names_are_reserved() {
        let mut f = UsersFile::new();
        for name in ["ftp", "anonymous", "FTP", "Anonymous"] {
            assert!(
                matches!(
                    f.add(name, "pw", "/", false),
                    Err(UsersFileError::InvalidName { .. })
                ),
                "{name:?} should be refused"
            );
        }
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

    // Guards the hash-string binding on its own, without the clear a reload does (as when
    // a login's entry lands just after a reload): an entry made against the old hash never
    // vouches for a password once the user's stored hash changed, even the same password.
    #[tokio::test]
    async fn a_cached_credential_is_bound_to_the_stored_hash() {
        let auth = UsersFileAuthenticator::new(sample());
        auth.authenticate("bob", &"hunter2".into())
            .await
            .expect("bob");
        assert!(auth.authenticate_cached("bob", &"hunter2".into()).is_some());
        assert!(auth.authenticate_cached("bob", &"hunter3".into()).is_none());
        let mut changed = sample();
        changed.set_password("bob", "hunter2").expect("passwd");
        // Swapped in without `reload`, so the cache is not cleared.
        *auth.users.write().expect("lock") = Arc::new(changed);
        assert!(auth.authenticate_cached("bob", &"hunter2".into()).is_none());
        let mut removed = sample();
        removed.remove("bob").expect("remove");
        *auth.users.write().expect("lock") = Arc::new(removed);
        assert!(auth.authenticate_cached("bob", &"hunter2".into()).is_none());
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

    /// A hand-written file with comments, odd spacing and keys in an unusual order.
    fn commented(hash: &str) -> String {
        format!(
            "# Our FTP users.\n\
             # Ask Jo before adding anyone.\n\
             \n\
             [[user]]\n\
             name = \"alice\"   # the admin\n\
             home = \"/srv/ftp/alice\"\n\
             password    =    \"{hash}\"  # rotated in May\n\
             \n\
             # Bob only downloads.\n\
             [[user]]\n\
             name = \"bob\"\n\
             password = \"{hash}\"\n\
             home = \"/srv/ftp/bob\"\n\
             read_only = true\n\
             \n\
             # end of users\n"
        )
    }

    /// The lines of `after` that are not in `before`, and those of `before` not in `after`.
    fn line_diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
        let added = after
            .lines()
            .filter(|l| !before.lines().any(|b| b == *l))
            .map(str::to_owned)
            .collect();
        let removed = before
            .lines()
            .filter(|l| !after.lines().any(|a| a == *l))
            .map(str::to_owned)
            .collect();
        (added, removed)
    }

    fn saved(f: &UsersFile) -> String {
        f.doc.to_string()
    }

    #[test]
    fn edits_keep_comments_and_layout() {
        let hash = hash_password("pw").expect("hash");
        let before = commented(&hash);
        let f = UsersFile::parse(&before).expect("parse");
        // Loading and saving without a change gives the same bytes.
        assert_eq!(saved(&f), before);

        let mut added = f.clone();
        added
            .add("carol", "pw3", "/srv/ftp/carol", false)
            .expect("add");
        let after = saved(&added);
        assert!(after.starts_with(&before), "{after}");
        let reloaded = UsersFile::parse(&after).expect("parse after add");
        assert!(reloaded.verify("carol", "pw3").is_ok());
        assert_eq!(reloaded, added);

        let mut changed = f.clone();
        changed.set_password("alice", "new").expect("passwd");
        let after = saved(&changed);
        let (plus, minus) = line_diff(&before, &after);
        assert_eq!(minus.len(), 1, "{after}");
        assert_eq!(plus.len(), 1, "{after}");
        assert!(
            plus[0].starts_with("password    =    \"$argon2id$"),
            "{after}"
        );
        assert!(plus[0].ends_with("\"  # rotated in May"), "{after}");
        assert!(UsersFile::parse(&after)
            .expect("parse")
            .verify("alice", "new")
            .is_ok());

        let mut changed = f.clone();
        changed.set_tls("bob", TlsRequired::All).expect("tls");
        changed.set_home("bob", "/elsewhere").expect("home");
        let custom = Permissions {
            list: true,
            read: true,
            write: true,
            delete: false,
            rename: false,
            mkdir: false,
        };
        changed.set_permissions("bob", custom).expect("perms");
        let after = saved(&changed);
        let (plus, minus) = line_diff(&before, &after);
        assert_eq!(minus, ["home = \"/srv/ftp/bob\""], "{after}");
        assert_eq!(
            plus,
            [
                "home = \"/elsewhere\"",
                "tls = \"all\"",
                "permissions = [\"list\", \"read\", \"write\"]"
            ],
            "{after}"
        );
        let reloaded = UsersFile::parse(&after).expect("parse");
        assert_eq!(reloaded, changed);
        let bob = reloaded.get("bob").expect("bob");
        assert_eq!(bob.permissions(), custom);
        assert_eq!(bob.tls_required(), Some(TlsRequired::All));
        assert_eq!(bob.home(), Path::new("/elsewhere"));

        changed.set_read_only("bob", false).expect("read-write");
        let reloaded = UsersFile::parse(&saved(&changed)).expect("parse");
        assert_eq!(
            reloaded.get("bob").expect("bob").permissions(),
            Permissions::ALL
        );
        assert!(!saved(&changed).contains("permissions"));

        let mut removed = f.clone();
        removed.remove("bob").expect("remove");
        let after = saved(&removed);
        let bob_block = format!(
            "# Bob only downloads.\n[[user]]\nname = \"bob\"\npassword = \"{hash}\"\n\
             home = \"/srv/ftp/bob\"\nread_only = true\n\n"
        );
        assert_eq!(after, before.replacen(&bob_block, "", 1), "{after}");
    }

    #[test]
    fn inline_user_array_is_edited_too() {
        let hash = hash_password("pw").expect("hash");
        let text = format!("user = [{{ name = \"a\", password = \"{hash}\", home = \"/a\" }}]\n");
        let mut f = UsersFile::parse(&text).expect("parse");
        f.add("b", "pw2", "/b", true).expect("add");
        f.set_tls("a", TlsRequired::Login).expect("tls");
        let reloaded = UsersFile::parse(&saved(&f)).expect("parse");
        assert_eq!(reloaded, f);
        assert!(reloaded.verify("b", "pw2").is_ok());
        f.remove("a").expect("remove");
        let reloaded = UsersFile::parse(&saved(&f)).expect("parse");
        assert_eq!(reloaded.len(), 1);
    }

    #[test]
    fn new_file_has_a_header() {
        let mut f = UsersFile::new();
        f.add("a", "pw", "/a", false).expect("add");
        let text = saved(&f);
        assert!(text.starts_with(HEADER), "{text}");
        assert_eq!(UsersFile::parse(&text).expect("parse"), f);
        assert!(!format!("{f:?}").contains("argon2"), "no hash in Debug");
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"\0"));
    }

    /// Guards the limit fields: they load from the file, `set_limits` writes them so that
    /// they load back the same, 0 removes the key, and the authenticator hands them out.
    #[test]
    fn limits_round_trip() {
        let mut f = sample();
        assert_eq!(
            f.get("alice").map(UserEntry::limits),
            Some(UserLimits::default())
        );
        let limits = UserLimits {
            download_rate: 1_000_000,
            upload_rate: 500_000,
            quota_bytes: 10_000_000_000,
            quota_files: 1000,
        };
        f.set_limits("alice", limits).expect("set");
        let text = saved(&f);
        assert!(text.contains("quota_bytes = 10000000000"), "{text}");
        let reloaded = UsersFile::parse(&text).expect("parse");
        assert_eq!(reloaded.get("alice").map(UserEntry::limits), Some(limits));
        assert_eq!(
            reloaded.get("bob").map(UserEntry::limits),
            Some(UserLimits::default())
        );
        let auth = UsersFileAuthenticator::new(reloaded);
        assert_eq!(auth.limits("alice"), limits);
        assert_eq!(auth.limits("nobody"), UserLimits::default());

        let fewer = UserLimits {
            quota_files: 5,
            ..UserLimits::default()
        };
        f.set_limits("alice", fewer).expect("set");
        let text = saved(&f);
        assert!(!text.contains("download_rate"), "{text}");
        assert!(!text.contains("quota_bytes"), "{text}");
        let reloaded = UsersFile::parse(&text).expect("parse");
        assert_eq!(reloaded.get("alice").map(UserEntry::limits), Some(fewer));

        let negative = text.replace("quota_files = 5", "quota_files = -5");
        assert!(UsersFile::parse(&negative).is_err());
    }
}
