//! What a reply code means, for the report: taken from the reply-code guide of
//! `ferroftp-proto`, so `ferroftp explain` and the doctor say the same thing.

use ferroftp_proto::catalogue;

use super::Lang;

/// The meaning of one reply code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeText {
    /// The code's short title.
    pub title: String,
    /// Where the code is defined.
    pub rfc: String,
    /// What to do about it, when the guide says.
    pub fix: Option<String>,
}

/// Looks a code up; `None` for codes no RFC defines.
pub fn code_text(code: u16, lang: Lang) -> Option<CodeText> {
    let _ = lang;
    catalogue::lookup(code).map(|info| CodeText {
        title: info.text.trim_end_matches('.').to_owned(),
        rfc: info.rfc.to_owned(),
        fix: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes() {
        let t = code_text(503, Lang::En).unwrap();
        assert!(t.title.contains("sequence"), "{t:?}");
        assert!(code_text(999, Lang::En).is_none());
    }
}
