//! The runtime against the in-process sandbox: scripted terminal input, a test backend whose every
//! frame is recorded, real time with short intervals (a real HTTP server does not mix with paused
//! time: the client's timeouts would fire while it waits on the socket).

use pleo_keys::app::{App, Overlay, Theme};
use pleo_keys::config::Paths;
use pleo_keys::lifecycle::Lifecycle;
use pleo_keys::lifecycle::engine::{Engine, ReplaceOptions};
use pleo_keys::lifecycle::scopes;
use pleo_keys::pleo::{CallLog, ClientSettings, Endpoint};
use pleo_keys::runtime::{self, Services, dashboard::build_app};
use pleo_keys::sandbox::{self, Sandbox};
use pleo_keys::secret::ApiKey;
use pleo_keys::store::{AuditLog, Passphrase, SecretStore};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Size};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

const WAIT: Duration = Duration::from_secs(5);

/// A `TestBackend` that sends a text copy of the screen on every flush (one per drawn frame).
struct Recording {
    inner: TestBackend,
    frames: UnboundedSender<String>,
}

impl Backend for Recording {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let buf = self.inner.buffer();
        let text: Vec<String> = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect();
        let _ = self.frames.send(text.join("\n"));
        self.inner.flush()
    }
}

/// Secret hygiene: no drawn frame ever holds the secret part of any demo key.
fn assert_no_key(frame: &str) {
    let flat: String = frame
        .split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("");
    for demo in sandbox::DEMO_KEYS {
        let secret = &demo.key[4..36];
        assert!(
            !flat.contains(secret),
            "a frame shows the {} key",
            demo.name
        );
        assert!(
            !flat.contains(&secret[..12]),
            "a frame shows part of the {} key",
            demo.name
        );
    }
}

struct Harness {
    sandbox: Sandbox,
    engine: std::sync::Arc<Engine>,
    input: UnboundedSender<Event>,
    frames: UnboundedReceiver<String>,
    /// Every frame seen so far, for failure messages.
    seen: Vec<String>,
    task: tokio::task::JoinHandle<App>,
    _home: tempfile::TempDir,
}

impl Harness {
    /// A dashboard on a fresh home, with `seed` stored (activated) first when given.
    async fn start(seed: Option<&str>, every: Duration) -> Harness {
        let sandbox = Sandbox::start(0).await.expect("sandbox");
        let home = tempfile::tempdir().expect("tempdir");
        let engine = engine(&sandbox, home.path(), SecretStore::in_memory());
        if let Some(seed) = seed {
            let outcome = engine
                .replace_key(key(seed), &ReplaceOptions::default())
                .await;
            assert!(outcome.committed, "seeding failed: {:?}", outcome.report);
        }
        Harness::launch(sandbox, home, engine, every)
    }

    fn launch(
        sandbox: Sandbox,
        home: tempfile::TempDir,
        engine: Engine,
        every: Duration,
    ) -> Harness {
        let services = Services::new(&engine, Some(sandbox.control()));
        let engine = services.engine.clone();
        let app = build_app(&engine, true, Theme::Mono, every, jiff::Timestamp::now());
        let (input, input_rx) = unbounded_channel();
        let (frames_tx, frames) = unbounded_channel();
        let backend = Recording {
            inner: TestBackend::new(100, 30),
            frames: frames_tx,
        };
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(backend).expect("terminal");
            runtime::run(app, &mut terminal, input_rx, services).await
        });
        Harness {
            sandbox,
            engine,
            input,
            frames,
            seen: Vec::new(),
            task,
            _home: home,
        }
    }

    /// Wait for a frame (drawn from now on) that contains `text`.
    async fn wait_for(&mut self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some(frame)) => {
                    assert_no_key(&frame);
                    self.seen.push(frame.clone());
                    if frame.contains(text) {
                        return frame;
                    }
                }
                Ok(None) => panic!("the dashboard ended while waiting for {text:?}"),
                Err(_) => panic!(
                    "no frame showed {text:?} within {WAIT:?}; last frame:\n{}",
                    self.seen.last().map(String::as_str).unwrap_or("(none)")
                ),
            }
        }
    }

    /// Wait for a frame whose recent-calls title counts at least `n` calls.
    async fn wait_for_calls(&mut self, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = self.wait_for("Recent calls").await;
            if calls_shown(&frame) >= n {
                return frame;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no frame showed {n} calls within {WAIT:?}; last frame:\n{frame}"
            );
        }
    }

    fn press(&self, code: KeyCode) {
        let _ = self
            .input
            .send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn paste(&self, text: &str) {
        let _ = self.input.send(Event::Paste(text.to_string()));
    }

    async fn quit(self) -> App {
        self.press(KeyCode::Char('q'));
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the dashboard quits on q")
            .expect("the dashboard task did not panic")
    }
}

fn engine(sandbox: &Sandbox, home: &std::path::Path, store: SecretStore) -> Engine {
    let paths = Paths::resolve(Some(home)).expect("paths");
    paths.ensure_dirs().expect("dirs");
    let settings = ClientSettings {
        retries: 0,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(4),
        ..ClientSettings::default()
    };
    Engine {
        store,
        endpoint: Endpoint::custom(&sandbox.url(), "sandbox").expect("endpoint"),
        settings,
        required_scopes: scopes::normalise(scopes::DEFAULT_REQUIRED_SCOPES),
        calls: CallLog::default(),
        audit: AuditLog::new(&paths.audit_log),
        env_key: None,
        paths,
    }
}

fn key(s: &str) -> ApiKey {
    ApiKey::parse(s).expect("demo key parses").0
}

fn company(app: &App) -> Option<&str> {
    match &app.lifecycle {
        Lifecycle::Active { company_id, .. } => Some(company_id),
        _ => None,
    }
}

#[tokio::test]
async fn stored_key_becomes_active_then_background_check_sees_it_revoked() {
    let mut h = Harness::start(Some(sandbox::HEALTHY_KEY), Duration::from_millis(300)).await;
    h.wait_for("Connected to Company ID").await;
    h.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    // No key pressed: the revalidation timer finds it.
    let frame = h.wait_for("Press k to enter a new key").await;
    assert!(frame.contains("API key rejected"), "{frame}");
    let app = h.quit().await;
    assert_eq!(app.lifecycle, Lifecycle::KeyRejected);
    assert!(!app.calls.is_empty(), "the calls reached the dashboard");
}

#[tokio::test]
async fn pasted_key_replaces_the_stored_one() {
    let mut h = Harness::start(Some(sandbox::HEALTHY_KEY), Duration::from_secs(60)).await;
    h.wait_for("Connected to Company ID").await;
    h.press(KeyCode::Char('k'));
    // A paste with the newline a terminal copy brings along: it must not submit by itself.
    h.paste(&format!("{}\n", sandbox::ROTATED_KEY));
    h.press(KeyCode::Enter);
    h.wait_for("Activating").await;
    h.wait_for("Connected to Company ID").await;
    let stored = h.engine.store.load().await.expect("store").expect("a key");
    assert_eq!(stored.expose(), sandbox::ROTATED_KEY);
    let app = h.quit().await;
    assert_eq!(company(&app), Some(sandbox::ACME_ID));
    assert!(matches!(app.overlay, Overlay::None));
    let notice = app.notice.expect("a success notice");
    assert!(
        notice.text.starts_with("Connected to Company ID"),
        "{notice:?}"
    );
    assert_eq!(app.facts.key_hint.as_deref(), Some("…9b56"));
}

#[tokio::test]
async fn outage_degrades_keeping_the_facts_then_recovers() {
    let mut h = Harness::start(Some(sandbox::HEALTHY_KEY), Duration::from_millis(300)).await;
    h.wait_for("Connected to Company ID").await;
    h.sandbox.control().outage(503, None);
    let frame = h.wait_for("Pleo server error (503)").await;
    assert!(
        frame.contains(sandbox::ACME_ID),
        "last facts kept:\n{frame}"
    );
    h.sandbox.control().clear_faults();
    // Backoff is capped by the (short) interval: the next timed check recovers.
    h.wait_for("Connected to Company ID").await;
    let app = h.quit().await;
    assert_eq!(company(&app), Some(sandbox::ACME_ID));
    assert_eq!(app.failures, 0);
}

#[tokio::test]
async fn key_for_another_company_needs_confirmation() {
    let mut h = Harness::start(Some(sandbox::HEALTHY_KEY), Duration::from_secs(60)).await;
    h.wait_for("Connected to Company ID").await;
    h.press(KeyCode::Char('k'));
    h.paste(sandbox::OTHER_COMPANY_KEY);
    h.press(KeyCode::Enter);
    h.wait_for(sandbox::COBALT_ID).await;
    h.press(KeyCode::Char('n'));
    h.wait_for("Company change declined").await;
    assert_eq!(
        h.engine
            .store
            .load()
            .await
            .expect("store")
            .expect("a key")
            .expose(),
        sandbox::HEALTHY_KEY,
        "declining changes nothing stored"
    );
    // Again, and this time switch.
    h.press(KeyCode::Char('k'));
    h.paste(sandbox::OTHER_COMPANY_KEY);
    h.press(KeyCode::Enter);
    h.wait_for(&format!("company {}", sandbox::COBALT_ID)).await;
    h.press(KeyCode::Char('y'));
    h.wait_for(&format!("Connected to Company ID: {}", sandbox::COBALT_ID))
        .await;
    let app = h.quit().await;
    assert_eq!(company(&app), Some(sandbox::COBALT_ID));
    assert_eq!(app.facts.key_hint.as_deref(), Some("…f3c8"));
}

#[tokio::test]
async fn idle_dashboard_does_not_redraw() {
    let mut h = Harness::start(None, Duration::from_secs(60)).await;
    h.wait_for("No API key").await;
    // Nothing moves on screen: no tick, so no frame at all.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        h.frames.try_recv().is_err(),
        "an idle dashboard drew a frame"
    );
    let app = h.quit().await;
    assert_eq!(app.lifecycle, Lifecycle::NotConfigured);
}

#[tokio::test]
async fn locked_key_file_is_unlocked_in_the_dashboard() {
    if std::env::var_os("PLEO_KEYS_PASSPHRASE").is_some() {
        return; // the file would be unlocked from the environment: nothing to ask
    }
    let sandbox = Sandbox::start(0).await.expect("sandbox");
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("key.age");
    let given = Passphrase::Given(secrecy::SecretString::from("pw".to_string()));
    let writer = engine(
        &sandbox,
        home.path(),
        SecretStore::encrypted_file(file.clone(), given, 10).expect("file store"),
    );
    let seeded = writer
        .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
        .await;
    assert!(seeded.committed, "{:?}", seeded.report);
    // A later run: the same file, no passphrase known.
    let store = SecretStore::encrypted_file(file, Passphrase::FromEnv, 10).expect("file store");
    let engine = engine(&sandbox, home.path(), store);
    let mut h = Harness::launch(sandbox, home, engine, Duration::from_secs(60));
    // The overlay is open from the start, so typing at once is fine.
    for c in "nope".chars() {
        h.press(KeyCode::Char(c));
    }
    h.press(KeyCode::Enter);
    h.wait_for("Wrong passphrase").await;
    h.paste("pw");
    h.press(KeyCode::Enter);
    let frame = h.wait_for("Connected to Company ID").await;
    // Unlocked once for the dashboard's lifetime: revalidation never decrypts the file again, so
    // a file that no longer decrypts (here: garbage) changes nothing until the dashboard ends.
    let before = calls_shown(&frame);
    std::fs::write(h._home.path().join("key.age"), b"garbage").expect("overwrite");
    h.press(KeyCode::Char('r'));
    h.wait_for_calls(before + 3).await;
    // The check has ended once the countdown is back.
    h.wait_for("Next check  in ").await;
    let app = h.quit().await;
    assert_eq!(company(&app), Some(sandbox::ACME_ID), "{:?}", app.lifecycle);
}

/// N in the recent-calls title " Recent calls (N, newest first) ".
fn calls_shown(frame: &str) -> usize {
    frame
        .split("Recent calls (")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_file_asks_for_its_passphrase_twice_then_activates() {
    if std::env::var_os("PLEO_KEYS_PASSPHRASE").is_some() {
        return; // the passphrase would come from the environment: nothing to ask
    }
    let sandbox = Sandbox::start(0).await.expect("sandbox");
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("key.age");
    let store =
        SecretStore::encrypted_file(file.clone(), Passphrase::FromEnv, 10).expect("file store");
    let engine = engine(&sandbox, home.path(), store);
    let mut h = Harness::launch(sandbox, home, engine, Duration::from_secs(60));
    h.wait_for("No API key yet").await;
    h.press(KeyCode::Char('k'));
    h.paste(&format!("{}\n", sandbox::HEALTHY_KEY));
    h.press(KeyCode::Enter);
    h.wait_for("Choose a passphrase").await;
    h.paste("first try");
    h.press(KeyCode::Enter);
    h.wait_for("same passphrase again").await;
    h.paste("another");
    h.press(KeyCode::Enter);
    h.wait_for("entries differ").await;
    for _ in 0..2 {
        h.paste("s3cret pass");
        h.press(KeyCode::Enter);
    }
    h.wait_for("Connected to Company ID").await;
    // Read the file while the harness (and its home) is alive.
    assert!(
        file.exists(),
        "the key was stored in the new encrypted file"
    );
    let reader = SecretStore::encrypted_file(
        file,
        Passphrase::Given(secrecy::SecretString::from("s3cret pass".to_string())),
        10,
    )
    .expect("file store");
    assert_eq!(
        reader.load().await.expect("decrypts").map(|k| k.hint()),
        Some(key(sandbox::HEALTHY_KEY).hint())
    );
    let app = h.quit().await;
    assert_eq!(company(&app), Some(sandbox::ACME_ID));
}
