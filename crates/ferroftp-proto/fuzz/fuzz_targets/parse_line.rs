//! Fuzzes the control-connection input path (line splitting, Telnet stripping, command
//! parsing) and the reply wire format with the same bytes.

#![no_main]

use ferroftp_proto::parser::{parse_line, LineBuffer, LineEvent, MAX_LINE};
use ferroftp_proto::Reply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    feed_lines(usize::from(first) + 1, rest);
    check_reply(data);
});

/// Feeds `data` to a [`LineBuffer`] in chunks of `chunk` bytes and parses every line, checking
/// that memory stays bounded and the result does not depend on the chunking.
fn feed_lines(chunk: usize, data: &[u8]) {
    let mut chunked = LineBuffer::new();
    let mut events = Vec::new();
    for piece in data.chunks(chunk) {
        chunked.extend(piece);
        while let Some(event) = chunked.next_event() {
            if let LineEvent::Line(line) = &event {
                assert!(line.len() <= MAX_LINE);
                assert!(!line.contains(&b'\n'));
                let _ = parse_line(line);
            }
            events.push(event);
        }
    }

    let mut whole = LineBuffer::new();
    whole.extend(data);
    let mut again = Vec::new();
    while let Some(event) = whole.next_event() {
        again.push(event);
    }
    assert_eq!(events, again);
}

/// Builds replies from `data` as text and checks their wire form: each line CRLF-terminated,
/// the code in front of the first and last lines, and no middle line that could pass for the
/// end of the reply.
fn check_reply(data: &[u8]) {
    let Some((code_bytes, text)) = data.split_first_chunk::<2>() else {
        return;
    };
    let code = 100 + u16::from_le_bytes(*code_bytes) % 600;
    let text = String::from_utf8_lossy(text);

    check_wire(code, 1, &Reply::new(code, text.as_ref()).to_wire());
    let lines: Vec<String> = text.split('\u{1}').map(str::to_owned).collect();
    let n = lines.len();
    check_wire(code, n, &Reply::multi(code, lines).to_wire());
}

fn check_wire(code: u16, n: usize, wire: &str) {
    let body = wire.strip_suffix("\r\n").expect("reply must end with CRLF");
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.len(), n.max(1));
    for line in &lines {
        assert!(!line.contains(['\r', '\n']), "bare CR/LF in {wire:?}");
    }
    let last = format!("{code} ");
    let first = if lines.len() == 1 {
        last.clone()
    } else {
        format!("{code}-")
    };
    assert!(lines[0].starts_with(&first), "first line of {wire:?}");
    assert!(
        lines[lines.len() - 1].starts_with(&last),
        "last line of {wire:?}"
    );
    if lines.len() > 2 {
        for line in &lines[1..lines.len() - 1] {
            let b = line.as_bytes();
            let code_like = b.len() >= 4
                && b[..3].iter().all(u8::is_ascii_digit)
                && matches!(b[3], b' ' | b'-');
            assert!(!code_like, "middle line of {wire:?}");
        }
    }
}
