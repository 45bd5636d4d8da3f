//! From what a person typed to reply codes: a number, or a reply line pasted from a log; for
//! anything else, an error that points at the nearest or related known codes.

use ferroftp_proto::catalogue;

use crate::guide;
use crate::i18n::Messages;
use crate::text::GuideText;
use crate::Lang;

/// The known codes named by `args`, in order and without repeats; or one error per argument
/// that names no known code.
pub fn resolve_all(args: &[String], lang: Lang) -> Result<Vec<u16>, Vec<String>> {
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        match resolve(arg, lang) {
            Ok(code) if !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(errors)
    }
}

/// The known code an argument names: a number, or a reply line. The error names the nearest
/// known codes, or the codes whose title mentions the word.
pub fn resolve(arg: &str, lang: Lang) -> Result<u16, String> {
    let t = arg.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        // Numbers too large for a u16 are simply far from every code.
        let n = t.parse::<u16>().unwrap_or(u16::MAX);
        return known(n).ok_or_else(|| unknown_number(t, n, lang));
    }
    if let Some(n) = guide::parse_reply_line(t) {
        return known(n).ok_or_else(|| unknown_number(&n.to_string(), n, lang));
    }
    Err(not_a_code(t, lang))
}

fn known(code: u16) -> Option<u16> {
    catalogue::lookup(code).map(|c| c.code)
}

fn join_codes(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_number(shown: &str, n: u16, lang: Lang) -> String {
    let near = join_codes(&guide::nearest(n));
    GuideText::UnknownNumber.fill(lang, &[("shown", &shown), ("near", &near)])
}

/// The error for a word that is not a code: the codes whose title mentions it, if any, or a
/// few common codes.
fn not_a_code(word: &str, lang: Lang) -> String {
    let related = codes_about(word, lang);
    let quoted = format!("{word:?}");
    if related.is_empty() {
        GuideText::NotACode.fill(lang, &[("word", &quoted)])
    } else {
        let codes = join_codes(&related);
        GuideText::NotACodeRelated.fill(lang, &[("word", &quoted), ("codes", &codes)])
    }
}

/// Up to three codes whose title (in `lang` or in English) contains `word`.
fn codes_about(word: &str, lang: Lang) -> Vec<u16> {
    let w = word.trim().to_lowercase();
    if w.chars().count() < 3 {
        return Vec::new();
    }
    guide::all(lang)
        .filter(|e| {
            let en = guide::entry(e.code, Lang::En).map_or("", |x| x.title);
            e.title.to_lowercase().contains(&w) || en.to_lowercase().contains(&w)
        })
        .map(|e| e.code)
        .take(3)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_words() {
        assert_eq!(resolve(" 503 ", Lang::En), Ok(503));
        assert_eq!(resolve("< 530 Login incorrect.", Lang::En), Ok(530));
        assert_eq!(
            resolve("599", Lang::En),
            Err("599 is not an FTP reply code; nearest known codes: 555, 554, 553".into())
        );
        let vi = resolve("passive", Lang::Vi).unwrap_err();
        assert!(vi.contains("\"passive\""), "{vi}");
        assert_eq!(
            resolve_all(&["503".into(), "503 Bad".into(), "220".into()], Lang::En),
            Ok(vec![503, 220])
        );
        assert_eq!(
            resolve_all(&["x".into(), "0".into(), "220".into()], Lang::En)
                .unwrap_err()
                .len(),
            2
        );
    }
}
