//! `pleo-keys` with no command on a terminal: build the model from what is stored, take over the
//! terminal, run the loop, give the terminal back.

use super::Services;
use super::terminal::TerminalGuard;
use crate::app::model::MAX_CALLS;
use crate::app::{App, Context, Overlay, PassphrasePrompt, Theme};
use crate::commands::setup::Setup;
use crate::commands::{EXIT_UNKNOWN, output};
use crate::gateway::running::ProxyInfo;
use crate::lifecycle::Engine;
use crate::sandbox::{DEMO_KEYS, Sandbox};
use crate::signals::Shutdown;
use crate::store::PassphraseNeed;
use crate::store::history::{CallHistory, HistoryTail};
use ratatui::crossterm::event;
use std::time::Duration;

/// Run the dashboard; returns the process exit code.
pub async fn run_dashboard(setup: &Setup, sandbox: Option<&Sandbox>, theme: Theme) -> i32 {
    let engine = &setup.engine;
    let mut app = build_app(
        engine,
        sandbox.is_some(),
        theme,
        setup.settings.revalidate_every,
        jiff::Timestamp::now(),
    );
    if let Some(note) = &setup.settings.revalidate_note {
        tracing::info!(%note, "revalidation interval clamped");
        app.notice = Some(crate::app::Banner::new(
            crate::app::BannerLevel::Info,
            crate::domain::sentence(note),
        ));
    }
    let watch = crate::store::watch::watch_home(&engine.home.paths);
    let (_watch, changes) = match watch {
        Some((w, rx)) => (Some(w), Some(rx)),
        None => (None, None),
    };
    let mut services = Services {
        engine: engine.clone(),
        sandbox: sandbox.map(Sandbox::control),
        calls: Some(setup.calls.subscribe()),
        signals: None,
        changes,
        history: Some(HistoryTail::new(CallHistory::new(
            &engine.home.paths.call_history,
        ))),
        clipboard: super::osc52(),
        clock: crate::lifecycle::engine::system_clock(),
    };
    let mut guard = match TerminalGuard::enter() {
        Ok(g) => g,
        Err(e) => {
            output::err(&format!("could not take over the terminal: {e}"));
            return EXIT_UNKNOWN;
        }
    };
    match Shutdown::install() {
        Ok(s) => services.signals = Some(s),
        Err(e) => tracing::warn!(error = %e, "no signal handlers; Ctrl-C and q still quit"),
    }
    let input = spawn_input_thread();
    tracing::info!("dashboard started");
    let app = super::run(app, guard.terminal(), input, services).await;
    drop(guard);
    tracing::info!(state = %app.reason, "dashboard ended");
    0
}

/// Terminal events read on a plain thread: `event::read` blocks and cannot be cancelled, so this
/// thread must not hold up the tokio runtime's shutdown (as a `spawn_blocking` task would).
fn spawn_input_thread() -> tokio::sync::mpsc::UnboundedReceiver<event::Event> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                match event::read() {
                    Ok(ev) => {
                        if tx.send(ev).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        // Closing the channel tells the loop the terminal is gone.
                        tracing::warn!(error = %e, "terminal input ended");
                        break;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the input thread");
    }
    rx
}

/// The model at start-up, from what is stored (no key store access beyond asking whether it
/// needs a passphrase, no network).
pub fn build_app(
    engine: &Engine,
    sandbox: bool,
    theme: Theme,
    revalidate_every: Duration,
    now: jiff::Timestamp,
) -> App {
    let paths = &engine.home.paths;
    let ctx = Context {
        environment: engine.endpoint.environment,
        base_url: engine.endpoint.base_url.to_string(),
        sandbox,
        version: env!("CARGO_PKG_VERSION"),
        config_file: paths.config_file.clone(),
        state_file: paths.state_file.clone(),
        audit_log: paths.audit_log.clone(),
        log_dir: paths.log_dir.clone(),
        store: engine.store.location(),
        required_scopes: engine.required_scopes.clone(),
        proxy: crate::pleo::proxy::in_use(&engine.endpoint),
        revalidate_every,
        demo_keys: if sandbox {
            DEMO_KEYS
                .iter()
                .map(|k| (k.name.to_string(), k.key.to_string(), k.shows.to_string()))
                .collect()
        } else {
            Vec::new()
        },
    };
    let stored = engine.status();
    let need = engine.store.passphrase_need();
    let key_file = need == Some(PassphraseNeed::Unlock);
    let has_key = engine.env_key.is_some() || stored.facts.is_some() || key_file;
    let mut app = App::new(ctx, stored.facts.clone(), has_key, theme, now);
    // What every process of this home called lately, this dashboard's earlier runs included.
    let history = CallHistory::new(&paths.call_history);
    app.calls = history.recent(MAX_CALLS).unwrap_or_default().into();
    app.proxies = ProxyInfo::running(paths);
    app.last_checked_at = stored.checked_at;
    if !has_key {
        app.lifecycle = stored.lifecycle;
        app.reason = stored.reason;
    }
    // The passphrase is asked inside the dashboard: a raw-mode terminal cannot take a prompt.
    // Waiting for the passphrase is its own state, not an activation.
    if key_file && engine.env_key.is_none() {
        app.overlay = Overlay::Passphrase(PassphrasePrompt::default());
        app.lifecycle = crate::lifecycle::Lifecycle::StorageError {
            detail: "The stored key is locked in its encrypted file.".into(),
            needs_passphrase: true,
        };
        app.reason = app.lifecycle.reason();
    }
    // A new key file: the first key entered asks for the passphrase to encrypt it with.
    app.needs_new_passphrase = need == Some(PassphraseNeed::Choose);
    app
}
