//! `ferroftp user add|passwd|del|list`: editing the users file.

use std::io::{self, BufRead, Write};
use std::path::Path;

use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::{validate_name, UsersFile, UsersFileError};

use crate::cli::{UserAddArgs, UserCommand, UserDelArgs, UserListArgs, UserPasswdArgs};
use crate::Error;

/// Runs one `user` subcommand.
pub fn run(cmd: UserCommand) -> Result<(), Error> {
    match cmd {
        UserCommand::Add(args) => add(args),
        UserCommand::Passwd(args) => passwd(args),
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

    std::fs::create_dir_all(&args.home).map_err(|e| {
        Error::msg(format!(
            "cannot create home directory {}: {e}",
            args.home.display()
        ))
    })?;
    // Store an absolute path, so the server finds the home whatever its working directory.
    let home = std::fs::canonicalize(&args.home).map_err(|e| {
        Error::msg(format!(
            "cannot resolve home directory {}: {e}",
            args.home.display()
        ))
    })?;
    if !home.is_dir() {
        return Err(Error::msg(format!(
            "home {} is not a directory",
            home.display()
        )));
    }

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
    for user in users.users() {
        writeln!(
            out,
            "{}\t{}\t{}",
            user.name(),
            user.home().display(),
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
    let names: Vec<&str> = [
        (p.list, "list"),
        (p.read, "read"),
        (p.write, "write"),
        (p.delete, "delete"),
        (p.rename, "rename"),
        (p.mkdir, "mkdir"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(",")
    }
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
