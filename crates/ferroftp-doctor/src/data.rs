//! Data channels: PASV (with the NAT address check), EPSV, EPRT and PORT, each tried with a
//! LIST; and the transfer machinery the listing and round-trip checks share.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::checks::{Doctor, Stop};
use super::client::{self, ActiveListener, Control, Data, NetError, Reply, ReplyExt};
use super::report::{Finding, Group, Severity};
use super::text::{DataText, Messages};
use super::tls;
use super::Lang;

/// How a data connection is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataMode {
    /// PASV; connect to the advertised address, or (when it is unreachable) to the control
    /// connection's address with the advertised port, as curl and FileZilla do.
    Pasv {
        /// Ignore the advertised address.
        use_control_ip: bool,
    },
    /// EPSV (RFC 2428): the port only; the address is the control connection's.
    Epsv,
    /// EPRT (RFC 2428): the server connects to us.
    Eprt,
    /// PORT (RFC 959): the server connects to us (IPv4 only).
    Port,
}

impl DataMode {
    fn is_active(self) -> bool {
        matches!(self, DataMode::Eprt | DataMode::Port)
    }
}

/// The two passive set-ups: what differs between PASV and EPSV when a data connection is
/// made and judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Passive {
    /// PASV (RFC 959): `227` with an IPv4 address and port.
    Pasv,
    /// EPSV (RFC 2428): `229` with the port only.
    Epsv,
}

impl Passive {
    fn of(mode: DataMode) -> Option<Passive> {
        match mode {
            DataMode::Pasv { .. } => Some(Passive::Pasv),
            DataMode::Epsv => Some(Passive::Epsv),
            DataMode::Eprt | DataMode::Port => None,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Passive::Pasv => "PASV",
            Passive::Epsv => "EPSV",
        }
    }

    /// The positive reply.
    fn code(self) -> u16 {
        match self {
            Passive::Pasv => 227,
            Passive::Epsv => 229,
        }
    }

    fn check(self) -> &'static str {
        match self {
            Passive::Pasv => "data.pasv",
            Passive::Epsv => "data.epsv",
        }
    }

    fn connect_check(self) -> &'static str {
        match self {
            Passive::Pasv => "data.pasv.connect",
            Passive::Epsv => "data.epsv.connect",
        }
    }

    /// Where to connect for the positive reply `setup`, or `None` when its address cannot
    /// be read. PASV records the advertised address in `x`, and goes to the control
    /// connection's address instead when `mode` says so.
    fn target(
        self,
        mode: DataMode,
        setup: &Reply,
        peer_ip: IpAddr,
        x: &mut Xfer,
    ) -> Option<SocketAddr> {
        let text = setup.lines.join(" ");
        match self {
            Passive::Pasv => {
                let (ip, port) = client::parse_pasv(&text)?;
                let advertised = SocketAddr::new(IpAddr::V4(ip), port);
                x.advertised = Some(advertised);
                let use_control_ip = matches!(
                    mode,
                    DataMode::Pasv {
                        use_control_ip: true
                    }
                );
                Some(if use_control_ip {
                    SocketAddr::new(peer_ip, port)
                } else {
                    advertised
                })
            }
            Passive::Epsv => Some(SocketAddr::new(peer_ip, client::parse_epsv(&text)?)),
        }
    }

    /// How bad a refused (or, with the positive code, unreadable) setup reply is, and the
    /// fix. EPSV is optional on IPv4 but the only passive mode on IPv6; PASV the reverse.
    fn refusal(self, code: u16, v6: bool, l: Lang) -> (Severity, String) {
        let not_implemented = matches!(code, 500 | 502);
        match self {
            Passive::Pasv if code == 227 => {
                (Severity::Error, DataText::Code227MustCarryAddress.text(l))
            }
            Passive::Pasv if v6 => (Severity::Info, DataText::UseEPSVIPv6.text(l)),
            Passive::Pasv if not_implemented => {
                (Severity::Warning, DataText::PASVNotImplementedMost.text(l))
            }
            Passive::Pasv => (Severity::Error, DataText::PasvCouldNotOpen.text(l)),
            Passive::Epsv if code == 229 => {
                (Severity::Error, DataText::Code229MustCarryPort.text(l))
            }
            Passive::Epsv if not_implemented && !v6 => {
                (Severity::Info, DataText::EPSVOptionalIPv4But.text(l))
            }
            Passive::Epsv if v6 => (Severity::Error, DataText::IPv6EPSVOnlyPassive.text(l)),
            Passive::Epsv => (Severity::Warning, DataText::EpsvCouldNotOpen.text(l)),
        }
    }
}

/// What happened during one transfer.
#[derive(Debug, Default)]
pub(super) struct Xfer {
    /// Commands sent.
    pub sent: Vec<String>,
    /// The reply to PASV/EPSV/EPRT/PORT (none when no local listener could be made).
    pub setup: Option<Reply>,
    /// A 227/229 reply whose address could not be parsed.
    pub setup_error: bool,
    /// The address a PASV reply advertised.
    pub advertised: Option<SocketAddr>,
    /// Where the data connection went (passive) or was expected from (active: our listener).
    pub target: Option<SocketAddr>,
    /// The data connection could not be made (passive connect, active accept, local bind).
    pub connect_error: Option<NetError>,
    /// The reply to the transfer command.
    pub start: Option<Reply>,
    /// Bytes downloaded.
    pub data: Option<Vec<u8>>,
    /// The data connection failed mid-transfer.
    pub data_error: Option<NetError>,
    /// The final reply.
    pub end: Option<Reply>,
}

impl Xfer {
    /// Whether the transfer went through: a 1yz start, no data error, a 2yz end.
    pub fn completed(&self) -> bool {
        self.start.as_ref().is_some_and(Reply::is_preliminary)
            && self.connect_error.is_none()
            && self.data_error.is_none()
            && self
                .end
                .as_ref()
                .is_some_and(|r| (200..300).contains(&r.code))
    }

    /// Whether the data connection was made (and so the transfer command was sent).
    fn connected(&self) -> bool {
        self.connect_error.is_none() && self.start.is_some()
    }
}

/// Where a data connection comes from.
enum Source {
    /// Connected to a passive port.
    Passive(Data),
    /// The server connects to this listener.
    Active(ActiveListener),
}

/// Why a data connection could not be made.
enum Opening {
    /// No connection (an active-mode accept that timed out...).
    Connect(NetError),
    /// The connection was made, but its TLS handshake failed.
    Tls(tls::Failure),
}

/// A data connection being made, in a task of its own, while the transfer command is sent
/// and its `1yz` read. Servers differ in order: ferroftp and vsftpd send `150` and then wait
/// for the ClientHello, others want the handshake before the `150`. Making the connection
/// (the accept in active mode, the handshake under `PROT P`) alongside the command serves
/// both without a deadlock. Dropping it stops the task.
struct Pending(JoinHandle<Result<(Data, Option<bool>), Opening>>);

impl Pending {
    /// Starts making the connection: the accept (active mode), then the handshake when
    /// `session` is given. The result carries whether the session was resumed.
    fn start(source: Source, session: Option<tls::Session>, limit: Duration) -> Pending {
        Pending(tokio::spawn(async move {
            let data = match source {
                Source::Passive(d) => d,
                Source::Active(l) => l.accept(limit).await.map_err(Opening::Connect)?.0,
            };
            match session {
                None => Ok((data, None)),
                Some(s) => tls::secure_data(data, &s, limit)
                    .await
                    .map(|(d, resumed)| (d, Some(resumed)))
                    .map_err(Opening::Tls),
            }
        }))
    }

    /// Waits for the connection.
    async fn wait(&mut self) -> Result<(Data, Option<bool>), Opening> {
        match (&mut self.0).await {
            Ok(r) => r,
            Err(e) => Err(Opening::Connect(NetError::Io {
                kind: std::io::ErrorKind::Other,
                message: e.to_string(),
            })),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Addresses a client on the Internet cannot reach: private, loopback, link-local,
/// carrier-grade NAT, unspecified.
pub(super) fn unroutable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [o1, o2, ..] = a.octets();
            a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || (o1 == 100 && (o2 & 0xc0) == 64)
        }
        IpAddr::V6(a) => {
            let s0 = a.segments()[0];
            a.is_loopback()
                || a.is_unspecified()
                || (s0 & 0xfe00) == 0xfc00
                || (s0 & 0xffc0) == 0xfe80
        }
    }
}

impl Doctor<'_> {
    /// Runs one transfer: sets up the data channel with `mode`, sends `cmd`, moves the data
    /// (`upload` bytes, or a download), reads the final reply. Failures of the data channel
    /// are in the result; a failure of the control connection is reported under `check`
    /// and stops the run. When a data failure leaves the control connection waiting for a
    /// reply that does not come, a fresh logged-in connection replaces it.
    pub(super) async fn transfer(
        &mut self,
        ctl: &mut Control,
        group: Group,
        check: &str,
        mode: DataMode,
        cmd: &str,
        upload: Option<&[u8]>,
    ) -> Result<Xfer, Stop> {
        let timeout = self.timeout();
        let mut x = Xfer::default();
        let listener = if mode.is_active() {
            match ActiveListener::bind(ctl.local.ip()).await {
                Ok(l) => Some(l),
                Err(e) => {
                    x.connect_error = Some(e);
                    return Ok(x);
                }
            }
        } else {
            None
        };
        let setup_cmd = match (mode, &listener) {
            (DataMode::Pasv { .. }, _) => "PASV".to_owned(),
            (DataMode::Epsv, _) => "EPSV".to_owned(),
            (DataMode::Eprt, Some(l)) => format!("EPRT {}", client::eprt_arg(l.addr)),
            (DataMode::Port, Some(l)) => match l.addr.ip() {
                IpAddr::V4(ip) => format!("PORT {}", client::port_arg(ip, l.addr.port())),
                IpAddr::V6(_) => return Ok(x),
            },
            _ => return Ok(x),
        };
        x.sent.push(setup_cmd.clone());
        let setup = match ctl.cmd(&setup_cmd).await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(group, check, &x.sent, &e);
                return Err(Stop);
            }
        };
        x.setup = Some(setup.clone());
        let peer_ip = ctl.peer.ip();
        let session = self.data_session(ctl);
        let source;
        match mode {
            DataMode::Pasv { .. } | DataMode::Epsv => {
                let Some(kind) = Passive::of(mode) else {
                    return Ok(x);
                };
                if setup.code != kind.code() {
                    return Ok(x);
                }
                let Some(target) = kind.target(mode, &setup, peer_ip, &mut x) else {
                    x.setup_error = true;
                    return Ok(x);
                };
                x.target = Some(target);
                match Data::connect(target, timeout).await {
                    Ok(d) => source = Source::Passive(d),
                    Err(e) => {
                        x.connect_error = Some(e);
                        return Ok(x);
                    }
                }
            }
            DataMode::Eprt | DataMode::Port => {
                if !(200..300).contains(&setup.code) {
                    return Ok(x);
                }
                let Some(l) = listener else {
                    return Ok(x);
                };
                x.target = Some(l.addr);
                source = Source::Active(l);
            }
        }
        let secured = session.is_some();
        let mut pending = Pending::start(source, session, timeout);
        x.sent.push(cmd.to_owned());
        let start = match ctl.cmd(cmd).await {
            Ok(r) => r,
            Err(e) => {
                self.net_failure(group, check, &x.sent, &e);
                return Err(Stop);
            }
        };
        x.start = Some(start.clone());
        if !start.is_preliminary() {
            return Ok(x);
        }
        let data = match pending.wait().await {
            Ok((d, resumed)) => {
                if let Some(resumed) = resumed {
                    self.log_tls_handshake(Ok(resumed));
                }
                Some(d)
            }
            Err(Opening::Connect(e)) => {
                x.connect_error = Some(e);
                None
            }
            Err(Opening::Tls(why)) => {
                self.log_tls_handshake(Err(&why));
                x.data_error = Some(tls::data_error(&why));
                None
            }
        };
        // An upload's connection stays open until the final reply (see Data::write_all).
        let mut sending = None;
        if let Some(mut d) = data {
            match upload {
                Some(bytes) => {
                    if let Err(e) = d.write_all(bytes, timeout).await {
                        x.data_error = Some(e);
                    }
                    sending = Some(d);
                }
                None => match d.read_all(timeout).await {
                    Ok(bytes) => x.data = Some(bytes),
                    Err(e) => x.data_error = Some(e),
                },
            }
        }
        let end = ctl.reply().await;
        drop(sending);
        if let Ok(r) = &end {
            x.end = Some(r.clone());
        }
        if secured {
            self.log_tls_transfer(cmd, x.connect_error.is_none(), x.completed());
        }
        match end {
            Ok(_) => {}
            Err(NetError::Timeout { .. })
                if x.connect_error.is_some() || x.data_error.is_some() =>
            {
                // The server still waits on the failed data connection: start afresh.
                match self.open(true, group, check).await {
                    Some(fresh) => *ctl = fresh,
                    None => return Err(Stop),
                }
                if let Some(path) = self.cfg.target.path.clone() {
                    let _ = ctl.cmd(&format!("CWD {path}")).await;
                }
            }
            Err(e) => {
                self.net_failure(group, check, &x.sent, &e);
                return Err(Stop);
            }
        }
        Ok(x)
    }

    /// Reports a transfer whose data channel was set up: the 1yz start, the data, the 2yz
    /// end. Returns whether it completed.
    pub(super) fn report_transfer(
        &mut self,
        group: Group,
        check: &str,
        what: &str,
        x: &Xfer,
    ) -> bool {
        let l = self.lang;
        let f = if let Some(start) = x.start.as_ref().filter(|r| !r.is_preliminary()) {
            Finding::new(
                group,
                check,
                Severity::Error,
                format!("{what}: {}", start.summary()),
            )
            .got(Some(start))
            .expected(&[150, 125])
        } else if let Some(e) = &x.connect_error {
            Finding::new(
                group,
                check,
                Severity::Error,
                DataText::NoDataConnection.fill(l, &[("what", &what), ("e", &e)]),
            )
            .got(x.setup.as_ref())
        } else if x.start.is_none() {
            let detail = match &x.setup {
                Some(r) => DataText::DataChannelRefused
                    .fill(l, &[("what", &what), ("reply", &r.summary())]),
                None => DataText::NoDataChannel.fill(l, &[("what", &what)]),
            };
            Finding::new(group, check, Severity::Error, detail).got(x.setup.as_ref())
        } else if let Some(e) = &x.data_error {
            Finding::new(
                group,
                check,
                Severity::Error,
                DataText::DataConnectionFailed.fill(l, &[("what", &what), ("e", &e)]),
            )
            .got(x.end.as_ref())
        } else {
            match &x.end {
                Some(end) if (200..300).contains(&end.code) => {
                    let bytes = x.data.as_ref().map(Vec::len);
                    let detail = match bytes {
                        Some(n) => DataText::BytesThen
                            .fill(l, &[("what", &what), ("n", &n), ("reply", &end.summary())]),
                        None => format!("{what}: {}", end.summary()),
                    };
                    let f = Finding::new(group, check, Severity::Ok, detail)
                        .sent(&x.sent)
                        .got(Some(end))
                        .expected(&[226, 250]);
                    self.push(f);
                    return true;
                }
                Some(end) => Finding::new(
                    group,
                    check,
                    Severity::Error,
                    format!("{what}: {}", end.summary()),
                )
                .got(Some(end))
                .expected(&[226, 250]),
                None => Finding::new(
                    group,
                    check,
                    Severity::Error,
                    DataText::NoFinalReplyConnection.fill(l, &[("what", &what)]),
                )
                .expected(&[226, 250]),
            }
        };
        let fix = if x.start.as_ref().is_some_and(|r| !r.is_preliminary()) {
            DataText::ServerRefusedCommandCheck.text(l)
        } else if x.connect_error.is_some() || x.start.is_none() {
            DataText::DataConnectionCouldNot.text(l)
        } else if x.data_error.is_some() {
            DataText::DataConnectionStalledBroke.text(l)
        } else {
            DataText::TransferDidNotComplete.text(l)
        };
        self.push(f.sent(&x.sent).fix(fix));
        false
    }

    /// PASV, EPSV, EPRT and PORT, each with a LIST; remembers the best one that works.
    pub(super) async fn data_channels(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let mut working = Vec::new();
        if let Some(mode) = self.pasv_check(ctl).await? {
            working.push(mode);
        }
        if self.epsv_check(ctl).await? {
            working.push(DataMode::Epsv);
        }
        if self.active_check(ctl, DataMode::Eprt).await? {
            working.push(DataMode::Eprt);
        }
        if ctl.local.is_ipv4() && self.active_check(ctl, DataMode::Port).await? {
            working.push(DataMode::Port);
        }
        let rank = |m: &DataMode| match m {
            DataMode::Epsv => 0,
            DataMode::Pasv { .. } => 1,
            DataMode::Eprt => 2,
            DataMode::Port => 3,
        };
        self.data_mode = working.into_iter().min_by_key(rank);
        if self.data_mode.is_none() {
            let l = self.lang;
            let f = Finding::new(
                Group::Data,
                "data",
                Severity::Error,
                DataText::NoDataChannelWorks.text(l),
            )
            .fix(DataText::OpenPassivePortRange.text(l));
            self.push(f);
        }
        Ok(())
    }

    /// PASV: the 227 format, the advertised address (NAT), reachability, a LIST.
    async fn pasv_check(&mut self, ctl: &mut Control) -> Result<Option<DataMode>, Stop> {
        let l = self.lang;
        let peer_ip = ctl.peer.ip();
        let mode = DataMode::Pasv {
            use_control_ip: false,
        };
        let x = self
            .transfer(ctl, Group::Data, "data.pasv", mode, "LIST", None)
            .await?;
        let Some((setup, advertised)) = self.passive_setup(Passive::Pasv, &x, peer_ip.is_ipv6())
        else {
            return Ok(None);
        };
        let sent = [Passive::Pasv.verb()];
        let differs = advertised.ip() != peer_ip;
        let nat_fix = DataText::SetPublicAddressPassive.text(l);
        if differs {
            let (severity, detail) = if unroutable(advertised.ip()) {
                (
                    Severity::Warning,
                    DataText::PASVAdvertisesPrivateUnroutable
                        .fill(l, &[("ip", &advertised.ip()), ("peer_ip", &peer_ip)]),
                )
            } else {
                (
                    Severity::Info,
                    DataText::PASVAdvertisesNotAddress
                        .fill(l, &[("ip", &advertised.ip()), ("peer_ip", &peer_ip)]),
                )
            };
            let f = Finding::new(Group::Data, "data.pasv.address", severity, detail)
                .sent(&sent)
                .got(Some(&setup))
                .fix(nat_fix.clone());
            self.push(f);
        }
        let Some(e) = x.connect_error.clone() else {
            let f = Finding::new(
                Group::Data,
                "data.pasv.connect",
                Severity::Ok,
                DataText::Connected.fill(l, &[("advertised", &advertised)]),
            );
            self.push(f);
            let ok = self.report_transfer(Group::Data, "data.list.pasv", "LIST (PASV)", &x);
            return Ok(ok.then_some(mode));
        };
        if differs {
            let retry_mode = DataMode::Pasv {
                use_control_ip: true,
            };
            let y = self
                .transfer(
                    ctl,
                    Group::Data,
                    "data.pasv.connect",
                    retry_mode,
                    "LIST",
                    None,
                )
                .await?;
            if y.connected() {
                let f = Finding::new(
                    Group::Data,
                    "data.pasv.connect",
                    Severity::Warning,
                    DataText::CannotConnectAdvertisedServer
                        .fill(l, &[("advertised", &advertised), ("e", &e)]),
                )
                .sent(&y.sent)
                .fix(nat_fix);
                self.push(f);
                let ok = self.report_transfer(Group::Data, "data.list.pasv", "LIST (PASV)", &y);
                return Ok(ok.then_some(retry_mode));
            }
            let f = Finding::new(
                Group::Data,
                "data.pasv.connect",
                Severity::Error,
                DataText::CannotConnectAdvertisedNor.fill(
                    l,
                    &[
                        ("advertised", &advertised),
                        ("e", &e),
                        ("peer_ip", &peer_ip),
                    ],
                ),
            )
            .sent(&y.sent)
            .got(y.setup.as_ref())
            .fix(nat_fix);
            self.push(f);
            return Ok(None);
        }
        self.passive_unreachable(Passive::Pasv, advertised, &e);
        Ok(None)
    }

    /// EPSV: the 229 format, reachability, a LIST.
    async fn epsv_check(&mut self, ctl: &mut Control) -> Result<bool, Stop> {
        let v6 = ctl.peer.is_ipv6();
        let x = self
            .transfer(ctl, Group::Data, "data.epsv", DataMode::Epsv, "LIST", None)
            .await?;
        let Some((_, target)) = self.passive_setup(Passive::Epsv, &x, v6) else {
            return Ok(false);
        };
        if let Some(e) = &x.connect_error {
            self.passive_unreachable(Passive::Epsv, target, e);
            return Ok(false);
        }
        Ok(self.report_transfer(Group::Data, "data.list.epsv", "LIST (EPSV)", &x))
    }

    /// The setup reply of a passive transfer: a finding on why it is refused or malformed
    /// (then `None`), or one saying where the passive port is, with the reply and that
    /// address (PASV's advertised one; EPSV's port at the control connection's address).
    fn passive_setup(&mut self, kind: Passive, x: &Xfer, v6: bool) -> Option<(Reply, SocketAddr)> {
        let l = self.lang;
        let setup = x.setup.clone()?;
        let sent = [kind.verb()];
        if setup.code != kind.code() || x.setup_error {
            let (severity, fix) = kind.refusal(setup.code, v6, l);
            let f = Finding::new(
                Group::Data,
                kind.check(),
                severity,
                format!("{}: {}", kind.verb(), setup.summary()),
            )
            .sent(&sent)
            .got(Some(&setup))
            .expected(&[kind.code()])
            .fix(fix);
            self.push(f);
            return None;
        }
        let addr = match kind {
            Passive::Pasv => x.advertised?,
            Passive::Epsv => x.target?,
        };
        let detail = match kind {
            Passive::Pasv => DataText::PassivePortAdvertisedAt.fill(l, &[("advertised", &addr)]),
            Passive::Epsv => DataText::ExtendedPassivePortAt.fill(l, &[("target", &addr)]),
        };
        let f = Finding::new(Group::Data, kind.check(), Severity::Ok, detail)
            .sent(&sent)
            .got(Some(&setup))
            .expected(&[kind.code()]);
        self.push(f);
        Some((setup, addr))
    }

    /// The finding for a passive port that cannot be reached at `addr`.
    fn passive_unreachable(&mut self, kind: Passive, addr: SocketAddr, e: &NetError) {
        let l = self.lang;
        let detail = match kind {
            Passive::Pasv => {
                DataText::CannotConnectPassivePort.fill(l, &[("advertised", &addr), ("e", e)])
            }
            Passive::Epsv => DataText::CannotConnect.fill(l, &[("target", &addr), ("e", e)]),
        };
        let f = Finding::new(Group::Data, kind.connect_check(), Severity::Error, detail)
            .sent(&[kind.verb()])
            .fix(DataText::OpenPassivePortRangeServer.text(l));
        self.push(f);
    }

    /// EPRT or PORT from a local listener: the server must accept the address and connect.
    async fn active_check(&mut self, ctl: &mut Control, mode: DataMode) -> Result<bool, Stop> {
        let l = self.lang;
        let (name, check, list_check) = match mode {
            DataMode::Port => ("PORT", "data.port", "data.list.port"),
            _ => ("EPRT", "data.eprt", "data.list.eprt"),
        };
        let x = self
            .transfer(ctl, Group::Data, check, mode, "LIST", None)
            .await?;
        let Some(setup) = x.setup.clone() else {
            let why = x.connect_error.map(|e| e.to_string()).unwrap_or_default();
            let f = Finding::new(
                Group::Data,
                check,
                Severity::Info,
                DataText::SkippedCannotListenLocally.fill(l, &[("why", &why)]),
            );
            self.push(f);
            return Ok(false);
        };
        let sent = &x.sent[..1];
        if !(200..300).contains(&setup.code) {
            let (severity, fix) = match setup.code {
                500 | 502 if mode == DataMode::Eprt => {
                    (Severity::Info, DataText::EPRTOptionalIPv4RFC.text(l))
                }
                _ => (Severity::Warning, DataText::ActiveModeRefusedFine.text(l)),
            };
            let f = Finding::new(
                Group::Data,
                check,
                severity,
                format!("{name}: {}", setup.summary()),
            )
            .sent(sent)
            .got(Some(&setup))
            .expected(&[200])
            .fix(fix);
            self.push(f);
            return Ok(false);
        }
        let f = Finding::new(
            Group::Data,
            check,
            Severity::Ok,
            format!("{name}: {}", setup.summary()),
        )
        .sent(sent)
        .got(Some(&setup))
        .expected(&[200]);
        self.push(f);
        let refused = x.start.as_ref().is_some_and(|r| !r.is_preliminary());
        if x.connect_error.is_some() || refused {
            let target = x.target.map(|t| t.to_string()).unwrap_or_default();
            let why = match (&x.connect_error, x.end.as_ref().or(x.start.as_ref())) {
                (_, Some(r)) => r.summary(),
                (Some(e), None) => e.to_string(),
                (None, None) => String::new(),
            };
            let f = Finding::new(
                Group::Data,
                list_check,
                Severity::Warning,
                DataText::LISTServerDidNot
                    .fill(l, &[("name", &name), ("target", &target), ("why", &why)]),
            )
            .sent(&x.sent)
            .got(x.end.as_ref().or(x.start.as_ref()))
            .expected(&[150, 125])
            .fix(DataText::ActiveModeNeedsServer.text(l));
            self.push(f);
            return Ok(false);
        }
        let what = format!("LIST ({name})");
        Ok(self.report_transfer(Group::Data, list_check, &what, &x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unroutable_addresses() {
        for a in [
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "127.0.0.1",
            "0.0.0.0",
            "100.64.1.1",
            "169.254.0.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(unroutable(a.parse().unwrap()), "{a}");
        }
        for a in ["203.0.113.7", "8.8.8.8", "100.128.0.1", "2001:db8::1"] {
            assert!(!unroutable(a.parse().unwrap()), "{a}");
        }
    }
}
