//! Injected faults: 429s, outages, slowness and malformed 200s, each counted down per request.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::reply::{HTML, JSON, Reply};
use super::{Malformed, RetryAfter};

/// A fault that runs out after `left` affected requests (None = until cleared).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted<T> {
    pub what: T,
    pub left: Option<u32>,
}

/// A fault for `count` requests; `Some(0)` is no fault at all.
pub(crate) fn counted<T>(what: T, count: Option<u32>) -> Option<Counted<T>> {
    match count {
        Some(0) => None,
        left => Some(Counted { what, left }),
    }
}

/// Use one shot of a fault, clearing it when its count reaches 0.
pub(crate) fn take<T: Copy>(slot: &mut Option<Counted<T>>) -> Option<T> {
    let fault = slot.as_mut()?;
    let what = fault.what;
    match fault.left {
        Some(n) if n <= 1 => *slot = None,
        Some(n) => fault.left = Some(n - 1),
        None => {}
    }
    Some(what)
}

/// The faults in force.
#[derive(Default)]
pub(crate) struct Faults {
    pub rate_limit: Option<Counted<RetryAfter>>,
    pub outage: Option<Counted<u16>>,
    pub slow: Option<Duration>,
    pub malformed: Option<Counted<Malformed>>,
}

/// One validated change from `POST /_sandbox/faults`; None clears that fault.
pub(crate) enum FaultChange {
    RateLimit(Option<(RetryAfter, Option<u32>)>),
    Outage(Option<(u16, Option<u32>)>),
    Slow(Option<Duration>),
    Malformed(Option<(Malformed, Option<u32>)>),
}

impl Faults {
    pub(crate) fn apply(&mut self, change: FaultChange) {
        match change {
            FaultChange::RateLimit(v) => self.rate_limit = v.and_then(|(r, c)| counted(r, c)),
            FaultChange::Outage(v) => self.outage = v.and_then(|(s, c)| counted(s, c)),
            FaultChange::Slow(v) => self.slow = v.filter(|d| !d.is_zero()),
            FaultChange::Malformed(v) => self.malformed = v.and_then(|(k, c)| counted(k, c)),
        }
    }

    /// The `faults` part of `GET /_sandbox/state`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "rate_limit": self.rate_limit.map(|c| {
                let (secs, http_date) = match c.what {
                    RetryAfter::Seconds(s) => (s, false),
                    RetryAfter::HttpDate(s) => (s, true),
                };
                json!({ "retry_after_secs": secs, "http_date": http_date, "count": c.left })
            }),
            "outage": self.outage.map(|c| json!({ "status": c.what, "count": c.left })),
            "slow_ms": self.slow.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            "malformed": self.malformed.map(|c| json!({ "kind": malformed_name(c.what), "count": c.left })),
        })
    }
}

/// The `Retry-After` value: delta-seconds, or an IMF-fixdate that many seconds from `now`.
pub(crate) fn retry_after_value(retry: RetryAfter, now: Timestamp) -> String {
    match retry {
        RetryAfter::Seconds(secs) => secs.to_string(),
        RetryAfter::HttpDate(secs) => {
            let delta = SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
            let when = now.checked_add(delta).unwrap_or(Timestamp::MAX);
            when.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
        }
    }
}

pub(crate) fn rate_limited(retry: RetryAfter, now: Timestamp) -> Reply {
    // INFERRED: Pleo documents neither the 429 body nor Retry-After.
    Reply::error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded")
        .with_header("retry-after", retry_after_value(retry, now))
}

pub(crate) fn outage(status: u16) -> Reply {
    // INFERRED: bodies of 5xx answers; a gateway's 502/504 is typically HTML.
    match status {
        503 => Reply::error(
            503,
            "SERVICE_UNAVAILABLE",
            "Service temporarily unavailable",
        ),
        502 | 504 => {
            let title = if status == 502 {
                "502 Bad Gateway"
            } else {
                "504 Gateway Time-out"
            };
            Reply {
                status,
                content_type: Some(HTML),
                headers: Vec::new(),
                body: format!(
                    "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
                )
                .into_bytes(),
            }
        }
        s if (500..=599).contains(&s) => {
            Reply::error(s, "INTERNAL_SERVER_ERROR", "An unexpected error occurred")
        }
        _ => Reply::error(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
    }
}

pub(crate) fn malformed(kind: Malformed) -> Reply {
    let body: &[u8] = match kind {
        Malformed::NotJson => br#"{"data": {"authMethod""#,
        Malformed::WrongShape => br#"{"unexpected": true}"#,
        Malformed::Empty => b"",
    };
    Reply {
        status: 200,
        content_type: Some(JSON),
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

/// The name the switches use for a malformed kind.
pub(crate) fn malformed_name(kind: Malformed) -> &'static str {
    match kind {
        Malformed::NotJson => "not_json",
        Malformed::WrongShape => "wrong_shape",
        Malformed::Empty => "empty",
    }
}

pub(crate) fn malformed_by_name(name: &str) -> Option<Malformed> {
    [Malformed::NotJson, Malformed::WrongShape, Malformed::Empty]
        .into_iter()
        .find(|k| malformed_name(*k) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_formats() {
        let at = Timestamp::from_second(784_111_777 - 60).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(retry_after_value(RetryAfter::Seconds(5), at), "5");
        assert_eq!(
            retry_after_value(RetryAfter::HttpDate(60), at),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        let reply = rate_limited(RetryAfter::Seconds(3), at);
        assert_eq!(reply.header("retry-after"), Some("3"));
        // An absurd delay saturates instead of panicking.
        assert!(!retry_after_value(RetryAfter::HttpDate(u64::MAX), at).is_empty());
    }

    #[test]
    fn counted_faults_run_out() {
        let mut slot = counted(7, Some(2));
        assert_eq!(
            (take(&mut slot), take(&mut slot), take(&mut slot)),
            (Some(7), Some(7), None)
        );
        let mut forever = counted(1, None);
        for _ in 0..5 {
            assert_eq!(take(&mut forever), Some(1));
        }
        assert!(counted(1, Some(0)).is_none());
    }

    #[test]
    fn malformed_names_round_trip() {
        for kind in [Malformed::NotJson, Malformed::WrongShape, Malformed::Empty] {
            let back = malformed_by_name(malformed_name(kind)).map(malformed_name);
            assert_eq!(back, Some(malformed_name(kind)));
        }
        assert!(malformed_by_name("odd").is_none());
    }
}
