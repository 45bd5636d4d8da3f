//! The server-wide bound on data channels (`ServerConfig::max_transfers`).
//!
//! An idle session costs one descriptor (its control connection); a data channel costs up
//! to four more (the data connection and the file, with the passive listener until the
//! connection comes, or a zero-copy upload's pipe after). Bounding the
//! channels, not the sessions, is what lets many idle sessions share an open-files limit
//! with a fixed number of busy ones. A permit is taken when a channel is set up (PASV/EPSV
//! before binding, PORT/EPRT when the transfer starts) and given back on drop, so ABOR,
//! errors and the end of a session all return it.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hands out the permits for data channels.
#[derive(Debug)]
pub struct TransferGate {
    /// `None`: no bound.
    permits: Option<Arc<Semaphore>>,
}

/// One data channel's place under the bound; freed on drop.
#[derive(Debug)]
pub struct TransferPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

impl TransferGate {
    /// A gate letting `max` channels run at once (`None`: any number).
    pub fn new(max: Option<usize>) -> TransferGate {
        TransferGate {
            // tokio caps a semaphore's permits; a larger bound is no bound in practice.
            permits: max.map(|m| Arc::new(Semaphore::new(m.min(Semaphore::MAX_PERMITS)))),
        }
    }

    /// A permit for one more channel, unless the bound is reached.
    pub fn try_take(&self) -> Option<TransferPermit> {
        match &self.permits {
            None => Some(TransferPermit { _permit: None }),
            Some(s) => s
                .clone()
                .try_acquire_owned()
                .ok()
                .map(|p| TransferPermit { _permit: Some(p) }),
        }
    }

    /// Permits free now (`None`: no bound); for STAT-like reporting and tests.
    pub fn available(&self) -> Option<usize> {
        self.permits.as_ref().map(|s| s.available_permits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the bound itself: the (max+1)th permit is refused until one is dropped.
    #[test]
    fn permits_are_bounded_and_returned_on_drop() {
        let gate = TransferGate::new(Some(2));
        let a = gate.try_take().expect("first");
        let _b = gate.try_take().expect("second");
        assert!(gate.try_take().is_none());
        drop(a);
        assert!(gate.try_take().is_some());
        let open = TransferGate::new(None);
        let held: Vec<_> = (0..100).filter_map(|_| open.try_take()).collect();
        assert_eq!(held.len(), 100);
        assert_eq!(open.available(), None);
    }
}
