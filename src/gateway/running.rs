//! Which proxies serve this home, for the dashboard: each writes `proxy-PID.json` in the state
//! folder while it runs and removes it when it stops (one left by a crash is ignored: its
//! process is gone).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::store::Paths;
use crate::store::files;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyInfo {
    pub pid: u32,
    pub url: String,
    pub started_at: jiff::Timestamp,
}

/// Removes the announcement when dropped.
pub struct Announced(Option<PathBuf>);

impl Drop for Announced {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = files::remove(path);
        }
    }
}

impl ProxyInfo {
    /// Say that this process serves `url`. Best effort: a proxy works without it.
    pub fn announce(paths: &Paths, url: &str) -> Announced {
        let info = ProxyInfo {
            pid: std::process::id(),
            url: url.to_string(),
            started_at: jiff::Timestamp::now(),
        };
        let path = paths.state_dir().join(format!("proxy-{}.json", info.pid));
        match files::write_json(&path, &info) {
            Ok(()) => Announced(Some(path)),
            Err(e) => {
                tracing::warn!(error = %e, "could not announce the proxy to dashboards");
                Announced(None)
            }
        }
    }

    /// The proxies running now for this home.
    pub fn running(paths: &Paths) -> Vec<ProxyInfo> {
        let Ok(dir) = std::fs::read_dir(paths.state_dir()) else {
            return Vec::new();
        };
        let mut found: Vec<ProxyInfo> = dir
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("proxy-") && name.ends_with(".json")
            })
            .filter_map(|e| {
                files::read_json::<ProxyInfo>(&e.path(), 4096)
                    .ok()
                    .flatten()
            })
            .filter(|p| crate::store::lock::process_alive(p.pid))
            .map(|p| ProxyInfo {
                url: crate::domain::sanitize(&p.url, 200),
                ..p
            })
            .collect();
        found.sort_by_key(|p| p.started_at);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_while_running_and_gone_after() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::resolve(Some(tmp.path())).unwrap();
        paths.ensure_dirs().unwrap();
        assert!(ProxyInfo::running(&paths).is_empty());
        let held = ProxyInfo::announce(&paths, "http://127.0.0.1:8790");
        let running = ProxyInfo::running(&paths);
        assert_eq!(running.len(), 1);
        assert_eq!(running[0].url, "http://127.0.0.1:8790");
        // One left behind by a process that is gone is not listed.
        let dead = ProxyInfo {
            pid: u32::MAX - 1,
            url: "x".into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
        };
        files::write_json(&paths.state_dir().join("proxy-1.json"), &dead).unwrap();
        assert_eq!(ProxyInfo::running(&paths).len(), 1);
        drop(held);
        assert!(ProxyInfo::running(&paths).is_empty());
    }
}
