//! Turning flags, environment and config into an [`Engine`]; logging; shutdown signals.

use crate::cli::Cli;
use crate::config::{Config, Paths};
use crate::lifecycle::engine::Engine;
use crate::lifecycle::scopes;
use crate::pleo::{CallLog, ClientSettings, Endpoint, Environment};
use crate::sandbox::Sandbox;
use crate::secret::ApiKey;
use crate::store::{AuditLog, Passphrase, SecretStore, StoreChoice};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Setup {
    pub engine: Engine,
    /// The dashboard's revalidation interval from the config file (floored).
    pub revalidate_every: Duration,
    /// The sandbox's throw-away home, removed when the run ends.
    scratch: Option<PathBuf>,
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
        let home: Option<&Path> = scratch.as_deref().or(cli.home.as_deref());
        let paths = Paths::resolve(home).map_err(|e| e.to_string())?;
        paths.ensure_dirs().map_err(|e| e.to_string())?;
        let config = Config::load(&paths.config_file).map_err(|e| e.to_string())?;

        let endpoint = match sandbox {
            Some(s) => Endpoint::custom(&s.url(), "sandbox").map_err(|e| e.to_string())?,
            None => {
                let env_name = cli
                    .environment
                    .map(|e| e.as_str().to_string())
                    .or(config.environment.clone());
                match cli.base_url.as_deref().or(config.base_url.as_deref()) {
                    Some(url) => Endpoint::custom(url, env_name.as_deref().unwrap_or("custom"))
                        .map_err(|e| e.to_string())?,
                    None => Endpoint::for_environment(match env_name.as_deref() {
                        None | Some("production") => Environment::Production,
                        Some("staging") => Environment::Staging,
                        Some(other) => {
                            return Err(format!(
                                "environment {other:?} in {} is not production or staging",
                                paths.config_file.display()
                            ));
                        }
                    }),
                }
            }
        };

        let required_scopes = if !cli.require_scope.is_empty() {
            scopes::normalise(&cli.require_scope)
        } else if let Some(list) = &config.required_scopes {
            scopes::normalise(list)
        } else {
            scopes::normalise(scopes::DEFAULT_REQUIRED_SCOPES)
        };

        let mut settings = ClientSettings::default();
        if let Some(s) = config.connect_timeout_secs {
            settings.connect_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = config.request_timeout_secs {
            settings.request_timeout = Duration::from_secs(s.max(1));
        }

        // The sandbox never picks up an operator's real key from the environment.
        let env_key = match std::env::var("PLEO_API_KEY") {
            Ok(raw) if sandbox.is_none() && !raw.trim().is_empty() => Some(
                ApiKey::parse(&raw)
                    .map(|(k, _)| k)
                    .map_err(|e| format!("PLEO_API_KEY is set but unusable: {e}"))?,
            ),
            _ => None,
        };

        let store = if sandbox.is_some() {
            SecretStore::in_memory()
        } else if let (Some(key), Some(crate::cli::Command::Check(_))) = (&env_key, &cli.command) {
            // `check` with PLEO_API_KEY never touches a key store: no D-Bus probe from cron.
            SecretStore::environment(key.clone())
        } else {
            let choice: StoreChoice = cli
                .secret_store
                .as_deref()
                .or(config.secret_store.as_deref())
                .unwrap_or("auto")
                .parse()
                .map_err(|e: String| format!("--secret-store: {e}"))?;
            SecretStore::open(choice, &paths, Passphrase::FromEnv).map_err(|e| e.to_string())?
        };

        let audit = AuditLog::new(&paths.audit_log);
        Ok(Setup {
            revalidate_every: config.revalidate_interval(),
            engine: Engine {
                paths,
                store,
                endpoint,
                settings,
                required_scopes,
                calls: CallLog::default(),
                audit,
                env_key,
            },
            scratch,
        })
    }
}

fn scratch_home() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "pleo-keys-sandbox-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| format!("could not create a sandbox home in {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Log to a daily file in the state dir, never to the terminal. `PLEO_KEYS_LOG` sets the filter.
pub fn init_logging(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("pleo-keys")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
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

/// Ctrl-C, SIGTERM or SIGHUP (the SSH session dropped).
pub async fn wait_for_shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let hup = signal(SignalKind::hangup());
    match (term, hup) {
        (Ok(mut term), Ok(mut hup)) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
