//! PASV/EPSV/PORT/EPRT: preparing the data channel of the next transfer.

use super::*;

impl Control {
    pub(super) fn open_passive(&mut self, extended: bool, protocol: Option<u8>) -> Reply {
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
        self.passive = None;
        self.active = None;
        let channel = match PassiveChannel::open(
            &self.shared.ports,
            self.local.ip(),
            self.peer.ip(),
            self.shared.config.data_connect_timeout,
        ) {
            Ok(c) => c,
            Err(e) => {
                // The reason (an OS error, perhaps) goes to the log, never to the client.
                tracing::warn!(error = %e, "passive listener failed");
                self.session.on_data_channel(DataChannel::None);
                return match e {
                    DataError::NoPassivePort => Msg::PassiveNoPort.reply(),
                    _ => Msg::PassiveFailed.reply(),
                };
            }
        };
        let port = channel.port;
        self.passive = Some(channel);
        self.session.on_data_channel(DataChannel::Passive);
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
        self.passive = None;
        self.active = Some(addr);
        self.session.on_data_channel(DataChannel::Active(addr));
        Msg::PortOk.reply()
    }
}
