//! Truncation attacks on `PROT P` uploads: TLS marks the end of the data with a
//! close_notify alert; a data connection that ends with a bare TCP close instead may have
//! been cut by someone on the path, so the upload is not saved as complete.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// The error an upload's reader reports when its TLS connection closed without
/// close_notify.
#[derive(Debug, thiserror::Error)]
#[error("the data connection closed without a TLS close_notify: the upload may be truncated")]
pub struct Truncated;

/// Whether `e` is the [`Truncated`] error of [`RequireCloseNotify`].
pub fn is_truncated(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Truncated>())
}

/// Reads an upload's data connection; when `enabled`, a TLS connection's end without
/// close_notify (rustls reports it as `UnexpectedEof`) becomes a [`Truncated`] error
/// instead of an ordinary end of file.
pub struct RequireCloseNotify<R> {
    inner: R,
    enabled: bool,
}

impl<R> RequireCloseNotify<R> {
    /// Wraps `inner`; with `enabled` off, reads pass through unchanged.
    pub fn new(inner: R, enabled: bool) -> Self {
        RequireCloseNotify { inner, enabled }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for RequireCloseNotify<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Err(e)) if this.enabled && e.kind() == io::ErrorKind::UnexpectedEof => {
                Poll::Ready(Err(io::Error::other(Truncated)))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A reader that fails the way rustls does at a bare TCP close.
    struct CutShort;

    impl AsyncRead for CutShort {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no close_notify",
            )))
        }
    }

    #[tokio::test]
    async fn a_missing_close_notify_is_reported_only_when_enabled() {
        let mut buf = [0u8; 4];
        let e = RequireCloseNotify::new(CutShort, true)
            .read(&mut buf)
            .await
            .expect_err("truncated");
        assert!(is_truncated(&e), "{e}");
        let e = RequireCloseNotify::new(CutShort, false)
            .read(&mut buf)
            .await
            .expect_err("passed through");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!is_truncated(&e));
    }
}
