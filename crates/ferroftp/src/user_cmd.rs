//! `ferroftp user add|passwd|set|del|list`: editing the users file.
//!
//! Every edit changes only what it is about; comments and layout of the file are kept (see
//! [`UsersFile`]).

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use ferroftp_proto::perms::Permissions;
use ferroftp_proto::session::TlsRequired;
use ferroftp_server::users_file::{
    allow_permission, permission_names, tls_to_text, validate_name, UsersFile, UsersFileError,
};

use crate::cli::{
    UserAddArgs, UserCommand, UserDelArgs, UserListArgs, UserPasswdArgs, UserSetArgs,
};
use crate::Error;

/// Runs one `user` subcommand.
pub fn run(cmd: UserCommand) -> Result<(), Error> {
    match cmd {
        UserCommand::Add(args) => add(args),
        UserCommand::Passwd(args) => passwd(args),
        UserCommand::Set(args) => set(args),
        UserCommand::Del(args) => del(args),
        UserCommand::List(args) => list(args),
    }
}

fn add(args: UserAddArgs) -> Result<(), Error> {
    let path = &args.users.users;
    let mut users = UsersFile::load(path)?;
    // Check everything we can before asking for a password or touching the disk.
    validate_name(&args.name)?;
    if users.get(&args.name).is_some() {
        return Err(UsersFileError::Exists(args.name).into());
    }
    let password = read_password(args.password_stdin)?;
    let home = prepare_home(&args.home)?;
    users.add(&args.name, &password, &home, args.read_only)?;
    users.save(path)?;
    println!(
        "added user {:?} with home {}{}",
        args.name,
        home.display(),
        if args.read_only { " (read-only)" } else { "" }
    );
    Ok(())
}

fn passwd(args: UserPasswdArgs) -> Result<(), Error> {
    let path = &args.users.users;
    let mut users = UsersFile::load(path)?;
    if users.get(&args.name).is_none() {
        return Err(UsersFileError::NotFound(args.name).into());
    }
    let password = read_password(args.password_stdin)?;
    users.set_password(&args.name, &password)?;
    users.save(path)?;
    println!("changed password of user {:?}", args.name);
    Ok(())
}

fn set(args: UserSetArgs) -> Result<(), Error> {
    let path = &args.users.users;
    let mut users = UsersFile::load(path)?;
    if users.get(&args.name).is_none() {
        return Err(UsersFileError::NotFound(args.name).into());
    }
    // Everything is checked before the home directory is made or the file written.
    let permissions = args
        .permissions
        .as_deref()
        .map(parse_permissions)
        .transpose()?;
    let tls = args.tls.as_deref().map(parse_tls).transpose()?;
    let home = args.home.as_deref().map(prepare_home).transpose()?;

    let mut changes = Vec::new();
    if let Some(p) = permissions {
        users.set_permissions(&args.name, p)?;
        changes.push(format!("permissions {}", describe_permissions(p)));
    }
    if args.read_only || args.read_write {
        users.set_read_only(&args.name, args.read_only)?;
        changes.push(
            if args.read_only {
                "permissions read-only"
            } else {
                "permissions all"
            }
            .to_owned(),
        );
    }
    if let Some(policy) = tls {
        users.set_tls(&args.name, policy)?;
        changes.push(format!("tls {}", tls_to_text(policy)));
    }
    if let Some(home) = home {
        changes.push(format!("home {}", home.display()));
        users.set_home(&args.name, home)?;
    }
    let before = users
        .get(&args.name)
        .map(|u| u.limits())
        .unwrap_or_default();
    let mut limits = before;
    for (value, field, what) in [
        (
            args.download_rate,
            &mut limits.download_rate,
            "download_rate",
        ),
        (args.upload_rate, &mut limits.upload_rate, "upload_rate"),
        (args.quota_bytes, &mut limits.quota_bytes, "quota_bytes"),
        (args.quota_files, &mut limits.quota_files, "quota_files"),
    ] {
        if let Some(v) = value {
            *field = v;
            changes.push(format!("{what} {v}"));
        }
    }
    if limits != before {
        users.set_limits(&args.name, limits)?;
    }
    users.save(path)?;
    println!("changed user {:?}: {}", args.name, changes.join(", "));
    Ok(())
}

fn del(args: UserDelArgs) -> Result<(), Error> {
    let path = &args.users.users;
    let mut users = UsersFile::load(path)?;
    let removed = users.remove(&args.name)?;
    users.save(path)?;
    println!(
        "removed user {:?} (home {} left in place)",
        removed.name(),
        removed.home().display()
    );
    Ok(())
}

fn list(args: UserListArgs) -> Result<(), Error> {
    let users = UsersFile::load(&args.users.users)?;
    let mut out = io::stdout().lock();
    // One user a line, tab-separated, permissions last; the hash is never shown.
    for user in users.users() {
        writeln!(
            out,
            "{}\t{}\ttls={}\t{}",
            user.name(),
            user.home().display(),
            tls_to_text(user.tls_required().unwrap_or_default()),
            describe_permissions(user.permissions())
        )
        .map_err(|e| Error::msg(format!("cannot write to stdout: {e}")))?;
    }
    Ok(())
}

/// `all`, `read-only`, or the comma-separated list of what is allowed.
fn describe_permissions(p: Permissions) -> String {
    if p == Permissions::ALL {
        return "all".to_owned();
    }
    if p == Permissions::READ_ONLY {
        return "read-only".to_owned();
    }
    let names = permission_names(p);
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(",")
    }
}

/// Reads `--permissions`: names from the users file's `permissions` list, or `none` alone.
fn parse_permissions(names: &[String]) -> Result<Permissions, Error> {
    let mut p = Permissions {
        list: false,
        read: false,
        write: false,
        delete: false,
        rename: false,
        mkdir: false,
    };
    if let [only] = names {
        if only.trim() == "none" {
            return Ok(p);
        }
    }
    for name in names {
        if !allow_permission(&mut p, name.trim()) {
            return Err(Error::msg(format!(
                "unknown permission {name:?}: use list, read, write, delete, rename, mkdir or none"
            )));
        }
    }
    Ok(p)
}

/// Reads `--tls` (clap has already limited it to the three words).
fn parse_tls(text: &str) -> Result<TlsRequired, Error> {
    match text {
        "none" => Ok(TlsRequired::None),
        "login" => Ok(TlsRequired::Login),
        "all" => Ok(TlsRequired::All),
        other => Err(Error::msg(format!(
            "unknown TLS policy {other:?}: use none, login or all"
        ))),
    }
}

/// Creates the home directory if missing and returns its absolute path, so the server finds
/// it whatever its working directory.
fn prepare_home(home: &Path) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(home).map_err(|e| {
        Error::msg(format!(
            "cannot create home directory {}: {e}",
            home.display()
        ))
    })?;
    let resolved = std::fs::canonicalize(home).map_err(|e| {
        Error::msg(format!(
            "cannot resolve home directory {}: {e}",
            home.display()
        ))
    })?;
    if !resolved.is_dir() {
        return Err(Error::msg(format!(
            "home {} is not a directory",
            resolved.display()
        )));
    }
    Ok(resolved)
}

/// Gets the new password: one line of stdin, or typed twice on the terminal.
fn read_password(from_stdin: bool) -> Result<String, Error> {
    let password = if from_stdin {
        read_password_line(&mut io::stdin().lock())
            .map_err(|e| Error::msg(format!("cannot read password from stdin: {e}")))?
    } else {
        let first = prompt("New password: ")?;
        let second = prompt("Repeat password: ")?;
        if first != second {
            return Err(Error::msg("passwords do not match"));
        }
        first
    };
    if password.is_empty() {
        return Err(Error::msg("empty passwords are not allowed"));
    }
    Ok(password)
}

fn prompt(text: &str) -> Result<String, Error> {
    // rpassword reads from the terminal itself, not stdin, so it fails without one.
    rpassword::prompt_password(text).map_err(|e| {
        Error::msg(format!(
            "cannot read password from the terminal ({e}); use --password-stdin"
        ))
    })
}

/// Reads one line, removing only its line ending (`\n` or `\r\n`): spaces are kept, as they
/// may be part of the password.
fn read_password_line(input: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}

/// Whether `path` is readable by group or others: worth a warning for a users file.
#[cfg(unix)]
pub fn too_open(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

/// Whether `path` is readable by group or others (never on this platform).
#[cfg(not(unix))]
pub fn too_open(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_line_keeps_spaces_and_drops_newline() {
        let read = |s: &str| read_password_line(&mut s.as_bytes()).expect("read");
        assert_eq!(read("secret\n"), "secret");
        assert_eq!(read("secret\r\n"), "secret");
        assert_eq!(read(" sp ace \n"), " sp ace ");
        assert_eq!(read("no newline"), "no newline");
        assert_eq!(read("first\nsecond\n"), "first");
        assert_eq!(read("\n"), "");
        assert_eq!(read(""), "");
    }

    #[test]
    fn permission_descriptions() {
        assert_eq!(describe_permissions(Permissions::ALL), "all");
        assert_eq!(describe_permissions(Permissions::READ_ONLY), "read-only");
        let p = Permissions {
            list: true,
            read: false,
            write: true,
            delete: false,
            rename: false,
            mkdir: true,
        };
        assert_eq!(describe_permissions(p), "list,write,mkdir");
        let none = Permissions {
            list: false,
            read: false,
            write: false,
            delete: false,
            rename: false,
            mkdir: false,
        };
        assert_eq!(describe_permissions(none), "none");
    }
}
