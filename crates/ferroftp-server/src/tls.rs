//! TLS for FTPS (RFC 4217): certificates, their reload on SIGHUP, and the per-session
//! acceptor that ties data connections to their control connection.
//!
//! Each control connection gets its own session cache and its own session-ticket key. A data
//! connection under `PROT P` can therefore resume only a session made on that same control
//! connection; when session reuse is required, a full handshake on a data connection is
//! refused, so a third party who races to the passive port cannot take over the transfer.
//!
//! Tickets are stateless (encrypted with the session's key), so one ticket can be resumed
//! by every data connection of the session: OpenSSL- and GnuTLS-based clients (curl, lftp,
//! Python) resume the control connection's session each time. Clients that use each TLS 1.3
//! ticket once (rustls) get several tickets on the control connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert, ServerSessionMemoryCache};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Where the server certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// A PEM certificate chain and a PEM private key; both are read again on reload.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate made at start-up for these names (quick starts and tests).
    SelfSigned {
        /// Subject alternative names.
        names: Vec<String>,
    },
}

/// Whether a data connection's TLS session must resume the control connection's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionReuse {
    /// A full handshake on a data connection is refused (`522`).
    #[default]
    Required,
    /// Any handshake is accepted (for clients that cannot resume, e.g. Python's stock
    /// `FTP_TLS`).
    Optional,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("cannot read {path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    /// The key is of a kind rustls cannot sign with.
    #[error("unusable private key: {0}")]
    Key(rustls::Error),
    /// The key does not belong to the certificate.
    #[error("private key does not match the certificate: {0}")]
    KeyMismatch(rustls::Error),
    /// The self-signed certificate could not be made.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration error: {0}")]
    Config(rustls::Error),
}

/// The certificate in use, swapped on reload while sessions go on.
#[derive(Debug)]
struct ReloadableCert {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// The server's TLS setup.
#[derive(Debug)]
pub struct TlsConfig {
    source: CertSource,
    resolver: Arc<ReloadableCert>,
    base: Arc<ServerConfig>,
    /// The session-reuse policy for data connections.
    pub reuse: SessionReuse,
}

impl TlsConfig {
    /// Loads (or makes) the certificate and builds the configuration.
    pub fn new(source: CertSource, reuse: SessionReuse) -> Result<TlsConfig, TlsError> {
        let key = load_key(&source)?;
        let resolver = Arc::new(ReloadableCert {
            current: RwLock::new(Arc::new(key)),
        });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // rustls defaults: TLS 1.2 and 1.3 only, with their safe cipher suites.
        let mut base = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        base.alpn_protocols = vec![b"ftp".to_vec()];
        Ok(TlsConfig {
            source,
            resolver,
            base: Arc::new(base),
            reuse,
        })
    }

    /// Reads the certificate files again and uses them for new handshakes; sessions already
    /// running keep theirs. A self-signed certificate is kept as it is.
    pub fn reload(&self) -> Result<(), TlsError> {
        if matches!(self.source, CertSource::SelfSigned { .. }) {
            return Ok(());
        }
        let key = load_key(&self.source)?;
        *self
            .resolver
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// The SHA-256 fingerprint of the leaf certificate, as `AB:CD:...`.
    pub fn fingerprint(&self) -> String {
        let current = self
            .resolver
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match current.cert.first() {
            Some(cert) => fingerprint(cert.as_ref()),
            None => String::new(),
        }
    }

    /// The acceptors for one control connection and its data connections, with a session
    /// cache and ticket key of their own (see the module docs).
    pub fn session(&self) -> Result<SessionTls, TlsError> {
        let ticketer = rustls::crypto::ring::Ticketer::new().map_err(TlsError::Config)?;
        let storage = ServerSessionMemoryCache::new(8);
        let mut control = (*self.base).clone();
        control.ticketer = ticketer.clone();
        control.session_storage = storage.clone();
        // Enough TLS 1.3 tickets for clients that spend one per data connection and never
        // read the fresh ones a data connection of an upload carries.
        control.send_tls13_tickets = CONTROL_TICKETS;
        let mut download = (*self.base).clone();
        download.ticketer = ticketer;
        download.session_storage = storage;
        // A client that only writes to an upload's data connection never reads tickets sent
        // there, and closing a socket with unread data resets it, cutting the upload short
        // (curl with TLS 1.3): no tickets on uploads.
        let mut upload = download.clone();
        upload.send_tls13_tickets = 0;
        Ok(SessionTls {
            control: TlsAcceptor::from(Arc::new(control)),
            download: TlsAcceptor::from(Arc::new(download)),
            upload: TlsAcceptor::from(Arc::new(upload)),
        })
    }
}

/// TLS 1.3 tickets sent on a control connection; rustls clients keep at most 8 per server.
const CONTROL_TICKETS: usize = 8;

/// The TLS acceptors of one session: its control connection and its data connections share
/// a session cache and ticket key that no other session can use.
#[derive(Clone)]
pub struct SessionTls {
    /// For the control connection (AUTH TLS or implicit).
    pub control: TlsAcceptor,
    /// For data connections that send (RETR, LIST, NLST, MLSD): they carry fresh tickets.
    pub download: TlsAcceptor,
    /// For data connections that receive (STOR, APPE, STOU): no tickets.
    pub upload: TlsAcceptor,
}

impl std::fmt::Debug for SessionTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTls")
    }
}

fn load_key(source: &CertSource) -> Result<CertifiedKey, TlsError> {
    let (chain, key) = match source {
        CertSource::Files { cert, key } => (read_chain(cert)?, read_key(key)?),
        CertSource::SelfSigned { names } => {
            let made = rcgen::generate_simple_self_signed(names.clone())?;
            let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
            (vec![made.cert.der().clone()], key)
        }
    };
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).map_err(TlsError::Key)?;
    let certified = CertifiedKey::new(chain, signer);
    certified.keys_match().map_err(TlsError::KeyMismatch)?;
    Ok(certified)
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_err = |source| TlsError::Pem {
        path: path.to_owned(),
        source,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(pem_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_err)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(path.to_owned()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::Pem {
        path: path.to_owned(),
        source,
    })
}

fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_has_a_fingerprint() {
        let tls = TlsConfig::new(
            CertSource::SelfSigned {
                names: vec!["localhost".into()],
            },
            SessionReuse::Required,
        )
        .unwrap();
        let fp = tls.fingerprint();
        assert_eq!(fp.len(), 32 * 3 - 1, "{fp}");
        assert!(fp.chars().all(|c| c == ':' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn files_load_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str| {
            let made = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
            std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).unwrap();
            std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        };
        write("one.example");
        let source = CertSource::Files {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        };
        let tls = TlsConfig::new(source, SessionReuse::Required).unwrap();
        let before = tls.fingerprint();
        write("two.example");
        tls.reload().unwrap();
        assert_ne!(tls.fingerprint(), before);
        // A broken file on reload keeps the certificate in use.
        std::fs::write(dir.path().join("cert.pem"), "garbage").unwrap();
        assert!(tls.reload().is_err());
        assert_ne!(tls.fingerprint(), "");
    }

    #[test]
    fn mismatched_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["a".to_owned()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["b".to_owned()]).unwrap();
        std::fs::write(dir.path().join("cert.pem"), a.cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), b.signing_key.serialize_pem()).unwrap();
        let err = TlsConfig::new(
            CertSource::Files {
                cert: dir.path().join("cert.pem"),
                key: dir.path().join("key.pem"),
            },
            SessionReuse::Required,
        )
        .unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch(_)), "{err}");
    }
}
