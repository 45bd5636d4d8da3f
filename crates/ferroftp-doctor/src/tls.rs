//! The doctor's TLS client (rustls with the ring provider) and the TLS checks.
//!
//! The checks call [`Client::secure_control`] after a `234` to AUTH TLS (and for
//! `--implicit-tls` right after connecting) and [`secure_data`] for each data connection
//! once `PROT P` is in effect.
//!
//! Certificates are checked against the Mozilla root store (webpki-roots), but an untrusted
//! certificate does not stop the handshake: the verdict (trusted, or why not: self-signed,
//! unknown issuer, expired, not issued for the host...) is recorded and reported, so every
//! other check still runs against servers with self-signed or private-CA certificates. The
//! signatures of the handshake itself are always verified.
//!
//! Each control connection gets a client configuration, and so a session cache, of its own,
//! shared with its data connections: servers keep one session cache per control connection
//! and many refuse a data connection that does not resume its control connection's session,
//! so a cache shared by the doctor's several control connections would hand a data connection
//! the tickets of another control connection (and let those use up the main one's
//! single-use TLS 1.3 tickets).

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, HandshakeKind, ProtocolVersion,
    RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::TlsConnector;
use x509_parser::extensions::GeneralName;

use super::checks::{Doctor, Stop};
use super::client::{Control, Data, NetError, Reply, ReplyExt, Stream};
use super::report::{Finding, Group, Severity};
use super::target::TlsMode;
use super::text::{Messages, TlsText};
use super::Lang;

/// Why a connection could not be secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The TLS client could not be set up (a host name that cannot be a TLS server name).
    Setup(String),
    /// The handshake did not finish within the step timeout.
    Timeout(Duration),
    /// The handshake failed; rustls' reason.
    Handshake(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Setup(why) => write!(f, "cannot set up the TLS client: {why}"),
            Failure::Timeout(after) => {
                write!(f, "no TLS handshake within {}s", after.as_secs_f32())
            }
            Failure::Handshake(why) => write!(f, "TLS handshake failed: {why}"),
        }
    }
}

/// Why a certificate is not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Signed by its own key, not by a certificate authority.
    SelfSigned,
    /// Signed by an authority that is not in the root store (a private CA, or a chain
    /// without its intermediate certificates).
    UnknownIssuer,
    /// Past its validity period.
    Expired,
    /// Before its validity period.
    NotYetValid,
    /// Not issued for the host name (or address) connected to.
    NameMismatch,
    /// Anything else, as rustls puts it.
    Other(String),
}

impl Reason {
    fn describe(&self, host: &str, lang: Lang) -> String {
        match self {
            Reason::SelfSigned => TlsText::SelfSigned.text(lang),
            Reason::UnknownIssuer => TlsText::IssuedUnknownCertificateAuthority.text(lang),
            Reason::Expired => TlsText::Expired.text(lang),
            Reason::NotYetValid => TlsText::NotValidYet.text(lang),
            Reason::NameMismatch => TlsText::NotIssued.fill(lang, &[("host", &host)]),
            Reason::Other(why) => why.clone(),
        }
    }
}

/// What the certificate check said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The chain leads to a trusted root, and the certificate is valid for the host.
    Trusted,
    /// Why it is not trusted.
    Untrusted(Vec<Reason>),
}

/// The reason a webpki error stands for.
fn reason_of(e: &rustls::Error) -> Reason {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => Reason::UnknownIssuer,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => Reason::Expired,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Reason::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Reason::NameMismatch
            }
            _ => Reason::Other(e.to_string()),
        },
        _ => Reason::Other(e.to_string()),
    }
}

/// A certificate verifier that delegates to webpki and records its verdict instead of
/// failing the handshake on it. Signatures of the handshake are verified for real.
#[derive(Debug)]
struct Recorder {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    verdict: Mutex<Option<Verdict>>,
}

impl Recorder {
    /// The verdict on the last certificate seen.
    fn take(&self) -> Option<Verdict> {
        self.verdict
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Why `end_entity` is not trusted, given webpki's first complaint.
    fn reasons(
        &self,
        error: &rustls::Error,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Vec<Reason> {
        let first = reason_of(error);
        let Some(info) = CertInfo::parse(end_entity).filter(|c| c.self_issued) else {
            return vec![first];
        };
        // Trusting the certificate itself shows whether it is really self-signed, and what
        // else is wrong with it (its name, its dates).
        let mut reasons = vec![Reason::SelfSigned];
        match self.verify_by_itself(end_entity, server_name, ocsp, now) {
            Some(Ok(())) => {}
            Some(Err(e)) => match reason_of(&e) {
                // The same name as its issuer's, but signed by another key.
                Reason::UnknownIssuer => return vec![Reason::UnknownIssuer],
                r @ (Reason::Expired | Reason::NotYetValid | Reason::NameMismatch) => {
                    reasons.push(r);
                }
                // Refused for its shape (a CA certificate used by a server, as
                // `openssl req -x509` makes them): at least check the name.
                _ if !info.valid_for(server_name) => reasons.push(Reason::NameMismatch),
                _ => {}
            },
            None if !info.valid_for(server_name) => reasons.push(Reason::NameMismatch),
            None => {}
        }
        reasons
    }

    /// Verifies `end_entity` with itself as the only trusted root; `None` when it cannot
    /// be made a root.
    fn verify_by_itself(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Option<Result<(), rustls::Error>> {
        let mut roots = RootCertStore::empty();
        roots.add(end_entity.clone().into_owned()).ok()?;
        let itself =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .ok()?;
        Some(
            itself
                .verify_server_cert(end_entity, &[], server_name, ocsp, now)
                .map(|_| ()),
        )
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(_) => Verdict::Trusted,
            Err(e) => {
                Verdict::Untrusted(self.reasons(&e, end_entity, server_name, ocsp_response, now))
            }
        };
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS client of one doctor run: the crypto provider, the root store and the server
/// name to check certificates against.
#[derive(Debug, Clone)]
pub struct Client {
    provider: Arc<CryptoProvider>,
    webpki: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl Client {
    /// A client for `host` (a name, sent as SNI, or an IP address, not sent) that trusts the
    /// Mozilla root store.
    pub fn new(host: &str) -> Result<Client, Failure> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Client::with_roots(host, roots)
    }

    /// A client for `host` that trusts `roots`.
    fn with_roots(host: &str, roots: RootCertStore) -> Result<Client, Failure> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| Failure::Setup(format!("{host:?}: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Failure::Setup(e.to_string()))?;
        Ok(Client {
            provider,
            webpki,
            name,
        })
    }

    /// A configuration with a session cache and a certificate verdict of its own.
    fn session(&self) -> Result<(Session, Arc<Recorder>), Failure> {
        let recorder = Arc::new(Recorder {
            webpki: self.webpki.clone(),
            provider: self.provider.clone(),
            verdict: Mutex::new(None),
        });
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::Setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        // One server name per configuration; rustls keeps up to eight TLS 1.3 tickets for it.
        config.resumption = Resumption::in_memory_sessions(1);
        let session = Session {
            config: Arc::new(config),
            name: self.name.clone(),
        };
        Ok((session, recorder))
    }

    /// Runs the TLS handshake on the control connection (after `234`, or at once for
    /// implicit TLS) within the connection's step timeout. On success the connection
    /// carries TLS from then on, and keeps the session for its data connections.
    pub async fn secure_control(&self, ctl: &mut Control) -> Result<Handshake, Failure> {
        let (session, recorder) = self.session()?;
        let stream = ctl.take_stream();
        let tls = handshake(&session, stream, ctl.timeout).await?;
        let (_, conn) = tls.get_ref();
        let done = Handshake {
            version: conn.protocol_version(),
            suite: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite())),
            group: conn
                .negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name())),
            leaf: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.clone().into_owned()),
            verdict: recorder.take(),
        };
        ctl.set_stream(Box::new(tls));
        ctl.tls = Some(session);
        Ok(done)
    }
}

/// The TLS session of a control connection, for its data connections to resume.
#[derive(Clone)]
pub struct Session {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl Session {
    /// The same client without a session cache: every handshake is a full one.
    fn without_resumption(&self) -> Session {
        let mut config = (*self.config).clone();
        config.resumption = Resumption::disabled();
        Session {
            config: Arc::new(config),
            name: self.name.clone(),
        }
    }
}

/// Runs a client handshake over `stream` within `limit`.
async fn handshake(
    session: &Session,
    stream: Box<dyn Stream>,
    limit: Duration,
) -> Result<tokio_rustls::client::TlsStream<Box<dyn Stream>>, Failure> {
    let connector = TlsConnector::from(session.config.clone());
    match tokio::time::timeout(limit, connector.connect(session.name.clone(), stream)).await {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(e)) => Err(Failure::Handshake(describe_io(&e))),
        Err(_) => Err(Failure::Timeout(limit)),
    }
}

/// A handshake error in words: rustls' own reason when there is one.
fn describe_io(e: &io::Error) -> String {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                format!("{tls} (the server does not speak TLS here)")
            }
            _ => tls.to_string(),
        };
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "the server closed the connection".to_owned(),
        io::ErrorKind::ConnectionReset => "the server reset the connection".to_owned(),
        _ => e.to_string(),
    }
}

/// Runs the TLS handshake on a data connection (`PROT P`), resuming the control
/// connection's session as RFC 4217 servers commonly require. Returns the secured
/// connection and whether the session was resumed.
pub async fn secure_data(
    data: Data,
    session: &Session,
    limit: Duration,
) -> Result<(Data, bool), Failure> {
    let tls = handshake(session, data.into_stream(), limit).await?;
    let resumed = tls.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
    Ok((Data::from_stream(Box::new(tls)), resumed))
}

/// What a control connection's handshake gave.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The TLS version negotiated.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite, by its IANA name.
    pub suite: Option<String>,
    /// The key exchange group.
    pub group: Option<String>,
    /// The server's certificate.
    pub leaf: Option<CertificateDer<'static>>,
    /// The certificate check's verdict.
    pub verdict: Option<Verdict>,
}

/// A TLS version's usual name.
fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The SHA-256 fingerprint of a certificate as `AB:CD:...`, as `ferroftp serve` prints it.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

impl Handshake {
    /// `tls.handshake`, `tls.version`, `tls.cipher` and `tls.certificate`.
    fn findings(&self, host: &str, sent: &[&str], lang: Lang) -> Vec<Finding> {
        let l = lang;
        let mut out = vec![Finding::new(
            Group::Tls,
            "tls.handshake",
            Severity::Ok,
            TlsText::TLSHandshakeCompleted.fill(l, &[("host", &host)]),
        )
        .sent(sent)];
        let version = self.version.map(version_name).unwrap_or_else(|| "?".into());
        let modern = matches!(
            self.version,
            Some(ProtocolVersion::TLSv1_3 | ProtocolVersion::TLSv1_2)
        );
        let mut f = Finding::new(
            Group::Tls,
            "tls.version",
            if modern {
                Severity::Ok
            } else {
                Severity::Warning
            },
            TlsText::Negotiated.fill(l, &[("version", &version)]),
        );
        if !modern {
            f = f.fix(TlsText::AllowTLS12.text(l));
        }
        out.push(f);
        let suite = self.suite.clone().unwrap_or_else(|| "?".into());
        let detail = match &self.group {
            Some(g) => TlsText::CipherSuiteKeyExchange.fill(l, &[("suite", &suite), ("g", &g)]),
            None => TlsText::CipherSuite.fill(l, &[("suite", &suite)]),
        };
        out.push(Finding::new(
            Group::Tls,
            "tls.cipher",
            Severity::Info,
            detail,
        ));
        out.push(self.certificate_finding(host, lang));
        out
    }

    /// `tls.certificate`: trusted, or why not, with the names and the fingerprint.
    fn certificate_finding(&self, host: &str, lang: Lang) -> Finding {
        let l = lang;
        let Some(leaf) = &self.leaf else {
            return Finding::new(
                Group::Tls,
                "tls.certificate",
                Severity::Warning,
                TlsText::ServerSentNoCertificate.text(l),
            );
        };
        let fp = fingerprint(leaf.as_ref());
        let mut facts = Vec::new();
        if let Some(info) = CertInfo::parse(leaf.as_ref()) {
            if let Some(cn) = &info.common_name {
                facts.push(TlsText::SubjectCN.fill(l, &[("cn", &cn)]));
            }
            let names = show_names(&info.names);
            facts.push(TlsText::Names.fill(l, &[("names", &names)]));
        }
        facts.push(TlsText::SHA256Fingerprint.fill(l, &[("fp", &fp)]));
        let facts = facts.join("; ");
        match &self.verdict {
            Some(Verdict::Trusted) => Finding::new(
                Group::Tls,
                "tls.certificate",
                Severity::Ok,
                TlsText::TrustedValid.fill(l, &[("host", &host), ("facts", &facts)]),
            ),
            verdict => {
                let reasons = match verdict {
                    Some(Verdict::Untrusted(r)) => r
                        .iter()
                        .map(|r| r.describe(host, l))
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => TlsText::NotChecked.text(l),
                };
                Finding::new(
                    Group::Tls,
                    "tls.certificate",
                    Severity::Warning,
                    TlsText::NotTrusted.fill(l, &[("reasons", &reasons), ("facts", &facts)]),
                )
                .fix(TlsText::ClientsWillWarnRefuse.text(l))
            }
        }
    }
}

/// Names for display: at most eight, then a count.
fn show_names(names: &[String]) -> String {
    if names.is_empty() {
        return "-".to_owned();
    }
    let mut shown: Vec<String> = names.iter().take(8).cloned().collect();
    if names.len() > 8 {
        shown.push(format!("+{}", names.len() - 8));
    }
    shown.join(", ")
}

/// The few facts of a certificate the report shows, read from its DER encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CertInfo {
    /// The subject's common name.
    common_name: Option<String>,
    /// The DNS names and IP addresses of the subject alternative names.
    names: Vec<String>,
    /// Issuer and subject are the same name.
    self_issued: bool,
}

/// Text safe to print: control characters dropped, at most 100 characters.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

impl CertInfo {
    /// Whether a subject alternative name matches `name` (RFC 6125: one wildcard label at
    /// most, on the left). Only for certificates webpki will not judge.
    fn valid_for(&self, name: &ServerName<'_>) -> bool {
        match name {
            ServerName::IpAddress(ip) => {
                let ip = IpAddr::from(*ip).to_string();
                self.names.contains(&ip)
            }
            ServerName::DnsName(dns) => {
                let host = dns.as_ref().trim_end_matches('.').to_ascii_lowercase();
                self.names.iter().any(|n| {
                    let n = n.trim_end_matches('.').to_ascii_lowercase();
                    match n.strip_prefix("*.") {
                        Some(parent) => host
                            .split_once('.')
                            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
                        None => n == host,
                    }
                })
            }
            _ => false,
        }
    }

    /// Reads a certificate (RFC 5280 section 4.1); `None` when it cannot be parsed.
    fn parse(der: &[u8]) -> Option<CertInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let common_name = cert
            .subject()
            .iter_common_name()
            .find_map(|cn| cn.as_str().ok())
            .map(|cn| printable(cn.as_bytes()));
        // A malformed or repeated subjectAltName leaves no names rather than no facts.
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(printable(dns.as_bytes())),
                    GeneralName::IPAddress(ip) => ip_from(ip).map(|ip| ip.to_string()),
                    _ => None,
                })
                .collect(),
            Ok(None) | Err(_) => Vec::new(),
        };
        Some(CertInfo {
            common_name,
            names,
            self_issued: cert.issuer().as_raw() == cert.subject().as_raw(),
        })
    }
}

/// The address in an iPAddress name: 4 bytes for IPv4, 16 for IPv6.
fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
}

/// What happened on the data connections secured with TLS.
#[derive(Debug, Default)]
pub struct DataLog {
    /// Handshakes that completed.
    pub handshakes: u32,
    /// Of those, how many resumed the control connection's session.
    pub resumed: u32,
    /// Why handshakes failed.
    pub failures: Vec<String>,
    /// Transfers that got their data connection: the command's verb, and whether the
    /// transfer completed.
    pub transfers: Vec<(String, bool)>,
}

impl DataLog {
    /// Whether a transfer of `verb` ran, and whether one completed.
    fn ran(&self, verb: &str) -> (bool, bool) {
        let mut ran = false;
        let mut done = false;
        for (v, completed) in &self.transfers {
            if v == verb {
                ran = true;
                done |= completed;
            }
        }
        (ran, done)
    }
}

/// How the main connection was secured, for the findings' `sent`.
fn how(mode: TlsMode) -> &'static [&'static str] {
    match mode {
        TlsMode::Implicit => &["TLS handshake (implicit)"],
        _ => &["AUTH TLS", "TLS handshake"],
    }
}

impl Doctor<'_> {
    /// The TLS client of this run.
    fn tls_client(&self) -> Result<Client, Failure> {
        self.tls.clone()
    }

    /// The handshake on the main connection, and what it tells about the server's TLS:
    /// `tls.handshake`, `tls.version`, `tls.cipher`, `tls.certificate`. A failed handshake
    /// stops the run.
    pub(super) async fn secure_main(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let mode = self.cfg.target.tls;
        let host = self.cfg.target.host.clone();
        let result = match self.tls_client() {
            Ok(client) => client.secure_control(ctl).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(done) => {
                for f in done.findings(&host, how(mode), l) {
                    self.push(f);
                }
                Ok(())
            }
            Err(why) => {
                let fix = if mode == TlsMode::Implicit {
                    TlsText::ImplicitFTPSPortSpeaks.text(l)
                } else {
                    TlsText::After234ServerMust.text(l)
                };
                let f = Finding::new(
                    Group::Tls,
                    "tls.handshake",
                    Severity::Error,
                    why.to_string(),
                )
                .sent(how(mode))
                .fix(fix);
                self.push(f);
                Err(Stop)
            }
        }
    }

    /// `tls.pbsz_prot`: PBSZ 0 then PROT P, each answered 200 (RFC 4217 section 9). Data
    /// connections use TLS from then on when PROT P was accepted.
    pub(super) async fn pbsz_prot(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let mut sent = Vec::new();
        let mut replies: Vec<Reply> = Vec::new();
        for cmd in ["PBSZ 0", "PROT P"] {
            sent.push(cmd.to_owned());
            match ctl.cmd(cmd).await {
                Ok(r) => replies.push(r),
                Err(e) => {
                    self.net_failure(Group::Tls, "tls.pbsz_prot", &sent, &e);
                    return Err(Stop);
                }
            }
        }
        let summary = format!(
            "PBSZ 0: {}; PROT P: {}",
            replies[0].summary(),
            replies[1].summary()
        );
        let f = if let Some(bad) = replies.iter().find(|r| r.code != 200) {
            Finding::new(Group::Tls, "tls.pbsz_prot", Severity::Error, summary)
                .got(Some(bad))
                .expected(&[200])
                .fix(TlsText::AfterHandshakePBSZ0.text(l))
        } else {
            ctl.protected = true;
            Finding::new(Group::Tls, "tls.pbsz_prot", Severity::Ok, summary)
                .got(replies.last())
                .expected(&[200])
        };
        self.push(f.sent(&sent));
        Ok(())
    }

    /// Secures another control connection as the main one was. Before the greeting
    /// (`greeted` false, implicit TLS): the handshake. After it: AUTH TLS and the handshake
    /// unless the connection is secured already, then PBSZ 0 and PROT P. Failures are
    /// reported under `check`; the connection is then unusable.
    pub(super) async fn secure_extra(
        &mut self,
        ctl: &mut Control,
        greeted: bool,
        group: Group,
        check: &str,
    ) -> bool {
        let l = self.lang;
        let mut sent = Vec::new();
        let handshake = !greeted || ctl.tls.is_none();
        if greeted && handshake {
            sent.push("AUTH TLS".to_owned());
            match ctl.cmd("AUTH TLS").await {
                Ok(r) if r.code == 234 => {}
                Ok(r) => {
                    let f = Finding::new(
                        group,
                        check,
                        Severity::Error,
                        TlsText::AUTHTLSAnotherConnection.fill(l, &[("reply", &r.summary())]),
                    )
                    .sent(&sent)
                    .got(Some(&r))
                    .expected(&[234]);
                    self.push(f);
                    return false;
                }
                Err(e) => {
                    self.net_failure(group, check, &sent, &e);
                    return false;
                }
            }
        }
        let result = match self.tls_client() {
            Ok(_) if !handshake => Ok(()),
            Ok(client) => client.secure_control(ctl).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if handshake {
            sent.push("TLS handshake".to_owned());
        }
        if let Err(why) = result {
            let f = Finding::new(
                group,
                check,
                Severity::Error,
                TlsText::OnAnotherConnection.fill(l, &[("why", &why)]),
            )
            .sent(&sent);
            self.push(f);
            return false;
        }
        if !greeted {
            return true;
        }
        for cmd in ["PBSZ 0", "PROT P"] {
            sent.push(cmd.to_owned());
            match ctl.cmd(cmd).await {
                Ok(r) if r.code == 200 => {}
                Ok(_) => return true,
                Err(e) => {
                    self.net_failure(group, check, &sent, &e);
                    return false;
                }
            }
        }
        ctl.protected = true;
        true
    }

    /// `tls.data` (the listings and the round trip over PROT P data connections) and
    /// `tls.session_reuse` (whether the server accepts a data connection that does not
    /// resume the control connection's session).
    pub(super) async fn tls_data_checks(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        self.tls_data_finding(ctl.protected);
        self.session_reuse(ctl).await
    }

    fn tls_data_finding(&mut self, protected: bool) {
        let l = self.lang;
        let log = &self.tls_data;
        let list_ok = self.data_mode.is_some();
        let (stor_ran, stor_ok) = log.ran("STOR");
        let (retr_ran, retr_ok) = log.ran("RETR");
        let round_trip_ok = self
            .findings
            .iter()
            .any(|f| f.check == "write.retr" && f.severity == Severity::Ok);
        let stats = TlsText::TLSDataConnectionResumed.fill(
            l,
            &[("handshakes", &log.handshakes), ("resumed", &log.resumed)],
        );
        let failure = log.failures.first().cloned();
        let f = if !protected {
            Finding::new(
                Group::Tls,
                "tls.data",
                Severity::Error,
                TlsText::PROTPWasNot.text(l),
            )
            .fix(TlsText::AcceptPBSZ0PROT.text(l))
        } else if !list_ok {
            let why = failure.unwrap_or_else(|| TlsText::SeeDataChannels.text(l));
            Finding::new(
                Group::Tls,
                "tls.data",
                Severity::Error,
                TlsText::NoListingWorkedOver.fill(l, &[("why", &why)]),
            )
            .fix(TlsText::DataConnectionsUnderPROT.text(l))
        } else if self.cfg.write && ((stor_ran && !stor_ok) || (retr_ran && !retr_ok)) {
            let why = failure.unwrap_or_else(|| TlsText::SeeUploadDownloadRound.text(l));
            Finding::new(
                Group::Tls,
                "tls.data",
                Severity::Error,
                TlsText::ListingsWorkOverPROT.fill(l, &[("why", &why), ("stats", &stats)]),
            )
            .fix(TlsText::CheckServerLogTLS.text(l))
        } else {
            let what = if self.cfg.write && round_trip_ok {
                TlsText::ListingsUploadDownloadRound.text(l)
            } else {
                TlsText::Listings.text(l)
            };
            Finding::new(
                Group::Tls,
                "tls.data",
                Severity::Ok,
                TlsText::WorkOverPROTP.fill(l, &[("what", &what), ("stats", &stats)]),
            )
        };
        self.push(f);
    }

    /// `tls.session_reuse`: one more listing, on a data connection with a fresh TLS session.
    async fn session_reuse(&mut self, ctl: &mut Control) -> Result<(), Stop> {
        let l = self.lang;
        let check = "tls.session_reuse";
        let mode = match self.data_mode {
            Some(mode) if ctl.protected => mode,
            _ => {
                let f = Finding::new(
                    Group::Tls,
                    check,
                    Severity::Info,
                    TlsText::SkippedNoPROTP.text(l),
                );
                self.push(f);
                return Ok(());
            }
        };
        self.fresh_data_session = true;
        let x = self
            .transfer(ctl, Group::Tls, check, mode, "LIST", None)
            .await;
        self.fresh_data_session = false;
        let x = x?;
        if x.start.is_none() {
            // The data channel itself could not be set up: nothing was learnt.
            let f = Finding::new(
                Group::Tls,
                check,
                Severity::Info,
                TlsText::SkippedDataChannelCould.text(l),
            )
            .sent(&x.sent)
            .got(x.setup.as_ref());
            self.push(f);
            return Ok(());
        }
        let reply = x.end.as_ref().or(x.start.as_ref());
        let f = if x.completed() {
            Finding::new(
                Group::Tls,
                check,
                Severity::Info,
                TlsText::ServerDoesNotRequire.text(l),
            )
        } else {
            let why = match (&x.connect_error, &x.data_error, reply) {
                (_, _, Some(r)) if !r.is_preliminary() && r.code >= 400 => r.summary(),
                (Some(e), _, _) | (None, Some(e), _) => e.to_string(),
                _ => reply.map(Reply::summary).unwrap_or_default(),
            };
            Finding::new(
                Group::Tls,
                check,
                Severity::Info,
                TlsText::ServerRequiresTLSSession.fill(l, &[("why", &why)]),
            )
        };
        // The reply is in the detail: the guide's meaning of the code (522 is EPRT's
        // "protocol not supported") would mislead here.
        self.push(f.sent(&x.sent));
        Ok(())
    }

    /// The TLS session a data connection of `ctl` uses, if any: the control connection's
    /// (resumed), or a fresh one for the session-reuse check.
    pub(super) fn data_session(&self, ctl: &Control) -> Option<Session> {
        let session = ctl.tls.as_ref().filter(|_| ctl.protected)?;
        Some(if self.fresh_data_session {
            session.without_resumption()
        } else {
            session.clone()
        })
    }

    /// Notes a transfer over a TLS data connection for `tls.data`.
    pub(super) fn log_tls_transfer(&mut self, cmd: &str, connected: bool, completed: bool) {
        if self.fresh_data_session || !connected {
            return;
        }
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        self.tls_data.transfers.push((verb, completed));
    }

    /// Notes a data connection's handshake for `tls.data`.
    pub(super) fn log_tls_handshake(&mut self, result: Result<bool, &Failure>) {
        if self.fresh_data_session {
            return;
        }
        match result {
            Ok(resumed) => {
                self.tls_data.handshakes += 1;
                if resumed {
                    self.tls_data.resumed += 1;
                }
            }
            Err(why) => self.tls_data.failures.push(why.to_string()),
        }
    }
}

/// What the doctor says about TLS on a plain `ftp://` target, from FEAT: `offers_tls` is
/// `Some(true)` when FEAT lists AUTH TLS, `None` when FEAT was not available.
pub fn plain_target(offers_tls: Option<bool>, lang: Lang) -> Vec<Finding> {
    let detail = match offers_tls {
        Some(true) => TlsText::ServerOffersAUTHTLS.text(lang),
        Some(false) => TlsText::ServerDoesNotOffer.text(lang),
        None => TlsText::UnknownWhetherServerOffers.text(lang),
    };
    vec![Finding::new(
        Group::Tls,
        "tls.offered",
        Severity::Info,
        detail,
    )]
}

/// How a failed data handshake shows in a transfer's result.
pub(super) fn data_error(why: &Failure) -> NetError {
    NetError::Io {
        kind: io::ErrorKind::Other,
        message: format!("data connection: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_colon_separated_upper_hex() {
        let fp = fingerprint(b"abc");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.starts_with("BA:78:16:BF:8F:01:CF:EA"), "{fp}");
    }

    fn self_signed(names: &[&str]) -> CertificateDer<'static> {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        rcgen::generate_simple_self_signed(names)
            .unwrap()
            .cert
            .der()
            .clone()
    }

    #[test]
    fn certificate_facts() {
        let der = self_signed(&["localhost", "127.0.0.1", "::1"]);
        let info = CertInfo::parse(&der).unwrap();
        assert!(info.self_issued);
        assert_eq!(info.common_name.as_deref(), Some("rcgen self signed cert"));
        assert_eq!(info.names, ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(CertInfo::parse(&der[..der.len() - 1]), None);
        assert_eq!(CertInfo::parse(b"\x30\x00"), None);
    }

    /// A CA, and a leaf for `names` that it signed.
    fn ca_and_leaf(names: &[&str]) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "doctor test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        (ca.der().clone(), leaf.der().clone())
    }

    fn verdict(client: &Client, host: &str, leaf: &CertificateDer<'_>) -> Verdict {
        let (_, recorder) = client.session().unwrap();
        let name = ServerName::try_from(host.to_owned()).unwrap();
        let accepted = recorder.verify_server_cert(leaf, &[], &name, &[], UnixTime::now());
        assert!(accepted.is_ok(), "the handshake goes on");
        recorder.take().unwrap()
    }

    #[test]
    fn verdicts() {
        let web = Client::new("localhost").unwrap();
        let own = self_signed(&["localhost"]);
        assert_eq!(
            verdict(&web, "localhost", &own),
            Verdict::Untrusted(vec![Reason::SelfSigned])
        );
        assert_eq!(
            verdict(&web, "127.0.0.1", &own),
            Verdict::Untrusted(vec![Reason::SelfSigned, Reason::NameMismatch])
        );
        let (ca, leaf) = ca_and_leaf(&["ftp.example.test"]);
        assert_eq!(
            verdict(&web, "ftp.example.test", &leaf),
            Verdict::Untrusted(vec![Reason::UnknownIssuer])
        );
        let mut roots = RootCertStore::empty();
        roots.add(ca).unwrap();
        let private = Client::with_roots("ftp.example.test", roots).unwrap();
        assert_eq!(
            verdict(&private, "ftp.example.test", &leaf),
            Verdict::Trusted
        );
        assert_eq!(
            verdict(&private, "other.example.test", &leaf),
            Verdict::Untrusted(vec![Reason::NameMismatch])
        );
    }

    #[test]
    fn self_signed_ca_certificates() {
        // What `openssl req -x509` makes: a self-signed certificate that is also a CA.
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["ftp.example.test".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let der = params.self_signed(&key).unwrap().der().clone();
        let web = Client::new("ftp.example.test").unwrap();
        assert_eq!(
            verdict(&web, "ftp.example.test", &der),
            Verdict::Untrusted(vec![Reason::SelfSigned])
        );
        assert_eq!(
            verdict(&web, "127.0.0.1", &der),
            Verdict::Untrusted(vec![Reason::SelfSigned, Reason::NameMismatch])
        );
    }

    #[test]
    fn name_matching() {
        let info = CertInfo {
            common_name: None,
            names: vec![
                "*.Example.test".into(),
                "ftp.other.test.".into(),
                "::1".into(),
            ],
            self_issued: true,
        };
        let valid = |host: &str| info.valid_for(&ServerName::try_from(host.to_owned()).unwrap());
        assert!(valid("ftp.example.test"));
        assert!(valid("FTP.other.test"));
        assert!(valid("::1"));
        assert!(!valid("example.test"));
        assert!(!valid("a.b.example.test"));
        assert!(!valid("other.test"));
        assert!(!valid("127.0.0.1"));
    }

    #[test]
    fn certificate_finding_names_reason_and_fingerprint() {
        let der = self_signed(&["localhost"]);
        let h = Handshake {
            version: Some(ProtocolVersion::TLSv1_3),
            suite: Some("TLS13_AES_256_GCM_SHA384".into()),
            group: Some("X25519".into()),
            leaf: Some(der.clone()),
            verdict: Some(Verdict::Untrusted(vec![
                Reason::SelfSigned,
                Reason::NameMismatch,
            ])),
        };
        let all = h.findings("127.0.0.1", &["AUTH TLS"], Lang::En);
        let checks: Vec<&str> = all.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            checks,
            [
                "tls.handshake",
                "tls.version",
                "tls.cipher",
                "tls.certificate"
            ]
        );
        let cert = &all[3];
        assert_eq!(cert.severity, Severity::Warning);
        assert!(cert.detail.contains("self-signed"), "{}", cert.detail);
        assert!(cert.detail.contains("not issued for 127.0.0.1"));
        assert!(cert.detail.contains("names: localhost"));
        assert!(cert.detail.contains(&fingerprint(&der)));
        assert!(cert.fix.is_some());
        assert_eq!(all[1].severity, Severity::Ok);
        assert!(all[1].detail.contains("TLS 1.3"));
    }
}
