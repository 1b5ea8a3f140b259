//! The integration's traffic in the last minutes, from the call history: what the proxy and
//! `api` forwarded, how it went, and what the gate and the company scope refused.

use std::collections::VecDeque;

use crate::store::history::{CallEntry, CallSource};

/// The window the traffic panel sums over.
pub const WINDOW_SECS: i64 = 5 * 60;
/// Sparkline columns across the window (30 s each).
pub const BUCKETS: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Requests sent to Pleo.
    pub requests: usize,
    /// Of those: answered 4xx/5xx or not at all.
    pub errors: usize,
    pub p50_us: Option<u64>,
    pub p95_us: Option<u64>,
    pub refused_by_gate: usize,
    pub refused_by_scope: usize,
    /// A missing or wrong proxy token: a client set up with the wrong credential.
    pub refused_by_token: usize,
    /// An oversized or malformed request.
    pub refused_other: usize,
    /// Requests and refusals per bucket, oldest first.
    pub per_bucket: [u64; BUCKETS],
}

impl Traffic {
    pub fn refused(&self) -> usize {
        self.refused_by_gate + self.refused_by_scope + self.refused_by_token + self.refused_other
    }

    pub fn is_empty(&self) -> bool {
        self.requests == 0 && self.refused() == 0
    }
}

/// Sum the proxy's and `api`'s entries of the last [`WINDOW_SECS`] before `now`.
pub fn traffic(calls: &VecDeque<CallEntry>, now: jiff::Timestamp) -> Traffic {
    let mut t = Traffic::default();
    let mut latencies = Vec::new();
    let bucket_secs = WINDOW_SECS / BUCKETS as i64;
    for e in calls.iter().rev() {
        let age = now.as_second() - e.at.as_second();
        if age >= WINDOW_SECS {
            break;
        }
        if !matches!(e.source, CallSource::Proxy | CallSource::Api) || age < 0 {
            continue;
        }
        let bucket = BUCKETS - 1 - (age / bucket_secs) as usize;
        t.per_bucket[bucket] += 1;
        match e.refused.as_deref() {
            Some("INTEGRATION_NOT_ACTIVE") => t.refused_by_gate += 1,
            Some("COMPANY_SCOPE_VIOLATION") => t.refused_by_scope += 1,
            Some("PROXY_UNAUTHORIZED") => t.refused_by_token += 1,
            Some(_) => t.refused_other += 1,
            None => {
                t.requests += 1;
                if e.status.is_none_or(|s| s >= 400) {
                    t.errors += 1;
                }
                latencies.push(e.latency_us);
            }
        }
    }
    latencies.sort_unstable();
    t.p50_us = percentile(&latencies, 50);
    t.p95_us = percentile(&latencies, 95);
    t
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        secs_ago: i64,
        source: CallSource,
        status: Option<u16>,
        refused: Option<&str>,
        ms: u64,
    ) -> CallEntry {
        CallEntry {
            at: jiff::Timestamp::from_second(1_000_000 - secs_ago).unwrap(),
            source,
            pid: 1,
            method: "GET".into(),
            path: "/v2/employees".into(),
            status,
            failure: None,
            refused: refused.map(str::to_string),
            latency_us: ms * 1000,
            error: None,
            retry_after_secs: None,
            run: None,
        }
    }

    #[test]
    fn sums_the_integrations_traffic_of_the_window_only() {
        let now = jiff::Timestamp::from_second(1_000_000).unwrap();
        let calls: VecDeque<_> = [
            entry(600, CallSource::Proxy, Some(200), None, 1), // too old
            entry(200, CallSource::Check, Some(200), None, 50), // not the integration's
            entry(250, CallSource::Proxy, Some(200), None, 2),
            entry(100, CallSource::Proxy, Some(200), None, 4),
            entry(90, CallSource::Api, Some(404), None, 6),
            entry(60, CallSource::Proxy, None, None, 20),
            entry(
                30,
                CallSource::Proxy,
                None,
                Some("INTEGRATION_NOT_ACTIVE"),
                0,
            ),
            entry(
                10,
                CallSource::Proxy,
                None,
                Some("COMPANY_SCOPE_VIOLATION"),
                0,
            ),
            entry(5, CallSource::Proxy, None, Some("PROXY_UNAUTHORIZED"), 0),
            entry(4, CallSource::Proxy, None, Some("PAYLOAD_TOO_LARGE"), 0),
        ]
        .into();
        let t = traffic(&calls, now);
        assert_eq!((t.requests, t.errors), (4, 2));
        assert_eq!(
            (
                t.refused_by_gate,
                t.refused_by_scope,
                t.refused_by_token,
                t.refused_other
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(t.p50_us, Some(4000));
        assert_eq!(t.p95_us, Some(20_000));
        assert_eq!(t.per_bucket.iter().sum::<u64>(), 8);
        assert_eq!(
            t.per_bucket[BUCKETS - 1],
            3,
            "10, 5 and 4 s ago: the last 30 s"
        );
        assert!(traffic(&VecDeque::new(), now).is_empty());
    }
}
