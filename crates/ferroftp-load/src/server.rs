//! Spawning `ferroftp serve` for a run, and watching the server's memory.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::stats::Rss;

/// A server started by the harness; killed when dropped.
pub struct Spawned {
    /// The running `ferroftp serve`.
    pub child: Child,
    /// Its control address.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    /// Honest login names, all with `password`.
    pub users: Vec<String>,
    /// Password of the honest users.
    pub password: String,
    /// A real account the password guessers attack (honest clients never use it).
    pub victim: String,
    /// The passive port range given to the server.
    pub passive: (u16, u16),
    /// Where the server's log goes.
    pub log: PathBuf,
    /// Holds the data directory, users file and log until the run ends.
    pub _dir: tempfile::TempDir,
}

/// What to start the server with.
pub struct SpawnOptions<'a> {
    /// The `ferroftp` binary.
    pub bin: &'a Path,
    /// How many honest accounts to create.
    pub users: usize,
    /// Passive range, or `None` to pick a free one of `passive_len` ports.
    pub passive: Option<(u16, u16)>,
    /// How many ports a picked passive range has.
    pub passive_len: u16,
    /// `--max-connections`.
    pub max_connections: usize,
    /// `--max-connections-per-ip`, when the server default should not be used.
    pub max_per_ip: Option<usize>,
    /// `--log` level of the server.
    pub log_level: &'a str,
    /// More arguments for `ferroftp serve`, passed as given.
    pub extra: &'a [String],
    /// Where the server's log goes; a file in the temporary directory when `None`.
    pub log: Option<PathBuf>,
}

/// Makes the accounts and starts `ferroftp serve` on 127.0.0.1 port 0.
pub async fn spawn(opts: SpawnOptions<'_>) -> Result<Spawned> {
    let dir = tempfile::Builder::new()
        .prefix("ferroftp-load-")
        .tempdir()
        .context("temporary directory")?;
    let home = dir.path().join("home");
    let users_file = dir.path().join("users.toml");
    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let users: Vec<String> = (0..opts.users.max(1)).map(|i| format!("load{i}")).collect();
    for user in &users {
        add_user(opts.bin, user, &home, &users_file, &password).await?;
    }
    let victim = "victim".to_owned();
    let victim_password = Alphanumeric.sample_string(&mut rand::rng(), 24);
    add_user(
        opts.bin,
        &victim,
        &dir.path().join("victim-home"),
        &users_file,
        &victim_password,
    )
    .await?;

    let passive = match opts.passive {
        Some(p) => p,
        None => pick_passive_range(opts.passive_len)?,
    };
    let log = opts.log.unwrap_or_else(|| dir.path().join("server.log"));
    let log_file = std::fs::File::create(&log).context("server log file")?;
    let mut cmd = Command::new(opts.bin);
    cmd.arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--users")
        .arg(&users_file)
        .arg("--passive-ports")
        .arg(format!("{}-{}", passive.0, passive.1))
        .arg("--max-connections")
        .arg(opts.max_connections.to_string())
        .arg("--log")
        .arg(opts.log_level);
    if let Some(n) = opts.max_per_ip {
        cmd.arg("--max-connections-per-ip").arg(n.to_string());
    }
    cmd.args(opts.extra)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("start {}", opts.bin.display()))?;
    let pid = child.id().context("server pid")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(a) = line.strip_prefix("listening on ftp://") {
                return a
                    .trim()
                    .parse::<SocketAddr>()
                    .with_context(|| format!("bad announce line {line:?}"));
            }
        }
        bail!("server exited before announcing its address")
    })
    .await
    .context("server did not announce its address within 60 s")??;
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Spawned {
        child,
        addr,
        pid,
        users,
        password,
        victim,
        passive,
        log,
        _dir: dir,
    })
}

async fn add_user(bin: &Path, name: &str, home: &Path, users: &Path, pw: &str) -> Result<()> {
    let mut child = Command::new(bin)
        .args(["user", "add", name, "--password-stdin", "--home"])
        .arg(home)
        .arg("--users")
        .arg(users)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {} user add", bin.display()))?;
    let mut stdin = child.stdin.take().context("user add stdin")?;
    stdin.write_all(format!("{pw}\n").as_bytes()).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!(
            "ferroftp user add {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Picks `len` consecutive ports below the kernel's ephemeral range that can all be bound now,
/// so the server's passive range does not collide with the harness's own outgoing ports.
fn pick_passive_range(len: u16) -> Result<(u16, u16)> {
    let mut rng = rand::rng();
    for _ in 0..50 {
        let first: u16 = rng.random_range(20000..(32000 - len));
        let last = first + len - 1;
        let free = (first..=last).all(|p| {
            TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p)).is_ok()
        });
        if free {
            return Ok((first, last));
        }
    }
    bail!("no free passive port range found")
}

/// Reads VmRSS of `pid` in KiB.
pub fn read_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Polls the server's RSS every 100 ms until `done`; when it passes `guard_kib`, sets `tripped`
/// and cancels `stop` so the load ends before the machine runs out of memory. With `kill`
/// (a server this tool started) the server is also killed at once: work already queued in it
/// (password hashes, say) would otherwise go on growing it after the load stops.
pub async fn watch_rss(
    pid: u32,
    rss: Arc<Rss>,
    guard_kib: u64,
    kill: bool,
    tripped: Arc<AtomicBool>,
    stop: CancellationToken,
    done: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Some(kib) = read_rss_kib(pid) else {
            continue;
        };
        rss.last_kib.store(kib, Ordering::Relaxed);
        rss.peak_kib.fetch_max(kib, Ordering::Relaxed);
        rss.samples.fetch_add(1, Ordering::Relaxed);
        if kib >= guard_kib && !tripped.swap(true, Ordering::Relaxed) {
            stop.cancel();
            if kill {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .await;
            }
        }
    }
}
