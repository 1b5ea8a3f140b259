//! The storage layer end to end in a temporary home: the key ends up only in the encrypted file.

use pleo_keys::config::Paths;
use pleo_keys::secret::ApiKey;
use pleo_keys::store::{
    AuditEvent, AuditKind, AuditLog, LAST_CHECK_VERSION, LastCheck, Passphrase, STATE_VERSION,
    SecretStore, State, StoreKind, load_last_check, load_state, read_audit, save_last_check,
    save_state,
};
use secrecy::SecretString;
use std::path::Path;

const KEY: &str = "pls_0123456789abcdef0123456789abcdef_620d75";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn a_full_activation_leaves_the_key_only_in_the_encrypted_file() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = Paths::resolve(Some(&tmp.path().join("home"))).unwrap();
    paths.ensure_dirs().unwrap();
    let (key, _) = ApiKey::parse(KEY).unwrap();

    let store = SecretStore::encrypted_file(
        paths.secret_file.clone(),
        Passphrase::Given(SecretString::from("hunter2".to_owned())),
        10,
    )
    .unwrap();
    store.save(&key).await.unwrap();

    let audit = AuditLog::new(&paths.audit_log);
    audit
        .append(AuditEvent::new(AuditKind::KeyEntered).key(&key))
        .unwrap();
    let state = State {
        version: STATE_VERSION,
        environment: "sandbox".into(),
        base_url: "http://127.0.0.1:1".into(),
        company_id: "c-1".into(),
        company_name: None,
        organization_id: None,
        required_scopes: vec!["export-jobs:read".into()],
        granted_scopes: vec!["export-jobs:read".into()],
        installation_id: "i-1".into(),
        installation_status: "ACTIVE".into(),
        key_hint: key.hint(),
        key_fingerprint: key.fingerprint(),
        store_kind: store.kind(),
        activated_at: jiff::Timestamp::now(),
        key_expires_on: None,
    };
    save_state(&paths.state_file, &state).unwrap();
    audit
        .append(
            AuditEvent::new(AuditKind::ActivationPassed)
                .key(&key)
                .company("c-1"),
        )
        .unwrap();
    let check = LastCheck {
        version: LAST_CHECK_VERSION,
        checked_at: jiff::Timestamp::now(),
        status: "active".into(),
        reason: "ok".into(),
        message: "key works".into(),
        active: true,
        last_success_at: Some(jiff::Timestamp::now()),
        key_fingerprint: Some(key.fingerprint()),
        superseded: false,
    };
    save_last_check(&paths.last_check_file, &check).unwrap();

    assert_eq!(load_state(&paths.state_file).unwrap(), Some(state));
    assert_eq!(
        load_last_check(&paths.last_check_file).unwrap(),
        Some(check)
    );
    assert_eq!(read_audit(&paths.audit_log).unwrap().len(), 2);
    assert_eq!(store.kind(), StoreKind::EncryptedFile);

    let mut files = Vec::new();
    files_under(tmp.path(), &mut files);
    assert_eq!(files.len(), 4, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY), "key found in {}", file.display());
        assert!(!text.contains("0123456789abcdef0123"), "{}", file.display());
    }
}

/// Every kind of damaged state file gets an error that names the file and the way out, and is
/// left exactly as it was.
#[test]
fn damaged_state_files_are_named_and_never_overwritten() {
    use pleo_keys::store::load_state;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let good = r#"{"version":1,"environment":"staging","base_url":"https://x","company_id":"c","company_name":null,
        "organization_id":null,"required_scopes":[],"granted_scopes":[],"installation_id":"i",
        "installation_status":"ACTIVATED","key_hint":"…a1b2","key_fingerprint":"f","store_kind":"encrypted_file",
        "activated_at":"2026-11-28T12:00:00Z","key_expires_on":null}"#;
    let cases: [(&str, &[u8]); 6] = [
        ("empty", b""),
        ("truncated", &good.as_bytes()[..good.len() / 2]),
        (
            "wrong types",
            br#"{"version":1,"company_id":42,"granted_scopes":"all"}"#,
        ),
        ("not an object", b"[1,2,3]"),
        ("binary", &[0xff, 0xfe, 0x00, 0x9c]),
        ("newer schema", br#"{"version":7}"#),
    ];
    for (name, bytes) in cases {
        std::fs::write(&path, bytes).unwrap();
        let err = load_state(&path).expect_err(name).to_string();
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        assert!(
            err.contains("move") || err.contains("newer") || err.contains("pleo-keys"),
            "{name}: no way out in {err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}: file changed");
    }
    // Unknown fields from a newer minor version are accepted.
    let with_extra = good.replacen("\"version\":1,", "\"version\":1,\"future_field\":true,", 1);
    std::fs::write(&path, &with_extra).unwrap();
    assert!(load_state(&path).unwrap().is_some());
}

/// A state file that cannot be read at all (here a folder stands where the file should be, since
/// tests run as root and permission bits would not stop them): named, with the way out.
#[test]
fn an_unreadable_state_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::create_dir(&path).unwrap();
    let err = pleo_keys::store::load_state(&path)
        .expect_err("unreadable")
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(path.is_dir(), "left as it was");
}
