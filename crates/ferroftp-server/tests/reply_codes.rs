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
    assert!(found.len() > 50, "too few codes found: {}", found.len());
    for (code, file) in &found {
        assert!(
            ferroftp_proto::catalogue::lookup(*code).is_some(),
            "{code} (sent in {file}) is not in the catalogue"
        );
        assert!(
            ferroftp_proto::guide::entry(*code, ferroftp_proto::guide::Lang::En).is_some(),
            "{code} (sent in {file}) has no guide page"
        );
    }
    for (_, code, _) in ferroftp_proto::catalogue::MESSAGES {
        assert!(ferroftp_proto::catalogue::lookup(*code).is_some());
    }
}
