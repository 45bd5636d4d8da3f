//! What sessions share beyond their own connection: the server-wide bandwidth buckets, and
//! per user the user's buckets and quota counter, so that opening more sessions never buys a
//! user more bandwidth or more space.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OnceCell;

use crate::auth::UserLimits;
use crate::config::ServerConfig;
use crate::quota::{self, Quota};
use crate::throttle::{Bucket, Limit, Throttle};

/// The limits every session of a server shares.
#[derive(Debug)]
pub struct ServerLimits {
    download: Option<Arc<Bucket>>,
    upload: Option<Arc<Bucket>>,
    /// The users with a session now. Weak, so that a user's entry goes with their last
    /// session.
    users: Mutex<HashMap<String, Weak<UserShared>>>,
}

/// What all sessions of one user share while any of them is logged in.
#[derive(Debug)]
pub struct UserShared {
    limits: UserLimits,
    download: Option<Arc<Bucket>>,
    upload: Option<Arc<Bucket>>,
    /// Made by the first login that needs it, which walks the root; concurrent logins wait
    /// for that one walk.
    quota: OnceCell<Arc<Quota>>,
}

impl UserShared {
    /// The user's quota counter, walking `root` the first time; `None` without a quota.
    pub async fn quota(&self, root: &Path) -> Option<Arc<Quota>> {
        if !self.limits.has_quota() {
            return None;
        }
        let q = self
            .quota
            .get_or_init(|| async {
                let used = quota::scan(root.to_owned()).await;
                Arc::new(Quota::new(
                    self.limits.quota_bytes,
                    self.limits.quota_files,
                    used,
                ))
            })
            .await;
        Some(q.clone())
    }
}

impl ServerLimits {
    /// The server-wide buckets of `config`.
    pub fn new(config: &ServerConfig) -> ServerLimits {
        ServerLimits {
            download: Bucket::new(config.max_download_rate),
            upload: Bucket::new(config.max_upload_rate),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// The shared state of user `name` with `limits`, made if no session of theirs holds
    /// one. Should their limits have changed (a users file reload), the new ones start
    /// afresh; sessions already running keep the old.
    pub fn user(&self, name: &str, limits: UserLimits) -> Arc<UserShared> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = users.get(name).and_then(Weak::upgrade) {
            if u.limits == limits {
                return u;
            }
        }
        // Drop the entries of users who have left while we hold the lock anyway.
        users.retain(|_, w| w.strong_count() > 0);
        let u = Arc::new(UserShared {
            limits,
            download: Bucket::new(limits.download_rate),
            upload: Bucket::new(limits.upload_rate),
            quota: OnceCell::new(),
        });
        users.insert(name.to_owned(), Arc::downgrade(&u));
        u
    }

    /// The limits a transfer of `user` (if logged in) goes through.
    pub fn throttle(&self, user: Option<&UserShared>) -> Throttle {
        let (user_down, user_up) = match user {
            Some(u) => (u.download.clone(), u.upload.clone()),
            None => (None, None),
        };
        Throttle {
            download: Limit::of([user_down, self.download.clone()]),
            upload: Limit::of([user_up, self.upload.clone()]),
        }
    }
}
