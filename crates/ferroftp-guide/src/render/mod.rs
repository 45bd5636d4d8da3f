//! The guide's pages as something to show: terminal text ([`Text`]) or JSON ([`Json`]).
//!
//! Each output format is one [`Renderer`]; a new one (HTML pages for a web console) is one
//! more module here implementing the same three views: a page, a comparison of several
//! codes, and the list of every code.

mod json;
mod text;

pub use json::{comparison_json, entry_json, list_json, Json};
pub use text::{page_text, Text, WIDTH};

use crate::guide::Entry;
use crate::Lang;

/// One output format of the guide.
pub trait Renderer {
    /// One code's page.
    fn page(&self, entry: &Entry) -> String;

    /// Several pages, followed by the comparison of every pair (in the order given).
    fn comparison(&self, entries: &[Entry], lang: Lang) -> String;

    /// Every code with its title, sorted by code.
    fn list(&self, lang: Lang) -> String;

    /// One page for a single entry, a comparison for several: what `ferroftp explain`
    /// prints for the codes it was given.
    fn entries(&self, entries: &[Entry], lang: Lang) -> String {
        match entries {
            [one] => self.page(one),
            many => self.comparison(many, lang),
        }
    }
}

/// Every pair of entries, in the order given (220 503 530: 220/503, 220/530, 503/530).
pub fn pairs(entries: &[Entry]) -> Vec<(Entry, Entry)> {
    let mut v = Vec::new();
    for (i, a) in entries.iter().enumerate() {
        for b in &entries[i + 1..] {
            v.push((*a, *b));
        }
    }
    v
}
