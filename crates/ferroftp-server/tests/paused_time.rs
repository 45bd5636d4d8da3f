//! The control loop's timers, tested under paused time: whole sessions run over an
//! in-memory `tokio::io::duplex` (data connections over real loopback sockets), and the
//! clock only moves when every task waits, jumping straight to the next timer. So each test
//! takes milliseconds of real time, and the time a reply arrives is exact, not a guess.

mod common;

use std::time::Duration;

use common::duplex::{assert_took, pasv_port, Harness};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

// Different lengths, so that a reply's time also says which timer sent it.
const IDLE: Duration = Duration::from_secs(600);
const LOGIN_DELAY: Duration = Duration::from_secs(3);
const DATA_TIMEOUT: Duration = Duration::from_secs(20);
const GRACE: Duration = Duration::from_secs(45);

/// A server fed with in-memory connections, with the timers above.
async fn start() -> Harness {
    Harness::start(|c| {
        c.idle_timeout = IDLE;
        c.login_failure_delay = LOGIN_DELAY;
        c.data_connect_timeout = DATA_TIMEOUT;
        c.shutdown_grace = GRACE;
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_gets_421_after_exactly_the_idle_timeout() {
    let h = start().await;
    // Logged in: before login, the shorter login timeout ends a session first.
    let mut c = h.logged_in().await;
    let start = Instant::now();
    // Up to the last moment, nothing is said.
    let early = tokio::time::timeout(IDLE - Duration::from_millis(5), c.reply()).await;
    assert!(early.is_err(), "{early:?}");
    assert_eq!(
        c.reply().await.as_deref(),
        Some("421 Timeout: closing control connection.\r\n")
    );
    assert_took(start.elapsed(), IDLE);
    assert_eq!(c.reply().await, None, "the session is closed");
}

#[tokio::test(start_paused = true)]
async fn every_command_restarts_the_idle_timer() {
    let h = start().await;
    let mut c = h.logged_in().await;
    // Virtual time: this sleep is the stimulus (time passing), not synchronisation.
    tokio::time::sleep(IDLE / 2).await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    let after_noop = Instant::now();
    assert_eq!(
        c.reply().await.as_deref(),
        Some("421 Timeout: closing control connection.\r\n")
    );
    assert_took(after_noop.elapsed(), IDLE);
}

#[tokio::test(start_paused = true)]
async fn a_failed_login_is_answered_after_the_delay_and_a_good_one_at_once() {
    let h = start().await;
    let mut c = h.connect().await;
    assert!(c.cmd("USER alice").await.starts_with("331 "));
    let start = Instant::now();
    assert_eq!(c.cmd("PASS wrong").await, "530 Login incorrect.\r\n");
    assert_took(start.elapsed(), LOGIN_DELAY);

    assert!(c.cmd("USER alice").await.starts_with("331 "));
    let start = Instant::now();
    assert_eq!(c.cmd("PASS right").await, "230 Login successful.\r\n");
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_passive_channel_nobody_connects_to_gives_425_after_the_data_timeout() {
    let h = start().await;
    std::fs::write(h.path("f.bin"), b"data").expect("write file");
    let mut c = h.logged_in().await;
    let pasv = c.cmd("PASV").await;
    assert!(
        pasv.starts_with("227 Entering Passive Mode (127,0,0,1,"),
        "{pasv}"
    );
    // The listener waits from PASV on.
    let start = Instant::now();
    assert_eq!(
        c.cmd("RETR f.bin").await,
        "425 Can't open data connection: data connection timed out.\r\n"
    );
    assert_took(start.elapsed(), DATA_TIMEOUT);
    // The session goes on.
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
}

#[tokio::test(start_paused = true)]
async fn on_shutdown_a_running_transfer_gets_the_grace_period_then_is_cut() {
    let mut h = start().await;
    let mut c = h.logged_in().await;
    let port = pasv_port(&c.cmd("PASV").await);
    // A blocking connect on loopback is done when it returns, before any timer can run.
    let data = std::net::TcpStream::connect(("127.0.0.1", port)).expect("data connection");
    // The upload starts, and the client then sends nothing: it runs until something ends it.
    assert_eq!(
        c.cmd("STOR up.bin").await,
        "150 Ok to send data for up.bin.\r\n"
    );

    h.shutdown
        .take()
        .expect("once")
        .send(())
        .expect("server runs");
    let start = Instant::now();
    // Halfway through the grace period, the session still answers and the transfer runs.
    tokio::time::sleep(GRACE / 2).await;
    assert_eq!(c.cmd("NOOP").await, "200 NOOP ok.\r\n");
    let stat = c.cmd("STAT").await;
    assert!(
        stat.contains("Transfer in progress: STOR /up.bin"),
        "{stat}"
    );

    // At the end of the grace period the session is cut: no 226, no 421, just the end.
    assert_eq!(c.reply().await, None);
    assert_took(start.elapsed(), GRACE);
    (&mut h.server)
        .await
        .expect("server task")
        .expect("server ends well");

    // The transfer was cut with it: its data connection closes and the upload is dropped.
    data.set_nonblocking(true).expect("non-blocking");
    let mut data = tokio::net::TcpStream::from_std(data).expect("tokio stream");
    let mut buf = [0u8; 16];
    let read = data.read(&mut buf).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(!h.path("up.bin").exists());
}
