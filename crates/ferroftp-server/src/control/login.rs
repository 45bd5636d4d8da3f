//! USER/PASS: checking the password, anonymous logins, and opening the user's storage.

use super::*;

impl<S: ControlStream> Control<S> {
    pub(super) async fn login(&mut self, user: &str, password: &Secret) -> Reply {
        let account = match self.anonymous_account(user) {
            Some(a) => Ok(a),
            None => self.shared.auth.authenticate(user, password).await,
        };
        match account {
            Ok(account) => match LocalStorage::new(&account.home) {
                Ok(storage) => {
                    tracing::info!(user, "login ok");
                    self.storage = Some(Arc::new(storage));
                    if let Some(tls) = &self.tls {
                        tls.set_user(Some(&account.name));
                    }
                    self.session.on_login(Some(account.permissions))
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
        let permissions = if anon.writable {
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
}
