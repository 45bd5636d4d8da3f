//! A TCP connection that is plain or under TLS: the control connection (which `AUTH TLS`
//! upgrades in place) and data connections (`PROT P`) alike.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A plain or TLS connection.
#[derive(Debug)]
pub enum MaybeTls {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
    /// Taken apart during a TLS upgrade; every operation fails.
    Gone,
}

impl MaybeTls {
    /// Whether the connection is under TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, MaybeTls::Tls(_))
    }

    /// Reads what waits behind a TCP urgent mark on a plain connection (ABOR sent with
    /// MSG_OOB, as ftplib and BSD ftp do). The kernel ends a read at the mark, and tokio
    /// takes a short read as "drained" and waits for a wake-up that never comes, since the
    /// bytes are already there; so they are read directly, without blocking. Called only
    /// after a read that ended inside a line.
    pub fn read_past_urgent_mark(&self, buf: &mut [u8]) -> usize {
        use std::io::Read;
        let MaybeTls::Plain(tcp) = self else {
            return 0;
        };
        let sock = socket2::SockRef::from(tcp);
        let mut reader: &socket2::Socket = &sock;
        // Non-blocking socket: nothing waiting is WouldBlock, read as 0.
        reader.read(buf).unwrap_or(0)
    }

    /// Takes the plain TCP stream out for a TLS upgrade, leaving `Gone`.
    pub fn take_plain(&mut self) -> Option<TcpStream> {
        match std::mem::replace(self, MaybeTls::Gone) {
            MaybeTls::Plain(s) => Some(s),
            other => {
                *self = other;
                None
            }
        }
    }
}

/// What the control loop needs of its connection: bytes both ways, plus the extras only a
/// TCP connection has (urgent data, the `AUTH TLS` upgrade), which other streams lack.
pub trait ControlStream: AsyncRead + AsyncWrite + Unpin + Send {
    /// Whether the connection is under TLS.
    fn is_tls(&self) -> bool {
        false
    }

    /// Reads what waits behind a TCP urgent mark, without blocking; 0 when nothing does.
    fn read_past_urgent_mark(&self, _buf: &mut [u8]) -> usize {
        0
    }

    /// The connection as one that `AUTH TLS` can upgrade in place, if it is one.
    fn upgradable(&mut self) -> Option<&mut MaybeTls> {
        None
    }
}

impl ControlStream for MaybeTls {
    fn is_tls(&self) -> bool {
        MaybeTls::is_tls(self)
    }

    fn read_past_urgent_mark(&self, buf: &mut [u8]) -> usize {
        MaybeTls::read_past_urgent_mark(self, buf)
    }

    fn upgradable(&mut self) -> Option<&mut MaybeTls> {
        Some(self)
    }
}

/// An in-memory connection: the whole session runs without sockets, so tests can drive it
/// under paused time.
impl ControlStream for tokio::io::DuplexStream {}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "connection closed during TLS upgrade",
    )
}

impl AsyncRead for MaybeTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for MaybeTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }
}
