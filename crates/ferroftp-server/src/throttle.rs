//! Bandwidth limits: token buckets on tokio's clock, and a stream adaptor that meters the
//! bytes of a data connection through them.
//!
//! Why not `governor`: it counts cells against its own clock (`quanta`), so tokio's paused
//! test clock cannot drive it, and it admits at most one burst's worth of cells per call,
//! which fits requests better than byte counts of any size. A bucket here is a few lines of
//! arithmetic on [`tokio::time::Instant`], so bandwidth tests run in virtual time.
//!
//! A bucket lends: taking `n` bytes always succeeds and may leave the bucket in debt, and
//! the taker then waits until the debt is paid off at the configured rate before moving
//! more. Many takers of one bucket (every session under the server-wide limit) thus share
//! the rate between them, each waiting its turn, and the long-run rate is exact.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Most bytes one read or write moves at a time, whatever the rate.
const MAX_CHUNK: usize = 64 * 1024;
/// Fewest bytes one read or write may move, so that a very low rate does not mean
/// byte-sized system calls.
const MIN_CHUNK: usize = 512;

/// A token bucket of bytes per second, refilled continuously.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    /// Most tokens saved up while idle: a tenth of a second's worth, so a transfer that
    /// starts after a pause gets only a short head start.
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    /// May be negative: debt that takers pay off by waiting.
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A bucket of `rate` bytes per second; `None` when `rate` is 0 (unlimited).
    pub fn new(rate: u64) -> Option<Arc<Bucket>> {
        if rate == 0 {
            return None;
        }
        let rate = rate as f64;
        let burst = (rate / 10.0).max(1.0);
        Some(Arc::new(Bucket {
            rate,
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
            }),
        }))
    }

    /// The rate in bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate as u64
    }

    /// Takes `n` bytes and says how long to wait before moving more.
    pub fn take(&self, n: usize) -> Duration {
        let now = Instant::now();
        // A poisoned lock only means another taker panicked mid-arithmetic; the numbers
        // are still usable.
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let refill = now.saturating_duration_since(s.last).as_secs_f64() * self.rate;
        s.tokens = (s.tokens + refill).min(self.burst) - n as f64;
        s.last = now;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / self.rate)
        }
    }
}

/// The buckets one direction of a transfer goes through: the user's and the server's.
#[derive(Debug, Clone, Default)]
pub struct Limit {
    buckets: Vec<Arc<Bucket>>,
}

impl Limit {
    /// No limit.
    pub fn none() -> Limit {
        Limit::default()
    }

    /// Through each of `buckets` that is set.
    pub fn of(buckets: impl IntoIterator<Item = Option<Arc<Bucket>>>) -> Limit {
        Limit {
            buckets: buckets.into_iter().flatten().collect(),
        }
    }

    /// Whether any bucket applies.
    pub fn is_limited(&self) -> bool {
        !self.buckets.is_empty()
    }

    /// Bytes per read or write: about a twentieth of a second at the lowest rate, so that
    /// no single step overshoots the rate by much.
    fn chunk(&self) -> usize {
        self.buckets
            .iter()
            .map(|b| usize::try_from(b.rate() / 20).unwrap_or(MAX_CHUNK))
            .min()
            .unwrap_or(MAX_CHUNK)
            .clamp(MIN_CHUNK, MAX_CHUNK)
    }

    /// Takes `n` bytes from every bucket; the wait is that of the slowest.
    fn take(&self, n: usize) -> Duration {
        self.buckets
            .iter()
            .map(|b| b.take(n))
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

/// The bandwidth limits of one transfer, one per direction.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    /// RETR (server to client).
    pub download: Limit,
    /// STOR, APPE, STOU (client to server).
    pub upload: Limit,
}

/// A stream whose reads and writes go no faster than a [`Limit`]. Bytes move at once and
/// the wait comes after them, so an idle stream costs nothing and the first bytes of a
/// transfer are not delayed.
pub struct Throttled<S> {
    inner: S,
    limit: Limit,
    chunk: usize,
    wait: Option<Pin<Box<Sleep>>>,
}

impl<S> Throttled<S> {
    /// Meters `inner` through `limit`.
    pub fn new(inner: S, limit: Limit) -> Throttled<S> {
        let chunk = limit.chunk();
        Throttled {
            inner,
            limit,
            chunk,
            wait: None,
        }
    }

    /// Charges `n` bytes moved, and arms the wait before the next move.
    fn charge(&mut self, n: usize) {
        if n == 0 || !self.limit.is_limited() {
            return;
        }
        let wait = self.limit.take(n);
        if !wait.is_zero() {
            self.wait = Some(Box::pin(tokio::time::sleep(wait)));
        }
    }

    /// Waits out the debt of the last move, if any.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(w) = self.wait.as_mut() {
            ready!(w.as_mut().poll(cx));
            self.wait = None;
        }
        Poll::Ready(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Throttled<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.limit.is_limited() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        ready!(this.poll_wait(cx));
        let max = buf.remaining().min(this.chunk);
        let mut part = ReadBuf::new(buf.initialize_unfilled_to(max));
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
        let n = part.filled().len();
        buf.advance(n);
        this.charge(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Throttled<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.limit.is_limited() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        ready!(this.poll_wait(cx));
        let max = buf.len().min(this.chunk);
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..max]))?;
        this.charge(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Guards the accuracy promise: over ten seconds a limited stream moves the rate's
    /// worth of bytes within 10%, and an unlimited one is not slowed at all.
    #[tokio::test(start_paused = true)]
    async fn ten_seconds_at_a_rate_move_ten_times_the_rate() {
        const RATE: u64 = 1_000_000;
        let limit = Limit::of([Bucket::new(RATE)]);
        let mut sink = Throttled::new(tokio::io::sink(), limit);
        let chunk = vec![0u8; 256 * 1024];
        let start = Instant::now();
        let mut moved = 0u64;
        while start.elapsed() < Duration::from_secs(10) {
            moved += sink.write(&chunk).await.expect("write") as u64;
        }
        let expected = RATE * 10;
        assert!(
            moved.abs_diff(expected) <= expected / 10,
            "{moved} bytes in 10 s"
        );

        let mut free = Throttled::new(tokio::io::sink(), Limit::none());
        let start = Instant::now();
        for _ in 0..100 {
            free.write_all(&chunk).await.expect("write");
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    /// Guards the shared server-wide bucket: two streams through one bucket split its rate
    /// rather than getting it each.
    #[tokio::test(start_paused = true)]
    async fn two_streams_share_one_bucket() {
        const RATE: u64 = 500_000;
        let bucket = Bucket::new(RATE);
        let run = |bucket: Option<Arc<Bucket>>| async move {
            let mut src = Throttled::new(tokio::io::repeat(7), Limit::of([bucket]));
            let mut buf = vec![0u8; 64 * 1024];
            let start = Instant::now();
            let mut moved = 0u64;
            while start.elapsed() < Duration::from_secs(10) {
                moved += src.read(&mut buf).await.expect("read") as u64;
            }
            moved
        };
        let (a, b) = tokio::join!(run(bucket.clone()), run(bucket));
        let expected = RATE * 10;
        assert!(
            (a + b).abs_diff(expected) <= expected / 10,
            "{a} + {b} bytes in 10 s"
        );
        // Neither starves the other.
        assert!(a.abs_diff(b) <= expected / 5, "{a} vs {b}");
    }

    /// Guards the combination: the slower of the user's and the server's buckets wins.
    #[tokio::test(start_paused = true)]
    async fn the_slowest_bucket_sets_the_pace() {
        let limit = Limit::of([Bucket::new(200_000), None, Bucket::new(2_000_000)]);
        let mut sink = Throttled::new(tokio::io::sink(), limit);
        let data = vec![1u8; 2_000_000];
        let start = Instant::now();
        sink.write_all(&data).await.expect("write");
        let took = start.elapsed().as_secs_f64();
        assert!((9.0..=11.0).contains(&took), "{took} s");
    }
}
