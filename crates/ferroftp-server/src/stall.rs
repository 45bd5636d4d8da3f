//! The stall timeout of data transfers: a data connection that moves no byte for too long
//! ends its transfer, so a client that stops reading a download (or stops sending an
//! upload) cannot hold the transfer, its file and its data connection forever.
//!
//! A transfer wraps its data connection in [`Watched`], which notes the time of every read
//! or write that moved bytes, and races its copy against [`StallClock::stalled`].

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// When a transfer's data connection last moved a byte.
#[derive(Debug, Clone)]
pub struct StallClock {
    last: Arc<Mutex<Instant>>,
}

impl Default for StallClock {
    fn default() -> Self {
        StallClock::new()
    }
}

impl StallClock {
    /// A clock that starts now: a connection that never moves a byte stalls one timeout
    /// from here.
    pub fn new() -> StallClock {
        StallClock {
            last: Arc::new(Mutex::new(Instant::now())),
        }
    }

    fn last(&self) -> Instant {
        // A poisoned lock still holds a valid instant.
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes bytes moved now; for transfers that move bytes without [`Watched`] (zero-copy).
    pub(crate) fn moved(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Completes once no byte has moved for `timeout`.
    pub async fn stalled(&self, timeout: Duration) {
        loop {
            let deadline = self.last() + timeout;
            tokio::time::sleep_until(deadline).await;
            // Bytes moved while we slept push the deadline on.
            if self.last() + timeout <= Instant::now() {
                return;
            }
        }
    }

    /// `stream`, with every read or write that moves bytes noted on this clock.
    pub fn watch<S>(&self, stream: S) -> Watched<S> {
        Watched {
            inner: stream,
            clock: self.clone(),
        }
    }
}

/// A data connection whose progress a [`StallClock`] watches.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    clock: StallClock,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.moved();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.moved();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // Guards the stall rule itself: progress pushes the deadline on, silence ends it.
    #[tokio::test(start_paused = true)]
    async fn bytes_push_the_deadline_and_silence_ends_it() {
        let timeout = Duration::from_secs(60);
        let (a, mut b) = tokio::io::duplex(64);
        let clock = StallClock::new();
        let mut watched = clock.watch(a);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(50)).await;
        b.write_all(b"x").await.expect("write");
        let mut one = [0u8; 1];
        watched.read_exact(&mut one).await.expect("read");
        clock.stalled(timeout).await;
        assert_eq!(start.elapsed(), Duration::from_secs(110));
    }
}
