//! # ferroftp-guide
//!
//! What ferroftp tells people, in English and Vietnamese:
//!
//! - [`guide`]: a page for every FTP reply code of the core's catalogue (what it means, when
//!   a client sees it, how to fix its cause, where it is defined) and comparisons of two codes;
//! - [`render`]: the pages as terminal text or JSON (`ferroftp explain`);
//! - [`resolve`]: codes from what a person typed (a number, a pasted reply line);
//! - [`i18n`]: the project's one way to hold translations: per-language message tables,
//!   checked by the compiler for completeness, with `{name}` placeholders.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod guide;
pub mod i18n;
mod lang;
pub mod render;
pub mod resolve;
pub mod text;

pub use lang::{Lang, UnknownLang};
