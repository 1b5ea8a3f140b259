//! Secret hygiene across what the CLI tests do not reach: `Debug` of every dashboard type that
//! holds or handles a key or passphrase, and the committed snapshots. (Files, logs, stdout and
//! stderr are checked in `tests/cli.rs`; every dashboard frame in `tests/runtime.rs`; the pty's
//! raw output in `tests/pty.rs`.)

use crate::support;

use pleo_keys::app::{
    self, Attempt, CompanyPicker, ConfirmCompany, KeyEntry, Msg, Overlay, PassphrasePrompt,
};
use pleo_keys::domain::Environment;
use pleo_keys::lifecycle::ReplaceOptions;
use pleo_keys::sandbox;
use pleo_keys::secret::ApiKey;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use support::fixtures::*;

const CANARY: &str = "pls_c0ffee00c0ffee00c0ffee00c0ffee00_deadbe";

fn needles() -> Vec<String> {
    use base64::Engine;
    vec![
        CANARY.to_string(),
        CANARY[4..36].to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("{CANARY}:")),
        "hunter2hunter2".into(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for n in needles() {
        assert!(!text.contains(&n), "{what} leaks a secret: {text}");
    }
}

#[test]
fn debug_of_every_dashboard_type_is_clean() {
    let key = ApiKey::parse(CANARY).unwrap().0;
    let mut a = empty_app(Environment::Staging, true);

    // The key modal with the canary pasted, and every message/command it causes.
    app::update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)),
    );
    let paste = Msg::Paste(format!("{CANARY}\n"));
    assert_clean("Msg::Paste", &format!("{paste:?}"));
    app::update(&mut a, paste);
    assert_clean("App with a typed key", &format!("{a:?}"));
    let cmds = app::update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert!(!cmds.is_empty());
    assert_clean("Cmd::Activate", &format!("{cmds:?}"));

    let attempt = Attempt {
        key: Some(key.clone()),
        opts: ReplaceOptions::default(),
    };
    a.overlay = Overlay::ConfirmCompany(ConfirmCompany {
        attempt: attempt.clone(),
        current: company(ACME),
        current_name: None,
        new: company(COBALT),
        new_name: None,
        busy: false,
    });
    assert_clean("ConfirmCompany", &format!("{a:?}"));
    a.overlay = Overlay::ChooseCompany(CompanyPicker {
        attempt,
        organization: None,
        companies: vec![],
        selected: 0,
        busy: false,
    });
    assert_clean("CompanyPicker", &format!("{a:?}"));

    a.overlay = Overlay::Passphrase(PassphrasePrompt::default());
    app::update(&mut a, Msg::Paste("hunter2hunter2".into()));
    assert_clean("PassphrasePrompt", &format!("{a:?}"));
    let cmds = app::update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_clean("Cmd::Unlock", &format!("{cmds:?}"));

    let entry = KeyEntry {
        text: zeroize::Zeroizing::new(CANARY.to_string()),
        ..KeyEntry::default()
    };
    assert_clean("KeyEntry", &format!("{entry:?}"));
}

/// The committed snapshots hold masks and demo-key tails at most, never a key.
#[test]
fn snapshots_hold_no_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        read += 1;
        assert_clean(&path.display().to_string(), &text);
        for demo in sandbox::DEMO_KEYS {
            assert!(
                !text.contains(&demo.key[4..36]),
                "{} shows the {} key",
                path.display(),
                demo.name
            );
        }
    }
    assert!(read > 20, "snapshots were read: {read}");
}

/// A panic while a key is held prints no key: the panic hook and messages only see redacted types.
#[test]
fn a_panic_message_about_a_key_is_redacted() {
    let key = ApiKey::parse(CANARY).unwrap().0;
    let caught = std::panic::catch_unwind(|| panic!("lost {key:?} / {key}"));
    let payload = caught.unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("redacted"), "{msg}");
    assert_clean("panic message", &msg);
}
