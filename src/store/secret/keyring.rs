//! Keyring-backed stores (the desktop Secret Service, the kernel keyring, the in-memory mock):
//! one entry per home and environment, so two homes never share or overwrite a key.

use keyring_core::{CredentialStore, Entry};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

use crate::domain::Environment;
use crate::secret::ApiKey;
use crate::store::StoreError;

/// The keyring service every entry is filed under.
pub const SERVICE: &str = "pleo-keys";
/// The one entry name versions before per-home entries used; read (never written) as a fallback.
pub const LEGACY_USER: &str = "api-key";

#[cfg(feature = "secret-service")]
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The entry's user name for a home and environment: `api-key:` and a hash of both, stable as
/// long as the home's canonical path is.
pub fn entry_user(home: &Path, environment: Environment) -> String {
    let canonical = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    let mut hasher = Sha256::new();
    hasher.update(canonical.as_os_str().as_encoded_bytes());
    hasher.update([0]);
    hasher.update(environment.as_str().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("api-key:{hex}")
}

/// One keyring entry.
pub(super) struct KeyringEntry {
    pub store: Arc<CredentialStore>,
    pub user: String,
    /// Read when `user` holds nothing (keys stored before entries were per home).
    pub legacy_user: Option<&'static str>,
    /// Kernel keyring: check this thread's session keyring before each use.
    pub check_session_keyring: bool,
    /// For messages: "Secret Service", "kernel keyring", ...
    pub name: &'static str,
}

impl KeyringEntry {
    fn entry(&self, user: &str) -> Result<Entry, StoreError> {
        // Session keyrings belong to threads: a blocking-pool thread started before `open`
        // joined a fresh one may still hold the revoked keyring.
        if self.check_session_keyring {
            super::kernel::ensure_session_keyring().map_err(|e| StoreError::Keyring {
                store: self.name.to_owned(),
                problem: format!("no usable session keyring ({e})"),
            })?;
        }
        Entry::new_in_store(&self.store, SERVICE, user).map_err(|e| self.error(&e))
    }

    fn error(&self, e: &keyring_core::Error) -> StoreError {
        StoreError::Keyring {
            store: self.name.to_owned(),
            problem: keyring_problem(e),
        }
    }

    fn read(&self, user: &str) -> Result<Option<ApiKey>, StoreError> {
        let secret = match self.entry(user)?.get_password() {
            Ok(secret) => Zeroizing::new(secret),
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(self.error(&e)),
        };
        let (key, _) = ApiKey::parse(&secret).map_err(|e| StoreError::BadStoredKey {
            store: self.name.to_owned(),
            problem: e.to_string(),
        })?;
        Ok(Some(key))
    }

    /// Whether an entry can be made at all (the kernel keyring resolves its keyring here).
    pub fn probe(&self) -> Result<(), StoreError> {
        self.entry(&self.user).map(|_| ())
    }

    pub fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        match self.read(&self.user)? {
            Some(key) => Ok(Some(key)),
            None => match self.legacy_user {
                Some(legacy) => self.read(legacy),
                None => Ok(None),
            },
        }
    }

    pub fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.entry(&self.user)?
            .set_password(key.expose())
            .map_err(|e| self.error(&e))
    }

    pub fn delete(&self) -> Result<bool, StoreError> {
        match self.entry(&self.user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.error(&e)),
        }
    }
}

/// Describe a keyring error without its payload: some variants carry the stored bytes.
pub(super) fn keyring_problem(e: &keyring_core::Error) -> String {
    use keyring_core::Error;
    match e {
        Error::BadEncoding(_) => "the stored value is not text".into(),
        Error::BadDataFormat(_, inner) => format!("the stored value is malformed ({inner})"),
        Error::Ambiguous(entries) => format!(
            "{} entries match service '{SERVICE}'; remove the extras with the keyring's own tool",
            entries.len()
        ),
        other => crate::domain::sanitize(&other.to_string(), 300),
    }
}

/// Connect and run a search that matches nothing, on a thread: a dead bus or an unlock
/// prompt can block for a long time.
#[cfg(feature = "secret-service")]
pub(super) fn probe_secret_service() -> Result<Arc<CredentialStore>, String> {
    use std::collections::HashMap;
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
        return Err("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)".into());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("secret-service-probe".into())
        .spawn(move || {
            let result = zbus_secret_service_keyring_store::Store::new()
                .and_then(|store| {
                    let store: Arc<CredentialStore> = store;
                    let probe = HashMap::from([("pleo-keys-probe", "none")]);
                    store.search(&probe).map(|_| store)
                })
                .map_err(|e| keyring_problem(&e));
            // The receiver may have given up already; nothing to do then.
            let _ = tx.send(result);
        })
        .map_err(|e| format!("cannot start the probe thread: {e}"))?;
    match rx.recv_timeout(PROBE_TIMEOUT) {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_differ_per_home_and_environment() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let prod = Environment::Production;
        assert_eq!(entry_user(a.path(), prod), entry_user(a.path(), prod));
        assert_ne!(entry_user(a.path(), prod), entry_user(b.path(), prod));
        assert_ne!(
            entry_user(a.path(), prod),
            entry_user(a.path(), Environment::Staging)
        );
        // The same home through another spelling of its path is the same entry.
        let dotted = a.path().join(".");
        assert_eq!(entry_user(&dotted, prod), entry_user(a.path(), prod));
        assert!(entry_user(a.path(), prod).starts_with("api-key:"));
    }
}
