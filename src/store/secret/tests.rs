use super::*;
use keyring_core::Entry;

const KEY: &str = "pls_0123456789abcdef0123456789abcdef_620d75";
const OTHER: &str = "pls_8b2e4d6f10a3c5e79d1f3b5a7c9e0d2f_3e9b56";

fn key(s: &str) -> ApiKey {
    ApiKey::parse(s).unwrap().0
}

fn pass(p: &str) -> SecretString {
    SecretString::from(p.to_owned())
}

/// Where a key file goes in a fresh folder (removed when the guard is dropped).
fn key_file() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("key.age");
    (tmp, path)
}

/// The file store at `path`, unlocked by `passphrase` if given.
fn file_store(path: &std::path::Path, passphrase: Option<&str>) -> SecretStore {
    SecretStore::encrypted_file(path.to_path_buf(), passphrase.map(pass), 10).unwrap()
}

#[tokio::test]
async fn memory_store_save_load_delete() {
    let store = SecretStore::in_memory();
    assert_eq!(store.kind(), KeySource::Memory);
    assert!(store.load().await.unwrap().is_none());
    store.save(&key(KEY)).await.unwrap();
    assert_eq!(store.load().await.unwrap().unwrap().expose(), KEY);
    assert!(
        store.clone().load().await.unwrap().is_some(),
        "clones share"
    );
    assert!(store.delete().await.unwrap());
    assert!(!store.delete().await.unwrap());
    assert!(store.load().await.unwrap().is_none());
    assert!(!format!("{store:?}").contains(KEY));
    assert_eq!(store.passphrase_need(), None);
}

#[tokio::test]
async fn two_homes_have_two_entries_and_a_legacy_entry_is_read_not_written() {
    let mock: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
    let a = SecretStore::with_credential_store(mock.clone(), KeySource::SecretService, "api-key:a");
    let b = SecretStore::with_credential_store(mock.clone(), KeySource::SecretService, "api-key:b");
    a.save(&key(KEY)).await.unwrap();
    assert!(b.load().await.unwrap().is_none(), "b does not see a's key");
    b.save(&key(OTHER)).await.unwrap();
    assert_eq!(
        a.load().await.unwrap().unwrap().expose(),
        KEY,
        "a's key kept"
    );
    assert!(b.delete().await.unwrap());
    assert_eq!(
        a.load().await.unwrap().unwrap().expose(),
        KEY,
        "forget in b spares a"
    );

    // A key stored by an older version under the shared name is still found.
    let legacy = Entry::new_in_store(&mock, keyring::SERVICE, keyring::LEGACY_USER).unwrap();
    legacy.set_password(OTHER).unwrap();
    let c = SecretStore::with_credential_store(mock.clone(), KeySource::SecretService, "api-key:c");
    assert_eq!(c.load().await.unwrap().unwrap().expose(), OTHER);
    c.save(&key(KEY)).await.unwrap();
    assert_eq!(
        legacy.get_password().unwrap(),
        OTHER,
        "the legacy entry is never written"
    );
}

#[tokio::test]
async fn credential_store_errors_name_the_store() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_credential_store(mock.clone(), KeySource::SecretService, "u");
    store.save(&key(KEY)).await.unwrap();
    let entry =
        Entry::new_in_store(&(mock as Arc<CredentialStore>), keyring::SERVICE, "u").unwrap();
    let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(keyring_core::Error::BadEncoding(KEY.as_bytes().to_vec()));
    let err = store.load().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("Secret Service"), "{msg}");
    assert!(msg.contains("--secret-store file"), "{msg}");
    assert!(!msg.contains(KEY) && !format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn file_store_round_trip_and_it_never_prompts() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("sub/key.age");
    let store = SecretStore::encrypted_file(path.clone(), None, 10).unwrap();
    assert_eq!(store.passphrase_need(), Some(PassphraseNeed::Choose));
    assert!(
        store.load().await.unwrap().is_none(),
        "no file: nothing stored"
    );
    let err = store.save(&key(KEY)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NeedsNewPassphrase { .. }),
        "{err}"
    );
    assert!(!store.unlock(pass("correct horse")).await.unwrap());
    store.save(&key(KEY)).await.unwrap();

    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(KEY) && !text.contains("0123456789abcdef"));
    assert_eq!(crate::store::files::mode_of(&path), 0o600);

    // A new process: locked until given the passphrase; never asks by itself.
    let again = SecretStore::encrypted_file(path.clone(), None, 10).unwrap();
    assert_eq!(again.passphrase_need(), Some(PassphraseNeed::Unlock));
    let err = again.load().await.unwrap_err();
    assert!(err.needs_passphrase(), "{err}");
    assert!(again.unlock(pass("correct horse")).await.unwrap());
    assert_eq!(again.load().await.unwrap().unwrap().expose(), KEY);
    assert!(again.delete().await.unwrap());
    assert!(!path.exists());
    assert!(again.load().await.unwrap().is_none());
}

#[tokio::test]
async fn a_key_file_replaced_by_another_process_is_read_again() {
    let (_tmp, path) = key_file();
    let dashboard = file_store(&path, Some("pw"));
    dashboard.save(&key(KEY)).await.unwrap();
    assert_eq!(dashboard.load().await.unwrap().unwrap().expose(), KEY);
    let cli = file_store(&path, Some("pw"));
    cli.save(&key(OTHER)).await.unwrap();
    assert_eq!(
        dashboard.load().await.unwrap().unwrap().expose(),
        OTHER,
        "the holder of a decrypted key notices the file changed"
    );
    std::fs::remove_file(&path).unwrap();
    assert!(
        dashboard.load().await.unwrap().is_none(),
        "nor keeps a removed key"
    );
}

#[tokio::test]
async fn the_passphrase_can_be_changed() {
    let (_tmp, path) = key_file();
    let store = file_store(&path, Some("old"));
    store.save(&key(KEY)).await.unwrap();
    store.change_passphrase(pass("new")).await.unwrap();
    let old = file_store(&path, None);
    assert!(
        old.unlock(pass("old"))
            .await
            .unwrap_err()
            .is_wrong_passphrase()
    );
    assert!(old.unlock(pass("new")).await.unwrap());
}

#[tokio::test]
async fn wrong_passphrase_is_named() {
    let (_tmp, path) = key_file();
    let store = file_store(&path, Some("right"));
    store.save(&key(KEY)).await.unwrap();
    let err = file_store(&path, Some("wrong")).load().await.unwrap_err();
    assert!(err.is_wrong_passphrase(), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("wrong passphrase for {}", path.display())),
        "{err}"
    );
    let locked = file_store(&path, None);
    let err = locked.unlock(pass("wrong")).await.unwrap_err();
    assert!(err.is_wrong_passphrase());
    assert_eq!(
        locked.passphrase_need(),
        Some(PassphraseNeed::Unlock),
        "a wrong one is not kept"
    );
}

#[tokio::test]
async fn group_readable_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, path) = key_file();
    file_store(&path, Some("pw")).save(&key(KEY)).await.unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let fresh = file_store(&path, Some("pw"));
    let msg = fresh.load().await.unwrap_err().to_string();
    assert!(
        msg.contains(&format!("chmod 600 {}", path.display())),
        "{msg}"
    );
}

#[tokio::test]
async fn empty_passphrase_and_bad_work_factor_are_refused() {
    let (_tmp, path) = key_file();
    let err = file_store(&path, None).unlock(pass("")).await.unwrap_err();
    assert!(matches!(err, StoreError::EmptyPassphrase { .. }), "{err}");
    assert!(!path.exists());
    assert!(SecretStore::encrypted_file(path.clone(), None, 9).is_err());
    assert!(SecretStore::encrypted_file(path, None, 23).is_err());
}

#[tokio::test]
async fn damaged_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, path) = key_file();
    std::fs::write(&path, b"not an age file").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = file_store(&path, Some("pw"));
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
fn choice_parses() {
    assert_eq!("auto".parse::<StoreChoice>(), Ok(StoreChoice::Auto));
    assert_eq!(" Keyring ".parse::<StoreChoice>(), Ok(StoreChoice::Keyring));
    assert_eq!("file".parse::<StoreChoice>(), Ok(StoreChoice::File));
    assert!("vault".parse::<StoreChoice>().is_err());
}

#[test]
fn open_file_choice_never_touches_a_keyring() {
    let tmp = tempfile::tempdir().unwrap();
    let site = StoreSite {
        key_file: tmp.path().join("key.age"),
        keyring_user: "api-key:x".into(),
        work_factor: 10,
    };
    let store = SecretStore::open(StoreChoice::File, &site, None).unwrap();
    assert_eq!(store.kind(), KeySource::EncryptedFile);
    assert_eq!(
        store.location(),
        format!("encrypted file {}", site.key_file.display())
    );
}
