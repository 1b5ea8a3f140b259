//! Everything pleo-keys keeps on disk or in a keyring: the secret, the state file, the audit log.

pub mod atomic;
pub mod audit;
mod error;
pub mod lock;
pub mod secret_store;
pub mod state;

pub use atomic::{read_json, write_bytes, write_json};
pub use audit::{AuditEvent, AuditKind, AuditLog, read_audit, read_audit_counted};
pub use error::StoreError;
pub use secret_store::{
    DEFAULT_SCRYPT_WORK_FACTOR, Passphrase, SecretStore, StoreChoice, StoreKind,
};
pub use state::{
    LAST_CHECK_VERSION, LastCheck, STATE_VERSION, State, load_last_check, load_state, parse_state,
    save_last_check, save_state,
};
