//! The call history: one JSON line per call to Pleo (or refusal by the proxy) from any process of
//! this home, so the dashboard shows the proxy's traffic too, across restarts. Bounded: when the
//! file outgrows its cap it is rewritten with its newest half. Never headers or bodies; what is
//! read back is cleaned like any text from the home folder.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::StoreError;
use super::jsonl::{JsonLines, Limits, newest};
use crate::domain::sanitize;

/// Past this the file is compacted to its newest half.
pub const MAX_HISTORY_BYTES: u64 = 512 * 1024;
const LIMITS: Limits = Limits {
    window: MAX_HISTORY_BYTES / 2,
    cap: Some(MAX_HISTORY_BYTES),
    sync: false,
};
const MAX_PATH_CHARS: usize = 300;

/// Who made the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// pleo-keys' own checks and activations.
    Check,
    Proxy,
    Api,
    /// Written by a newer version.
    #[serde(other)]
    Other,
}

impl CallSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CallSource::Check => "check",
            CallSource::Proxy => "proxy",
            CallSource::Api => "api",
            CallSource::Other => "other",
        }
    }
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEntry {
    pub at: jiff::Timestamp,
    pub source: CallSource,
    pub pid: u32,
    pub method: String,
    pub path: String,
    /// Pleo's status; none when Pleo did not answer or the proxy refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The failure class when Pleo gave no usable answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Why the proxy answered itself (`COMPANY_SCOPE_VIOLATION`, …); nothing was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    pub latency_us: u64,
    /// Pleo's `{type, message}` on an error answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// The check or activation the call was part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl CallEntry {
    /// The same entry with every text field cleaned (it came from a file anyone of this user
    /// could have written).
    fn cleaned(self) -> CallEntry {
        let clean = |s: Option<String>, max| s.map(|s| sanitize(&s, max));
        CallEntry {
            method: sanitize(&self.method, 10),
            path: sanitize(&self.path, MAX_PATH_CHARS),
            failure: clean(self.failure, 60),
            refused: clean(self.refused, 60),
            error: clean(self.error, 300),
            run: clean(self.run, 80),
            ..self
        }
    }
}

/// The history file of one home.
#[derive(Debug, Clone)]
pub struct CallHistory {
    file: JsonLines,
}

impl CallHistory {
    pub fn new(path: impl Into<PathBuf>) -> CallHistory {
        CallHistory {
            file: JsonLines::new(path, LIMITS),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Append one entry (one `write` with `O_APPEND`: lines from several processes never mix).
    pub fn append(&self, entry: &CallEntry) -> Result<(), StoreError> {
        let mut entry = entry.clone();
        entry.path = sanitize(&entry.path, MAX_PATH_CHARS);
        self.file.append(&entry)
    }

    /// The newest entries, oldest first, at most `limit`.
    pub fn recent(&self, limit: usize) -> Result<Vec<CallEntry>, StoreError> {
        let (entries, _) = self.file.read::<CallEntry>()?;
        Ok(newest(cleaned(entries), limit))
    }
}

/// Reads what other processes append, as they append it.
#[derive(Debug)]
pub struct HistoryTail {
    history: CallHistory,
    offset: Option<u64>,
    /// The newest entry seen: after a compaction, older lines come round again.
    last_at: Option<jiff::Timestamp>,
}

impl HistoryTail {
    /// Start at the end: what is there already comes from [`CallHistory::recent`].
    pub fn new(history: CallHistory) -> HistoryTail {
        let end = std::fs::metadata(history.path()).map(|m| m.len()).ok();
        HistoryTail {
            history,
            offset: end,
            last_at: None,
        }
    }

    /// Entries appended since the last call. A compacted file is read from its new end window.
    pub fn read_new(&mut self) -> Vec<CallEntry> {
        let len = std::fs::metadata(self.history.path()).map(|m| m.len()).ok();
        if len == self.offset {
            return Vec::new();
        }
        let from = match (self.offset, len) {
            (Some(o), Some(l)) if l >= o => Some(o),
            // Shrunk (compacted) or new: only what is newer than before is wanted, but the
            // lines cannot be told apart by offset any more; take the window.
            _ => None,
        };
        let Ok((entries, end)) = self.history.file.read_after(from.or(Some(0))) else {
            return Vec::new();
        };
        self.offset = Some(end);
        let mut entries = cleaned(entries);
        if from.is_none()
            && let Some(seen) = self.last_at
        {
            entries.retain(|e| e.at > seen);
        }
        if let Some(newest) = entries.iter().map(|e| e.at).max() {
            self.last_at = Some(self.last_at.map_or(newest, |l| l.max(newest)));
        }
        entries
    }
}

fn cleaned(entries: Vec<CallEntry>) -> Vec<CallEntry> {
    entries.into_iter().map(CallEntry::cleaned).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::files;
    use std::io::Write;

    pub(crate) fn entry(path: &str) -> CallEntry {
        CallEntry {
            at: jiff::Timestamp::UNIX_EPOCH,
            source: CallSource::Proxy,
            pid: 7,
            method: "GET".into(),
            path: path.into(),
            status: Some(200),
            failure: None,
            refused: None,
            latency_us: 1500,
            error: None,
            retry_after_secs: None,
            run: None,
        }
    }

    #[test]
    fn appended_entries_come_back_newest_last_and_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CallHistory::new(tmp.path().join("calls.jsonl"));
        assert!(h.recent(10).unwrap().is_empty());
        h.append(&entry("/a")).unwrap();
        h.append(&entry("/b\u{1b}]2;owned\u{7}")).unwrap();
        let got = h.recent(10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].path, "/a");
        assert!(!got[1].path.contains('\u{1b}'), "{:?}", got[1].path);
        assert_eq!(h.recent(1).unwrap()[0].path, got[1].path);
        // A damaged line (a crash mid-write, a hand edit) is skipped, not fatal.
        let mut f = files::open_append(h.path()).unwrap();
        f.write_all(b"{\"garbage\n").unwrap();
        h.append(&entry("/c")).unwrap();
        assert_eq!(h.recent(10).unwrap().len(), 3);
    }

    #[test]
    fn the_file_stays_bounded_and_keeps_the_newest() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CallHistory::new(tmp.path().join("calls.jsonl"));
        let long = "/x".repeat(100);
        for i in 0..4000 {
            h.append(&entry(&format!("{long}/{i}"))).unwrap();
        }
        let len = std::fs::metadata(h.path()).unwrap().len();
        assert!(len <= MAX_HISTORY_BYTES, "{len}");
        let recent = h.recent(5).unwrap();
        assert_eq!(recent.last().unwrap().path, format!("{long}/3999"));
    }

    #[test]
    fn a_tail_sees_what_others_append_once() {
        let tmp = tempfile::tempdir().unwrap();
        let h = CallHistory::new(tmp.path().join("calls.jsonl"));
        h.append(&entry("/old")).unwrap();
        let mut tail = HistoryTail::new(h.clone());
        assert!(tail.read_new().is_empty(), "starts at the end");
        h.append(&entry("/new1")).unwrap();
        h.append(&entry("/new2")).unwrap();
        let got: Vec<_> = tail.read_new().into_iter().map(|e| e.path).collect();
        assert_eq!(got, ["/new1", "/new2"]);
        assert!(tail.read_new().is_empty());
        // A line being written (no newline yet) waits for its end.
        let mut f = files::open_append(h.path()).unwrap();
        let line = serde_json::to_string(&entry("/half")).unwrap();
        f.write_all(&line.as_bytes()[..10]).unwrap();
        assert!(tail.read_new().is_empty());
        f.write_all(&line.as_bytes()[10..]).unwrap();
        f.write_all(b"\n").unwrap();
        assert_eq!(tail.read_new()[0].path, "/half");
    }
}
