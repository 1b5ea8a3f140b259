//! From flags, environment and config to an [`Engine`]: the home, the key store, one HTTP
//! client; and logging to a private file.

use super::output;
use crate::cli::{Cli, Command};
use crate::lifecycle::Engine;
use crate::lifecycle::engine::system_clock;
use crate::pleo::{CallLog, PleoClient};
use crate::sandbox::Sandbox;
use crate::settings::{Overrides, Settings};
use crate::store::history::CallHistory;
use crate::store::{Home, SecretStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Setup {
    pub settings: Settings,
    pub engine: Arc<Engine>,
    /// The one HTTP client (its pool serves the gateway's forwarding too).
    pub client: Arc<PleoClient>,
    pub calls: CallLog,
    /// The sandbox's throw-away home, removed when the run ends.
    scratch: Option<PathBuf>,
    _log: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Setup {
    pub fn new(cli: &Cli, sandbox: Option<&Sandbox>) -> Result<Setup, String> {
        let scratch = match sandbox {
            Some(_) => Some(scratch_home()?),
            None => None,
        };
        let overrides = Overrides {
            home: cli.home.clone(),
            environment: cli.environment,
            base_url: cli.base_url.clone(),
            secret_store: cli.secret_store,
            require_scope: cli.require_scope.clone(),
            revalidate_every: match &cli.command {
                Some(Command::Proxy(p)) => p.revalidate_every.or(cli.revalidate_every),
                _ => cli.revalidate_every,
            },
        };
        let sandbox_site = match (sandbox, &scratch) {
            (Some(s), Some(dir)) => Some((s.url(), dir.clone())),
            _ => None,
        };
        let settings = Settings::resolve(
            &overrides,
            sandbox_site
                .as_ref()
                .map(|(u, d)| (u.as_str(), d.as_path())),
        )?;
        let log = init_logging(&settings.paths.log_dir);
        let one_run_only = matches!(cli.command, Some(Command::Check(_)));
        let store = match (&settings.env_key, sandbox) {
            (_, Some(_)) => SecretStore::in_memory(),
            // `check` with PLEO_API_KEY never touches a key store: no D-Bus probe from cron.
            (Some(key), None) if one_run_only => SecretStore::environment(key.clone()),
            _ => SecretStore::open(
                settings.store_choice,
                &settings.store_site(),
                settings.passphrase.clone(),
            )
            .map_err(|e| e.to_string())?,
        };
        // Every call this process makes shows in the home's call history (the dashboard's list).
        let calls = CallLog::with_history(CallHistory::new(&settings.paths.call_history));
        let client = Arc::new(
            PleoClient::new(
                settings.endpoint.clone(),
                settings.client.clone(),
                calls.clone(),
            )
            .map_err(|e| e.to_string())?,
        );
        let engine = Engine {
            home: Home::unchecked(settings.paths.clone()),
            store,
            pleo: client.clone(),
            endpoint: settings.endpoint.clone(),
            required_scopes: settings.required_scopes.clone(),
            // The gateway serves the stored key only: PLEO_API_KEY is what `exec` hands out.
            env_key: settings
                .env_key
                .clone()
                .filter(|_| !serves_stored_key(&cli.command)),
            clock: system_clock(),
        };
        if cli.command.is_some() {
            crate::store::lock::set_wait_notice(|msg| output::err(&format!("{msg}…")));
        }
        Ok(Setup {
            settings,
            engine: Arc::new(engine),
            client,
            calls,
            scratch,
            _log: log,
        })
    }
}

fn serves_stored_key(command: &Option<Command>) -> bool {
    matches!(
        command,
        Some(Command::Proxy(_) | Command::Exec(_) | Command::Api(_))
    )
}

const SCRATCH_PREFIX: &str = "pleo-keys-sandbox-";

/// A throw-away home for `--sandbox`, removed when the run ends (any signal included). One left
/// by a run that was killed outright (SIGKILL, a crash) is removed by the next sandbox run: its
/// `pid` file names a process that is gone.
fn scratch_home() -> Result<PathBuf, String> {
    remove_abandoned_scratch_homes(&std::env::temp_dir());
    let dir =
        std::env::temp_dir().join(format!("{SCRATCH_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    crate::store::files::ensure_private_dir(&dir)
        .map_err(|e| format!("could not create a sandbox home: {e}"))?;
    let _ = crate::store::files::write_atomic(
        &dir.join("pid"),
        std::process::id().to_string().as_bytes(),
    );
    Ok(dir)
}

fn remove_abandoned_scratch_homes(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(SCRATCH_PREFIX));
        // Only our own folders (a private one of this user), never a link.
        if !ours || crate::store::files::check_dir_private(&path).is_err() {
            continue;
        }
        let owner = crate::store::files::read_private(
            &path.join("pid"),
            32,
            crate::store::files::Readers::OwnerOnly,
        )
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8_lossy(&b).trim().parse::<u32>().ok());
        if owner.is_some_and(|pid| !crate::store::lock::process_alive(pid)) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Log to a daily file in the state dir (private: the folder is 0700 and the process umask
/// 077), never to the terminal. `PLEO_KEYS_LOG` sets the filter.
pub fn init_logging(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("pleo-keys")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir)
        .ok()?;
    // A small queue: the default (128 000 lines, ~4 MB set up at every start) costs a
    // short-lived `check` a millisecond; these processes log a few lines a minute.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLEO_KEYS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
