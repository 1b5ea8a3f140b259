//! The CLI commands: each builds an [`Engine`], runs one procedure and returns the exit code.

mod key_input;
mod setup;
mod status;

use crate::app::Theme;
use crate::cli::{Cli, Command, ForgetArgs, ThemeArg};
use crate::lifecycle::engine::{Engine, ReplaceOptions};
use crate::lifecycle::{CheckStatus, Lifecycle};
use crate::report::Report;
use crate::sandbox::Sandbox;
use crate::secret::ApiKey;
use crate::store::{AuditEvent, AuditKind};
use std::io::{IsTerminal, Write};

/// Exit code for usage, configuration and other errors that leave the state unknown.
pub const EXIT_UNKNOWN: i32 = 3;

pub async fn run(cli: Cli) -> i32 {
    if let Some(Command::Sandbox(args)) = &cli.command {
        return run_sandbox_server(args.port).await;
    }
    // `--sandbox`: an in-process fake Pleo, alive for this run only.
    let sandbox = if cli.sandbox {
        match Sandbox::start(0).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("pleo-keys: could not start the sandbox on 127.0.0.1: {e}");
                return EXIT_UNKNOWN;
            }
        }
    } else {
        None
    };
    let setup = match setup::Setup::new(&cli, sandbox.as_ref()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("pleo-keys: {msg}");
            return EXIT_UNKNOWN;
        }
    };
    let _log_guard = setup::init_logging(&setup.engine.paths.log_dir);
    if cli.command.is_some() {
        crate::store::lock::set_wait_notice(|msg| eprintln!("pleo-keys: {msg}…"));
    }
    let engine = &setup.engine;
    match &cli.command {
        Some(Command::SetKey(args)) => {
            let opts = ReplaceOptions {
                expires_on: args.expires,
                company: args.company.clone(),
                confirm_company_change: args.confirm_company_change,
            };
            set_key(engine, &opts, args.json).await
        }
        Some(Command::Check(args)) => {
            let outcome = engine.check().await;
            print_report(&outcome.report, "pleo-keys check", args.json)
        }
        Some(Command::Reactivate(args)) => {
            let opts = ReplaceOptions {
                expires_on: None,
                company: args.company.clone(),
                confirm_company_change: args.confirm_company_change,
            };
            let outcome = engine.reactivate(&opts).await;
            print_report(&outcome.report, "pleo-keys reactivate", args.json)
        }
        Some(Command::Status(args)) => status::run(engine, args.json),
        Some(Command::Forget(args)) => forget(engine, args).await,
        Some(Command::Sandbox(_)) => EXIT_UNKNOWN, // handled above
        None => {
            let on_terminal = std::io::stdout().is_terminal();
            if sandbox.is_some() {
                // Start already connected: seed the sandbox's healthy key.
                let key = match ApiKey::parse(crate::sandbox::HEALTHY_KEY) {
                    Ok((k, _)) => k,
                    Err(e) => {
                        eprintln!("pleo-keys: the sandbox's demo key is malformed: {e}");
                        return EXIT_UNKNOWN;
                    }
                };
                let seeded = engine.replace_key(key, &ReplaceOptions::default()).await;
                if !seeded.committed {
                    return print_report(&seeded.report, "pleo-keys --sandbox", false);
                }
            }
            if on_terminal {
                let every = cli.revalidate_every.unwrap_or(setup.revalidate_every);
                return crate::runtime::run_dashboard(engine, sandbox.as_ref(), theme(&cli), every)
                    .await;
            }
            if sandbox.is_none() {
                return status::run(engine, false);
            }
            let outcome = engine.check().await;
            let code = print_report(&outcome.report, "pleo-keys --sandbox check", false);
            println!(
                "\nThis ran against a built-in fake Pleo with a throw-away home. Try `pleo-keys sandbox` for a\nlong-running one with demo keys and switches, and `pleo-keys --help` for the commands."
            );
            code
        }
    }
}

/// `--theme` wins; otherwise a non-empty NO_COLOR (no-color.org) selects mono.
fn theme(cli: &Cli) -> Theme {
    match cli.theme {
        Some(ThemeArg::Default) => Theme::Default,
        Some(ThemeArg::Light) => Theme::Light,
        Some(ThemeArg::Dark) => Theme::Dark,
        Some(ThemeArg::Mono) => Theme::Mono,
        None if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => Theme::Mono,
        None => Theme::Default,
    }
}

async fn set_key(engine: &Engine, opts: &ReplaceOptions, json: bool) -> i32 {
    let raw = match key_input::read_key() {
        Ok(raw) => raw,
        Err(msg) => {
            eprintln!("pleo-keys: {msg}");
            return EXIT_UNKNOWN;
        }
    };
    let (key, warnings) = match ApiKey::parse(&raw) {
        Ok(parsed) => parsed,
        Err(problem) => {
            // Refused locally: nothing reaches the network or a log.
            let state = Lifecycle::InvalidKeyFormat {
                problem: problem.to_string(),
            };
            let report = Report::bare(
                &state,
                &engine.endpoint.environment,
                engine.endpoint.base_url.as_str(),
            );
            return print_report(&report, "pleo-keys set-key", json);
        }
    };
    drop(raw);
    let mut outcome = engine.replace_key(key, opts).await;
    for w in warnings {
        outcome.report.notes.push(w.message().to_string());
    }
    if engine.env_key.is_some() {
        outcome.report.notes.push(
            "PLEO_API_KEY is set in this environment: later runs use it instead of the stored key"
                .into(),
        );
    }
    print_report(&outcome.report, "pleo-keys set-key", json)
}

async fn forget(engine: &Engine, args: &ForgetArgs) -> i32 {
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "pleo-keys: forget removes the stored key and state; pass --yes to confirm when not on a terminal"
            );
            return EXIT_UNKNOWN;
        }
        print!(
            "Remove the stored API key and state under {}? Type 'yes' to confirm: ",
            engine
                .paths
                .state_file
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            eprintln!("Nothing removed.");
            return 1;
        }
    }
    let _lock = match engine.lock_home().await {
        Ok(l) => l,
        Err(o) => {
            eprintln!("pleo-keys: {}", o.report.message);
            return EXIT_UNKNOWN;
        }
    };
    let fingerprint = crate::store::load_state(&engine.paths.state_file)
        .ok()
        .flatten()
        .map(|s| (s.key_fingerprint, s.company_id));
    let mut removed = Vec::new();
    let mut failed = false;
    match engine.store.delete().await {
        Ok(true) => removed.push(format!("the key from {}", engine.store.location())),
        Ok(false) => {}
        Err(e) => {
            eprintln!("pleo-keys: could not remove the key: {e}");
            failed = true;
        }
    }
    for path in [&engine.paths.state_file, &engine.paths.last_check_file] {
        match std::fs::remove_file(path) {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                eprintln!("pleo-keys: could not remove {}: {e}", path.display());
                failed = true;
            }
        }
    }
    let mut event = AuditEvent::new(AuditKind::KeyForgotten);
    if let Some((fp, company)) = &fingerprint {
        event = event.company(company).detail(&format!("key {fp}"));
    }
    if let Err(e) = engine.audit.append(event) {
        eprintln!("pleo-keys: could not write the audit log: {e}");
    }
    if removed.is_empty() && !failed {
        println!("Nothing was stored; nothing removed.");
    } else {
        for r in &removed {
            println!("Removed {r}");
        }
    }
    if failed { EXIT_UNKNOWN } else { 0 }
}

fn print_report(report: &Report, title: &str, json: bool) -> i32 {
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_human(title));
    }
    report.exit_code()
}

async fn run_sandbox_server(port: u16) -> i32 {
    let sandbox = match Sandbox::start(port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pleo-keys: could not start the sandbox on 127.0.0.1:{port}: {e}");
            return EXIT_UNKNOWN;
        }
    };
    println!("{}", sandbox.describe());
    println!(
        "Point pleo-keys at it (with a home of its own, so your real state is untouched):\n  pleo-keys --base-url {} --home /tmp/pleo-keys-demo --secret-store file set-key",
        sandbox.url()
    );
    println!("\nPress Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    setup::wait_for_shutdown_signal().await;
    drop(sandbox);
    CheckStatus::Ok.exit_code()
}
