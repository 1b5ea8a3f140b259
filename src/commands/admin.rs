//! `set-expiry`, `passphrase` and `forget`: changes to what is stored, without Pleo.

use super::EXIT_UNKNOWN;
use super::output::{self, outln};
use super::prompt;
use super::setup::Setup;
use crate::cli::{Expiry, ForgetArgs, SetExpiryArgs};
use crate::lifecycle::engine::AdminError;
use std::io::IsTerminal;

pub async fn set_expiry(setup: &Setup, args: &SetExpiryArgs) -> i32 {
    let date = match args.date {
        Expiry::On(d) => Some(d),
        Expiry::None => None,
    };
    match setup.engine.set_expiry(date).await {
        Ok(facts) => {
            if args.json {
                let v = serde_json::json!({
                    "status": "ok",
                    "company_id": facts.company_id,
                    "key_hint": facts.key.hint,
                    "key_fingerprint": facts.key.fingerprint,
                    "expires_on": facts.expires_on,
                });
                outln(&v.to_string());
            } else {
                outln(&match facts.expires_on {
                    Some(d) => format!(
                        "Recorded: the key {} expires on {d}. Warnings start 14 days before.",
                        facts.key.hint
                    ),
                    None => format!("Cleared the expiry date of the key {}.", facts.key.hint),
                });
            }
            0
        }
        Err(e) => {
            report_error(&e.to_string(), args.json);
            match e {
                AdminError::NoKey => 2,
                _ => EXIT_UNKNOWN,
            }
        }
    }
}

pub(super) fn report_error(message: &str, json: bool) {
    if json {
        outln(&serde_json::json!({"status": "unknown", "message": message}).to_string());
    } else {
        output::err(message);
    }
}

pub async fn passphrase(setup: &Setup, json: bool) -> i32 {
    let store = &setup.engine.store;
    let Some(path) = store.key_file().map(|p| p.display().to_string()) else {
        report_error(
            &format!(
                "the key is kept in {}, which has no passphrase; only the encrypted file store (--secret-store file) has one",
                store.location()
            ),
            json,
        );
        return EXIT_UNKNOWN;
    };
    if !setup.engine.home.paths.secret_file.exists() {
        report_error(
            &format!("there is no key file {path} yet: run pleo-keys set-key first"),
            json,
        );
        return 2;
    }
    if let Err(msg) = prompt::unlock_store(store, false).await {
        report_error(&msg, json);
        return EXIT_UNKNOWN;
    }
    let new = match prompt::choose_passphrase(&format!("New passphrase for {path}: ")) {
        Ok(p) => p,
        Err(msg) => {
            report_error(&msg, json);
            return EXIT_UNKNOWN;
        }
    };
    match setup.engine.change_passphrase(new).await {
        Ok(()) => {
            if json {
                outln(&serde_json::json!({"status": "ok", "key_file": path}).to_string());
            } else {
                outln(&format!(
                    "The key in {path} is now encrypted with the new passphrase."
                ));
            }
            0
        }
        Err(e) => {
            report_error(&e.to_string(), json);
            EXIT_UNKNOWN
        }
    }
}

pub async fn forget(setup: &Setup, args: &ForgetArgs) -> i32 {
    let engine = &setup.engine;
    let status = engine.status();
    let what = match &status.facts {
        Some(f) => format!("the key {} for company {}", f.key, f.company_label()),
        None => "the stored key and state".to_string(),
    };
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            output::err(&format!(
                "forget removes {what}; pass --yes to confirm when not on a terminal"
            ));
            return EXIT_UNKNOWN;
        }
        output::out(&format!(
            "Remove {what} from {}? Type 'yes' to confirm: ",
            engine.home.paths.state_dir().display()
        ));
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            output::err("nothing removed");
            return 1;
        }
    }
    let done = match engine.forget().await {
        Ok(d) => d,
        Err(e) => {
            report_error(&e.to_string(), args.json);
            return EXIT_UNKNOWN;
        }
    };
    let reminder = forget_reminder(&done);
    if args.json {
        let v = serde_json::json!({
            "status": if done.failures.is_empty() { "ok" } else { "unknown" },
            "key_hint": done.key.as_ref().map(|k| &k.hint),
            "key_fingerprint": done.key.as_ref().map(|k| &k.fingerprint),
            "company": done.company,
            "removed": done.removed,
            "failed": done.failures,
            "next_action": reminder,
        });
        outln(&v.to_string());
    } else {
        if done.removed.is_empty() && done.failures.is_empty() {
            outln("Nothing was stored; nothing removed.");
        }
        if let (Some(k), false) = (&done.key, done.removed.is_empty()) {
            let company = done.company.as_deref().unwrap_or("unknown");
            outln(&format!("Forgot the key {k} for company {company}."));
        }
        for r in &done.removed {
            outln(&format!("Removed {r}"));
        }
        for f in &done.failures {
            output::err(&format!("could not remove {f}"));
        }
        if let Some(r) = reminder {
            outln(&format!("Next: {r}"));
        }
    }
    if done.failures.is_empty() {
        0
    } else {
        EXIT_UNKNOWN
    }
}

/// Forgetting here revokes nothing: the key works in Pleo until it is deleted there.
fn forget_reminder(done: &crate::lifecycle::engine::Forgotten) -> Option<String> {
    let key = match (&done.key, done.removed.is_empty()) {
        (Some(k), _) => format!("the key {k}"),
        (None, false) => "the key".to_string(),
        (None, true) => return None,
    };
    Some(format!(
        "Delete {key} in Pleo (Settings → API keys): forgetting it here does not revoke it, and it keeps working until it is deleted there"
    ))
}
