use super::*;
use crate::lifecycle::Degradation;
use std::os::unix::fs::PermissionsExt;

const ACME: &str = "11111111-1111-4111-8111-111111111111";

fn sample() -> State {
    State {
        version: STATE_VERSION,
        generation: 3,
        environment: Environment::Staging,
        base_url: "https://external.staging.pleo.io".into(),
        facts: ConnectionFacts {
            company_id: CompanyId::parse(ACME).unwrap(),
            company_name: Some(Text::new("Acme")),
            company_name_read_at: None,
            organization_id: None,
            key: KeyId::new("…0d75".into(), "abcdef012345".into()),
            key_source: KeySource::EncryptedFile,
            installation_id: Text::new("i-1"),
            installation_status: InstallationStatus::Activated,
            installation_error: None,
            required_scopes: vec!["export-jobs:read".into()],
            granted_scopes: Some(vec!["export-items:read".into(), "export-jobs:read".into()]),
            expires_on: Some(jiff::civil::date(2027, 1, 2)),
            last_good_check: None,
            activated_at: "2026-01-02T03:04:05Z".parse().unwrap(),
        },
    }
}

/// Where a state file goes in a fresh folder (removed when the guard is dropped).
fn state_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("state.json");
    (tmp, path)
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn state_round_trip() {
    let (_tmp, path) = state_file();
    assert_eq!(load_state(&path).unwrap(), None);
    save_state(&path, &sample()).unwrap();
    assert_eq!(load_state(&path).unwrap(), Some(sample()));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"key_source\": \"encrypted_file\""),
        "{text}"
    );
}

#[test]
fn a_version_1_state_is_read_and_converted() {
    let (_tmp, path) = state_file();
    let v1 = serde_json::json!({
        "version": 1, "environment": "staging", "base_url": "https://external.staging.pleo.io",
        "company_id": ACME.to_uppercase(), "company_name": "Acme", "organization_id": null,
        "required_scopes": ["export-jobs:read"], "granted_scopes": ["export-items:read", "export-jobs:read"],
        "installation_id": "i-1", "installation_status": "ACTIVATED", "key_hint": "…0d75",
        "key_fingerprint": "abcdef012345", "store_kind": "encrypted_file",
        "activated_at": "2026-01-02T03:04:05Z", "key_expires_on": "2027-01-02"
    });
    write(&path, &serde_json::to_vec(&v1).unwrap());
    let state = load_state(&path).unwrap().unwrap();
    let mut want = sample();
    want.generation = 1;
    assert_eq!(state, want);
}

#[test]
fn newer_version_is_refused() {
    let (_tmp, path) = state_file();
    let mut v = serde_json::to_value(sample()).unwrap();
    v["version"] = 3.into();
    v.as_object_mut().unwrap().remove("facts");
    write(&path, &serde_json::to_vec(&v).unwrap());
    let msg = load_state(&path).unwrap_err().to_string();
    assert!(msg.contains("newer pleo-keys"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
}

#[test]
fn unknown_field_accepted_missing_field_refused() {
    let (_tmp, path) = state_file();
    let mut v = serde_json::to_value(sample()).unwrap();
    v["added_later"] = "whatever".into();
    write(&path, &serde_json::to_vec(&v).unwrap());
    assert_eq!(load_state(&path).unwrap(), Some(sample()));

    v["facts"].as_object_mut().unwrap().remove("company_id");
    let bytes = serde_json::to_vec(&v).unwrap();
    write(&path, &bytes);
    let msg = load_state(&path).unwrap_err().to_string();
    assert!(msg.contains("company_id"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
}

#[test]
fn hostile_text_in_the_state_file_is_sanitised_when_read() {
    let (_tmp, path) = state_file();
    let mut v = serde_json::to_value(sample()).unwrap();
    v["facts"]["company_name"] = "Acme\u{1b}]2;pwned\u{7}".into();
    write(&path, &serde_json::to_vec(&v).unwrap());
    let state = load_state(&path).unwrap().unwrap();
    assert_eq!(state.facts.company_name.unwrap().as_str(), "Acme]2;pwned");
}

#[test]
fn corrupt_state_is_named_and_left_byte_for_byte() {
    let (_tmp, path) = state_file();
    let garbage = b"{\"version\": 2, \"environ\x00\xff";
    write(&path, garbage);
    let err = load_state(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }));
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn last_check_round_trip_and_old_ones_are_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("last-check.json");
    let check = LastCheck {
        version: LAST_CHECK_VERSION,
        checked_at: "2026-01-02T03:04:05Z".parse().unwrap(),
        reason: Reason::RateLimited,
        lifecycle: Lifecycle::Degraded(Degradation::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(30)),
        }),
        key: Some(KeyId::new("…0d75".into(), "abcdef012345".into())),
        last_success_at: None,
    };
    save_last_check(&path, &check).unwrap();
    assert_eq!(load_last_check(&path).unwrap(), Some(check));
    write(
        &path,
        br#"{"version":1,"checked_at":"2026-01-02T03:04:05Z","status":"ok","reason":"active","message":"x","active":true,"last_success_at":null,"key_fingerprint":null,"superseded":false}"#,
    );
    assert_eq!(load_last_check(&path).unwrap(), None);
}

#[test]
fn a_replacement_marker_knows_when_its_writer_died() {
    let mine = Replacement {
        version: REPLACEMENT_VERSION,
        pid: std::process::id(),
        started_at: jiff::Timestamp::UNIX_EPOCH,
        candidate: KeyId::new("…0d75".into(), "abcdef012345".into()),
    };
    assert!(!mine.is_stale());
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let gone = Replacement { pid, ..mine };
    assert!(gone.is_stale());
}
