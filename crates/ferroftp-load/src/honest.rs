//! Honest clients: log in once, then loop PWD/NOOP/LIST/RETR/STOR/RETR with a think time,
//! checking the hash of everything downloaded.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::ctx::Ctx;
use crate::ftp::Ctl;

/// Folder of the seeded files, relative to the login directory.
pub const SEED_DIR: &str = "load-seed";
/// Folder of the honest uploads.
pub const UP_DIR: &str = "load-up";
/// Folder of the crafted long names the pattern attack lists.
pub const CRAFTED_DIR: &str = "load-crafted";

/// A seeded file: its path and the hash of its bytes.
#[derive(Clone)]
pub struct Seed {
    /// Path relative to the login directory.
    pub path: String,
    /// SHA-256 of the content.
    pub hash: [u8; 32],
}

/// SHA-256 of `bytes`.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rng().fill_bytes(&mut v);
    v
}

/// Uploads the seed files and the crafted names with one session; returns the seeds.
pub async fn seed(ctx: &Ctx, small: usize, large: &[usize], crafted: usize) -> Result<Vec<Seed>> {
    let (mut c, greeting) = Ctl::open(ctx.target, None).await.context("seeding")?;
    if greeting.code != 220 {
        bail!("seeding: greeting {} {}", greeting.code, greeting.text);
    }
    let r = c.login(&ctx.users[0], &ctx.password).await?;
    if r.code != 230 {
        bail!("seeding: login as {}: {} {}", ctx.users[0], r.code, r.text);
    }
    c.expect("TYPE I", 200).await?;
    for d in [SEED_DIR, UP_DIR, CRAFTED_DIR] {
        // 550 when it exists already (a second run against the same server) is fine.
        let r = c.cmd(&format!("MKD {d}")).await?;
        if r.code != 257 && r.code != 550 {
            bail!("seeding: MKD {d}: {} {}", r.code, r.text);
        }
    }
    let mut seeds = Vec::new();
    let mut sizes: Vec<usize> = (0..small)
        .map(|_| rand::rng().random_range(1024..=16 * 1024))
        .collect();
    sizes.extend_from_slice(large);
    for (i, size) in sizes.into_iter().enumerate() {
        let bytes = random_bytes(size);
        let path = format!("{SEED_DIR}/s{i}.bin");
        c.upload(&path, &bytes)
            .await
            .with_context(|| format!("seeding {path}"))?;
        seeds.push(Seed {
            path,
            hash: hash(&bytes),
        });
    }
    // Long names that make naive backtracking matchers blow up on `*a*a*a...b`.
    for i in 0..crafted {
        let path = format!("{CRAFTED_DIR}/{}{i:03}", "a".repeat(220));
        c.upload(&path, b"")
            .await
            .with_context(|| format!("seeding {CRAFTED_DIR}"))?;
    }
    c.quit().await;
    Ok(seeds)
}

/// Counts one honest failure, unless the RSS guard has killed the server: errors after that
/// are the guard's doing, not the server's, and are only counted apart.
fn failed(ctx: &Ctx, counter: &AtomicU64, what: &str, err: &anyhow::Error) {
    if ctx.guard_tripped() {
        ctx.honest.after_guard.fetch_add(1, Ordering::Relaxed);
        return;
    }
    counter.fetch_add(1, Ordering::Relaxed);
    ctx.honest.reasons.add(what, err);
}

/// Runs one honest session until `ctx.stop`; reconnects after losing its connection.
pub async fn session(ctx: Arc<Ctx>, id: usize) {
    let from = ctx.honest_source(id);
    let user = ctx.users[id % ctx.users.len()].clone();
    let upload_path = format!("{UP_DIR}/u{id}.bin");
    while !ctx.stop.is_cancelled() {
        let started = Instant::now();
        ctx.honest.logging_in.fetch_add(1, Ordering::Relaxed);
        let login = tokio::time::timeout(ctx.op_timeout, login(&ctx, from, &user)).await;
        ctx.honest.logging_in.fetch_sub(1, Ordering::Relaxed);
        let mut c = match login {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                failed(&ctx, &ctx.honest.failed_logins, "login", &e);
                ctx.pause(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => {
                // A login that timed out took at least this long; leaving it out would
                // flatter the percentiles exactly when the server is in trouble.
                ctx.honest.login_latency.record(started.elapsed());
                failed(
                    &ctx,
                    &ctx.honest.failed_logins,
                    "login",
                    &anyhow::anyhow!("timed out"),
                );
                continue;
            }
        };
        ctx.honest.login_latency.record(started.elapsed());
        ctx.honest.logins.fetch_add(1, Ordering::Relaxed);
        ctx.honest.enter();
        let outcome = iterate(&ctx, &mut c, &upload_path).await;
        ctx.honest.leave();
        match outcome {
            Ok(()) => {
                c.quit().await;
                return;
            }
            Err(()) => {
                if !ctx.guard_tripped() {
                    ctx.honest.drops.fetch_add(1, Ordering::Relaxed);
                }
                // Back off a little so a broken server is not hammered by reconnects.
                ctx.pause(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn login(ctx: &Ctx, from: Option<IpAddr>, user: &str) -> Result<Ctl> {
    let (mut c, greeting) = Ctl::open(ctx.target, from).await?;
    if greeting.code != 220 {
        bail!("greeting {} {}", greeting.code, greeting.text);
    }
    let r = c.login(user, &ctx.password).await?;
    if r.code != 230 {
        bail!("{} {}", r.code, r.text);
    }
    Ok(c)
}

/// Loops the honest commands until stopped (`Ok`) or until something fails (`Err`, the
/// failure already counted) and the connection is no longer trusted. A session that got in
/// always does one whole round, even when the stop came while it was logging in, so that
/// every login is followed by transfers however slow the machine (the drain time bounds it).
async fn iterate(ctx: &Ctx, c: &mut Ctl, upload_path: &str) -> Result<(), ()> {
    command(ctx, c, "TYPE I", 200).await?;
    let mut first = true;
    while first || !ctx.stop.is_cancelled() {
        first = false;
        command(ctx, c, "PWD", 257).await?;
        noop(ctx, c).await?;
        transfer(ctx, "LIST", async {
            let listing = c.download(&format!("LIST {SEED_DIR}")).await?;
            Ok(listing.len())
        })
        .await?;
        let seed = &ctx.seeds[pick_seed(ctx)];
        retr_checked(ctx, c, &seed.path, seed.hash).await?;
        let size = if rand::rng().random_ratio(1, 50) {
            1 << 20
        } else {
            rand::rng().random_range(512..=16 * 1024)
        };
        let bytes = random_bytes(size);
        let want = hash(&bytes);
        transfer(ctx, "STOR", async {
            c.upload(upload_path, &bytes).await?;
            Ok(bytes.len())
        })
        .await?;
        retr_checked(ctx, c, upload_path, want).await?;
        noop(ctx, c).await?;
        let think = ctx.think.mul_f64(rand::rng().random_range(0.5..1.5));
        ctx.pause(think).await;
    }
    Ok(())
}

/// Mostly small seeds; one download in fifty is a large one.
fn pick_seed(ctx: &Ctx) -> usize {
    let mut rng = rand::rng();
    if ctx.large_seeds > 0 && rng.random_ratio(1, 50) {
        ctx.seeds.len() - 1 - rng.random_range(0..ctx.large_seeds)
    } else {
        rng.random_range(0..ctx.seeds.len() - ctx.large_seeds)
    }
}

async fn command(ctx: &Ctx, c: &mut Ctl, line: &str, want: u16) -> Result<(), ()> {
    match tokio::time::timeout(ctx.op_timeout, c.expect(line, want)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            failed(ctx, &ctx.honest.failed_commands, "command", &e);
            Err(())
        }
        Err(_) => {
            failed(
                ctx,
                &ctx.honest.failed_commands,
                "command",
                &anyhow::anyhow!("{line}: timed out"),
            );
            Err(())
        }
    }
}

async fn noop(ctx: &Ctx, c: &mut Ctl) -> Result<(), ()> {
    let t = Instant::now();
    let outcome = command(ctx, c, "NOOP", 200).await;
    // Timed-out NOOPs count at the timeout, for the same reason as logins.
    if outcome.is_ok() || t.elapsed() >= ctx.op_timeout {
        ctx.honest.noop_latency.record(t.elapsed());
    }
    outcome
}

/// Runs one transfer under the operation timeout and counts its outcome.
async fn transfer<F>(ctx: &Ctx, what: &str, fut: F) -> Result<(), ()>
where
    F: std::future::Future<Output = Result<usize>>,
{
    match tokio::time::timeout(ctx.op_timeout, fut).await {
        Ok(Ok(n)) => {
            ctx.honest.transfers.fetch_add(1, Ordering::Relaxed);
            ctx.honest.bytes.fetch_add(n as u64, Ordering::Relaxed);
            Ok(())
        }
        Ok(Err(e)) => {
            failed(ctx, &ctx.honest.failed_transfers, what, &e);
            Err(())
        }
        Err(_) => {
            failed(
                ctx,
                &ctx.honest.failed_transfers,
                what,
                &anyhow::anyhow!("timed out"),
            );
            Err(())
        }
    }
}

async fn retr_checked(ctx: &Ctx, c: &mut Ctl, path: &str, want: [u8; 32]) -> Result<(), ()> {
    let got = match tokio::time::timeout(ctx.op_timeout, c.download(&format!("RETR {path}"))).await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            failed(ctx, &ctx.honest.failed_transfers, "RETR", &e);
            return Err(());
        }
        Err(_) => {
            failed(
                ctx,
                &ctx.honest.failed_transfers,
                "RETR",
                &anyhow::anyhow!("timed out"),
            );
            return Err(());
        }
    };
    ctx.honest.transfers.fetch_add(1, Ordering::Relaxed);
    ctx.honest
        .bytes
        .fetch_add(got.len() as u64, Ordering::Relaxed);
    if hash(&got) != want {
        ctx.honest.mismatches.fetch_add(1, Ordering::Relaxed);
        ctx.honest.reasons.add(
            "RETR",
            &anyhow::anyhow!("hash mismatch on {path} ({} bytes)", got.len()),
        );
    }
    Ok(())
}
