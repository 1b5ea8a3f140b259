//! Shared test data: companies, keys, a frozen clock, dashboard contexts, facts and calls.

use pleo_keys::app::{App, Context, Theme};
use pleo_keys::domain::{
    CompanyId, ConnectionFacts, Environment, InstallationStatus, KeyId, KeySource, Text,
};
use pleo_keys::lifecycle::Lifecycle;
use pleo_keys::secret::ApiKey;
use pleo_keys::store::history::{CallEntry, CallSource};
use std::path::PathBuf;
use std::time::Duration;

pub const ACME: &str = "11111111-1111-4111-8111-111111111111";
pub const BOREALIS: &str = "22222222-2222-4222-8222-222222222222";
pub const COBALT: &str = "33333333-3333-4333-8333-333333333333";
pub const ORG: &str = "99999999-9999-4999-8999-999999999999";

pub const KEY_A: &str = "pls_0f3c9a7e21d84b6fa5c2e9d17b40c8e3_7d21a4";
pub const KEY_B: &str = "pls_8b2e4d6f10a3c5e79d1f3b5a7c9e0d2f_3e9b56";
pub const KEY_OTHER: &str = "pls_2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a0b_91f3c8";
pub const KEY_ORG: &str = "pls_e5b7d9f1a3c50e2d4f6a8b0c2d4e6f81_b46d29";

pub fn company(s: &str) -> CompanyId {
    CompanyId::parse(s).expect("a test company id")
}

pub fn key(s: &str) -> ApiKey {
    ApiKey::parse(s).expect("a test key").0
}

/// The frozen "now" of the rendering and update tests.
pub fn now() -> jiff::Timestamp {
    "2026-11-28T12:00:00Z".parse().expect("timestamp")
}

pub fn secs_ago(s: i64) -> jiff::Timestamp {
    now() - jiff::SignedDuration::from_secs(s)
}

pub fn secs_ahead(s: i64) -> jiff::Timestamp {
    now() + jiff::SignedDuration::from_secs(s)
}

pub fn scopes(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

pub fn required() -> Vec<String> {
    scopes(&["export-jobs:read", "export-jobs:write", "export-items:read"])
}

pub fn ctx(environment: Environment) -> Context {
    let sandbox = environment == Environment::Sandbox;
    Context {
        environment,
        base_url: match environment {
            Environment::Production => "https://external.pleo.io".into(),
            Environment::Staging => "https://external.staging.pleo.io".into(),
            Environment::Sandbox => "http://127.0.0.1:47113".into(),
            Environment::Custom => "https://pleo.proxy.example.internal".into(),
        },
        sandbox,
        version: "0.1.0",
        config_file: PathBuf::from("/home/op/.config/pleo-keys/config.toml"),
        state_file: PathBuf::from("/home/op/.local/state/pleo-keys/state.json"),
        audit_log: PathBuf::from("/home/op/.local/state/pleo-keys/audit.log"),
        log_dir: PathBuf::from("/home/op/.local/state/pleo-keys/logs"),
        store: "kernel keyring (forgotten on reboot)".into(),
        required_scopes: required(),
        proxy: None,
        revalidate_every: Duration::from_secs(300),
        demo_keys: if sandbox {
            pleo_keys::sandbox::DEMO_KEYS
                .iter()
                .map(|k| (k.name.to_string(), k.key.to_string(), k.shows.to_string()))
                .collect()
        } else {
            vec![]
        },
    }
}

/// Facts of Acme with key …a1b2, checked 2 minutes ago.
pub fn known_facts() -> ConnectionFacts {
    ConnectionFacts {
        company_id: company(ACME),
        company_name: Some(Text::new("Acme Sandbox ApS")),
        company_name_read_at: Some(secs_ago(120)),
        organization_id: None,
        key: KeyId::new("…a1b2".into(), "0123456789ab".into()),
        key_source: KeySource::KernelKeyring,
        installation_id: Text::new("inst-1"),
        installation_status: InstallationStatus::Activated,
        installation_error: None,
        required_scopes: required(),
        granted_scopes: Some(scopes(&[
            "export-jobs:read",
            "export-jobs:write",
            "export-items:read",
            "users:read",
        ])),
        expires_on: None,
        last_good_check: Some(secs_ago(120)),
        activated_at: secs_ago(3600),
    }
}

/// A call of the `kind`th of seven sorts a dashboard sees: its own introspect, installation and
/// company read, a rate-limited activate and a timed-out introspect; the integration's export
/// list through the proxy, and a request the proxy refused for naming another company. Its
/// latency varies with `i`.
pub fn call_of(kind: usize, i: usize, introspect: &str, at: jiff::Timestamp) -> CallEntry {
    let (source, method, path, status, failure, refused) = match kind {
        0 => (
            CallSource::Check,
            "GET",
            introspect.to_string(),
            Some(200),
            None,
            None,
        ),
        1 => (
            CallSource::Check,
            "GET",
            format!("/v1/installations/me?company_id={ACME}"),
            Some(200),
            None,
            None,
        ),
        2 => (
            CallSource::Check,
            "GET",
            format!("/v1/companies/{ACME}"),
            Some(200),
            None,
            None,
        ),
        3 => (
            CallSource::Check,
            "POST",
            format!("/v1/installations/me/activate?company_id={ACME}"),
            Some(429),
            None,
            None,
        ),
        4 => (
            CallSource::Check,
            "GET",
            introspect.to_string(),
            None,
            Some("timeout"),
            None,
        ),
        5 => (
            CallSource::Proxy,
            "GET",
            format!("/v3/export-jobs?company_id={ACME}"),
            Some(200),
            None,
            None,
        ),
        _ => (
            CallSource::Proxy,
            "GET",
            format!("/v3/export-items?company_id={COBALT}"),
            None,
            None,
            Some("COMPANY_SCOPE_VIOLATION"),
        ),
    };
    CallEntry {
        at,
        source,
        pid: 4242,
        method: method.to_string(),
        path,
        status,
        failure: failure.map(str::to_string),
        refused: refused.map(str::to_string),
        latency_us: if refused.is_some() {
            90
        } else {
            (40 + (i as u64 * 37) % 900) * 1000
        },
        error: (status == Some(429)).then(|| "Pleo is rate limiting requests (429)".to_string()),
        retry_after_secs: (status == Some(429)).then_some(30),
        run: (source == CallSource::Check).then(|| "the check at 11:59:00 UTC".to_string()),
    }
}

/// `n` calls, one of each sort in turn, seven seconds apart up to now.
pub fn calls(n: usize) -> std::collections::VecDeque<CallEntry> {
    (0..n)
        .map(|i| call_of(i % 7, i, "/v2/introspect", secs_ago(((n - i) * 7) as i64)))
        .collect()
}

pub fn active_app(env: Environment) -> App {
    let mut app = App::new(ctx(env), Some(known_facts()), true, Theme::Default, now());
    app.lifecycle = Lifecycle::Active;
    app.reason = pleo_keys::domain::Reason::Active;
    app.last_checked_at = Some(secs_ago(120));
    app.next_check_at = Some(secs_ahead(180));
    app.calls = calls(6);
    app
}

/// The app after a check failed: the last good facts are kept on screen.
pub fn failed_app(lifecycle: Lifecycle) -> App {
    let mut app = active_app(Environment::Staging);
    app.reason = lifecycle.reason();
    app.lifecycle = lifecycle;
    app.last_checked_at = Some(secs_ago(5));
    app
}

pub fn empty_app(env: Environment, has_key: bool) -> App {
    App::new(ctx(env), None, has_key, Theme::Default, now())
}

/// The facts a run for `key` and `company_id` establishes.
pub fn facts_for(key_text: &str, company_id: &str, name: &str) -> ConnectionFacts {
    ConnectionFacts {
        company_id: company(company_id),
        company_name: Some(Text::new(name)),
        key: key(key_text).id(),
        ..known_facts()
    }
}

/// A run that ended active, with facts.
pub fn active_outcome(facts: ConnectionFacts, committed: bool) -> pleo_keys::lifecycle::Outcome {
    let mut o = pleo_keys::lifecycle::Outcome::bare(Lifecycle::Active);
    o.key = Some(facts.key.clone());
    o.facts = Some(facts);
    o.committed = committed;
    o
}

/// A run that ended in `lifecycle`, with no new facts.
pub fn failed_outcome(lifecycle: Lifecycle) -> pleo_keys::lifecycle::Outcome {
    pleo_keys::lifecycle::Outcome::bare(lifecycle)
}
