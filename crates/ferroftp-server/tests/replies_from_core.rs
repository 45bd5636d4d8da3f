//! Every reply comes from the protocol core's catalogue: the driver (this crate) writes no
//! reply code of its own, and every message of the catalogue is sent somewhere, so the
//! guide never documents a reply the server cannot send.

use std::path::{Path, PathBuf};

use ferroftp_proto::catalogue::{lookup, MESSAGES};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(path);
        }
    }
}

/// A file's code without its unit tests and comments: what the compiled server runs.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .map(|line| match line.find("//") {
            // `//` inside a string (a URL, say) is not a comment: keep lines with a quote
            // before it whole.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sources(dirs: &[PathBuf], skip: &[&str]) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(dir, &mut files);
    }
    files
        .into_iter()
        .filter(|f| {
            let s = f.to_string_lossy();
            !skip.iter().any(|k| s.contains(k))
        })
        .map(|f| {
            let code = code_of(&f);
            (f, code)
        })
        .collect()
}

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// The three-digit numbers standing alone in `code` (not part of a longer number, a name
/// or a dotted address).
fn three_digit_numbers(code: &str) -> Vec<u16> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before = start.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i).copied();
        let glued =
            |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if i - start == 3 && !glued(before) && !glued(after) {
            if let Ok(n) = code[start..i].parse() {
                found.push(n);
            }
        }
    }
    found
}

#[test]
fn the_driver_writes_no_reply_code() {
    let files = sources(&[crate_dir("ferroftp-server/src")], &[]);
    assert!(files.len() > 10, "too few files: {}", files.len());
    let mut problems = Vec::new();
    for (file, code) in &files {
        for marker in [
            "Reply::new(",
            "Reply::multi(",
            "Reply { code",
            "Reply { lines",
        ] {
            if code.contains(marker) {
                problems.push(format!("{}: builds a reply: {marker}", file.display()));
            }
        }
        for n in three_digit_numbers(code) {
            if lookup(n).is_some() {
                problems.push(format!("{}: reply code {n}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The core's own rule: outside the catalogue (which turns `Msg` and `Computed` into code
/// and text) and the `Reply` type itself, no code of the protocol core builds a reply or
/// writes a reply code. The guide, which explains every code, may name them.
#[test]
fn the_core_builds_replies_only_in_the_catalogue() {
    let files = sources(
        &[crate_dir("ferroftp-proto/src")],
        &["catalogue.rs", "reply.rs"],
    );
    assert!(files.len() > 5, "too few files: {}", files.len());
    let mut problems = Vec::new();
    for (file, code) in &files {
        for marker in [
            "Reply::new(",
            "Reply::multi(",
            "Reply { code",
            "Reply { lines",
        ] {
            if code.contains(marker) {
                problems.push(format!("{}: builds a reply: {marker}", file.display()));
            }
        }
        if file.to_string_lossy().contains("guide") {
            continue;
        }
        for n in three_digit_numbers(code) {
            if lookup(n).is_some() {
                problems.push(format!("{}: reply code {n}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_number_scan_finds_codes_and_skips_other_numbers() {
    assert_eq!(three_digit_numbers("Reply::new(226, x)"), vec![226]);
    assert_eq!(three_digit_numbers("b\"212 End\""), vec![212]);
    assert!(three_digit_numbers("\"127.0.0.1\" 2121 x331 0o644 1.500").is_empty());
}

/// The variant names of `pub enum NAME` in `source`.
fn variants(source: &str, name: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub enum {name} {{"))
        .unwrap_or_else(|| panic!("enum {name} not found"));
    let mut depth = 0;
    let mut names = Vec::new();
    for line in source[start..].lines() {
        let trimmed = line.trim();
        if depth == 1 && !trimmed.starts_with("//") && !trimmed.starts_with('#') {
            let ident: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if ident.starts_with(|c: char| c.is_ascii_uppercase()) {
                names.push(ident);
            }
        }
        depth += line.matches('{').count();
        depth -= line.matches('}').count();
        if depth == 0 {
            break;
        }
    }
    names
}

fn used(code: &[(PathBuf, String)], path: &str) -> bool {
    code.iter().any(|(_, c)| {
        c.match_indices(path).any(|(i, _)| {
            !c[i + path.len()..].starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_')
        })
    })
}

#[test]
fn every_message_of_the_catalogue_is_sent() {
    // Where replies are produced: the core (but not the catalogue that defines them, nor
    // the guide that explains them) and the driver.
    let code = sources(
        &[
            crate_dir("ferroftp-proto/src"),
            crate_dir("ferroftp-server/src"),
        ],
        &["catalogue.rs", "guide"],
    );
    let mut never = Vec::new();
    for (msg, _, _) in MESSAGES {
        let path = format!("Msg::{msg:?}");
        if !used(&code, &path) {
            never.push(path);
        }
    }
    let catalogue = std::fs::read_to_string(crate_dir("ferroftp-proto/src/catalogue.rs"))
        .expect("catalogue source");
    let computed = variants(&catalogue, "Computed");
    assert!(computed.len() > 20, "{computed:?}");
    for name in computed {
        let path = format!("Computed::{name}");
        if !used(&code, &path) {
            never.push(path);
        }
    }
    assert!(never.is_empty(), "never sent: {never:#?}");
}
