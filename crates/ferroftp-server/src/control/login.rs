//! USER/PASS/REIN: checking the password, anonymous logins, opening the user's storage,
//! and logging out.

use super::*;

impl<S: ControlStream> Control<S> {
    /// USER: asks the authenticator for the user's own TLS policy.
    pub(super) fn user(&mut self, name: &str) -> Reply {
        // A new USER starts a new login: this connection's tickets stop vouching for the
        // old one.
        if let Some(tls) = &self.tls {
            tls.set_user(None);
        }
        let policy = self.shared.auth.tls_policy(name);
        self.session.on_user(name, policy)
    }

    /// REIN: the session has reset itself; drop what the login opened.
    pub(super) fn reinitialize(&mut self) -> Reply {
        self.prepare(Prepared::None);
        self.storage = None;
        self.user_limits = None;
        if let Some(tls) = &self.tls {
            tls.set_user(None);
        }
        Msg::SessionReset.reply()
    }

    /// PASS: checks the password (or takes an anonymous login) and opens the storage.
    pub(super) async fn login(&mut self, user: &str, password: &Secret) -> Reply {
        let anonymous = self.anonymous_account(user);
        let is_anonymous = anonymous.is_some();
        let account = match anonymous {
            Some(a) => Ok(a),
            None => self.shared.auth.authenticate(user, password).await,
        };
        match account {
            Ok(account) => match self.shared.config.storage.open(&account) {
                Ok(storage) => {
                    let storage = self.limited_storage(&account, storage, is_anonymous).await;
                    tracing::info!(user, "login ok");
                    storage.sweep_stale_uploads(self.shared.config.stale_upload_sweep_limit);
                    self.session.set_capabilities(storage.capabilities());
                    self.storage = Some(storage);
                    if let Some(tls) = &self.tls {
                        tls.set_user(Some(&account.name));
                    }
                    let reply = self.session.on_login(Some(account.permissions));
                    self.session.set_anonymous(is_anonymous);
                    reply
                }
                Err(e) => {
                    tracing::error!(user, home = %account.home.display(), error = %e, "home directory unavailable");
                    let _ = self.session.on_login(None);
                    Msg::HomeUnavailable.reply()
                }
            },
            Err(e) => {
                tracing::info!(user, reason = %e, "login failed");
                tokio::time::sleep(self.shared.config.login_failure_delay).await;
                self.session.on_login(None)
            }
        }
    }

    pub(super) fn anonymous_account(&self, user: &str) -> Option<Account> {
        let anon = self.shared.config.anonymous.as_ref()?;
        if !(user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")) {
            return None;
        }
        let permissions = if anon.writable && self.shared.config.anonymous_upload_dir.is_some() {
            // Uploads only, and only into the drop directory (see `limited_storage`).
            ferroftp_proto::perms::Permissions {
                write: true,
                ..ferroftp_proto::perms::Permissions::READ_ONLY
            }
        } else if anon.writable {
            ferroftp_proto::perms::Permissions::ALL
        } else {
            ferroftp_proto::perms::Permissions::READ_ONLY
        };
        Some(Account {
            name: "anonymous".to_owned(),
            home: anon.root.clone(),
            permissions,
        })
    }

    /// Attaches what the user shares with their other sessions (bandwidth, quota) and
    /// wraps their storage in the rules that apply: the quota for users who have one, the
    /// drop directory for writable anonymous logins.
    async fn limited_storage(
        &mut self,
        account: &Account,
        storage: Arc<dyn Storage>,
        anonymous: bool,
    ) -> Arc<dyn Storage> {
        if anonymous {
            self.user_limits = None;
            let writable = self
                .shared
                .config
                .anonymous
                .as_ref()
                .is_some_and(|a| a.writable);
            return match (&self.shared.config.anonymous_upload_dir, writable) {
                (Some(dir), true) => {
                    Arc::new(crate::dropbox::DropBoxStorage::new(storage, dir.clone()))
                }
                _ => storage,
            };
        }
        let limits = self.shared.auth.limits(&account.name);
        let user = self.shared.limits.user(&account.name, limits);
        let quota = user.quota(&account.home).await;
        self.user_limits = Some(user);
        match quota {
            Some(q) => Arc::new(crate::quota::QuotaStorage::new(storage, q)),
            None => storage,
        }
    }
}
