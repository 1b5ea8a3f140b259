//! Everything pleo-keys keeps on disk or in a keyring: the secret, the state files, the audit
//! log, the home lock. Every file is opened through `files`, which trusts nothing it finds.

pub mod audit;
pub mod checks;
mod error;
pub mod files;
pub mod history;
pub mod home;
mod jsonl;
pub mod lock;
pub mod secret;
pub mod state;
pub mod watch;

pub use audit::{AuditEvent, AuditKind, AuditLog, read_audit, read_audit_counted};
pub use error::StoreError;
pub use home::{Home, Paths};
pub use secret::{DEFAULT_SCRYPT_WORK_FACTOR, PassphraseNeed, SecretStore, StoreChoice, StoreSite};
pub use state::{
    LAST_CHECK_VERSION, LastCheck, Replacement, STATE_VERSION, State, load_last_check, load_state,
    parse_state,
};
