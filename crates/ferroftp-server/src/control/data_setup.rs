//! PASV/EPSV/PORT/EPRT: preparing the data channel of the next transfer.
//!
//! The session records which channel is prepared (none, passive, or active to an address);
//! the control loop holds only the live passive listener. Both change together, through
//! [`Control::prepare`], and the listener is dropped whenever the session's record stops
//! saying "passive" (see [`Control::drop_stale_listener`]), so the two cannot disagree.

use super::*;
use crate::transfers::TransferPermit;

/// A data channel being prepared, with the live part the session cannot hold.
pub(super) enum Prepared {
    /// No channel: a transfer now gets `Msg::UseDataCommandFirst`.
    None,
    /// A passive listener waiting for the client.
    Passive(PassiveChannel),
    /// The server will connect to this address.
    Active(SocketAddr),
}

impl<S: ControlStream> Control<S> {
    /// Records a prepared channel in the session and keeps its listener, if any.
    pub(super) fn prepare(&mut self, channel: Prepared) {
        let (kind, listener) = match channel {
            Prepared::None => (DataChannel::None, None),
            Prepared::Passive(l) => (DataChannel::Passive, Some(l)),
            Prepared::Active(addr) => (DataChannel::Active(addr), None),
        };
        self.session.on_data_channel(kind);
        self.listener = listener;
    }

    /// Drops a listener the session no longer records (REIN, a user switch): its port is
    /// free again at once.
    pub(super) fn drop_stale_listener(&mut self) {
        if self.session.data_channel() != DataChannel::Passive {
            self.listener = None;
        }
    }

    /// Where the transfer just started gets its data connection: the channel the session
    /// handed to it, with its place under `max_transfers` (the passive listener's, or one
    /// taken now for PORT/EPRT). `Err`: the reply that refuses the transfer.
    pub(super) fn data_source(&mut self) -> Result<(DataSource, Option<TransferPermit>), Reply> {
        Ok(match self.session.take_transfer_channel() {
            DataChannel::Passive => match self.listener.take() {
                Some(l) => {
                    let permit = l.take_permit();
                    (DataSource::Passive(l), permit)
                }
                None => (DataSource::Taken, None),
            },
            DataChannel::Active(target) => {
                let Some(permit) = self.shared.transfers.try_take() else {
                    tracing::warn!("transfer refused: max_transfers data channels are open");
                    return Err(Msg::TooManyTransfers.reply());
                };
                let source = DataSource::Active {
                    local_ip: self.local.ip(),
                    target,
                    timeout: self.shared.config.data_connect_timeout,
                };
                (source, Some(permit))
            }
            // The core only lets a transfer through with a channel set up.
            DataChannel::None => (DataSource::Taken, None),
        })
    }

    pub(super) async fn open_passive(&mut self, extended: bool, protocol: Option<u8>) -> Reply {
        let local_ip = self.local.ip().to_canonical();
        match protocol {
            Some(1) if local_ip.is_ipv6() => return Msg::NetworkProtocolUnsupported.reply(),
            Some(2) if local_ip.is_ipv4() => return Msg::NetworkProtocolUnsupported.reply(),
            _ => {}
        }
        let advertised = match (extended, self.shared.config.passive_address, local_ip) {
            (true, _, _) => None,
            (false, Some(IpAddr::V4(a)), _) => Some(a),
            (false, _, IpAddr::V4(a)) => Some(a),
            (false, _, IpAddr::V6(_)) => return Msg::PasvNeedsIpv4.reply(),
        };
        // A second PASV/EPSV replaces (and so closes) the earlier listener.
        self.listener = None;
        // Taken before binding, so a full server spends no descriptor on the refusal.
        let Some(permit) = self.shared.transfers.try_take() else {
            tracing::warn!("PASV/EPSV refused: max_transfers data channels are open");
            self.prepare(Prepared::None);
            return Msg::TooManyTransfers.reply();
        };
        let channel = match PassiveChannel::open_waiting(
            &self.shared.ports,
            self.local.ip(),
            self.peer.ip(),
            self.shared.config.data_connect_timeout,
            self.shared.config.passive_wait,
        )
        .await
        {
            Ok(c) => c,
            Err(e) => {
                // The reason (an OS error, perhaps) goes to the log, never to the client.
                tracing::warn!(error = %e, "passive listener failed");
                self.prepare(Prepared::None);
                return match e {
                    DataError::NoPassivePort => Msg::PassiveNoPort.reply(),
                    DataError::TooManyPassive => Msg::PassiveTooMany.reply(),
                    _ => Msg::PassiveFailed.reply(),
                };
            }
        };
        channel.hold_permit(permit);
        let port = channel.port;
        self.prepare(Prepared::Passive(channel));
        match advertised {
            Some(ip) => Computed::Passive(std::net::SocketAddrV4::new(ip, port)).reply(),
            None => Computed::ExtendedPassive(port).reply(),
        }
    }

    pub(super) fn set_active(&mut self, addr: SocketAddr) -> Reply {
        if !self.shared.config.allow_foreign_data_address && !same_host(addr.ip(), self.peer.ip()) {
            tracing::warn!(%addr, "refused PORT/EPRT to a foreign address");
            return Msg::BounceRefused.reply();
        }
        if addr.port() == 0 {
            return Msg::BadArgument.reply();
        }
        // RFC 2577: a data connection to a well-known port would let the client make the
        // server talk to a service (another FTP bounce).
        if addr.port() < 1024 {
            tracing::warn!(%addr, "refused PORT/EPRT to a privileged port");
            return Msg::PrivilegedPortRefused.reply();
        }
        self.prepare(Prepared::Active(addr));
        Msg::PortOk.reply()
    }
}
