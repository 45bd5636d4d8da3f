//! What a reply code means, for the report: taken from the reply-code guide of
//! `ferroftp-guide` (the pages `ferroftp explain` shows), so both say the same thing.

use ferroftp_guide::guide;

use super::Lang;

/// The meaning of one reply code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeText {
    /// The code's short title.
    pub title: String,
    /// Where the code is defined.
    pub rfc: String,
    /// The guide's first step to fix what causes it.
    pub fix: Option<String>,
}

/// Looks a code up; `None` for codes no RFC defines.
pub fn code_text(code: u16, lang: Lang) -> Option<CodeText> {
    guide::entry(code, lang).map(|e| CodeText {
        title: e.title.trim_end_matches('.').to_owned(),
        rfc: e.rfc.to_owned(),
        fix: e
            .fix
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes() {
        let t = code_text(503, Lang::En).unwrap();
        assert!(t.title.to_lowercase().contains("sequence"), "{t:?}");
        assert!(t.rfc.contains("959"), "{t:?}");
        assert!(t.fix.is_some());
        let vi = code_text(503, Lang::Vi).unwrap();
        assert_ne!(vi.title, t.title);
        assert!(code_text(999, Lang::En).is_none());
    }
}
