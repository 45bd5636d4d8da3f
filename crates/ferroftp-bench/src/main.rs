//! `ferroftp-bench`: the native load generator behind `scripts/bench`. It runs ONE workload
//! against any FTP server and prints its figures (a line, or one JSON object with `--json`);
//! `scripts/bench` drives it against ferroftp, vsftpd and Pure-FTPd in turn and renders the
//! table with `ferroftp-bench table`.
//!
//! Blocking std sockets on plain threads, 1 MiB reads and no per-byte work (the only
//! per-byte work is an xxh3 digest where content is checked), so the client is not what is
//! measured; `ceiling` measures what this client can receive over loopback at all.
//!
//! Measuring one workload by hand, against a server already running:
//!
//! ```text
//! ferroftp-bench --host 127.0.0.1 --port 2121 --user u --pass p retr --path big.bin --size 1073741824
//! ferroftp-bench ... retr --path big.bin --size 1073741824 --discard
//! ferroftp-bench ... stor --path up/big.bin --size 1073741824
//! ferroftp-bench ... retr-many --clients 50 --path mid.bin --verify /srv/ftp/mid.bin
//! ferroftp-bench ... logins --workers 8 --secs 5            # logins/s, p50/p99 ms
//! ferroftp-bench ... list --path many --entries 10000 [--mlsd]
//! ferroftp-bench ... stor-small --dir up/small --files 2000 --size 4096
//! ferroftp-bench stor-small-floor --files 2000 --size 4096    # its loopback floor
//! ferroftp-bench ... idle --pid $(pidof ferroftp) --sessions 2000   # PSS per session
//! ferroftp-bench ... startup -- ferroftp serve --listen 127.0.0.1:2121 ...
//! ferroftp-bench mem --pid PID [--peak]                      # VmRSS (VmHWM), PSS
//! ferroftp-bench ceiling --size 1073741824 [--discard]        # loopback ceiling
//! ferroftp-bench gen --dir /srv/ftp                            # the benchmark's files
//! ferroftp-bench table results.jsonl                           # the markdown table
//! ```
//!
//! Every operation has a timeout (`--timeout`), so a hung server fails the workload instead
//! of hanging the run. Exit status: 0 on success, 1 when the workload failed (a wrong size,
//! a wrong checksum, a refused login, a timeout), 2 on bad arguments.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod floor;
mod ftp;
mod procmem;
mod table;
mod workloads;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use serde_json::{json, Value};

use crate::ftp::{Target, BUF};

/// Runs one benchmark workload against an FTP server and prints its figures.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1", global = true)]
    host: IpAddr,
    /// Server control port.
    #[arg(long, default_value_t = 2121, global = true)]
    port: u16,
    /// Login name.
    #[arg(long, default_value = "ftpbench", global = true)]
    user: String,
    /// Password.
    #[arg(long, default_value = "", global = true)]
    pass: String,
    /// Longest wait for any one read, write or connect, in seconds.
    #[arg(long, default_value_t = 120, global = true)]
    timeout: u64,
    /// Print one JSON object instead of a line.
    #[arg(long, global = true)]
    json: bool,
    /// Workload key recorded in the JSON (for `table`), e.g. retr-copy.
    #[arg(long, global = true)]
    key: Option<String>,
    /// Row title recorded in the JSON (for `table`).
    #[arg(long, global = true)]
    row: Option<String>,
    /// Server name recorded in the JSON (for `table`).
    #[arg(long, global = true)]
    server: Option<String>,
    /// What to run.
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand, Debug)]
enum Workload {
    /// RETR of one file over one session, MB/s; the size must match.
    Retr {
        /// Remote path.
        #[arg(long)]
        path: String,
        /// Expected size in bytes.
        #[arg(long)]
        size: u64,
        /// Drop received data instead of copying each chunk into a second buffer.
        #[arg(long)]
        discard: bool,
    },
    /// STOR of SIZE bytes over one session, MB/s; SIZE afterwards must agree.
    Stor {
        /// Remote path.
        #[arg(long)]
        path: String,
        /// Bytes to upload.
        #[arg(long)]
        size: u64,
    },
    /// CLIENTS sessions RETR the same file at once, aggregate MB/s; each download's size and
    /// xxh3 must match the local file VERIFY.
    RetrMany {
        /// Remote path.
        #[arg(long)]
        path: String,
        /// Local copy of the file, to check every download against.
        #[arg(long)]
        verify: String,
        /// Concurrent sessions.
        #[arg(long, default_value_t = 50)]
        clients: usize,
    },
    /// WORKERS threads log in and out for SECS seconds: logins/s and p50/p99 ms.
    Logins {
        /// Concurrent workers.
        #[arg(long, default_value_t = 8)]
        workers: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 5.0)]
        secs: f64,
    },
    /// LIST (or MLSD) of a directory, median ms over REPEAT runs in one session.
    List {
        /// Remote directory.
        #[arg(long)]
        path: String,
        /// Lines each listing must at least hold.
        #[arg(long, default_value_t = 0)]
        entries: usize,
        /// Runs.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// MLSD instead of LIST (null when the server has none).
        #[arg(long)]
        mlsd: bool,
    },
    /// STOR of FILES files of SIZE bytes over one session (EPSV each), files/s; then NLST
    /// and a sample read back are checked.
    StorSmall {
        /// Remote directory (must exist, writable).
        #[arg(long)]
        dir: String,
        /// Files.
        #[arg(long, default_value_t = 2000)]
        files: usize,
        /// Bytes per file.
        #[arg(long, default_value_t = 4096)]
        size: usize,
    },
    /// The floor of stor-small: the same client against an in-process minimal responder
    /// (blocking threads, no disk), files/s. --host, --port, --user and --pass are unused.
    StorSmallFloor {
        /// Files.
        #[arg(long, default_value_t = 2000)]
        files: usize,
        /// Bytes per file.
        #[arg(long, default_value_t = 4096)]
        size: usize,
    },
    /// Holds SESSIONS logged-in idle sessions: PSS per session of the server's process tree.
    Idle {
        /// The server's (listening) process; its descendants are counted too.
        #[arg(long)]
        pid: u32,
        /// Sessions to hold.
        #[arg(long, default_value_t = 2000)]
        sessions: usize,
        /// Threads opening them.
        #[arg(long, default_value_t = 8)]
        openers: usize,
    },
    /// Memory of a process tree now: `value` is the root's VmRSS in MB (VmHWM with --peak);
    /// PSS and RSS of the whole tree come along.
    Mem {
        /// Root process.
        #[arg(long)]
        pid: u32,
        /// Report the peak (VmHWM) instead of the current RSS.
        #[arg(long)]
        peak: bool,
    },
    /// Spawns COMMAND (which must listen on --host/--port) and times spawn to first 220.
    Startup {
        /// Runs (median reported).
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// The server command line.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// One TCP stream over loopback inside this process: the client's own ceiling.
    Ceiling {
        /// Bytes to move.
        #[arg(long, default_value_t = 1 << 30)]
        size: u64,
        /// Drop received data instead of copying it.
        #[arg(long)]
        discard: bool,
    },
    /// Writes the benchmark's files into DIR: big.bin, mid.bin and many/ (kept when present
    /// with the right sizes).
    Gen {
        /// Target directory.
        #[arg(long)]
        dir: PathBuf,
        /// Size of big.bin.
        #[arg(long, default_value_t = 1 << 30)]
        big: u64,
        /// Size of mid.bin.
        #[arg(long, default_value_t = 20 << 20)]
        mid: u64,
        /// Files in many/.
        #[arg(long, default_value_t = 10_000)]
        many: usize,
    },
    /// Renders the JSON lines of a run (FILE) as the markdown table.
    Table {
        /// JSON lines written by `--json` runs.
        file: PathBuf,
        /// The server the ratio column is about.
        #[arg(long, default_value = "ferroftp")]
        subject: String,
        /// Also write the table here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Thousands of sessions need thousands of descriptors; the soft limit is often 1024.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    match run(&args) {
        Ok(Some(v)) => {
            print(&args, v);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            if args.json {
                print(&args, json!({ "error": format!("{e:#}") }));
            }
            eprintln!("ferroftp-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn name(w: &Workload) -> &'static str {
    match w {
        Workload::Retr { .. } => "retr",
        Workload::Stor { .. } => "stor",
        Workload::RetrMany { .. } => "retr-many",
        Workload::Logins { .. } => "logins",
        Workload::List { .. } => "list",
        Workload::StorSmall { .. } => "stor-small",
        Workload::StorSmallFloor { .. } => "stor-small-floor",
        Workload::Idle { .. } => "idle",
        Workload::Mem { .. } => "mem",
        Workload::Startup { .. } => "startup",
        Workload::Ceiling { .. } => "ceiling",
        Workload::Gen { .. } => "gen",
        Workload::Table { .. } => "table",
    }
}

fn print(args: &Args, mut v: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert("workload".into(), name(&args.workload).into());
        for (k, val) in [
            ("key", &args.key),
            ("row", &args.row),
            ("server", &args.server),
        ] {
            if let Some(val) = val {
                o.insert(k.into(), val.clone().into());
            }
        }
    }
    if args.json {
        println!("{v}");
    } else {
        let value = v["value"]
            .as_f64()
            .map_or("—".to_owned(), |x| format!("{x:.2}"));
        println!(
            "{}: {value} {} {v}",
            name(&args.workload),
            v["unit"].as_str().unwrap_or("")
        );
    }
}

fn run(args: &Args) -> Result<Option<Value>> {
    let t = Target {
        addr: SocketAddr::new(args.host, args.port),
        user: args.user.clone(),
        pass: args.pass.clone(),
        op_timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let v = match &args.workload {
        Workload::Retr {
            path,
            size,
            discard,
        } => workloads::retr(&t, path, *size, !discard)?,
        Workload::Stor { path, size } => workloads::stor(&t, path, *size)?,
        Workload::RetrMany {
            path,
            verify,
            clients,
        } => workloads::retr_many(&t, path, verify, *clients)?,
        Workload::Logins { workers, secs } => workloads::logins(&t, *workers, *secs)?,
        Workload::List {
            path,
            entries,
            repeat,
            mlsd,
        } => workloads::listing(
            &t,
            if *mlsd { "MLSD" } else { "LIST" },
            path,
            *entries,
            *repeat,
        )?,
        Workload::StorSmall { dir, files, size } => workloads::stor_small(&t, dir, *files, *size)?,
        Workload::StorSmallFloor { files, size } => {
            floor::stor_small_floor(*files, *size, t.op_timeout)?
        }
        Workload::Idle {
            pid,
            sessions,
            openers,
        } => workloads::idle(&t, *pid, *sessions, *openers)?,
        Workload::Mem { pid, peak } => workloads::mem(*pid, *peak)?,
        Workload::Startup { repeat, command } => workloads::startup(&t, command, *repeat)?,
        Workload::Ceiling { size, discard } => workloads::ceiling(*size, !discard)?,
        Workload::Gen {
            dir,
            big,
            mid,
            many,
        } => {
            generate(dir, *big, *mid, *many)?;
            return Ok(None);
        }
        Workload::Table { file, subject, out } => {
            let text =
                fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
            let table = table::render(&text, subject)?;
            print!("{table}");
            if let Some(out) = out {
                fs::write(out, &table).with_context(|| format!("write {}", out.display()))?;
            }
            return Ok(None);
        }
    };
    Ok(Some(v))
}

/// The files every server serves; regenerated only when missing or of the wrong size.
fn generate(dir: &std::path::Path, big: u64, mid: u64, many: usize) -> Result<()> {
    fs::create_dir_all(dir.join("many"))?;
    for (file, size, seed) in [("big.bin", big, 11), ("mid.bin", mid, 12)] {
        let path = dir.join(file);
        if fs::metadata(&path).is_ok_and(|m| m.len() == size) {
            continue;
        }
        let chunk = workloads::pattern(BUF, seed);
        let mut w = BufWriter::new(
            File::create(&path).with_context(|| format!("create {}", path.display()))?,
        );
        let mut left = size;
        let mut round = 0u8;
        while left > 0 {
            let n = left.min(BUF as u64) as usize;
            // Each MiB differs from the last, so a misplaced chunk changes the digest.
            w.write_all(&[round])?;
            w.write_all(&chunk[..n - 1])?;
            round = round.wrapping_add(1);
            left -= n as u64;
        }
        w.flush()?;
    }
    let listed = fs::read_dir(dir.join("many"))?.count();
    if listed != many {
        if listed > many {
            bail!(
                "{}/many holds {listed} entries, more than {many}: remove it",
                dir.display()
            );
        }
        for i in 0..many {
            let p = dir.join("many").join(format!("file-{i:06}.txt"));
            if !p.exists() {
                fs::write(&p, format!("file {i}\n"))?;
            }
        }
    }
    Ok(())
}
