//! AUTH TLS: upgrading the control connection in place.

use super::*;

impl<S: ControlStream> Control<S> {
    /// AUTH TLS: `Msg::AuthTlsOk`, then the handshake on the control connection.
    pub(super) async fn start_tls(&mut self) -> std::io::Result<Flow> {
        let tls = match self.shared.tls.clone() {
            // Only a TCP connection can be upgraded in place.
            Some(tls) if self.stream.upgradable().is_some() => tls,
            _ => {
                self.send(&Msg::TlsNotConfigured.reply()).await?;
                return Ok(Flow::Continue);
            }
        };
        // Commands sent in the clear after AUTH TLS would be read as if they came over
        // TLS (the STARTTLS injection attack): refuse the session instead.
        if !self.lines.is_empty() {
            tracing::warn!("plain-text commands pipelined after AUTH TLS: closing");
            self.send(&Msg::PlaintextAfterAuth.reply()).await?;
            return Ok(Flow::Close);
        }
        self.send(&Msg::AuthTlsOk.reply()).await?;
        self.stream.flush().await?;
        let Some(tcp) = self.stream.upgradable().and_then(MaybeTls::take_plain) else {
            return Ok(Flow::Close);
        };
        let session_tls = tls.session(self.peer.ip());
        let handshake = session_tls.accept_control(tcp);
        match tokio::time::timeout(self.shared.config.tls_handshake_timeout, handshake).await {
            Ok(Ok(stream)) => {
                if let Some(control) = self.stream.upgradable() {
                    *control = MaybeTls::Tls(Box::new(stream));
                }
                self.tls = Some(session_tls);
                self.session.on_tls_established();
                tracing::info!("control connection secured with TLS");
                Ok(Flow::Continue)
            }
            Ok(Err(e)) => {
                tracing::info!(error = %e, "TLS handshake on the control connection failed");
                Ok(Flow::Close)
            }
            Err(_) => {
                tracing::info!("TLS handshake on the control connection timed out");
                Ok(Flow::Close)
            }
        }
    }
}
