//! The waits of PASV/EPSV, under paused time: a PASV that finds every passive port busy,
//! or its address at the cap of waiting listeners, waits up to `passive_wait` for one to
//! close before `425`. Sessions run over `tokio::io::duplex` (see paused_time.rs), so the
//! clock jumps straight to each timer and the time a reply arrives is exact.

mod common;

use std::time::Duration;

use common::duplex::{assert_took, Harness};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(2);
const DATA_TIMEOUT: Duration = Duration::from_secs(20);

/// A server fed with in-memory connections, with the waits above; `adjust` changes more.
async fn start(adjust: impl FnOnce(&mut ferroftp_server::ServerConfig)) -> Harness {
    Harness::start(|c| {
        c.passive_wait = WAIT;
        c.data_connect_timeout = DATA_TIMEOUT;
        adjust(c);
    })
    .await
}

/// A port free right now, for a one-port passive range.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    probe.local_addr().expect("address").port()
}

// Guards point 4: with the range busy, PASV used to fail at once; now it waits
// `passive_wait` and only then answers 425.
#[tokio::test(start_paused = true)]
async fn a_pasv_finding_the_range_busy_waits_then_gets_425() {
    let port = free_port();
    let h = start(|c| c.passive_ports = port..=port).await;
    let mut hoarder = h.logged_in().await;
    assert!(hoarder.cmd("EPSV").await.starts_with("229 "));
    let mut honest = h.logged_in().await;
    let start = Instant::now();
    assert_eq!(
        honest.cmd("EPSV").await,
        "425 Can't open passive connection: no passive port free: try again.\r\n"
    );
    assert_took(start.elapsed(), WAIT);
}

// Guards point 4: a PASV waiting for a port gets the one freed meanwhile, at once.
#[tokio::test(start_paused = true)]
async fn a_pasv_waiting_for_a_port_gets_one_as_soon_as_it_is_freed() {
    let port = free_port();
    let h = start(|c| c.passive_ports = port..=port).await;
    let mut hoarder = h.logged_in().await;
    assert!(hoarder.cmd("EPSV").await.starts_with("229 "));
    let mut honest = h.logged_in().await;
    honest.send("EPSV").await;
    // Virtual time: the stimulus (time passing), not synchronisation.
    tokio::time::sleep(WAIT / 2).await;
    let freed = Instant::now();
    // REIN drops the hoarder's listener.
    assert!(hoarder.cmd("REIN").await.starts_with("220 "));
    assert_eq!(
        honest.next_reply().await,
        format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
    );
    assert_eq!(freed.elapsed(), Duration::ZERO);
}

// Guards point 3 with point 4: over the cap per address, PASV waits like for a busy
// range, then 425 with the cap's own text.
#[tokio::test(start_paused = true)]
async fn over_the_cap_per_address_pasv_waits_then_gets_425() {
    let h = start(|c| c.max_passive_per_ip = 1).await;
    let mut first = h.logged_in().await;
    assert!(first.cmd("EPSV").await.starts_with("229 "));
    let mut second = h.logged_in().await;
    let start = Instant::now();
    assert_eq!(
        second.cmd("EPSV").await,
        "425 Can't open passive connection: too many waiting from your address, use the ones you have.\r\n"
    );
    assert_took(start.elapsed(), WAIT);
    // Once the first listener times out, the place is free.
    tokio::time::sleep(DATA_TIMEOUT).await;
    assert!(second.cmd("EPSV").await.starts_with("229 "));
}
