//! `status`: what is stored, read offline. No network call, no passphrase prompt.

use crate::lifecycle::engine::Engine;
use crate::lifecycle::{CheckStatus, Lifecycle};
use crate::report::Report;
use crate::store::{load_last_check, load_state};

pub fn run(engine: &Engine, json: bool) -> i32 {
    let endpoint = &engine.endpoint;
    let state = match load_state(&engine.paths.state_file) {
        Ok(s) => s,
        Err(e) => {
            let r = Report::bare(
                &Lifecycle::StorageError {
                    detail: e.to_string(),
                },
                &endpoint.environment,
                endpoint.base_url.as_str(),
            );
            return print(&r, json, None);
        }
    };
    let last = load_last_check(&engine.paths.last_check_file)
        .ok()
        .flatten();
    let Some(state) = state else {
        let mut r = Report::bare(
            &Lifecycle::NotConfigured,
            &endpoint.environment,
            endpoint.base_url.as_str(),
        );
        if engine.env_key.is_some() {
            r.notes
                .push("PLEO_API_KEY is set: run pleo-keys check to activate it".into());
        }
        return print(&r, json, None);
    };
    let active = Lifecycle::Active {
        company_id: state.company_id.clone(),
        company_name: state.company_name.clone(),
    };
    let mut r = Report::bare(&active, &state.environment, &state.base_url);
    r.company_id = Some(state.company_id.clone());
    r.company_name = state.company_name.clone();
    r.key_hint = Some(state.key_hint.clone());
    r.key_source = Some(state.store_kind.describe().to_string());
    r.required_scopes = state.required_scopes.clone();
    r.granted_scopes = state.granted_scopes.clone();
    r.missing_scopes =
        crate::lifecycle::scopes::missing(&state.required_scopes, &state.granted_scopes);
    r.installation_status = Some(state.installation_status.clone());
    r.expires_on = state.key_expires_on;
    if let Some(last) = &last {
        // The verdict is the last check's; status itself asks nobody.
        r.status = match last.status.as_str() {
            "ok" => CheckStatus::Ok,
            "warning" => CheckStatus::Warning,
            "critical" => CheckStatus::Critical,
            _ => CheckStatus::Unknown,
        };
        r.reason = last.reason.clone();
        r.message = last.message.clone();
        r.checked_at = Some(last.checked_at);
        r.next_action = if last.active {
            None
        } else {
            Some("Run: pleo-keys check".into())
        };
    }
    if engine.env_key.is_some() {
        r.notes
            .push("PLEO_API_KEY is set: checks use it instead of the stored key".into());
    }
    print(&r, json, Some((&state, last.as_ref())))
}

fn print(
    r: &Report,
    json: bool,
    facts: Option<(&crate::store::State, Option<&crate::store::LastCheck>)>,
) -> i32 {
    if json {
        println!("{}", r.to_json());
        return r.exit_code();
    }
    let mut out = format!("pleo-keys status · {} · {}\n\n", r.environment, r.base_url);
    if let Some((s, last)) = facts {
        let company = match &s.company_name {
            Some(n) => format!("{} ({n})", s.company_id),
            None => s.company_id.clone(),
        };
        let mut rows: Vec<(&str, String)> = vec![
            ("Company ID", company),
            (
                "Key",
                format!("{} in {}", s.key_hint, s.store_kind.describe()),
            ),
            (
                "Installation",
                format!("{} {}", s.installation_id, s.installation_status),
            ),
            ("Required", s.required_scopes.join(" ")),
            ("Granted", s.granted_scopes.join(" ")),
            (
                "Activated",
                s.activated_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ];
        if let Some(org) = &s.organization_id {
            rows.insert(1, ("Organisation", org.clone()));
        }
        if let Some(last) = last {
            rows.push((
                "Last check",
                format!(
                    "{} ({})",
                    last.checked_at.strftime("%Y-%m-%d %H:%M UTC"),
                    last.status
                ),
            ));
            if let Some(ok) = last.last_success_at {
                rows.push((
                    "Last success",
                    ok.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                ));
            }
        }
        if let Some(exp) = s.key_expires_on {
            rows.push(("Expires", exp.to_string()));
        }
        for (k, v) in rows {
            out.push_str(&format!("  {k:<13} {v}\n"));
        }
        out.push('\n');
    }
    let verdict = match r.status {
        CheckStatus::Ok => "OK",
        CheckStatus::Warning => "WARNING",
        CheckStatus::Critical => "CRITICAL",
        CheckStatus::Unknown => "UNKNOWN",
    };
    out.push_str(&format!("{verdict}: {}\n", r.message));
    if let Some(next) = &r.next_action {
        out.push_str(&format!("Next: {next}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("Note: {n}\n"));
    }
    out.push_str("(offline: from the state file; run pleo-keys check to ask Pleo)\n");
    print!("{out}");
    r.exit_code()
}
