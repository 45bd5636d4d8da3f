//! The guide's sentences in English.

use super::GuideText;

pub(super) fn text(k: GuideText) -> &'static str {
    match k {
        GuideText::UnknownNumber => "{shown} is not an FTP reply code; nearest known codes: {near}",
        GuideText::NotACode => {
            "{word} is not an FTP reply code; reply codes have three digits, such as 220, \
             331 or 530 (ferroftp explain --list shows them all)"
        }
        GuideText::NotACodeRelated => {
            "{word} is not an FTP reply code; codes about {word}: {codes}"
        }
        GuideText::ListTakesNoCodes => "--list takes no codes",
        GuideText::NoCodes => "give one or more reply codes (ferroftp explain 503), or --list",
    }
}
