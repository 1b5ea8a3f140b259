//! What other processes of this home did, for the dashboard: the calls they appended to the
//! history (the proxy's, `api`'s), the proxies running, the audit log and check history when
//! they changed. Looked for once a second off the event loop: the reads are file IO (the audit
//! log's newest part is up to 8 MiB), so they run on the blocking pool and arrive as messages.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::Done;
use crate::app::Msg;
use crate::app::model::MAX_CALLS;
use crate::gateway::running::ProxyInfo;
use crate::lifecycle::Engine;
use crate::store::checks::{CheckEntry, CheckHistory};
use crate::store::history::HistoryTail;
use crate::store::{AuditEvent, read_audit};

/// How often other processes' calls and running proxies are looked for.
pub const POLL: Duration = Duration::from_secs(1);

/// What was seen last, so only changes become messages.
struct Seen {
    tail: HistoryTail,
    proxies: Vec<ProxyInfo>,
    audit_len: Option<u64>,
    checks_len: Option<u64>,
}

/// Look until the loop is gone (its receiver dropped).
pub(super) fn watch(
    engine: Arc<Engine>,
    tail: HistoryTail,
    proxies: Vec<ProxyInfo>,
    tx: UnboundedSender<Done>,
) {
    tokio::spawn(async move {
        let mut seen = Seen {
            tail,
            proxies,
            audit_len: None,
            checks_len: None,
        };
        while !tx.is_closed() {
            tokio::time::sleep(POLL).await;
            let engine = engine.clone();
            let looked = tokio::task::spawn_blocking(move || {
                let news = look(&mut seen, &engine);
                (seen, news)
            });
            let Ok((again, news)) = looked.await else {
                return;
            };
            seen = again;
            for msg in news {
                if tx.send(Done::Msg(msg)).is_err() {
                    return;
                }
            }
        }
    });
}

fn look(seen: &mut Seen, engine: &Engine) -> Vec<Msg> {
    let me = std::process::id();
    let paths = &engine.home.paths;
    // This process's own calls come through its call log, not the file.
    let mut news: Vec<Msg> = seen
        .tail
        .read_new()
        .into_iter()
        .filter(|e| e.pid != me)
        .map(Msg::Call)
        .collect();
    let proxies = ProxyInfo::running(paths);
    if proxies != seen.proxies {
        seen.proxies = proxies.clone();
        news.push(Msg::Proxies(proxies));
    }
    // The audit log or the check history changed (this process or another wrote): read again.
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let audit_len = len(&paths.audit_log);
    if audit_len != seen.audit_len {
        seen.audit_len = audit_len;
        news.push(Msg::Audit(newest_audit(&paths.audit_log)));
    }
    let checks_len = len(&paths.check_history);
    if checks_len != seen.checks_len {
        seen.checks_len = checks_len;
        news.push(Msg::Checks(newest_checks(&paths.check_history)));
    }
    news
}

/// The audit log's newest events (the dashboard shows a screenful or two).
fn newest_audit(path: &Path) -> Vec<AuditEvent> {
    let mut events = read_audit(path).unwrap_or_default();
    let skip = events.len().saturating_sub(MAX_CALLS);
    events.split_off(skip)
}

fn newest_checks(path: &Path) -> Vec<CheckEntry> {
    CheckHistory::new(path)
        .recent(MAX_CALLS)
        .unwrap_or_default()
}
