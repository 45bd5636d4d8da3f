//! The floor of the small-file upload workload: a minimal FTP responder in this process
//! (blocking std threads, no disk) that the same client code of `stor-small` runs against.
//! Whatever it reaches is what loopback TCP, the connection set-up per file (EPSV: a fresh
//! listener each time, a connect, an accept) and the thread wake-ups between client and
//! server allow on this machine at all; no real server can do better, so it bounds what
//! any target ratio between servers can mean.
//!
//! The responder does only what the workload needs: a greeting, USER/PASS, TYPE, EPSV,
//! STOR (150, read to the end, 226 when exactly the expected bytes arrived, else 451),
//! QUIT; anything else gets 502. It checks the byte count of every file, so a client that
//! sends too little cannot look fast.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::ftp::{Ctl, Target};
use crate::workloads::pattern;

/// A responder listening on loopback; its threads end with the process (or when its
/// client goes away).
pub struct Responder {
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Starts a responder on 127.0.0.1 at a free port that expects every upload to be `size`
/// bytes long.
pub fn start(size: u64) -> Result<Responder> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind the floor responder")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            thread::spawn(move || {
                // A session that fails (the client went away) just ends.
                let _ = session(conn, size);
            });
        }
    });
    Ok(Responder { addr })
}

/// One control connection, to its QUIT or its end.
fn session(conn: TcpStream, size: u64) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(conn);
    let mut passive: Option<TcpListener> = None;
    let mut buf = vec![0u8; 64 * 1024];
    out.write_all(b"220 floor responder\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "USER" => out.write_all(b"331 password please\r\n")?,
            "PASS" => out.write_all(b"230 logged in\r\n")?,
            "TYPE" => out.write_all(b"200 type set\r\n")?,
            "EPSV" => {
                let l = TcpListener::bind("127.0.0.1:0")?;
                let port = l.local_addr()?.port();
                passive = Some(l);
                let reply = format!("229 Entering Extended Passive Mode (|||{port}|)\r\n");
                out.write_all(reply.as_bytes())?;
            }
            "STOR" => {
                let Some(l) = passive.take() else {
                    out.write_all(b"425 use EPSV first\r\n")?;
                    continue;
                };
                let (mut data, _) = l.accept()?;
                drop(l);
                out.write_all(b"150 ok to send\r\n")?;
                let mut got = 0u64;
                loop {
                    match data.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => got += n as u64,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                drop(data);
                if got == size {
                    out.write_all(b"226 stored\r\n")?;
                } else {
                    out.write_all(b"451 wrong size\r\n")?;
                }
            }
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not here\r\n")?,
        }
    }
}

/// STOR of `files` files of `size` bytes over one session against the in-process
/// responder: the same client loop as `stor-small`, timed the same way (the NLST and
/// read-back check is left out: the responder checks each file's size instead, and keeps
/// nothing to list).
pub fn stor_small_floor(files: usize, size: usize, timeout: Duration) -> Result<Value> {
    let responder = start(size as u64)?;
    let t = Target {
        addr: responder.addr,
        user: "floor".to_owned(),
        pass: "floor".to_owned(),
        op_timeout: timeout,
    };
    let mut ctl = Ctl::login(&t)?;
    let content = |i: usize| pattern(size, 1000 + i as u64);
    let start = Instant::now();
    for i in 0..files {
        ctl.stor_from(&format!("floor/f{i:05}"), &content(i), size as u64)?;
    }
    let took = start.elapsed();
    ctl.quit();
    Ok(json!({
        "value": files as f64 / took.as_secs_f64(),
        "unit": "files/s",
        "files": files,
        "secs": took.as_secs_f64(),
    }))
}
