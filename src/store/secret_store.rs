//! Where the key lives: the OS keyring (Secret Service or kernel keyring), an age-encrypted file,
//! memory (sandbox, tests) or the PLEO_API_KEY variable (read only).

use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use zeroize::Zeroizing;

use super::StoreError;
use super::atomic::write_bytes;
use crate::config::Paths;
use crate::secret::ApiKey;

/// Keyring entry coordinates.
pub const SERVICE: &str = "pleo-keys";
pub const USER: &str = "api-key";

/// scrypt work factor (log2 N) for the key file: about a quarter second on a laptop.
pub const DEFAULT_SCRYPT_WORK_FACTOR: u8 = 16;
pub const MIN_SCRYPT_WORK_FACTOR: u8 = 10;
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 22;
const WORK_FACTOR_ENV: &str = "PLEO_KEYS_SCRYPT_WORK_FACTOR";
const PASSPHRASE_ENV: &str = "PLEO_KEYS_PASSPHRASE";

/// A keyring that takes longer than this is waiting on a prompt or a dead bus.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);
#[cfg(feature = "secret-service")]
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    SecretService,
    KernelKeyring,
    EncryptedFile,
    Memory,
    Environment,
}

impl StoreKind {
    pub fn describe(&self) -> &'static str {
        match self {
            StoreKind::SecretService => "OS keyring (Secret Service)",
            StoreKind::KernelKeyring => "kernel keyring (forgotten on reboot)",
            StoreKind::EncryptedFile => "encrypted file",
            StoreKind::Memory => "memory only (sandbox)",
            StoreKind::Environment => "PLEO_API_KEY environment variable (not stored)",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What the user asked for with `--secret-store` or `secret_store =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreChoice {
    #[default]
    Auto,
    Keyring,
    File,
}

impl FromStr for StoreChoice {
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

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreChoice::Auto => "auto",
            StoreChoice::Keyring => "keyring",
            StoreChoice::File => "file",
        })
    }
}

/// How the encrypted file store gets its passphrase.
#[derive(Debug)]
pub enum Passphrase {
    /// PLEO_KEYS_PASSPHRASE, else a no-echo prompt on the terminal.
    FromEnv,
    Given(SecretString),
}

/// The key's home. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct SecretStore {
    inner: Arc<Inner>,
}

struct Inner {
    kind: StoreKind,
    location: String,
    backend: Backend,
    /// Kernel keyring: check this thread's session keyring before each use (see `entry`).
    check_session_keyring: bool,
}

enum Backend {
    Keyring(Arc<CredentialStore>),
    File(FileStore),
    Fixed(ApiKey),
}

struct FileStore {
    path: PathBuf,
    source: Passphrase,
    work_factor: u8,
    /// Kept after the first unlock so the passphrase is asked and scrypt run at most once.
    passphrase: Mutex<Option<SecretString>>,
    key: Mutex<Option<ApiKey>>,
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
        paths: &Paths,
        passphrase: Passphrase,
    ) -> Result<SecretStore, StoreError> {
        let file = |note: Option<&str>| -> Result<SecretStore, StoreError> {
            let mut store = SecretStore::encrypted_file(
                paths.secret_file.clone(),
                passphrase,
                work_factor_from_env()?,
            )?;
            if let Some(note) = note
                && let Some(inner) = Arc::get_mut(&mut store.inner)
            {
                inner.location = format!("{} ({note})", inner.location);
            }
            Ok(store)
        };
        match choice {
            StoreChoice::File => file(None),
            StoreChoice::Keyring => os_keyring().map_err(|detail| StoreError::NoKeyring { detail }),
            StoreChoice::Auto => {
                // A key file from an earlier run (say, over SSH without a keyring) keeps winning,
                // so the key is found where it was put.
                if paths.secret_file.exists() {
                    return file(Some("existing key file"));
                }
                match os_keyring() {
                    Ok(store) => Ok(store),
                    Err(detail) => {
                        tracing::info!(%detail, "no OS keyring; using the encrypted file");
                        file(Some("no Secret Service or kernel keyring available"))
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
        SecretStore::with_credential_store(store, StoreKind::Memory)
    }

    /// Any keyring-core store; tests pass `keyring_core::mock::Store`.
    pub fn with_credential_store(store: Arc<CredentialStore>, kind: StoreKind) -> SecretStore {
        let location = match kind {
            StoreKind::SecretService => "Secret Service, default collection (usually 'login')",
            StoreKind::KernelKeyring => "kernel keyring, session (forgotten on reboot)",
            StoreKind::Memory => "memory only (sandbox; forgotten on exit)",
            StoreKind::EncryptedFile | StoreKind::Environment => kind.describe(),
        };
        SecretStore::from_backend(kind, location.to_owned(), Backend::Keyring(store))
    }

    /// The key in an age file encrypted with a passphrase (scrypt work factor `work_factor`).
    pub fn encrypted_file(
        path: PathBuf,
        passphrase: Passphrase,
        work_factor: u8,
    ) -> Result<SecretStore, StoreError> {
        if !(MIN_SCRYPT_WORK_FACTOR..=MAX_SCRYPT_WORK_FACTOR).contains(&work_factor) {
            return Err(StoreError::BadWorkFactor {
                value: work_factor.to_string(),
            });
        }
        let location = format!("encrypted file {}", path.display());
        Ok(SecretStore::from_backend(
            StoreKind::EncryptedFile,
            location,
            Backend::File(FileStore::new(path, passphrase, work_factor)),
        ))
    }

    /// The key came from PLEO_API_KEY: loadable, never saved.
    pub fn environment(key: ApiKey) -> SecretStore {
        SecretStore::from_backend(
            StoreKind::Environment,
            StoreKind::Environment.describe().to_owned(),
            Backend::Fixed(key),
        )
    }

    fn from_backend(kind: StoreKind, location: String, backend: Backend) -> SecretStore {
        SecretStore {
            inner: Arc::new(Inner {
                kind,
                location,
                backend,
                check_session_keyring: false,
            }),
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.inner.kind
    }

    /// Where the key is, for people: a keyring name or the file path.
    pub fn location(&self) -> String {
        self.inner.location.clone()
    }

    /// The stored key, or `None` when nothing is stored.
    pub async fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        if let Backend::File(file) = &self.inner.backend
            && let Some(key) = lock(&file.key).clone()
        {
            return Ok(Some(key));
        }
        self.blocking(|inner| inner.load()).await
    }

    pub async fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        let key = key.clone();
        self.blocking(move |inner| inner.save(&key)).await
    }

    /// Remove the stored key; `true` if there was one.
    pub async fn delete(&self) -> Result<bool, StoreError> {
        self.blocking(|inner| inner.delete()).await
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

impl Inner {
    fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        match &self.backend {
            Backend::Keyring(store) => {
                let entry = self.entry(store)?;
                let secret = match entry.get_password() {
                    Ok(secret) => Zeroizing::new(secret),
                    Err(keyring_core::Error::NoEntry) => return Ok(None),
                    Err(e) => return Err(self.keyring_error(&e)),
                };
                let (key, _) = ApiKey::parse(&secret).map_err(|e| StoreError::BadStoredKey {
                    store: self.kind.describe().to_owned(),
                    problem: e.to_string(),
                })?;
                Ok(Some(key))
            }
            Backend::File(file) => file.load(),
            Backend::Fixed(key) => Ok(Some(key.clone())),
        }
    }

    fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Keyring(store) => self
                .entry(store)?
                .set_password(key.expose())
                .map_err(|e| self.keyring_error(&e)),
            Backend::File(file) => file.save(key),
            Backend::Fixed(_) => Err(StoreError::NotStorable),
        }
    }

    fn delete(&self) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Keyring(store) => match self.entry(store)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring_core::Error::NoEntry) => Ok(false),
                Err(e) => Err(self.keyring_error(&e)),
            },
            Backend::File(file) => file.delete(),
            Backend::Fixed(_) => Ok(false),
        }
    }

    fn entry(&self, store: &Arc<CredentialStore>) -> Result<Entry, StoreError> {
        // Session keyrings belong to threads: a blocking-pool thread started before `open`
        // joined a fresh one may still hold the revoked keyring.
        if self.check_session_keyring {
            ensure_session_keyring().map_err(|e| StoreError::Keyring {
                store: self.kind.describe().to_owned(),
                problem: format!("no usable session keyring ({e})"),
            })?;
        }
        Entry::new_in_store(store, SERVICE, USER).map_err(|e| self.keyring_error(&e))
    }

    fn keyring_error(&self, e: &keyring_core::Error) -> StoreError {
        StoreError::Keyring {
            store: self.kind.describe().to_owned(),
            problem: keyring_problem(e),
        }
    }
}

/// Describe a keyring error without its payload: some variants carry the stored bytes.
fn keyring_problem(e: &keyring_core::Error) -> String {
    use keyring_core::Error;
    match e {
        Error::BadEncoding(_) => "the stored value is not text".into(),
        Error::BadDataFormat(_, inner) => format!("the stored value is malformed ({inner})"),
        Error::Ambiguous(entries) => format!(
            "{} entries match service '{SERVICE}', user '{USER}'; remove the extras with the keyring's own tool",
            entries.len()
        ),
        other => other.to_string(),
    }
}

impl FileStore {
    fn new(path: PathBuf, source: Passphrase, work_factor: u8) -> FileStore {
        FileStore {
            path,
            source,
            work_factor,
            passphrase: Mutex::new(None),
            key: Mutex::new(None),
        }
    }

    fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        if let Some(key) = lock(&self.key).clone() {
            return Ok(Some(key));
        }
        let meta = match std::fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("read", &self.path, e)),
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(StoreError::InsecurePermissions {
                path: self.path.clone(),
                mode: mode & 0o777,
            });
        }
        let bytes = std::fs::read(&self.path).map_err(|e| StoreError::io("read", &self.path, e))?;
        let bad = |problem: String| StoreError::BadSecretFile {
            path: self.path.clone(),
            problem,
        };
        let decryptor = age::Decryptor::new_buffered(&bytes[..]).map_err(|e| bad(e.to_string()))?;
        if !decryptor.is_scrypt() {
            return Err(bad("it is not encrypted with a passphrase".into()));
        }
        let passphrase = self.passphrase(false)?;
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        // Anything we may have written must be readable again.
        identity.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        let mut reader = decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                    StoreError::WrongPassphrase {
                        path: self.path.clone(),
                    }
                }
                age::DecryptError::ExcessiveWork { required, .. } => bad(format!(
                    "it needs scrypt work factor {required}, above the limit of {MAX_SCRYPT_WORK_FACTOR}"
                )),
                other => bad(other.to_string()),
            })?;
        let mut plain = Zeroizing::new(Vec::new());
        reader
            .read_to_end(&mut plain)
            .map_err(|_| bad("its contents fail the integrity check".into()))?;
        let text = std::str::from_utf8(&plain).map_err(|_| bad("it does not hold text".into()))?;
        let (key, _) = ApiKey::parse(text).map_err(|e| StoreError::BadStoredKey {
            store: self.path.display().to_string(),
            problem: e.to_string(),
        })?;
        *lock(&self.passphrase) = Some(passphrase);
        *lock(&self.key) = Some(key.clone());
        Ok(Some(key))
    }

    fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        let passphrase = self.passphrase(true)?;
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        recipient.set_work_factor(self.work_factor);
        let internal = |problem: String| StoreError::Internal {
            store: self.path.display().to_string(),
            problem,
        };
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| internal(e.to_string()))?;
        let mut sealed = Vec::new();
        let mut writer = encryptor
            .wrap_output(&mut sealed)
            .map_err(|e| internal(e.to_string()))?;
        writer
            .write_all(key.expose().as_bytes())
            .and_then(|()| writer.finish().map(|_| ()))
            .map_err(|e| internal(e.to_string()))?;
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| StoreError::io("create the folder", dir, e))?;
        }
        write_bytes(&self.path, &sealed)?;
        *lock(&self.passphrase) = Some(passphrase);
        *lock(&self.key) = Some(key.clone());
        Ok(())
    }

    fn delete(&self) -> Result<bool, StoreError> {
        *lock(&self.key) = None;
        *lock(&self.passphrase) = None;
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io("remove", &self.path, e)),
        }
    }

    /// The cached passphrase, the given one, PLEO_KEYS_PASSPHRASE, or a prompt (twice when `new`).
    fn passphrase(&self, new: bool) -> Result<SecretString, StoreError> {
        if let Some(p) = lock(&self.passphrase).clone() {
            return Ok(p);
        }
        let passphrase = match &self.source {
            Passphrase::Given(p) => p.clone(),
            Passphrase::FromEnv => match std::env::var(PASSPHRASE_ENV) {
                Ok(p) => SecretString::from(p),
                Err(_) => self.prompt(new)?,
            },
        };
        if passphrase.expose_secret().is_empty() {
            return Err(StoreError::EmptyPassphrase {
                path: self.path.clone(),
            });
        }
        Ok(passphrase)
    }

    fn prompt(&self, new: bool) -> Result<SecretString, StoreError> {
        // rpassword reads /dev/tty (stdin may be carrying the key); without one, say what to set.
        if OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_err()
        {
            return Err(StoreError::MissingPassphrase {
                path: self.path.clone(),
            });
        }
        let ask = |prompt: String| {
            rpassword::prompt_password(prompt)
                .map(SecretString::from)
                .map_err(|source| StoreError::Prompt {
                    path: self.path.clone(),
                    source,
                })
        };
        if !new {
            return ask(format!("Passphrase for {}: ", self.path.display()));
        }
        let first = ask(format!(
            "New passphrase to encrypt the key in {}: ",
            self.path.display()
        ))?;
        if first.expose_secret().is_empty() {
            return Err(StoreError::EmptyPassphrase {
                path: self.path.clone(),
            });
        }
        let second = ask("Repeat the passphrase: ".to_owned())?;
        if first.expose_secret() != second.expose_secret() {
            return Err(StoreError::PassphraseMismatch);
        }
        Ok(first)
    }
}

/// A poisoned lock only means another thread panicked mid-update of a cache; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn work_factor_from_env() -> Result<u8, StoreError> {
    match std::env::var(WORK_FACTOR_ENV) {
        Err(_) => Ok(DEFAULT_SCRYPT_WORK_FACTOR),
        Ok(v) => match v.trim().parse::<u8>() {
            Ok(n) if (MIN_SCRYPT_WORK_FACTOR..=MAX_SCRYPT_WORK_FACTOR).contains(&n) => Ok(n),
            _ => Err(StoreError::BadWorkFactor { value: v }),
        },
    }
}

/// Secret Service first, then the kernel keyring. `Err` explains why neither is usable.
fn os_keyring() -> Result<SecretStore, String> {
    let mut why = Vec::new();
    #[cfg(feature = "secret-service")]
    match probe_secret_service() {
        Ok(store) => {
            return Ok(SecretStore::with_credential_store(
                store,
                StoreKind::SecretService,
            ));
        }
        Err(e) => why.push(format!("Secret Service: {e}")),
    }
    match kernel_keyring() {
        Ok((store, fresh)) => {
            let mut s = SecretStore::with_credential_store(store, StoreKind::KernelKeyring);
            if let Some(inner) = Arc::get_mut(&mut s.inner) {
                inner.check_session_keyring = true;
                if fresh {
                    inner.location =
                        "kernel keyring, new session (the old one was gone; forgotten on reboot)"
                            .into();
                }
            }
            Ok(s)
        }
        Err(e) => {
            why.push(format!("kernel keyring: {e}"));
            Err(why.join("; "))
        }
    }
}

/// Connect and run a search that matches nothing, on a thread: a dead bus or an unlock
/// prompt can block for a long time.
#[cfg(feature = "secret-service")]
fn probe_secret_service() -> Result<Arc<CredentialStore>, String> {
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

/// The kernel keyring, after making sure this process has a live session keyring.
/// Returns whether a fresh session keyring had to be joined.
fn kernel_keyring() -> Result<(Arc<CredentialStore>, bool), String> {
    let fresh = ensure_session_keyring().map_err(|e| format!("no usable session keyring: {e}"))?;
    let store: Arc<CredentialStore> =
        linux_keyutils_keyring_store::Store::new().map_err(|e| keyring_problem(&e))?;
    // Building an entry resolves the session keyring: fails here rather than at first save.
    Entry::new_in_store(&store, SERVICE, USER).map_err(|e| keyring_problem(&e))?;
    Ok((store, fresh))
}

/// A tmux server started from an SSH login that has ended holds a revoked session keyring:
/// keys written there can never be read back. Join a fresh anonymous one instead.
/// Returns whether one was joined.
///
/// The session keyring is per thread and inherited by threads started later, so `main` should
/// call this before it starts the tokio runtime; the store also calls it before each use.
pub fn ensure_session_keyring() -> io::Result<bool> {
    const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
    // SAFETY: keyctl with integer arguments only; no memory is passed to the kernel.
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        )
    };
    if id >= 0 {
        return Ok(false);
    }
    let why = io::Error::last_os_error();
    tracing::info!(error = %why, "session keyring unusable; joining a new one");
    // SAFETY: a NULL name asks for a new anonymous session keyring; nothing else is passed.
    let joined = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if joined >= 0 {
        Ok(true)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "pls_0123456789abcdef0123456789abcdef_620d75";

    fn key(s: &str) -> ApiKey {
        ApiKey::parse(s).unwrap().0
    }

    fn given(p: &str) -> Passphrase {
        Passphrase::Given(SecretString::from(p.to_owned()))
    }

    #[tokio::test]
    async fn memory_store_save_load_delete() {
        let store = SecretStore::in_memory();
        assert_eq!(store.kind(), StoreKind::Memory);
        assert!(store.load().await.unwrap().is_none());
        store.save(&key(KEY)).await.unwrap();
        assert_eq!(store.load().await.unwrap().unwrap().expose(), KEY);
        // Clones share the backend.
        assert!(store.clone().load().await.unwrap().is_some());
        assert!(store.delete().await.unwrap());
        assert!(!store.delete().await.unwrap());
        assert!(store.load().await.unwrap().is_none());
        assert!(!format!("{store:?}").contains(KEY));
    }

    #[tokio::test]
    async fn credential_store_errors_name_the_store() {
        let mock = keyring_core::mock::Store::new().unwrap();
        let store = SecretStore::with_credential_store(mock.clone(), StoreKind::SecretService);
        store.save(&key(KEY)).await.unwrap();
        let entry = Entry::new_in_store(&(mock as Arc<CredentialStore>), SERVICE, USER).unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(keyring_core::Error::BadEncoding(KEY.as_bytes().to_vec()));
        let err = store.load().await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Secret Service"), "{msg}");
        assert!(msg.contains("--secret-store file"), "{msg}");
        assert!(!msg.contains(KEY) && !format!("{err:?}").contains(KEY));
    }

    #[tokio::test]
    async fn file_store_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/key.age");
        let store = SecretStore::encrypted_file(path.clone(), given("correct horse"), 10).unwrap();
        assert_eq!(store.kind(), StoreKind::EncryptedFile);
        assert!(store.load().await.unwrap().is_none());
        store.save(&key(KEY)).await.unwrap();

        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY) && !text.contains("0123456789abcdef"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        // A fresh store (a new process) decrypts it.
        let again = SecretStore::encrypted_file(path.clone(), given("correct horse"), 10).unwrap();
        assert_eq!(again.load().await.unwrap().unwrap().expose(), KEY);
        // Decrypted once: later loads come from the cache.
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(again.load().await.unwrap().unwrap().expose(), KEY);

        assert!(again.delete().await.unwrap());
        assert!(!path.exists());
        assert!(again.load().await.unwrap().is_none());
        assert!(!again.delete().await.unwrap());
    }

    #[tokio::test]
    async fn wrong_passphrase_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.age");
        let store = SecretStore::encrypted_file(path.clone(), given("right"), 10).unwrap();
        store.save(&key(KEY)).await.unwrap();
        let other = SecretStore::encrypted_file(path.clone(), given("wrong"), 10).unwrap();
        let err = other.load().await.unwrap_err();
        assert!(err.is_wrong_passphrase(), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("wrong passphrase for {}", path.display())),
            "{err}"
        );
    }

    #[tokio::test]
    async fn group_readable_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.age");
        let store = SecretStore::encrypted_file(path.clone(), given("pw"), 10).unwrap();
        store.save(&key(KEY)).await.unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let fresh = SecretStore::encrypted_file(path.clone(), given("pw"), 10).unwrap();
        let msg = fresh.load().await.unwrap_err().to_string();
        assert!(
            msg.contains(&format!("chmod 600 {}", path.display())),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn empty_passphrase_and_bad_work_factor_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.age");
        let store = SecretStore::encrypted_file(path.clone(), given(""), 10).unwrap();
        let err = store.save(&key(KEY)).await.unwrap_err();
        assert!(matches!(err, StoreError::EmptyPassphrase { .. }), "{err}");
        assert!(!path.exists());
        assert!(SecretStore::encrypted_file(path.clone(), given("x"), 9).is_err());
        assert!(SecretStore::encrypted_file(path, given("x"), 23).is_err());
    }

    #[tokio::test]
    async fn damaged_file_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.age");
        std::fs::write(&path, b"not an age file").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let store = SecretStore::encrypted_file(path.clone(), given("pw"), 10).unwrap();
        let msg = store.load().await.unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), b"not an age file");
    }

    #[tokio::test]
    async fn environment_store_is_read_only() {
        let store = SecretStore::environment(key(KEY));
        assert_eq!(store.load().await.unwrap().unwrap().expose(), KEY);
        assert!(matches!(
            store.save(&key(KEY)).await,
            Err(StoreError::NotStorable)
        ));
        assert!(!store.delete().await.unwrap());
    }

    #[test]
    fn choice_parses_and_kinds_describe_themselves() {
        assert_eq!("auto".parse::<StoreChoice>(), Ok(StoreChoice::Auto));
        assert_eq!(" Keyring ".parse::<StoreChoice>(), Ok(StoreChoice::Keyring));
        assert_eq!("file".parse::<StoreChoice>(), Ok(StoreChoice::File));
        assert!("vault".parse::<StoreChoice>().is_err());
        assert!(StoreKind::KernelKeyring.describe().contains("reboot"));
        let json = serde_json::to_string(&StoreKind::SecretService).unwrap();
        assert_eq!(json, "\"secret_service\"");
    }

    #[test]
    fn open_file_choice_never_touches_a_keyring() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::resolve(Some(tmp.path())).unwrap();
        let store = SecretStore::open(StoreChoice::File, &paths, given("pw")).unwrap();
        assert_eq!(store.kind(), StoreKind::EncryptedFile);
        assert_eq!(
            store.location(),
            format!("encrypted file {}", paths.secret_file.display())
        );
    }
}
