//! Hostile clients. Each kind runs until the stop signal, from its own block of loopback
//! addresses (the sprayer from 127.0.0.2), and counts what it tried and what it achieved.

use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::ctx::{block, Ctx};
use crate::ftp::{self, Ctl};
use crate::honest::{CRAFTED_DIR, UP_DIR};
use crate::stats::Hostile;

/// Every hostile kind, by the name used in flags and in the table.
pub const KINDS: [&str; 8] = [
    "slow-readers",
    "stallers",
    "guessers",
    "hoarders",
    "sprayer",
    "silent",
    "pipeliners",
    "patterns",
];

/// Runs `n` copies of `client` until the run stops, then ends them all.
async fn swarm<F, Fut>(ctx: &Arc<Ctx>, n: usize, client: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(client(i));
    }
    ctx.stop.cancelled().await;
    set.abort_all();
    while set.join_next().await.is_some() {}
}

/// Connects from `from` and logs in as an honest user; counts failures in `st`.
async fn login(ctx: &Ctx, from: Option<IpAddr>, st: &Hostile, small_rcvbuf: bool) -> Option<Ctl> {
    let attempt = async {
        let stream = if small_rcvbuf {
            ftp::connect_small_rcvbuf(ctx.target, from).await?
        } else {
            ftp::connect(ctx.target, from).await?
        };
        let mut c = Ctl::from_stream(stream, ctx.target, from);
        let greeting = c.reply().await?;
        if greeting.code != 220 {
            anyhow::bail!("greeting {}", greeting.code);
        }
        let user = &ctx.users[rand::rng().random_range(0..ctx.users.len())];
        let r = c.login(user, &ctx.password).await?;
        if r.code != 230 {
            anyhow::bail!("login {}", r.code);
        }
        c.expect("TYPE I", 200).await?;
        anyhow::Ok(c)
    };
    match tokio::time::timeout(ctx.op_timeout, attempt).await {
        Ok(Ok(c)) => {
            st.bump("logins");
            Some(c)
        }
        _ => {
            st.bump("login_failures");
            None
        }
    }
}

/// Counts how a control connection ended, by reading it until a reply or EOF.
async fn await_end(c: &mut Ctl, st: &Hostile, what: &str) {
    match c.reply().await {
        Ok(r) => st.bump(format!("{what}_reply_{}", r.code)),
        Err(_) => st.bump(format!("{what}_ctl_closed")),
    }
}

/// PASV and a data connection with a small receive buffer, counting the failures; while it
/// runs the setup shows in the `setup_in_flight_at_stop` gauge.
async fn open_small_data(
    c: &mut Ctl,
    from: Option<IpAddr>,
    st: &Hostile,
) -> Option<tokio::net::TcpStream> {
    st.gauge("setup_in_flight_at_stop", 1);
    let data = match c.passive().await {
        Ok(addr) => {
            let data = ftp::connect_small_rcvbuf(addr, from).await.ok();
            if data.is_none() {
                st.bump("data_connect_failures");
            }
            data
        }
        Err(_) => {
            st.bump("pasv_failures");
            None
        }
    };
    st.gauge("setup_in_flight_at_stop", -1);
    data
}

/// Slow readers: RETR the largest seed (or LIST the crafted folder) and read the data
/// connection at 4 bytes per second.
pub async fn slow_readers(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    let big = ctx.seeds.last().map(|s| s.path.clone()).unwrap_or_default();
    swarm(&ctx, n, |i| {
        let (ctx, st, big) = (ctx.clone(), st.clone(), big.clone());
        async move {
            let from = ctx.source(block::SLOW, i / 25);
            loop {
                let Some(mut c) = login(&ctx, from, &st, false).await else {
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                };
                loop {
                    let data = open_small_data(&mut c, from, &st).await;
                    let Some(mut data) = data else { break };
                    let line = if i % 2 == 0 {
                        format!("RETR {big}")
                    } else {
                        format!("LIST {CRAFTED_DIR}")
                    };
                    match c.cmd(&line).await {
                        Ok(r) if r.is_preliminary() => st.bump("transfers_started"),
                        Ok(r) => {
                            st.bump(format!("refused_{}", r.code));
                            break;
                        }
                        Err(_) => break,
                    }
                    let started = Instant::now();
                    st.gauge("held_at_stop", 1);
                    let mut buf = [0u8; 4];
                    loop {
                        match data.read(&mut buf).await {
                            Ok(0) => break,
                            Ok(k) => st.add("bytes_read", k as u64),
                            Err(_) => break,
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    st.gauge("held_at_stop", -1);
                    st.max("longest_held_s", started.elapsed().as_secs());
                    drop(data);
                    await_end(&mut c, &st, "transfer").await;
                }
                ctx.pause(Duration::from_secs(1)).await;
            }
        }
    })
    .await;
}

/// Stalled data connections: PASV + RETR and never read, or PASV + STOR and never send.
pub async fn stallers(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    let big = ctx.seeds.last().map(|s| s.path.clone()).unwrap_or_default();
    swarm(&ctx, n, |i| {
        let (ctx, st, big) = (ctx.clone(), st.clone(), big.clone());
        async move {
            let from = ctx.source(block::STALLERS, i / 25);
            let (line, kind) = if i % 2 == 0 {
                (format!("RETR {big}"), "retr")
            } else {
                (format!("STOR {UP_DIR}/stall{i}.bin"), "stor")
            };
            loop {
                let Some(mut c) = login(&ctx, from, &st, false).await else {
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                };
                loop {
                    let data = open_small_data(&mut c, from, &st).await;
                    let Some(data) = data else { break };
                    match c.cmd(&line).await {
                        Ok(r) if r.is_preliminary() => st.bump(format!("{kind}_stalled")),
                        Ok(r) => {
                            st.bump(format!("{kind}_refused_{}", r.code));
                            break;
                        }
                        Err(_) => break,
                    }
                    let started = Instant::now();
                    st.gauge("held_at_stop", 1);
                    // Hold the data connection without touching it until the server acts.
                    await_end(&mut c, &st, kind).await;
                    st.gauge("held_at_stop", -1);
                    st.max(
                        format!("{kind}_longest_held_s"),
                        started.elapsed().as_secs(),
                    );
                    drop(data);
                }
                ctx.pause(Duration::from_secs(1)).await;
            }
        }
    })
    .await;
}

/// Password guessers: many connections from three addresses sending wrong passwords as fast
/// as the server answers, for the victim account and for unknown names.
pub async fn guessers(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    let started = Instant::now();
    let per_addr: Arc<Vec<std::sync::atomic::AtomicU64>> =
        Arc::new((0..3).map(|_| Default::default()).collect());
    swarm(&ctx, n, |i| {
        let (ctx, st, per_addr) = (ctx.clone(), st.clone(), per_addr.clone());
        async move {
            let a = i % 3;
            let from = ctx.source(block::GUESSERS, a);
            let mut tries = 0u64;
            loop {
                let (mut c, greeting) = match Ctl::open(ctx.target, from).await {
                    Ok(x) => x,
                    Err(_) => {
                        st.bump("connect_failures");
                        ctx.pause(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                if greeting.code != 220 {
                    // 421 at connect: banned or over a limit.
                    st.bump(format!("refused_at_connect_{}", greeting.code));
                    ctx.pause(Duration::from_millis(200)).await;
                    continue;
                }
                st.bump("connections");
                loop {
                    tries += 1;
                    let known = tries % 4 != 0;
                    let user = if known {
                        ctx.victim.clone()
                    } else {
                        format!("nobody{tries}")
                    };
                    let r = match c.cmd(&format!("USER {user}")).await {
                        Ok(r) => r,
                        Err(_) => {
                            st.bump("closed_by_server");
                            break;
                        }
                    };
                    let who = if known { "known" } else { "unknown" };
                    st.bump(format!("USER_{who}_{}", r.code));
                    if r.code != 331 {
                        if r.code == 421 {
                            break;
                        }
                        continue;
                    }
                    let guess = format!("guess-{i}-{tries}");
                    let t = Instant::now();
                    match c.cmd(&format!("PASS {guess}")).await {
                        Ok(r) => {
                            st.bump("guesses");
                            per_addr[a].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            st.bump(format!("PASS_{who}_{}", r.code));
                            st.max(
                                format!("slowest_PASS_{who}_ms"),
                                t.elapsed().as_millis() as u64,
                            );
                            if r.code == 230 {
                                st.bump("ACCEPTED_WRONG_PASSWORD");
                            }
                            if r.code == 421 {
                                break;
                            }
                        }
                        Err(_) => {
                            st.bump("closed_by_server");
                            break;
                        }
                    }
                }
            }
        }
    })
    .await;
    let minutes = started.elapsed().as_secs_f64().max(1.0) / 60.0;
    for count in per_addr.iter() {
        let n = count.load(std::sync::atomic::Ordering::Relaxed);
        st.max("best_guesses_per_min_one_addr", (n as f64 / minutes) as u64);
    }
}

/// PASV hoarders: log in, PASV, never connect; PASV again every two seconds.
pub async fn hoarders(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    let ports: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(Vec::new()));
    swarm(&ctx, n, |i| {
        let (ctx, st, ports) = (ctx.clone(), st.clone(), ports.clone());
        async move {
            let from = ctx.source(block::HOARDERS, i / 25);
            loop {
                let Some(mut c) = login(&ctx, from, &st, false).await else {
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                };
                st.gauge("sessions_at_stop", 1);
                loop {
                    let cmd = if ctx.target.is_ipv4() { "PASV" } else { "EPSV" };
                    match c.cmd(cmd).await {
                        Ok(r) if r.code == 227 || r.code == 229 => {
                            st.bump("pasv_ok");
                            let port = if r.code == 227 {
                                ftp::parse_pasv_port(&r.text)
                            } else {
                                ftp::parse_epsv_port(&r.text)
                            };
                            if let (Ok(p), Ok(mut v)) = (port, ports.lock()) {
                                v.push(p);
                            }
                        }
                        Ok(r) => st.bump(format!("PASV_refused_{}", r.code)),
                        Err(_) => {
                            st.bump("ctl_closed");
                            st.gauge("sessions_at_stop", -1);
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                ctx.pause(Duration::from_secs(1)).await;
            }
        }
    })
    .await;
    let seen = ports.lock().map(|v| v.clone()).unwrap_or_default();
    {
        let v = seen;
        let distinct: HashSet<u16> = v.iter().copied().collect();
        st.add("distinct_ports", distinct.len() as u64);
        if v.len() > 1 {
            let next = v
                .windows(2)
                .filter(|w| w[1] == w[0].wrapping_add(1))
                .count();
            st.add(
                "next_port_predictable_pct",
                (next * 100 / (v.len() - 1)) as u64,
            );
        }
    }
}

/// Passive-port sprayer from 127.0.0.2: connects to every port of the passive range in a
/// loop, sends a few junk bytes and reads whatever the server sends.
pub async fn sprayer(ctx: Arc<Ctx>, st: Arc<Hostile>) {
    let Some((first, last)) = ctx.passive else {
        st.bump("skipped_no_passive_range");
        return;
    };
    let from = ctx
        .target
        .is_ipv4()
        .then_some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let ip = ctx.target.ip();
    let sweep = async {
        loop {
            let mut set = JoinSet::new();
            for port in first..=last {
                let st = st.clone();
                set.spawn(async move {
                    let to = SocketAddr::new(ip, port);
                    let conn =
                        tokio::time::timeout(Duration::from_secs(1), ftp::connect(to, from)).await;
                    let Ok(Ok(mut s)) = conn else {
                        st.bump("refused");
                        return;
                    };
                    st.bump("accepted");
                    let _ = s.write_all(b"junk from a foreign host\r\n").await;
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut got = 0u64;
                    let read = async {
                        loop {
                            match s.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(k) => got += k as u64,
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_millis(300), read).await;
                    if got > 0 {
                        st.bump("connections_with_data");
                        st.add("bytes_received", got);
                    }
                });
            }
            while set.join_next().await.is_some() {}
            st.bump("sweeps");
            // A short pause keeps a refused sweep from spinning a core; 10 ms still reaches
            // every fresh passive port long before a typical client's data timeout.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        _ = ctx.stop.cancelled() => {}
        _ = sweep => {}
    }
}

/// Silent connections: connect, read the greeting, never send a byte; reconnect when closed.
pub async fn silent(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    swarm(&ctx, n, |i| {
        let (ctx, st) = (ctx.clone(), st.clone());
        async move {
            // Twenty addresses, as in the report.
            let from = ctx.source(block::SILENT, i % 20);
            loop {
                let (mut c, greeting) = match Ctl::open(ctx.target, from).await {
                    Ok(x) => x,
                    Err(_) => {
                        st.bump("connect_failures");
                        ctx.pause(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                if greeting.code != 220 {
                    st.bump(format!("refused_at_connect_{}", greeting.code));
                    ctx.pause(Duration::from_millis(500)).await;
                    continue;
                }
                st.bump("held");
                let started = Instant::now();
                st.gauge("held_at_stop", 1);
                await_end(&mut c, &st, "server").await;
                st.gauge("held_at_stop", -1);
                st.max("longest_held_s", started.elapsed().as_secs());
            }
        }
    })
    .await;
}

/// Pipeliners: log in, then write commands without ever reading a reply.
pub async fn pipeliners(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    let chunk: Vec<u8> = b"STAT\r\nNOOP\r\nPWD\r\nHELP\r\n".repeat(128);
    swarm(&ctx, n, |i| {
        let (ctx, st, chunk) = (ctx.clone(), st.clone(), chunk.clone());
        async move {
            let from = ctx.source(block::PIPELINERS, i / 25);
            loop {
                let Some(mut c) = login(&ctx, from, &st, true).await else {
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                };
                let started = Instant::now();
                st.gauge("held_at_stop", 1);
                let mut blocked = false;
                loop {
                    match tokio::time::timeout(Duration::from_secs(2), c.send_raw(&chunk)).await {
                        Ok(Ok(())) => st.add("bytes_sent", chunk.len() as u64),
                        Ok(Err(_)) => {
                            st.bump("closed_by_server");
                            break;
                        }
                        Err(_) => {
                            // The write timed out part-way; the stream is still usable for
                            // the next try, which tells whether the server gave up on us.
                            if !blocked {
                                blocked = true;
                                st.bump("writes_blocked");
                            }
                        }
                    }
                }
                st.gauge("held_at_stop", -1);
                st.max("longest_held_s", started.elapsed().as_secs());
                ctx.pause(Duration::from_secs(1)).await;
            }
        }
    })
    .await;
}

/// Pathological shell patterns: `NLST *[[[[...` of about 4 KB and `NLST *a*a*...*b` over the
/// crafted long names.
pub async fn patterns(ctx: Arc<Ctx>, n: usize, st: Arc<Hostile>) {
    // The whole line, `NLST ` and CRLF included, stays under the server's 4096-byte line limit.
    let brackets = format!("*{}", "[".repeat(4080));
    let stars = format!("{}b", "*a".repeat(30));
    swarm(&ctx, n, |i| {
        let (ctx, st) = (ctx.clone(), st.clone());
        let patterns = [brackets.clone(), stars.clone()];
        async move {
            let from = ctx.source(block::PATTERNS, i / 25);
            loop {
                let Some(mut c) = login(&ctx, from, &st, false).await else {
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                };
                if c.expect(&format!("CWD {CRAFTED_DIR}"), 250).await.is_err() {
                    st.bump("cwd_failed");
                    ctx.pause(Duration::from_secs(1)).await;
                    continue;
                }
                for k in 0usize.. {
                    let (name, pattern) = if k % 2 == 0 {
                        ("brackets", &patterns[0])
                    } else {
                        ("stars", &patterns[1])
                    };
                    let t = Instant::now();
                    st.gauge("nlst_in_flight_at_stop", 1);
                    let outcome = nlst(&mut c, pattern).await;
                    st.gauge("nlst_in_flight_at_stop", -1);
                    st.max(format!("slowest_{name}_ms"), t.elapsed().as_millis() as u64);
                    match outcome {
                        Ok(code) => st.bump(format!("{name}_reply_{code}")),
                        Err(_) => {
                            // PASV refused, data connection lost or control closed: start
                            // over with a fresh session either way.
                            st.bump(format!("{name}_errors"));
                            break;
                        }
                    }
                }
                ctx.pause(Duration::from_secs(1)).await;
            }
        }
    })
    .await;
}

/// One NLST over a fresh data connection; returns the final reply code.
async fn nlst(c: &mut Ctl, pattern: &str) -> anyhow::Result<u16> {
    let (mut data, _) = c.open_data().await?;
    let r = c.cmd(&format!("NLST {pattern}")).await?;
    if !r.is_preliminary() {
        return Ok(r.code);
    }
    let mut sink = Vec::new();
    let _ = data.read_to_end(&mut sink).await;
    Ok(c.reply().await?.code)
}
