//! Noticing that another process changed the home (a CLI `set-key`, a cron `check`, a gateway):
//! a file watch on the state folder (inotify on Linux), not a polling loop, so an idle process
//! stays idle. Every change to the files that say what is stored sends one `()`; the receiver
//! coalesces bursts.

use notify::{EventKind, RecursiveMode, Watcher};
use std::path::Path;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::Paths;

/// Keeps the watch alive; dropping it stops it.
pub struct HomeWatch {
    _watcher: notify::RecommendedWatcher,
}

/// The files whose change means "what is stored changed".
fn matters(paths: &Paths, changed: &Path) -> bool {
    [
        &paths.state_file,
        &paths.last_check_file,
        &paths.replacement_file,
        &paths.secret_file,
    ]
    .iter()
    .any(|p| p.file_name() == changed.file_name())
}

/// Watch the state folder. `None` when the platform refuses (the caller then just does not
/// hear about other processes until its next check).
pub fn watch_home(paths: &Paths) -> Option<(HomeWatch, UnboundedReceiver<()>)> {
    let (tx, rx) = unbounded_channel();
    let watched = paths.clone();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        // A rename into place (atomic writes), a write, a removal.
        let relevant = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) && event.paths.iter().any(|p| matters(&watched, p));
        if relevant {
            let _ = tx.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the home for other processes' changes");
            return None;
        }
    };
    if let Err(e) = watcher.watch(paths.state_dir(), RecursiveMode::NonRecursive) {
        tracing::warn!(error = %e, "cannot watch the state folder");
        return None;
    }
    Some((HomeWatch { _watcher: watcher }, rx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_state_write_is_heard_and_a_log_write_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::resolve(Some(tmp.path())).unwrap();
        paths.ensure_dirs().unwrap();
        let (_watch, mut rx) = watch_home(&paths).expect("inotify works here");
        std::fs::write(tmp.path().join("unrelated.txt"), b"x").unwrap();
        crate::store::files::write_atomic(&paths.state_file, b"{}").unwrap();
        let heard = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(matches!(heard, Ok(Some(()))), "the state write was heard");
        while rx.try_recv().is_ok() {}
        std::fs::write(tmp.path().join("other.txt"), b"y").unwrap();
        let quiet = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
        assert!(quiet.is_err(), "an unrelated file is not news");
    }

    /// A proxy appends a history line per request: none of them may wake the watchers of the
    /// state folder (each process has one), not even to be filtered out.
    #[test]
    fn history_appends_raise_no_event_in_the_watched_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::resolve(Some(tmp.path())).unwrap();
        paths.ensure_dirs().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut raw = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            let _ = tx.send(e.map(|e| e.paths));
        })
        .unwrap();
        raw.watch(paths.state_dir(), RecursiveMode::NonRecursive)
            .unwrap();
        let calls = crate::store::history::CallHistory::new(&paths.call_history);
        for _ in 0..20 {
            calls
                .append(&crate::store::history::tests::entry("/v1/introspect"))
                .unwrap();
        }
        let events: Vec<_> = rx
            .recv_timeout(Duration::from_millis(300))
            .into_iter()
            .collect();
        assert!(events.is_empty(), "the state folder heard {events:?}");
    }
}
