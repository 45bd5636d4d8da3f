//! Which backend a user's files live in: the seam where another backend than the local
//! disk (an object store, a test double) is plugged into the server.

use std::fmt;
use std::sync::Arc;

use super::{Capabilities, ListingJobs, LocalStorage, Storage, StorageError};
use crate::auth::Account;

/// The function that opens a logged-in user's storage.
type OpenFn =
    dyn Fn(&Account, &BackendOptions) -> Result<Arc<dyn Storage>, StorageError> + Send + Sync;

/// Server settings a backend applies to the storage it opens (the server sets them from
/// its `ServerConfig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendOptions {
    /// Whether a finished upload is forced to stable storage before its final reply
    /// (`ServerConfig::fsync_uploads`).
    pub fsync_uploads: bool,
    /// Whether a small upload's file-system calls may run on the async worker
    /// (`ServerConfig::inline_upload_metadata`).
    pub inline_upload_metadata: bool,
    /// Whether a new file is uploaded without a name and linked into place
    /// (`ServerConfig::tmpfile_uploads`).
    pub tmpfile_uploads: bool,
}

/// Opens the storage of each user at login. The default opens the user's home directory
/// on the local disk.
#[derive(Clone)]
pub struct StorageFactory {
    open: Arc<OpenFn>,
    advertised: Capabilities,
    options: BackendOptions,
    /// The bound on listing jobs shared by every local storage this factory opens.
    listing: ListingJobs,
}

impl StorageFactory {
    /// A factory that calls `open` at each login. `advertised` is what FEAT and HELP show
    /// before anyone has logged in (clients ask early); after login the opened backend's own
    /// [`Storage::capabilities`] apply.
    pub fn new<F>(advertised: Capabilities, open: F) -> StorageFactory
    where
        F: Fn(&Account) -> Result<Arc<dyn Storage>, StorageError> + Send + Sync + 'static,
    {
        StorageFactory::with_options(advertised, move |account, _| open(account))
    }

    /// Like [`StorageFactory::new`], for a backend that applies the server's
    /// [`BackendOptions`] (given to `open` at each login).
    pub fn with_options<F>(advertised: Capabilities, open: F) -> StorageFactory
    where
        F: Fn(&Account, &BackendOptions) -> Result<Arc<dyn Storage>, StorageError>
            + Send
            + Sync
            + 'static,
    {
        StorageFactory {
            open: Arc::new(open),
            advertised,
            options: BackendOptions::default(),
            listing: ListingJobs::new(ListingJobs::default_size()),
        }
    }

    /// The local disk: each user's home directory through [`LocalStorage`].
    pub fn local() -> StorageFactory {
        let listing = ListingJobs::new(ListingJobs::default_size());
        let shared = listing.clone();
        let mut factory =
            StorageFactory::with_options(Capabilities::ALL, move |account, options| {
                let storage = LocalStorage::new(&account.home)
                    .map_err(StorageError::from_io)?
                    .with_fsync_uploads(options.fsync_uploads)
                    .with_inline_metadata(options.inline_upload_metadata)
                    .with_tmpfile_uploads(options.tmpfile_uploads)
                    .with_listing_jobs(shared.clone());
                Ok(Arc::new(storage) as Arc<dyn Storage>)
            });
        factory.listing = listing;
        factory
    }

    /// Bounds the blocking jobs that all listings of the local storages this factory
    /// opens may run at once (`ServerConfig::max_listing_jobs`). Meant for start-up.
    pub fn set_max_listing_jobs(&mut self, n: usize) {
        self.listing.resize(n);
    }

    /// The bound on listing jobs of the local storages this factory opens.
    pub fn listing_jobs(&self) -> &ListingJobs {
        &self.listing
    }

    /// Hands `options` to the backends this factory opens from now on.
    pub fn set_options(&mut self, options: BackendOptions) {
        self.options = options;
    }

    /// The options handed to the backends this factory opens.
    pub fn options(&self) -> BackendOptions {
        self.options
    }

    /// Opens `account`'s storage.
    pub fn open(&self, account: &Account) -> Result<Arc<dyn Storage>, StorageError> {
        (self.open)(account, &self.options)
    }

    /// What sessions advertise before login.
    pub fn advertised(&self) -> Capabilities {
        self.advertised
    }
}

impl Default for StorageFactory {
    fn default() -> StorageFactory {
        StorageFactory::local()
    }
}

impl fmt::Debug for StorageFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageFactory")
            .field("advertised", &self.advertised)
            .field("options", &self.options)
            .field("listing", &self.listing)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the default backend: `local()` opens storage that applies the options the
    /// server set (the durability setting), and `new` factories keep working unchanged.
    #[test]
    fn local_applies_the_options() {
        let home = tempfile::tempdir().expect("tempdir");
        let account = Account {
            name: "u".to_owned(),
            home: home.path().to_path_buf(),
            permissions: ferroftp_proto::perms::Permissions::ALL,
        };
        let mut factory = StorageFactory::local();
        assert_eq!(factory.options(), BackendOptions::default());
        let opened = factory.open(&account).expect("open");
        assert!(format!("{opened:?}").contains("fsync_uploads: false"));
        factory.set_options(BackendOptions {
            fsync_uploads: true,
            ..BackendOptions::default()
        });
        let opened = factory.open(&account).expect("open");
        assert!(format!("{opened:?}").contains("fsync_uploads: true"));
    }
}
