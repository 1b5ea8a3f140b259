//! `status`: what is stored, read offline. No network call, no passphrase.

use super::keys::print;
use super::output::out;
use super::report::{Command, Report};
use super::setup::Setup;
use crate::lifecycle::Outcome;

pub fn run(setup: &Setup, json: bool) -> i32 {
    let engine = &setup.engine;
    let mut outcome = engine.status();
    if let Err(why) = crate::secret::can_lock_memory() {
        outcome.notes.push(crate::domain::sentence(&why));
    }
    // The interval matters to the dashboard and the proxy; say what they would use.
    outcome.notes.push(format!(
        "The dashboard and pleo-keys proxy check the key every {} (revalidate_every)",
        crate::settings::human_interval(setup.settings.revalidate_every)
    ));
    if let Some(note) = &setup.settings.revalidate_note {
        outcome.notes.push(crate::domain::sentence(note));
    }
    if engine.env_key.is_some() {
        outcome.notes.push(if outcome.facts.is_some() {
            "PLEO_API_KEY is set: checks use it for one run instead of the stored key".into()
        } else {
            "PLEO_API_KEY is set: pleo-keys check checks it (nothing is stored)".into()
        });
    }
    if json {
        return print(setup, &outcome, Command::Status, true);
    }
    let report = Report::new(
        &outcome,
        Command::Status,
        &engine.endpoint,
        &engine.required_scopes,
        engine.today(),
    );
    out(&human(&outcome, &report));
    report.exit_code()
}

fn human(outcome: &Outcome, r: &Report) -> String {
    let mut text = format!("pleo-keys status · {} · {}\n\n", r.environment, r.base_url);
    if let Some(f) = &outcome.facts {
        let when = |t: jiff::Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
        let mut rows: Vec<(&str, String)> = vec![
            ("Company ID", f.company_label()),
            ("Key", format!("{} in {}", f.key, f.key_source.describe())),
            (
                "Installation",
                format!("{} {}", f.installation_id, f.installation_status),
            ),
            ("Required", f.required_scopes.join(" ")),
            (
                "Granted",
                match &f.granted_scopes {
                    Some(g) => g.join(" "),
                    None => "not verified (Pleo did not say)".into(),
                },
            ),
            ("Activated", when(f.activated_at)),
        ];
        if let Some(org) = &f.organization_id {
            rows.insert(1, ("Organisation", org.to_string()));
        }
        if let Some(read) = f.company_name_read_at {
            rows.insert(1, ("Name read", when(read)));
        }
        if let Some(at) = outcome.checked_at {
            rows.push((
                "Last check",
                format!("{} ({})", when(at), outcome.reason.status().as_str()),
            ));
        }
        if let Some(ok) = f.last_good_check {
            rows.push(("Last success", when(ok)));
        }
        if let Some(exp) = f.expires_on {
            rows.push(("Expires", exp.to_string()));
        }
        for (k, v) in rows {
            text.push_str(&format!("  {k:<13} {v}\n"));
        }
        text.push('\n');
    }
    text.push_str(&format!("{}: {}\n", r.status.label(), r.message));
    if let Some(next) = &r.next_action {
        text.push_str(&format!("Next: {next}\n"));
    }
    for n in &r.notes {
        text.push_str(&format!("Note: {n}\n"));
    }
    text.push_str("(offline: from the state file; run pleo-keys check to ask Pleo)\n");
    text
}
