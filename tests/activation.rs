//! The activation procedure against a fake Pleo: the order of calls, what each answer means,
//! and what Pleo's undocumented corners lead to (nothing is committed here; see tests/engine.rs).

use crate::support;

use pleo_keys::domain::{KeySource, Reason, Text};
use pleo_keys::lifecycle::activation::{ActivationInput, Bound, Mode, activate};
use pleo_keys::lifecycle::{Lifecycle, StepName, StepResult, verdict};
use pleo_keys::pleo::{ApiError, NetworkKind};
use std::time::Duration;
use support::fake_pleo::{FakeKey, FakePleo, Op};
use support::fixtures::*;

fn input(mode: Mode) -> ActivationInput {
    ActivationInput {
        mode,
        key_source: KeySource::Entered,
        required_scopes: required(),
        company_choice: None,
        bound: None,
        confirm_company_change: false,
        expires_on: None,
        now: now(),
        today: jiff::civil::date(2026, 11, 28),
    }
}

fn bound(c: &str) -> Option<Bound> {
    Some(Bound {
        company: company(c),
        name: Some(Text::new("Acme")),
        name_read_at: Some(secs_ago(60)),
    })
}

fn results(run: &pleo_keys::lifecycle::Run) -> Vec<(StepName, StepResult)> {
    run.steps.iter().map(|s| (s.name, s.result)).collect()
}

fn fake() -> FakePleo {
    FakePleo::new().with_key(KEY_A, ACME)
}

#[tokio::test]
async fn first_activation_creates_the_installation_and_is_active() {
    let api = fake();
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert_eq!(run.lifecycle, Lifecycle::Active);
    let facts = run.facts.clone().expect("facts");
    assert_eq!(facts.company_id, company(ACME));
    assert_eq!(
        facts.company_name.as_ref().map(|n| n.as_str()),
        Some("Acme")
    );
    let calls = api.calls();
    assert_eq!(calls[0], "introspect");
    for expected in [
        format!("get_installation {ACME}"),
        "create_installation -".to_string(),
        format!("get_company {ACME}"),
    ] {
        assert!(calls.contains(&expected), "{expected} in {calls:?}");
    }
    use StepName::*;
    assert_eq!(
        results(&run),
        [
            (ReachPleo, StepResult::Passed),
            (Authenticate, StepResult::Passed),
            (Installation, StepResult::Passed),
            (Company, StepResult::Passed),
            (Scopes, StepResult::Passed),
            (Expiry, StepResult::Skipped),
        ]
    );
    assert!(
        run.steps[3]
            .message
            .contains(&format!("Connected to Company ID: {ACME} (Acme)"))
    );
}

#[tokio::test]
async fn inactive_installation_is_put_to_activated_on_activation_only() {
    let api = fake();
    api.set_installation(ACME, "INACTIVE", None);
    let mut check = input(Mode::Revalidate);
    check.bound = bound(ACME);
    let run = activate(&api, &key(KEY_A), &check).await;
    assert_eq!(run.lifecycle.reason(), Reason::InstallationInactive);
    assert_eq!(
        api.count("activate_installation"),
        0,
        "revalidation never writes"
    );
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
    assert_eq!(api.count("activate_installation"), 1);
}

#[tokio::test]
async fn installation_stuck_in_error_is_not_active_and_says_why() {
    let api = fake();
    api.set_installation(ACME, "ERROR", Some("NOT_ENTITLED"));
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(matches!(
        run.lifecycle,
        Lifecycle::InstallationInactive {
            status: Some(_),
            error_code: Some(_)
        }
    ));
    let msg = &run
        .steps
        .iter()
        .find(|s| s.name == StepName::Installation)
        .unwrap()
        .message;
    assert!(msg.contains("not entitled"), "{msg}");
    assert!(run.facts.is_some(), "the facts are still worth showing");
}

#[tokio::test]
async fn rejected_key_stops_at_authenticate() {
    let api = fake();
    api.reject(KEY_A);
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert_eq!(run.lifecycle, Lifecycle::KeyRejected);
    assert_eq!(api.calls(), ["introspect"]);
    use StepName::*;
    assert_eq!(
        results(&run)[..3],
        [
            (ReachPleo, StepResult::Passed),
            (Authenticate, StepResult::Failed),
            (Installation, StepResult::Skipped)
        ]
    );
}

#[tokio::test]
async fn transient_faults_degrade_and_say_pleo_was_not_reached() {
    for (err, reason) in [
        (ApiError::Server { status: 503 }, Reason::ServerError),
        (
            ApiError::RateLimited {
                retry_after: Some(Duration::from_secs(30)),
            },
            Reason::RateLimited,
        ),
        (
            ApiError::Network {
                kind: NetworkKind::Connect,
                detail: "refused".into(),
            },
            Reason::Unreachable,
        ),
    ] {
        let api = fake();
        api.fail_always(Op::Introspect, err);
        let mut check = input(Mode::Revalidate);
        check.bound = bound(ACME);
        let run = activate(&api, &key(KEY_A), &check).await;
        assert_eq!(run.lifecycle.reason(), reason);
        assert_eq!(run.steps[0].result, StepResult::Failed);
    }
}

#[tokio::test]
async fn in_a_check_a_401_on_either_concurrent_call_is_a_rejected_key() {
    let api = fake();
    api.fail_always(Op::Introspect, ApiError::Server { status: 503 });
    api.fail_always(Op::GetInstallation, ApiError::KeyRejected);
    let mut check = input(Mode::Revalidate);
    check.bound = bound(ACME);
    let run = activate(&api, &key(KEY_A), &check).await;
    assert_eq!(run.lifecycle, Lifecycle::KeyRejected);

    let api = fake();
    api.set_installation(ACME, "ACTIVATED", None);
    api.fail_always(Op::GetInstallation, ApiError::Server { status: 502 });
    let run = activate(&api, &key(KEY_A), &check).await;
    assert_eq!(
        run.lifecycle.reason(),
        Reason::ServerError,
        "a 5xx on one is degraded"
    );
}

#[tokio::test]
async fn missing_scopes_are_listed_and_comma_separated_scopes_count() {
    let api = fake();
    api.set_scopes(KEY_A, "export-jobs:read export-items:read");
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert_eq!(
        run.lifecycle,
        Lifecycle::MissingScopes {
            missing: vec!["export-jobs:write".into()]
        }
    );
    let api = fake();
    api.set_scopes(
        KEY_A,
        "export-jobs:read,export-jobs:write,export-items:read",
    );
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
}

#[tokio::test]
async fn other_company_needs_confirmation_and_nothing_is_installed_before() {
    let api = FakePleo::new().with_key(KEY_OTHER, COBALT);
    let mut inp = input(Mode::Activate);
    inp.bound = bound(ACME);
    let run = activate(&api, &key(KEY_OTHER), &inp).await;
    match &run.lifecycle {
        Lifecycle::CompanyMismatch {
            expected,
            got,
            got_name,
        } => {
            assert_eq!((*expected, *got), (company(ACME), company(COBALT)));
            assert_eq!(got_name.as_ref().map(|n| n.as_str()), Some("Cobalt"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !api.calls().iter().any(|c| c.contains("installation")),
        "{:?}",
        api.calls()
    );
    inp.confirm_company_change = true;
    let run = activate(&api, &key(KEY_OTHER), &inp).await;
    assert!(run.lifecycle.is_active());
    assert_eq!(run.company_changed_from, Some(company(ACME)));
}

#[tokio::test]
async fn organisation_key_needs_an_explicit_company_of_that_organisation() {
    let api = FakePleo::new().org_key(KEY_ORG);
    let run = activate(&api, &key(KEY_ORG), &input(Mode::Activate)).await;
    match &run.lifecycle {
        Lifecycle::CompanyRequired { companies, .. } => assert_eq!(companies.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(!api.calls().iter().any(|c| c.contains("installation")));

    let mut inp = input(Mode::Activate);
    inp.company_choice = Some(company(COBALT));
    let run = activate(&api, &key(KEY_ORG), &inp).await;
    assert!(matches!(
        run.lifecycle,
        Lifecycle::CompanyRequired {
            refused: Some(_),
            ..
        }
    ));

    inp.company_choice = Some(company(BOREALIS));
    let run = activate(&api, &key(KEY_ORG), &inp).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
    assert!(
        api.calls()
            .contains(&format!("get_installation {BOREALIS}"))
    );
    // company_id goes on the writes for an organisation key only, and the run says it inferred so.
    assert!(
        api.calls()
            .contains(&format!("create_installation {BOREALIS}"))
    );
    assert!(run.notes.iter().any(|n| n.contains("INFERRED")));
}

#[tokio::test]
async fn subject_and_resource_disagreeing_is_a_mismatch() {
    // The key says Acme; its installation (narrowed to Acme) claims Cobalt.
    let api = FakePleo::new();
    api.add_key(
        KEY_A,
        FakeKey {
            subject: Some(pleo_keys::domain::Subject::Company(company(ACME))),
            owner: None,
            scopes: support::fake_pleo::FULL_SCOPES.into(),
            rejected: false,
        },
    );
    api.set_installation(ACME, "ACTIVATED", None);
    api.fail_once(
        Op::GetInstallation,
        ApiError::Unexpected { detail: "x".into() },
    );
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert_eq!(run.lifecycle.reason(), Reason::UnexpectedResponse);
}

#[tokio::test]
async fn company_name_failure_does_not_block() {
    let api = fake();
    api.set_scopes(
        KEY_A,
        "export-jobs:read export-jobs:write export-items:read",
    );
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(run.lifecycle.is_active());
    let facts = run.facts.unwrap();
    assert_eq!(facts.company_name, None);
    assert!(run.steps[3].message.contains("companies:read"));
}

#[tokio::test]
async fn a_check_keeps_the_name_it_knew_when_the_lookup_fails_and_reads_it_again_after_a_day() {
    let api = fake();
    api.set_installation(ACME, "ACTIVATED", None);
    api.set_scopes(
        KEY_A,
        "export-jobs:read export-jobs:write export-items:read",
    );
    let mut check = input(Mode::Revalidate);
    check.bound = Some(Bound {
        company: company(ACME),
        name: Some(Text::new("Acme")),
        name_read_at: Some(secs_ago(2 * 86_400)),
    });
    let run = activate(&api, &key(KEY_A), &check).await;
    assert_eq!(api.count("get_company"), 1, "older than a day: asked again");
    let facts = run.facts.unwrap();
    assert_eq!(
        facts.company_name.as_ref().map(|n| n.as_str()),
        Some("Acme"),
        "kept"
    );
}

#[tokio::test]
async fn expiry_within_14_days_warns_but_stays_active() {
    let api = fake();
    let mut inp = input(Mode::Activate);
    inp.expires_on = Some(jiff::civil::date(2026, 12, 5));
    let run = activate(&api, &key(KEY_A), &inp).await;
    assert!(run.lifecycle.is_active());
    assert_eq!(
        verdict(&run.lifecycle, run.facts.as_ref(), inp.today),
        Reason::ExpiresSoon
    );
    inp.expires_on = Some(jiff::civil::date(2027, 6, 1));
    let run = activate(&api, &key(KEY_A), &inp).await;
    assert_eq!(
        verdict(&run.lifecycle, run.facts.as_ref(), inp.today),
        Reason::Active
    );
}

#[tokio::test]
async fn revalidation_of_a_deleted_installation_does_not_recreate_it() {
    let api = fake();
    let mut check = input(Mode::Revalidate);
    check.bound = bound(ACME);
    let run = activate(&api, &key(KEY_A), &check).await;
    assert_eq!(
        run.lifecycle,
        Lifecycle::InstallationInactive {
            status: None,
            error_code: None
        }
    );
    assert_eq!(api.count("create"), 0);
}

#[tokio::test]
async fn a_get_that_fails_otherwise_than_401_or_403_leads_to_one_post() {
    for err in [
        ApiError::Server { status: 500 },
        ApiError::Client {
            status: 400,
            error_type: None,
            message: None,
        },
    ] {
        let api = fake();
        api.fail_always(Op::GetInstallation, err.clone());
        let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
        assert!(run.lifecycle.is_active(), "{err:?}: {:?}", run.steps);
        assert_eq!(api.count("create_installation"), 1, "{err:?}");
    }
    for err in [
        ApiError::KeyRejected,
        ApiError::Forbidden {
            error_type: None,
            message: None,
        },
    ] {
        let api = fake();
        api.fail_always(Op::GetInstallation, err.clone());
        let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
        assert!(!run.lifecycle.is_active());
        assert_eq!(api.count("create_installation"), 0, "{err:?}: no POST");
    }
}

#[tokio::test]
async fn a_post_that_says_the_installation_exists_falls_back_to_get_and_put() {
    let api = fake();
    api.set_installation(ACME, "INACTIVE", None);
    api.fail_once(Op::GetInstallation, ApiError::Server { status: 500 });
    api.fail_once(
        Op::CreateInstallation,
        ApiError::Client {
            status: 409,
            error_type: Some(Text::new("INSTALLATION_ALREADY_EXISTS")),
            message: None,
        },
    );
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
    assert_eq!(api.count("get_installation"), 2);
    assert_eq!(api.count("activate_installation"), 1);
    assert_eq!(api.installation(ACME).as_deref(), Some("ACTIVATED"));
}

fn subjectless(scopes: &str) -> FakePleo {
    let api = FakePleo::new();
    api.add_key(
        KEY_A,
        FakeKey {
            subject: None,
            owner: Some(company(ACME)),
            scopes: scopes.into(),
            rejected: false,
        },
    );
    api.set_installation(ACME, "ACTIVATED", None);
    api
}

#[tokio::test]
async fn without_a_subject_the_company_comes_from_the_installation() {
    let api = subjectless(support::fake_pleo::FULL_SCOPES);
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
    assert_eq!(run.facts.unwrap().company_id, company(ACME));
}

#[tokio::test]
async fn without_a_subject_a_company_the_key_cannot_read_is_not_bound_silently() {
    let api = subjectless("export-jobs:read export-jobs:write export-items:read");
    let run = activate(&api, &key(KEY_A), &input(Mode::Activate)).await;
    match &run.lifecycle {
        Lifecycle::CompanyRequired { companies, .. } => {
            assert_eq!(companies.len(), 1);
            assert_eq!(companies[0].id, company(ACME));
        }
        other => panic!("{other:?}"),
    }
    // Confirmed explicitly, it binds.
    let mut inp = input(Mode::Activate);
    inp.company_choice = Some(company(ACME));
    let run = activate(&api, &key(KEY_A), &inp).await;
    assert!(run.lifecycle.is_active(), "{:?}", run.steps);
}
