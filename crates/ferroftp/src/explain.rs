//! `ferroftp explain`: what an FTP reply code means, when it appears and how to fix its cause.
//!
//! - `ferroftp explain 503` prints the code's page from [`ferroftp_guide::guide`].
//! - `ferroftp explain "530 Login incorrect."` accepts a whole reply line pasted from a log.
//! - `ferroftp explain 220 503` prints both pages, then the key differences and when to expect
//!   which. With more than two codes, every page is printed once, followed by a comparison of
//!   every pair, in the order the codes were given (220 503 530: 220/503, 220/530, 503/530).
//! - `ferroftp explain --list` prints every code on one line.
//! - `--lang vi` switches to Vietnamese, `--json` to machine-readable output: a page is an
//!   object with the fields of [`Entry`]; a comparison is `{"lang", "entries": [...],
//!   "comparisons": [{"a", "b", "differences", "when_which"}]}`; `--list` is an array of
//!   `{"code", "title", "class_text"}`.
//!
//! An argument that is not a known reply code is reported on stderr with the nearest known
//! codes, and the exit status is 2 (as for every other usage error).

use std::io::Write;

use clap::Args;
use ferroftp_guide::guide::{self, Entry};
use ferroftp_guide::i18n::Messages;
use ferroftp_guide::render::{Json, Renderer, Text};
use ferroftp_guide::resolve::resolve_all;
use ferroftp_guide::text::GuideText;
use ferroftp_guide::Lang;

/// Exit status for usage errors, unknown codes included.
const USAGE: i32 = 2;

/// `ferroftp explain` options.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Reply codes, or whole reply lines pasted from a log (quoted), e.g. 503 or
    /// "530 Login incorrect."; two or more codes are compared.
    #[arg(value_name = "CODE")]
    pub codes: Vec<String>,
    /// List every reply code with its name, one per line.
    #[arg(long)]
    pub list: bool,
    /// Language of the guide: en (English) or vi (tiếng Việt).
    #[arg(long, value_name = "LANG", default_value = "en")]
    pub lang: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ferroftp explain`: prints the result to stdout, or the errors to stderr. Returns the
/// exit status: 0, or 2 for a usage error or an unknown code.
pub fn run(args: &ExplainArgs) -> i32 {
    match render(args) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`ferroftp explain --list | head`) is not an error worth reporting.
            match stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => 0,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("ferroftp: cannot write to stdout: {e}");
                    1
                }
            }
        }
        Err(errors) => {
            for e in errors {
                eprintln!("ferroftp: {e}");
            }
            USAGE
        }
    }
}

/// What `ferroftp explain` prints on stdout, or the error lines for stderr (each without the
/// `ferroftp: ` prefix).
pub fn render(args: &ExplainArgs) -> Result<String, Vec<String>> {
    let lang: Lang = args.lang.parse().map_err(|e| vec![format!("{e}")])?;
    if args.list {
        if !args.codes.is_empty() {
            return Err(vec![GuideText::ListTakesNoCodes.text(lang)]);
        }
        return Ok(renderer(args).list(lang));
    }
    if args.codes.is_empty() {
        return Err(vec![GuideText::NoCodes.text(lang)]);
    }
    let codes = resolve_all(&args.codes, lang)?;
    let entries: Vec<Entry> = codes
        .iter()
        .filter_map(|&c| guide::entry(c, lang))
        .collect();
    Ok(renderer(args).entries(&entries, lang))
}

/// The output format asked for.
fn renderer(args: &ExplainArgs) -> &'static dyn Renderer {
    if args.json {
        &Json
    } else {
        &Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroftp_guide::render::WIDTH;
    use ferroftp_proto::catalogue;
    use serde_json::{json, Value};

    fn args(codes: &[&str]) -> ExplainArgs {
        ExplainArgs {
            codes: codes.iter().map(|s| s.to_string()).collect(),
            list: false,
            lang: "en".to_string(),
            json: false,
        }
    }

    fn vi(mut a: ExplainArgs) -> ExplainArgs {
        a.lang = "vi".to_string();
        a
    }

    fn json_of(mut a: ExplainArgs) -> Value {
        a.json = true;
        serde_json::from_str(&render(&a).unwrap()).unwrap()
    }

    #[test]
    fn one_code_prints_its_page() {
        let out = render(&args(&["503"])).unwrap();
        assert!(out.starts_with("503 Bad sequence of commands\n"), "{out}");
        for heading in [
            "\nDescription\n",
            "\nWhen you see it\n",
            "\nHow to fix it\n",
            "\nCommands\n",
            "\nDefined in\n",
        ] {
            assert!(out.contains(heading), "missing {heading:?} in {out}");
        }
        for word in ["USER", "PASS", "RNFR", "RNTO", "PBSZ", "5yz", "x0z"] {
            assert!(out.contains(word), "missing {word}");
        }
        assert!(out.contains("Standard text: \"503 Bad sequence of commands.\""));
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
    }

    #[test]
    fn any_command_is_spelled_out() {
        let out = render(&args(&["421"])).unwrap();
        assert!(out.contains("\nCommands\n  any command\n"), "{out}");
        let out = render(&vi(args(&["421"]))).unwrap();
        assert!(out.contains("mọi lệnh"), "{out}");
    }

    #[test]
    fn vietnamese_page() {
        let out = render(&vi(args(&["550"]))).unwrap();
        for heading in ["Mô tả", "Khi bạn thấy mã này", "Cách khắc phục"] {
            assert!(out.contains(heading), "missing {heading} in {out}");
        }
        assert!(out.contains("5yz Phủ định vĩnh viễn"));
    }

    #[test]
    fn a_pasted_reply_line_is_accepted() {
        let pasted = render(&args(&["503 Bad sequence of commands"])).unwrap();
        assert_eq!(pasted, render(&args(&["503"])).unwrap());
        let out = render(&args(&["< 530 Login incorrect."])).unwrap();
        assert!(out.starts_with("530 Not logged in\n"));
        assert!(render(&args(&["211-Features:"])).is_ok());
    }

    #[test]
    fn two_codes_are_compared() {
        let out = render(&args(&["220", "503"])).unwrap();
        assert!(out.starts_with("220 vs 503\n==========\n"), "{out}");
        let p220 = out.find("220 Service ready for new user").unwrap();
        let p503 = out.find("503 Bad sequence of commands").unwrap();
        let kd = out.find("\nKey differences\n").unwrap();
        let ww = out.find("\nWhen to expect which\n").unwrap();
        assert!(p220 < p503 && p503 < kd && kd < ww, "{out}");
        assert_eq!(out.matches("How to fix it").count(), 2);
    }

    #[test]
    fn vietnamese_comparison() {
        let out = render(&vi(args(&["425", "426"]))).unwrap();
        assert!(out.contains("Sự khác biệt chính"), "{out}");
        assert!(out.contains("Khi nào dùng cái nào"), "{out}");
    }

    #[test]
    fn three_codes_compare_every_pair() {
        let out = render(&args(&["220", "503", "530"])).unwrap();
        assert!(out.starts_with("220 vs 503 vs 530\n"));
        for pair in ["220 vs 503", "220 vs 530", "503 vs 530"] {
            assert!(
                out.contains(&format!("Key differences: {pair}\n")),
                "{pair}"
            );
        }
        let v = json_of(args(&["220", "503", "530"]));
        assert_eq!(v["entries"].as_array().unwrap().len(), 3);
        assert_eq!(v["comparisons"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn repeated_codes_count_once() {
        assert_eq!(
            render(&args(&["503", "503 Bad sequence"])).unwrap(),
            render(&args(&["503"])).unwrap()
        );
    }

    #[test]
    fn list_has_every_code() {
        let mut a = args(&[]);
        a.list = true;
        let out = render(&a).unwrap();
        assert_eq!(out.lines().count(), catalogue::CODES.len());
        assert!(out.contains("\n503  Bad sequence of commands\n"), "{out}");
        let v = json_of(a);
        let arr = v.as_array().unwrap();
        assert_eq!(arr.len(), catalogue::CODES.len());
        assert_eq!(arr[0]["code"], 110);
        let mut with_code = args(&["503"]);
        with_code.list = true;
        assert!(render(&with_code).is_err());
    }

    #[test]
    fn json_page_and_comparison() {
        let v = json_of(args(&["503"]));
        assert_eq!(v["code"], 503);
        assert_eq!(v["class"], 5);
        assert_eq!(v["lang"], "en");
        assert_eq!(v["standard_text"], "Bad sequence of commands.");
        assert!(v["commands"].as_array().unwrap().contains(&json!("RNTO")));
        for field in [
            "title",
            "class_text",
            "second_digit",
            "description",
            "when",
            "fix",
            "rfc",
        ] {
            assert!(!v[field].as_str().unwrap().is_empty(), "{field}");
        }
        let v = json_of(vi(args(&["220", "503"])));
        assert_eq!(v["lang"], "vi");
        assert_eq!(v["entries"][1]["code"], 503);
        let c = &v["comparisons"][0];
        assert_eq!((c["a"].as_u64(), c["b"].as_u64()), (Some(220), Some(503)));
        assert!(!c["differences"].as_array().unwrap().is_empty());
        assert!(c["when_which"].as_str().unwrap().contains("503"));
    }

    #[test]
    fn unknown_codes_name_the_nearest() {
        let err = render(&args(&["599"])).unwrap_err();
        assert_eq!(
            err,
            vec!["599 is not an FTP reply code; nearest known codes: 555, 554, 553"]
        );
        let err = render(&args(&["999 Strange reply"])).unwrap_err();
        assert!(
            err[0].starts_with("999 is not an FTP reply code; nearest"),
            "{err:?}"
        );
        let err = render(&args(&["12345678901234567890"])).unwrap_err();
        assert!(err[0].contains("633"), "{err:?}");
        let err = render(&vi(args(&["0"]))).unwrap_err();
        assert!(err[0].contains("không phải là mã phản hồi FTP"), "{err:?}");
        // Every bad argument is reported, not just the first.
        assert_eq!(
            render(&args(&["599", "503", "hello"])).unwrap_err().len(),
            2
        );
    }

    #[test]
    fn words_are_not_codes() {
        let err = render(&args(&["hello"])).unwrap_err();
        assert!(
            err[0].starts_with("\"hello\" is not an FTP reply code"),
            "{err:?}"
        );
        assert!(err[0].contains("220"), "{err:?}");
        let err = render(&args(&["passive"])).unwrap_err();
        assert!(
            err[0].contains("codes about \"passive\": 227, 228, 229"),
            "{err:?}"
        );
        assert!(render(&args(&[""])).is_err());
    }

    #[test]
    fn usage_errors() {
        assert!(render(&args(&[])).is_err());
        let mut a = args(&["503"]);
        a.lang = "fr".to_string();
        let err = render(&a).unwrap_err();
        assert!(err[0].contains("en or vi"), "{err:?}");
        a.lang = "EN".to_string();
        assert!(render(&a).is_ok());
    }
}
