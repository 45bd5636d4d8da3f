//! The checks: the order they run in, the shared machinery (probes, extra connections,
//! login), and the connection, login and sequencing checks. Data channels are in
//! [`super::data`], listings, file facts and the round trip in [`super::files`].

use std::net::SocketAddr;
use std::time::Duration;

use super::client::{Control, NetError, Reply};
use super::data::DataMode;
use super::files::{Sample, Scratch};
use super::report::{Finding, Group, Severity};
use super::target::{Target, TlsMode};
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
                    tr!(
                        cfg.lang,
                        "the remaining checks were not run: they need a working control connection",
                        "các kiểm tra còn lại không được chạy: chúng cần kết nối điều khiển hoạt động"
                    ),
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
    list.join(&tr!(lang, " or ", " hoặc "))
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
            NetError::Timeout { partial: None, .. } => tr!(
                l,
                "the server stopped answering: check its logs, and firewalls or load balancers that drop idle or long connections",
                "máy chủ ngừng trả lời: xem nhật ký máy chủ, và tường lửa hoặc bộ cân bằng tải cắt kết nối"
            ),
            NetError::Closed | NetError::Io { .. } => tr!(
                l,
                "the server dropped the connection: check its logs (crash, connection limits, TCP wrappers, fail2ban)",
                "máy chủ cắt kết nối: xem nhật ký máy chủ (sập, giới hạn kết nối, TCP wrappers, fail2ban)"
            ),
            NetError::Timeout { partial: Some(_), .. }
            | NetError::Garbage(_)
            | NetError::LineTooLong(_) => tr!(
                l,
                "replies must be lines of `NNN text` ending in CRLF (RFC 959 4.2): is this port an FTP server, or a proxy or TLS-only port in front of one?",
                "câu trả lời phải là dòng `NNN văn bản` kết thúc bằng CRLF (RFC 959 4.2): cổng này có đúng là máy chủ FTP không?"
            ),
            NetError::TooManyLines(_) => tr!(
                l,
                "a multi-line reply must end with a line starting `NNN ` (RFC 959 4.2); this one never ended",
                "câu trả lời nhiều dòng phải kết thúc bằng dòng bắt đầu `NNN ` (RFC 959 4.2); câu trả lời này không bao giờ kết thúc"
            ),
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
            tr!(
                l,
                format!(
                    "{}: {} (legal, but less precise than {})",
                    p.what,
                    r.summary(),
                    codes(p.expect, l)
                ),
                format!(
                    "{}: {} (hợp lệ, nhưng kém chính xác hơn {})",
                    p.what,
                    r.summary(),
                    codes(p.expect, l)
                )
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
                tr!(
                    self.lang,
                    "skipped: add --write to test an upload and download in a scratch directory",
                    "bỏ qua: thêm --write để thử tải lên và tải xuống trong một thư mục tạm"
                ),
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
        let detail = tr!(
            self.lang,
            "the checks that need a login were not run",
            "các kiểm tra cần đăng nhập đã không được chạy"
        );
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
                    let detail = tr!(
                        l,
                        format!("cannot resolve {}: {e}", t.host),
                        format!("không phân giải được {}: {e}", t.host)
                    );
                    return Err(self.unreachable_finding(&sent, detail));
                }
                Err(_) => {
                    let detail = tr!(
                        l,
                        format!("resolving {} took longer than {}s", t.host, limit.as_secs()),
                        format!("phân giải {} mất quá {}s", t.host, limit.as_secs())
                    );
                    return Err(self.unreachable_finding(&sent, detail));
                }
            };
        let mut errors = Vec::new();
        for addr in addrs {
            match Control::connect(addr, limit).await {
                Ok(ctl) => {
                    self.addr = Some(ctl.peer);
                    let detail = tr!(
                        l,
                        format!("connected to {}", ctl.peer),
                        format!("đã kết nối tới {}", ctl.peer)
                    );
                    self.push(
                        Finding::new(Group::Connection, "connect", Severity::Ok, detail)
                            .sent(&sent),
                    );
                    return Ok(ctl);
                }
                Err(e) => errors.push(format!("{addr}: {e}")),
            }
        }
        let detail = tr!(
            l,
            format!("cannot connect: {}", errors.join("; ")),
            format!("không kết nối được: {}", errors.join("; "))
        );
        Err(self.unreachable_finding(&sent, detail))
    }

    fn unreachable_finding(&mut self, sent: &[String], detail: String) -> Stop {
        self.unreachable = true;
        let fix = tr!(
            self.lang,
            "check the host name and port, that the server runs and listens on that address, and firewalls on the way",
            "kiểm tra tên máy và cổng, máy chủ có đang chạy và lắng nghe trên địa chỉ đó không, và tường lửa trên đường đi"
        );
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
                        tr!(
                            l,
                            format!("the server asks to wait: {}", r.summary()),
                            format!("máy chủ yêu cầu chờ: {}", r.summary())
                        ),
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
                        let detail = tr!(
                            l,
                            format!("no greeting: {e}"),
                            format!("không có lời chào: {e}")
                        );
                        let fix = tr!(
                            l,
                            "an FTP server sends 220 at once on connect: is this the right port? An implicit FTPS port (990) needs --implicit-tls; a server that closes at once may be over its connection limit or blocked by TCP wrappers",
                            "máy chủ FTP gửi 220 ngay khi kết nối: cổng có đúng không? Cổng FTPS ngầm định (990) cần --implicit-tls; máy chủ đóng ngay có thể đã quá giới hạn kết nối"
                        );
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
                tr!(
                    l,
                    "the server refuses new sessions (421): too many connections, or it is shutting down",
                    "máy chủ từ chối phiên mới (421): quá nhiều kết nối, hoặc đang tắt"
                )
            } else {
                tr!(
                    l,
                    "the greeting must be 220 (or 120 then 220), RFC 959 5.4",
                    "lời chào phải là 220 (hoặc 120 rồi 220), RFC 959 5.4"
                )
            };
            let f = Finding::new(
                Group::Connection,
                "greeting",
                Severity::Error,
                tr!(
                    l,
                    format!("greeting: {}", reply.summary()),
                    format!("lời chào: {}", reply.summary())
                ),
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
                tr!(
                    l,
                    format!("the greeting shows a version number ({version}): scanners use it to look up known flaws"),
                    format!("lời chào để lộ số phiên bản ({version}): công cụ dò quét dùng nó để tìm lỗ hổng đã biết")
                ),
            )
            .got(Some(&reply))
            .fix(tr!(
                l,
                "set a greeting without the version (vsftpd: ftpd_banner; ProFTPD: ServerIdent off; ferroftp: greeting)",
                "đặt lời chào không có phiên bản (vsftpd: ftpd_banner; ProFTPD: ServerIdent off; ferroftp: greeting)"
            ));
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
                    tr!(l, "no features", "không có tính năng nào")
                } else {
                    features.lines.join(", ")
                };
                let detail = tr!(
                    l,
                    format!("{} feature(s): {list}", features.lines.len()),
                    format!("{} tính năng: {list}", features.lines.len())
                );
                self.feat = Some(features);
                if let Some(line) = bad.first() {
                    let f = Finding::new(
                        Group::Login,
                        "feat.syntax",
                        Severity::Warning,
                        tr!(
                            l,
                            format!("feature line without the leading space: {line:?}"),
                            format!("dòng tính năng thiếu dấu cách đầu dòng: {line:?}")
                        ),
                    )
                    .sent(&sent)
                    .got(Some(&r))
                    .fix(tr!(
                        l,
                        "each feature line of the 211 reply starts with one space (RFC 2389 3.2); clients may miss the others",
                        "mỗi dòng tính năng của câu trả lời 211 bắt đầu bằng một dấu cách (RFC 2389 3.2)"
                    ));
                    self.push(f);
                }
                (Severity::Ok, detail, None)
            }
            530 if !after_login => {
                self.feat_after_login = true;
                (
                    Severity::Info,
                    tr!(
                        l,
                        "FEAT needs a login here; asked again after login",
                        "FEAT cần đăng nhập ở máy chủ này; sẽ hỏi lại sau khi đăng nhập"
                    ),
                    None,
                )
            }
            500 | 502 => (
                Severity::Info,
                tr!(
                    l,
                    "FEAT not supported (RFC 2389): clients will assume a bare RFC 959 server",
                    "không hỗ trợ FEAT (RFC 2389): máy khách sẽ coi đây là máy chủ RFC 959 tối thiểu"
                ),
                None,
            ),
            _ => (
                Severity::Warning,
                format!("FEAT: {}", r.summary()),
                Some(tr!(
                    l,
                    "FEAT answers 211 with the feature list, or 500/502 when not supported (RFC 2389)",
                    "FEAT trả lời 211 kèm danh sách tính năng, hoặc 500/502 nếu không hỗ trợ (RFC 2389)"
                )),
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
            tr!(l, "AUTH TLS", "AUTH TLS"),
            "AUTH TLS",
            &[234],
        )
        .fix(tr!(
            l,
            "the URL asks for ftps:// but the server does not accept AUTH TLS (RFC 4217): configure a certificate, or use ftp://",
            "URL dùng ftps:// nhưng máy chủ không chấp nhận AUTH TLS (RFC 4217): hãy cấu hình chứng chỉ, hoặc dùng ftp://"
        ));
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
                tr!(
                    l,
                    format!("logged in without a password: {}", user.summary()),
                    format!("đăng nhập không cần mật khẩu: {}", user.summary())
                ),
            ),
            332 => (
                Severity::Warning,
                tr!(
                    l,
                    format!("the server wants an account (ACCT): {}", user.summary()),
                    format!("máy chủ yêu cầu tài khoản (ACCT): {}", user.summary())
                ),
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
            f = f.fix(tr!(
                l,
                "the server offers AUTH TLS and refuses this login in clear text: check it with ftps://",
                "máy chủ hỗ trợ AUTH TLS và từ chối đăng nhập không mã hóa: hãy kiểm tra với ftps://"
            ));
        } else if severity == Severity::Error {
            f = f.fix(tr!(
                l,
                "the server refused the user name: check that the user exists and may log in (vsftpd: userlist_file, /etc/ftpusers; anonymous: anonymous_enable)",
                "máy chủ từ chối tên người dùng: kiểm tra người dùng có tồn tại và được phép đăng nhập (vsftpd: userlist_file, /etc/ftpusers)"
            ));
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
                Some(tr!(
                    l,
                    "the server refuses this login in clear text: check it with ftps://",
                    "máy chủ từ chối đăng nhập không mã hóa: hãy kiểm tra với ftps://"
                )),
            ),
            230 => (Severity::Ok, None),
            202 => (Severity::Info, None),
            332 => (
                Severity::Warning,
                Some(tr!(
                    l,
                    "the server wants ACCT after PASS; the doctor does not send accounts",
                    "máy chủ yêu cầu ACCT sau PASS; doctor không gửi tài khoản"
                )),
            ),
            530 => (
                Severity::Error,
                Some(tr!(
                    l,
                    "login incorrect: check the user name and password in the URL; on the server check the user database, PAM, the user's shell (vsftpd checks /etc/shells) and that the home directory exists",
                    "đăng nhập sai: kiểm tra tên và mật khẩu trong URL; trên máy chủ kiểm tra cơ sở dữ liệu người dùng, PAM, shell của người dùng và thư mục home"
                )),
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
            .fix(tr!(
                l,
                "FEAT lists UTF8 (RFC 2640) but OPTS UTF8 ON is refused: Windows clients send it and may fall back to a legacy code page",
                "FEAT có UTF8 (RFC 2640) nhưng OPTS UTF8 ON bị từ chối: máy khách Windows gửi lệnh này và có thể dùng bảng mã cũ"
            ));
            self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        } else {
            let f = Finding::new(
                Group::Login,
                "opts_utf8",
                Severity::Info,
                tr!(
                    l,
                    "FEAT does not list UTF8 (RFC 2640): non-ASCII file names may be garbled",
                    "FEAT không có UTF8 (RFC 2640): tên tệp không phải ASCII có thể bị lỗi"
                ),
            );
            self.push(f);
        }
        self.pwd(ctl).await?;
        if let Some(path) = self.cfg.target.path.clone() {
            let p = Probe::new(
                Group::Login,
                "cwd",
                tr!(l, "CWD to the URL's path", "CWD tới đường dẫn trong URL"),
                format!("CWD {path}"),
                &[250],
            )
            .warn(&[200])
            .fix(tr!(
                l,
                "check that the directory in the URL exists and the user may enter it",
                "kiểm tra thư mục trong URL có tồn tại và người dùng được phép vào"
            ));
            self.probe_on(ctl, p).await.map_err(|_| Stop)?;
        }
        let probes = [
            Probe::new(Group::Sequencing, "syst", "SYST".to_owned(), "SYST", &[215])
                .info(&[500, 502])
                .otherwise(Severity::Warning, Severity::Warning)
                .fix(tr!(
                    l,
                    "SYST answers 215 with the system type, e.g. `215 UNIX Type: L8`; clients use it to parse LIST",
                    "SYST trả lời 215 kèm loại hệ thống, ví dụ `215 UNIX Type: L8`"
                )),
            Probe::new(Group::Sequencing, "help", "HELP".to_owned(), "HELP", &[214, 211])
                .info(&[500, 502])
                .otherwise(Severity::Warning, Severity::Warning),
            Probe::new(Group::Sequencing, "noop", "NOOP".to_owned(), "NOOP", &[200])
                .otherwise(Severity::Warning, Severity::Error)
                .fix(tr!(
                    l,
                    "NOOP must answer 200 (RFC 959 5.1: part of the minimum implementation); clients use it as a keep-alive",
                    "NOOP phải trả lời 200 (RFC 959 5.1); máy khách dùng nó để giữ kết nối"
                )),
            Probe::new(
                Group::Sequencing,
                "sequence.unknown_verb",
                tr!(l, "an unknown command", "một lệnh không tồn tại"),
                "XFERROFTPDOCTOR",
                &[500, 502],
            )
            .otherwise(Severity::Error, Severity::Warning)
            .fix(tr!(
                l,
                "an unknown command must be refused with 500 (or 502), RFC 959 4.2; a positive reply makes clients believe it worked",
                "lệnh không tồn tại phải bị từ chối với 500 (hoặc 502), RFC 959 4.2"
            )),
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
                tr!(
                    l,
                    format!("current directory: {path}"),
                    format!("thư mục hiện tại: {path}")
                ),
            ),
            (257, None) => Finding::new(
                Group::Login,
                "pwd",
                Severity::Error,
                tr!(
                    l,
                    format!("257 without a quoted path: {}", r.summary()),
                    format!("257 không có đường dẫn trong ngoặc kép: {}", r.summary())
                ),
            )
            .fix(tr!(
                l,
                "PWD answers 257 \"/path\" with the path in double quotes (RFC 959 appendix II); clients cannot parse it otherwise",
                "PWD trả lời 257 \"/đường/dẫn\" với đường dẫn trong ngoặc kép (RFC 959 phụ lục II)"
            )),
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
                if limit { Severity::Warning } else { Severity::Error },
                tr!(
                    l,
                    format!("could not open another connection: {}", greeting.summary()),
                    format!("không mở được kết nối thứ hai: {}", greeting.summary())
                ),
            )
            .got(Some(&greeting))
            .expected(&[220])
            .fix(tr!(
                l,
                "the server limits connections per address; clients that open a second connection for transfers will fail",
                "máy chủ giới hạn số kết nối mỗi địa chỉ; máy khách mở kết nối thứ hai để truyền tệp sẽ lỗi"
            ));
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
                            tr!(
                                l,
                                format!("login on a second connection failed: {}", last.summary()),
                                format!(
                                    "đăng nhập trên kết nối thứ hai thất bại: {}",
                                    last.summary()
                                )
                            ),
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
        let login_fix = tr!(
            l,
            "commands other than USER, PASS, ACCT, QUIT, HELP, FEAT, AUTH... must be refused with 530 until the login succeeds",
            "các lệnh khác USER, PASS, ACCT, QUIT, HELP, FEAT, AUTH... phải bị từ chối với 530 cho tới khi đăng nhập xong"
        );
        let mut probes = vec![
            Probe::new(
                Group::Sequencing,
                "sequence.pass_before_user",
                tr!(l, "PASS before USER", "PASS trước USER"),
                "PASS ferroftp-doctor-probe",
                &[503],
            )
            .warn(&[530, 501])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(tr!(
                l,
                "PASS with no USER before it must be refused with 503 Bad sequence of commands (RFC 959 5.4)",
                "PASS khi chưa có USER phải bị từ chối với 503 (sai thứ tự lệnh), RFC 959 5.4"
            )),
            Probe::new(
                Group::Sequencing,
                "sequence.pwd_before_login",
                tr!(l, "PWD before login", "PWD trước khi đăng nhập"),
                "PWD",
                &[530],
            )
            .warn(&[503])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(login_fix.clone()),
            Probe::new(
                Group::Sequencing,
                "sequence.list_before_login",
                tr!(l, "LIST before login", "LIST trước khi đăng nhập"),
                "LIST",
                &[530],
            )
            .warn(&[503, 425])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(login_fix.clone()),
            Probe::new(
                Group::Sequencing,
                "sequence.retr_before_login",
                tr!(l, "RETR before login", "RETR trước khi đăng nhập"),
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
                    tr!(l, "PROT P before PBSZ", "PROT P trước PBSZ"),
                    "PROT P",
                    &[503],
                )
                .info(&[530])
                .otherwise(Severity::Error, Severity::Warning)
                .fix(tr!(
                    l,
                    "PROT must follow AUTH and PBSZ; otherwise 503 (RFC 4217 section 9, RFC 2228)",
                    "PROT phải đi sau AUTH và PBSZ; nếu không thì 503 (RFC 4217 mục 9, RFC 2228)"
                )),
            );
        } else {
            let f = Finding::new(
                Group::Sequencing,
                "sequence.prot_before_pbsz",
                Severity::Info,
                tr!(
                    l,
                    "skipped: FEAT does not list AUTH TLS",
                    "bỏ qua: FEAT không có AUTH TLS"
                ),
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
        let data_fix = tr!(
            l,
            "a transfer with no PORT, PASV, EPSV or EPRT before it must be refused with 425 (or 503); answering 150 leaves clients waiting for a connection that never comes",
            "truyền tệp khi chưa có PORT, PASV, EPSV hoặc EPRT phải bị từ chối với 425 (hoặc 503); trả lời 150 làm máy khách chờ mãi"
        );
        let probes = vec![
            Probe::new(
                Group::Sequencing,
                "sequence.retr_without_data_channel",
                tr!(l, "RETR without PASV/PORT", "RETR khi chưa có PASV/PORT"),
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
                tr!(l, "LIST without PASV/PORT", "LIST khi chưa có PASV/PORT"),
                "LIST",
                &[425],
            )
            .warn(&[503])
            .otherwise(Severity::Error, Severity::Warning)
            .fix(data_fix),
            Probe::new(
                Group::Sequencing,
                "sequence.rnto_without_rnfr",
                tr!(l, "RNTO without RNFR", "RNTO khi chưa có RNFR"),
                "RNTO ferroftp-doctor-renamed.txt",
                &[503],
            )
            .otherwise(Severity::Error, Severity::Warning)
            .fix(tr!(
                l,
                "RNTO must come right after a successful RNFR; otherwise 503 Bad sequence of commands (RFC 959 4.1.3)",
                "RNTO phải đi ngay sau RNFR thành công; nếu không thì 503 (sai thứ tự lệnh), RFC 959 4.1.3"
            )),
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
                tr!(
                    l,
                    "skipped: FEAT does not list EPSV",
                    "bỏ qua: FEAT không có EPSV"
                ),
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
                tr!(
                    l,
                    format!("EPSV ALL not accepted: {}", all.summary()),
                    format!("EPSV ALL không được chấp nhận: {}", all.summary())
                ),
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
            tr!(l, "PASV after EPSV ALL", "PASV sau EPSV ALL"),
            "PASV",
            &[503],
        )
        .prelude(&["EPSV ALL"])
        .otherwise(Severity::Error, Severity::Warning)
        .fix(tr!(
            l,
            "after EPSV ALL the server must refuse PASV, PORT and EPRT (RFC 2428 section 4), with 503",
            "sau EPSV ALL máy chủ phải từ chối PASV, PORT và EPRT (RFC 2428 mục 4), với 503"
        ));
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
