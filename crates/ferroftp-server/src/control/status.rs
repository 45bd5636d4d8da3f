//! STAT: the server's status, and STAT path listings over the control connection.

use super::*;

impl Control {
    pub(super) fn status(&self) -> Reply {
        let mut lines = vec!["ferroftp status:".to_owned()];
        lines.push(format!("Connected from {}", self.peer.ip()));
        match self.session.user() {
            Some(u) => lines.push(format!("Logged in as {u}")),
            None => lines.push("Not logged in".to_owned()),
        }
        let ty = match self.session.transfer_type() {
            TransferType::Ascii => "ASCII",
            TransferType::Binary => "BINARY",
        };
        lines.push(format!("TYPE: {ty}, STRUcture: File, MODE: Stream"));
        match &self.transfer {
            Some(t) => lines.push(format!(
                "Transfer in progress: {}, {} bytes so far",
                t.what,
                t.progress.load(Ordering::Relaxed)
            )),
            None => lines.push("No data connection".to_owned()),
        }
        lines.push("End of status".to_owned());
        Reply::multi(211, lines)
    }

    /// STAT path: a LIST-style listing over the control connection, streamed line by line.
    pub(super) async fn stat_path(&mut self, path: VPath) -> std::io::Result<Flow> {
        let Some(storage) = self.storage() else {
            self.send(&Msg::PleaseLogin.reply()).await?;
            return Ok(Flow::Continue);
        };
        let meta = match storage.metadata(&path).await {
            Ok(m) => m,
            Err(e) => {
                self.send(&storage_error_reply(&e)).await?;
                return Ok(Flow::Continue);
            }
        };
        let now = std::time::SystemTime::now();
        if meta.kind != EntryKind::Dir {
            let line = listing::list_line(&meta, now);
            let reply = Reply::multi(
                213,
                vec![
                    format!("Status of {path}:"),
                    format!(" {line}"),
                    "End of status".into(),
                ],
            );
            self.send(&reply).await?;
            return Ok(Flow::Continue);
        }
        let mut entries = match storage.list(&path).await {
            Ok(s) => s,
            Err(e) => {
                self.send(&storage_error_reply(&e)).await?;
                return Ok(Flow::Continue);
            }
        };
        let head = format!("212-Status of {path}:\r\n");
        self.stream.write_all(head.as_bytes()).await?;
        while let Some(entry) = entries.next().await {
            let Ok(entry) = entry else { continue };
            // One leading space keeps a name that starts with digits from ending the reply.
            let line = format!(
                " {}\r\n",
                listing::list_line(&entry, now).replace(['\r', '\n'], " ")
            );
            self.stream.write_all(line.as_bytes()).await?;
        }
        self.stream.write_all(b"212 End of status\r\n").await?;
        self.stream.flush().await?;
        Ok(Flow::Continue)
    }
}
