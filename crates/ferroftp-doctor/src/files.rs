//! Listings and file facts (MLSD, SIZE, MDTM; RFC 3659) and the upload/download round trip
//! of `--write`, with its cleanup.

use super::checks::{Doctor, Probe, Stop};
use super::client::{Control, Reply, ReplyExt};
use super::report::{Finding, Group, Severity};
use super::text::{FileText, Messages};

/// A file seen in the MLSD listing.
#[derive(Debug, Clone)]
pub(super) struct Sample {
    /// Its name.
    pub name: String,
    /// The `size` fact.
    pub size: Option<u64>,
    /// The `modify` fact (`YYYYMMDDHHMMSS`, fraction cut).
    pub modify: Option<String>,
}

/// The scratch directory of the round trip, still to be removed.
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// The directory.
    pub dir: String,
    /// The file in it, when an upload was attempted.
    pub file: Option<String>,
}

/// One MLSD entry: facts and a name (RFC 3659 section 7.2).
#[derive(Debug, PartialEq, Eq)]
struct MlsdEntry {
    name: String,
    facts: Vec<(String, String)>,
}

impl MlsdEntry {
    fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `fact=value;fact=value; name`. Facts end with `;`; one space separates them from
/// the name (a line with no facts starts with that space).
fn parse_mlsd_line(line: &str) -> Option<MlsdEntry> {
    let (facts, name) = line.split_once(' ')?;
    if name.is_empty() {
        return None;
    }
    let mut parsed = Vec::new();
    if !facts.is_empty() {
        let body = facts.strip_suffix(';')?;
        for fact in body.split(';') {
            let (k, v) = fact.split_once('=')?;
            if k.is_empty() || k.contains(' ') {
                return None;
            }
            parsed.push((k.to_owned(), v.to_owned()));
        }
    }
    Some(MlsdEntry {
        name: name.to_owned(),
        facts: parsed,
    })
}

/// The `YYYYMMDDHHMMSS` of an MDTM reply or `modify` fact (an optional `.fff` fraction is
/// allowed and dropped), when it is a valid time.
fn parse_time_val(text: &str) -> Option<String> {
    let word = text.split_whitespace().next()?;
    let (main, fraction) = match word.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (word, None),
    };
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n = |a: usize, b: usize| main[a..b].parse::<u32>().unwrap_or(99);
    let ok = (1..=12).contains(&n(4, 6))
        && (1..=31).contains(&n(6, 8))
        && n(8, 10) < 24
        && n(10, 12) < 60
        && n(12, 14) <= 60;
    ok.then(|| main.to_owned())
}

/// Seconds since the Unix epoch of a `YYYYMMDDHHMMSS` time in UTC.
fn unix_time(t: &str) -> Option<i64> {
    let n = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (hh, mm, ss) = (n(8, 10)?, n(10, 12)?, n(12, 14)?);
    // Days from 1970-01-01 of a proleptic Gregorian date, counting years from March so
    // that the leap day comes last.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The bytes uploaded and downloaded: line ends of every kind and bytes above 127, which
/// an ASCII-mode conversion would change, then a pseudo-random tail.
fn payload() -> Vec<u8> {
    let mut p =
        b"ferroftp doctor round trip\r\nbare LF\nbare CR\r binary: \x00\x01\x7f\x80\xfe\xff\r\n"
            .to_vec();
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..8192 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p.push(x.to_le_bytes()[0]);
    }
    p
}

impl Doctor<'_> {
    /// MLSD on the current directory, then SIZE and MDTM on a file from it.
    pub(super) async fn facts(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let feat = self.feat.clone().unwrap_or_default();
        let listed: Vec<&str> = ["MLST", "SIZE", "MDTM", "REST", "UTF8", "EPSV"]
            .into_iter()
            .filter(|f| feat.has(f))
            .collect();
        let missing: Vec<&str> = ["MLST", "SIZE", "MDTM", "REST"]
            .into_iter()
            .filter(|f| !feat.has(f))
            .collect();
        let detail = FileText::FEATListsMissing.fill(
            l,
            &[("listed", &show(&listed)), ("missing", &show(&missing))],
        );
        self.push(Finding::new(
            Group::Facts,
            "facts.features",
            Severity::Info,
            detail,
        ));
        self.mlsd(ctl, feat.has("MLST")).await?;
        if self.sample.is_none() {
            self.sample_from_nlst(ctl).await?;
        }
        self.size(ctl, feat.has("SIZE")).await?;
        self.mdtm(ctl, feat.has("MDTM")).await
    }

    async fn mlsd(&mut self, ctl: &mut Control, advertised: bool) -> Result<(), Stop> {
        let l = self.lang;
        let check = "facts.mlsd";
        let Some(mode) = self.data_mode else {
            let f = Finding::new(
                Group::Facts,
                check,
                Severity::Info,
                FileText::SkippedNoWorkingData.text(l),
            );
            self.push(f);
            return Ok(());
        };
        let x = self
            .transfer(ctl, Group::Facts, check, mode, "MLSD", None)
            .await?;
        if let Some(start) = x.start.as_ref().filter(|r| !r.is_preliminary()) {
            let (severity, fix) = match (start.code, advertised) {
                (500 | 502, false) => (Severity::Info, None),
                (500 | 502, true) => (Severity::Error, Some(FileText::FEATListsMLSTSo.text(l))),
                _ => (Severity::Error, None),
            };
            let mut f = Finding::new(
                Group::Facts,
                check,
                severity,
                format!("MLSD: {}", start.summary()),
            )
            .sent(&x.sent)
            .got(Some(start))
            .expected(&[150, 125]);
            if let Some(fix) = fix {
                f = f.fix(fix);
            }
            self.push(f);
            return Ok(());
        }
        if !x.completed() {
            self.report_transfer(Group::Facts, check, "MLSD", &x);
            return Ok(());
        }
        let text = String::from_utf8_lossy(x.data.as_deref().unwrap_or_default()).into_owned();
        let lines: Vec<&str> = text
            .split('\n')
            .map(|s| s.strip_suffix('\r').unwrap_or(s))
            .filter(|s| !s.is_empty())
            .collect();
        let mut entries = Vec::new();
        let mut bad = Vec::new();
        for line in &lines {
            match parse_mlsd_line(line) {
                Some(e) => entries.push(e),
                None => bad.push(*line),
            }
        }
        if let Some(first) = bad.first() {
            let f = Finding::new(
                Group::Facts,
                check,
                Severity::Error,
                FileText::MLSDLinesMalformed.fill(
                    l,
                    &[
                        ("bad", &bad.len()),
                        ("total", &lines.len()),
                        ("first", &format!("{first:?}")),
                    ],
                ),
            )
            .sent(&x.sent)
            .got(x.end.as_ref())
            .fix(FileText::EachMLSDLineFact.text(l));
            self.push(f);
        } else {
            let count = |t: &str| {
                entries
                    .iter()
                    .filter(|e| e.fact("type").is_some_and(|v| v.eq_ignore_ascii_case(t)))
                    .count()
            };
            let f = Finding::new(
                Group::Facts,
                check,
                Severity::Ok,
                FileText::EntriesParsedFilesDirectories.fill(
                    l,
                    &[
                        ("entries", &entries.len()),
                        ("files", &count("file")),
                        ("dirs", &count("dir")),
                    ],
                ),
            )
            .sent(&x.sent)
            .got(x.end.as_ref());
            self.push(f);
        }
        self.sample = entries
            .iter()
            .find(|e| {
                e.fact("type")
                    .is_some_and(|v| v.eq_ignore_ascii_case("file"))
            })
            .map(|e| Sample {
                name: e.name.clone(),
                size: e.fact("size").and_then(|s| s.parse().ok()),
                modify: e.fact("modify").and_then(parse_time_val),
            });
        Ok(())
    }

    /// Without MLSD: finds a file among the first names of NLST, by asking SIZE (or MDTM)
    /// about each until one answers 213. Nothing is reported; the SIZE and MDTM checks
    /// that follow use the file found.
    async fn sample_from_nlst(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let Some(mode) = self.data_mode else {
            return Ok(());
        };
        let x = self
            .transfer(ctl, Group::Facts, "facts.nlst", mode, "NLST", None)
            .await?;
        if !x.completed() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(x.data.as_deref().unwrap_or_default()).into_owned();
        let names: Vec<String> = text
            .lines()
            .map(|n| n.trim_end_matches('\r'))
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .map(|n| n.rsplit('/').next().unwrap_or(n).to_owned())
            .take(5)
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        self.simple(ctl, Group::Facts, "facts.type_i", "TYPE I")
            .await?;
        for name in names {
            let size = self
                .simple(ctl, Group::Facts, "facts.size", &format!("SIZE {name}"))
                .await?;
            if size.code == 213 {
                self.sample = Some(Sample {
                    name,
                    size: size.text().trim().parse().ok(),
                    modify: None,
                });
                return Ok(());
            }
            let mdtm = self
                .simple(ctl, Group::Facts, "facts.mdtm", &format!("MDTM {name}"))
                .await?;
            if mdtm.code == 213 {
                self.sample = Some(Sample {
                    name,
                    size: None,
                    modify: None,
                });
                return Ok(());
            }
        }
        Ok(())
    }

    /// TYPE I, then SIZE on the sample file.
    async fn size(&mut self, ctl: &mut Control, advertised: bool) -> Result<(), Stop> {
        let l = self.lang;
        let Some(sample) = self.sample.clone() else {
            let f = Finding::new(
                Group::Facts,
                "facts.size",
                Severity::Info,
                FileText::SkippedNoFileForSize.text(l),
            );
            self.push(f);
            return Ok(());
        };
        let p = Probe::new(
            Group::Facts,
            "facts.type_i",
            "TYPE I".to_owned(),
            "TYPE I",
            &[200],
        )
        .fix(FileText::TYPEIMustAccepted.text(l));
        self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        let cmd = format!("SIZE {}", sample.name);
        let r = self.simple(ctl, Group::Facts, "facts.size", &cmd).await?;
        let f = self.judge_size(&r, "facts.size", advertised, sample.size, &cmd);
        self.push(f);
        Ok(())
    }

    /// Judges a SIZE reply against the size expected, if known.
    fn judge_size(
        &self,
        r: &Reply,
        check: &str,
        advertised: bool,
        want: Option<u64>,
        cmd: &str,
    ) -> Finding {
        let l = self.lang;
        let base = |severity, detail: String| {
            Finding::new(Group::Facts, check, severity, detail)
                .sent(&[cmd])
                .got(Some(r))
                .expected(&[213])
        };
        let group_fix = |f: Finding, fix: FileText| f.fix(fix.text(l));
        match r.code {
            213 => match r.text().trim().parse::<u64>() {
                Ok(n) if want.is_none_or(|w| w == n) => base(Severity::Ok, format!("SIZE: {n}")),
                Ok(n) => group_fix(
                    base(
                        Severity::Warning,
                        FileText::SIZESaysBytesListing
                            .fill(l, &[("n", &n), ("listed", &want.unwrap_or_default())]),
                    ),
                    FileText::SizeIsExactBytes,
                ),
                Err(_) => group_fix(
                    base(Severity::Error, format!("SIZE: {}", r.summary())),
                    FileText::SizeIsDecimal,
                ),
            },
            500 | 502 if advertised => group_fix(
                base(Severity::Error, format!("SIZE: {}", r.summary())),
                FileText::FeatListsSizeButNotImplemented,
            ),
            500 | 502 => base(Severity::Info, format!("SIZE: {}", r.summary())),
            _ => group_fix(
                base(Severity::Warning, format!("SIZE: {}", r.summary())),
                FileText::SizeOfExistingFile,
            ),
        }
    }

    /// MDTM on the sample file: `213 YYYYMMDDHHMMSS`, in UTC, matching the listing.
    async fn mdtm(&mut self, ctl: &mut Control, advertised: bool) -> Result<(), Stop> {
        let l = self.lang;
        let check = "facts.mdtm";
        let Some(sample) = self.sample.clone() else {
            let f = Finding::new(
                Group::Facts,
                check,
                Severity::Info,
                FileText::SkippedNoFileForMdtm.text(l),
            );
            self.push(f);
            return Ok(());
        };
        let cmd = format!("MDTM {}", sample.name);
        let r = self.simple(ctl, Group::Facts, check, &cmd).await?;
        let base = |severity, detail: String| {
            Finding::new(Group::Facts, check, severity, detail)
                .sent(&[&cmd])
                .got(Some(&r))
                .expected(&[213])
        };
        let f = match r.code {
            213 => match (parse_time_val(r.text()), &sample.modify) {
                (Some(t), Some(m)) if &t != m => base(
                    Severity::Warning,
                    FileText::MDTMSaysMLSDModify.fill(l, &[("t", &t), ("m", &m)]),
                )
                .fix(FileText::BothAreUTCRFC.text(l)),
                (Some(t), _) => base(Severity::Ok, format!("MDTM: {t}")),
                (None, _) => base(Severity::Error, format!("MDTM: {}", r.summary()))
                    .fix(FileText::Code213ReplyMDTMYYYYMMDDHHMMSS.text(l)),
            },
            500 | 502 if advertised => base(Severity::Error, format!("MDTM: {}", r.summary()))
                .fix(FileText::FEATListsMDTMBut.text(l)),
            500 | 502 => base(Severity::Info, format!("MDTM: {}", r.summary())),
            _ => base(Severity::Warning, format!("MDTM: {}", r.summary())),
        };
        self.push(f);
        Ok(())
    }

    /// Sends one command on the main connection; a failed exchange stops the run.
    async fn simple(
        &mut self,
        ctl: &mut Control,
        group: Group,
        check: &str,
        cmd: &str,
    ) -> Result<Reply, Stop> {
        match ctl.cmd(cmd).await {
            Ok(r) => Ok(r),
            Err(e) => {
                self.net_failure(group, check, &[cmd.to_owned()], &e);
                Err(Stop)
            }
        }
    }

    /// `--write`: MKD, STOR, SIZE, RETR (compared), DELE, RMD in a scratch directory.
    pub(super) async fn round_trip(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let Some(mode) = self.data_mode else {
            let f = Finding::new(
                Group::Write,
                "write",
                Severity::Error,
                FileText::NotRunNoWorking.text(l),
            );
            self.push(f);
            return Ok(());
        };
        let dir = format!("ferroftp-doctor-{:08x}", rand::random::<u32>());
        let file = format!("{dir}/doctor-check.bin");
        let mkd = Probe::new(
            Group::Write,
            "write.mkd",
            "MKD".to_owned(),
            format!("MKD {dir}"),
            &[257],
        )
        .warn(&[250])
        .fix(FileText::UserCannotCreateDirectories.text(l));
        let r = self.probe_on(ctl, mkd).await.map_err(|_| Stop)?;
        if !(200..300).contains(&r.code) {
            return Ok(());
        }
        self.scratch = Some(Scratch {
            dir: dir.clone(),
            file: None,
        });
        let type_i = Probe::new(
            Group::Write,
            "write.type_i",
            "TYPE I".to_owned(),
            "TYPE I",
            &[200],
        );
        self.probe_on(ctl, type_i).await.map_err(|_| Stop)?;
        let data = payload();
        if let Some(s) = self.scratch.as_mut() {
            s.file = Some(file.clone());
        }
        let stor = format!("STOR {file}");
        let x = self
            .transfer(ctl, Group::Write, "write.stor", mode, &stor, Some(&data))
            .await?;
        let stored = self.report_transfer(Group::Write, "write.stor", "STOR", &x);
        if !stored && x.start.as_ref().is_none_or(|r| !r.is_preliminary()) {
            // Nothing was written.
            if let Some(s) = self.scratch.as_mut() {
                s.file = None;
            }
        }
        if stored {
            let cmd = format!("SIZE {file}");
            let r = self.simple(ctl, Group::Write, "write.size", &cmd).await?;
            let advertised = self.feat.as_ref().is_some_and(|f| f.has("SIZE"));
            let mut f =
                self.judge_size(&r, "write.size", advertised, Some(data.len() as u64), &cmd);
            f.group = Group::Write;
            if f.severity == Severity::Warning && r.code == 213 {
                f.severity = Severity::Error;
            }
            self.push(f);
            self.mdtm_of_upload(ctl, &file).await?;
            let retr = format!("RETR {file}");
            let y = self
                .transfer(ctl, Group::Write, "write.retr", mode, &retr, None)
                .await?;
            if y.completed() {
                let got = y.data.clone().unwrap_or_default();
                let f = if got == data {
                    Finding::new(
                        Group::Write,
                        "write.retr",
                        Severity::Ok,
                        FileText::DownloadedBytesUploadedUnchanged
                            .fill(l, &[("uploaded", &data.len())]),
                    )
                } else {
                    Finding::new(
                        Group::Write,
                        "write.retr",
                        Severity::Error,
                        FileText::DownloadedBytesDifferFrom
                            .fill(l, &[("got", &got.len()), ("uploaded", &data.len())]),
                    )
                    .fix(FileText::TYPEIFilesMust.text(l))
                };
                self.push(f.sent(&y.sent).got(y.end.as_ref()).expected(&[226, 250]));
            } else {
                self.report_transfer(Group::Write, "write.retr", "RETR", &y);
            }
        }
        self.remove_scratch(ctl, true).await
    }

    /// MDTM of the file just uploaded: a valid time, in UTC, close to now. A difference of
    /// whole hours shows a server that reports local time.
    async fn mdtm_of_upload(&mut self, ctl: &mut Control, file: &str) -> Result<(), Stop> {
        let l = self.lang;
        let check = "write.mdtm";
        let cmd = format!("MDTM {file}");
        let r = self.simple(ctl, Group::Write, check, &cmd).await?;
        let base = |severity, detail: String| {
            Finding::new(Group::Write, check, severity, detail)
                .sent(&[&cmd])
                .got(Some(&r))
                .expected(&[213])
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let f = match r.code {
            213 => match parse_time_val(r.text()).as_deref().and_then(unix_time) {
                Some(t) if (t - now).abs() <= 15 * 60 => {
                    base(Severity::Ok, format!("MDTM: {}", r.text().trim()))
                }
                Some(t) => {
                    let hours = (t - now) as f64 / 3600.0;
                    base(
                        Severity::Warning,
                        FileText::MDTMFileJustUploaded
                            .fill(l, &[("hours", &format!("{hours:+.1}"))]),
                    )
                    .fix(FileText::MDTMUTCRFC3659.text(l))
                }
                None => base(Severity::Error, format!("MDTM: {}", r.summary()))
                    .fix(FileText::Code213ReplyMDTMYYYYMMDDHHMMSS.text(l)),
            },
            500 | 502 if !self.feat.as_ref().is_some_and(|f| f.has("MDTM")) => {
                base(Severity::Info, format!("MDTM: {}", r.summary()))
            }
            _ => base(Severity::Error, format!("MDTM: {}", r.summary())),
        };
        self.push(f);
        Ok(())
    }

    /// DELE the scratch file and RMD the scratch directory; reports them when `report`.
    async fn remove_scratch(&mut self, ctl: &mut Control, report: bool) -> Result<(), Stop> {
        let l = self.lang;
        let Some(scratch) = self.scratch.clone() else {
            return Ok(());
        };
        if let Some(file) = &scratch.file {
            let cmd = format!("DELE {file}");
            let r = if report {
                let p = Probe::new(Group::Write, "write.dele", "DELE".to_owned(), cmd, &[250])
                    .warn(&[200]);
                self.probe_on(ctl, p).await.map_err(|_| Stop)?
            } else {
                self.simple(ctl, Group::Write, "write.cleanup", &cmd)
                    .await?
            };
            if (200..300).contains(&r.code) {
                if let Some(s) = self.scratch.as_mut() {
                    s.file = None;
                }
            }
        }
        let cmd = format!("RMD {}", scratch.dir);
        let r = if report {
            let p = Probe::new(Group::Write, "write.rmd", "RMD".to_owned(), cmd, &[250])
                .warn(&[200, 257]);
            self.probe_on(ctl, p).await.map_err(|_| Stop)?
        } else {
            self.simple(ctl, Group::Write, "write.cleanup", &cmd)
                .await?
        };
        if (200..300).contains(&r.code) {
            if !report {
                let f = Finding::new(
                    Group::Write,
                    "write.cleanup",
                    Severity::Info,
                    FileText::RemovedScratchDirectoryNew.fill(l, &[("dir", &scratch.dir)]),
                );
                self.push(f);
            }
        } else {
            let f = Finding::new(
                Group::Write,
                "write.cleanup",
                Severity::Warning,
                FileText::CouldNotRemoveScratch
                    .fill(l, &[("dir", &scratch.dir), ("reply", &r.summary())]),
            )
            .got(Some(&r))
            .fix(FileText::RemoveByHand.text(l));
            self.push(f);
        }
        self.scratch = None;
        Ok(())
    }

    /// After a run that stopped midway: removes a scratch directory left behind, on a
    /// connection of its own.
    pub(super) async fn finish_cleanup(&mut self) {
        let Some(scratch) = self.scratch.clone() else {
            return;
        };
        let l = self.lang;
        match self.open(true, Group::Write, "write.cleanup").await {
            Some(mut ctl) => {
                if self.remove_scratch(&mut ctl, false).await.is_ok() {
                    ctl.quit().await;
                }
            }
            None => {
                let f = Finding::new(
                    Group::Write,
                    "write.cleanup",
                    Severity::Warning,
                    FileText::CouldNotReconnectRemove.fill(l, &[("dir", &scratch.dir)]),
                )
                .fix(FileText::RemoveByHand.text(l));
                self.push(f);
            }
        }
        self.scratch = None;
    }
}

fn show(list: &[&str]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlsd_lines() {
        let e = parse_mlsd_line("type=file;size=12;modify=20240102030405; a b.txt").unwrap();
        assert_eq!(e.name, "a b.txt");
        assert_eq!(e.fact("Size"), Some("12"));
        let e = parse_mlsd_line("type=OS.unix=symlink; link").unwrap();
        assert_eq!(e.fact("type"), Some("OS.unix=symlink"));
        assert!(parse_mlsd_line(" bare-name").is_some());
        assert!(parse_mlsd_line("-rw-r--r-- 1 ftp ftp 12 Jan 1 00:00 a.txt").is_none());
        assert!(parse_mlsd_line("type=file;size=12 a.txt").is_none());
        assert!(parse_mlsd_line("type=file; ").is_none());
    }

    #[test]
    fn time_values() {
        assert_eq!(
            parse_time_val("20240102030405").as_deref(),
            Some("20240102030405")
        );
        assert_eq!(
            parse_time_val("20240102030405.123").as_deref(),
            Some("20240102030405")
        );
        assert_eq!(parse_time_val("20241302030405"), None);
        assert_eq!(parse_time_val("2024-01-02 03:04:05"), None);
        assert_eq!(parse_time_val("1704164645"), None);
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_time("19700101000000"), Some(0));
        assert_eq!(unix_time("20000301000000"), Some(951_868_800));
        assert_eq!(unix_time("20240229235959"), Some(1_709_251_199));
    }

    #[test]
    fn payload_has_what_ascii_mode_would_change() {
        let p = payload();
        assert!(p.windows(2).any(|w| w == b"\r\n"));
        assert!(p.contains(&0xff) && p.len() > 8192);
    }
}
