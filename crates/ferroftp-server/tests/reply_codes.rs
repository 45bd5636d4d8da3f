//! Every reply code the server can send is in the reply-code catalogue (and so in the
//! guide `ferroftp explain` reads): the codes written in the server's and the protocol
//! core's sources are collected and looked up.

use std::path::Path;

fn codes_in(dir: &Path, found: &mut Vec<(u16, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            codes_in(&path, found);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for marker in ["Reply::new(", "Reply::multi("] {
            for (i, _) in text.match_indices(marker) {
                let rest = text[i + marker.len()..].trim_start();
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                if digits.len() == 3 {
                    found.push((digits.parse().unwrap(), path.display().to_string()));
                }
            }
        }
    }
}

#[test]
fn every_code_the_server_sends_is_in_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    codes_in(&root.join("src"), &mut found);
    codes_in(&root.join("../ferroftp-proto/src"), &mut found);
    assert!(found.len() > 20, "too few codes found: {}", found.len());
    for (code, file) in &found {
        assert!(
            ferroftp_proto::catalogue::lookup(*code).is_some(),
            "{code} (sent in {file}) is not in the catalogue"
        );
        assert!(
            ferroftp_guide::guide::entry(*code, ferroftp_guide::Lang::En).is_some(),
            "{code} (sent in {file}) has no guide page"
        );
    }
    for (msg, code, _) in ferroftp_proto::catalogue::MESSAGES {
        assert!(
            ferroftp_proto::catalogue::lookup(*code).is_some(),
            "{msg:?}"
        );
        assert!(
            ferroftp_guide::guide::entry(*code, ferroftp_guide::Lang::Vi).is_some(),
            "{msg:?}"
        );
    }
}

/// Fixed reply texts live in the catalogue (`Msg`), not in the server's code: only replies
/// with a computed part (a path, a size, an address) are built in place.
#[test]
fn fixed_reply_texts_come_from_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("src"), root.join("../ferroftp-proto/src")] {
        collect(&dir, &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let squashed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
        for (i, _) in squashed.match_indices("Reply::new(") {
            let rest = &squashed[i + "Reply::new(".len()..];
            let after_code = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            assert!(
                !after_code.starts_with(", \""),
                "{}: a fixed reply text outside the catalogue: Reply::new({}",
                file.display(),
                &rest[..rest.len().min(60)]
            );
        }
    }
}

/// Every message of the catalogue has its code and text.
#[test]
fn every_message_has_a_text() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ferroftp-proto/src/catalogue.rs"),
    )
    .unwrap();
    let start = source.find("pub enum Msg {").unwrap();
    let body = &source[start..start + source[start..].find('}').unwrap()];
    let table = &source[source.find("pub const MESSAGES").unwrap()..];
    let mut count = 0;
    for line in body.lines().map(str::trim) {
        if line.starts_with("///") || !line.ends_with(',') {
            continue;
        }
        let name = line.trim_end_matches(',');
        count += 1;
        assert!(
            table.contains(&format!("Msg::{name},")),
            "Msg::{name} has no entry in MESSAGES"
        );
    }
    assert!(count > 60, "{count}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(path);
        }
    }
}
