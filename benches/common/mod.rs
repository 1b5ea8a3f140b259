//! Frozen, realistic data shared by the benches: an active dashboard with a full recent-calls log.
//! The dashboard itself comes from the tests' fixtures, so benches and tests measure one thing.
#![allow(dead_code)] // each bench uses part of this

#[path = "../../tests/support/fixtures.rs"]
pub mod fixtures;

use pleo_keys::app::App;
use pleo_keys::domain::Environment;
use pleo_keys::store::history::CallEntry;
use std::collections::VecDeque;

pub use fixtures::now;

/// The `i`th call of a revalidation-shaped stream: mostly 200s, some 429s and a transport failure.
pub fn call(i: usize) -> CallEntry {
    // Of every seven: introspect and the installation twice each, the company, a 429, a timeout.
    let kind = match i % 7 {
        0 | 3 => 0,
        1 | 4 => 1,
        2 => 2,
        5 => 3,
        _ => 4,
    };
    let at = fixtures::secs_ago(3600) + jiff::SignedDuration::from_secs(i as i64 * 7);
    fixtures::call_of(kind, i, "/v1/introspect", at)
}

pub fn calls(n: usize) -> VecDeque<CallEntry> {
    (0..n).map(call).collect()
}

/// An active production dashboard with `n` recent calls, a countdown and relative times on screen.
pub fn active_app(n: usize) -> App {
    let mut app = fixtures::active_app(Environment::Production);
    if let Some(f) = app.facts.as_mut() {
        f.expires_on = Some(jiff::civil::date(2027, 3, 31));
    }
    app.ctx.store = "kernel keyring, session (forgotten on reboot)".into();
    app.calls = calls(n);
    app
}

/// A bench's `main`, running `$bench(criterion, group name)` (generic over the measurement) twice:
/// in wall time as `$name`, and in the bench thread's CPU time (what it costs when it gets a core)
/// as `$name (thread cpu)`.
macro_rules! wall_and_cpu_main {
    ($bench:ident, $name:literal) => {
        fn wall(c: &mut criterion::Criterion) {
            $bench(c, $name);
        }

        fn cpu(c: &mut criterion::Criterion<$crate::common::ThreadCpu>) {
            $bench(c, concat!($name, " (thread cpu)"));
        }

        criterion::criterion_group!(wall_time, wall);
        criterion::criterion_group! {
            name = cpu_time;
            config = criterion::Criterion::default().with_measurement($crate::common::ThreadCpu);
            targets = cpu
        }
        criterion::criterion_main!(wall_time, cpu_time);
    };
}
pub(crate) use wall_and_cpu_main;

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
