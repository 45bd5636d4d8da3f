//! The guide as JSON, pretty-printed, for scripts.

use ferroftp_proto::catalogue;
use serde_json::{json, Value};

use super::{pairs, Renderer};
use crate::guide::{self, Entry};
use crate::Lang;

/// Pretty-printed JSON, one document ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Renderer for Json {
    fn page(&self, entry: &Entry) -> String {
        to_text(&entry_json(entry))
    }

    fn comparison(&self, entries: &[Entry], lang: Lang) -> String {
        to_text(&comparison_json(entries, lang))
    }

    fn list(&self, lang: Lang) -> String {
        to_text(&list_json(lang))
    }
}

/// `--list` as JSON: an array of `{"code", "title", "class_text"}`.
pub fn list_json(lang: Lang) -> Value {
    Value::Array(
        guide::all(lang)
            .map(|e| json!({ "code": e.code, "title": e.title, "class_text": e.class_text }))
            .collect(),
    )
}

/// One page as JSON: the fields of [`Entry`], plus the standard text and the language.
pub fn entry_json(e: &Entry) -> Value {
    json!({
        "code": e.code,
        "title": e.title,
        "class": e.class.digit(),
        "class_text": e.class_text,
        "second_digit": e.second_digit,
        "standard_text": catalogue::lookup(e.code).map(|c| c.text),
        "description": e.description,
        "when": e.when,
        "fix": e.fix,
        "commands": e.commands,
        "rfc": e.rfc,
        "lang": e.lang.tag(),
    })
}

/// Several pages and their comparisons: `{"lang", "entries": [...], "comparisons": [{"a",
/// "b", "differences", "when_which"}]}`.
pub fn comparison_json(entries: &[Entry], lang: Lang) -> Value {
    let comparisons: Vec<Value> = pairs(entries)
        .iter()
        .filter_map(|(a, b)| {
            let c = guide::compare(a.code, b.code, lang)?;
            Some(json!({
                "a": a.code,
                "b": b.code,
                "differences": c.differences,
                "when_which": c.when_which,
            }))
        })
        .collect();
    json!({
        "lang": lang.tag(),
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "comparisons": comparisons,
    })
}

fn to_text(v: &Value) -> String {
    // A `Value` always serialises; the fallback only keeps this free of `unwrap`.
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_string());
    s.push('\n');
    s
}
