//! The storage layer end to end in a temporary home: the key ends up only in the encrypted file,
//! and damaged or hostile files are named and left alone.

use crate::support;

use pleo_keys::lifecycle::ReplaceOptions;
use pleo_keys::store::{SecretStore, load_state};
use secrecy::SecretString;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use support::fake_pleo::FakePleo;
use support::fixtures::*;
use support::home::TestHome;

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

fn write_private(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[tokio::test]
async fn a_full_activation_leaves_the_key_only_in_the_encrypted_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SecretStore::encrypted_file(
        dir.path().join("key.age"),
        Some(SecretString::from("hunter2".to_owned())),
        10,
    )
    .unwrap();
    let home = TestHome { dir, store };
    let pleo = Arc::new(FakePleo::new().with_key(KEY_A, ACME));
    let engine = home.engine(pleo);
    assert!(
        engine
            .replace_key(key(KEY_A), &ReplaceOptions::default())
            .await
            .committed
    );
    assert!(engine.check().await.is_active());
    let mut files = Vec::new();
    files_under(home.dir.path(), &mut files);
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["key.age", "state.json", "last-check.json", "audit.log"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for file in files {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is private", file.display());
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(KEY_A), "key found in {}", file.display());
        assert!(!text.contains(&KEY_A[4..24]), "{}", file.display());
    }
}

/// Every kind of damaged state file gets an error that names the file and the way out, and is
/// left exactly as it was.
#[test]
fn damaged_state_files_are_named_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let good = format!(
        r#"{{"version":1,"environment":"staging","base_url":"https://x","company_id":"{ACME}","company_name":null,
        "organization_id":null,"required_scopes":[],"granted_scopes":[],"installation_id":"i",
        "installation_status":"ACTIVATED","key_hint":"…a1b2","key_fingerprint":"0123456789ab","store_kind":"encrypted_file",
        "activated_at":"2026-11-28T12:00:00Z","key_expires_on":null}}"#
    );
    let cases: [(&str, &[u8]); 7] = [
        ("empty", b""),
        ("truncated", &good.as_bytes()[..good.len() / 2]),
        (
            "wrong types",
            br#"{"version":1,"company_id":42,"granted_scopes":"all"}"#,
        ),
        ("not an object", b"[1,2,3]"),
        ("binary", &[0xff, 0xfe, 0x00, 0x9c]),
        ("newer schema", br#"{"version":7}"#),
        (
            "not a company id",
            br#"{"version":2,"generation":1,"environment":"staging","base_url":"x","facts":{"company_id":"acme"}}"#,
        ),
    ];
    for (name, bytes) in cases {
        write_private(&path, bytes);
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
    write_private(&path, with_extra.as_bytes());
    assert!(load_state(&path).unwrap().is_some());
}

/// A state file that cannot be read as one (here a folder stands where the file should be, since
/// tests run as root and permission bits would not stop them): named, with the way out.
#[test]
fn an_unreadable_state_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::create_dir(&path).unwrap();
    let err = load_state(&path).expect_err("unreadable").to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(path.is_dir(), "left as it was");
}
