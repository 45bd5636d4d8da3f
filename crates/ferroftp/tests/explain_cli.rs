//! `ferroftp explain`, run as the real binary.

mod common;

use std::process::Output;

fn explain(args: &[&str]) -> Output {
    let mut cmd = common::ferroftp(&["explain"]);
    cmd.args(args);
    common::finish(cmd, b"").output
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `ferroftp explain ARGS`, checks it succeeded quietly, and returns its stdout.
fn ok(args: &[&str]) -> String {
    let out = explain(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn explains_503_with_its_sequences() {
    let text = ok(&["503"]);
    assert!(text.starts_with("503 Bad sequence of commands\n"), "{text}");
    for word in [
        "USER",
        "PASS",
        "RNFR",
        "RNTO",
        "AUTH TLS",
        "Description",
        "When you see it",
        "How to fix it",
        "Defined in",
    ] {
        assert!(text.contains(word), "missing {word:?}:\n{text}");
    }
}

#[test]
fn compares_220_and_503() {
    let text = ok(&["220", "503"]);
    assert!(text.starts_with("220 vs 503\n"), "{text}");
    assert!(text.contains("220 Service ready for new user"));
    assert!(text.contains("503 Bad sequence of commands"));
    assert!(text.contains("\nKey differences\n"), "{text}");
    assert!(text.contains("\nWhen to expect which\n"), "{text}");
}

#[test]
fn lists_every_code() {
    let text = ok(&["--list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!((55..=70).contains(&lines.len()), "{} lines", lines.len());
    assert!(lines.contains(&"503  Bad sequence of commands"), "{text}");
    assert!(lines
        .iter()
        .all(|l| l.len() > 5 && l[..3].parse::<u16>().is_ok()));
}

#[test]
fn speaks_vietnamese() {
    let text = ok(&["--lang", "vi", "530"]);
    for heading in ["Mô tả", "Khi bạn thấy mã này", "Cách khắc phục"] {
        assert!(text.contains(heading), "missing {heading}:\n{text}");
    }
    let text = ok(&["220", "503", "--lang", "vi"]);
    assert!(text.contains("Sự khác biệt chính"), "{text}");
    assert!(text.contains("Khi nào dùng cái nào"), "{text}");
    // --lang en is accepted too.
    assert!(ok(&["--lang", "en", "530"]).contains("How to fix it"));
}

#[test]
fn prints_json() {
    let page: serde_json::Value = serde_json::from_str(&ok(&["--json", "425"])).unwrap();
    assert_eq!(page["code"], 425);
    assert_eq!(page["title"], "Can't open data connection");
    assert!(page["fix"].as_str().unwrap().contains("--passive-ports"));

    let cmp: serde_json::Value = serde_json::from_str(&ok(&["--json", "220", "503"])).unwrap();
    assert_eq!(cmp["entries"][0]["code"], 220);
    assert_eq!(cmp["entries"][1]["code"], 503);
    assert!(!cmp["comparisons"][0]["differences"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(cmp["comparisons"][0]["when_which"].is_string());

    let list: serde_json::Value = serde_json::from_str(&ok(&["--json", "--list"])).unwrap();
    assert!(list.as_array().unwrap().len() > 50);
}

#[test]
fn accepts_a_pasted_reply_line() {
    let text = ok(&["503 Bad sequence of commands"]);
    assert!(text.starts_with("503 Bad sequence of commands\n"), "{text}");
    let text = ok(&["Response:  550 No such file or directory."]);
    assert!(text.starts_with("550 "), "{text}");
}

#[test]
fn unknown_code_exits_2_naming_the_nearest() {
    let out = explain(&["999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("ferroftp: 999 is not an FTP reply code; nearest known codes: "),
        "{err}"
    );
    assert!(err.contains("633"), "{err}");

    let out = explain(&["599"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("555, 554, 553"), "{}", stderr(&out));
}

#[test]
fn a_word_exits_2_naming_codes() {
    let out = explain(&["hello"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("\"hello\" is not an FTP reply code"), "{err}");
    assert!(err.contains("220") && err.contains("--list"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(explain(&[]).status.code(), Some(2));
    let out = explain(&["--lang", "fr", "503"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("en or vi"), "{}", stderr(&out));
}
