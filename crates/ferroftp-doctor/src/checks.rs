//! The checks: the order they run in, the shared machinery (probes, extra connections,
//! login), and the connection, login and sequencing checks. Data channels are in
//! [`super::data`], listings, file facts and the round trip in [`super::files`].

use std::net::SocketAddr;
use std::time::Duration;

use super::client::{Control, NetError, Reply, ReplyExt};
use super::data::DataMode;
use super::files::{Sample, Scratch};
use super::report::{Finding, Group, Severity};
use super::target::{Target, TlsMode};
use super::text::{CheckText, Messages};
use super::tls;
use super::Lang;

/// What to check and how.
#[derive(Debug)]
pub struct Config {
    /// The server.
    pub target: Target,
    /// Whether the upload/download round trip may run.
    pub write: bool,
    /// The limit on each step.
    pub timeout: Duration,
    /// The report's language.
    pub lang: Lang,
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    /// Every finding, in the order the checks ran.
    pub findings: Vec<Finding>,
    /// The server could not be reached (exit status 2).
    pub unreachable: bool,
}

/// Runs every check against the configured server.
pub async fn run(cfg: &Config) -> Outcome {
    let mut d = Doctor::new(cfg);
    match d.main().await {
        Ok(ctl) => ctl.quit().await,
        Err(Stop) if !d.unreachable => {
            if let Some(last) = d.findings.last().filter(|f| f.severity == Severity::Error) {
                let f = Finding::new(
                    last.group,
                    "stopped",
                    Severity::Info,
                    CheckText::RemainingChecksWereNot.text(cfg.lang),
                );
                d.push(f);
            }
        }
        Err(Stop) => {}
    }
    d.finish_cleanup().await;
    Outcome {
        findings: d.findings,
        unreachable: d.unreachable,
    }
}

/// The run stops: the main control connection failed, or the server cannot be used.
pub(super) struct Stop;

/// The features a server listed in its FEAT reply (RFC 2389).
#[derive(Debug, Default, Clone)]
pub(super) struct Features {
    lines: Vec<String>,
}

impl Features {
    /// Parses a `211` reply: the lines between the first and the last. Returns the
    /// features and the lines that do not start with a space as RFC 2389 requires.
    fn parse(reply: &Reply) -> (Features, Vec<String>) {
        let mut lines = Vec::new();
        let mut bad = Vec::new();
        if reply.lines.len() > 2 {
            for line in &reply.lines[1..reply.lines.len() - 1] {
                if !line.starts_with(' ') {
                    bad.push(line.clone());
                }
                let feature = line.trim();
                if !feature.is_empty() {
                    lines.push(feature.to_owned());
                }
            }
        }
        (Features { lines }, bad)
    }

    /// Whether a feature is listed (its first word, case-insensitive).
    pub(super) fn has(&self, name: &str) -> bool {
        self.line(name).is_some()
    }

    /// The full line of a feature.
    pub(super) fn line(&self, name: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case(name))
            })
            .map(String::as_str)
    }

    /// Whether `AUTH TLS` is listed (RFC 4217 section 6).
    pub(super) fn has_auth_tls(&self) -> bool {
        self.lines.iter().any(|l| {
            let mut words = l.split_whitespace();
            words.next().is_some_and(|w| w.eq_ignore_ascii_case("AUTH"))
                && words.any(|w| {
                    w.split([';', ','])
                        .any(|m| m.eq_ignore_ascii_case("TLS") || m.eq_ignore_ascii_case("TLS-C"))
                })
        })
    }
}

/// One command sent to see how the server answers, and how to judge the answer.
pub(super) struct Probe<'p> {
    group: Group,
    check: &'p str,
    what: String,
    cmd: String,
    prelude: Vec<String>,
    expect: &'p [u16],
    warn: &'p [u16],
    info: &'p [u16],
    other_positive: Severity,
    other_negative: Severity,
    fix: Option<String>,
}

impl<'p> Probe<'p> {
    /// A probe: `what` describes it in the report; any code not in `expect` is an error
    /// until said otherwise.
    pub(super) fn new(
        group: Group,
        check: &'p str,
        what: String,
        cmd: impl Into<String>,
        expect: &'p [u16],
    ) -> Self {
        Probe {
            group,
            check,
            what,
            cmd: cmd.into(),
            prelude: Vec::new(),
            expect,
            warn: &[],
            info: &[],
            other_positive: Severity::Error,
            other_negative: Severity::Error,
            fix: None,
        }
    }

    /// Codes that are legal but less precise than the expected ones.
    pub(super) fn warn(mut self, codes: &'p [u16]) -> Self {
        self.warn = codes;
        self
    }

    /// Codes worth noting but not wrong (an optional command not implemented...).
    pub(super) fn info(mut self, codes: &'p [u16]) -> Self {
        self.info = codes;
        self
    }

    /// The severity of other positive (1yz-3yz) and negative (4yz-6yz) codes.
    pub(super) fn otherwise(mut self, positive: Severity, negative: Severity) -> Self {
        self.other_positive = positive;
        self.other_negative = negative;
        self
    }

    /// How to fix a warning or error.
    pub(super) fn fix(mut self, fix: String) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Commands sent before this one on the same connection, for the report.
    pub(super) fn prelude(mut self, sent: &[&str]) -> Self {
        self.prelude = sent.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    fn judge(&self, code: u16) -> Severity {
        if self.expect.contains(&code) {
            Severity::Ok
        } else if self.warn.contains(&code) {
            Severity::Warning
        } else if self.info.contains(&code) {
            Severity::Info
        } else if code < 400 {
            self.other_positive
        } else {
            self.other_negative
        }
    }
}

/// Joins codes for display: `503 or 530`.
pub(super) fn codes(codes: &[u16], lang: Lang) -> String {
    let list: Vec<String> = codes.iter().map(u16::to_string).collect();
    list.join(&CheckText::Or.text(lang))
}

/// The state of one run.
pub(super) struct Doctor<'a> {
    pub(super) cfg: &'a Config,
    pub(super) lang: Lang,
    /// The address the main connection reached.
    pub(super) addr: Option<SocketAddr>,
    pub(super) findings: Vec<Finding>,
    pub(super) feat: Option<Features>,
    /// The data channel that worked, used for MLSD and the round trip.
    pub(super) data_mode: Option<DataMode>,
    /// A file seen in the MLSD listing, for SIZE, MDTM and RETR probes.
    pub(super) sample: Option<Sample>,
    /// A scratch directory (and file) still to remove.
    pub(super) scratch: Option<Scratch>,
    /// The TLS client (its failure to set up is reported at the first handshake).
    pub(super) tls: Result<tls::Client, tls::Failure>,
    /// What happened on the TLS data connections, for `tls.data`.
    pub(super) tls_data: tls::DataLog,
    /// Data connections get a fresh TLS session instead of resuming the control
    /// connection's (the `tls.session_reuse` check).
    pub(super) fresh_data_session: bool,
    unreachable: bool,
    /// FEAT was refused before login: ask again after.
    feat_after_login: bool,
}

impl<'a> Doctor<'a> {
    fn new(cfg: &'a Config) -> Self {
        Doctor {
            cfg,
            lang: cfg.lang,
            addr: None,
            findings: Vec::new(),
            feat: None,
            data_mode: None,
            sample: None,
            scratch: None,
            tls: tls::Client::new(&cfg.target.host),
            tls_data: tls::DataLog::default(),
            fresh_data_session: false,
            unreachable: false,
            feat_after_login: false,
        }
    }

    /// Adds a finding, with its explanation filled in.
    pub(super) fn push(&mut self, f: Finding) {
        let f = f.explain(self.lang);
        self.findings.push(f);
    }

    /// The step timeout.
    pub(super) fn timeout(&self) -> Duration {
        self.cfg.timeout
    }

    /// Reports a failed exchange on a control connection.
    pub(super) fn net_failure(&mut self, group: Group, check: &str, sent: &[String], e: &NetError) {
        let l = self.lang;
        let fix = match e {
            NetError::Timeout { partial: None, .. } => {
                CheckText::ServerStoppedAnsweringCheck.text(l)
            }
            NetError::Closed | NetError::Io { .. } => {
                CheckText::ServerDroppedConnectionCheck.text(l)
            }
            NetError::Timeout {
                partial: Some(_), ..
            }
            | NetError::Garbage(_)
            | NetError::LineTooLong(_) => CheckText::RepliesMustLinesNNN.text(l),
            NetError::TooManyLines(_) => CheckText::MultiLineReplyMust.text(l),
        };
        let f = Finding::new(group, check, Severity::Error, e.to_string())
            .sent(sent)
            .fix(fix);
        self.push(f);
    }

    /// Sends a probe and reports the answer. A failed exchange is reported too, and
    /// returned so the caller can drop the connection.
    pub(super) async fn probe_on(
        &mut self,
        ctl: &mut Control,
        p: Probe<'_>,
    ) -> Result<Reply, NetError> {
        let mut sent = p.prelude.clone();
        sent.push(p.cmd.clone());
        let r = match ctl.cmd(&p.cmd).await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(p.group, p.check, &sent, &e);
                return Err(e);
            }
        };
        let severity = p.judge(r.code);
        let l = self.lang;
        let detail = if p.warn.contains(&r.code) {
            CheckText::LegalButLessPrecise.fill(
                l,
                &[
                    ("what", &p.what),
                    ("reply", &r.summary()),
                    ("expected", &codes(p.expect, l)),
                ],
            )
        } else {
            format!("{}: {}", p.what, r.summary())
        };
        let mut f = Finding::new(p.group, p.check, severity, detail)
            .sent(&sent)
            .got(Some(&r))
            .expected(p.expect);
        if severity >= Severity::Warning {
            if let Some(fix) = p.fix {
                f = f.fix(fix);
            }
        }
        self.push(f);
        Ok(r)
    }

    /// The whole run on the main connection; returns the connection when it is still usable.
    async fn main(&mut self) -> Result<Control, Stop> {
        let mut ctl = self.connect_main().await?;
        let tls_mode = self.cfg.target.tls;
        if tls_mode == TlsMode::Implicit {
            self.secure_main(&mut ctl).await?;
        }
        self.greeting(&mut ctl).await?;
        self.feat(&mut ctl, false).await?;
        self.pre_login_probes().await;
        match tls_mode {
            TlsMode::Explicit => {
                if !self.auth_tls(&mut ctl).await? {
                    let f = self.not_run(Group::Login, "login");
                    self.push(f);
                    return Ok(ctl);
                }
            }
            TlsMode::Implicit => self.pbsz_prot(&mut ctl).await?,
            TlsMode::None => {}
        }
        if !self.login(&mut ctl).await? {
            let f = self.not_run(Group::Login, "login.rest");
            self.push(f);
            return Ok(ctl);
        }
        if self.feat_after_login {
            self.feat(&mut ctl, true).await?;
        }
        self.after_login(&mut ctl).await?;
        self.data_channels(&mut ctl).await?;
        self.facts(&mut ctl).await?;
        if self.cfg.write {
            self.round_trip(&mut ctl).await?;
        } else {
            let f = Finding::new(
                Group::Write,
                "write",
                Severity::Info,
                CheckText::SkippedAddWriteTest.text(self.lang),
            );
            self.push(f);
        }
        if tls_mode != TlsMode::None {
            self.tls_data_checks(&mut ctl).await?;
        }
        self.logged_in_probes().await;
        if tls_mode == TlsMode::None {
            let offers = self.feat.as_ref().map(Features::has_auth_tls);
            for f in tls::plain_target(offers, self.lang) {
                self.push(f);
            }
        }
        Ok(ctl)
    }

    /// An info finding for checks that could not run.
    fn not_run(&self, group: Group, check: &str) -> Finding {
        let detail = CheckText::ChecksNeedLoginWere.text(self.lang);
        Finding::new(group, check, Severity::Info, detail)
    }

    /// Resolves the host and connects; a failure makes the server unreachable.
    async fn connect_main(&mut self) -> Result<Control, Stop> {
        let t = &self.cfg.target;
        let l = self.lang;
        let limit = self.timeout();
        let sent = [format!("connect {}:{}", t.host, t.port)];
        let addrs: Vec<SocketAddr> =
            match tokio::time::timeout(limit, tokio::net::lookup_host((t.host.as_str(), t.port)))
                .await
            {
                Ok(Ok(a)) => a.collect(),
                Ok(Err(e)) => {
                    let detail = CheckText::CannotResolve.fill(l, &[("host", &t.host), ("e", &e)]);
                    return Err(self.unreachable_finding(&sent, detail));
                }
                Err(_) => {
                    let detail = CheckText::ResolvingTookLongerThan
                        .fill(l, &[("host", &t.host), ("secs", &limit.as_secs())]);
                    return Err(self.unreachable_finding(&sent, detail));
                }
            };
        let mut errors = Vec::new();
        for addr in addrs {
            match Control::connect(addr, limit).await {
                Ok(ctl) => {
                    self.addr = Some(ctl.peer);
                    let detail = CheckText::Connected.fill(l, &[("peer", &ctl.peer)]);
                    self.push(
                        Finding::new(Group::Connection, "connect", Severity::Ok, detail)
                            .sent(&sent),
                    );
                    return Ok(ctl);
                }
                Err(e) => errors.push(format!("{addr}: {e}")),
            }
        }
        let detail = CheckText::CannotConnect.fill(l, &[("errors", &errors.join("; "))]);
        Err(self.unreachable_finding(&sent, detail))
    }

    fn unreachable_finding(&mut self, sent: &[String], detail: String) -> Stop {
        self.unreachable = true;
        let fix = CheckText::CheckHostNamePort.text(self.lang);
        let f = Finding::new(Group::Connection, "connect", Severity::Error, detail)
            .sent(sent)
            .fix(fix);
        self.push(f);
        Stop
    }

    /// Reads the greeting: 220, possibly after 120 (RFC 959 5.4).
    async fn greeting(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let mut early = 0;
        let reply = loop {
            match ctl.reply().await {
                Ok(r) if r.code == 120 && early < 3 => {
                    early += 1;
                    let f = Finding::new(
                        Group::Connection,
                        "greeting.delay",
                        Severity::Info,
                        CheckText::ServerAsksWait.fill(l, &[("reply", &r.summary())]),
                    )
                    .got(Some(&r))
                    .expected(&[220]);
                    self.push(f);
                }
                Ok(r) => break r,
                Err(e) => {
                    let silent = matches!(
                        e,
                        NetError::Timeout { partial: None, .. }
                            | NetError::Closed
                            | NetError::Io { .. }
                    );
                    if silent && early == 0 {
                        self.unreachable = true;
                        let detail = CheckText::NoGreeting.fill(l, &[("e", &e)]);
                        let fix = CheckText::FTPServerSends220.text(l);
                        let f =
                            Finding::new(Group::Connection, "greeting", Severity::Error, detail)
                                .expected(&[220])
                                .fix(fix);
                        self.push(f);
                    } else {
                        self.net_failure(Group::Connection, "greeting", &[], &e);
                    }
                    return Err(Stop);
                }
            }
        };
        if reply.code != 220 {
            let fix = if reply.code == 421 {
                CheckText::ServerRefusesNewSessions.text(l)
            } else {
                CheckText::GreetingMust220120.text(l)
            };
            let f = Finding::new(
                Group::Connection,
                "greeting",
                Severity::Error,
                CheckText::Greeting.fill(l, &[("reply", &reply.summary())]),
            )
            .got(Some(&reply))
            .expected(&[220])
            .fix(fix);
            self.push(f);
            return Err(Stop);
        }
        let f = Finding::new(
            Group::Connection,
            "greeting",
            Severity::Ok,
            reply.lines.join(" / "),
        )
        .got(Some(&reply))
        .expected(&[220]);
        self.push(f);
        if let Some(version) = reply.lines.iter().find_map(|line| version_in(line)) {
            let f = Finding::new(
                Group::Connection,
                "greeting.version",
                Severity::Warning,
                CheckText::GreetingShowsVersionNumber.fill(l, &[("version", &version)]),
            )
            .got(Some(&reply))
            .fix(CheckText::SetGreetingWithoutVersion.text(l));
            self.push(f);
        }
        Ok(())
    }

    /// FEAT (RFC 2389), before login, or again after login when it needed one.
    async fn feat(&mut self, ctl: &mut Control, after_login: bool) -> Result<(), Stop> {
        let l = self.lang;
        let sent = ["FEAT".to_owned()];
        let r = match ctl.cmd("FEAT").await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(Group::Login, "feat", &sent, &e);
                return Err(Stop);
            }
        };
        let (severity, detail, fix) = match r.code {
            211 => {
                let (features, bad) = Features::parse(&r);
                let list = if features.lines.is_empty() {
                    CheckText::NoFeatures.text(l)
                } else {
                    features.lines.join(", ")
                };
                let detail = CheckText::FeatureList
                    .fill(l, &[("count", &features.lines.len()), ("list", &list)]);
                self.feat = Some(features);
                if let Some(line) = bad.first() {
                    let f = Finding::new(
                        Group::Login,
                        "feat.syntax",
                        Severity::Warning,
                        CheckText::FeatureLineWithoutLeading
                            .fill(l, &[("line", &format!("{line:?}"))]),
                    )
                    .sent(&sent)
                    .got(Some(&r))
                    .fix(CheckText::EachFeatureLine211.text(l));
                    self.push(f);
                }
                (Severity::Ok, detail, None)
            }
            530 if !after_login => {
                self.feat_after_login = true;
                (Severity::Info, CheckText::FEATNeedsLoginHere.text(l), None)
            }
            500 | 502 => (Severity::Info, CheckText::FEATNotSupportedRFC.text(l), None),
            _ => (
                Severity::Warning,
                format!("FEAT: {}", r.summary()),
                Some(CheckText::FEATAnswers211Feature.text(l)),
            ),
        };
        let mut f = Finding::new(Group::Login, "feat", severity, detail)
            .sent(&sent)
            .got(Some(&r))
            .expected(&[211]);
        if let Some(fix) = fix {
            f = f.fix(fix);
        }
        self.push(f);
        Ok(())
    }

    /// ftps://: AUTH TLS on the main connection, then the handshake. Returns whether the
    /// connection is now secured (and login may go on over it).
    async fn auth_tls(&mut self, ctl: &mut Control) -> Result<bool, Stop> {
        let l = self.lang;
        let p = Probe::new(
            Group::Tls,
            "tls.auth",
            CheckText::AUTHTLS.text(l),
            "AUTH TLS",
            &[234],
        )
        .fix(CheckText::URLAsksFtpsBut.text(l));
        let r = self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        if r.code != 234 {
            return Ok(false);
        }
        // A failed handshake leaves the connection of no further use: the run stops.
        self.secure_main(ctl).await?;
        self.pbsz_prot(ctl).await?;
        Ok(true)
    }

    /// USER and PASS: 331 then 230, or 230 at once (RFC 959 5.4).
    pub(super) async fn login_exchange(
        &self,
        ctl: &mut Control,
    ) -> Result<(String, Reply, Option<(String, Reply)>), NetError> {
        let t = &self.cfg.target;
        let user_cmd = format!("USER {}", t.user);
        let user = ctl.cmd(&user_cmd).await?;
        if user.code != 331 {
            return Ok((user_cmd, user, None));
        }
        let pass_cmd = if t.password.is_empty() {
            "PASS".to_owned()
        } else {
            format!("PASS {}", t.password)
        };
        let pass = ctl.cmd(&pass_cmd).await?;
        Ok((user_cmd, user, Some((pass_cmd, pass))))
    }

    /// Logs in on the main connection; returns whether that worked.
    async fn login(&mut self, ctl: &mut Control) -> Result<bool, Stop> {
        let l = self.lang;
        let (user_cmd, user, pass) = match self.login_exchange(ctl).await {
            Ok(x) => x,
            Err(e) => {
                self.net_failure(Group::Login, "login", &[], &e);
                return Err(Stop);
            }
        };
        let (severity, detail) = match user.code {
            331 => (Severity::Ok, format!("USER: {}", user.summary())),
            230 => (
                Severity::Ok,
                CheckText::LoggedWithoutPassword.fill(l, &[("reply", &user.summary())]),
            ),
            332 => (
                Severity::Warning,
                CheckText::ServerWantsAccountACCT.fill(l, &[("reply", &user.summary())]),
            ),
            _ => (Severity::Error, format!("USER: {}", user.summary())),
        };
        let mut f = Finding::new(Group::Login, "login.user", severity, detail)
            .sent(&[&user_cmd])
            .got(Some(&user))
            .expected(&[331, 230]);
        let wants_tls = self.feat.as_ref().is_some_and(Features::has_auth_tls)
            && matches!(user.code, 530 | 534 | 550)
            && self.cfg.target.tls == TlsMode::None;
        if wants_tls {
            // Refusing cleartext logins is the server's right (RFC 4217 section 8).
            f.severity = Severity::Warning;
            f = f.fix(CheckText::ServerOffersAUTHTLS.text(l));
        } else if severity == Severity::Error {
            f = f.fix(CheckText::ServerRefusedUserName.text(l));
        }
        self.push(f);
        if user.code == 230 {
            return Ok(true);
        }
        let Some((pass_cmd, pass)) = pass else {
            return Ok(false);
        };
        let text = pass.lines.join(" ").to_ascii_lowercase();
        let wants_tls = self.cfg.target.tls == TlsMode::None
            && (pass.code == 534
                || (pass.code == 530
                    && ["tls", "ssl", "encrypt", "secure"]
                        .iter()
                        .any(|w| text.contains(w))));
        let (severity, fix) = match pass.code {
            _ if wants_tls => (
                Severity::Warning,
                Some(CheckText::ServerRefusesLoginClear.text(l)),
            ),
            230 => (Severity::Ok, None),
            202 => (Severity::Info, None),
            332 => (
                Severity::Warning,
                Some(CheckText::ServerWantsACCTAfter.text(l)),
            ),
            530 => (
                Severity::Error,
                Some(CheckText::LoginIncorrectCheckUser.text(l)),
            ),
            _ => (Severity::Error, None),
        };
        let mut f = Finding::new(
            Group::Login,
            "login.pass",
            severity,
            format!("PASS: {}", pass.summary()),
        )
        .sent(&[&pass_cmd])
        .got(Some(&pass))
        .expected(&[230]);
        if let Some(fix) = fix {
            f = f.fix(fix);
        }
        self.push(f);
        Ok(matches!(pass.code, 230 | 202))
    }

    /// OPTS UTF8, PWD, CWD to the URL's path, SYST, HELP, NOOP and an unknown verb, on the
    /// logged-in main connection.
    async fn after_login(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let utf8 = self.feat.as_ref().map(|f| f.has("UTF8"));
        if utf8 == Some(true) {
            let p = Probe::new(
                Group::Login,
                "opts_utf8",
                "OPTS UTF8 ON".to_owned(),
                "OPTS UTF8 ON",
                &[200],
            )
            .info(&[202])
            .otherwise(Severity::Warning, Severity::Warning)
            .fix(CheckText::FEATListsUTF8RFC.text(l));
            self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        } else {
            let f = Finding::new(
                Group::Login,
                "opts_utf8",
                Severity::Info,
                CheckText::FeatLacksUtf8.text(l),
            );
            self.push(f);
        }
        self.pwd(ctl).await?;
        if let Some(path) = self.cfg.target.path.clone() {
            let p = Probe::new(
                Group::Login,
                "cwd",
                CheckText::CWDURLPath.text(l),
                format!("CWD {path}"),
                &[250],
            )
            .warn(&[200])
            .fix(CheckText::CheckDirectoryURLExists.text(l));
            self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        }
        let probes = [
            Probe::new(Group::Sequencing, "syst", "SYST".to_owned(), "SYST", &[215])
                .info(&[500, 502])
                .otherwise(Severity::Warning, Severity::Warning)
                .fix(CheckText::SYSTAnswers215System.text(l)),
            Probe::new(
                Group::Sequencing,
                "help",
                "HELP".to_owned(),
                "HELP",
                &[214, 211],
            )
            .info(&[500, 502])
            .otherwise(Severity::Warning, Severity::Warning),
            Probe::new(Group::Sequencing, "noop", "NOOP".to_owned(), "NOOP", &[200])
                .otherwise(Severity::Warning, Severity::Error)
                .fix(CheckText::NOOPMustAnswer200.text(l)),
            Probe::new(
                Group::Sequencing,
                "sequence.unknown_verb",
                CheckText::UnknownCommand.text(l),
                "XFERROFTPDOCTOR",
                &[500, 502],
            )
            .otherwise(Severity::Error, Severity::Warning)
            .fix(CheckText::UnknownCommandMustRefused.text(l)),
        ];
        for p in probes {
            self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        }
        Ok(())
    }

    /// PWD: 257 with the path in double quotes (RFC 959 appendix II).
    async fn pwd(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let sent = ["PWD".to_owned()];
        let r = match ctl.cmd("PWD").await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(Group::Login, "pwd", &sent, &e);
                return Err(Stop);
            }
        };
        let path = (r.code == 257)
            .then(|| super::client::parse_quoted_path(r.text()))
            .flatten();
        let f = match (r.code, path) {
            (257, Some(path)) => Finding::new(
                Group::Login,
                "pwd",
                Severity::Ok,
                CheckText::CurrentDirectory.fill(l, &[("path", &path)]),
            ),
            (257, None) => Finding::new(
                Group::Login,
                "pwd",
                Severity::Error,
                CheckText::Code257WithoutQuotedPath.fill(l, &[("reply", &r.summary())]),
            )
            .fix(CheckText::PWDAnswers257Path.text(l)),
            _ => Finding::new(
                Group::Login,
                "pwd",
                Severity::Error,
                format!("PWD: {}", r.summary()),
            ),
        };
        self.push(f.sent(&sent).got(Some(&r)).expected(&[257]));
        Ok(())
    }

    /// Opens another control connection (greeting read; logged in when `login`). Failures
    /// are reported under `check` and give `None`.
    pub(super) async fn open(&mut self, login: bool, group: Group, check: &str) -> Option<Control> {
        let l = self.lang;
        let addr = self.addr?;
        let mut ctl = match Control::connect(addr, self.timeout()).await {
            Ok(c) => c,
            Err(e) => {
                let sent = [format!("connect {addr}")];
                self.net_failure(group, check, &sent, &e);
                return None;
            }
        };
        let tls_mode = self.cfg.target.tls;
        if tls_mode == TlsMode::Implicit && !self.secure_extra(&mut ctl, false, group, check).await
        {
            return None;
        }
        let greeting = match ctl.reply().await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(group, check, &[], &e);
                return None;
            }
        };
        if greeting.code != 220 {
            let limit = greeting.code == 421;
            let f = Finding::new(
                group,
                check,
                if limit {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                CheckText::CouldNotOpenAnother.fill(l, &[("reply", &greeting.summary())]),
            )
            .got(Some(&greeting))
            .expected(&[220])
            .fix(CheckText::ServerLimitsConnectionsPer.text(l));
            self.push(f);
            return None;
        }
        // ftps://: never a password in clear text; and data connections under PROT P.
        if login
            && tls_mode != TlsMode::None
            && !self.secure_extra(&mut ctl, true, group, check).await
        {
            return None;
        }
        if login {
            match self.login_exchange(&mut ctl).await {
                Ok((_, user, pass)) => {
                    let ok = user.code == 230 || pass.as_ref().is_some_and(|(_, p)| p.code == 230);
                    if !ok {
                        let last = pass.map(|(_, p)| p).unwrap_or(user);
                        let f = Finding::new(
                            group,
                            check,
                            Severity::Error,
                            CheckText::LoginSecondConnectionFailed
                                .fill(l, &[("reply", &last.summary())]),
                        )
                        .got(Some(&last))
                        .expected(&[230]);
                        self.push(f);
                        return None;
                    }
                }
                Err(e) => {
                    self.net_failure(group, check, &[], &e);
                    return None;
                }
            }
        }
        Some(ctl)
    }

    /// Runs probes one after another on a connection of their own, opening a fresh one
    /// whenever the server answered positively (its state may have changed, or a transfer
    /// may be pending). Stops after a timeout rather than piling up more.
    async fn probe_series(&mut self, login: bool, probes: Vec<Probe<'_>>) {
        let mut conn: Option<Control> = None;
        for p in probes {
            if conn.is_none() {
                conn = self.open(login, p.group, p.check).await;
            }
            let Some(ctl) = conn.as_mut() else {
                return;
            };
            match self.probe_on(ctl, p).await {
                Ok(r) if r.code >= 400 => {}
                Ok(_) => conn = None,
                Err(NetError::Timeout { .. }) => return,
                Err(_) => conn = None,
            }
        }
        if let Some(ctl) = conn {
            ctl.quit().await;
        }
    }

    /// Commands sent before login, on connections of their own; never with the real password.
    async fn pre_login_probes(&mut self) {
        let l = self.lang;
        let login_fix = CheckText::CommandsOtherThanUSER.text(l);
        let mut probes = vec![
            Probe::new(
                Group::Sequencing,
                "sequence.pass_before_user",
                CheckText::PASSBeforeUSER.text(l),
                "PASS ferroftp-doctor-probe",
                &[503],
            )
            .warn(&[530, 501])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(CheckText::PASSNoUSERBefore.text(l)),
            Probe::new(
                Group::Sequencing,
                "sequence.pwd_before_login",
                CheckText::PWDBeforeLogin.text(l),
                "PWD",
                &[530],
            )
            .warn(&[503])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(login_fix.clone()),
            Probe::new(
                Group::Sequencing,
                "sequence.list_before_login",
                CheckText::LISTBeforeLogin.text(l),
                "LIST",
                &[530],
            )
            .warn(&[503, 425])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(login_fix.clone()),
            Probe::new(
                Group::Sequencing,
                "sequence.retr_before_login",
                CheckText::RETRBeforeLogin.text(l),
                "RETR ferroftp-doctor-missing.txt",
                &[530],
            )
            .warn(&[503, 425, 550])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(login_fix),
        ];
        let mut skipped = None;
        let auth_tls = self.feat.as_ref().map(Features::has_auth_tls);
        if auth_tls == Some(true) {
            probes.push(
                Probe::new(
                    Group::Sequencing,
                    "sequence.prot_before_pbsz",
                    CheckText::PROTPBeforePBSZ.text(l),
                    "PROT P",
                    &[503],
                )
                .info(&[530])
                .otherwise(Severity::Error, Severity::Warning)
                .fix(CheckText::PROTMustFollowAUTH.text(l)),
            );
        } else {
            let f = Finding::new(
                Group::Sequencing,
                "sequence.prot_before_pbsz",
                Severity::Info,
                CheckText::SkippedNoAuthTls.text(l),
            );
            skipped = Some(f);
        }
        self.probe_series(false, probes).await;
        if let Some(f) = skipped {
            self.push(f);
        }
    }

    /// Sequencing probes that need a login, on connections of their own.
    async fn logged_in_probes(&mut self) {
        let l = self.lang;
        let (retr_arg, no_file) = match &self.sample {
            Some(s) => (s.name.clone(), &[][..]),
            None => ("ferroftp-doctor-missing.txt".to_owned(), &[550][..]),
        };
        let data_fix = CheckText::TransferNoPORTPASV.text(l);
        let probes = vec![
            Probe::new(
                Group::Sequencing,
                "sequence.retr_without_data_channel",
                CheckText::RETRWithoutPASVPORT.text(l),
                format!("RETR {retr_arg}"),
                &[425],
            )
            .warn(&[503])
            .info(no_file)
            .otherwise(Severity::Error, Severity::Warning)
            .fix(data_fix.clone()),
            Probe::new(
                Group::Sequencing,
                "sequence.list_without_data_channel",
                CheckText::LISTWithoutPASVPORT.text(l),
                "LIST",
                &[425],
            )
            .warn(&[503])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(data_fix),
            Probe::new(
                Group::Sequencing,
                "sequence.rnto_without_rnfr",
                CheckText::RNTOWithoutRNFR.text(l),
                "RNTO ferroftp-doctor-renamed.txt",
                &[503],
            )
            .otherwise(Severity::Error, Severity::Warning)
            .fix(CheckText::RNTOMustComeRight.text(l)),
        ];
        self.probe_series(true, probes).await;
        self.epsv_all_probe().await;
    }

    /// EPSV ALL, then PASV on the same connection: 503 expected (RFC 2428 section 4).
    async fn epsv_all_probe(&mut self) {
        let l = self.lang;
        let check = "sequence.pasv_after_epsv_all";
        if !self.feat.as_ref().is_some_and(|f| f.has("EPSV")) {
            let f = Finding::new(
                Group::Sequencing,
                check,
                Severity::Info,
                CheckText::SkippedNoEpsv.text(l),
            );
            self.push(f);
            return;
        }
        let Some(mut ctl) = self.open(true, Group::Sequencing, check).await else {
            return;
        };
        let all = match ctl.cmd("EPSV ALL").await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(Group::Sequencing, check, &["EPSV ALL".to_owned()], &e);
                return;
            }
        };
        if !(200..300).contains(&all.code) {
            let f = Finding::new(
                Group::Sequencing,
                check,
                Severity::Info,
                CheckText::EPSVALLNotAccepted.fill(l, &[("reply", &all.summary())]),
            )
            .sent(&["EPSV ALL"])
            .got(Some(&all))
            .expected(&[200]);
            self.push(f);
            ctl.quit().await;
            return;
        }
        let p = Probe::new(
            Group::Sequencing,
            check,
            CheckText::PASVAfterEPSVALL.text(l),
            "PASV",
            &[503],
        )
        .prelude(&["EPSV ALL"])
        .otherwise(Severity::Error, Severity::Warning)
        .fix(CheckText::AfterEPSVALLServer.text(l));
        if self.probe_on(&mut ctl, p).await.is_ok() {
            ctl.quit().await;
        }
    }
}

/// A version number in a greeting line, e.g. `3.0.3` in `vsFTPd 3.0.3` (IPv4 addresses
/// are not versions).
pub(super) fn version_in(line: &str) -> Option<String> {
    line.split(|c: char| c.is_whitespace() || "()[],;:".contains(c))
        .find(|word| {
            let w = word.strip_prefix(['v', 'V']).unwrap_or(word);
            let w = w.trim_end_matches('.');
            let parts: Vec<&str> = w.split('.').collect();
            (2..=3).contains(&parts.len())
                && !parts[0].is_empty()
                && parts[0].chars().all(|c| c.is_ascii_digit())
                && parts[1].starts_with(|c: char| c.is_ascii_digit())
        })
        .map(|w| w.trim_end_matches('.').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_greetings() {
        assert_eq!(version_in("(vsFTPd 3.0.3)").as_deref(), Some("3.0.3"));
        assert_eq!(
            version_in("ProFTPD 1.3.5e Server (Debian)").as_deref(),
            Some("1.3.5e")
        );
        assert_eq!(
            version_in("FileZilla Server v1.8.0").as_deref(),
            Some("v1.8.0")
        );
        assert_eq!(version_in("ferroftp ready."), None);
        assert_eq!(version_in("Welcome to 192.168.1.10"), None);
        assert_eq!(version_in("Microsoft FTP Service"), None);
    }

    #[test]
    fn features() {
        let r = Reply {
            code: 211,
            lines: vec![
                "Features:".into(),
                " EPSV".into(),
                " AUTH TLS".into(),
                "MDTM".into(),
                " MLST type*;size*;".into(),
                "End".into(),
            ],
        };
        let (f, bad) = Features::parse(&r);
        assert!(f.has("epsv") && f.has("MDTM") && f.has("MLST") && !f.has("SIZE"));
        assert!(f.has_auth_tls());
        assert_eq!(bad, vec!["MDTM".to_owned()]);
        let r = Reply {
            code: 211,
            lines: vec!["No features.".into()],
        };
        assert!(Features::parse(&r).0.lines.is_empty());
    }

    #[test]
    fn probe_judgement() {
        let p = Probe::new(Group::Sequencing, "x", String::new(), "PASS x", &[503])
            .warn(&[530])
            .info(&[550])
            .otherwise(Severity::Error, Severity::Warning);
        assert_eq!(p.judge(503), Severity::Ok);
        assert_eq!(p.judge(530), Severity::Warning);
        assert_eq!(p.judge(550), Severity::Info);
        assert_eq!(p.judge(230), Severity::Error);
        assert_eq!(p.judge(500), Severity::Warning);
    }
}
