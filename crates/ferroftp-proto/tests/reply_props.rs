//! Property tests for the reply wire format: whatever text a reply carries (file names and
//! other client-supplied strings end up there), the bytes on the wire must parse back as
//! exactly one well-formed reply with the intended code.

use ferroftp_proto::Reply;
use proptest::prelude::*;

/// Reply text lines, biased towards what could break the framing: CR, LF, leading digits and
/// things that look like a reply code.
fn reply_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "[0-9 \r\n-]{0,8}",
        2 => "[0-9]{3}[ -][a-z\r\n ]{0,10}",
        1 => "[\r\n]{1,3}[0-9]{3} [a-z]{0,5}",
        1 => "[a-z ]{0,5}\r?\n?[0-9]{3}[ -]",
    ]
}

/// Whether `line` starts like a reply line: three digits, then a space or a hyphen.
fn looks_like_code_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && matches!(b[3], b' ' | b'-')
}

/// Checks the wire form of a reply with `code` built from `n` text lines.
fn check_wire(code: u16, n: usize, wire: &str) -> Result<(), TestCaseError> {
    prop_assert!(wire.ends_with("\r\n"), "no final CRLF: {:?}", wire);
    let body = &wire[..wire.len() - 2];
    let lines: Vec<&str> = body.split("\r\n").collect();
    for line in &lines {
        prop_assert!(!line.contains(['\r', '\n']), "bare CR or LF in {:?}", wire);
    }
    prop_assert_eq!(lines.len(), n.max(1));
    let single = format!("{code} ");
    let first = if lines.len() == 1 {
        single.clone()
    } else {
        format!("{code}-")
    };
    prop_assert!(lines[0].starts_with(&first), "first line of {:?}", wire);
    prop_assert!(
        lines[lines.len() - 1].starts_with(&single),
        "last line of {:?}",
        wire
    );
    if lines.len() > 2 {
        for line in &lines[1..lines.len() - 1] {
            prop_assert!(!looks_like_code_line(line), "middle line of {:?}", wire);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn multi_line_wire_is_well_formed(
        code in 100u16..=699,
        lines in proptest::collection::vec(reply_line(), 0..8),
    ) {
        let n = lines.len();
        check_wire(code, n, &Reply::multi(code, lines).to_wire())?;
    }

    #[test]
    fn single_line_wire_is_well_formed(code in 100u16..=699, text in reply_line()) {
        check_wire(code, 1, &Reply::new(code, text).to_wire())?;
    }

    #[test]
    fn write_wire_appends_the_same_text(
        code in 100u16..=699,
        lines in proptest::collection::vec(reply_line(), 0..4),
        prefix in "[a-z]{0,4}",
    ) {
        let reply = Reply::multi(code, lines);
        let mut out = prefix.clone();
        reply.write_wire(&mut out);
        prop_assert_eq!(out, format!("{prefix}{}", reply.to_wire()));
    }
}
