//! `set-key`, `check` and `reactivate`: the commands that ask Pleo.

use super::EXIT_UNKNOWN;
use super::output::{self, outln};
use super::prompt;
use super::report::{Command, Report};
use super::setup::Setup;
use crate::cli::{Format, ReactivateArgs, SetKeyArgs};
use crate::lifecycle::{Lifecycle, Outcome};
use crate::secret::ApiKey;

pub fn print(setup: &Setup, outcome: &Outcome, command: Command, json: bool) -> i32 {
    let engine = &setup.engine;
    let mut outcome = std::borrow::Cow::Borrowed(outcome);
    if command != Command::Status
        && let Some(proxy) = crate::pleo::proxy::in_use(&engine.endpoint)
    {
        outcome.to_mut().notes.push(format!(
            "Calls to Pleo went through the proxy {proxy} (HTTPS_PROXY or ALL_PROXY; NO_PROXY exempts hosts)"
        ));
    }
    if let Some(Err(why)) = crate::secret::memory_locked() {
        outcome.to_mut().notes.push(crate::domain::sentence(&why));
    }
    let outcome = outcome.as_ref();
    let report = Report::new(
        outcome,
        command,
        &engine.endpoint,
        &engine.required_scopes,
        engine.today(),
    );
    let title = match command {
        Command::SetKey => "pleo-keys set-key",
        Command::Check => "pleo-keys check",
        Command::Reactivate => "pleo-keys reactivate",
        Command::Status => "pleo-keys status",
    };
    if json {
        outln(&report.to_json());
    } else {
        output::out(&report.to_human(title));
    }
    report.exit_code()
}

pub async fn set_key(setup: &Setup, args: &SetKeyArgs) -> i32 {
    let engine = &setup.engine;
    let raw = match prompt::read_key() {
        Ok(raw) => raw,
        Err(msg) => {
            output::err(&msg);
            return EXIT_UNKNOWN;
        }
    };
    let (key, warnings) = match ApiKey::parse(&raw) {
        Ok(parsed) => parsed,
        Err(problem) => {
            // Refused locally: nothing reaches the network or a log.
            let outcome = Outcome::bare(Lifecycle::InvalidKeyFormat {
                problem: problem.to_string(),
            });
            return print(setup, &outcome, Command::SetKey, args.binding.json);
        }
    };
    drop(raw);
    // An existing key file's passphrase is reused (asked once); a new file's is chosen now.
    if let Err(msg) = prompt::unlock_store(&engine.store, true).await {
        output::err(&msg);
        return EXIT_UNKNOWN;
    }
    let opts = args.binding.options(args.expires);
    let mut outcome = engine.replace_key(key, &opts).await;
    for w in warnings {
        outcome.notes.push(w.message().to_string());
    }
    if engine.env_key.is_some() {
        outcome.notes.push(
            "PLEO_API_KEY is set in this environment: runs with it use that key instead of the stored one"
                .into(),
        );
    }
    print(setup, &outcome, Command::SetKey, args.binding.json)
}

pub async fn check(setup: &Setup, format: Format) -> i32 {
    let engine = &setup.engine;
    let outcome = if engine.env_key.is_none()
        && let Err(msg) = prompt::unlock_store(&engine.store, false).await
    {
        Outcome::bare(Lifecycle::StorageError {
            detail: msg,
            needs_passphrase: true,
        })
    } else {
        engine.check().await
    };
    match format {
        Format::Prometheus => {
            let mut text = String::new();
            crate::gateway::metrics::lifecycle_series(&outcome, &mut text);
            output::out(&text);
            outcome.exit_code()
        }
        f => print(setup, &outcome, Command::Check, f == Format::Json),
    }
}

pub async fn reactivate(setup: &Setup, args: &ReactivateArgs) -> i32 {
    let engine = &setup.engine;
    if let Err(msg) = prompt::unlock_store(&engine.store, false).await {
        output::err(&msg);
        return EXIT_UNKNOWN;
    }
    let outcome = engine.reactivate(&args.options(None)).await;
    print(setup, &outcome, Command::Reactivate, args.json)
}
