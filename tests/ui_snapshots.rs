//! Rendering snapshots: every lifecycle state and banner, the modals, help, too-small, wide and mono.
//! Text snapshots drop colour; where colour carries meaning the styles are asserted directly.

use crate::support;

use pleo_keys::app::{
    App, Attempt, CompanyPicker, ConfirmCompany, KeyEntry, KeyField, Overlay, PassphrasePrompt,
    SandboxPanel, Theme,
};
use pleo_keys::domain::{
    Environment, InstallationErrorCode, InstallationStatus, OrganizationId, Text,
};
use pleo_keys::lifecycle::{CompanyChoice, Degradation, Lifecycle, ReplaceOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::time::Duration;
use support::fixtures::*;
use zeroize::Zeroizing;

const TYPED_KEY: &str = KEY_A;

fn env(name: &str) -> Environment {
    match name {
        "production" => Environment::Production,
        "staging" => Environment::Staging,
        "sandbox" => Environment::Sandbox,
        _ => Environment::Custom,
    }
}

fn app_in(name: &str) -> App {
    active_app(env(name))
}

fn granted(app: &mut App, s: &[&str]) {
    if let Some(f) = app.facts.as_mut() {
        f.granted_scopes = Some(scopes(s));
    }
}

fn buffer(app: &App, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| pleo_keys::ui::render(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

fn text_of(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn render(app: &App, w: u16, h: u16) -> String {
    text_of(&buffer(app, w, h))
}

/// Asserts the screen shows each of `parts`.
#[track_caller]
fn assert_shows(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            text.contains(part),
            "{part:?} is not on the screen:\n{text}"
        );
    }
}

fn snap(name: &str, app: &App, w: u16, h: u16) -> String {
    let text = render(app, w, h);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
    text
}

#[test]
fn active() {
    let app = app_in("staging");
    let text = snap("active_80x24", &app, 80, 24);
    assert_shows(&text, &["● ACTIVE", ACME]);
    snap("active_160x48", &app, 160, 48);
    let mut app = app_in("production");
    app.check_in_flight = true;
    app.spinner = 2;
    let text = snap("active_production_checking_80x24", &app, 80, 24);
    assert_shows(&text, &["PRODUCTION", "checking…"]);
}

#[test]
fn active_with_success_notice() {
    let mut app = app_in("custom");
    app.notice = Some(pleo_keys::app::Banner::new(
        pleo_keys::app::BannerLevel::Success,
        format!("Connected to Company ID: {ACME} (Acme Sandbox ApS)."),
    ));
    let text = snap("active_notice_custom_80x24", &app, 80, 24);
    assert_shows(&text, &["✔ Connected", "CUSTOM"]);
}

#[test]
fn activating() {
    let mut app = empty_app(Environment::Staging, true);
    app.check_in_flight = true;
    app.spinner = 3;
    let text = snap("activating_80x24", &app, 80, 24);
    assert!(text.contains("◌ ACTIVATING"));
}

#[test]
fn welcome() {
    let app = empty_app(Environment::Production, false);
    let text = snap("welcome_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &["○ NO KEY", "Settings → API keys", "Press e to enter it"],
    );
    snap("welcome_160x48", &app, 160, 48);
}

#[test]
fn key_rejected() {
    let mut app = failed_app(Lifecycle::KeyRejected);
    app.next_check_at = None;
    let text = snap("key_rejected_80x24", &app, 80, 24);
    assert_shows(&text, &["✖ KEY REJECTED", "API key rejected"]);
}

#[test]
fn missing_scopes() {
    let mut app = failed_app(Lifecycle::MissingScopes {
        missing: scopes(&["export-jobs:write"]),
    });
    granted(
        &mut app,
        &["export-jobs:read", "export-items:read", "users:read"],
    );
    let text = snap("missing_scopes_80x24", &app, 80, 24);
    assert!(text.contains("✖ export-jobs:write missing"));
    snap("missing_scopes_160x48", &app, 160, 48);
    app.theme = Theme::Mono;
    snap("missing_scopes_mono_80x24", &app, 80, 24);
}

#[test]
fn installation_inactive_not_entitled() {
    let mut app = failed_app(Lifecycle::InstallationInactive {
        status: Some(InstallationStatus::Error),
        error_code: Some(InstallationErrorCode::NotEntitled),
    });
    if let Some(f) = app.facts.as_mut() {
        f.installation_status = InstallationStatus::Error;
    }
    let text = snap("installation_inactive_80x24", &app, 80, 24);
    assert_shows(&text, &["✖ INSTALLATION ERROR", "NOT_ENTITLED"]);
}

#[test]
fn company_mismatch() {
    let app = failed_app(Lifecycle::CompanyMismatch {
        expected: company(ACME),
        got: company(COBALT),
        got_name: None,
    });
    let text = snap("company_mismatch_80x24", &app, 80, 24);
    assert!(text.contains("✖ COMPANY MISMATCH"));
}

#[test]
fn company_required() {
    let app = failed_app(Lifecycle::CompanyRequired {
        organization: OrganizationId::parse(ORG).ok(),
        companies: vec![],
        refused: None,
    });
    let text = snap("company_required_80x24", &app, 80, 24);
    assert!(text.contains("✖ CHOOSE COMPANY"));
}

#[test]
fn replacement_pending() {
    let mut app = failed_app(Lifecycle::ReplacementPending {
        since: secs_ago(600),
    });
    app.next_check_at = None;
    let text = snap("replacement_pending_80x24", &app, 80, 24);
    assert_shows(&text, &["✖ REPLACEMENT PENDING", "being checked again"]);
}

#[test]
fn degraded() {
    let mut app = failed_app(Lifecycle::Degraded(Degradation::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
    }));
    app.next_check_at = Some(secs_ahead(30));
    let text = snap("degraded_rate_limited_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &["▲ DEGRADED", "retrying in 30 s", "Connection (last good)"],
    );

    let mut app = failed_app(Lifecycle::Degraded(Degradation::Unreachable {
        detail: "connection refused".into(),
    }));
    app.next_check_at = Some(secs_ahead(272));
    let text = snap("degraded_unreachable_80x24", &app, 80, 24);
    assert!(text.contains("Pleo unreachable: retrying in 4 min 32 s"));

    let mut app = failed_app(Lifecycle::Degraded(Degradation::ServerError {
        status: 503,
    }));
    app.next_check_at = Some(secs_ahead(10));
    let text = snap("degraded_server_error_80x24", &app, 80, 24);
    assert!(text.contains("server error (503)"));
    snap("degraded_server_error_160x48", &app, 160, 48);
}

#[test]
fn storage_error() {
    let app = failed_app(Lifecycle::storage(
        "The key store could not be read: no OS keyring is available. Use --secret-store file to keep the key in an encrypted file.",
    ));
    let text = snap("storage_error_80x24", &app, 80, 24);
    assert!(text.contains("✖ STORAGE ERROR"));
}

#[test]
fn active_expiring_in_7_days() {
    let mut app = app_in("production");
    if let Some(f) = app.facts.as_mut() {
        f.expires_on = Some(jiff::civil::date(2026, 12, 5));
    }
    let text = snap("active_expiry_7_days_80x24", &app, 80, 24);
    assert_shows(&text, &["2026-12-05, in 7 days", "expires in 7 days"]);
}

fn typed_entry() -> KeyEntry {
    KeyEntry {
        text: Zeroizing::new(TYPED_KEY.to_string()),
        expiry: "2027-01-3".into(),
        focus: KeyField::Key,
        ..KeyEntry::default()
    }
}

#[test]
fn key_modal_shows_only_mask_characters() {
    let mut app = app_in("staging");
    app.overlay = Overlay::KeyEntry(typed_entry());
    for (w, h) in [(80, 24), (160, 48), (60, 16)] {
        let text = render(&app, w, h);
        assert!(text.contains("API key (secret credential)"));
        assert!(text.contains(&"•".repeat(TYPED_KEY.len().min(30))));
        // No run of 4 characters of the typed key appears anywhere.
        let chars: Vec<char> = TYPED_KEY.chars().collect();
        for window in chars.windows(4) {
            let piece: String = window.iter().collect();
            assert!(!text.contains(&piece), "{piece} leaked at {w}x{h}");
        }
        for piece in ["0f3c9a", "7d21a4", "pls_0", "b40c8e3"] {
            assert!(!text.contains(piece));
        }
    }
    let text = snap("key_modal_typed_80x24", &app, 80, 24);
    assert!(text.contains("43 characters"));
}

#[test]
fn key_modal_expiry_focused_and_error() {
    let mut app = empty_app(Environment::Staging, false);
    let mut entry = typed_entry();
    entry.focus = KeyField::Expiry;
    entry.error = Some("API key rejected: it may have expired or been revoked. Check that the key was copied whole and is for this environment, or paste another.".into());
    entry.warning = Some(
        "the key does not look like a Pleo Standalone API Key (pls_<hex>_<hex>); trying it anyway"
            .into(),
    );
    app.overlay = Overlay::KeyEntry(entry);
    let text = snap("key_modal_error_80x24", &app, 80, 24);
    assert_shows(&text, &["› Expires", "✖ API key rejected"]);
    assert!(!text.contains("0f3c9a"));
}

#[test]
fn key_modal_busy() {
    let mut app = app_in("staging");
    app.spinner = 5;
    let mut entry = typed_entry();
    entry.busy = true;
    app.overlay = Overlay::KeyEntry(entry);
    let text = snap("key_modal_busy_80x24", &app, 80, 24);
    assert!(text.contains("Activating with Pleo…"));
    assert!(!text.contains("0f3c9a"));
}

fn attempt() -> Attempt {
    Attempt {
        key: Some(key(TYPED_KEY)),
        opts: ReplaceOptions::default(),
    }
}

#[test]
fn confirm_company() {
    let mut app = app_in("staging");
    app.overlay = Overlay::ConfirmCompany(ConfirmCompany {
        attempt: attempt(),
        current: company(ACME),
        current_name: Some(Text::new("Acme Sandbox ApS")),
        new: company(COBALT),
        new_name: Some(Text::new("Cobalt Sandbox GmbH")),
        busy: false,
    });
    let text = snap("confirm_company_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &["Switch this integration to the new company?", COBALT],
    );
    assert!(!text.contains("0f3c9a"));
}

#[test]
fn company_picker() {
    let mut app = empty_app(Environment::Sandbox, false);
    app.lifecycle = Lifecycle::Activating;
    app.overlay = Overlay::ChooseCompany(CompanyPicker {
        attempt: attempt(),
        organization: OrganizationId::parse(ORG).ok(),
        companies: vec![
            CompanyChoice {
                id: company(ACME),
                name: Text::new("Acme Sandbox ApS"),
            },
            CompanyChoice {
                id: company(BOREALIS),
                name: Text::new("Borealis Sandbox AB"),
            },
        ],
        selected: 1,
        busy: false,
    });
    let text = snap("company_picker_80x24", &app, 80, 24);
    assert!(text.contains("› Borealis Sandbox AB"));
}

/// Unlocking a key file after a wrong try, and choosing a passphrase for a new one.
#[test]
fn passphrase_prompts() {
    let retry = PassphrasePrompt {
        text: Zeroizing::new("hunter2hunter2".into()),
        error: Some("wrong passphrase for the key file: try again.".into()),
        busy: false,
        ..PassphrasePrompt::default()
    };
    let new = PassphrasePrompt {
        text: Zeroizing::new("hunter2".into()),
        creating: true,
        ..PassphrasePrompt::default()
    };
    let unlock_store = "encrypted file (/home/op/.local/share/pleo-keys/key.age)";
    let new_store = "encrypted file /home/op/.local/state/pleo-keys/key.age";
    for (name, has_key, store, prompt, shows) in [
        (
            "passphrase_80x24",
            true,
            unlock_store,
            retry,
            "wrong passphrase",
        ),
        (
            "passphrase_new_80x24",
            false,
            new_store,
            new,
            "Choose a passphrase",
        ),
    ] {
        let mut app = empty_app(Environment::Staging, has_key);
        app.ctx.store = store.into();
        app.overlay = Overlay::Passphrase(prompt);
        let text = snap(name, &app, 80, 24);
        assert!(text.contains(shows), "{name}");
        assert!(!text.contains("hunter"), "{name}");
    }
}

#[test]
fn help() {
    let mut app = app_in("staging");
    app.overlay = Overlay::Help;
    let text = snap("help_80x24", &app, 80, 24);
    use pleo_keys::app::keymap::Action::*;
    for b in pleo_keys::app::KEYMAP {
        // The navigation keys share three lines.
        if !matches!(
            b.action,
            Newer | Older | PageNewer | PageOlder | Newest | Oldest
        ) {
            assert!(text.contains(b.help), "{}", b.help);
        }
    }
    assert_shows(
        &text,
        &[
            "select the older / newer row",
            "the newest / oldest row",
            "Help (j/k to scroll)",
        ],
    );
    // Scrolled to its end on a short terminal; all of it at once on a tall one.
    app.help_scroll = 99;
    let text = snap("help_80x24_scrolled", &app, 80, 24);
    assert_shows(
        &text,
        &["/home/op/.config/pleo-keys/config.toml", "pleo-keys 0.1.0"],
    );
    app.help_scroll = 0;
    let text = snap("help_160x48", &app, 160, 48);
    assert_shows(
        &text,
        &[
            "/home/op/.config/pleo-keys/config.toml",
            "a page newer / older",
        ],
    );
}

#[test]
fn too_small() {
    let app = app_in("staging");
    let text = snap("too_small_40x10", &app, 40, 10);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(words, "terminal too small: need 60x16, have 40x10");
    let text = render(&app, 59, 30);
    assert_eq!(text.trim(), "terminal too small: need 60x16, have 59x30");
    // Exactly the minimum renders the dashboard.
    assert!(render(&app, 60, 16).contains("ACTIVE"));
}

#[test]
fn sandbox_panel() {
    let mut app = app_in("sandbox");
    app.overlay = Overlay::Sandbox(SandboxPanel { selected: 2 });
    let text = snap("sandbox_panel_80x24", &app, 80, 24);
    assert!(text.contains("› Restore the current key"));
    app.overlay = Overlay::Sandbox(SandboxPanel { selected: 14 });
    let text = snap("sandbox_panel_demo_key_80x24", &app, 80, 24);
    assert!(text.contains("› other-company"));
    snap("sandbox_panel_160x48", &app, 160, 48);
}

#[test]
fn many_calls_scrolled() {
    let mut app = app_in("staging");
    app.calls = calls(500);
    // The 11th newest selected, and the window scrolled to it.
    app.list.cursor = Some(10);
    app.list.offset.set(10);
    let text = snap("calls_500_scrolled_80x24", &app, 80, 24);
    assert_shows(&text, &["11–", "of 500"]);
    snap("calls_500_scrolled_160x48", &app, 160, 48);
}

#[test]
fn mono_active() {
    let mut app = app_in("production");
    app.theme = Theme::Mono;
    snap("active_mono_80x24", &app, 80, 24);
}

fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let text = text_of(buf);
    for (y, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (line[..byte].chars().count() as u16, y as u16);
        }
    }
    panic!("{needle} not on screen");
}

#[test]
fn missing_scope_stands_out_in_colour_and_in_words() {
    let mut app = failed_app(Lifecycle::MissingScopes {
        missing: scopes(&["export-jobs:write"]),
    });
    granted(&mut app, &["export-jobs:read", "export-items:read"]);
    let buf = buffer(&app, 80, 24);
    let (x, y) = find(&buf, "✖ export-jobs:write");
    let cell = &buf[(x + 2, y)];
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buf, "✔ export-jobs:read");
    assert_eq!(buf[(x + 2, y)].fg, Color::Green);

    app.theme = Theme::Mono;
    let buf = buffer(&app, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "mono uses no colour");
        assert_eq!(cell.bg, Color::Reset, "mono uses no colour");
    }
    let text = text_of(&buf);
    assert!(text.contains("export-jobs:write missing"));
    let (x, y) = find(&buf, "✖ export-jobs:write");
    assert!(buf[(x + 2, y)].modifier.contains(Modifier::BOLD));
}

#[test]
fn environments_differ_at_a_glance() {
    let badge_bg = |env: &str| {
        let buf = buffer(&app_in(env), 80, 24);
        let (x, y) = find(&buf, &env.to_uppercase());
        buf[(x, y)].bg
    };
    assert_eq!(badge_bg("production"), Color::Red);
    assert_eq!(badge_bg("staging"), Color::Yellow);
    assert_eq!(badge_bg("sandbox"), Color::Cyan);
    assert_eq!(badge_bg("custom"), Color::Magenta);

    // Default never paints a background outside the badges and selections.
    let buf = buffer(&app_in("staging"), 80, 24);
    let (bx, by) = find(&buf, "STAGING");
    for (i, cell) in buf.content().iter().enumerate() {
        let (x, y) = ((i % 80) as u16, (i / 80) as u16);
        let in_badge = y == by && x + 1 >= bx && x <= bx + 7;
        if !in_badge {
            assert_eq!(cell.bg, Color::Reset, "background at {x},{y}");
        }
    }

    // In mono, production is reversed and staging is not.
    let mono = |env: &str| {
        let mut app = app_in(env);
        app.theme = Theme::Mono;
        let buf = buffer(&app, 80, 24);
        let (x, y) = find(&buf, &env.to_uppercase());
        buf[(x, y)].modifier
    };
    assert!(mono("production").contains(Modifier::REVERSED));
    assert!(!mono("staging").contains(Modifier::REVERSED));
}

#[test]
fn light_theme_avoids_yellow_text() {
    let mut app = failed_app(Lifecycle::Degraded(Degradation::ServerError {
        status: 503,
    }));
    app.theme = Theme::Light;
    let buf = buffer(&app, 80, 24);
    let (x, y) = find(&buf, "Pleo server error");
    assert_ne!(buf[(x, y)].fg, Color::Yellow);
    assert_ne!(buf[(x, y)].fg, Color::Reset);
    for cell in buf.content() {
        if cell.fg == Color::Yellow {
            // Only the staging badge may be yellow, and only as a background.
            assert!(cell.bg == Color::Yellow);
        }
    }
}

#[test]
fn rejected_call_status_is_an_error_colour() {
    let app = app_in("staging");
    let buf = buffer(&app, 80, 24);
    let (x, y) = find(&buf, "429");
    assert_eq!(buf[(x, y)].fg, Color::Red);
    let (x, y) = find(&buf, "timeout");
    assert_eq!(buf[(x, y)].fg, Color::Red);
}

#[test]
fn minimum_size() {
    let mut app = failed_app(Lifecycle::MissingScopes {
        missing: scopes(&["export-jobs:write"]),
    });
    granted(&mut app, &["export-jobs:read", "export-items:read"]);
    let text = snap("missing_scopes_60x16", &app, 60, 16);
    assert!(text.contains("missing"));
    let mut entry = typed_entry();
    entry.error = Some("API key rejected: it may have expired or been revoked.".into());
    app.overlay = Overlay::KeyEntry(entry);
    let text = snap("key_modal_error_60x16", &app, 60, 16);
    assert!(text.contains("✖ API key rejected"));
}

#[test]
fn expiry_modal() {
    let mut app = app_in("staging");
    app.overlay = Overlay::Expiry(pleo_keys::app::overlay::ExpiryPrompt {
        text: "2020-01-0".into(),
        error: Some(
            "2020-01-01 is in the past: give the date Pleo shows for the key, or clear the field."
                .into(),
        ),
        busy: false,
    });
    let text = snap("expiry_modal_80x24", &app, 80, 24);
    assert_shows(&text, &["Key expiry date", "Enter record"]);
}

#[test]
fn a_locked_key_file() {
    let mut app = empty_app(Environment::Staging, true);
    app.lifecycle = Lifecycle::StorageError {
        detail: "The stored key is locked in its encrypted file.".into(),
        needs_passphrase: true,
    };
    app.reason = app.lifecycle.reason();
    let text = snap("locked_80x24", &app, 80, 24);
    assert!(text.contains("Press p to enter its"));
    assert!(text.contains("p passphrase"), "the footer offers it");
}

/// A call's detail: the full path, Pleo's error, Retry-After and the run it was part of.
#[test]
fn call_detail() {
    let mut app = app_in("staging");
    app.calls = calls(7);
    // The rate-limited activate, third newest.
    app.list.cursor = Some(3);
    pleo_keys::app::overlay::open_call(&mut app);
    let text = snap("call_detail_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &[
            "Pleo is rate limiting requests (429)",
            "Retry-After 30 s",
            "the check at 11:59:00 UTC",
            "Path        /v1/installations/me/activate?company_id=11111111-1111-4111-",
            "8111-111111111111",
        ],
    );
    snap("call_detail_160x48", &app, 160, 48);
}

#[test]
fn calls_filtered() {
    let mut app = app_in("staging");
    app.calls = calls(21);
    app.list.filter = "refused".into();
    app.overlay = Overlay::Filter;
    let text = snap("calls_filtered_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &["matching \"refused\" (3, newest first)", " / refused"],
    );
}

fn audited(app: &mut App) {
    use pleo_keys::store::{AuditEvent, AuditKind};
    let key = app.facts.as_ref().unwrap().key.clone();
    let mut events = Vec::new();
    for (i, kind) in [
        AuditKind::KeyEntered,
        AuditKind::ActivationPassed,
        AuditKind::KeyReplaced,
        AuditKind::CompanyChangeDeclined,
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = AuditEvent::new(kind).key(&key);
        e.time = secs_ago(12 * 86_400 + (3 - i as i64) * 60);
        e.os_user = Some("ops".into());
        e.ssh_client = Some("10.0.0.5".into());
        events.push(e);
    }
    app.audit = events;
}

#[test]
fn audit_view_and_the_last_rotation() {
    let mut app = app_in("staging");
    audited(&mut app);
    app.list.view = pleo_keys::app::calls_view::View::Audit;
    let text = snap("audit_80x24", &app, 80, 24);
    assert_shows(
        &text,
        &[
            "Rotated     12 days ago by ops from 10.0.0.5",
            "key_replaced",
            "ops from 10.0.0",
        ],
    );
    let text = snap("audit_160x48", &app, 160, 48);
    let key = app.facts.as_ref().unwrap().key.to_string();
    assert_shows(&text, &[&key]);
}

#[test]
fn checks_view_with_uptime() {
    use pleo_keys::domain::Reason;
    use pleo_keys::store::checks::CheckEntry;
    let mut app = app_in("staging");
    let key = app.facts.as_ref().map(|f| f.key.clone());
    app.checks = (0..10)
        .map(|i| {
            let reason = if i == 7 {
                Reason::KeyRejected
            } else {
                Reason::Active
            };
            CheckEntry {
                // Frozen: the snapshot must not depend on the test's process.
                pid: 4242,
                ..CheckEntry::new(
                    secs_ago((10 - i) * 3600),
                    reason,
                    std::time::Duration::from_millis(120 + i as u64),
                    key.clone(),
                )
            }
        })
        .collect();
    app.list.view = pleo_keys::app::calls_view::View::Checks;
    let text = snap("checks_80x24", &app, 80, 24);
    assert_shows(&text, &["uptime 24 h 90.0 %", "key_rejected", "127 ms"]);
    snap("checks_160x48", &app, 160, 48);
}

/// An expiring key is not a green "ACTIVE": the header says so, in the warning colour.
#[test]
fn expiring_header() {
    let mut app = app_in("staging");
    if let Some(f) = app.facts.as_mut() {
        f.expires_on = Some(
            now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
                .tomorrow()
                .unwrap(),
        );
    }
    app.reason = pleo_keys::domain::Reason::ExpiresSoon;
    let text = render(&app, 80, 24);
    assert_shows(&text, &["▲ ACTIVE · EXPIRES IN 1 DAY"]);
}
