//! Which backend a user's files live in: the seam where another backend than the local
//! disk (an object store, a test double) is plugged into the server.

use std::fmt;
use std::sync::Arc;

use super::{Capabilities, LocalStorage, Storage, StorageError};
use crate::auth::Account;

/// The function that opens a logged-in user's storage.
type OpenFn = dyn Fn(&Account) -> Result<Arc<dyn Storage>, StorageError> + Send + Sync;

/// Opens the storage of each user at login. The default opens the user's home directory
/// on the local disk.
#[derive(Clone)]
pub struct StorageFactory {
    open: Arc<OpenFn>,
    advertised: Capabilities,
}

impl StorageFactory {
    /// A factory that calls `open` at each login. `advertised` is what FEAT and HELP show
    /// before anyone has logged in (clients ask early); after login the opened backend's own
    /// [`Storage::capabilities`] apply.
    pub fn new<F>(advertised: Capabilities, open: F) -> StorageFactory
    where
        F: Fn(&Account) -> Result<Arc<dyn Storage>, StorageError> + Send + Sync + 'static,
    {
        StorageFactory {
            open: Arc::new(open),
            advertised,
        }
    }

    /// The local disk: each user's home directory through [`LocalStorage`].
    pub fn local() -> StorageFactory {
        StorageFactory::new(Capabilities::ALL, |account| {
            let storage = LocalStorage::new(&account.home).map_err(StorageError::from_io)?;
            Ok(Arc::new(storage) as Arc<dyn Storage>)
        })
    }

    /// Opens `account`'s storage.
    pub fn open(&self, account: &Account) -> Result<Arc<dyn Storage>, StorageError> {
        (self.open)(account)
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
            .finish_non_exhaustive()
    }
}
