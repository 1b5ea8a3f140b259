//! `pleo-keys` with no command on a terminal: build the model from what is stored, take over the
//! terminal, run the loop, give the terminal back.

use super::terminal::TerminalGuard;
use super::{Services, Signals};
use crate::app::{App, Context, Facts, Overlay, PassphrasePrompt, Theme};
use crate::commands::EXIT_UNKNOWN;
use crate::lifecycle::engine::Engine;
use crate::sandbox::{DEMO_KEYS, Sandbox};
use crate::store::{StoreKind, load_last_check, load_state};
use ratatui::crossterm::event;
use std::time::Duration;

/// Run the dashboard; returns the process exit code.
pub async fn run_dashboard(
    engine: &Engine,
    sandbox: Option<&Sandbox>,
    theme: Theme,
    revalidate_every: Duration,
) -> i32 {
    let mut services = Services::new(engine, sandbox.map(Sandbox::control));
    let app = build_app(
        &services.engine,
        sandbox.is_some(),
        theme,
        revalidate_every,
        jiff::Timestamp::now(),
    );
    let mut guard = match TerminalGuard::enter() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("pleo-keys: could not take over the terminal: {e}");
            return EXIT_UNKNOWN;
        }
    };
    match Signals::install() {
        Ok(s) => services.signals = Some(s),
        Err(e) => tracing::warn!(error = %e, "no signal handlers; Ctrl-C and q still quit"),
    }
    let input = spawn_input_thread();
    tracing::info!("dashboard started");
    let app = super::run(app, guard.terminal(), input, services).await;
    drop(guard);
    tracing::info!(state = app.lifecycle.reason(), "dashboard ended");
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

/// The model at start-up, from the engine's paths and the state files (no store or network access).
pub fn build_app(
    engine: &Engine,
    sandbox: bool,
    theme: Theme,
    revalidate_every: Duration,
    now: jiff::Timestamp,
) -> App {
    let paths = &engine.paths;
    let ctx = Context {
        environment: engine.endpoint.environment.clone(),
        base_url: engine.endpoint.base_url.to_string(),
        sandbox,
        version: env!("CARGO_PKG_VERSION"),
        config_file: paths.config_file.clone(),
        state_file: paths.state_file.clone(),
        audit_log: paths.audit_log.clone(),
        log_dir: paths.log_dir.clone(),
        store: engine.store.location(),
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
    let state = load_state(&paths.state_file).ok().flatten();
    let last = load_last_check(&paths.last_check_file).ok().flatten();
    let mut facts = Facts::default();
    if let Some(s) = &state {
        facts.company_id = Some(s.company_id.clone());
        facts.company_name = s.company_name.clone();
        facts.key_hint = Some(s.key_hint.clone()).filter(|h| !h.is_empty());
        facts.installation_status = Some(s.installation_status.clone()).filter(|h| !h.is_empty());
        facts.required_scopes = s.required_scopes.clone();
        facts.granted_scopes = s.granted_scopes.clone();
        facts.expires_on = s.key_expires_on;
        facts.key_source = Some(engine.store.location());
    }
    if let Some(l) = &last {
        facts.last_checked_at = Some(l.checked_at);
        facts.last_success_at = l.last_success_at;
    }
    if let Some(k) = &engine.env_key {
        facts.key_hint = Some(k.hint());
        facts.key_source = Some("the PLEO_API_KEY environment variable (not stored)".into());
    }
    let file_store = engine.store.kind() == StoreKind::EncryptedFile;
    let key_file = file_store && paths.secret_file.exists();
    let has_key = engine.env_key.is_some() || state.is_some() || key_file;
    let mut app = App::new(ctx, facts, has_key, theme, now);
    // The passphrase is asked inside the dashboard: a raw-mode terminal cannot take a prompt.
    let no_passphrase =
        engine.env_key.is_none() && std::env::var_os("PLEO_KEYS_PASSPHRASE").is_none();
    if key_file && no_passphrase {
        app.overlay = Overlay::Passphrase(PassphrasePrompt::default());
    }
    // A new key file: the first key entered asks for the passphrase to encrypt it with.
    app.needs_new_passphrase = file_store && !key_file && no_passphrase;
    app
}
