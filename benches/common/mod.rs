//! Frozen, realistic data shared by the benches: an active dashboard with a full recent-calls log.
#![allow(dead_code)] // each bench uses part of this

use pleo_keys::app::{App, Context, Facts, Theme};
use pleo_keys::lifecycle::Lifecycle;
use pleo_keys::pleo::{CallOutcome, CallRecord};
use pleo_keys::sandbox::{ACME_ID, ACME_NAME};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

pub fn now() -> jiff::Timestamp {
    "2026-11-28T12:00:00Z".parse().expect("timestamp")
}

fn secs_ago(s: i64) -> jiff::Timestamp {
    now() - jiff::SignedDuration::from_secs(s)
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

pub fn ctx() -> Context {
    Context {
        environment: "production".into(),
        base_url: "https://external.pleo.io".into(),
        sandbox: false,
        version: "0.1.0",
        config_file: PathBuf::from("/home/op/.config/pleo-keys/config.toml"),
        state_file: PathBuf::from("/home/op/.local/state/pleo-keys/state.json"),
        audit_log: PathBuf::from("/home/op/.local/state/pleo-keys/audit.log"),
        log_dir: PathBuf::from("/home/op/.local/state/pleo-keys/logs"),
        store: "kernel keyring, session (forgotten on reboot)".into(),
        revalidate_every: Duration::from_secs(300),
        demo_keys: vec![],
    }
}

pub fn facts() -> Facts {
    Facts {
        company_id: Some(ACME_ID.into()),
        company_name: Some(ACME_NAME.into()),
        key_hint: Some("…a1b2".into()),
        key_source: Some("kernel keyring, session (forgotten on reboot)".into()),
        installation_status: Some("ACTIVATED".into()),
        required_scopes: strings(&["export-jobs:read", "export-jobs:write", "export-items:read"]),
        granted_scopes: strings(&[
            "export-jobs:read",
            "export-jobs:write",
            "export-items:read",
            "users:read",
        ]),
        last_success_at: Some(secs_ago(120)),
        last_checked_at: Some(secs_ago(120)),
        expires_on: Some("2027-03-31".parse().expect("date")),
    }
}

/// The `i`th call of a revalidation-shaped stream: mostly 200s, some 429s and a transport failure.
pub fn call(i: usize) -> CallRecord {
    let (method, path, outcome) = match i % 7 {
        0 | 3 => (
            "GET",
            "/v1/introspect".to_string(),
            CallOutcome::Status(200),
        ),
        1 | 4 => (
            "GET",
            format!("/v1/installations/me?company_id={ACME_ID}"),
            CallOutcome::Status(200),
        ),
        2 => (
            "GET",
            format!("/v1/companies/{ACME_ID}"),
            CallOutcome::Status(200),
        ),
        5 => (
            "POST",
            format!("/v1/installations/me/activate?company_id={ACME_ID}"),
            CallOutcome::Status(429),
        ),
        _ => (
            "GET",
            "/v1/introspect".to_string(),
            CallOutcome::Failed("timeout"),
        ),
    };
    CallRecord {
        at: secs_ago(3600) + jiff::SignedDuration::from_secs(i as i64 * 7),
        method,
        path,
        outcome,
        latency: Duration::from_millis(40 + (i as u64 * 37) % 900),
    }
}

pub fn calls(n: usize) -> VecDeque<CallRecord> {
    (0..n).map(call).collect()
}

/// An active production dashboard with `n` recent calls, a countdown and relative times on screen.
pub fn active_app(n: usize) -> App {
    let mut app = App::new(ctx(), facts(), true, Theme::Default, now());
    app.lifecycle = Lifecycle::Active {
        company_id: ACME_ID.into(),
        company_name: Some(ACME_NAME.into()),
    };
    app.next_check_at = Some(now() + jiff::SignedDuration::from_secs(180));
    app.calls = calls(n);
    app
}

/// Criterion measurement of this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) instead of wall
/// time: on a shared 2-core machine with other builds running, wall time also counts the time
/// the bench thread waits for a core; CPU time counts only the work.
pub struct ThreadCpu;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl criterion::measurement::Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_ns() - started
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl criterion::measurement::ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns cpu"),
            t if t < 1e6 => (1e-3, "µs cpu"),
            t if t < 1e9 => (1e-6, "ms cpu"),
            _ => (1e-9, "s cpu"),
        };
        for v in values {
            *v *= factor;
        }
        unit
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _throughput: &criterion::Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "n/a"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
