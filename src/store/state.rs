//! The files that say what is stored: `state.json` (the facts of the last successful activation,
//! with a generation every commit bumps), `last-check.json` (the last check's typed verdict) and
//! `replacement.json` (present only while a key replacement runs).
//!
//! They are separate so that a failed check never rewrites what activation committed, and an
//! interrupted replacement leaves `state.json` exactly as it was.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::StoreError;
use super::files::{self, MAX_STATE_BYTES};
use crate::domain::{
    CompanyId, ConnectionFacts, Environment, InstallationStatus, KeyId, KeySource, OrganizationId,
    Reason, Text,
};
use crate::lifecycle::Lifecycle;

pub const STATE_VERSION: u32 = 2;
pub const LAST_CHECK_VERSION: u32 = 2;
pub const REPLACEMENT_VERSION: u32 = 1;

/// What the last successful activation established.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Bumped by every write: a run commits only if it is still the one it started from.
    pub generation: u64,
    pub environment: Environment,
    pub base_url: String,
    pub facts: ConnectionFacts,
}

/// The outcome of the most recent check, successful or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastCheck {
    pub version: u32,
    pub checked_at: jiff::Timestamp,
    pub reason: Reason,
    pub lifecycle: Lifecycle,
    /// The key checked.
    pub key: Option<KeyId>,
    pub last_success_at: Option<jiff::Timestamp>,
}

/// A replacement in progress: written before the new key is tried, removed when it is settled.
/// Left behind only by a process that died meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replacement {
    pub version: u32,
    pub pid: u32,
    pub started_at: jiff::Timestamp,
    pub candidate: KeyId,
}

impl Replacement {
    /// The process that wrote it is gone: the replacement was interrupted.
    pub fn is_stale(&self) -> bool {
        self.pid != std::process::id() && !super::lock::process_alive(self.pid)
    }
}

#[derive(Deserialize)]
struct Version {
    version: u32,
}

/// Decode a versioned file's bytes; `path` only names it in errors.
fn version_of(path: &Path, bytes: &[u8], supported: u32) -> Result<u32, StoreError> {
    // Check the version first: a newer file may not parse as our type at all.
    let v: Version = files::parse_json(path, bytes)?;
    if v.version > supported {
        return Err(StoreError::NewerVersion {
            path: path.to_path_buf(),
            found: v.version,
            supported,
        });
    }
    Ok(v.version)
}

pub fn load_state(path: &Path) -> Result<Option<State>, StoreError> {
    match files::read_private(path, MAX_STATE_BYTES, files::Readers::OwnerOnly)? {
        None => Ok(None),
        Some(bytes) => parse_state(path, &bytes).map(Some),
    }
}

/// The state file's bytes as read from `path` (for callers and fuzzers that have the bytes).
pub fn parse_state(path: &Path, bytes: &[u8]) -> Result<State, StoreError> {
    match version_of(path, bytes, STATE_VERSION)? {
        1 => {
            let old: StateV1 = files::parse_json(path, bytes)?;
            old.migrate().map_err(|problem| StoreError::Corrupt {
                path: path.to_path_buf(),
                problem,
            })
        }
        _ => files::parse_json(path, bytes),
    }
}

pub fn save_state(path: &Path, state: &State) -> Result<(), StoreError> {
    files::write_json(path, state)
}

/// The last check, or `None` when there was none or it was written by a version before typed
/// verdicts (it is only a cache of the last answer).
pub fn load_last_check(path: &Path) -> Result<Option<LastCheck>, StoreError> {
    let Some(bytes) = files::read_private(path, MAX_STATE_BYTES, files::Readers::OwnerOnly)? else {
        return Ok(None);
    };
    if version_of(path, &bytes, LAST_CHECK_VERSION)? < LAST_CHECK_VERSION {
        return Ok(None);
    }
    files::parse_json(path, &bytes).map(Some)
}

pub fn save_last_check(path: &Path, check: &LastCheck) -> Result<(), StoreError> {
    files::write_json(path, check)
}

/// `state.json` as versions before 0.2 wrote it; read and converted, never written.
#[derive(Deserialize)]
struct StateV1 {
    environment: Environment,
    base_url: String,
    company_id: String,
    company_name: Option<String>,
    organization_id: Option<String>,
    required_scopes: Vec<String>,
    granted_scopes: Vec<String>,
    installation_id: String,
    installation_status: String,
    key_hint: String,
    key_fingerprint: String,
    store_kind: KeySource,
    activated_at: jiff::Timestamp,
    key_expires_on: Option<jiff::civil::Date>,
}

impl StateV1 {
    fn migrate(self) -> Result<State, String> {
        let company_id = CompanyId::parse(&self.company_id).map_err(|e| e.to_string())?;
        let organization_id = match &self.organization_id {
            Some(o) => Some(OrganizationId::parse(o).map_err(|e| e.to_string())?),
            None => None,
        };
        let key: KeyId = serde_json::from_value(serde_json::json!({
            "hint": self.key_hint, "fingerprint": self.key_fingerprint
        }))
        .map_err(|e| e.to_string())?;
        Ok(State {
            version: STATE_VERSION,
            generation: 1,
            environment: self.environment,
            base_url: self.base_url,
            facts: ConnectionFacts {
                company_id,
                company_name: self.company_name.as_deref().map(Text::new),
                company_name_read_at: None,
                organization_id,
                key,
                key_source: self.store_kind,
                installation_id: Text::new(&self.installation_id),
                installation_status: InstallationStatus::from(self.installation_status),
                installation_error: None,
                required_scopes: crate::domain::scopes::normalise(&self.required_scopes),
                granted_scopes: Some(crate::domain::scopes::normalise(&self.granted_scopes)),
                expires_on: self.key_expires_on,
                last_good_check: None,
                activated_at: self.activated_at,
            },
        })
    }
}

#[cfg(test)]
mod tests;
