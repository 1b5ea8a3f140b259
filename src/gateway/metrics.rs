//! Prometheus text for `/metrics` and `check --format prometheus`: the lifecycle series (shared)
//! and the proxy's counters. Nothing secret: no key, no token, no hint.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::domain::Reason;
use crate::lifecycle::Outcome;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Status classes counted, in order; "error" is a request Pleo never answered.
const CLASSES: [&str; 5] = ["2xx", "3xx", "4xx", "5xx", "error"];
/// Why the proxy answered itself instead of Pleo.
pub const REFUSALS: [&str; 5] = [
    "PROXY_UNAUTHORIZED",
    "INTEGRATION_NOT_ACTIVE",
    "COMPANY_SCOPE_VIOLATION",
    "PAYLOAD_TOO_LARGE",
    "BAD_REQUEST",
];

/// The proxy's counters; lock-free, shared by every connection.
#[derive(Debug, Default)]
pub struct Metrics {
    classes: [AtomicU64; CLASSES.len()],
    refusals: [AtomicU64; REFUSALS.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    scope_denials: AtomicU64,
}

impl Metrics {
    /// A request Pleo answered with `status` (`None`: no answer) after `latency`.
    pub fn forwarded(&self, status: Option<u16>, latency: Duration) {
        let class = match status {
            Some(200..=299) => 0,
            Some(300..=399) => 1,
            Some(400..=499) => 2,
            Some(_) => 3,
            None => 4,
        };
        self.classes[class].fetch_add(1, Ordering::Relaxed);
        let secs = latency.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn refused(&self, kind: &str) {
        if let Some(i) = REFUSALS.iter().position(|r| *r == kind) {
            self.refusals[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Pleo answered 403 naming a scope the key lacks.
    pub fn scope_denied(&self) {
        self.scope_denials.fetch_add(1, Ordering::Relaxed);
    }

    /// The proxy's own series.
    pub fn render(&self, out: &mut String) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let families: [Family; 2] = [
            (
                "pleo_keys_proxy_requests_total",
                "class",
                "Requests forwarded to Pleo, by the class of Pleo's answer (error: no answer).",
                &CLASSES,
                &self.classes,
            ),
            (
                "pleo_keys_proxy_refusals_total",
                "type",
                "Requests the proxy answered itself, by type; nothing was sent to Pleo.",
                &REFUSALS,
                &self.refusals,
            ),
        ];
        for (name, label, help, labels, counts) in families {
            header(out, name, "counter", help);
            for (value, n) in labels.iter().zip(counts) {
                let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {}", get(n));
            }
        }
        let denials = "pleo_keys_proxy_scope_denials_total";
        header(
            out,
            denials,
            "counter",
            "Forbidden answers from Pleo that name a missing scope.",
        );
        let _ = writeln!(out, "{denials} {}", get(&self.scope_denials));
        let name = "pleo_keys_proxy_request_duration_seconds";
        header(
            out,
            name,
            "histogram",
            "Time from forwarding a request to Pleo's answer headers.",
        );
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", get(n));
        }
        let count = get(&self.count);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", get(&self.sum_micros) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// A labelled counter family: name, label, help, label values, counts.
type Family<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [AtomicU64]);

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The lifecycle series: up, the state (one series per reason code, 1 for the current one),
/// when the key expires and when it was last checked good. For `/metrics` and the textfile
/// collector alike.
pub fn lifecycle_series(outcome: &Outcome, out: &mut String) {
    let up = outcome.lifecycle.is_active() || outcome.lifecycle.is_degraded();
    header(
        out,
        "pleo_keys_up",
        "gauge",
        "1 while the integration may use its key (active, or Pleo merely unreachable), else 0.",
    );
    let _ = writeln!(out, "pleo_keys_up {}", u8::from(up));
    header(
        out,
        "pleo_keys_lifecycle",
        "gauge",
        "The integration's state: 1 for the current reason code, 0 for the others.",
    );
    for reason in Reason::ALL {
        let _ = writeln!(
            out,
            "pleo_keys_lifecycle{{state=\"{}\"}} {}",
            reason.as_str(),
            u8::from(reason == outcome.reason)
        );
    }
    let facts = outcome.facts.as_ref();
    if let Some(expiry) = facts.and_then(|f| f.expires_on) {
        // The key stops working at the start of its expiry day (UTC): warn by then.
        let at = expiry
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0);
        header(
            out,
            "pleo_keys_key_expiry_timestamp_seconds",
            "gauge",
            "When the key expires (recorded by the operator), as a Unix time.",
        );
        let _ = writeln!(out, "pleo_keys_key_expiry_timestamp_seconds {at}");
    }
    if let Some(at) = facts.and_then(|f| f.last_good_check) {
        header(
            out,
            "pleo_keys_last_good_check_timestamp_seconds",
            "gauge",
            "When Pleo last confirmed the key, as a Unix time.",
        );
        let _ = writeln!(
            out,
            "pleo_keys_last_good_check_timestamp_seconds {}",
            at.as_second()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Lifecycle;

    #[test]
    fn the_histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.forwarded(Some(200), Duration::from_micros(800));
        m.forwarded(Some(503), Duration::from_millis(30));
        m.forwarded(None, Duration::from_secs(20));
        m.refused("COMPANY_SCOPE_VIOLATION");
        let mut out = String::new();
        m.render(&mut out);
        for line in [
            "pleo_keys_proxy_requests_total{class=\"2xx\"} 1",
            "pleo_keys_proxy_requests_total{class=\"5xx\"} 1",
            "pleo_keys_proxy_requests_total{class=\"error\"} 1",
            "pleo_keys_proxy_refusals_total{type=\"COMPANY_SCOPE_VIOLATION\"} 1",
            "pleo_keys_proxy_request_duration_seconds_bucket{le=\"0.001\"} 1",
            "pleo_keys_proxy_request_duration_seconds_bucket{le=\"0.05\"} 2",
            "pleo_keys_proxy_request_duration_seconds_bucket{le=\"10\"} 2",
            "pleo_keys_proxy_request_duration_seconds_bucket{le=\"+Inf\"} 3",
            "pleo_keys_proxy_request_duration_seconds_count 3",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} in\n{out}");
        }
    }

    #[test]
    fn lifecycle_series_mark_exactly_the_current_state() {
        let mut out = String::new();
        lifecycle_series(&Outcome::bare(Lifecycle::KeyRejected), &mut out);
        assert!(out.contains("pleo_keys_up 0\n"));
        let ones: Vec<_> = out
            .lines()
            .filter(|l| l.starts_with("pleo_keys_lifecycle{") && l.ends_with(" 1"))
            .collect();
        assert_eq!(ones, ["pleo_keys_lifecycle{state=\"key_rejected\"} 1"]);
        assert!(!out.contains("expiry"), "unknown expiry: no series");
    }
}
