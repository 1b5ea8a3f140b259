//! Where the key lives: the OS keyring (Secret Service, else the kernel keyring), an
//! age-encrypted file, memory (sandbox, tests) or the PLEO_API_KEY variable (read only).
//! No store ever prompts: a passphrase is given to the file store by whoever asked for it.

mod file;
pub mod kernel;
pub mod keyring;

pub use file::{DEFAULT_SCRYPT_WORK_FACTOR, MAX_SCRYPT_WORK_FACTOR, MIN_SCRYPT_WORK_FACTOR};

use keyring_core::CredentialStore;
use secrecy::SecretString;
use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::StoreError;
use crate::domain::KeySource;
use crate::secret::ApiKey;
use file::FileStore;
use keyring::KeyringEntry;

/// A keyring that takes longer than this is waiting on a prompt or a dead bus.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// What the user asked for with `--secret-store` or `secret_store =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StoreChoice {
    /// The OS keyring when one is usable, else the encrypted file.
    #[default]
    Auto,
    /// The OS keyring only.
    Keyring,
    /// The passphrase-encrypted file only.
    File,
}

impl std::str::FromStr for StoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(StoreChoice::Auto),
            "keyring" => Ok(StoreChoice::Keyring),
            "file" => Ok(StoreChoice::File),
            _ => Err(format!(
                "'{s}' is not a secret store; use auto, keyring or file"
            )),
        }
    }
}

/// What the file store needs before it can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphraseNeed {
    /// A key file exists: its passphrase opens it.
    Unlock,
    /// No key file yet: the first key is encrypted with a passphrase chosen now.
    Choose,
}

/// Where to open a store: the key file's path and the keyring entry for this home.
#[derive(Debug, Clone)]
pub struct StoreSite {
    pub key_file: PathBuf,
    pub keyring_user: String,
    pub work_factor: u8,
}

/// The key's home. Cheap to clone; clones share the backend (and an unlocked passphrase).
#[derive(Clone)]
pub struct SecretStore {
    inner: Arc<Inner>,
}

struct Inner {
    kind: KeySource,
    location: String,
    backend: Backend,
}

enum Backend {
    Keyring(KeyringEntry),
    File(FileStore),
    Fixed(ApiKey),
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("kind", &self.inner.kind)
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// Pick and open the store. May block up to ~3 s probing D-Bus.
    pub fn open(
        choice: StoreChoice,
        site: &StoreSite,
        passphrase: Option<SecretString>,
    ) -> Result<SecretStore, StoreError> {
        let file = |note: Option<&str>, passphrase| {
            let store =
                SecretStore::encrypted_file(site.key_file.clone(), passphrase, site.work_factor)?;
            Ok(match note {
                Some(note) => store.with_location_note(note),
                None => store,
            })
        };
        match choice {
            StoreChoice::File => file(None, passphrase),
            StoreChoice::Keyring => {
                os_keyring(&site.keyring_user).map_err(|detail| StoreError::NoKeyring { detail })
            }
            StoreChoice::Auto => {
                // A key file from an earlier run (say, over SSH without a keyring) keeps winning,
                // so the key is found where it was put.
                if std::fs::symlink_metadata(&site.key_file).is_ok() {
                    return file(Some("existing key file"), passphrase);
                }
                match os_keyring(&site.keyring_user) {
                    Ok(store) => Ok(store),
                    Err(detail) => {
                        tracing::info!(%detail, "no OS keyring; using the encrypted file");
                        file(
                            Some("no Secret Service or kernel keyring available"),
                            passphrase,
                        )
                    }
                }
            }
        }
    }

    /// A process-local store for the sandbox and tests.
    pub fn in_memory() -> SecretStore {
        // Built by hand: `mock::Store::new` returns a `Result` although it cannot fail.
        let store: Arc<CredentialStore> = Arc::new(keyring_core::mock::Store {
            id: "pleo-keys in-memory store".to_owned(),
            inner: Mutex::new(RefCell::new(Vec::new())),
        });
        SecretStore::with_credential_store(store, KeySource::Memory, "api-key:memory")
    }

    /// Any keyring-core store; tests pass `keyring_core::mock::Store`.
    pub fn with_credential_store(
        store: Arc<CredentialStore>,
        kind: KeySource,
        user: &str,
    ) -> SecretStore {
        let (location, name) = match kind {
            KeySource::SecretService => (
                "Secret Service, default collection (usually 'login')",
                "Secret Service",
            ),
            KeySource::KernelKeyring => (
                "kernel keyring, session (forgotten on reboot)",
                "kernel keyring",
            ),
            KeySource::Memory => ("memory (sandbox; gone on exit)", "in-memory store"),
            _ => (kind.describe(), "keyring"),
        };
        let entry = KeyringEntry {
            store,
            user: user.to_owned(),
            legacy_user: matches!(kind, KeySource::SecretService | KeySource::KernelKeyring)
                .then_some(keyring::LEGACY_USER),
            check_session_keyring: kind == KeySource::KernelKeyring,
            name,
        };
        SecretStore::from_backend(kind, location.to_owned(), Backend::Keyring(entry))
    }

    /// The key in an age file encrypted with a passphrase (scrypt work factor `work_factor`).
    pub fn encrypted_file(
        path: PathBuf,
        passphrase: Option<SecretString>,
        work_factor: u8,
    ) -> Result<SecretStore, StoreError> {
        let location = format!("encrypted file {}", path.display());
        Ok(SecretStore::from_backend(
            KeySource::EncryptedFile,
            location,
            Backend::File(FileStore::new(path, passphrase, work_factor)?),
        ))
    }

    /// The key came from PLEO_API_KEY: loadable, never saved.
    pub fn environment(key: ApiKey) -> SecretStore {
        SecretStore::from_backend(
            KeySource::Environment,
            KeySource::Environment.describe().to_owned(),
            Backend::Fixed(key),
        )
    }

    fn from_backend(kind: KeySource, location: String, backend: Backend) -> SecretStore {
        SecretStore {
            inner: Arc::new(Inner {
                kind,
                location,
                backend,
            }),
        }
    }

    fn with_location_note(mut self, note: &str) -> SecretStore {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.location = format!("{} ({note})", inner.location);
        }
        self
    }

    pub fn kind(&self) -> KeySource {
        self.inner.kind
    }

    /// Where the key is, for people: a keyring name or the file path.
    pub fn location(&self) -> String {
        self.inner.location.clone()
    }

    /// The encrypted file store's path.
    pub fn key_file(&self) -> Option<&std::path::Path> {
        match &self.inner.backend {
            Backend::File(f) => Some(&f.path),
            _ => None,
        }
    }

    /// What must be asked before the store can be used, if anything.
    pub fn passphrase_need(&self) -> Option<PassphraseNeed> {
        match &self.inner.backend {
            Backend::File(f) if !f.has_passphrase() => Some(if f.exists() {
                PassphraseNeed::Unlock
            } else {
                PassphraseNeed::Choose
            }),
            _ => None,
        }
    }

    /// Give the file store its passphrase: checked against the file when there is one.
    /// Returns whether a key is stored. Other stores need none and ignore it.
    pub async fn unlock(&self, passphrase: SecretString) -> Result<bool, StoreError> {
        if !matches!(self.inner.backend, Backend::File(_)) {
            return Ok(self.load().await?.is_some());
        }
        self.blocking(move |inner| match &inner.backend {
            Backend::File(f) => f.unlock(passphrase).map(|k| k.is_some()),
            _ => Ok(false),
        })
        .await
    }

    /// Encrypt the stored key again under a new passphrase (file store only).
    pub async fn change_passphrase(&self, new: SecretString) -> Result<(), StoreError> {
        self.blocking(move |inner| match &inner.backend {
            Backend::File(f) => f.change_passphrase(new),
            _ => Err(StoreError::Internal {
                store: inner.location.clone(),
                problem: "only the encrypted file store has a passphrase".into(),
            }),
        })
        .await
    }

    /// The stored key, or `None` when nothing is stored.
    pub async fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        self.blocking(|inner| match &inner.backend {
            Backend::Keyring(entry) => entry.load(),
            Backend::File(f) => f.load(),
            Backend::Fixed(key) => Ok(Some(key.clone())),
        })
        .await
    }

    pub async fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        let key = key.clone();
        self.blocking(move |inner| match &inner.backend {
            Backend::Keyring(entry) => entry.save(&key),
            Backend::File(f) => f.save(&key),
            Backend::Fixed(_) => Err(StoreError::NotStorable),
        })
        .await
    }

    /// Remove the stored key; `true` if there was one.
    pub async fn delete(&self) -> Result<bool, StoreError> {
        self.blocking(|inner| match &inner.backend {
            Backend::Keyring(entry) => entry.delete(),
            Backend::File(f) => f.delete(),
            Backend::Fixed(_) => Ok(false),
        })
        .await
    }

    /// Run a blocking store call off the async threads; keyrings get a timeout.
    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let store = self.inner.kind.describe().to_owned();
        let task = tokio::task::spawn_blocking(move || f(&inner));
        let joined = match self.inner.backend {
            Backend::Keyring(_) => {
                tokio::time::timeout(KEYRING_TIMEOUT, task)
                    .await
                    .map_err(|_| StoreError::Timeout {
                        store: store.clone(),
                        secs: KEYRING_TIMEOUT.as_secs(),
                    })?
            }
            Backend::File(_) | Backend::Fixed(_) => task.await,
        };
        // A panic message could quote anything; do not pass it on.
        joined.map_err(|_| StoreError::Internal {
            store,
            problem: "the background task stopped unexpectedly".into(),
        })?
    }
}

/// Secret Service first, then the kernel keyring. `Err` explains why neither is usable.
fn os_keyring(user: &str) -> Result<SecretStore, String> {
    let mut why = Vec::new();
    #[cfg(feature = "secret-service")]
    match keyring::probe_secret_service() {
        Ok(store) => {
            return Ok(SecretStore::with_credential_store(
                store,
                KeySource::SecretService,
                user,
            ));
        }
        Err(e) => why.push(format!("Secret Service: {e}")),
    }
    match kernel::open() {
        Ok((store, fresh)) => {
            let s = SecretStore::with_credential_store(store, KeySource::KernelKeyring, user);
            // Building an entry resolves the session keyring: fail here rather than at first save.
            if let Backend::Keyring(entry) = &s.inner.backend
                && let Err(e) = entry.probe()
            {
                why.push(format!("kernel keyring: {e}"));
                return Err(why.join("; "));
            }
            Ok(if fresh {
                s.with_location_note("a new session: the old one was gone")
            } else {
                s
            })
        }
        Err(e) => {
            why.push(format!("kernel keyring: {e}"));
            Err(why.join("; "))
        }
    }
}

#[cfg(test)]
mod tests;
