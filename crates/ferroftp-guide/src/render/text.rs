//! The guide as plain text for a terminal, wrapped to [`WIDTH`] columns.

use ferroftp_proto::catalogue;

use super::{pairs, Renderer};
use crate::guide::{self, Entry};
use crate::Lang;

/// Width the text output is wrapped to.
pub const WIDTH: usize = 80;

/// Terminal text: headings, indented paragraphs, bulleted lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text;

impl Renderer for Text {
    fn page(&self, entry: &Entry) -> String {
        page_text(entry)
    }

    fn comparison(&self, entries: &[Entry], lang: Lang) -> String {
        comparison_text(entries, lang)
    }

    /// `503  Bad sequence of commands`, one code a line.
    fn list(&self, lang: Lang) -> String {
        guide::all(lang)
            .map(|e| format!("{}  {}\n", e.code, e.title))
            .collect()
    }
}

/// Greedy word wrap: `first` starts the first line, `rest` the others.
fn wrap(text: &str, first: &str, rest: &str, out: &mut String) {
    let mut line = String::from(first);
    let mut len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if !empty && len + 1 + wlen > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += wlen;
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// A section: a heading, then the text indented; several lines become a bulleted list.
fn section(heading: &str, text: &str, out: &mut String) {
    out.push('\n');
    out.push_str(heading);
    out.push('\n');
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 1 {
        for l in lines {
            wrap(l, "  - ", "    ", out);
        }
    } else {
        wrap(text, "  ", "  ", out);
    }
}

fn commands_text(e: &Entry) -> String {
    let any = guide::labels(e.lang).any_command;
    e.commands
        .iter()
        .map(|c| if *c == "*" { any } else { c })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One code's page as text.
pub fn page_text(e: &Entry) -> String {
    let l = guide::labels(e.lang);
    let mut out = String::new();
    out.push_str(&format!("{} {}\n", e.code, e.title));
    wrap(e.class_text, "  ", "  ", &mut out);
    wrap(e.second_digit, "  ", "    ", &mut out);
    if let Some(info) = catalogue::lookup(e.code) {
        let std = format!("{}: \"{} {}\"", l.standard_text, info.code, info.text);
        wrap(&std, "  ", "    ", &mut out);
    }
    section(l.description, e.description, &mut out);
    section(l.when, e.when, &mut out);
    section(l.fix, e.fix, &mut out);
    section(l.commands, &commands_text(e), &mut out);
    section(l.defined_in, e.rfc, &mut out);
    out
}

/// Every page, then the comparison of every pair, as text.
fn comparison_text(entries: &[Entry], lang: Lang) -> String {
    let l = guide::labels(lang);
    let title = entries
        .iter()
        .map(|e| e.code.to_string())
        .collect::<Vec<_>>()
        .join(" vs ");
    let mut out = format!("{title}\n{}\n", "=".repeat(title.chars().count()));
    for e in entries {
        out.push('\n');
        out.push_str(&page_text(e));
    }
    let pairs = pairs(entries);
    for (a, b) in &pairs {
        let Some(c) = guide::compare(a.code, b.code, lang) else {
            continue;
        };
        // With one pair the headings need no codes; with several they say which pair.
        let suffix = if pairs.len() > 1 {
            format!(": {} vs {}", a.code, b.code)
        } else {
            String::new()
        };
        out.push('\n');
        out.push_str(&format!("{}{suffix}\n", l.key_differences));
        for d in &c.differences {
            wrap(d, "  - ", "    ", &mut out);
        }
        out.push('\n');
        out.push_str(&format!("{}{suffix}\n", l.when_which));
        for line in c.when_which.lines() {
            wrap(line, "  ", "    ", &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        let mut out = String::new();
        wrap(&"word ".repeat(40), "  - ", "    ", &mut out);
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(out.lines().skip(1).all(|l| l.starts_with("    word")));
        let mut out = String::new();
        wrap(&"x".repeat(100), "  ", "  ", &mut out);
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn every_page_fits_the_width() {
        for lang in Lang::ALL {
            for e in guide::all(lang) {
                let out = Text.page(&e);
                assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
            }
        }
    }

    #[test]
    fn one_pair_has_plain_headings() {
        let a = guide::entry(220, Lang::En).unwrap();
        let b = guide::entry(503, Lang::En).unwrap();
        let out = Text.entries(&[a, b], Lang::En);
        assert!(out.contains("\nKey differences\n"), "{out}");
    }
}
