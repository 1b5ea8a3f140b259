//! Where pleo-keys keeps its files, and the optional `config.toml`.

use serde::Deserialize;
use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::StoreChoice;

/// The scopes a key needs unless the config says otherwise.
pub const DEFAULT_REQUIRED_SCOPES: &[&str] =
    &["export-jobs:read", "export-jobs:write", "export-items:read"];

/// How often a running dashboard revalidates the key when the config does not say.
pub const DEFAULT_REVALIDATE_EVERY: Duration = Duration::from_secs(5 * 60);

/// Revalidating more often than this only burns rate limit.
pub const MIN_REVALIDATE_EVERY: Duration = Duration::from_secs(30);

/// Every file pleo-keys reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub state_file: PathBuf,
    pub last_check_file: PathBuf,
    pub audit_log: PathBuf,
    pub secret_file: PathBuf,
    pub log_dir: PathBuf,
    pub lock_file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot find a home directory for pleo-keys' files: set PLEO_KEYS_HOME or pass --home DIR"
    )]
    NoHome,
    #[error(
        "cannot create directory {}: {source}. Check its parent's permissions, or choose another place with --home DIR",
        path.display()
    )]
    CreateDir { path: PathBuf, source: io::Error },
    #[error(
        "cannot read config file {}: {source}. Check its permissions, or move it away to use the defaults",
        path.display()
    )]
    Read { path: PathBuf, source: io::Error },
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

impl Paths {
    /// `home` (from `--home` or `PLEO_KEYS_HOME`) puts everything in one folder; otherwise XDG.
    pub fn resolve(home: Option<&Path>) -> Result<Paths, ConfigError> {
        if let Some(home) = home {
            return Ok(Paths::under(home, home));
        }
        let dirs =
            directories::ProjectDirs::from("", "", "pleo-keys").ok_or(ConfigError::NoHome)?;
        // macOS and Windows have no state dir; data-local is the nearest equivalent.
        let state = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
        Ok(Paths::under(dirs.config_dir(), state))
    }

    fn under(config: &Path, state: &Path) -> Paths {
        Paths {
            config_file: config.join("config.toml"),
            state_file: state.join("state.json"),
            last_check_file: state.join("last-check.json"),
            audit_log: state.join("audit.log"),
            secret_file: state.join("key.age"),
            log_dir: state.join("logs"),
            lock_file: state.join(".lock"),
        }
    }

    /// Create every directory we write into, private to the user (0700).
    pub fn ensure_dirs(&self) -> Result<(), ConfigError> {
        let mut dirs: Vec<&Path> = Vec::new();
        for file in [
            &self.config_file,
            &self.state_file,
            &self.last_check_file,
            &self.audit_log,
            &self.secret_file,
            &self.lock_file,
        ] {
            if let Some(parent) = file.parent() {
                dirs.push(parent);
            }
        }
        dirs.push(&self.log_dir);
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            if dir.as_os_str().is_empty() {
                continue;
            }
            // Mode applies only to directories created here; existing ones are left as the user set them.
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| ConfigError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        Ok(())
    }
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
}

impl Config {
    /// A missing file means defaults; anything else wrong is an error naming the file and the line.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
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
        for (name, value) in [
            ("connect_timeout_secs", self.connect_timeout_secs),
            ("request_timeout_secs", self.request_timeout_secs),
        ] {
            if value == Some(0) {
                return Err(invalid(format!("{name} must be at least 1")));
            }
        }
        if let Some(scopes) = &self.required_scopes
            && scopes.iter().any(|s| s.trim().is_empty())
        {
            return Err(invalid("required_scopes contains an empty scope".into()));
        }
        Ok(())
    }

    /// The revalidation interval, never below [`MIN_REVALIDATE_EVERY`].
    pub fn revalidate_interval(&self) -> Duration {
        self.revalidate_every
            .as_deref()
            .and_then(|s| parse_interval(s).ok())
            .unwrap_or(DEFAULT_REVALIDATE_EVERY)
            .max(MIN_REVALIDATE_EVERY)
    }

    /// The configured scopes, or [`DEFAULT_REQUIRED_SCOPES`].
    pub fn required_scopes(&self) -> Vec<String> {
        match &self.required_scopes {
            Some(scopes) => scopes.clone(),
            None => DEFAULT_REQUIRED_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    /// The configured secret store; `Auto` when unset (validated at load).
    pub fn secret_store_choice(&self) -> StoreChoice {
        self.secret_store
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(StoreChoice::Auto)
    }
}

/// "5m", "30s", "1h 30m", or ISO 8601 ("PT5M"); must be positive.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let d: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration; write it like \"5m\" or \"30s\""))?;
    if d.is_negative() || d.is_zero() {
        return Err(format!("'{text}' must be a positive duration, like \"5m\""));
    }
    Duration::try_from(d).map_err(|_| format!("'{text}' is out of range"))
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_puts_everything_in_one_folder() {
        let home = Path::new("/tmp/pk-home");
        let p = Paths::resolve(Some(home)).unwrap();
        assert_eq!(p.config_file, home.join("config.toml"));
        assert_eq!(p.state_file, home.join("state.json"));
        assert_eq!(p.last_check_file, home.join("last-check.json"));
        assert_eq!(p.audit_log, home.join("audit.log"));
        assert_eq!(p.secret_file, home.join("key.age"));
        assert_eq!(p.log_dir, home.join("logs"));
        assert_eq!(p.lock_file, home.join(".lock"));
    }

    #[test]
    fn ensure_dirs_creates_private_directories() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("nested/home");
        let p = Paths::resolve(Some(&home)).unwrap();
        p.ensure_dirs().unwrap();
        for dir in [&home, &p.log_dir] {
            let mode = std::fs::metadata(dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
        }
    }

    #[test]
    fn missing_file_is_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Config::load(&tmp.path().join("config.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.revalidate_interval(), DEFAULT_REVALIDATE_EVERY);
        assert_eq!(c.required_scopes().len(), DEFAULT_REQUIRED_SCOPES.len());
        assert_eq!(c.secret_store_choice(), StoreChoice::Auto);
    }

    #[test]
    fn valid_file_parses() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(
            &path,
            r#"
environment = "staging"
base_url = "https://example.test"
required_scopes = ["export-jobs:read"]
revalidate_every = "2m"
connect_timeout_secs = 5
request_timeout_secs = 20
secret_store = "file"
"#,
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.environment.as_deref(), Some("staging"));
        assert_eq!(c.revalidate_interval(), Duration::from_secs(120));
        assert_eq!(c.required_scopes(), vec!["export-jobs:read".to_string()]);
        assert_eq!(c.secret_store_choice(), StoreChoice::File);
        assert_eq!(c.request_timeout_secs, Some(20));
    }

    #[test]
    fn invalid_toml_names_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "environment = \"staging\"\nbase_url = \n").unwrap();
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
    fn revalidate_every_is_floored_and_checked() {
        let p = Path::new("c.toml");
        let c = Config::parse("revalidate_every = \"5s\"", p).unwrap();
        assert_eq!(c.revalidate_interval(), MIN_REVALIDATE_EVERY);
        let c = Config::parse("revalidate_every = \"1h 30m\"", p).unwrap();
        assert_eq!(c.revalidate_interval(), Duration::from_secs(90 * 60));
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
        assert!(Config::parse("required_scopes = [\"\"]", p).is_err());
    }
}
