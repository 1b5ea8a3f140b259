//! The dashboard's runtime: scripted input, every frame recorded. All but the last test run on
//! paused tokio time against the fake Pleo (minutes pass in no time, no sleeps); the last one is
//! end to end against the real sandbox over HTTP.

use crate::support;

use pleo_keys::lifecycle::{Lifecycle, ReplaceOptions};
use pleo_keys::pleo::ApiError;
use pleo_keys::sandbox::{self, Sandbox};
use pleo_keys::store::SecretStore;
use ratatui::crossterm::event::KeyCode;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use support::dashboard::Dashboard;
use support::fake_pleo::{FakePleo, Op};
use support::fixtures::*;
use support::home::TestHome;

const EVERY: Duration = Duration::from_secs(300);

fn fake() -> Arc<FakePleo> {
    Arc::new(
        FakePleo::new()
            .with_key(KEY_A, ACME)
            .with_key(KEY_B, ACME)
            .with_key(KEY_OTHER, COBALT),
    )
}

/// Enters `k` in `home` as another run of the CLI would; it must be committed.
async fn set_key(home: &TestHome, pleo: &Arc<FakePleo>, k: &str) {
    let outcome = home
        .engine(pleo.clone())
        .replace_key(key(k), &ReplaceOptions::default())
        .await;
    assert!(outcome.committed, "{:?}", outcome.lifecycle);
}

/// A dashboard over a home where KEY_A is active, once it shows the connection.
async fn connected() -> (Arc<FakePleo>, TestHome, Dashboard) {
    let (pleo, home) = (fake(), TestHome::new());
    set_key(&home, &pleo, KEY_A).await;
    let launched = Dashboard::launch(home.engine(pleo.clone()), None, None, EVERY);
    let mut d = paused(launched);
    d.wait_for("Connected to Company ID").await;
    (pleo, home, d)
}

/// On paused time a wait costs nothing: wait past the revalidation interval.
fn paused(mut d: Dashboard) -> Dashboard {
    d.patience = Duration::from_secs(3600);
    d
}

fn company_of(app: &pleo_keys::app::App) -> Option<String> {
    app.facts.as_ref().map(|f| f.company_id.to_string())
}

#[tokio::test(start_paused = true)]
async fn the_stored_key_becomes_active_then_a_background_check_sees_it_revoked() {
    let (pleo, _home, mut d) = connected().await;
    pleo.reject(KEY_A);
    // No key pressed: the revalidation timer (five minutes, in no time) finds it.
    let frame = d.wait_for("✖ KEY REJECTED").await;
    assert!(frame.contains("API key rejected"), "{frame}");
    let app = d.quit().await;
    assert_eq!(app.lifecycle, Lifecycle::KeyRejected);
}

#[tokio::test(start_paused = true)]
async fn a_pasted_key_replaces_the_stored_one() {
    let (_pleo, home, mut d) = connected().await;
    d.press(KeyCode::Char('e'));
    // A paste with the newline a terminal copy brings along: it must not submit by itself.
    d.submit(&format!("{KEY_B}\n"));
    d.wait_for("Activating").await;
    d.wait_for("delete it in Pleo").await;
    let stored = home.store.load().await.unwrap().unwrap();
    assert_eq!(stored.expose(), KEY_B);
    let app = d.quit().await;
    assert_eq!(company_of(&app).as_deref(), Some(ACME));
    assert_eq!(app.facts.unwrap().key.hint, "…9b56");
}

#[tokio::test(start_paused = true)]
async fn a_failed_replacement_leaves_the_current_key_in_use() {
    let (pleo, home, mut d) = connected().await;
    pleo.reject(KEY_B);
    d.press(KeyCode::Char('e'));
    d.submit(KEY_B);
    d.wait_for("✖ API key rejected").await;
    d.press(KeyCode::Esc);
    let frame = d.wait_for("the current key …21a4 is still active").await;
    assert!(frame.contains("● ACTIVE"), "{frame}");
    assert_eq!(home.store.load().await.unwrap().unwrap().expose(), KEY_A);
    d.quit().await;
}

#[tokio::test(start_paused = true)]
async fn an_outage_degrades_keeping_the_facts_then_recovers() {
    let (pleo, _home, mut d) = connected().await;
    pleo.fail_always(Op::Introspect, ApiError::Server { status: 503 });
    let frame = d.wait_for("Pleo server error (503)").await;
    assert!(frame.contains(ACME), "last facts kept:\n{frame}");
    pleo.heal();
    // The backoff's next check (15 s later, in no time) recovers.
    d.wait_for("● ACTIVE").await;
    let app = d.quit().await;
    assert_eq!(app.failures, 0);
}

/// A server asking to wait a year is believed for an hour at most: the next check comes then.
#[tokio::test(start_paused = true)]
async fn a_year_long_retry_after_delays_the_next_check_by_an_hour_at_most() {
    let (pleo, _home, mut d) = connected().await;
    pleo.fail_always(
        Op::Introspect,
        ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(365 * 24 * 3600)),
        },
    );
    d.wait_for("rate limit").await;
    pleo.heal();
    d.patience = Duration::from_secs(3600 + 60);
    d.wait_for("● ACTIVE").await;
    d.quit().await;
}

#[tokio::test(start_paused = true)]
async fn a_key_for_another_company_needs_confirmation() {
    let (_pleo, home, mut d) = connected().await;
    d.press(KeyCode::Char('e'));
    d.submit(KEY_OTHER);
    d.wait_for("Switch this integration to the new company?")
        .await;
    d.press(KeyCode::Char('n'));
    d.wait_for("the current key …21a4 is still active").await;
    assert_eq!(home.store.load().await.unwrap().unwrap().expose(), KEY_A);
    assert!(home.audit().contains("company_change_declined"));
    // Again, and this time switch.
    d.press(KeyCode::Char('e'));
    d.submit(KEY_OTHER);
    d.wait_for("Switch this integration").await;
    d.press(KeyCode::Char('y'));
    d.wait_for(&format!("Connected to Company ID: {COBALT}"))
        .await;
    let app = d.quit().await;
    assert_eq!(company_of(&app).as_deref(), Some(COBALT));
}

#[tokio::test(start_paused = true)]
async fn an_idle_dashboard_does_not_redraw() {
    let home = TestHome::new();
    let mut d = Dashboard::launch(home.engine(fake()), None, None, EVERY);
    d.wait_for("No API key").await;
    // Nothing moves on screen: no tick, so no frame at all, however long.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(d.try_frame().is_none(), "an idle dashboard drew a frame");
    let app = d.quit().await;
    assert_eq!(app.lifecycle, Lifecycle::NotConfigured);
}

fn file_store(home: &TestHome, passphrase: Option<&str>) -> SecretStore {
    SecretStore::encrypted_file(
        home.dir.path().join("key.age"),
        passphrase.map(|p| SecretString::from(p.to_owned())),
        10,
    )
    .unwrap()
}

/// `home`'s folder with the key kept in its encrypted file, unlocked by `passphrase` if given.
fn on_file_store(home: TestHome, passphrase: Option<&str>) -> TestHome {
    TestHome {
        store: file_store(&home, passphrase),
        dir: home.dir,
    }
}

#[tokio::test(start_paused = true)]
async fn a_locked_key_file_is_unlocked_in_the_dashboard() {
    let pleo = fake();
    let home = on_file_store(TestHome::new(), Some("pw"));
    set_key(&home, &pleo, KEY_A).await;
    // A later run: the same file, no passphrase known.
    let later = on_file_store(home, None);
    let mut d = Dashboard::launch(later.engine(pleo.clone()), None, None, EVERY);
    d.wait_for("Unlock the key store").await;
    d.type_text("nope");
    d.press(KeyCode::Enter);
    d.wait_for("Wrong passphrase").await;
    d.submit("pw");
    d.wait_for("Connected to Company ID").await;
    // Checks go on without asking again.
    d.press(KeyCode::Char('r'));
    d.wait_for("Next check  in 5 min").await;
    let app = d.quit().await;
    assert_eq!(
        company_of(&app).as_deref(),
        Some(ACME),
        "{:?}",
        app.lifecycle
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_key_file_asks_for_its_passphrase_twice_then_activates() {
    let pleo = fake();
    let home = on_file_store(TestHome::new(), None);
    let mut d = Dashboard::launch(home.engine(pleo.clone()), None, None, EVERY);
    d.wait_for("No API key yet").await;
    d.press(KeyCode::Char('e'));
    d.submit(&format!("{KEY_A}\n"));
    d.wait_for("Choose a passphrase").await;
    d.submit("first try");
    d.wait_for("same passphrase again").await;
    d.submit("another");
    d.wait_for("entries differ").await;
    for _ in 0..2 {
        d.submit("s3cret pass");
    }
    d.wait_for("Connected to Company ID").await;
    let reader = file_store(&home, Some("s3cret pass"));
    assert_eq!(
        reader.load().await.unwrap().map(|k| k.hint()),
        Some(key(KEY_A).hint())
    );
    d.quit().await;
}

/// End to end: the real sandbox over HTTP, real time. The calls reach the dashboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_against_the_sandbox() {
    let sandbox = Sandbox::start(0).await.unwrap();
    let home = TestHome::new();
    let calls = pleo_keys::pleo::CallLog::default();
    let engine = home.http_engine(&sandbox.url(), &calls);
    assert!(
        engine
            .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
            .await
            .committed
    );
    let mut d = Dashboard::launch(
        home.http_engine(&sandbox.url(), &calls),
        Some(&calls),
        Some(sandbox.control()),
        Duration::from_millis(300),
    );
    d.wait_for("Connected to Company ID").await;
    sandbox.control().revoke(sandbox::HEALTHY_KEY);
    let frame = d.wait_for("✖ KEY REJECTED").await;
    assert!(frame.contains("API key rejected"), "{frame}");
    let app = d.quit().await;
    assert!(!app.calls.is_empty(), "the calls reached the dashboard");
}

/// One truth between processes: a key set from the CLI while the dashboard is open shows up in
/// the dashboard at once, and the replaced key is never used again. Real time: the file watch is
/// the operating system's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_by_another_process_shows_up_and_the_old_one_is_never_used_again() {
    let (pleo, home) = (fake(), TestHome::new());
    set_key(&home, &pleo, KEY_A).await;
    // No check is due for an hour: only the file watch can bring the news.
    let mut d = Dashboard::launch(
        home.engine(pleo.clone()),
        None,
        None,
        Duration::from_secs(3600),
    );
    d.wait_for("● ACTIVE").await;
    // The CLI, another process on the same home.
    set_key(&home, &pleo, KEY_B).await;
    pleo.clear_calls();
    let frame = d.wait_for("now using …9b56").await;
    assert!(frame.contains("…9b56"), "{frame}");
    assert!(pleo.keys_used().is_empty(), "noticed without asking Pleo");
    // The next check carries the new key, and only it.
    d.press(KeyCode::Char('r'));
    let deadline = tokio::time::Instant::now() + d.patience;
    while pleo.keys_used().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let used = pleo.keys_used();
    assert!(!used.is_empty(), "the dashboard checked the new key");
    assert!(used.iter().all(|k| k == "…9b56"), "{used:?}");
    let app = d.quit().await;
    assert_eq!(app.facts.unwrap().key, key(KEY_B).id());
}

/// The integration's traffic shows up: a proxy (another process) announces itself and appends
/// its calls to the home's history; the dashboard shows both within a second.
#[tokio::test(start_paused = true)]
async fn the_proxys_calls_and_the_proxy_itself_show_up() {
    use pleo_keys::gateway::running::ProxyInfo;
    use pleo_keys::store::history::{CallEntry, CallHistory, CallSource};
    let (_pleo, home, mut d) = connected().await;
    d.wait_for("Proxy       not running").await;
    let paths = home.paths();
    let announced = ProxyInfo::announce(&paths, "http://127.0.0.1:8790");
    let history = CallHistory::new(&paths.call_history);
    for (status, refused) in [(Some(200), None), (None, Some("COMPANY_SCOPE_VIOLATION"))] {
        history
            .append(&CallEntry {
                at: jiff::Timestamp::now(),
                source: CallSource::Proxy,
                pid: std::process::id() + 1,
                method: "GET".into(),
                path: "/v3/export-jobs".into(),
                status,
                failure: None,
                refused: refused.map(str::to_string),
                latency_us: 1800,
                error: None,
                retry_after_secs: None,
                run: None,
            })
            .unwrap();
    }
    let frame = d.wait_for("refused: company").await;
    assert!(frame.contains("proxy GET    200"), "{frame}");
    assert!(frame.contains("● http://127.0.0.1:8790"), "{frame}");
    drop(announced);
    d.wait_for("Proxy       not running").await;
    d.quit().await;
}
