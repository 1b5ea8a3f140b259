//! Storage errors: each names the file or store and says what to do. None ever holds the key.

use std::io;
use std::path::PathBuf;

/// Run this to start over when a stored file cannot be used.
const FORGET_HINT: &str = "run `pleo-keys forget` and enter the key again";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot find a home directory for pleo-keys' files: set PLEO_KEYS_HOME or pass --home DIR"
    )]
    NoHome,
    #[error("{0}")]
    Busy(String),
    #[error("cannot {action} {}: {source}. Check the folder's permissions and free space", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "{} is damaged or not a pleo-keys file ({problem}). It was left untouched: move it aside (e.g. to {}.bad) and run the command again",
        path.display(),
        path.display()
    )]
    Corrupt { path: PathBuf, problem: String },
    #[error(
        "{} was written by a newer pleo-keys (format version {found}; this one reads up to {supported}). Upgrade pleo-keys, or move the file aside to start over",
        path.display()
    )]
    NewerVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot encode {}: {problem}", path.display())]
    Encode { path: PathBuf, problem: String },
    #[error(
        "no OS keyring is available (no Secret Service on D-Bus, no usable kernel keyring: {detail}). Use --secret-store file to keep the key in an encrypted file"
    )]
    NoKeyring { detail: String },
    #[error(
        "the {store} failed: {problem}. Try again, or use --secret-store file to keep the key in an encrypted file"
    )]
    Keyring { store: String, problem: String },
    #[error(
        "the {store} did not answer within {secs} s; it may be locked and waiting for an unlock prompt. Unlock it, or use --secret-store file"
    )]
    Timeout { store: String, secs: u64 },
    #[error(
        "the key file {} is locked: it needs its passphrase (from a prompt, PLEO_KEYS_PASSPHRASE, PLEO_KEYS_PASSPHRASE_FILE or systemd's $CREDENTIALS_DIRECTORY)",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "a new key file {} needs a passphrase to encrypt the key with (from a prompt, PLEO_KEYS_PASSPHRASE, PLEO_KEYS_PASSPHRASE_FILE or systemd's $CREDENTIALS_DIRECTORY)",
        path.display()
    )]
    NeedsNewPassphrase { path: PathBuf },
    #[error("{} is not used: {problem}. To fix it, {fix}", path.display())]
    Unsafe {
        path: PathBuf,
        problem: String,
        fix: String,
    },
    #[error(
        "{} is {size} bytes, far more than pleo-keys ever writes there (at most {cap}); it was left untouched: move it aside and run the command again",
        path.display()
    )]
    TooLarge { path: PathBuf, size: u64, cap: u64 },
    #[error(
        "the key in the {store} ({found}) is not the key the state file names ({expected}); it is not used. Enter the key again with `pleo-keys set-key`"
    )]
    KeyMismatch {
        store: String,
        found: String,
        expected: String,
    },
    #[error("an empty passphrase is not allowed for {}: choose one to protect the key", path.display())]
    EmptyPassphrase { path: PathBuf },
    #[error("the two passphrases differ; nothing was saved. Try again")]
    PassphraseMismatch,
    #[error("wrong passphrase for {}. If it is lost, {FORGET_HINT}", path.display())]
    WrongPassphrase { path: PathBuf },
    #[error(
        "{} can be read by other users (mode {mode:03o}), so it is not used. Run `chmod 600 {}` and try again",
        path.display(),
        path.display()
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("{} is not a usable encrypted key file ({problem}). Move it aside, or {FORGET_HINT}", path.display())]
    BadSecretFile { path: PathBuf, problem: String },
    #[error("the key stored in the {store} is not a valid key ({problem}); {FORGET_HINT}")]
    BadStoredKey { store: String, problem: String },
    #[error(
        "PLEO_KEYS_SCRYPT_WORK_FACTOR must be a whole number from 10 to 22, not '{value}'. Fix or unset it"
    )]
    BadWorkFactor { value: String },
    #[error(
        "the key comes from the PLEO_API_KEY environment variable and is not stored. Unset PLEO_API_KEY to store a key"
    )]
    NotStorable,
    #[error("internal error while using the {store}: {problem}. Please report this")]
    Internal { store: String, problem: String },
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The encrypted file store needs a (right) passphrase before it can be used: it has none,
    /// or the file was encrypted again under another one meanwhile.
    pub fn needs_passphrase(&self) -> bool {
        matches!(
            self,
            StoreError::Locked { .. }
                | StoreError::NeedsNewPassphrase { .. }
                | StoreError::WrongPassphrase { .. }
        )
    }

    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(self, StoreError::WrongPassphrase { .. })
    }

    /// The keyring did not answer in time (probably waiting on an unlock prompt).
    pub fn is_timeout(&self) -> bool {
        matches!(self, StoreError::Timeout { .. })
    }
}
