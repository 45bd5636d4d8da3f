//! The TLS seam of the doctor. The checks call [`secure_control`] after a `234` to AUTH TLS
//! (and for `--implicit-tls` right after connecting) and [`secure_data`] for each data
//! connection once `PROT P` is in effect. Until the TLS client is built these report
//! [`Unavailable::NotBuilt`], and the checks turn that into `skipped` findings; wiring in a
//! TLS connector here is all it takes for the whole doctor to run over FTPS.

use std::fmt;

use super::client::{Control, Data};
use super::report::{Finding, Group, Severity};
use super::Lang;

/// Why a connection could not be secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The doctor has no TLS client yet.
    NotBuilt,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NotBuilt => write!(f, "TLS client not built yet"),
        }
    }
}

/// Runs the TLS handshake on the control connection (after `234`, or at once for implicit
/// TLS), checking the certificate against `server_name`. On success the connection carries
/// TLS from then on (see [`Control::take_stream`] and [`Control::set_stream`]).
pub async fn secure_control(ctl: &mut Control, server_name: &str) -> Result<(), Unavailable> {
    let _ = (ctl, server_name);
    Err(Unavailable::NotBuilt)
}

/// Runs the TLS handshake on a data connection (`PROT P`), resuming the control
/// connection's session as RFC 4217 servers commonly require.
pub async fn secure_data(data: Data, server_name: &str) -> Result<Data, Unavailable> {
    let _ = (data, server_name);
    Err(Unavailable::NotBuilt)
}

/// A `skipped` finding for a TLS check that could not run.
pub fn skipped(check: &str, why: &Unavailable, lang: Lang) -> Finding {
    Finding::new(
        Group::Tls,
        check,
        Severity::Info,
        tr!(lang, format!("skipped: {why}"), format!("bỏ qua: {why}")),
    )
}

/// What the doctor says about TLS on a plain `ftp://` target, from FEAT: `offers_tls` is
/// `Some(true)` when FEAT lists AUTH TLS, `None` when FEAT was not available.
pub fn plain_target(offers_tls: Option<bool>, lang: Lang) -> Vec<Finding> {
    match offers_tls {
        Some(true) => vec![
            Finding::new(
                Group::Tls,
                "tls.offered",
                Severity::Info,
                tr!(
                    lang,
                    "the server offers AUTH TLS (FEAT); check it with ftps://",
                    "máy chủ hỗ trợ AUTH TLS (FEAT); hãy kiểm tra với ftps://"
                ),
            ),
            skipped("tls.handshake", &Unavailable::NotBuilt, lang),
        ],
        Some(false) => vec![Finding::new(
            Group::Tls,
            "tls.offered",
            Severity::Info,
            tr!(
                lang,
                "the server does not offer AUTH TLS: passwords and files travel in clear text",
                "máy chủ không hỗ trợ AUTH TLS: mật khẩu và tệp được gửi không mã hóa"
            ),
        )],
        None => vec![Finding::new(
            Group::Tls,
            "tls.offered",
            Severity::Info,
            tr!(
                lang,
                "unknown whether the server offers AUTH TLS (no FEAT)",
                "không rõ máy chủ có hỗ trợ AUTH TLS không (không có FEAT)"
            ),
        )],
    }
}
