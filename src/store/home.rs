//! The home folder: where every file lives, checked and created private, and the one way the
//! rest of the program reads and writes them.

use std::path::{Path, PathBuf};

use super::StoreError;
use super::audit::{AuditEvent, AuditLog};
use super::files;
use super::lock::{HomeLock, LOCK_WAIT, LockError};
use super::state::{self, LastCheck, Replacement, State};

/// Every file pleo-keys reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `--home`, or the state folder: what a keyring entry is named after.
    pub home: PathBuf,
    pub config_file: PathBuf,
    pub state_file: PathBuf,
    pub last_check_file: PathBuf,
    pub replacement_file: PathBuf,
    pub audit_log: PathBuf,
    pub secret_file: PathBuf,
    pub log_dir: PathBuf,
    pub lock_file: PathBuf,
    pub proxy_token: PathBuf,
    /// The histories' own folder: a proxy appends a line per request, and the state folder is
    /// watched by every process (`store::watch`), which would wake at each append.
    pub history_dir: PathBuf,
    pub call_history: PathBuf,
    pub check_history: PathBuf,
}

impl Paths {
    /// `home` (from `--home` or `PLEO_KEYS_HOME`) puts everything in one folder; otherwise XDG.
    pub fn resolve(home: Option<&Path>) -> Result<Paths, StoreError> {
        if let Some(home) = home {
            return Ok(Paths::under(home, home));
        }
        let dirs = directories::ProjectDirs::from("", "", "pleo-keys").ok_or(StoreError::NoHome)?;
        // macOS and Windows have no state dir; data-local is the nearest equivalent.
        let state = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
        Ok(Paths::under(dirs.config_dir(), state))
    }

    pub fn under(config: &Path, state: &Path) -> Paths {
        let history = state.join("history");
        Paths {
            home: state.to_path_buf(),
            config_file: config.join("config.toml"),
            state_file: state.join("state.json"),
            last_check_file: state.join("last-check.json"),
            replacement_file: state.join("replacement.json"),
            audit_log: state.join("audit.log"),
            secret_file: state.join("key.age"),
            log_dir: state.join("logs"),
            lock_file: state.join(".lock"),
            proxy_token: state.join("proxy.token"),
            call_history: history.join("calls.jsonl"),
            check_history: history.join("checks.jsonl"),
            history_dir: history,
        }
    }

    pub fn config_dir(&self) -> &Path {
        self.config_file.parent().unwrap_or(Path::new("."))
    }

    pub fn state_dir(&self) -> &Path {
        self.state_file.parent().unwrap_or(Path::new("."))
    }

    /// Create every folder we write into, private (0700); refuse one others could tamper with,
    /// and any file in it that is a link, not a regular file, someone else's or writable by others.
    pub fn ensure_dirs(&self) -> Result<(), StoreError> {
        files::ensure_private_dir(self.config_dir())?;
        files::ensure_private_dir(self.state_dir())?;
        files::ensure_private_dir(&self.log_dir)?;
        files::ensure_private_dir(&self.history_dir)?;
        self.move_histories_from_the_state_folder()?;
        for file in [
            &self.state_file,
            &self.last_check_file,
            &self.replacement_file,
            &self.audit_log,
            &self.secret_file,
            &self.lock_file,
            &self.proxy_token,
            &self.call_history,
            &self.check_history,
        ] {
            files::check_existing(file)?;
        }
        Ok(())
    }

    /// Earlier versions kept the histories beside `state.json`: move them into `history/` once.
    /// Two processes starting together may race; the loser finds the old file gone.
    fn move_histories_from_the_state_folder(&self) -> Result<(), StoreError> {
        for new in [&self.call_history, &self.check_history] {
            let Some(name) = new.file_name() else {
                continue;
            };
            let old = self.state_dir().join(name);
            if std::fs::symlink_metadata(&old).is_err() || std::fs::symlink_metadata(new).is_ok() {
                continue;
            }
            files::check_existing(&old)?;
            match std::fs::rename(&old, new) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::io("move", &old, e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A JSON file of the home: where it lives and how it is read (versions, migrations).
pub trait HomeFile: serde::Serialize + Sized {
    fn path(paths: &Paths) -> &Path;
    fn read(path: &Path) -> Result<Option<Self>, StoreError>;
}

impl HomeFile for State {
    fn path(paths: &Paths) -> &Path {
        &paths.state_file
    }
    fn read(path: &Path) -> Result<Option<State>, StoreError> {
        state::load_state(path)
    }
}

impl HomeFile for LastCheck {
    fn path(paths: &Paths) -> &Path {
        &paths.last_check_file
    }
    fn read(path: &Path) -> Result<Option<LastCheck>, StoreError> {
        state::load_last_check(path)
    }
}

impl HomeFile for Replacement {
    fn path(paths: &Paths) -> &Path {
        &paths.replacement_file
    }
    fn read(path: &Path) -> Result<Option<Replacement>, StoreError> {
        files::read_json(path, files::MAX_STATE_BYTES)
    }
}

/// One home: its paths and its audit log.
#[derive(Debug, Clone)]
pub struct Home {
    pub paths: Paths,
    audit: AuditLog,
}

impl Home {
    /// The home at `paths`, its folders created or checked.
    pub fn open(paths: Paths) -> Result<Home, StoreError> {
        paths.ensure_dirs()?;
        Ok(Home::unchecked(paths))
    }

    /// Without touching the disk (tests, benches).
    pub fn unchecked(paths: Paths) -> Home {
        let audit = AuditLog::new(&paths.audit_log);
        Home { paths, audit }
    }

    /// Serialise writers of this home (see `store::lock`).
    pub async fn lock(&self) -> Result<HomeLock, StoreError> {
        super::lock::acquire(self.paths.lock_file.clone(), LOCK_WAIT)
            .await
            .map_err(|e| match e {
                LockError::Open(e) => e,
                other => StoreError::Busy(other.to_string()),
            })
    }

    /// One of the home's JSON files (`State`, `LastCheck`, `Replacement`); `None` if missing.
    pub fn load<T: HomeFile>(&self) -> Result<Option<T>, StoreError> {
        T::read(T::path(&self.paths))
    }

    /// Replace it atomically (0600).
    pub fn save<T: HomeFile>(&self, value: &T) -> Result<(), StoreError> {
        files::write_json(T::path(&self.paths), value)
    }

    /// Remove it; `true` if it was there.
    pub fn remove<T: HomeFile>(&self) -> Result<bool, StoreError> {
        files::remove(T::path(&self.paths))
    }

    /// The state file, the one most callers want.
    pub fn state(&self) -> Result<Option<State>, StoreError> {
        self.load()
    }

    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// Append to the audit log. A failure is logged, never turned into the run's failure.
    pub fn audit(&self, event: AuditEvent) {
        if let Err(e) = self.audit.append(event) {
            tracing::warn!(error = %e, "could not append to the audit log");
        }
    }
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
        assert_eq!(p.proxy_token, home.join("proxy.token"));
        assert_eq!(p.call_history, home.join("history/calls.jsonl"));
        assert_eq!(p.check_history, home.join("history/checks.jsonl"));
    }

    #[test]
    fn histories_beside_the_state_move_into_their_folder_once() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Paths::resolve(Some(tmp.path())).unwrap();
        files::ensure_private_dir(tmp.path()).unwrap();
        let old_calls = tmp.path().join("calls.jsonl");
        files::write_atomic(&old_calls, b"{\"old\":1}\n").unwrap();
        p.ensure_dirs().unwrap();
        assert!(!old_calls.exists());
        assert_eq!(std::fs::read(&p.call_history).unwrap(), b"{\"old\":1}\n");
        // A newer history in place wins; the stray old file is left for the operator.
        files::write_atomic(&old_calls, b"stray\n").unwrap();
        p.ensure_dirs().unwrap();
        assert_eq!(std::fs::read(&p.call_history).unwrap(), b"{\"old\":1}\n");
        assert!(old_calls.exists());
    }

    #[test]
    fn an_old_history_that_is_a_link_is_refused_not_moved() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Paths::resolve(Some(tmp.path())).unwrap();
        files::ensure_private_dir(tmp.path()).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("checks.jsonl")).unwrap();
        assert!(p.ensure_dirs().is_err());
        assert!(!p.check_history.exists());
    }

    #[test]
    fn ensure_dirs_creates_private_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("nested/home");
        let p = Paths::resolve(Some(&home)).unwrap();
        p.ensure_dirs().unwrap();
        for dir in [&home, &p.log_dir, &p.history_dir] {
            assert_eq!(files::mode_of(dir), 0o700, "{}", dir.display());
        }
    }
}
