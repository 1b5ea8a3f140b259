//! The check history: one JSON line per verdict the engine records (a check, an activation),
//! from any process of this home, for `pleo-keys history`, uptime and the dashboard. Bounded like
//! the call history: past its cap the file is rewritten with its newest half. Never the key:
//! only its hint and fingerprint. What is read back is cleaned like any text from the home.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::StoreError;
use super::jsonl::{JsonLines, Limits, newest};
use crate::domain::{CheckStatus, KeyId, Reason};

/// Past this the file is compacted to its newest half. A line is about 180 bytes, so the newest
/// half holds a week of checks every two minutes (the default is every five).
pub const MAX_CHECKS_BYTES: u64 = 2 * 1024 * 1024;
const LIMITS: Limits = Limits {
    window: MAX_CHECKS_BYTES,
    cap: Some(MAX_CHECKS_BYTES),
    sync: false,
};

/// One recorded verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckEntry {
    /// When the run started (the verdict's `checked_at`).
    pub at: jiff::Timestamp,
    pub reason: Reason,
    /// Follows from `reason`; written for readers of the file, recomputed when read.
    pub status: CheckStatus,
    /// How long the run against Pleo took, retries included; not the lock or the disk.
    pub latency_ms: u64,
    /// The key checked (hint and fingerprint), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyId>,
    /// The process that ran it (the dashboard, a proxy, a `check` from cron).
    pub pid: u32,
}

impl CheckEntry {
    /// A verdict of this process, now.
    pub fn new(
        at: jiff::Timestamp,
        reason: Reason,
        latency: std::time::Duration,
        key: Option<KeyId>,
    ) -> CheckEntry {
        CheckEntry {
            at,
            reason,
            status: reason.status(),
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            key,
            pid: std::process::id(),
        }
    }

    /// The integration could work while this verdict held: the key is active (perhaps with a
    /// warning), or only Pleo's side was failing (rate limited, unreachable, server errors,
    /// answers that did not fit) while the key itself was not in doubt.
    pub fn usable(&self) -> bool {
        self.reason.is_active()
            || matches!(
                self.reason,
                Reason::RateLimited
                    | Reason::Unreachable
                    | Reason::ServerError
                    | Reason::UnexpectedResponse
            )
    }

    /// The hint and fingerprint are checked by `KeyId`'s reader; the status is the reason's.
    fn cleaned(self) -> CheckEntry {
        CheckEntry {
            status: self.reason.status(),
            ..self
        }
    }
}

/// The check history file of one home.
#[derive(Debug, Clone)]
pub struct CheckHistory {
    file: JsonLines,
}

impl CheckHistory {
    pub fn new(path: impl Into<PathBuf>) -> CheckHistory {
        CheckHistory {
            file: JsonLines::new(path, LIMITS),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Append one entry (one `write` with `O_APPEND`: lines from several processes never mix).
    pub fn append(&self, entry: &CheckEntry) -> Result<(), StoreError> {
        self.file.append(entry)
    }

    /// The newest entries, oldest first, at most `limit`. Unreadable lines are skipped.
    pub fn recent(&self, limit: usize) -> Result<Vec<CheckEntry>, StoreError> {
        let (entries, _) = self.file.read::<CheckEntry>()?;
        let mut entries: Vec<CheckEntry> = entries.into_iter().map(CheckEntry::cleaned).collect();
        // Processes append when their run ends; a slow run's line may follow a later one.
        entries.sort_by_key(|e| e.at);
        Ok(newest(entries, limit))
    }
}

/// The share (0.0 to 1.0) of the observed part of the last `window` during which the latest
/// verdict was [usable](CheckEntry::usable).
///
/// Each verdict holds from its time until the next one (the last until `now`). The observed part
/// starts at the window's start, or at the first entry when the history begins later (a new home,
/// a compacted file): time nobody looked at is not counted either way. `None` when nothing was
/// observed: no entry before `now`, or an empty window.
pub fn uptime(
    entries: &[CheckEntry],
    now: jiff::Timestamp,
    window: jiff::SignedDuration,
) -> Option<f64> {
    if window.is_negative() || window.is_zero() {
        return None;
    }
    let start = now.checked_sub(window).unwrap_or(jiff::Timestamp::MIN);
    let mut sorted: Vec<&CheckEntry> = entries.iter().filter(|e| e.at <= now).collect();
    sorted.sort_by_key(|e| e.at);
    let first = sorted.first()?.at;
    let observed_from = first.max(start);
    let (mut observed, mut up) = (0f64, 0f64);
    for (i, e) in sorted.iter().enumerate() {
        let until = sorted.get(i + 1).map_or(now, |next| next.at);
        let from = e.at.max(observed_from);
        if until <= from {
            continue;
        }
        let secs = until.duration_since(from).as_secs_f64();
        observed += secs;
        if e.usable() {
            up += secs;
        }
    }
    (observed > 0.0).then(|| up / observed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::files;
    use jiff::{SignedDuration, Timestamp};
    use std::io::Write;

    const FP: &str = "cb56eed8c825";

    fn key() -> KeyId {
        KeyId::new("…21a4".into(), FP.into())
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn entry(secs: i64, reason: Reason) -> CheckEntry {
        CheckEntry::new(
            at(secs),
            reason,
            std::time::Duration::from_millis(120),
            Some(key()),
        )
    }

    #[test]
    fn entries_come_back_oldest_first_and_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CheckHistory::new(tmp.path().join("checks.jsonl"));
        assert!(h.recent(10).unwrap().is_empty());
        h.append(&entry(20, Reason::KeyRejected)).unwrap();
        h.append(&entry(10, Reason::Active)).unwrap();
        let got = h.recent(10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].reason, Reason::Active, "sorted by time");
        assert_eq!(got[1].status, CheckStatus::Critical);
        assert_eq!(got[1].latency_ms, 120);
        assert_eq!(got[1].pid, std::process::id());
        assert_eq!(h.recent(1).unwrap()[0].reason, Reason::KeyRejected);
        assert_eq!(files::mode_of(h.path()), 0o600);
    }

    #[test]
    fn forged_and_torn_lines_are_cleaned_or_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CheckHistory::new(tmp.path().join("checks.jsonl"));
        h.append(&entry(1, Reason::Active)).unwrap();
        let mut f = files::open_append(h.path()).unwrap();
        // A status that contradicts the reason, a hostile hint, a bad fingerprint, a torn line.
        let forged = format!(
            "{{\"at\":\"{}\",\"reason\":\"key_rejected\",\"status\":\"ok\",\"latency_ms\":1,\"key\":{{\"hint\":\"\\u001b]2;x\\u0007…21a4\",\"fingerprint\":\"{FP}\"}},\"pid\":1}}\n",
            at(2)
        );
        f.write_all(forged.as_bytes()).unwrap();
        f.write_all(b"{\"at\":\"2027-01-01T00:00:00Z\",\"reason\":\"active\",\"key\":{\"hint\":\"x\",\"fingerprint\":\"nothex\"}}\n")
            .unwrap();
        f.write_all(b"{\"at\":\"2027-01-0").unwrap();
        drop(f);
        h.append(&entry(3, Reason::Active)).unwrap();
        let got = h.recent(10).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[1].status, CheckStatus::Critical, "recomputed");
        let hint = &got[1].key.as_ref().unwrap().hint;
        assert!(
            !hint.contains('\u{1b}') && !hint.contains('\u{7}'),
            "{hint:?}"
        );
        assert_eq!(got[2].at, at(3), "the line after a torn one survives");
    }

    #[test]
    fn the_file_stays_bounded_and_keeps_the_newest() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CheckHistory::new(tmp.path().join("checks.jsonl"));
        let line = serde_json::to_vec(&entry(0, Reason::Active)).unwrap().len() as i64 + 1;
        let n = 2 * MAX_CHECKS_BYTES as i64 / line + 10;
        for i in 0..n {
            h.append(&entry(i, Reason::Active)).unwrap();
        }
        let len = std::fs::metadata(h.path()).unwrap().len();
        assert!(len <= MAX_CHECKS_BYTES, "{len}");
        assert!(
            len >= MAX_CHECKS_BYTES / 4,
            "compacted to half, not emptied: {len}"
        );
        let recent = h.recent(usize::MAX).unwrap();
        assert_eq!(recent.last().unwrap().at, at(n - 1));
        assert!(
            recent.windows(2).all(|w| w[0].at < w[1].at),
            "whole lines only"
        );
    }

    #[test]
    fn uptime_weighs_each_verdict_until_the_next() {
        let hour = SignedDuration::from_hours(1);
        let day = SignedDuration::from_hours(24);
        let now = at(10 * 3600);
        assert_eq!(uptime(&[], now, day), None);
        // Active from 0 h, rejected at 6 h, active again at 9 h: 7 of 10 observed hours usable.
        let mut es = vec![
            entry(0, Reason::Active),
            entry(6 * 3600, Reason::KeyRejected),
            entry(9 * 3600, Reason::Active),
        ];
        let u = uptime(&es, now, day).unwrap();
        assert!((u - 0.7).abs() < 1e-9, "{u}");
        // The last 2 hours: 1 h rejected, 1 h active.
        let u = uptime(&es, now, 2 * hour).unwrap();
        assert!((u - 0.5).abs() < 1e-9, "{u}");
        // Order in the slice does not matter; degraded counts as usable.
        es.reverse();
        es.push(entry(3 * 3600, Reason::Unreachable));
        let u = uptime(&es, now, day).unwrap();
        assert!((u - 0.7).abs() < 1e-9, "{u}");
        // Entries after `now` are ignored; nothing before it means nothing observed.
        assert_eq!(uptime(&[entry(11 * 3600, Reason::Active)], now, day), None);
        assert_eq!(uptime(&[entry(10 * 3600, Reason::Active)], now, day), None);
        assert_eq!(uptime(&es, now, SignedDuration::ZERO), None);
        // A verdict from before the window covers its start.
        let old = [entry(-100 * 3600, Reason::MissingScopes)];
        assert_eq!(uptime(&old, now, day), Some(0.0));
    }

    #[test]
    fn usable_verdicts() {
        for r in Reason::ALL {
            let expected = matches!(
                r,
                Reason::Active
                    | Reason::ExpiresSoon
                    | Reason::ScopesUnverified
                    | Reason::RateLimited
                    | Reason::Unreachable
                    | Reason::ServerError
                    | Reason::UnexpectedResponse
            );
            assert_eq!(entry(0, r).usable(), expected, "{r}");
        }
    }
}
