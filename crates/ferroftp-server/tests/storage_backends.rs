//! Storage backends other than the plain local disk, plugged in through the server's
//! `StorageFactory`, over the real wire: a backend that lacks capabilities gets them left
//! out of FEAT and HELP and its commands refused with `502`/`504`; a backend that fails
//! gets replies chosen from the typed error, never carrying OS or backend text.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use async_trait::async_trait;
use common::{read_all, TestServer};
use ferroftp_proto::catalogue::Msg;
use ferroftp_proto::listing::{self, EntryInfo, MlstFacts};
use ferroftp_proto::path::VPath;
use ferroftp_server::storage::{
    Capabilities, EntryStream, LocalStorage, ReadStream, Storage, StorageError, StorageFactory,
    Upload, WriteMode,
};
use futures::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The local backend with some capabilities switched off, and some names that fail:
/// `broken` (a transient I/O error), `gone` (the backend is down), `bad-read` (the read
/// fails after a few bytes), `bad-dir` (the listing fails after one entry), `full` (writes
/// hit a full disk) and `quota` (the commit hits the quota).
#[derive(Debug)]
struct TestBackend {
    inner: LocalStorage,
    capabilities: Capabilities,
}

fn name(path: &VPath) -> &str {
    path.file_name().unwrap_or("")
}

/// An OS error, as a backend would get it; its text must stay out of every reply.
fn os(errno: i32) -> StorageError {
    StorageError::from_io(std::io::Error::from_raw_os_error(errno))
}

/// The injected failure of a path's metadata, if any.
fn metadata_fault(path: &VPath) -> Result<(), StorageError> {
    match name(path) {
        "broken" => Err(os(libc::EIO)),
        "gone" => Err(os(libc::ESTALE)),
        _ => Ok(()),
    }
}

#[async_trait]
impl Storage for TestBackend {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    async fn metadata(&self, path: &VPath) -> Result<EntryInfo, StorageError> {
        metadata_fault(path)?;
        self.inner.metadata(path).await
    }

    async fn list(&self, path: &VPath) -> Result<EntryStream, StorageError> {
        metadata_fault(path)?;
        let entries = self.inner.list(path).await?;
        if name(path) != "bad-dir" {
            return Ok(entries);
        }
        let failure = futures::stream::once(async { Err(os(libc::EIO)) });
        Ok(Box::pin(entries.take(1).chain(failure)))
    }

    async fn read(&self, path: &VPath, offset: u64) -> Result<ReadStream, StorageError> {
        metadata_fault(path)?;
        if name(path) == "bad-read" {
            return Ok(ReadStream::Stream(Box::pin(FailingReader { sent: false })));
        }
        self.inner.read(path, offset).await
    }

    async fn write(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, StorageError> {
        match name(path) {
            "full" => Ok(Box::new(FaultyUpload { write_fails: true })),
            "quota" => Ok(Box::new(FaultyUpload { write_fails: false })),
            _ => self.inner.write(path, mode).await,
        }
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), StorageError> {
        self.inner.mkdir(path).await
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), StorageError> {
        self.inner.rmdir(path).await
    }

    async fn delete(&self, path: &VPath) -> Result<(), StorageError> {
        self.inner.delete(path).await
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), StorageError> {
        self.inner.rename(from, to).await
    }

    async fn set_modified(&self, path: &VPath, time: SystemTime) -> Result<(), StorageError> {
        self.inner.set_modified(path, time).await
    }

    async fn chmod(&self, path: &VPath, mode: u32) -> Result<(), StorageError> {
        self.inner.chmod(path, mode).await
    }
}

/// Gives a few bytes, then an I/O error.
struct FailingReader {
    sent: bool,
}

impl AsyncRead for FailingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.sent {
            return Poll::Ready(Err(std::io::Error::from_raw_os_error(libc::EIO)));
        }
        self.sent = true;
        buf.put_slice(b"partial");
        Poll::Ready(Ok(()))
    }
}

/// An upload that fails on its first write (a full disk) or at commit (the quota).
#[derive(Debug)]
struct FaultyUpload {
    write_fails: bool,
}

#[async_trait]
impl Upload for FaultyUpload {
    async fn commit(self: Box<Self>) -> Result<u64, StorageError> {
        Err(os(libc::EDQUOT))
    }

    async fn abort(self: Box<Self>) {}
}

impl AsyncWrite for FaultyUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.write_fails {
            Poll::Ready(Err(std::io::Error::from_raw_os_error(libc::ENOSPC)))
        } else {
            Poll::Ready(Ok(buf.len()))
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A server whose users get a [`TestBackend`] with these capabilities.
fn server_with(capabilities: Capabilities) -> TestServer {
    TestServer::start_with(move |c| {
        c.storage = StorageFactory::new(capabilities, move |account| {
            let inner = LocalStorage::new(&account.home).map_err(StorageError::from_io)?;
            Ok(Arc::new(TestBackend {
                inner,
                capabilities,
            }) as Arc<dyn Storage>)
        });
    })
}

/// The lines of a multi-line reply, without their CRLF.
fn lines(text: &str) -> Vec<&str> {
    text.split("\r\n").filter(|l| !l.is_empty()).collect()
}

/// The words of a HELP reply's command list.
fn help_words(text: &str) -> Vec<&str> {
    lines(text)
        .into_iter()
        .filter(|l| l.starts_with(' '))
        .flat_map(str::split_whitespace)
        .collect()
}

fn expected_feat(capabilities: Capabilities) -> Vec<String> {
    let mut v = vec![
        "211-Features:".to_owned(),
        " EPRT".into(),
        " EPSV".into(),
        " HOST".into(),
        " MDTM".into(),
    ];
    if capabilities.set_modified {
        v.push(" MFMT".into());
    }
    v.push(format!(
        " {}",
        listing::mlst_feat_line(&MlstFacts::default())
    ));
    v.push(" PASV".into());
    if capabilities.resume {
        v.push(" REST STREAM".into());
    }
    v.extend([
        " SIZE".into(),
        " TVFS".into(),
        " UTF8".into(),
        "211 End".into(),
    ]);
    v
}

fn msg_line(m: Msg) -> String {
    format!("{} {}\r\n", m.code(), m.text())
}

#[test]
fn the_local_backend_keeps_every_feature() {
    for server in [TestServer::start(), server_with(Capabilities::ALL)] {
        let mut r = server.raw();
        assert_eq!(lines(&r.cmd("FEAT").1), expected_feat(Capabilities::ALL));
        let mut r2 = server.raw_logged_in();
        assert_eq!(lines(&r2.cmd("FEAT").1), expected_feat(Capabilities::ALL));
        let (code, help) = r2.cmd("HELP");
        assert_eq!(code, 214);
        let words = help_words(&help);
        for verb in ["APPE", "MFMT", "MKD", "XMKD", "STOR", "REST", "SITE"] {
            assert!(words.contains(&verb), "{verb}: {help}");
        }
        assert_eq!(r2.cmd("HELP APPE").1, "214 APPE is supported.\r\n");
        assert!(r2.cmd("SITE HELP").1.contains(" CHMOD mode path\r\n"));
        r.send("QUIT");
    }
}

#[test]
fn a_backend_without_capabilities_refuses_them_up_front() {
    let s = server_with(Capabilities::NONE);
    s.write("f", b"hello");
    std::fs::create_dir(s.path("dir")).expect("mkdir");

    // FEAT, before and after login, never advertises what the storage cannot do.
    let mut r = s.raw();
    assert_eq!(lines(&r.cmd("FEAT").1), expected_feat(Capabilities::NONE));
    let mut r = s.raw_logged_in();
    let feat = r.cmd("FEAT").1;
    assert_eq!(lines(&feat), expected_feat(Capabilities::NONE));
    assert!(
        !feat.contains("MFMT") && !feat.contains("REST STREAM"),
        "{feat}"
    );

    // HELP leaves the verbs out, and says why when asked about one.
    let (code, help) = r.cmd("HELP");
    assert_eq!(code, 214);
    let words = help_words(&help);
    for verb in ["APPE", "MFMT", "MKD", "XMKD"] {
        assert!(!words.contains(&verb), "{verb}: {help}");
    }
    for verb in ["STOR", "RETR", "REST", "SITE", "RNFR", "RMD"] {
        assert!(words.contains(&verb), "{verb}: {help}");
    }
    assert_eq!(r.cmd("HELP APPE").1, msg_line(Msg::AppendUnsupported));
    assert_eq!(r.cmd("HELP MFMT").1, msg_line(Msg::MfmtUnsupported));
    assert_eq!(r.cmd("HELP STOR").1, "214 STOR is supported.\r\n");
    let site_help = r.cmd("SITE HELP").1;
    assert!(!site_help.contains("CHMOD"), "{site_help}");

    // Each gated command gets its 502 or 504, and nothing changes on disk.
    assert_eq!(r.code("TYPE I"), 200);
    let _data = r.pasv();
    assert_eq!(r.cmd("APPE f").1, msg_line(Msg::AppendUnsupported));
    assert_eq!(r.cmd("SITE CHMOD 600 f").1, msg_line(Msg::ChmodUnsupported));
    assert_eq!(
        r.cmd("MFMT 20200101000000 f").1,
        msg_line(Msg::MfmtUnsupported)
    );
    assert_eq!(r.cmd("MKD new").1, msg_line(Msg::MkdUnsupported));
    assert!(!s.path("new").exists());
    assert_eq!(r.code("REST 2"), 350);
    assert_eq!(r.cmd("STOR f").1, msg_line(Msg::ResumeUnsupported));
    assert_eq!(r.cmd("RNFR dir").1, msg_line(Msg::RenameDirUnsupported));
    assert_eq!(r.code("RNTO moved"), 503);
    assert!(s.path("dir").is_dir());
    assert_eq!(std::fs::read(s.path("f")).expect("read"), b"hello");

    // What the backend can do still works: files rename, downloads resume, whole files
    // upload.
    assert_eq!(r.code("RNFR f"), 350);
    assert_eq!(r.code("RNTO g"), 250);
    assert_eq!(r.code("REST 2"), 350);
    let data = r.pasv();
    assert_eq!(r.code("RETR g"), 150);
    assert_eq!(read_all(data), b"llo");
    assert_eq!(r.reply().0, 226);
    let mut data = r.pasv();
    assert_eq!(r.code("STOR h"), 150);
    data.write_all(b"whole").expect("send");
    drop(data);
    assert_eq!(r.reply().0, 226);
    assert_eq!(std::fs::read(s.path("h")).expect("read"), b"whole");
    r.send("QUIT");
}

/// Everything the server said, checked for OS and backend text.
#[derive(Default)]
struct Said(Vec<String>);

impl Said {
    fn push(&mut self, (_, text): (u16, String)) -> String {
        self.0.push(text.clone());
        text
    }

    fn assert_clean(&self, root: &str) {
        for text in &self.0 {
            for leak in [
                "os error",
                "Input/output",
                "No space",
                "Disk quota",
                "Stale",
                "refused",
                root,
            ] {
                assert!(!text.contains(leak), "{leak:?} leaked: {text}");
            }
        }
    }
}

#[test]
fn storage_failures_reach_the_client_without_os_text() {
    let s = server_with(Capabilities::ALL);
    s.write("bad-read", b"some bytes");
    s.write("ok", b"fine");
    std::fs::create_dir(s.path("bad-dir")).expect("mkdir");
    s.write("bad-dir/one", b"1");
    s.write("bad-dir/two", b"2");
    let mut said = Said::default();
    let mut r = s.raw_logged_in();
    assert_eq!(r.code("TYPE I"), 200);

    // Transient failures: 451 with the catalogue's words.
    let local_error = msg_line(Msg::LocalError);
    for cmd in ["SIZE broken", "MDTM broken", "CWD broken", "MLST broken"] {
        assert_eq!(said.push(r.cmd(cmd)), local_error, "{cmd}");
    }
    assert_eq!(said.push(r.cmd("STAT broken")), local_error);
    let _data = r.pasv();
    assert_eq!(said.push(r.cmd("RETR broken")), local_error);

    // A read that fails mid-transfer.
    let data = r.pasv();
    assert_eq!(said.push(r.cmd("RETR bad-read")).get(..4), Some("150 "));
    assert_eq!(read_all(data), b"partial");
    assert_eq!(said.push(r.reply()), msg_line(Msg::ReadFailed));

    // A listing that fails after one entry.
    let data = r.pasv();
    assert_eq!(said.push(r.cmd("LIST bad-dir")).get(..4), Some("150 "));
    let _ = read_all(data);
    assert_eq!(said.push(r.reply()), msg_line(Msg::ListingFailed));

    // A full disk while writing, a quota at commit.
    let mut data = r.pasv();
    assert_eq!(said.push(r.cmd("STOR full")).get(..4), Some("150 "));
    let _ = data.write_all(b"data that does not fit");
    drop(data);
    assert_eq!(said.push(r.reply()), msg_line(Msg::StorageFull));
    let mut data = r.pasv();
    assert_eq!(said.push(r.cmd("STOR quota")).get(..4), Some("150 "));
    data.write_all(b"over quota").expect("send");
    drop(data);
    assert_eq!(said.push(r.reply()), msg_line(Msg::QuotaExceeded));

    // An active data connection that cannot be made: the reason stays in the log.
    let closed = closed_port();
    let port = closed.port();
    assert_eq!(
        said.push(r.cmd(&format!("PORT 127,0,0,1,{},{}", port / 256, port % 256)))
            .get(..4),
        Some("200 ")
    );
    assert_eq!(
        said.push(r.cmd("RETR ok")),
        msg_line(Msg::DataConnectFailed)
    );
    assert_eq!(r.code("NOOP"), 200);

    // The backend went away: 421, and the session closes.
    assert_eq!(
        said.push(r.cmd("SIZE gone")),
        msg_line(Msg::StorageUnavailable)
    );
    assert!(r.is_closed());

    // The same during a transfer.
    let mut r = s.raw_logged_in();
    let _data = r.pasv();
    assert_eq!(
        said.push(r.cmd("RETR gone")),
        msg_line(Msg::StorageUnavailable)
    );
    assert!(r.is_closed());

    let root = s.root.path().to_string_lossy().into_owned();
    said.assert_clean(&root);
}

/// An address on 127.0.0.1 where nothing listens (a port that was just given back).
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

#[test]
fn a_backend_that_cannot_open_refuses_the_login_without_detail() {
    let s = TestServer::start_with(|c| {
        c.storage = StorageFactory::new(Capabilities::ALL, |_| {
            Err(StorageError::from_io(std::io::Error::from_raw_os_error(
                libc::ESTALE,
            )))
        });
    });
    let mut r = s.raw();
    assert_eq!(r.code(&format!("USER {}", common::USER)), 331);
    let (code, text) = r.cmd(&format!("PASS {}", common::PASS));
    assert_eq!(text, msg_line(Msg::HomeUnavailable));
    assert_eq!(code, 530);
    assert_eq!(r.code("QUIT"), 221);
}
