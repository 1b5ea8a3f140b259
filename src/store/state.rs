//! The state file (facts of the last successful activation) and the last-check file.
//!
//! They are separate so that a failed check never rewrites what activation committed.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::atomic::{read_versioned, write_json};
use super::{StoreError, StoreKind};

pub const STATE_VERSION: u32 = 1;
pub const LAST_CHECK_VERSION: u32 = 1;

/// What the last successful activation established. Unknown fields are ignored (newer minor writers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// "production" | "staging" | "sandbox" | "custom"
    pub environment: String,
    pub base_url: String,
    pub company_id: String,
    pub company_name: Option<String>,
    pub organization_id: Option<String>,
    pub required_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    pub installation_id: String,
    pub installation_status: String,
    pub key_hint: String,
    pub key_fingerprint: String,
    pub store_kind: StoreKind,
    pub activated_at: jiff::Timestamp,
    pub key_expires_on: Option<jiff::civil::Date>,
}

/// The outcome of the most recent check, successful or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastCheck {
    pub version: u32,
    pub checked_at: jiff::Timestamp,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub active: bool,
    pub last_success_at: Option<jiff::Timestamp>,
    pub key_fingerprint: Option<String>,
    pub superseded: bool,
}

pub fn load_state(path: &Path) -> Result<Option<State>, StoreError> {
    read_versioned(path, STATE_VERSION)
}

/// The state file's bytes as read from `path` (for callers and fuzzers that have the bytes).
pub fn parse_state(path: &Path, bytes: &[u8]) -> Result<State, StoreError> {
    super::atomic::decode_versioned(path, bytes, STATE_VERSION)
}

pub fn save_state(path: &Path, state: &State) -> Result<(), StoreError> {
    write_json(path, state)
}

pub fn load_last_check(path: &Path) -> Result<Option<LastCheck>, StoreError> {
    read_versioned(path, LAST_CHECK_VERSION)
}

pub fn save_last_check(path: &Path, check: &LastCheck) -> Result<(), StoreError> {
    write_json(path, check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        State {
            version: STATE_VERSION,
            environment: "staging".into(),
            base_url: "https://external.staging.pleo.io".into(),
            company_id: "c-1".into(),
            company_name: Some("Acme".into()),
            organization_id: None,
            required_scopes: vec!["export-jobs:read".into()],
            granted_scopes: vec!["export-jobs:read".into(), "export-items:read".into()],
            installation_id: "i-1".into(),
            installation_status: "ACTIVE".into(),
            key_hint: "…0d75".into(),
            key_fingerprint: "abcdef012345".into(),
            store_kind: StoreKind::EncryptedFile,
            activated_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            key_expires_on: Some(jiff::civil::date(2027, 1, 2)),
        }
    }

    #[test]
    fn state_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        assert_eq!(load_state(&path).unwrap(), None);
        save_state(&path, &sample()).unwrap();
        assert_eq!(load_state(&path).unwrap(), Some(sample()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"store_kind\": \"encrypted_file\""),
            "{text}"
        );
    }

    #[test]
    fn newer_version_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["version"] = 2.into();
        // A newer writer may also have dropped fields we need: the version message still wins.
        v.as_object_mut().unwrap().remove("company_id");
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let msg = load_state(&path).unwrap_err().to_string();
        assert!(msg.contains("newer pleo-keys"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
    }

    #[test]
    fn unknown_field_accepted_missing_field_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["added_later"] = "whatever".into();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(load_state(&path).unwrap(), Some(sample()));

        v.as_object_mut().unwrap().remove("company_id");
        let bytes = serde_json::to_vec(&v).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let msg = load_state(&path).unwrap_err().to_string();
        assert!(msg.contains("company_id"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
    }

    #[test]
    fn corrupt_state_is_named_and_left_byte_for_byte() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        let garbage = b"{\"version\": 1, \"environ\x00\xff";
        std::fs::write(&path, garbage).unwrap();
        let err = load_state(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }));
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(std::fs::read(&path).unwrap(), garbage);
    }

    #[test]
    fn last_check_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("last-check.json");
        let check = LastCheck {
            version: LAST_CHECK_VERSION,
            checked_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            status: "key_rejected".into(),
            reason: "unauthorized".into(),
            message: "API key rejected".into(),
            active: false,
            last_success_at: None,
            key_fingerprint: Some("abcdef012345".into()),
            superseded: false,
        };
        save_last_check(&path, &check).unwrap();
        assert_eq!(load_last_check(&path).unwrap(), Some(check));
    }
}
