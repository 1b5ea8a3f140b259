//! The recent-calls record: what was called and how it went. Never headers or bodies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many calls are kept; older ones are dropped.
pub const CALL_LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    Status(u16),
    /// No HTTP status: the `ApiError::class()` of a transport failure.
    Failed(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub at: jiff::Timestamp,
    pub method: &'static str,
    /// Path and query, e.g. `/v1/installations/me?company_id=…`.
    pub path: String,
    pub outcome: CallOutcome,
    pub latency: Duration,
}

/// A bounded, shared log of calls. Cheap to clone; the client writes, views read snapshots.
#[derive(Debug, Clone)]
pub struct CallLog {
    inner: Arc<Mutex<VecDeque<CallRecord>>>,
    capacity: usize,
    /// The dashboard hears about each call as it happens.
    listener: Option<tokio::sync::mpsc::UnboundedSender<CallRecord>>,
}

impl Default for CallLog {
    fn default() -> Self {
        CallLog::with_capacity(CALL_LOG_CAPACITY)
    }
}

impl CallLog {
    pub fn with_capacity(capacity: usize) -> CallLog {
        CallLog {
            inner: Arc::new(Mutex::new(VecDeque::with_capacity(capacity.min(64)))),
            capacity: capacity.max(1),
            listener: None,
        }
    }

    /// Also send every record to `listener` (a closed receiver is ignored).
    pub fn with_listener(
        mut self,
        listener: tokio::sync::mpsc::UnboundedSender<CallRecord>,
    ) -> CallLog {
        self.listener = Some(listener);
        self
    }

    pub fn record(&self, record: CallRecord) {
        if let Some(tx) = &self.listener {
            let _ = tx.send(record.clone());
        }
        let mut calls = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if calls.len() == self.capacity {
            calls.pop_front();
        }
        calls.push_back(record);
    }

    /// Oldest first.
    pub fn snapshot(&self) -> Vec<CallRecord> {
        let calls = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        calls.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_newest() {
        let log = CallLog::with_capacity(3);
        for i in 0..5 {
            log.record(CallRecord {
                at: jiff::Timestamp::UNIX_EPOCH,
                method: "GET",
                path: format!("/{i}"),
                outcome: CallOutcome::Status(200),
                latency: Duration::ZERO,
            });
        }
        let paths: Vec<_> = log.snapshot().into_iter().map(|c| c.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
    }
}
