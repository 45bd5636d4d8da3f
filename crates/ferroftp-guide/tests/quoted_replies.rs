//! The guide quotes the replies ferroftp sends ("503 RNFR required first."); every such quote
//! must be a reply the server's catalogue can actually produce, so the guide never documents
//! a reply the server does not send.

use ferroftp_guide::guide;
use ferroftp_guide::Lang;

/// The `"NNN text"` quotes of one text.
fn quotes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let q = &after[..end];
        let b = q.as_bytes();
        if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
            out.push(q.to_owned());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Every reply line the server can send: the fixed texts, and the computed replies with
/// sample payloads.
fn server_lines() -> Vec<(u16, String)> {
    use ferroftp_proto::args::TransferType;
    use ferroftp_proto::capabilities::Capabilities;
    use ferroftp_proto::catalogue::{Computed, MESSAGES};
    use ferroftp_proto::listing::MlstFacts;
    use ferroftp_proto::{VPath, Verb};

    let mut lines: Vec<(u16, String)> = MESSAGES
        .iter()
        .map(|(_, code, text)| (*code, (*text).to_owned()))
        .collect();
    let path = VPath::root().join("a").unwrap_or_else(|_| VPath::root());
    let computed = [
        Computed::Size(1234),
        Computed::ModifiedTime(std::time::SystemTime::UNIX_EPOCH),
        Computed::VerbSupported(Verb::Retr),
        Computed::UnknownHelpTopic("X".into()),
        Computed::Restarting(100),
        Computed::DirCreated { path: path.clone() },
        Computed::CurrentDir { path },
        Computed::TypeSet(TransferType::Binary),
        Computed::Features {
            tls: true,
            capabilities: Capabilities::default(),
            mlst_facts: MlstFacts::default(),
        },
    ];
    for c in computed {
        let reply = c.reply();
        for line in reply.lines {
            lines.push((reply.code, line));
        }
    }
    lines
}

/// Whether `quote` (text after the code) describes `line`: placeholders the guide uses for a
/// computed part (`<bytes>`, `N`, `X`, `YYYYMMDDHHMMSS`) stand for any text.
fn describes(quote: &str, line: &str) -> bool {
    // A placeholder may hold spaces (`<số byte>`): make it one word first.
    let mut flat = String::new();
    let mut inside = false;
    for ch in quote.chars() {
        match ch {
            '<' => inside = true,
            '>' if inside => {
                inside = false;
                flat.push_str("<>");
            }
            _ if inside => {}
            _ => flat.push(ch),
        }
    }
    let words: Vec<&str> = flat.split(' ').collect();
    let wild = |w: &str| {
        let w = w.trim_end_matches('.');
        w.starts_with('<') || w == "N" || w == "X" || w == "YYYYMMDDHHMMSS" || w == "RETR"
    };
    if !words.iter().any(|w| wild(w)) {
        return flat == line;
    }
    let theirs: Vec<&str> = line.split(' ').collect();
    words.len() == theirs.len()
        && words
            .iter()
            .zip(&theirs)
            .all(|(w, t)| w == t || (wild(w) && w.ends_with('.') == t.ends_with('.')))
}

#[test]
fn every_reply_the_guide_quotes_is_one_the_server_sends() {
    let known = server_lines();
    let mut unknown = Vec::new();
    let mut seen = 0;
    for lang in Lang::ALL {
        for e in guide::all(lang) {
            for t in [e.description, e.when, e.fix] {
                for q in quotes(t) {
                    seen += 1;
                    let code: u16 = q[..3].parse().unwrap_or(0);
                    let text = &q[4..];
                    if !known.iter().any(|(c, l)| *c == code && describes(text, l)) {
                        unknown.push(format!("{lang} page {}: \"{q}\"", e.code));
                    }
                }
            }
        }
    }
    assert!(
        seen > 40,
        "the guide quotes only {seen} replies: is the extraction broken?"
    );
    assert!(
        unknown.is_empty(),
        "the guide quotes replies the server never sends:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn a_reply_the_server_never_sends_is_caught() {
    let known = server_lines();
    let q = "A transfer is in progress: wait for it or send ABOR.";
    assert!(!known.iter().any(|(c, l)| *c == 503 && describes(q, l)));
    assert!(known
        .iter()
        .any(|(c, l)| *c == 503 && describes("RNFR required first.", l)));
}
