//! The key encrypted with a passphrase (age, scrypt) in a 0600 file: the store that survives
//! reboots on a headless server. It never prompts: the passphrase is given to it. A decrypted
//! key is kept only as long as the file is the one it came from; another process replacing the
//! file makes the next load decrypt the new one.

use secrecy::{ExposeSecret, SecretString};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use zeroize::Zeroizing;

use crate::secret::ApiKey;
use crate::store::StoreError;
use crate::store::files::{self, MAX_KEY_FILE_BYTES, Readers};

/// scrypt work factor (log2 N) for the key file: about a quarter second on a laptop.
pub const DEFAULT_SCRYPT_WORK_FACTOR: u8 = 16;
pub const MIN_SCRYPT_WORK_FACTOR: u8 = 10;
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 22;

/// Which file a cached key came from: a replaced file has another inode or mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl FileIdentity {
    fn of(path: &std::path::Path) -> Option<FileIdentity> {
        let m = std::fs::symlink_metadata(path).ok()?;
        Some(FileIdentity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

pub(super) struct FileStore {
    pub path: PathBuf,
    work_factor: u8,
    passphrase: Mutex<Option<SecretString>>,
    cached: Mutex<Option<(FileIdentity, ApiKey)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked mid-update of a cache.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FileStore {
    pub fn new(
        path: PathBuf,
        passphrase: Option<SecretString>,
        work_factor: u8,
    ) -> Result<FileStore, StoreError> {
        if !(MIN_SCRYPT_WORK_FACTOR..=MAX_SCRYPT_WORK_FACTOR).contains(&work_factor) {
            return Err(StoreError::BadWorkFactor {
                value: work_factor.to_string(),
            });
        }
        Ok(FileStore {
            path,
            work_factor,
            passphrase: Mutex::new(passphrase.filter(|p| !p.expose_secret().is_empty())),
            cached: Mutex::new(None),
        })
    }

    pub fn exists(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok()
    }

    pub fn has_passphrase(&self) -> bool {
        lock(&self.passphrase).is_some()
    }

    /// The key, decrypted again only when the file changed since it was last read.
    pub fn load(&self) -> Result<Option<ApiKey>, StoreError> {
        let Some(identity) = FileIdentity::of(&self.path) else {
            *lock(&self.cached) = None;
            return Ok(None);
        };
        if let Some((seen, key)) = lock(&self.cached).as_ref()
            && *seen == identity
        {
            return Ok(Some(key.clone()));
        }
        let Some(passphrase) = lock(&self.passphrase).clone() else {
            return Err(StoreError::Locked {
                path: self.path.clone(),
            });
        };
        let key = self.decrypt(&passphrase)?;
        if let Some(key) = &key {
            *lock(&self.cached) = Some((identity, key.clone()));
        }
        Ok(key)
    }

    /// Try `passphrase` on the file; keep it when it opens the file (or when there is no file
    /// yet, to encrypt the first key with). Returns the key found.
    pub fn unlock(&self, passphrase: SecretString) -> Result<Option<ApiKey>, StoreError> {
        if passphrase.expose_secret().is_empty() {
            return Err(StoreError::EmptyPassphrase {
                path: self.path.clone(),
            });
        }
        let key = self.decrypt(&passphrase)?;
        *lock(&self.passphrase) = Some(passphrase);
        *lock(&self.cached) = match (&key, FileIdentity::of(&self.path)) {
            (Some(k), Some(id)) => Some((id, k.clone())),
            _ => None,
        };
        Ok(key)
    }

    fn decrypt(&self, passphrase: &SecretString) -> Result<Option<ApiKey>, StoreError> {
        let Some(bytes) = files::read_private(&self.path, MAX_KEY_FILE_BYTES, Readers::OwnerOnly)?
        else {
            return Ok(None);
        };
        let bad = |problem: String| StoreError::BadSecretFile {
            path: self.path.clone(),
            problem,
        };
        let decryptor = age::Decryptor::new_buffered(&bytes[..]).map_err(|e| bad(e.to_string()))?;
        if !decryptor.is_scrypt() {
            return Err(bad("it is not encrypted with a passphrase".into()));
        }
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        // Anything we may have written must be readable again, and no more.
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
            .by_ref()
            .take(MAX_KEY_FILE_BYTES)
            .read_to_end(&mut plain)
            .map_err(|_| bad("its contents fail the integrity check".into()))?;
        let text = std::str::from_utf8(&plain).map_err(|_| bad("it does not hold text".into()))?;
        let (key, _) = ApiKey::parse(text).map_err(|e| StoreError::BadStoredKey {
            store: self.path.display().to_string(),
            problem: e.to_string(),
        })?;
        Ok(Some(key))
    }

    pub fn save(&self, key: &ApiKey) -> Result<(), StoreError> {
        let Some(passphrase) = lock(&self.passphrase).clone() else {
            return Err(if self.exists() {
                StoreError::Locked {
                    path: self.path.clone(),
                }
            } else {
                StoreError::NeedsNewPassphrase {
                    path: self.path.clone(),
                }
            });
        };
        self.write(key, &passphrase)
    }

    /// Encrypt the stored key again under `new` (the current passphrase must be known).
    pub fn change_passphrase(&self, new: SecretString) -> Result<(), StoreError> {
        if new.expose_secret().is_empty() {
            return Err(StoreError::EmptyPassphrase {
                path: self.path.clone(),
            });
        }
        let key = self.load()?.ok_or_else(|| StoreError::BadSecretFile {
            path: self.path.clone(),
            problem: "there is no key file to re-encrypt".into(),
        })?;
        self.write(&key, &new)?;
        *lock(&self.passphrase) = Some(new);
        Ok(())
    }

    fn write(&self, key: &ApiKey, passphrase: &SecretString) -> Result<(), StoreError> {
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
        if let Some(dir) = self.path.parent() {
            files::ensure_private_dir(dir)?;
        }
        files::write_atomic(&self.path, &sealed)?;
        *lock(&self.cached) = FileIdentity::of(&self.path).map(|id| (id, key.clone()));
        Ok(())
    }

    pub fn delete(&self) -> Result<bool, StoreError> {
        *lock(&self.cached) = None;
        files::remove(&self.path)
    }
}
