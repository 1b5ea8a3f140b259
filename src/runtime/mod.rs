//! The event loop: the one owner of `App`. Inputs (terminal events, task results, signals, timers)
//! become messages for `update`; the commands it returns are carried out by tasks that report back
//! only by sending a message. The screen is drawn after each batch of messages, never on a frame clock.

pub mod dashboard;
pub mod terminal;

use crate::app::{App, Cmd, Msg, Overlay, RunResult, SandboxAction, update};
use crate::lifecycle::engine::{Engine, Outcome, ReplaceOptions};
use crate::lifecycle::{Degradation, Lifecycle};
use crate::pleo::{CallLog, CallRecord};
use crate::report::Report;
use crate::sandbox::{RetryAfter, SandboxControl};
use crate::store::{Passphrase, SecretStore, StoreChoice, StoreError, StoreKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;
use zeroize::Zeroizing;

pub use dashboard::run_dashboard;

/// The spinner's frame interval, only while something animates.
pub const SPINNER_TICK: Duration = Duration::from_millis(100);
/// At most this many messages are folded in before the screen is drawn again.
const MAX_BATCH: usize = 256;
const PASSPHRASE_ENV: &str = "PLEO_KEYS_PASSPHRASE";

/// Wall-clock time for `app.now`; tests inject a fixed or scripted one.
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(jiff::Timestamp::now)
}

/// What the loop drives besides the terminal.
pub struct Services {
    pub engine: Arc<Engine>,
    pub sandbox: Option<SandboxControl>,
    /// Fed by the engine's `CallLog` listener (see [`Services::new`]).
    pub calls: Option<UnboundedReceiver<CallRecord>>,
    /// `None` in tests: no process-wide signal handlers.
    pub signals: Option<Signals>,
    pub clock: Clock,
}

impl Services {
    /// Wire a copy of `engine` whose call log also reports each call to the dashboard.
    pub fn new(engine: &Engine, sandbox: Option<SandboxControl>) -> Services {
        let (tx, rx) = unbounded_channel();
        let engine = engine_with(
            engine,
            engine.store.clone(),
            engine.calls.clone().with_listener(tx),
        );
        Services {
            engine: Arc::new(engine),
            sandbox,
            calls: Some(rx),
            signals: None,
            clock: system_clock(),
        }
    }
}

/// The same engine with another store or call log (the fields are cheap, shared handles).
pub fn engine_with(engine: &Engine, store: SecretStore, calls: CallLog) -> Engine {
    Engine {
        paths: engine.paths.clone(),
        store,
        endpoint: engine.endpoint.clone(),
        settings: engine.settings.clone(),
        required_scopes: engine.required_scopes.clone(),
        calls,
        audit: engine.audit.clone(),
        env_key: engine.env_key.clone(),
    }
}

/// SIGTERM, SIGHUP (the SSH session dropped) and SIGINT.
pub struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// What a background task hands back.
enum Done {
    /// Boxed: a result with its report is far larger than the other variant.
    Msg(Box<Msg>),
    /// The file store opened with the passphrase typed in the dashboard; it replaces the engine's.
    Unlocked {
        store: SecretStore,
        result: Result<bool, String>,
    },
}

struct Runtime {
    engine: Arc<Engine>,
    sandbox: Option<SandboxControl>,
    clock: Clock,
    tx: UnboundedSender<Done>,
    /// The passphrase was typed into the dashboard: the engine's store no longer needs one.
    unlocked: bool,
    check_at: Option<Instant>,
}

/// Run the dashboard until it quits; returns the final model.
pub async fn run<B: Backend>(
    mut app: App,
    terminal: &mut Terminal<B>,
    mut input: UnboundedReceiver<Event>,
    services: Services,
) -> App {
    let Services {
        engine,
        sandbox,
        mut calls,
        mut signals,
        clock,
    } = services;
    let (tx, mut done_rx) = unbounded_channel();
    let mut rt = Runtime {
        engine,
        sandbox,
        clock,
        tx,
        unlocked: false,
        check_at: None,
    };
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    // Draw first: the screen is up before any network answer.
    draw(terminal, &app);
    if app.has_key
        && app.lifecycle == Lifecycle::Activating
        && matches!(app.overlay, Overlay::None)
        && rt.step(&mut app, Msg::CheckDue)
    {
        return app;
    }
    let mut tick_at: Option<Instant> = None;
    loop {
        tick_at = next_tick(&app, tick_at, &rt.clock);
        let first = tokio::select! {
            biased;
            Some(done) = done_rx.recv() => rt.on_done(done),
            Some(call) = recv_opt(&mut calls) => Some(Msg::Call(call)),
            event = input.recv() => match event {
                Some(event) => event_msg(event),
                // The input thread ended: the terminal is gone.
                None => Some(Msg::Shutdown),
            },
            () = signal_opt(&mut signals) => Some(Msg::Shutdown),
            () = sleep_opt(rt.check_at) => {
                rt.check_at = None;
                Some(Msg::CheckDue)
            }
            () = sleep_opt(tick_at) => {
                tick_at = None;
                Some(Msg::Tick)
            }
        };
        let Some(first) = first else { continue };
        if rt.step(&mut app, first) {
            return app;
        }
        // Fold in whatever else is already waiting, then draw once.
        for _ in 0..MAX_BATCH {
            let next = if let Ok(done) = done_rx.try_recv() {
                rt.on_done(done)
            } else if let Some(call) = calls.as_mut().and_then(|c| c.try_recv().ok()) {
                Some(Msg::Call(call))
            } else if let Ok(event) = input.try_recv() {
                event_msg(event)
            } else {
                break;
            };
            if let Some(msg) = next
                && rt.step(&mut app, msg)
            {
                return app;
            }
        }
        draw(terminal, &app);
    }
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) {
    if let Err(e) = terminal.draw(|frame| crate::ui::render(frame, app)) {
        // Nothing useful to show on a terminal that cannot be written; the log keeps it.
        tracing::warn!(error = %e, "could not draw the dashboard");
    }
}

/// The next tick: ~100 ms while animating, on the next whole second while a clock is shown,
/// none at all otherwise (an idle dashboard does not wake up).
fn next_tick(app: &App, current: Option<Instant>, clock: &Clock) -> Option<Instant> {
    let now = Instant::now();
    let fast = app.is_animating().then(|| now + SPINNER_TICK);
    let slow = app.shows_clock().then(|| {
        let into_second = clock().subsec_nanosecond().rem_euclid(1_000_000_000) as u64;
        // A few ms past the boundary, so the redraw sees the new second.
        now + Duration::from_nanos(1_000_000_000 - into_second) + Duration::from_millis(5)
    });
    let wanted = match (fast, slow) {
        (Some(f), Some(s)) => Some(f.min(s)),
        (f, s) => f.or(s),
    }?;
    // Keep a pending tick unless a sooner one is needed: a burst of messages must not postpone it.
    Some(match current {
        Some(c) if c <= wanted => c,
        _ => wanted,
    })
}

fn event_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

async fn recv_opt<T>(rx: &mut Option<UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn signal_opt(signals: &mut Option<Signals>) {
    match signals {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Runtime {
    /// One message through `update`, its commands carried out. `true` when the loop must end.
    fn step(&mut self, app: &mut App, msg: Msg) -> bool {
        app.now = (self.clock)();
        let mut quit = false;
        for cmd in update(app, msg) {
            quit |= self.execute(app, cmd);
        }
        quit || app.should_quit
    }

    fn on_done(&mut self, done: Done) -> Option<Msg> {
        match done {
            Done::Msg(msg) => Some(*msg),
            Done::Unlocked { store, result } => {
                if result.is_ok() {
                    let calls = self.engine.calls.clone();
                    self.engine = Arc::new(engine_with(&self.engine, store, calls));
                    self.unlocked = true;
                }
                Some(Msg::StoreUnlocked(result))
            }
        }
    }

    /// Run `work` in a task; its result comes back as a message. A task that panics ends the
    /// dashboard (the panic hook has already restored the terminal).
    fn spawn<F>(&self, work: F)
    where
        F: Future<Output = Done> + Send + 'static,
    {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let done = tokio::spawn(work)
                .await
                .unwrap_or_else(|_| Done::Msg(Box::new(Msg::Shutdown)));
            // The loop has ended when the receiver is gone; nothing to report to then.
            let _ = tx.send(done);
        });
    }

    /// An encrypted key file with no passphrase known yet: using the store would prompt on the
    /// terminal the dashboard owns, so such runs are refused instead.
    fn passphrase_missing(&self) -> bool {
        self.engine.store.kind() == StoreKind::EncryptedFile
            && !self.unlocked
            && std::env::var_os(PASSPHRASE_ENV).is_none()
            && self.engine.env_key.is_none()
    }

    fn execute(&mut self, app: &App, cmd: Cmd) -> bool {
        match cmd {
            Cmd::Check { generation } => {
                if self.passphrase_missing() && self.engine.paths.secret_file.exists() {
                    let result = self.refused(
                        "The key file is locked: restart pleo-keys to enter its passphrase, or set PLEO_KEYS_PASSPHRASE.",
                    );
                    self.send(Msg::CheckFinished { generation, result });
                    return false;
                }
                let engine = Arc::clone(&self.engine);
                self.spawn(async move {
                    let outcome = engine.check().await;
                    Done::Msg(Box::new(Msg::CheckFinished {
                        generation,
                        result: run_result(outcome),
                    }))
                });
            }
            Cmd::Activate {
                generation,
                key,
                opts,
            } => {
                let expires_on = opts.expires_on;
                if self.passphrase_missing() {
                    let result = self.refused(NEEDS_PASSPHRASE);
                    self.send(Msg::ActivationFinished {
                        generation,
                        result,
                        key: Some(key),
                        expires_on,
                    });
                    return false;
                }
                let engine = Arc::clone(&self.engine);
                self.spawn(async move {
                    let outcome = engine.replace_key(key.clone(), &opts).await;
                    Done::Msg(Box::new(Msg::ActivationFinished {
                        generation,
                        result: run_result(outcome),
                        key: Some(key),
                        expires_on,
                    }))
                });
            }
            Cmd::Reactivate { generation } => {
                if self.passphrase_missing() {
                    let result = self.refused(NEEDS_PASSPHRASE);
                    self.send(Msg::ActivationFinished {
                        generation,
                        result,
                        key: None,
                        expires_on: None,
                    });
                    return false;
                }
                let engine = Arc::clone(&self.engine);
                self.spawn(async move {
                    let outcome = engine.reactivate(&ReplaceOptions::default()).await;
                    Done::Msg(Box::new(Msg::ActivationFinished {
                        generation,
                        result: run_result(outcome),
                        key: None,
                        expires_on: None,
                    }))
                });
            }
            Cmd::ScheduleCheck { at } => {
                let wait =
                    Duration::try_from(at.duration_since((self.clock)())).unwrap_or(Duration::ZERO);
                self.check_at = Some(Instant::now() + wait);
            }
            Cmd::Unlock { passphrase } => {
                let paths = self.engine.paths.clone();
                self.spawn(unlock(paths, passphrase.0));
            }
            Cmd::Sandbox { action } => match self.sandbox.clone() {
                None => self.send(Msg::SandboxDone(Err("this run has no sandbox".into()))),
                Some(control) => {
                    let engine = Arc::clone(&self.engine);
                    let company = app.facts.company_id.clone();
                    self.spawn(async move {
                        let key = engine
                            .current_key()
                            .await
                            .ok()
                            .flatten()
                            .map(|(k, _)| k.expose().to_string());
                        Done::Msg(Box::new(Msg::SandboxDone(apply_sandbox(
                            &control,
                            action,
                            key.as_deref(),
                            company.as_deref(),
                        ))))
                    });
                }
            },
            Cmd::Quit => return true,
        }
        false
    }

    fn send(&self, msg: Msg) {
        let _ = self.tx.send(Done::Msg(Box::new(msg)));
    }

    fn refused(&self, detail: &str) -> RunResult {
        let lifecycle = Lifecycle::StorageError {
            detail: detail.to_string(),
        };
        let e = &self.engine.endpoint;
        RunResult {
            report: Report::bare(&lifecycle, &e.environment, e.base_url.as_str()),
            lifecycle,
            committed: false,
        }
    }
}

const NEEDS_PASSPHRASE: &str = "The encrypted key file needs a passphrase, which the dashboard cannot ask for a new file: set PLEO_KEYS_PASSPHRASE, or store the key with `pleo-keys set-key`.";

async fn unlock(paths: crate::config::Paths, passphrase: Zeroizing<String>) -> Done {
    let given = Passphrase::Given(secrecy::SecretString::from(passphrase.to_string()));
    drop(passphrase);
    let store = match SecretStore::open(StoreChoice::File, &paths, given) {
        Ok(s) => s,
        Err(e) => {
            return Done::Msg(Box::new(Msg::StoreUnlocked(Err(e.to_string()))));
        }
    };
    let result = match store.load().await {
        Ok(key) => Ok(key.is_some()),
        Err(StoreError::WrongPassphrase { .. }) => {
            Err("Wrong passphrase for the key file: try again.".to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    Done::Unlocked { store, result }
}

/// The lifecycle a procedure ended in. A run's own verdict, unless storing its result failed;
/// procedures without a run (no key, storage, superseded) are read back from the report.
pub fn lifecycle_of(outcome: &Outcome) -> Lifecycle {
    let report = &outcome.report;
    if report.reason == "storage_error" {
        let detail = report
            .message
            .strip_prefix("Storage problem: ")
            .unwrap_or(&report.message);
        return Lifecycle::StorageError {
            detail: detail.to_string(),
        };
    }
    if let Some(run) = &outcome.run {
        return run.lifecycle();
    }
    match report.reason.as_str() {
        "not_configured" => Lifecycle::NotConfigured,
        "replacement_pending" => Lifecycle::Superseded {
            detail: report.message.clone(),
        },
        "unreachable" => Lifecycle::Degraded(Degradation::Unreachable {
            detail: report
                .message
                .strip_prefix("Pleo unreachable: ")
                .unwrap_or(&report.message)
                .trim_end_matches('.')
                .to_string(),
        }),
        _ => Lifecycle::Degraded(Degradation::UnexpectedResponse {
            detail: report.message.clone(),
        }),
    }
}

pub fn run_result(outcome: Outcome) -> RunResult {
    RunResult {
        lifecycle: lifecycle_of(&outcome),
        committed: outcome.committed,
        report: outcome.report,
    }
}

/// One sandbox switch, applied to the key in use and the connected company.
pub fn apply_sandbox(
    control: &SandboxControl,
    action: SandboxAction,
    key: Option<&str>,
    company_id: Option<&str>,
) -> Result<String, String> {
    let need_key = || key.ok_or_else(|| "no key is in use".to_string());
    let urn = || {
        company_id
            .map(|id| format!("urn:pleo:company:{id}"))
            .ok_or_else(|| "no company is connected yet".to_string())
    };
    let done = match action {
        SandboxAction::RevokeKey => {
            control.revoke(need_key()?);
            "key revoked"
        }
        SandboxAction::ExpireKey => {
            control.expire(need_key()?);
            "key expired"
        }
        SandboxAction::RestoreKey => {
            control.restore(need_key()?);
            "key restored"
        }
        SandboxAction::DropScope => {
            control.remove_scope(need_key()?, "export-jobs:write");
            "export-jobs:write dropped from the key"
        }
        SandboxAction::InstallationError => {
            control.set_installation(&urn()?, "ERROR", Some("NOT_ENTITLED"), true);
            "installation set to ERROR (NOT_ENTITLED)"
        }
        SandboxAction::InstallationInactive => {
            control.set_installation(&urn()?, "INACTIVE", None, false);
            "installation set to INACTIVE"
        }
        SandboxAction::RateLimitStorm => {
            control.rate_limit(RetryAfter::Seconds(30), None);
            "429 storm on (Retry-After 30 s) until faults are cleared"
        }
        SandboxAction::Outage => {
            control.outage(503, None);
            "outage on (503) until faults are cleared"
        }
        SandboxAction::SlowResponses => {
            control.slow(Some(Duration::from_secs(3)));
            "responses slowed to 3 s until faults are cleared"
        }
        SandboxAction::ClearFaults => {
            control.clear_faults();
            "faults cleared"
        }
        SandboxAction::Reset => {
            control.reset();
            "sandbox reset"
        }
    };
    Ok(done.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(state: &Lifecycle) -> Outcome {
        Outcome {
            report: Report::bare(state, "sandbox", "http://127.0.0.1:1"),
            run: None,
            committed: false,
        }
    }

    #[test]
    fn runless_outcomes_read_back_their_lifecycle() {
        for state in [
            Lifecycle::NotConfigured,
            Lifecycle::StorageError {
                detail: "disk full".into(),
            },
            Lifecycle::Superseded {
                detail: "A replacement did not complete.".into(),
            },
            Lifecycle::Degraded(Degradation::Unreachable {
                detail: "bad URL".into(),
            }),
        ] {
            assert_eq!(lifecycle_of(&bare(&state)), state);
        }
    }
}
