//! The event loop: the one owner of `App`. Inputs (terminal events, task results, signals, timers)
//! become messages for `update`; the commands it returns are carried out by tasks that report back
//! only by sending a message. The screen is drawn after each batch of messages, never on a frame clock.

pub mod background;
mod basic_colors;
pub mod dashboard;
mod others;
mod sandbox_switches;
pub mod terminal;

use crate::app::{App, Attempt, Cmd, Msg, Overlay, update};
use crate::lifecycle::Engine;
use crate::lifecycle::engine::Clock;
use crate::pleo::CallRecord;
use crate::sandbox::SandboxControl;
use crate::signals::Shutdown;
use crate::store::history::{CallSource, HistoryTail};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

pub use dashboard::run_dashboard;
pub use sandbox_switches::apply_sandbox;

/// The spinner's frame interval, only while something animates.
pub const SPINNER_TICK: Duration = Duration::from_millis(100);
/// At most this many messages are folded in before the screen is drawn again.
const MAX_BATCH: usize = 256;
/// Another process's writes come in bursts (key, state, last check): read them once, after this.
const RELOAD_DELAY: Duration = Duration::from_millis(150);

/// What the loop drives besides the terminal.
pub struct Services {
    pub engine: Arc<Engine>,
    pub sandbox: Option<SandboxControl>,
    /// Every call the engine's client makes.
    pub calls: Option<UnboundedReceiver<CallRecord>>,
    /// `None` in tests: no process-wide signal handlers.
    pub signals: Option<Shutdown>,
    /// Another process changed the home (see `store::watch`).
    pub changes: Option<UnboundedReceiver<()>>,
    /// Other processes' calls (the proxy's, `api`'s), read as they are appended.
    pub history: Option<HistoryTail>,
    /// Where `y`/`Y` put text: the terminal's clipboard (OSC 52); a recorder in tests.
    pub clipboard: Clipboard,
    pub clock: Clock,
}

/// Puts text on the clipboard.
pub type Clipboard = Arc<dyn Fn(&str) + Send + Sync>;

/// The terminal's clipboard through OSC 52, which SSH and tmux (`set-clipboard on`) carry to the
/// operator's machine. Written between frames: it moves no cursor and draws nothing.
pub fn osc52() -> Clipboard {
    Arc::new(|text: &str| {
        use base64::Engine as _;
        use std::io::Write as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\x1b]52;c;{encoded}\x07");
        let _ = out.flush();
    })
}

/// A finished task's message; an activation's is told apart so that changes to the home made
/// while it ran (by itself) are read only once it is done.
enum Done {
    Msg(Msg),
    Activation(Msg),
}

struct Runtime {
    clipboard: Clipboard,
    engine: Arc<Engine>,
    sandbox: Option<SandboxControl>,
    clock: Clock,
    tx: UnboundedSender<Done>,
    check_at: Option<Instant>,
    /// When to read the home again after another process changed it.
    reload_at: Option<Instant>,
    /// Activations running: the home's changes are theirs until they report.
    activations: usize,
    reload_after_activation: bool,
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
        mut changes,
        history,
        clipboard,
        clock,
    } = services;
    let (tx, mut done_rx) = unbounded_channel();
    if let Some(tail) = history {
        others::watch(engine.clone(), tail, app.proxies.clone(), tx.clone());
    }
    let mut rt = Runtime {
        clipboard,
        engine,
        sandbox,
        clock,
        tx,
        check_at: None,
        reload_at: None,
        activations: 0,
        reload_after_activation: false,
    };
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    // Draw first: the screen is up before any network answer.
    draw(terminal, &app);
    if app.has_key
        && app.lifecycle == crate::lifecycle::Lifecycle::Activating
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
            Some(call) = recv_opt(&mut calls) => Some(Msg::Call(call.entry(CallSource::Check))),
            Some(()) = recv_opt(&mut changes) => {
                rt.on_home_changed();
                None
            }
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
            () = sleep_opt(rt.reload_at) => {
                rt.reload_at = None;
                rt.reload();
                None
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
                Some(Msg::Call(call.entry(CallSource::Check)))
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
        let into_second =
            u64::try_from(clock().subsec_nanosecond().rem_euclid(1_000_000_000)).unwrap_or(0);
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

async fn signal_opt(signals: &mut Option<Shutdown>) {
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
    fn on_done(&mut self, done: Done) -> Option<Msg> {
        match done {
            Done::Msg(msg) => Some(msg),
            Done::Activation(msg) => {
                self.activations = self.activations.saturating_sub(1);
                if self.activations == 0 && std::mem::take(&mut self.reload_after_activation) {
                    // After the result is folded in, so its own commit reads as no news.
                    self.reload_at = Some(Instant::now());
                }
                Some(msg)
            }
        }
    }

    fn on_home_changed(&mut self) {
        if self.activations > 0 {
            self.reload_after_activation = true;
        } else if self.reload_at.is_none() {
            self.reload_at = Some(Instant::now() + RELOAD_DELAY);
        }
    }

    /// Read what is stored now; the dashboard compares it with what it shows.
    fn reload(&self) {
        let engine = Arc::clone(&self.engine);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Ok(stored) = tokio::task::spawn_blocking(move || engine.status()).await {
                let _ = tx.send(Done::Msg(Msg::StoreChanged(Box::new(stored))));
            }
        });
    }

    /// One message through `update`, its commands carried out. `true` when the loop must end.
    fn step(&mut self, app: &mut App, msg: Msg) -> bool {
        app.now = (self.clock)();
        let mut quit = false;
        for cmd in update(app, msg) {
            quit |= self.execute(app, cmd);
        }
        quit || app.should_quit
    }

    /// Run `work` in a task; its result comes back as a message. A task that panics ends the
    /// dashboard (the panic hook has already restored the terminal).
    fn spawn<F>(&self, work: F)
    where
        F: Future<Output = Msg> + Send + 'static,
    {
        self.spawn_as(work, Done::Msg);
    }

    /// An activation: the home's changes while it runs are its own.
    fn spawn_activation<F>(&mut self, work: F)
    where
        F: Future<Output = Msg> + Send + 'static,
    {
        self.activations += 1;
        self.spawn_as(work, Done::Activation);
    }

    fn spawn_as<F>(&self, work: F, wrap: fn(Msg) -> Done)
    where
        F: Future<Output = Msg> + Send + 'static,
    {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = tokio::spawn(work).await.unwrap_or(Msg::Shutdown);
            // The loop has ended when the receiver is gone; nothing to report to then.
            let _ = tx.send(wrap(msg));
        });
    }

    fn execute(&mut self, app: &App, cmd: Cmd) -> bool {
        let engine = Arc::clone(&self.engine);
        match cmd {
            Cmd::Check { generation } => self.spawn(async move {
                Msg::CheckFinished {
                    generation,
                    outcome: Box::new(engine.check().await),
                }
            }),
            Cmd::Activate {
                generation,
                attempt,
            } => self.spawn_activation(async move {
                let outcome = match &attempt.key {
                    Some(key) => engine.replace_key(key.clone(), &attempt.opts).await,
                    None => engine.reactivate(&attempt.opts).await,
                };
                Msg::ActivationFinished {
                    generation,
                    outcome: Box::new(outcome),
                    attempt: Attempt { ..attempt },
                }
            }),
            Cmd::DeclineCompanyChange {
                generation,
                key,
                company,
            } => self.spawn_activation(async move {
                Msg::CheckFinished {
                    generation,
                    outcome: Box::new(engine.decline_company_change(&key, Some(company)).await),
                }
            }),
            Cmd::ScheduleCheck { at } => {
                let wait =
                    Duration::try_from(at.duration_since((self.clock)())).unwrap_or(Duration::ZERO);
                self.check_at = Some(Instant::now() + wait);
            }
            Cmd::Unlock { passphrase } => self.spawn(async move {
                Msg::StoreUnlocked(match engine.store.unlock(passphrase).await {
                    Ok(has_key) => Ok(has_key),
                    Err(e) if e.is_wrong_passphrase() => {
                        Err("Wrong passphrase for the key file: try again.".to_string())
                    }
                    Err(e) => Err(e.to_string()),
                })
            }),
            Cmd::SetExpiry { date } => self.spawn_activation(async move {
                Msg::ExpirySet(
                    engine
                        .set_expiry(date)
                        .await
                        .map(Box::new)
                        .map_err(|e| crate::domain::sentence(&e.to_string())),
                )
            }),
            Cmd::Sandbox { action } => match self.sandbox.clone() {
                None => {
                    let _ = self.tx.send(Done::Msg(Msg::SandboxDone(Err(
                        "this run has no sandbox".into(),
                    ))));
                }
                Some(control) => {
                    let company = app.facts.as_ref().map(|f| f.company_id);
                    self.spawn(async move {
                        let key = engine.current_key().await.ok().flatten().map(|(k, _)| k);
                        Msg::SandboxDone(apply_sandbox(&control, action, key.as_ref(), company))
                    });
                }
            },
            Cmd::Copy { text } => (self.clipboard)(&text),
            Cmd::Quit => return true,
        }
        false
    }
}
