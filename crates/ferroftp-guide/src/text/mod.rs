//! The guide's own sentences (errors of `ferroftp explain`), as message tables
//! ([`crate::i18n`]).

mod en;
mod vi;

crate::messages! {
    /// What `ferroftp explain` says when it cannot show a page.
    pub enum GuideText in (en::text, vi::text) {
        /// A number that is not a known code, with the nearest known ones.
        UnknownNumber,
        /// A word that is not a code, and no code's title mentions it.
        NotACode,
        /// A word that is not a code, with the codes whose title mentions it.
        NotACodeRelated,
        /// `--list` given with codes.
        ListTakesNoCodes,
        /// Neither codes nor `--list`.
        NoCodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_placeholders() {
        crate::i18n::check::<GuideText>().unwrap();
    }
}
