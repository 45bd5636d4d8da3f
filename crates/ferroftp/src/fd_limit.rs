//! Open files: the server raises its soft limit on file descriptors to the hard limit at
//! start, and keeps `max_connections` within what that limit can hold, so that a full
//! server refuses new connections politely instead of failing with "Too many open files".

/// Descriptors one session may hold at once: the control connection, a passive listener,
/// a data connection and the file it reads or writes.
pub const PER_SESSION: u64 = 4;

/// Descriptors kept for everything else: listeners, logs, the users file, the runtime's
/// own (epoll, eventfd), and margin.
pub const RESERVE: u64 = 64;

/// The most connections `limit` descriptors can serve, if fewer than `wanted`.
pub fn clamp_connections(wanted: usize, limit: u64) -> Option<usize> {
    let fits = limit.saturating_sub(RESERVE) / PER_SESSION;
    let fits = usize::try_from(fits).unwrap_or(usize::MAX).max(1);
    (fits < wanted).then_some(fits)
}

/// Raises the soft limit on open files to the hard limit, logs the result, and lowers
/// `max_connections` (with a warning) when it does not fit. Returns the effective
/// `max_connections`.
pub fn raise_and_fit(max_connections: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            // Not fatal: the limit stays what it was; the clamp below still uses it.
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            match rlimit::getrlimit(rlimit::Resource::NOFILE) {
                Ok((soft, _)) => soft,
                Err(_) => return max_connections,
            }
        }
    };
    tracing::info!(limit, "open-files limit");
    match clamp_connections(max_connections, limit) {
        Some(fits) => {
            tracing::warn!(
                configured = max_connections,
                effective = fits,
                open_files_limit = limit,
                "max_connections lowered to fit the open-files limit ({PER_SESSION} per session \
                 plus {RESERVE} reserved); raise the limit (ulimit -n, LimitNOFILE=) to allow more"
            );
            fits
        }
        None => max_connections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_the_descriptor_limit() {
        assert_eq!(clamp_connections(1000, 1024), Some(240));
        assert_eq!(clamp_connections(1000, 256), Some(48));
        assert_eq!(clamp_connections(1000, 1 << 20), None);
        assert_eq!(clamp_connections(10, 256), None);
        // A tiny limit still lets one session in.
        assert_eq!(clamp_connections(10, 8), Some(1));
    }
}
