//! STAT: the server's status, and STAT path listings over the control connection.

use super::*;

impl<S: ControlStream> Control<S> {
    pub(super) fn status(&self) -> Reply {
        Computed::Status(StatusReport {
            client: self.peer.ip(),
            user: self.session.user().map(str::to_owned),
            transfer_type: self.session.transfer_type(),
            transfer: self
                .transfer
                .as_ref()
                .map(|t| (t.what.clone(), t.progress.load(Ordering::Relaxed))),
        })
        .reply()
    }

    /// STAT path: a LIST-style listing over the control connection, streamed line by line.
    pub(super) async fn stat_path(&mut self, path: VPath) -> std::io::Result<Flow> {
        let Some(storage) = self.storage() else {
            self.send(&Msg::PleaseLogin.reply()).await?;
            return Ok(Flow::Continue);
        };
        let meta = match storage.metadata(&path).await {
            Ok(m) => m,
            Err(e) => return self.send_storage_error(&e).await,
        };
        let now = std::time::SystemTime::now();
        if meta.kind != EntryKind::Dir {
            let line = listing::list_line(&meta, now);
            let reply = Computed::FileStatus { path, line }.reply();
            self.send(&reply).await?;
            return Ok(Flow::Continue);
        }
        let mut entries = match storage.list(&path).await {
            Ok(s) => s,
            Err(e) => return self.send_storage_error(&e).await,
        };
        self.stream
            .write_all(dir_status::head(&path).as_bytes())
            .await?;
        while let Some(entry) = entries.next().await {
            let Ok(entry) = entry else { continue };
            let line = dir_status::line(&listing::list_line(&entry, now));
            self.stream.write_all(line.as_bytes()).await?;
        }
        self.stream.write_all(dir_status::TAIL.as_bytes()).await?;
        self.stream.flush().await?;
        Ok(Flow::Continue)
    }
}
