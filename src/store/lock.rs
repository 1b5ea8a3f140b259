//! One writer at a time per home: a cron `check` and a running dashboard must not lose each
//! other's updates. The lock is held only around read-check-write of the files, never across a
//! network call, so a waiter waits milliseconds, not a Pleo timeout.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long to wait for another pleo-keys before giving up with a clear error.
pub const LOCK_WAIT: Duration = Duration::from_secs(15);

static WAIT_NOTICE: OnceLock<fn(&str)> = OnceLock::new();

/// Where "waiting for…" is said. The CLI prints to stderr; the dashboard only logs.
pub fn set_wait_notice(notice: fn(&str)) {
    let _ = WAIT_NOTICE.set(notice);
}

/// Whether process `pid` exists (ours or another user's).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Held while this process reads and rewrites the home's files; released on drop.
#[derive(Debug)]
pub struct HomeLock {
    file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("could not use the lock file: {0}")]
    Open(#[from] super::StoreError),
    #[error("could not lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another pleo-keys{holder} has been updating {path} for over {secs} s; try again, or remove the lock file if no other pleo-keys runs"
    )]
    Busy {
        path: PathBuf,
        holder: String,
        secs: u64,
    },
}

impl HomeLock {
    /// Take the lock, waiting up to `wait`. Blocking: call it off the async threads.
    pub fn acquire(path: &Path, wait: Duration) -> Result<HomeLock, LockError> {
        let mut file = super::files::open_lock_file(path)?;
        let started = Instant::now();
        let mut said = false;
        loop {
            let locked = match file.try_lock() {
                Ok(()) => true,
                Err(TryLockError::WouldBlock) => false,
                Err(TryLockError::Error(source)) => {
                    return Err(LockError::Lock {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            };
            if locked {
                // Leave our pid for whoever waits next, so they can say who holds it.
                let _ = file.set_len(0);
                let _ = file.seek(SeekFrom::Start(0));
                let _ = write!(file, "{}", std::process::id());
                return Ok(HomeLock {
                    file,
                    path: path.to_path_buf(),
                });
            }
            let holder = holder_of(&mut file);
            if started.elapsed() >= wait {
                return Err(LockError::Busy {
                    path: path.to_path_buf(),
                    holder,
                    secs: wait.as_secs(),
                });
            }
            if !said {
                said = true;
                let msg = format!(
                    "waiting for another pleo-keys{holder} to finish updating {}",
                    path.display()
                );
                tracing::info!("{msg}");
                if let Some(notice) = WAIT_NOTICE.get() {
                    notice(&msg);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for HomeLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock too; unlocking first makes it immediate.
        let _ = self.file.unlock();
    }
}

fn holder_of(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.take(32).read_to_string(&mut s);
    match s.trim().parse::<u32>() {
        Ok(pid) => format!(" (pid {pid})"),
        Err(_) => String::new(),
    }
}

/// Async wrapper: the wait happens on the blocking pool.
pub async fn acquire(path: PathBuf, wait: Duration) -> Result<HomeLock, LockError> {
    match tokio::task::spawn_blocking(move || HomeLock::acquire(&path, wait)).await {
        Ok(r) => r,
        Err(e) => Err(LockError::Lock {
            path: PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_gives_up_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let first = HomeLock::acquire(&path, Duration::from_secs(1)).unwrap();
        // The lock belongs to the open file description: a second open in this process conflicts.
        let err = HomeLock::acquire(&path, Duration::from_millis(200)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        assert!(HomeLock::acquire(&path, Duration::from_millis(200)).is_ok());
    }
}
