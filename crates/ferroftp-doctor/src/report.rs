//! Findings and how they are shown: a text report for people, JSON for scripts.

use std::fmt::Write as _;

use serde::Serialize;

use super::client::ReplyExt;
use super::explain;
use super::text::{Messages, ReportText};
use super::Lang;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The server did what the RFCs say.
    Ok,
    /// Worth knowing; nothing to fix (an optional feature missing, a check skipped).
    Info,
    /// Legal, or not the server's fault for sure, but likely to trouble some clients.
    Warning,
    /// A broken MUST of the RFCs, or something that keeps clients from working.
    Error,
}

/// The part of the report a finding belongs to; the report is ordered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// TCP connect and greeting.
    Connection,
    /// Commands sent out of order.
    Sequencing,
    /// USER/PASS, FEAT, OPTS UTF8, PWD.
    Login,
    /// PASV, EPSV, PORT, EPRT and listings over them.
    Data,
    /// MLSD, SIZE, MDTM.
    Facts,
    /// The upload/download round trip (`--write`).
    Write,
    /// AUTH TLS and implicit TLS.
    Tls,
}

impl Group {
    fn title(self, lang: Lang) -> &'static str {
        let key = match self {
            Group::Connection => ReportText::GroupConnection,
            Group::Sequencing => ReportText::GroupSequencing,
            Group::Login => ReportText::GroupLogin,
            Group::Data => ReportText::GroupData,
            Group::Facts => ReportText::GroupFacts,
            Group::Write => ReportText::GroupWrite,
            Group::Tls => ReportText::GroupTls,
        };
        key.template(lang)
    }
}

/// One result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check's name, e.g. `sequence.pass_before_user`.
    pub check: String,
    /// How bad it is.
    pub severity: Severity,
    /// The commands sent (passwords masked).
    pub sent: Vec<String>,
    /// The code the server answered with, if it answered.
    pub got: Option<u16>,
    /// The codes the RFCs expect.
    pub expected: Vec<u16>,
    /// The meaning of the code received (and, when it is wrong, of the one expected).
    pub explanation: Option<String>,
    /// What happened, in one line.
    pub detail: String,
    /// The server's reply, as received (first line, plus a count of further lines).
    pub reply: Option<String>,
    /// How to fix it (findings other than ok).
    pub fix: Option<String>,
    /// The section of the report.
    #[serde(skip)]
    pub group: Group,
}

impl Finding {
    /// A finding with nothing sent or received yet.
    pub fn new(group: Group, check: &str, severity: Severity, detail: impl Into<String>) -> Self {
        Finding {
            check: check.to_owned(),
            severity,
            sent: Vec::new(),
            got: None,
            expected: Vec::new(),
            explanation: None,
            detail: detail.into(),
            reply: None,
            fix: None,
            group,
        }
    }

    /// Sets the commands sent.
    pub fn sent<S: AsRef<str>>(mut self, sent: &[S]) -> Self {
        self.sent = sent.iter().map(|s| mask(s.as_ref())).collect();
        self
    }

    /// Sets the reply received.
    pub fn got(mut self, reply: Option<&super::client::Reply>) -> Self {
        if let Some(r) = reply {
            self.got = Some(r.code);
            self.reply = Some(r.summary());
        }
        self
    }

    /// Sets the codes expected.
    pub fn expected(mut self, codes: &[u16]) -> Self {
        self.expected = codes.to_vec();
        self
    }

    /// Sets how to fix it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Fills in the explanation from the reply-code guide, and a fix from the guide when
    /// the check gave none.
    pub fn explain(mut self, lang: Lang) -> Self {
        let got = self.got.and_then(|c| explain::code_text(c, lang));
        let wrong = self.severity >= Severity::Warning
            && !self.expected.is_empty()
            && self.got.is_some_and(|c| !self.expected.contains(&c));
        let mut text = String::new();
        if let (Some(code), Some(g)) = (self.got, &got) {
            // The RFCs of a wrong code say little; the fix names the rule broken.
            if wrong {
                let _ = write!(text, "{code} {}", g.title);
            } else {
                let _ = write!(text, "{code} {} ({})", g.title, g.rfc);
            }
        }
        if wrong {
            let names: Vec<String> = self
                .expected
                .iter()
                .map(|&c| match explain::code_text(c, lang) {
                    Some(e) => format!("{c} {}", e.title),
                    None => c.to_string(),
                })
                .collect();
            let _ = write!(
                text,
                "{}{}",
                ReportText::RfcsExpect.template(lang),
                names.join(ReportText::Or.template(lang))
            );
        }
        if !text.is_empty() {
            self.explanation = Some(text);
        }
        if self.fix.is_none() && self.severity >= Severity::Warning {
            self.fix = got.and_then(|g| g.fix);
        }
        self
    }
}

/// Masks the argument of PASS.
fn mask(cmd: &str) -> String {
    if cmd.len() >= 4 && cmd[..4].eq_ignore_ascii_case("PASS") {
        "PASS ****".to_owned()
    } else {
        cmd.to_owned()
    }
}

/// The counts per severity.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Summary {
    /// Findings that are ok.
    pub ok: usize,
    /// Informational findings.
    pub info: usize,
    /// Warnings.
    pub warning: usize,
    /// Errors.
    pub error: usize,
}

impl Summary {
    /// Counts the findings.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.severity {
                Severity::Ok => s.ok += 1,
                Severity::Info => s.info += 1,
                Severity::Warning => s.warning += 1,
                Severity::Error => s.error += 1,
            }
        }
        s
    }
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The URL checked, password masked.
    pub target: String,
    /// Every finding, in report order.
    pub findings: Vec<Finding>,
    /// Counts and the verdict.
    pub summary: JsonSummary,
}

/// The summary as JSON shows it.
#[derive(Debug, Serialize)]
pub struct JsonSummary {
    /// Counts per severity.
    #[serde(flatten)]
    pub counts: Summary,
    /// `pass`, `fail` or `unreachable`.
    pub verdict: &'static str,
    /// The exit status of the command.
    pub exit_code: u8,
}

impl Report {
    /// Orders the findings by report section (stable within a section) and sums them up.
    pub fn new(target: String, mut findings: Vec<Finding>, unreachable: bool) -> Report {
        findings.sort_by_key(|f| f.group);
        let counts = Summary::of(&findings);
        let (verdict, exit_code) = if unreachable {
            ("unreachable", 2)
        } else if counts.error > 0 {
            ("fail", 1)
        } else {
            ("pass", 0)
        };
        Report {
            target,
            findings,
            summary: JsonSummary {
                counts,
                verdict,
                exit_code,
            },
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as text for a terminal.
    pub fn to_text(&self, lang: Lang) -> String {
        let l = Labels::of(lang);
        let mut out = String::new();
        let _ = writeln!(out, "ferroftp doctor: {}", self.target);
        let mut group = None;
        for f in &self.findings {
            if group != Some(f.group) {
                group = Some(f.group);
                let _ = writeln!(out, "\n{}", f.group.title(lang));
            }
            let mark = match f.severity {
                Severity::Ok => "✓ OK  ",
                Severity::Info => "i INFO",
                Severity::Warning => "! WARN",
                Severity::Error => "✗ FAIL",
            };
            let _ = writeln!(out, "  {mark}  {}: {}", f.check, f.detail);
            let mut exchange = Vec::new();
            if !f.sent.is_empty() {
                exchange.push(format!("{} {}", l.sent, f.sent.join(", ")));
            }
            if let Some(reply) = &f.reply {
                exchange.push(format!("{} {reply}", l.got));
            }
            if !f.expected.is_empty() && f.severity >= Severity::Warning {
                let codes: Vec<String> = f.expected.iter().map(u16::to_string).collect();
                exchange.push(format!("{} {}", l.expected, codes.join("/")));
            }
            if !exchange.is_empty() && f.severity != Severity::Ok {
                let _ = writeln!(out, "          {}", exchange.join(" | "));
            }
            if f.severity != Severity::Ok {
                if let Some(e) = &f.explanation {
                    let _ = writeln!(out, "          {e}");
                }
                if let Some(fix) = &f.fix {
                    let label = if f.severity == Severity::Info {
                        l.note
                    } else {
                        l.fix
                    };
                    let _ = writeln!(out, "          {label} {fix}");
                }
            }
        }
        let c = &self.summary.counts;
        let verdict = match self.summary.verdict {
            "pass" => l.pass,
            "fail" => l.fail,
            _ => l.unreachable,
        };
        let _ = writeln!(
            out,
            "\n{}: {} ok, {} info, {} {}, {} {} → {verdict}",
            l.summary, c.ok, c.info, c.warning, l.warnings, c.error, l.errors
        );
        out
    }
}

/// Fixed words of the text report.
struct Labels {
    sent: &'static str,
    got: &'static str,
    expected: &'static str,
    fix: &'static str,
    note: &'static str,
    summary: &'static str,
    warnings: &'static str,
    errors: &'static str,
    pass: &'static str,
    fail: &'static str,
    unreachable: &'static str,
}

impl Labels {
    fn of(lang: Lang) -> Labels {
        let t = |key: ReportText| key.template(lang);
        Labels {
            sent: t(ReportText::Sent),
            got: t(ReportText::Got),
            expected: t(ReportText::Expected),
            fix: t(ReportText::Fix),
            note: t(ReportText::Note),
            summary: t(ReportText::Summary),
            warnings: t(ReportText::Warnings),
            errors: t(ReportText::Errors),
            pass: t(ReportText::Pass),
            fail: t(ReportText::Fail),
            unreachable: t(ReportText::Unreachable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Reply;

    #[test]
    fn passwords_are_masked() {
        let f =
            Finding::new(Group::Login, "login", Severity::Ok, "x").sent(&["USER a", "PASS secret"]);
        assert_eq!(f.sent, vec!["USER a", "PASS ****"]);
    }

    #[test]
    fn wrong_codes_are_explained_with_the_expected_ones() {
        let reply = Reply {
            code: 230,
            lines: vec!["Logged in.".into()],
        };
        let f = Finding::new(Group::Sequencing, "s", Severity::Error, "x")
            .got(Some(&reply))
            .expected(&[503])
            .explain(Lang::En);
        let e = f.explanation.unwrap();
        assert!(e.starts_with("230 "), "{e}");
        assert!(e.contains("503 "), "{e}");
    }

    #[test]
    fn exit_codes() {
        let ok = Finding::new(Group::Login, "a", Severity::Warning, "x");
        let bad = Finding::new(Group::Login, "b", Severity::Error, "x");
        assert_eq!(
            Report::new("t".into(), vec![ok.clone()], false)
                .summary
                .exit_code,
            0
        );
        assert_eq!(
            Report::new("t".into(), vec![ok, bad], false)
                .summary
                .exit_code,
            1
        );
        assert_eq!(Report::new("t".into(), vec![], true).summary.exit_code, 2);
    }
}
