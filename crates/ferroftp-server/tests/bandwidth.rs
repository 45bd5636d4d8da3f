//! Bandwidth limits under paused time: sessions run over in-memory control connections and
//! real loopback data connections, and tokio's clock only moves when every task waits, so a
//! ten-second transfer takes milliseconds and its duration is measured exactly in virtual
//! time. The promise checked: within 10% of the configured rate over ten seconds.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::duplex::{Client, Harness};
use ferroftp_server::users_file::{UsersFile, UsersFileAuthenticator};
use ferroftp_server::{ServerConfig, UserLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const MB: u64 = 1_000_000;

/// A server fed with in-memory control connections; users `carol` and `dave` share one
/// home directory.
async fn start(
    adjust: impl FnOnce(&mut ServerConfig),
    carol: UserLimits,
    dave: UserLimits,
) -> Harness {
    let home = tempfile::tempdir().expect("temp dir");
    let mut users = UsersFile::new();
    for (name, limits) in [("carol", carol), ("dave", dave)] {
        users.add(name, "pw", home.path(), false).expect("add");
        users.set_limits(name, limits).expect("limits");
    }
    let auth = Arc::new(UsersFileAuthenticator::new(users));
    Harness::start_with(auth, home, |c| {
        c.login_failure_delay = Duration::ZERO;
        adjust(c);
    })
    .await
}

trait Users {
    async fn login(&self, user: &str) -> Client;
    fn file(&self, name: &str, len: u64);
    fn size(&self, name: &str) -> u64;
}

impl Users for Harness {
    async fn login(&self, user: &str) -> Client {
        let mut c = self.connect().await;
        assert!(c.cmd(&format!("USER {user}")).await.starts_with("331 "));
        assert!(c.cmd("PASS pw").await.starts_with("230 "));
        assert!(c.cmd("TYPE I").await.starts_with("200 "));
        c
    }

    fn file(&self, name: &str, len: u64) {
        let len = usize::try_from(len).expect("size");
        std::fs::write(self.home.path().join(name), vec![b'z'; len]).expect("write file");
    }

    fn size(&self, name: &str) -> u64 {
        std::fs::metadata(self.home.path().join(name))
            .expect("stored")
            .len()
    }
}

trait Transfers {
    async fn data(&mut self) -> TcpStream;
    async fn download(&mut self, name: &str) -> (u64, Duration);
    async fn upload(&mut self, name: &str, len: u64) -> Duration;
}

impl Transfers for Client {
    /// PASV, and a connection to the port it names.
    async fn data(&mut self) -> TcpStream {
        let pasv = self.cmd("PASV").await;
        let inner = pasv
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(i, _)| i.to_owned())
            .expect("address in parentheses");
        let n: Vec<u16> = inner
            .split(',')
            .map(|x| x.trim().parse().expect("number"))
            .collect();
        TcpStream::connect(("127.0.0.1", n[4] * 256 + n[5]))
            .await
            .expect("data connection")
    }

    /// RETR `name`: the bytes received and the virtual time from the preliminary reply to
    /// the end of the data.
    async fn download(&mut self, name: &str) -> (u64, Duration) {
        let mut data = self.data().await;
        assert!(self.cmd(&format!("RETR {name}")).await.starts_with("150 "));
        let start = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0u64;
        loop {
            let n = data.read(&mut buf).await.expect("read data");
            if n == 0 {
                break;
            }
            got += n as u64;
        }
        let took = start.elapsed();
        assert!(self.next_reply().await.starts_with("226 "));
        (got, took)
    }

    /// STOR `name` with `len` bytes: the virtual time from the preliminary reply to the
    /// final one.
    async fn upload(&mut self, name: &str, len: u64) -> Duration {
        let mut data = self.data().await;
        assert!(self.cmd(&format!("STOR {name}")).await.starts_with("150 "));
        let start = Instant::now();
        let chunk = vec![b'u'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(chunk.len() as u64)).expect("chunk");
            data.write_all(&chunk[..n]).await.expect("write data");
            left -= n as u64;
        }
        data.shutdown().await.expect("end of data");
        drop(data);
        let done = self.next_reply().await;
        assert!(done.starts_with("226 "), "{done}");
        start.elapsed()
    }
}

/// `took` is ten seconds, give or take 10%.
fn assert_ten_seconds(took: Duration) {
    assert!(
        took >= Duration::from_secs(9) && took <= Duration::from_secs(11),
        "took {took:?}, expected 10 s ± 10%"
    );
}

/// Guards `max_download_rate`: 10 MB at 1 MB/s take 10 s.
#[tokio::test(start_paused = true)]
async fn the_server_download_rate_holds_over_ten_seconds() {
    let h = start(
        |c| c.max_download_rate = MB,
        UserLimits::default(),
        UserLimits::default(),
    )
    .await;
    h.file("ten.bin", 10 * MB);
    let mut c = h.login("carol").await;
    let (got, took) = c.download("ten.bin").await;
    assert_eq!(got, 10 * MB);
    assert_ten_seconds(took);
    // Uploads are not limited by it.
    let took = c.upload("up.bin", 10 * MB).await;
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// Guards `max_upload_rate`: 10 MB at 1 MB/s take 10 s.
#[tokio::test(start_paused = true)]
async fn the_server_upload_rate_holds_over_ten_seconds() {
    let h = start(
        |c| c.max_upload_rate = MB,
        UserLimits::default(),
        UserLimits::default(),
    )
    .await;
    let mut c = h.login("dave").await;
    let took = c.upload("ten.bin", 10 * MB).await;
    assert_eq!(h.size("ten.bin"), 10 * MB);
    assert_ten_seconds(took);
}

/// Guards the shared server-wide bucket: two users downloading at once split 1 MB/s, so
/// 5 MB each take 10 s.
#[tokio::test(start_paused = true)]
async fn the_server_rate_is_shared_by_all_sessions() {
    let h = start(
        |c| c.max_download_rate = MB,
        UserLimits::default(),
        UserLimits::default(),
    )
    .await;
    h.file("five.bin", 5 * MB);
    let mut a = h.login("carol").await;
    let mut b = h.login("dave").await;
    let ((got_a, took_a), (got_b, took_b)) =
        tokio::join!(a.download("five.bin"), b.download("five.bin"));
    assert_eq!((got_a, got_b), (5 * MB, 5 * MB));
    assert_ten_seconds(took_a);
    assert_ten_seconds(took_b);
}

/// Guards the per-user rates from the users file, shared by the user's sessions: carol
/// downloads at 500 kB/s however many sessions she opens, uploads at 1 MB/s; dave is not
/// limited.
#[tokio::test(start_paused = true)]
async fn user_rates_apply_to_all_their_sessions_and_to_them_only() {
    let carol = UserLimits {
        download_rate: MB / 2,
        upload_rate: MB,
        ..UserLimits::default()
    };
    let h = start(|_| {}, carol, UserLimits::default()).await;
    h.file("half.bin", 5 * MB / 2);
    let mut a = h.login("carol").await;
    let mut b = h.login("carol").await;
    let ((_, took_a), (_, took_b)) = tokio::join!(a.download("half.bin"), b.download("half.bin"));
    assert_ten_seconds(took_a);
    assert_ten_seconds(took_b);
    assert_ten_seconds(a.upload("up.bin", 10 * MB).await);

    let mut d = h.login("dave").await;
    let (got, took) = d.download("half.bin").await;
    assert_eq!(got, 5 * MB / 2);
    assert!(took < Duration::from_secs(1), "{took:?}");
}
