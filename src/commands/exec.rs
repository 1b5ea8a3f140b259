//! `exec -- CMD`: run a program with the key in its environment, only while the integration is
//! active. Its exit code is ours; the signals a service manager sends reach it.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::output::err;
use super::report::{Command, Report};
use super::setup::Setup;
use super::{EXIT_UNKNOWN, prompt};
use crate::cli::ExecArgs;
use crate::gateway::current::{Current, Gate};
use crate::lifecycle::Outcome;

/// Exit codes a shell uses when the program cannot be run.
const EXIT_NOT_FOUND: i32 = 127;
const EXIT_CANNOT_RUN: i32 = 126;
/// `exec` refused: the integration is not active (monitoring's "critical").
pub const EXIT_NOT_ACTIVE: i32 = 2;

/// The key may be used now: checked with Pleo first (normal operation resumes only after a
/// successful validation), then read as every gateway reads it. `Err`: the exit code, said.
pub async fn ready(setup: &Setup, who: &str) -> Result<Current, i32> {
    let engine = &setup.engine;
    if setup.settings.env_key.is_some() {
        err(&format!(
            "PLEO_API_KEY is set: {who} uses the stored key and ignores it"
        ));
    }
    if let Err(msg) = prompt::unlock_store(&engine.store, false).await {
        err(&msg);
        return Err(EXIT_UNKNOWN);
    }
    let checked = engine.check().await;
    let current = Current::load(engine, None).await;
    match (&current.gate, &current.key) {
        (Gate::Open, Some(_)) => {
            if current.outcome.lifecycle.is_degraded() {
                err(&format!(
                    "{who}: Pleo could not confirm the key now ({}); going ahead with the key that passed the last check.",
                    checked.lifecycle.headline().trim_end_matches('.')
                ));
            }
            Ok(current)
        }
        _ => {
            refuse(setup, &current.outcome, who);
            Err(EXIT_NOT_ACTIVE)
        }
    }
}

fn refuse(setup: &Setup, outcome: &Outcome, who: &str) {
    let engine = &setup.engine;
    let report = Report::new(
        outcome,
        Command::Check,
        &engine.endpoint,
        &engine.required_scopes,
        engine.today(),
    );
    err(&format!(
        "{who}: the integration is not active ({}): {}",
        report.reason, report.message
    ));
    if let Some(next) = report.next_action {
        err(&format!("Next: {next}"));
    }
}

pub async fn run(setup: &Setup, args: &ExecArgs) -> i32 {
    let Some((program, rest)) = args.command.split_first() else {
        err("exec needs a program to run: pleo-keys exec -- CMD [ARGS…]");
        return EXIT_UNKNOWN;
    };
    let shown = crate::domain::sanitize(&program.to_string_lossy(), 80);
    let current = match ready(setup, "exec").await {
        Ok(c) => c,
        Err(code) => {
            err(&format!("{shown} was not started."));
            return code;
        }
    };
    let (Some(key), Some(company)) = (&current.key, current.company()) else {
        return EXIT_NOT_ACTIVE;
    };
    let base = setup
        .engine
        .endpoint
        .base_url
        .as_str()
        .trim_end_matches('/');
    let mut command = tokio::process::Command::new(program);
    command
        .args(rest)
        .env("PLEO_API_KEY", key.expose())
        .env("PLEO_COMPANY_ID", company.to_string())
        .env("PLEO_API_BASE_URL", base)
        // The program gets the key, never what unlocks the store.
        .env_remove("PLEO_KEYS_PASSPHRASE")
        .env_remove("PLEO_KEYS_PASSPHRASE_FILE")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    // SAFETY: restore_for_child only calls umask and setrlimit, both async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            crate::hardening::restore_for_child();
            Ok(())
        });
    }
    let signals = catch_signals();
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            err(&format!("could not run {shown}: {e}"));
            return if e.kind() == std::io::ErrorKind::NotFound {
                EXIT_NOT_FOUND
            } else {
                EXIT_CANNOT_RUN
            };
        }
    };
    tracing::info!(program = %shown, "exec started a program with the key");
    let status = forward_signals_until_exit(&mut child, signals).await;
    match status {
        Ok(s) => s
            .code()
            .or_else(|| s.signal().map(|sig| 128 + sig))
            .unwrap_or(EXIT_UNKNOWN),
        Err(e) => {
            err(&format!("lost track of {shown}: {e}"));
            EXIT_UNKNOWN
        }
    }
}

/// Wait for the child, passing on the signals a service manager or `kill` sends us. SIGINT and
/// SIGQUIT from a terminal reach the whole foreground group already: then ours are swallowed, so
/// the program never gets Ctrl-C twice.
async fn forward_signals_until_exit(
    child: &mut tokio::process::Child,
    signals: Vec<(SignalKind, Signal)>,
) -> std::io::Result<std::process::ExitStatus> {
    let from_terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let pid = child.id().and_then(|p| libc::pid_t::try_from(p).ok());
    let mut forwarders = tokio::task::JoinSet::new();
    for (kind, mut stream) in signals {
        let pass_on =
            !(from_terminal && (kind == SignalKind::interrupt() || kind == SignalKind::quit()));
        forwarders.spawn(async move {
            while stream.recv().await.is_some() {
                if let (true, Some(pid)) = (pass_on, pid) {
                    // SAFETY: kill(2) on our own child, not yet reaped (this task ends first).
                    unsafe { libc::kill(pid, kind.as_raw_value()) };
                }
            }
        });
    }
    let status = child.wait().await;
    forwarders.abort_all();
    status
}

/// Take over the signals to pass on, before the program starts: one sent in between would
/// otherwise end us with the default action and leave the program running on its own. A
/// signal that arrives before the program runs is kept and passed on once it does.
fn catch_signals() -> Vec<(SignalKind, Signal)> {
    [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::user_defined1(),
        SignalKind::user_defined2(),
        SignalKind::interrupt(),
        SignalKind::quit(),
    ]
    .into_iter()
    .filter_map(|kind| signal(kind).ok().map(|stream| (kind, stream)))
    .collect()
}
