//! File and directory commands answered over the control connection alone: CWD, MKD, RMD,
//! DELE, RNFR/RNTO, SIZE, MDTM, MFMT, SITE CHMOD and MLST.

use super::*;

impl<S: ControlStream> Control<S> {
    /// File and directory commands answered over the control connection alone.
    pub(super) async fn file_action(&mut self, storage: &dyn Storage, action: Action) -> Reply {
        let result = match action {
            Action::ChangeDir(path) => match storage.metadata(&path).await {
                Ok(m) if m.kind == EntryKind::Dir => Ok(self.session.on_cwd(path)),
                Ok(_) => Ok(Msg::NotADirectory.reply()),
                Err(e) => Err(e),
            },
            Action::MakeDir(path) => storage
                .mkdir(&path)
                .await
                .map(|()| Computed::DirCreated { path }.reply()),
            Action::RemoveDir(path) if path.is_root() => Ok(Msg::RootNotRemovable.reply()),
            Action::RemoveDir(path) => storage
                .rmdir(&path)
                .await
                .map(|()| Msg::DirectoryRemoved.reply()),
            Action::Delete(path) => match storage.metadata(&path).await {
                Ok(m) if m.kind == EntryKind::Dir => Ok(Msg::DeleIsDirectory.reply()),
                _ => storage
                    .delete(&path)
                    .await
                    .map(|()| Msg::FileDeleted.reply()),
            },
            Action::RenameFrom(path) if path.is_root() => Ok(Msg::RootNotRenamable.reply()),
            Action::RenameFrom(path) => storage
                .metadata(&path)
                .await
                .map(|m| self.session.on_rename_from_entry(path, m.kind)),
            Action::Rename { from, to } => storage
                .rename(&from, &to)
                .await
                .map(|()| Msg::Renamed.reply()),
            Action::Size(path) => storage.metadata(&path).await.map(|m| match m.kind {
                EntryKind::Dir => Msg::NotAPlainFile.reply(),
                _ => Computed::Size(m.size).reply(),
            }),
            Action::Mdtm(path) => storage.metadata(&path).await.map(|m| match m.modified {
                Some(t) => Computed::ModifiedTime(t).reply(),
                None => Msg::MtimeUnknown.reply(),
            }),
            Action::Mfmt { path, time } => storage
                .set_modified(&path, time)
                .await
                .map(|()| Computed::ModifiedTimeSet { time, path }.reply()),
            Action::Chmod { path, mode } => match is_root_itself(storage, &path).await {
                // The session refuses `/`; a link inside the root that leads back to it
                // must not lock the account out either.
                true => Ok(Msg::ChmodRootRefused.reply()),
                false => storage
                    .chmod(&path, mode)
                    .await
                    .map(|()| Msg::ChmodDone.reply()),
            },
            Action::Mlst(path) => storage.metadata(&path).await.map(|mut m| {
                m.name = path.to_string();
                let facts =
                    listing::mlsx_line(&m, self.session.mlst_facts(), self.session.permissions());
                Computed::MlstEntry { path, facts }.reply()
            }),
            other => {
                tracing::error!(?other, "action reached the wrong handler");
                Ok(Msg::LocalError.reply())
            }
        };
        result.unwrap_or_else(|e| storage_error_reply(&e))
    }
}

/// Whether `path` names the user's root directory itself (through a link, say), by the
/// backend's unique identifier; `false` when the backend has none.
async fn is_root_itself(storage: &dyn Storage, path: &VPath) -> bool {
    let Ok(target) = storage.metadata(path).await else {
        return false;
    };
    if target.kind != EntryKind::Dir || target.unique.is_none() {
        return false;
    }
    match storage.metadata(&VPath::root()).await {
        Ok(root) => root.unique == target.unique,
        Err(_) => false,
    }
}
