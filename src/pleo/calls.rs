//! The record of each call to Pleo: what was called and how it went. Never headers or bodies.
//! Whoever wants to hear about calls (the dashboard) subscribes; the home's call history, when
//! given, gets each one too, so other processes see them.

use crate::store::history::{CallEntry, CallHistory, CallSource};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    Status(u16),
    /// No usable answer: the `ApiError::class()` of a transport failure or an unexpected body.
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
    /// Pleo's `{type, message}` on an error answer (sanitised), or the failure in words.
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
    /// The check or activation the call was part of (see [`in_run`]).
    pub run: Option<String>,
}

tokio::task_local! {
    static RUN: String;
}

/// Run `work` as part of `label` ("check at 12:00:01", "activation of key …21a4"): the calls it
/// makes say so in the call history.
pub async fn in_run<F: std::future::Future>(label: String, work: F) -> F::Output {
    RUN.scope(label, work).await
}

/// The label of the run the current task is part of.
pub fn current_run() -> Option<String> {
    RUN.try_with(Clone::clone).ok()
}

impl CallRecord {
    /// As a line of the home's call history.
    pub fn entry(&self, source: CallSource) -> CallEntry {
        let (status, failure) = match &self.outcome {
            CallOutcome::Status(s) => (Some(*s), None),
            CallOutcome::Failed(class) => (None, Some((*class).to_string())),
        };
        CallEntry {
            at: self.at,
            source,
            pid: std::process::id(),
            method: self.method.to_string(),
            path: self.path.clone(),
            status,
            failure,
            refused: None,
            latency_us: u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX),
            error: self.error.clone(),
            retry_after_secs: self.retry_after.map(|d| d.as_secs()),
            run: self.run.clone(),
        }
    }
}

/// Where the client reports its calls. Cheap to clone; clones share the subscribers.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    subscribers: Arc<Mutex<Vec<UnboundedSender<CallRecord>>>>,
    history: Option<CallHistory>,
}

impl CallLog {
    /// A log that also appends each call to `history` (as this process's own checks).
    pub fn with_history(history: CallHistory) -> CallLog {
        CallLog {
            history: Some(history),
            ..CallLog::default()
        }
    }

    /// Every call from now on is also sent to the returned receiver.
    pub fn subscribe(&self) -> UnboundedReceiver<CallRecord> {
        let (tx, rx) = unbounded_channel();
        self.lock().push(tx);
        rx
    }

    pub fn record(&self, record: CallRecord) {
        tracing::debug!(
            method = record.method,
            path = %record.path,
            outcome = ?record.outcome,
            latency_ms = u64::try_from(record.latency.as_millis()).unwrap_or(u64::MAX),
            "pleo call"
        );
        if let Some(history) = &self.history
            && let Err(e) = history.append(&record.entry(CallSource::Check))
        {
            tracing::debug!(error = %e, "could not append to the call history");
        }
        // A subscriber that went away is dropped.
        self.lock().retain(|tx| tx.send(record.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<UnboundedSender<CallRecord>>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str) -> CallRecord {
        CallRecord {
            at: jiff::Timestamp::UNIX_EPOCH,
            method: "GET",
            path: path.into(),
            outcome: CallOutcome::Status(200),
            latency: Duration::ZERO,
            error: None,
            retry_after: None,
            run: None,
        }
    }

    #[test]
    fn subscribers_hear_calls_made_after_they_subscribed() {
        let log = CallLog::default();
        log.record(record("/before"));
        let mut rx = log.subscribe();
        log.clone().record(record("/after"));
        assert_eq!(rx.try_recv().unwrap().path, "/after");
        assert!(rx.try_recv().is_err());
        drop(rx);
        log.record(record("/nobody"));
        assert!(log.lock().is_empty(), "a closed subscriber is dropped");
    }
}
