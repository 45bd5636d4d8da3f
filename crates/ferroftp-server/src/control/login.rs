//! USER/PASS/REIN: checking the password, anonymous logins, opening the user's storage,
//! and logging out; failed logins cost a growing delay, and too many close the connection
//! or ban the address (see [`crate::guard`]).

use super::*;
use crate::auth::{is_anonymous_name, AuthError};
use crate::guard::{Busy, UserSlot};

/// What this connection's logins have come to so far.
#[derive(Debug, Default)]
pub(super) struct LoginState {
    /// Failed logins on this connection.
    failures: u32,
    /// The logged-in user's place in the per-user session count.
    slot: Option<UserSlot>,
}

impl<S: ControlStream> Control<S> {
    /// USER: the same answer for every name. A user's own TLS rule is applied at PASS, once
    /// the password is right: refusing here would tell which names exist.
    pub(super) fn user(&mut self, name: &str) -> Reply {
        // A new USER starts a new login: this connection's tickets stop vouching for the
        // old one, and the old login stops counting against its user.
        if let Some(tls) = &self.tls {
            tls.set_user(None);
        }
        self.logins.slot = None;
        self.session.on_user(name, None)
    }

    /// REIN: the session has reset itself; drop what the login opened.
    pub(super) fn reinitialize(&mut self) -> Reply {
        self.prepare(Prepared::None);
        self.storage = None;
        self.user_limits = None;
        self.logins.slot = None;
        if let Some(tls) = &self.tls {
            tls.set_user(None);
        }
        Msg::SessionReset.reply()
    }

    /// PASS: checks the password (or takes an anonymous login) and opens the storage.
    pub(super) async fn login(&mut self, user: &str, password: &Secret) -> Reply {
        let key = self.shared.address_key(self.peer.ip());
        // A ban that came while this connection was open (other connections' failures) ends
        // it as well, before it costs a password check.
        if self.shared.guard.banned(key).is_some() {
            tracing::warn!(address = %key, reason = "banned after failed logins", "login refused");
            let _ = self.session.on_login(None);
            return Msg::AddressBanned.reply();
        }
        let account = match self.anonymous_account(user) {
            Some(a) => Ok(a),
            // A credential verified recently: no permit, no blocking pool, no argon2.
            None => match self.shared.auth.authenticate_cached(user, password) {
                Some(account) => {
                    tracing::debug!(user, "password confirmed by the credential cache");
                    Ok(account)
                }
                None => {
                    // The ban is checked again once a permit is ours: checks that queued from
                    // an address banned meanwhile (a burst of guesses) cost no hash at all.
                    let shared = self.shared.clone();
                    let check = async move {
                        if shared.guard.banned(key).is_some() {
                            return None;
                        }
                        Some(shared.auth.authenticate(user, password).await)
                    };
                    match self.shared.hashes.run(check).await {
                        Ok(Some(result)) => result,
                        Ok(None) => {
                            tracing::warn!(address = %key, reason = "banned after failed logins", "login refused");
                            let _ = self.session.on_login(None);
                            return Msg::AddressBanned.reply();
                        }
                        Err(Busy) => {
                            tracing::warn!(
                                user,
                                "login queue full: password check not started in time"
                            );
                            let _ = self.session.on_login(None);
                            return Msg::LoginsBusy.reply();
                        }
                    }
                }
            },
        };
        match account {
            Ok(account) => self.logged_in(user, account).await,
            Err(e) => self.failed_login(user, key, &e).await,
        }
    }

    /// The password was right (or the login anonymous): the user's TLS rule, their session
    /// limit, then their storage.
    async fn logged_in(&mut self, user: &str, account: Account) -> Reply {
        let anonymous = self.shared.config.anonymous.is_some() && is_anonymous_name(user);
        if !anonymous {
            let policy = self.shared.auth.tls_policy(&account.name);
            if let Err(reply) = self.session.apply_user_tls_policy(policy) {
                tracing::info!(user, "login refused: this user must use TLS");
                let _ = self.session.on_login(None);
                return reply;
            }
        }
        // Anonymous logins are many people under one name: the connection limits bound them.
        let slot = if anonymous {
            None
        } else {
            match self.shared.user_sessions.claim(&account.name) {
                Some(slot) => Some(slot),
                None => {
                    tracing::warn!(user, "login refused: too many sessions for this user");
                    let _ = self.session.on_login(None);
                    return Msg::TooManySessionsForUser.reply();
                }
            }
        };
        match self.shared.config.storage.open(&account) {
            Ok(storage) => {
                let storage = self.limited_storage(&account, storage, anonymous).await;
                tracing::info!(user, "login ok");
                // In the background: the reply does not wait for the walk. Only the first
                // login to a home asks; the storage would ignore later asks anyway.
                if self.shared.first_login_to(&account.home) {
                    let sweeping = storage.clone();
                    let limit = self.shared.config.stale_upload_sweep_limit;
                    tokio::spawn(async move { sweeping.sweep_stale_uploads(limit).await });
                }
                self.session.set_capabilities(storage.capabilities());
                self.storage = Some(storage);
                self.logins.slot = slot;
                if let Some(tls) = &self.tls {
                    tls.set_user(Some(&account.name));
                }
                let reply = self.session.on_login(Some(account.permissions));
                self.session.set_anonymous(anonymous);
                reply
            }
            Err(e) => {
                tracing::error!(user, home = %account.home.display(), error = %e, "home directory unavailable");
                let _ = self.session.on_login(None);
                Msg::HomeUnavailable.reply()
            }
        }
    }

    /// A wrong password (or unknown user): pause, longer with each recent failure from the
    /// address, then answer; the last allowed failure on a connection, or one that gets the
    /// address banned, closes the connection. The pause holds nothing but this session.
    async fn failed_login(&mut self, user: &str, key: IpAddr, e: &AuthError) -> Reply {
        self.logins.failures = self.logins.failures.saturating_add(1);
        let failure = self.shared.guard.record_failure(key);
        tracing::info!(
            user,
            reason = %e,
            failures_here = self.logins.failures,
            failures_from_address = failure.recent,
            "login failed"
        );
        tokio::time::sleep(failure.delay).await;
        let reply = self.session.on_login(None);
        let limits = &self.shared.config.limits;
        if failure.banned {
            tracing::warn!(
                address = %key,
                reason = "too many failed logins",
                failures = failure.recent,
                window_secs = limits.ban_window.as_secs(),
                ban_secs = limits.ban_duration.as_secs(),
                "address banned"
            );
            return Msg::AddressBanned.reply();
        }
        if limits.max_login_failures != 0 && self.logins.failures >= limits.max_login_failures {
            tracing::info!(
                failures = self.logins.failures,
                "too many failed logins: closing"
            );
            return Msg::TooManyLoginFailures.reply();
        }
        reply
    }

    pub(super) fn anonymous_account(&self, user: &str) -> Option<Account> {
        let anon = self.shared.config.anonymous.as_ref()?;
        if !is_anonymous_name(user) {
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
