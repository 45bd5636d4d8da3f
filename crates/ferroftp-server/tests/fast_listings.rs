//! Fast, streaming listings: a listing pulls entries from its backend only as fast as the
//! client reads them (a directory of a million entries is listed in flat memory), and the
//! buffer-writing formatters send over the wire exactly the lines the String formatters
//! made before, for every format, links and odd names included.

mod common;

use std::io::Read as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use common::{pasv_addr, read_all, TestServer};
use ferroftp_proto::listing::{self, EntryInfo, EntryKind, MlstFacts};
use ferroftp_proto::path::VPath;
use ferroftp_proto::perms::Permissions;
use ferroftp_server::storage::{
    Capabilities, EntryStream, LocalStorage, ReadStream, Storage, StorageError, StorageFactory,
    Upload, WriteMode,
};

/// The client's receive buffer on the data connection.
const RCVBUF: usize = 64 * 1024;

/// Entries in the generated directory.
const ENTRIES: u64 = 1_000_000;

/// The generated entry `i`: names of one width, so every LIST line has the same length.
fn generated(i: u64) -> EntryInfo {
    EntryInfo {
        name: format!("f-{i:07}"),
        kind: EntryKind::File,
        size: i,
        modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
        mode: Some(0o644),
        unique: None,
    }
}

/// A backend whose root holds [`ENTRIES`] files made up on demand, one at a time as the
/// listing pulls them, counting how many it has handed out.
#[derive(Debug)]
struct Generated {
    pulled: Arc<AtomicU64>,
}

fn unsupported() -> StorageError {
    StorageError::reason(StorageError::Unsupported, "generated directory")
}

#[async_trait]
impl Storage for Generated {
    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
        if !path.is_root() {
            return Err(StorageError::reason(
                StorageError::NotFound,
                "no such entry",
            ));
        }
        Ok(EntryInfo {
            name: String::new(),
            kind: EntryKind::Dir,
            size: 0,
            modified: None,
            mode: None,
            unique: None,
        })
    }

    async fn list(&self, _path: &VPath) -> Result<EntryStream, StorageError> {
        let pulled = Arc::clone(&self.pulled);
        let entries = futures::stream::iter(0..ENTRIES).map(move |i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            Ok(generated(i))
        });
        Ok(Box::pin(entries))
    }

    /// Names only: a small directory of its own, so a test can tell which call NLST made.
    async fn list_names(&self, _path: &VPath) -> Result<EntryStream, StorageError> {
        let names = ["only", "names"].map(|n| {
            Ok(EntryInfo {
                name: n.to_owned(),
                ..generated(0)
            })
        });
        Ok(Box::pin(futures::stream::iter(names)))
    }

    async fn read(&self, _: &VPath, _: u64) -> Result<ReadStream, StorageError> {
        Err(unsupported())
    }
    async fn write(&self, _: &VPath, _: WriteMode) -> Result<Box<dyn Upload>, StorageError> {
        Err(unsupported())
    }
    async fn mkdir(&self, _: &VPath) -> Result<(), StorageError> {
        Err(unsupported())
    }
    async fn rmdir(&self, _: &VPath) -> Result<(), StorageError> {
        Err(unsupported())
    }
    async fn delete(&self, _: &VPath) -> Result<(), StorageError> {
        Err(unsupported())
    }
    async fn rename(&self, _: &VPath, _: &VPath) -> Result<(), StorageError> {
        Err(unsupported())
    }
    async fn set_modified(&self, _: &VPath, _: SystemTime) -> Result<(), StorageError> {
        Err(unsupported())
    }
    async fn chmod(&self, _: &VPath, _: u32) -> Result<(), StorageError> {
        Err(unsupported())
    }
}

use futures::StreamExt as _;

/// A data connection to the PASV address in `text`, with a small receive buffer so that
/// the kernel holds little of the listing on the client's side.
fn connect_small(text: &str) -> std::net::TcpStream {
    let addr = pasv_addr(text);
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(RCVBUF).expect("rcvbuf");
    socket.connect(&addr.into()).expect("data connect");
    socket.into()
}

/// The most bytes the kernel may hold for the data connection on the way: the server's
/// send buffer (which grows up to the `tcp_wmem` maximum) and the client's receive buffer,
/// fixed by [`connect_small`] (the kernel doubles the value set) with room for overhead.
fn kernel_buffers() -> u64 {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().last()?.parse::<u64>().ok())
        .unwrap_or(4 << 20);
    wmem_max + 4 * RCVBUF as u64
}

/// Guards streaming with flat memory: LIST of a million-entry directory pulls entries from
/// the backend only a bounded way ahead of what the client has read (the server's buffer,
/// the backend's read-ahead and the kernel's socket buffers, none of which grows with the
/// directory), and the client gets all million lines. A listing that collected the
/// directory (or its lines) before sending would be a million entries ahead at the first
/// byte.
#[test]
fn a_million_entries_stream_in_bounded_memory() {
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&pulled);
    let s = TestServer::start_with(move |c| {
        c.storage = StorageFactory::new(Capabilities::ALL, move |_| {
            Ok(Arc::new(Generated {
                pulled: Arc::clone(&counter),
            }) as Arc<dyn Storage>)
        });
        c.stall_timeout = Duration::from_secs(600);
    });
    let mut r = s.raw_logged_in();
    let (code, text) = r.cmd("PASV");
    assert_eq!(code, 227, "{text}");
    let mut data = connect_small(&text);
    let (code, text) = r.cmd("LIST");
    assert_eq!(code, 150, "{text}");

    let now = SystemTime::now();
    let line_len = listing::list_line(&generated(0), now).len() as u64 + 2;
    let total = ENTRIES * line_len;
    // Lines are pulled whole, so the lead is counted in bytes of lines: the kernel's
    // buffers, the server's own (64 KiB of lines) and a margin.
    let bound = kernel_buffers() + 256 * 1024 + 1024 * line_len;
    assert!(
        bound < total / 2,
        "the test machine's buffers are too big to tell"
    );

    let mut received = 0u64;
    let mut max_lead = 0u64;
    let mut last_line = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = data.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        received += n as u64;
        let lead = (pulled.load(Ordering::SeqCst) * line_len).saturating_sub(received);
        max_lead = max_lead.max(lead);
        last_line.extend_from_slice(&buf[..n]);
        if last_line.len() > 4 * line_len as usize {
            last_line.drain(..last_line.len() - 2 * line_len as usize);
        }
    }
    assert_eq!(r.reply().0, 226);
    assert_eq!(received, total, "every line, each of the same length");
    let tail = String::from_utf8_lossy(&last_line);
    assert!(
        tail.ends_with(&format!(
            "{}\r\n",
            listing::list_line(&generated(ENTRIES - 1), now)
        )),
        "{tail:?}"
    );
    assert!(
        max_lead <= bound,
        "the server pulled {max_lead} bytes of lines ahead of the client (bound {bound})"
    );
}

/// Lines of a listing command's data, in the order sent.
fn lines_of(r: &mut common::Raw, line: &str) -> Vec<String> {
    let data = r.pasv();
    let (code, text) = r.cmd(line);
    assert_eq!(code, 150, "{line}: {text}");
    let bytes = read_all(data);
    assert_eq!(r.reply().0, 226, "{line}");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    let mut lines: Vec<String> = text.split_terminator("\r\n").map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Guards byte-identical output: LIST, MLSD and NLST of a real directory (files, a
/// directory, links inside and outside the root, odd names, more entries than a batch)
/// send exactly the lines the String formatters make from the backend's own facts.
#[test]
fn listings_send_the_lines_of_the_string_formatters() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret"), b"s").expect("write");
    let s = TestServer::start();
    s.write("d/sub/inner.txt", b"in");
    for i in 0..1100 {
        s.write(&format!("d/file-{i:04}.txt"), &vec![b'x'; i % 300]);
    }
    s.write("d/odd name\u{7f} é\u{85}.bin", b"odd");
    std::os::unix::fs::symlink("file-0001.txt", s.path("d/inside")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("secret"), s.path("d/outside"))
        .expect("symlink");
    std::os::unix::fs::symlink("missing", s.path("d/dangling")).expect("symlink");

    // The facts as the backend reports them, one by one.
    let storage = LocalStorage::new(s.root.path()).expect("storage");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = VPath::root().join("d").expect("path");
    let entries: Vec<EntryInfo> = rt.block_on(async {
        let mut listed = storage.list(&dir).await.expect("list");
        let mut all = Vec::new();
        while let Some(e) = listed.next().await {
            all.push(e.expect("entry"));
        }
        all
    });
    assert_eq!(entries.len(), 1100 + 5);
    let expect = |f: &dyn Fn(&EntryInfo) -> String| {
        let mut v: Vec<String> = entries.iter().map(f).collect();
        v.sort();
        v
    };

    let mut r = s.raw_logged_in();
    let now = SystemTime::now();
    assert_eq!(
        lines_of(&mut r, "LIST d"),
        expect(&|e| listing::list_line(e, now))
    );
    assert_eq!(
        lines_of(&mut r, "MLSD d"),
        expect(&|e| listing::mlsx_line(e, &MlstFacts::default(), &Permissions::ALL))
    );
    assert_eq!(
        lines_of(&mut r, "NLST d"),
        expect(&|e| listing::nlst_line(&e.name).into_owned())
    );
    // A pattern keeps the directory the client wrote in NLST names.
    let txt: Vec<String> = lines_of(&mut r, "NLST d/file-00*.txt");
    assert_eq!(txt.len(), 100);
    assert!(txt.iter().all(|l| l.starts_with("d/file-00")), "{txt:?}");
    // A chosen fact set goes through the same formatter.
    assert_eq!(r.cmd("OPTS MLST size;modify;").0, 200);
    let facts = listing::parse_opts_mlst("size;modify;");
    assert_eq!(
        lines_of(&mut r, "MLSD d"),
        expect(&|e| listing::mlsx_line(e, &facts, &Permissions::ALL))
    );
}

/// Guards the names-only NLST: it asks the backend for names (`list_names`, which the
/// local disk answers without a stat per entry), not for every entry's facts.
#[test]
fn nlst_asks_the_backend_for_names_only() {
    let s = TestServer::start_with(move |c| {
        c.storage = StorageFactory::new(Capabilities::ALL, move |_| {
            Ok(Arc::new(Generated {
                pulled: Arc::new(AtomicU64::new(0)),
            }) as Arc<dyn Storage>)
        });
    });
    let mut r = s.raw_logged_in();
    assert_eq!(lines_of(&mut r, "NLST"), ["names", "only"]);
    assert_eq!(lines_of(&mut r, "NLST n*"), ["names"]);
}
