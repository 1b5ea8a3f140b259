//! One precedence for every setting: flags > environment > `config.toml` > defaults. Also where
//! the passphrase comes from for services and cron, and the one-run `PLEO_API_KEY`.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::Environment;
use crate::domain::scopes::{self, DEFAULT_REQUIRED_SCOPES};
use crate::pleo::{ClientSettings, Endpoint};
use crate::secret::ApiKey;
use crate::store::files::{self, MAX_CONFIG_BYTES, Readers};
use crate::store::{Paths, StoreChoice, StoreError};

/// How often a running dashboard revalidates the key when the config does not say.
pub const DEFAULT_REVALIDATE_EVERY: Duration = Duration::from_secs(5 * 60);

/// Revalidating more often than this only burns rate limit.
pub const MIN_REVALIDATE_EVERY: Duration = Duration::from_secs(30);

/// A key is checked at least this often, whatever is configured.
pub const MAX_REVALIDATE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Longest network timeout accepted from the config.
const MAX_TIMEOUT_SECS: u64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error(
        "config file {}{}: {problem}. Fix it, or move the file away to use the defaults",
        path.display(),
        line.map(|l| format!(", line {l}")).unwrap_or_default()
    )]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
}

/// `config.toml`. Every field is optional; unknown keys are refused so typos do not pass silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub environment: Option<String>,
    pub base_url: Option<String>,
    pub required_scopes: Option<Vec<String>>,
    /// Like "5m" or "30s"; floored at 30 s.
    pub revalidate_every: Option<String>,
    pub connect_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    /// "auto", "keyring" or "file".
    pub secret_store: Option<String>,
    /// The dashboard's colours: "default", "light", "dark" or "mono".
    pub theme: Option<String>,
    /// `[proxy]`: the gateway's address and company parameters.
    pub proxy: Option<ProxyConfig>,
}

/// `[proxy]` in `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// `127.0.0.1:8790`, `unix:/run/…/proxy.sock`.
    pub listen: Option<String>,
    /// Path prefix → the query parameter that carries the company for an organisation-level
    /// key (`""`: add none), over the built-in table.
    pub company_params: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// A missing file means defaults; anything else wrong is an error naming the file and the
    /// line. A config file another user could change is refused: it names where the key goes.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let Some(bytes) = files::read_private(path, MAX_CONFIG_BYTES, Readers::AnyoneMayRead)?
        else {
            return Ok(Config::default());
        };
        let text = String::from_utf8_lossy(&bytes);
        Config::parse(&text, path)
    }

    /// Parse and validate TOML text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: e.span().map(|span| line_of(text, span.start)),
            problem: e.message().trim().to_owned(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |problem: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: None,
            problem,
        };
        if let Some(every) = &self.revalidate_every {
            parse_interval(every).map_err(|p| invalid(format!("revalidate_every: {p}")))?;
        }
        if let Some(store) = &self.secret_store {
            store
                .parse::<StoreChoice>()
                .map_err(|p| invalid(format!("secret_store: {p}")))?;
        }
        if let Some(theme) = &self.theme
            && self.theme_choice().is_none()
        {
            return Err(invalid(format!(
                "theme {theme:?} is not default, light, dark or mono"
            )));
        }
        for (name, value) in [
            ("connect_timeout_secs", self.connect_timeout_secs),
            ("request_timeout_secs", self.request_timeout_secs),
        ] {
            match value {
                Some(0) => return Err(invalid(format!("{name} must be at least 1"))),
                Some(v) if v > MAX_TIMEOUT_SECS => {
                    return Err(invalid(format!(
                        "{name} must be at most {MAX_TIMEOUT_SECS}"
                    )));
                }
                _ => {}
            }
        }
        if let Some(proxy) = &self.proxy {
            if let Some(listen) = &proxy.listen {
                listen
                    .parse::<crate::gateway::listen::Listen>()
                    .map_err(|p| invalid(format!("proxy.listen: {p}")))?;
            }
            if let Some(prefix) = proxy.company_params.keys().find(|k| !k.starts_with('/')) {
                return Err(invalid(format!(
                    "proxy.company_params: {prefix:?} must be a path starting with /"
                )));
            }
        }
        if let Some(env) = &self.environment
            && Environment::parse_setting(env).is_none()
        {
            return Err(invalid(format!(
                "environment {env:?} is not production or staging"
            )));
        }
        if let Some(scopes) = &self.required_scopes
            && scopes.iter().any(|s| s.trim().is_empty())
        {
            return Err(invalid("required_scopes contains an empty scope".into()));
        }
        Ok(())
    }

    /// The configured revalidation interval (unclamped), when there is one.
    pub fn revalidate_interval(&self) -> Option<Duration> {
        self.revalidate_every
            .as_deref()
            .and_then(|s| parse_interval(s).ok())
    }

    /// The proxy's configured address (validated at load).
    pub fn proxy_listen(&self) -> Option<crate::gateway::listen::Listen> {
        self.proxy.as_ref()?.listen.as_deref()?.parse().ok()
    }

    /// The company parameter table with the config's overrides.
    pub fn company_params(&self) -> crate::gateway::scope::CompanyParams {
        let overrides = self.proxy.iter().flat_map(|p| {
            p.company_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
        });
        crate::gateway::scope::CompanyParams::with_overrides(overrides)
    }

    /// The configured secret store, when set (validated at load).
    pub fn secret_store_choice(&self) -> Option<StoreChoice> {
        self.secret_store.as_deref().and_then(|s| s.parse().ok())
    }

    /// The configured theme (validated at load).
    pub fn theme_choice(&self) -> Option<crate::app::Theme> {
        let theme = self.theme.as_deref()?.trim();
        <crate::app::Theme as clap::ValueEnum>::from_str(theme, true).ok()
    }
}

/// An interval within the bounds, and a sentence when it had to be moved into them.
pub fn clamp_interval(asked: Duration) -> (Duration, Option<String>) {
    let kept = asked.clamp(MIN_REVALIDATE_EVERY, MAX_REVALIDATE_EVERY);
    let note = (kept != asked).then(|| {
        format!(
            "the revalidation interval {} was changed to {}: checks run at least every 24 h and at most every 30 s (more often only burns rate limit)",
            human_interval(asked),
            human_interval(kept)
        )
    });
    (kept, note)
}

/// "30 s", "5 min", "2 h": an interval as the notes say it.
pub fn human_interval(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// "5m", "30s", "1h 30m", or ISO 8601 ("PT5M"); must be positive. A huge value is kept as
/// given here and clamped by [`clamp_interval`].
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let shown = crate::domain::sanitize(text, 40);
    let d: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("'{shown}' is not a duration; write it like \"5m\" or \"30s\""))?;
    if d.is_negative() || d.is_zero() {
        return Err(format!(
            "'{shown}' must be a positive duration, like \"5m\""
        ));
    }
    Ok(Duration::try_from(d).unwrap_or(MAX_REVALIDATE_EVERY))
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Everything a run needs to know, resolved once.
pub struct Settings {
    pub paths: Paths,
    pub config: Config,
    pub endpoint: Endpoint,
    pub required_scopes: Vec<String>,
    pub client: ClientSettings,
    pub store_choice: StoreChoice,
    pub revalidate_every: Duration,
    /// Said when the interval asked for had to be moved into bounds.
    pub revalidate_note: Option<String>,
    /// `PLEO_API_KEY`, a key for one run.
    pub env_key: Option<ApiKey>,
    /// The encrypted file store's passphrase, from where services and cron can give it.
    pub passphrase: Option<secrecy::SecretString>,
    pub work_factor: u8,
}

/// What the command line said (flags and their environment variables).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub home: Option<PathBuf>,
    pub environment: Option<Environment>,
    pub base_url: Option<String>,
    pub secret_store: Option<StoreChoice>,
    pub require_scope: Vec<String>,
    pub revalidate_every: Option<Duration>,
}

const PASSPHRASE_ENV: &str = "PLEO_KEYS_PASSPHRASE";
const PASSPHRASE_FILE_ENV: &str = "PLEO_KEYS_PASSPHRASE_FILE";
/// The credential name to give systemd's `LoadCredential=`.
pub const CREDENTIAL_NAME: &str = "pleo-keys-passphrase";
const WORK_FACTOR_ENV: &str = "PLEO_KEYS_SCRYPT_WORK_FACTOR";

impl Settings {
    /// Resolve flags, environment and config. `sandbox`: the in-process fake's URL and a
    /// throw-away home, which no setting can redirect.
    pub fn resolve(o: &Overrides, sandbox: Option<(&str, &Path)>) -> Result<Settings, String> {
        let home = sandbox.map(|(_, h)| h).or(o.home.as_deref());
        let paths = Paths::resolve(home).map_err(|e| e.to_string())?;
        paths.ensure_dirs().map_err(|e| e.to_string())?;
        let config = Config::load(&paths.config_file).map_err(|e| e.to_string())?;
        let environment = o.environment.or_else(|| {
            config
                .environment
                .as_deref()
                .and_then(Environment::parse_setting)
        });
        let endpoint = match sandbox {
            Some((url, _)) => Endpoint::custom(url, Environment::Sandbox),
            None => match o.base_url.as_deref().or(config.base_url.as_deref()) {
                Some(url) => Endpoint::custom(url, environment.unwrap_or(Environment::Custom)),
                None => Ok(Endpoint::for_environment(
                    environment.unwrap_or(Environment::Production),
                )),
            },
        }
        .map_err(|e| e.to_string())?;
        let required_scopes = if !o.require_scope.is_empty() {
            scopes::normalise(&o.require_scope)
        } else if let Some(list) = &config.required_scopes {
            scopes::normalise(list)
        } else {
            scopes::normalise(DEFAULT_REQUIRED_SCOPES)
        };
        let mut client = ClientSettings::default();
        if let Some(s) = config.connect_timeout_secs {
            client.connect_timeout = Duration::from_secs(s);
        }
        if let Some(s) = config.request_timeout_secs {
            client.request_timeout = Duration::from_secs(s);
        }
        let asked = o
            .revalidate_every
            .or_else(|| config.revalidate_interval())
            .unwrap_or(DEFAULT_REVALIDATE_EVERY);
        let (revalidate_every, revalidate_note) = clamp_interval(asked);
        // The sandbox never picks up an operator's real key or passphrase from the environment.
        let (env_key, passphrase) = if sandbox.is_some() {
            (None, None)
        } else {
            (env_api_key()?, passphrase_from_environment()?)
        };
        Ok(Settings {
            store_choice: o
                .secret_store
                .or(config.secret_store_choice())
                .unwrap_or_default(),
            paths,
            config,
            endpoint,
            required_scopes,
            client,
            revalidate_every,
            revalidate_note,
            env_key,
            passphrase,
            work_factor: work_factor_from_env()?,
        })
    }

    /// Where the key store lives for this home and environment.
    pub fn store_site(&self) -> crate::store::StoreSite {
        crate::store::StoreSite {
            key_file: self.paths.secret_file.clone(),
            keyring_user: crate::store::secret::keyring::entry_user(
                &self.paths.home,
                self.endpoint.environment,
            ),
            work_factor: self.work_factor,
        }
    }
}

fn env_api_key() -> Result<Option<ApiKey>, String> {
    match std::env::var("PLEO_API_KEY") {
        Ok(raw) if !raw.trim().is_empty() => ApiKey::parse(&raw)
            .map(|(k, _)| Some(k))
            .map_err(|e| format!("PLEO_API_KEY is set but unusable: {e}")),
        _ => Ok(None),
    }
}

/// PLEO_KEYS_PASSPHRASE, else the file PLEO_KEYS_PASSPHRASE_FILE names, else systemd's
/// credential `pleo-keys-passphrase` in $CREDENTIALS_DIRECTORY. A file must be private.
pub fn passphrase_from_environment() -> Result<Option<secrecy::SecretString>, String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV)
        && !p.is_empty()
    {
        return Ok(Some(secrecy::SecretString::from(p)));
    }
    let file = match std::env::var_os(PASSPHRASE_FILE_ENV) {
        Some(f) if !f.is_empty() => Some(PathBuf::from(f)),
        _ => std::env::var_os("CREDENTIALS_DIRECTORY")
            .filter(|d| !d.is_empty())
            .map(|d| PathBuf::from(d).join(CREDENTIAL_NAME))
            .filter(|p| p.exists()),
    };
    let Some(file) = file else {
        return Ok(None);
    };
    let bytes = files::read_private(&file, 4096, Readers::OwnerOnly)
        .map_err(|e| format!("the passphrase file: {e}"))?
        .ok_or_else(|| format!("the passphrase file {} does not exist", file.display()))?;
    let text = zeroize::Zeroizing::new(
        String::from_utf8(bytes).map_err(|_| format!("{} is not text", file.display()))?,
    );
    let passphrase = text.trim_end_matches(['\n', '\r']);
    if passphrase.is_empty() {
        return Err(format!("the passphrase file {} is empty", file.display()));
    }
    Ok(Some(secrecy::SecretString::from(passphrase.to_owned())))
}

fn work_factor_from_env() -> Result<u8, String> {
    use crate::store::secret::{
        DEFAULT_SCRYPT_WORK_FACTOR, MAX_SCRYPT_WORK_FACTOR, MIN_SCRYPT_WORK_FACTOR,
    };
    match std::env::var(WORK_FACTOR_ENV) {
        Err(_) => Ok(DEFAULT_SCRYPT_WORK_FACTOR),
        Ok(v) => match v.trim().parse::<u8>() {
            Ok(n) if (MIN_SCRYPT_WORK_FACTOR..=MAX_SCRYPT_WORK_FACTOR).contains(&n) => Ok(n),
            _ => Err(StoreError::BadWorkFactor {
                value: crate::domain::sanitize(&v, 20),
            }
            .to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn a_config_file_others_can_change_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        write(&path, "base_url = \"https://evil.example\"\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let msg = Config::load(&path).unwrap_err().to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
    }

    #[test]
    fn missing_file_is_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Config::load(&tmp.path().join("config.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.revalidate_interval(), None);
        assert_eq!(c.secret_store_choice(), None);
    }

    #[test]
    fn valid_file_parses() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        write(
            &path,
            r#"
environment = "staging"
base_url = "https://example.test"
required_scopes = ["export-jobs:read"]
revalidate_every = "2m"
connect_timeout_secs = 5
request_timeout_secs = 20
secret_store = "file"
theme = "light"
"#,
        );
        let c = Config::load(&path).unwrap();
        assert_eq!(c.theme_choice(), Some(crate::app::Theme::Light));
        assert_eq!(c.environment.as_deref(), Some("staging"));
        assert_eq!(c.revalidate_interval(), Some(Duration::from_secs(120)));
        assert_eq!(
            c.required_scopes,
            Some(vec!["export-jobs:read".to_string()])
        );
        assert_eq!(c.secret_store_choice(), Some(StoreChoice::File));
        assert_eq!(c.request_timeout_secs, Some(20));
    }

    #[test]
    fn an_unknown_theme_is_refused_with_the_choices() {
        let msg = Config::parse("theme = \"purple\"\n", Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("default, light, dark or mono"), "{msg}");
    }

    #[test]
    fn invalid_toml_names_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        write(&path, "environment = \"staging\"\nbase_url = \n");
        let msg = Config::load(&path).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("move the file away"), "{msg}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let err = Config::parse("revalidate_evry = \"5m\"\n", Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("revalidate_evry"), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn revalidate_every_is_clamped_and_says_so() {
        let p = Path::new("c.toml");
        let c = Config::parse("revalidate_every = \"5s\"", p).unwrap();
        let (kept, note) = clamp_interval(c.revalidate_interval().unwrap());
        assert_eq!(kept, MIN_REVALIDATE_EVERY);
        assert!(note.unwrap().contains("5 s was changed to 30 s"));
        let c = Config::parse("revalidate_every = \"1h 30m\"", p).unwrap();
        assert_eq!(
            clamp_interval(c.revalidate_interval().unwrap()),
            (Duration::from_secs(90 * 60), None)
        );
        let huge = parse_interval("300000000000s").unwrap();
        assert_eq!(clamp_interval(huge).0, MAX_REVALIDATE_EVERY);
        assert!(Config::parse("revalidate_every = \"soon\"", p).is_err());
        assert!(Config::parse("revalidate_every = \"-5m\"", p).is_err());
        assert!(Config::parse("revalidate_every = \"0s\"", p).is_err());
    }

    #[test]
    fn bad_values_are_rejected() {
        let p = Path::new("c.toml");
        let err = Config::parse("secret_store = \"vault\"", p).unwrap_err();
        assert!(err.to_string().contains("secret_store"), "{err}");
        assert!(Config::parse("connect_timeout_secs = 0", p).is_err());
        assert!(Config::parse("request_timeout_secs = 300000000000", p).is_err());
        assert!(Config::parse("environment = \"prod\"", p).is_err());
        assert!(Config::parse("required_scopes = [\"\"]", p).is_err());
    }
}
