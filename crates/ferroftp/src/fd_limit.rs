//! Open files: the server raises its soft limit on file descriptors to the hard limit at
//! start, and keeps `max_connections` and `max_transfers` within what that limit can hold,
//! so that a full server refuses new connections and data channels politely instead of
//! failing with "Too many open files".
//!
//! The budget: an idle session holds one descriptor (its control connection); sessions
//! whose home is the same directory share one handle on it, so homes cost at most one per
//! distinct home directory; a data channel holds up to four (the passive listener, the
//! data connection and the file; once the listener is closed, a zero-copy upload adds the
//! two ends of its pipe), and `max_transfers` bounds those server-wide.

/// Descriptors one session holds at any time: its control connection.
pub const PER_SESSION: u64 = 1;

/// Descriptors one data channel may hold at once: the data connection and the file it
/// reads or writes, with either the passive listener (until the connection comes) or, for
/// a zero-copy upload, the two ends of its pipe (see `ferroftp_server::splice`).
pub const PER_TRANSFER: u64 = 4;

/// Descriptors kept for everything else: listeners, logs, the users file, the runtime's
/// own (epoll, eventfd), and margin.
pub const RESERVE: u64 = 64;

/// Left unset, `max_transfers` is fitted into what the sessions leave of the limit; when
/// they leave less than one data channel per this many sessions, both are lowered in that
/// proportion instead.
pub const SESSIONS_PER_TRANSFER: usize = 4;

/// What a given open-files limit can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// Effective `max_connections`.
    pub connections: usize,
    /// Effective `max_transfers`.
    pub transfers: usize,
}

/// Fits `connections` sessions and `transfers` data channels (`None`: as many as the
/// limit leaves room for, up to one per session) into `limit` descriptors, with `homes`
/// distinct home directories open at most. When the wanted numbers do not fit, both are
/// lowered in proportion, each to at least 1.
pub fn fit(limit: u64, homes: usize, connections: usize, transfers: Option<usize>) -> Fit {
    let connections = connections.max(1);
    // Each session holds at most one home, so there are never more homes than sessions.
    let homes = homes.min(connections) as u64;
    // Four descriptors at least, so that a tiny limit still serves one session.
    let avail = u128::from(limit.saturating_sub(RESERVE + homes).max(4));
    let sessions = connections as u128;
    let transfers = match transfers {
        Some(t) => t.max(1),
        None => {
            let room =
                avail.saturating_sub(sessions * u128::from(PER_SESSION)) / u128::from(PER_TRANSFER);
            let room = usize::try_from(room).unwrap_or(usize::MAX).min(connections);
            let share = (connections / SESSIONS_PER_TRANSFER).max(1);
            if room >= share {
                return Fit {
                    connections,
                    transfers: room,
                };
            }
            share
        }
    };
    let wanted = sessions * u128::from(PER_SESSION) + transfers as u128 * u128::from(PER_TRANSFER);
    if wanted <= avail {
        return Fit {
            connections,
            transfers,
        };
    }
    let scale = |n: usize| -> usize {
        usize::try_from(n as u128 * avail / wanted)
            .unwrap_or(usize::MAX)
            .max(1)
    };
    Fit {
        connections: scale(connections),
        transfers: scale(transfers),
    }
}

/// Raises the soft limit on open files to the hard limit, logs the result, and fits
/// `max_connections` and `max_transfers` to it (see [`fit`]), with a warning when a
/// configured value is lowered. Returns the effective values.
pub fn raise_and_fit(max_connections: usize, max_transfers: Option<usize>, homes: usize) -> Fit {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            // Not fatal: the limit stays what it was; the fitting below still uses it.
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            match rlimit::getrlimit(rlimit::Resource::NOFILE) {
                Ok((soft, _)) => soft,
                Err(_) => {
                    return Fit {
                        connections: max_connections,
                        transfers: max_transfers.unwrap_or(max_connections),
                    }
                }
            }
        }
    };
    tracing::info!(limit, "open-files limit");
    let fitted = fit(limit, homes, max_connections, max_transfers);
    if fitted.connections < max_connections {
        tracing::warn!(
            configured = max_connections,
            effective = fitted.connections,
            open_files_limit = limit,
            "max_connections lowered to fit the open-files limit ({PER_SESSION} per session, \
             {PER_TRANSFER} per data channel, one per home, {RESERVE} reserved); raise the \
             limit (ulimit -n, LimitNOFILE=) to allow more"
        );
    }
    if let Some(configured) = max_transfers.filter(|t| fitted.transfers < *t) {
        tracing::warn!(
            configured,
            effective = fitted.transfers,
            open_files_limit = limit,
            "max_transfers lowered to fit the open-files limit; raise the limit (ulimit -n, \
             LimitNOFILE=) to allow more"
        );
    }
    tracing::info!(
        max_connections = fitted.connections,
        max_transfers = fitted.transfers,
        homes,
        "descriptor budget"
    );
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the budget of issue 9: with this machine's limit of 20,000 and a handful of
    /// users, 10,000 sessions fit with a generous number of transfers (the old formula, 4
    /// descriptors a session, allowed 4,984).
    #[test]
    fn ten_thousand_sessions_fit_twenty_thousand_descriptors() {
        assert_eq!(
            fit(20_000, 5, 10_000, Some(2_000)),
            Fit {
                connections: 10_000,
                transfers: 2_000
            }
        );
        // Unset: what the sessions leave, in quarters ((20,000 - 64 - 5 - 10,000) / 4 =
        // 2,482), falls short of one channel per four sessions (2,500), so both are
        // lowered a little (at three descriptors a channel this fitted 10,000 and 3,310).
        assert_eq!(
            fit(20_000, 5, 10_000, None),
            Fit {
                connections: 9_965,
                transfers: 2_491
            }
        );
        // Never more transfers than sessions when unset.
        assert_eq!(
            fit(20_000, 1, 1_000, None),
            Fit {
                connections: 1_000,
                transfers: 1_000
            }
        );
    }

    /// Guards the lowering: wanted numbers that do not fit are scaled down together, and
    /// what comes out fits.
    #[test]
    fn too_much_is_lowered_in_proportion_and_fits() {
        // 1,024: 959 left after the reserve and one home; 1,000 sessions and 250 channels
        // want 2,000.
        let f = fit(1_024, 1, 1_000, None);
        assert_eq!(
            f,
            Fit {
                connections: 479,
                transfers: 119
            }
        );
        assert_eq!(
            fit(256, 1, 1_000, None),
            Fit {
                connections: 95,
                transfers: 23
            }
        );
        // An explicit max_transfers that does not fit is lowered as well.
        assert_eq!(
            fit(20_000, 5, 10_000, Some(5_000)),
            Fit {
                connections: 6_643,
                transfers: 3_321
            }
        );
        for (limit, homes, c, t) in [
            (1_024, 1, 1_000, None),
            (512, 3, 1_000, Some(400)),
            (20_000, 50, 10_000, Some(9_000)),
            (65_536, 1_000, 100_000, None),
        ] {
            let f = fit(limit, homes, c, t);
            let used = f.connections as u64 * PER_SESSION
                + f.transfers as u64 * PER_TRANSFER
                + homes.min(c) as u64
                + RESERVE;
            assert!(used <= limit, "{limit} {f:?}");
        }
    }

    /// Guards the homes term: counted at most once per session, and a tiny limit still
    /// lets one session and one transfer in.
    #[test]
    fn homes_and_tiny_limits() {
        assert_eq!(
            fit(20_000, 1_000_000, 10, None),
            Fit {
                connections: 10,
                transfers: 10
            }
        );
        assert_eq!(
            fit(8, 1, 10, None),
            Fit {
                connections: 2,
                transfers: 1
            }
        );
    }
}
