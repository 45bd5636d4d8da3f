//! Per-language message tables: the one way ferroftp holds translated text.
//!
//! A domain (the doctor's report, `ferroftp explain`'s errors, ...) declares its messages as
//! an enum of keys with [`messages!`](crate::messages), naming one table function per
//! language. Each table is a plain exhaustive `match` from key to template, so the compiler
//! proves that every key has a text in every language. Templates hold `{name}` placeholders,
//! filled at run time by [`Messages::fill`]; `{{` and `}}` stand for literal braces.
//! [`check`] (run by each domain's unit tests) proves that a key's templates have the same
//! placeholders in every language.
//!
//! ```
//! use ferroftp_guide::{i18n::Messages, Lang};
//!
//! mod en {
//!     pub fn text(k: super::Greeting) -> &'static str {
//!         match k {
//!             super::Greeting::Hello => "hello, {name}",
//!         }
//!     }
//! }
//! mod vi {
//!     pub fn text(k: super::Greeting) -> &'static str {
//!         match k {
//!             super::Greeting::Hello => "xin chào, {name}",
//!         }
//!     }
//! }
//! ferroftp_guide::messages! {
//!     /// Greetings.
//!     pub enum Greeting in (en::text, vi::text) {
//!         /// Says hello.
//!         Hello,
//!     }
//! }
//!
//! fn main() {
//!     assert_eq!(Greeting::Hello.fill(Lang::Vi, &[("name", &"Lan")]), "xin chào, Lan");
//!     assert!(ferroftp_guide::i18n::check::<Greeting>().is_ok());
//! }
//! ```

use std::collections::BTreeSet;
use std::fmt::{self, Write};

use crate::Lang;

/// A value to put in place of `{name}`.
pub type Arg<'a> = (&'a str, &'a dyn fmt::Display);

/// The keys of one domain's messages (implemented by [`messages!`](crate::messages)).
pub trait Messages: Copy + fmt::Debug + 'static {
    /// Every key of the domain.
    fn all() -> &'static [Self];

    /// The key's template in `lang`, placeholders unfilled.
    fn template(self, lang: Lang) -> &'static str;

    /// The key's text in `lang` with its placeholders filled from `args`.
    fn fill(self, lang: Lang, args: &[Arg<'_>]) -> String {
        fill(self.template(lang), args)
    }

    /// The key's text in `lang`, for a template without placeholders.
    fn text(self, lang: Lang) -> String {
        fill(self.template(lang), &[])
    }
}

/// Declares a domain's message keys: the enum, and its [`Messages`] implementation reading
/// the English and Vietnamese tables (two functions from key to `&'static str`).
#[macro_export]
macro_rules! messages {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in ($en:path, $vi:path) {
            $($(#[$vmeta:meta])* $variant:ident),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),*
        }

        impl $crate::i18n::Messages for $name {
            fn all() -> &'static [Self] {
                &[$($name::$variant),*]
            }

            fn template(self, lang: $crate::Lang) -> &'static str {
                match lang {
                    $crate::Lang::En => $en(self),
                    $crate::Lang::Vi => $vi(self),
                }
            }
        }
    };
}

/// One piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into literal text and `{name}` placeholders. `{{` and `}}` are literal
/// braces; a `{` that starts no well-formed placeholder is kept as it is.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Literal(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Literal(&tail[..1]));
            rest = &tail[2..];
            continue;
        }
        let name_end = tail[1..].find('}').map(|j| j + 1);
        match name_end {
            Some(j) if tail.starts_with('{') && is_name(&tail[1..j]) => {
                out.push(Piece::Placeholder(&tail[1..j]));
                rest = &tail[j + 1..];
            }
            _ => {
                out.push(Piece::Literal(&tail[..1]));
                rest = &tail[1..];
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `template` with each `{name}` replaced by the value of `name` in `args`. A placeholder
/// without a value stays as written, so a missing argument shows rather than vanishes.
pub fn fill(template: &str, args: &[Arg<'_>]) -> String {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template) {
        match piece {
            Piece::Literal(s) => out.push_str(s),
            Piece::Placeholder(name) => match args.iter().find(|(n, _)| *n == name) {
                // Writing to a String cannot fail.
                Some((_, value)) => {
                    let _ = write!(out, "{value}");
                }
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// The placeholder names of a template.
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name),
            Piece::Literal(_) => None,
        })
        .collect()
}

/// Checks a domain's tables: every key has a non-blank text in every language, and the same
/// placeholders in every language. Returns one line per problem.
pub fn check<M: Messages>() -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for &key in M::all() {
        let en = key.template(Lang::En);
        for lang in Lang::ALL {
            let t = key.template(lang);
            if t.trim().is_empty() {
                problems.push(format!("{key:?}: empty {lang} text"));
            }
            if placeholders(t) != placeholders(en) {
                problems.push(format!(
                    "{key:?}: {lang} has placeholders {:?}, en has {:?}",
                    placeholders(t),
                    placeholders(en)
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill("{a} and {b}", &[("a", &1), ("b", &"two")]),
            "1 and two"
        );
        assert_eq!(fill("{a}{a}", &[("a", &'x')]), "xx");
        assert_eq!(fill("no placeholders", &[("a", &1)]), "no placeholders");
    }

    #[test]
    fn braces_and_missing_values() {
        assert_eq!(fill("{{a}} {a}", &[("a", &1)]), "{a} 1");
        assert_eq!(fill("{missing}", &[]), "{missing}");
        assert_eq!(fill("{ not a name } {", &[]), "{ not a name } {");
        assert_eq!(fill("}", &[]), "}");
        assert_eq!(fill("ệ {a} đ", &[("a", &"ạ")]), "ệ ạ đ");
    }

    #[test]
    fn placeholder_names() {
        let names: Vec<&str> = placeholders("{what}: {n} bytes, {{not}} {what}")
            .into_iter()
            .collect();
        assert_eq!(names, ["n", "what"]);
    }

    fn en(k: Demo) -> &'static str {
        match k {
            Demo::Same => "{x} ok",
            Demo::Different => "{x}",
        }
    }

    fn vi(k: Demo) -> &'static str {
        match k {
            Demo::Same => "được {x}",
            Demo::Different => "{y}",
        }
    }

    crate::messages! {
        /// Keys for the tests.
        enum Demo in (en, vi) {
            /// Same placeholders.
            Same,
            /// Different placeholders.
            Different,
        }
    }

    #[test]
    fn check_finds_placeholder_mismatches() {
        assert_eq!(Demo::all().len(), 2);
        assert_eq!(Demo::Same.fill(Lang::Vi, &[("x", &7)]), "được 7");
        let problems = check::<Demo>().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("Different: vi"), "{problems:?}");
    }
}
