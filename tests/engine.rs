//! The engine's commit logic against a fake Pleo (no sockets, paused time): what is stored after
//! each procedure, what the audit log says, and that a replacement is a transaction.

use crate::support;

use pleo_keys::domain::{KeySource, Reason};
use pleo_keys::lifecycle::{CompanyChange, Lifecycle, Outcome, ReplaceOptions, Replaced};
use pleo_keys::pleo::ApiError;
use pleo_keys::store::{Replacement, SecretStore};
use std::sync::Arc;
use std::time::Duration;
use support::fake_pleo::{FakePleo, Op};
use support::fixtures::*;
use support::home::TestHome;

fn fake() -> Arc<FakePleo> {
    Arc::new(
        FakePleo::new()
            .with_key(KEY_A, ACME)
            .with_key(KEY_B, ACME)
            .with_key(KEY_OTHER, COBALT)
            .org_key(KEY_ORG),
    )
}

fn opts() -> ReplaceOptions {
    ReplaceOptions::default()
}

/// A fresh home after KEY_A was entered, and what the engine made of it.
async fn first_activation() -> (TestHome, Arc<FakePleo>, Outcome) {
    let home = TestHome::new();
    let pleo = fake();
    let outcome = home
        .engine(pleo.clone())
        .replace_key(key(KEY_A), &opts())
        .await;
    (home, pleo, outcome)
}

/// A home where KEY_A is active for Acme.
async fn activated() -> (TestHome, Arc<FakePleo>) {
    let (home, pleo, outcome) = first_activation().await;
    assert!(outcome.committed, "{:?}", outcome.lifecycle);
    pleo.clear_calls();
    (home, pleo)
}

async fn stored_key(home: &TestHome) -> Option<String> {
    home.store
        .load()
        .await
        .expect("store")
        .map(|k| k.expose().to_string())
}

#[tokio::test(start_paused = true)]
async fn a_first_activation_stores_the_key_and_the_facts() {
    let (home, pleo, outcome) = first_activation().await;
    assert!(outcome.committed);
    assert_eq!(outcome.reason, Reason::Active);
    assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A));
    let state = home.state().expect("state written");
    assert_eq!(state.facts.company_id, company(ACME));
    assert_eq!(
        state.facts.company_name.as_ref().map(|n| n.as_str()),
        Some("Acme")
    );
    assert_eq!(state.facts.key, key(KEY_A).id());
    assert_eq!(state.facts.key_source, KeySource::Memory);
    assert_eq!(state.generation, 1);
    assert_eq!(pleo.installation(ACME).as_deref(), Some("ACTIVATED"));
    assert!(home.audit().contains("activation_passed"));
    assert!(!home.marker_left(), "the marker is gone");
}

#[tokio::test(start_paused = true)]
async fn a_routine_check_reads_concurrently_writes_nothing_in_pleo_and_keeps_the_state() {
    let (home, pleo) = activated().await;
    pleo.set_latency(Duration::from_millis(50));
    let before = home.state_bytes();
    let started = tokio::time::Instant::now();
    let outcome = home.engine(pleo.clone()).check().await;
    assert_eq!(outcome.reason, Reason::Active);
    // One round trip of (paused) time: introspect and the installation went out together, and
    // the company name (read minutes ago) was not asked again.
    assert_eq!(started.elapsed(), Duration::from_millis(50));
    assert_eq!(pleo.count("get_company"), 0);
    assert_eq!(
        pleo.count("create_installation") + pleo.count("activate_installation"),
        0
    );
    assert_eq!(
        home.state_bytes(),
        before,
        "nothing changed: state.json untouched"
    );
    assert!(home.paths().last_check_file.exists());
}

#[tokio::test(start_paused = true)]
async fn a_check_never_writes_to_pleo_whatever_the_installation_get_answers() {
    for (err, reason) in [
        (
            ApiError::Client {
                status: 400,
                error_type: None,
                message: None,
            },
            Reason::UnexpectedResponse,
        ),
        (
            ApiError::NotFound {
                error_type: None,
                message: None,
            },
            Reason::InstallationInactive,
        ),
        (ApiError::Server { status: 500 }, Reason::ServerError),
    ] {
        let (home, pleo) = activated().await;
        pleo.fail_always(Op::GetInstallation, err);
        let before = home.state_bytes();
        let outcome = home.engine(pleo.clone()).check().await;
        assert_eq!(outcome.reason, reason);
        assert_eq!(pleo.count("create_installation"), 0, "{reason}: no POST");
        assert_eq!(pleo.count("activate_installation"), 0, "{reason}: no PUT");
        assert_eq!(home.state_bytes(), before, "{reason}: state untouched");
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_replacement_changes_nothing_and_the_current_key_stays_active() {
    for (name, setup) in [
        (
            "rejected",
            Box::new(|p: &FakePleo| p.reject(KEY_B)) as Box<dyn Fn(&FakePleo)>,
        ),
        (
            "missing scope",
            Box::new(|p: &FakePleo| p.set_scopes(KEY_B, "export-jobs:read companies:read")),
        ),
    ] {
        let (home, pleo) = activated().await;
        setup(&pleo);
        let before = home.state_bytes();
        let outcome = home
            .engine(pleo.clone())
            .replace_key(key(KEY_B), &opts())
            .await;
        assert!(!outcome.committed, "{name}");
        assert!(!outcome.reason.is_active(), "{name}");
        match &outcome.replaced {
            Some(Replaced::Kept {
                current,
                check: Some(check),
            }) => {
                assert_eq!(*current, key(KEY_A).id(), "{name}");
                assert_eq!(check.reason, Reason::Active, "{name}: re-checked first");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(home.state_bytes(), before, "{name}: state untouched");
        assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A), "{name}");
        assert!(home.audit().contains("replacement_failed"), "{name}");
        let check = home.engine(pleo.clone()).check().await;
        assert_eq!(check.exit_code(), 0, "{name}: the previous key is in use");
        assert!(!home.marker_left(), "{name}: no marker left");
    }
}

#[tokio::test(start_paused = true)]
async fn a_key_for_another_company_is_declined_without_confirmation_and_taken_with_it() {
    let (home, pleo) = activated().await;
    let before = home.state_bytes();
    let outcome = home
        .engine(pleo.clone())
        .replace_key(key(KEY_OTHER), &opts())
        .await;
    assert_eq!(outcome.reason, Reason::CompanyMismatch);
    assert!(!outcome.committed);
    assert_eq!(
        pleo.installation(COBALT),
        None,
        "nothing installed before confirmation"
    );
    assert_eq!(home.state_bytes(), before);
    assert!(home.audit().contains("company_change_declined"));
    assert_eq!(home.engine(pleo.clone()).check().await.exit_code(), 0);

    let confirm = ReplaceOptions {
        company_change: CompanyChange::Confirm,
        ..opts()
    };
    let outcome = home
        .engine(pleo.clone())
        .replace_key(key(KEY_OTHER), &confirm)
        .await;
    assert!(outcome.committed, "{:?}", outcome.lifecycle);
    assert_eq!(home.state().unwrap().facts.company_id, company(COBALT));
    assert!(
        matches!(&outcome.replaced, Some(Replaced::Retired { old }) if *old == key(KEY_A).id())
    );
    let audit = home.audit();
    for kind in ["company_change_confirmed", "key_replaced", "key_retired"] {
        assert!(audit.contains(kind), "{kind}: {audit}");
    }
}

#[tokio::test(start_paused = true)]
async fn asking_the_operator_records_nothing_until_the_answer() {
    let (home, pleo) = activated().await;
    let ask = ReplaceOptions {
        company_change: CompanyChange::Ask,
        ..opts()
    };
    let engine = home.engine(pleo.clone());
    let outcome = engine.replace_key(key(KEY_OTHER), &ask).await;
    assert_eq!(outcome.reason, Reason::CompanyMismatch);
    assert!(matches!(
        outcome.replaced,
        Some(Replaced::Kept { check: None, .. })
    ));
    assert!(!home.audit().contains("company_change_declined"));
    pleo.clear_calls();
    let declined = engine
        .decline_company_change(&key(KEY_OTHER), Some(company(COBALT)))
        .await;
    assert_eq!(
        declined.reason,
        Reason::Active,
        "the current key, re-checked"
    );
    assert_eq!(pleo.count("introspect"), 1);
    assert!(home.audit().contains("company_change_declined"));
}

#[tokio::test(start_paused = true)]
async fn a_transient_fault_during_a_replacement_costs_no_second_round_trip() {
    let (home, pleo) = activated().await;
    pleo.fail_always(Op::Introspect, ApiError::Server { status: 503 });
    let outcome = home
        .engine(pleo.clone())
        .replace_key(key(KEY_B), &opts())
        .await;
    assert_eq!(outcome.reason, Reason::ServerError);
    assert!(matches!(
        outcome.replaced,
        Some(Replaced::Kept { check: None, .. })
    ));
    assert_eq!(pleo.count("introspect"), 1);
    assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A));
}

#[tokio::test(start_paused = true)]
async fn a_state_changed_meanwhile_is_never_overwritten() {
    let (home, pleo) = activated().await;
    pleo.set_latency(Duration::from_millis(200));
    let replacing = home.engine(pleo.clone());
    let other = home.engine(pleo.clone());
    let o = opts();
    let (outcome, recorded) = tokio::join!(replacing.replace_key(key(KEY_B), &o), async {
        // Another process records an expiry while the replacement talks to Pleo.
        tokio::time::sleep(Duration::from_millis(50)).await;
        other.set_expiry(Some(jiff::civil::date(2099, 1, 1))).await
    });
    assert!(recorded.is_ok());
    assert!(!outcome.committed);
    assert_eq!(outcome.reason, Reason::StorageError);
    assert!(outcome.lifecycle.headline().contains("another pleo-keys"));
    assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A));
    assert_eq!(
        home.state().unwrap().facts.expires_on,
        Some(jiff::civil::date(2099, 1, 1)),
        "the other process's change stands"
    );

    // A check that overlaps a commit records nothing of its own.
    let checking = home.engine(pleo.clone());
    let writer = home.engine(pleo.clone());
    let before_check = std::fs::read(home.paths().last_check_file).ok();
    let (outcome, _) = tokio::join!(checking.check(), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer.set_expiry(None).await
    });
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("changed while this check ran"))
    );
    assert_eq!(
        std::fs::read(home.paths().last_check_file).ok(),
        before_check
    );
}

#[tokio::test(start_paused = true)]
async fn a_replacement_never_inherits_the_previous_keys_expiry_and_reactivation_keeps_it() {
    let (home, pleo) = activated().await;
    let engine = home.engine(pleo.clone());
    engine
        .set_expiry(Some(jiff::civil::date(2099, 6, 1)))
        .await
        .unwrap();
    pleo.set_installation(ACME, "INACTIVE", None);
    let outcome = engine.reactivate(&opts()).await;
    assert!(outcome.committed);
    assert_eq!(pleo.installation(ACME).as_deref(), Some("ACTIVATED"));
    assert_eq!(
        home.state().unwrap().facts.expires_on,
        Some(jiff::civil::date(2099, 6, 1))
    );
    let outcome = engine.replace_key(key(KEY_B), &opts()).await;
    assert!(outcome.committed);
    assert_eq!(home.state().unwrap().facts.expires_on, None);
}

#[tokio::test(start_paused = true)]
async fn a_one_run_key_from_the_environment_writes_nothing_and_never_activates() {
    let (home, pleo) = activated().await;
    pleo.remove_installation(ACME);
    let mut engine = home.engine(pleo.clone());
    engine.env_key = Some(key(KEY_B));
    let state = home.state_bytes();
    let last = std::fs::read(home.paths().last_check_file).ok();
    let outcome = engine.check().await;
    assert_eq!(outcome.reason, Reason::InstallationInactive);
    assert_eq!(outcome.key_source, Some(KeySource::Environment));
    assert_eq!(pleo.count("create_installation"), 0, "never re-activates");
    assert_eq!(home.state_bytes(), state);
    assert_eq!(std::fs::read(home.paths().last_check_file).ok(), last);
    assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A));
    let audit = home.audit();
    assert!(
        audit
            .lines()
            .last()
            .unwrap_or("")
            .contains("\"key_source\":\"environment\""),
        "{audit}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_replacement_is_resolved_by_checking_the_stored_key() {
    let (home, pleo) = activated().await;
    let engine = home.engine(pleo.clone());
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    engine
        .home
        .save(&Replacement {
            version: 1,
            pid: dead,
            started_at: now(),
            candidate: key(KEY_B).id(),
        })
        .unwrap();
    assert!(matches!(
        engine.status().lifecycle,
        Lifecycle::ReplacementPending { .. }
    ));
    assert_eq!(engine.status().exit_code(), 2);
    let outcome = engine.check().await;
    assert_eq!(outcome.reason, Reason::Active);
    assert!(!home.marker_left());
    assert_eq!(engine.status().reason, Reason::Active);
}

#[tokio::test(start_paused = true)]
async fn a_stored_key_the_state_does_not_name_is_refused() {
    let (home, pleo) = activated().await;
    home.store.save(&key(KEY_B)).await.unwrap();
    let outcome = home.engine(pleo.clone()).check().await;
    assert_eq!(outcome.reason, Reason::StorageError);
    assert!(
        outcome
            .lifecycle
            .headline()
            .contains("not the key the state file names")
    );
    assert_eq!(pleo.count("introspect"), 0, "the stray key is never sent");
}

#[tokio::test(start_paused = true)]
async fn without_introspection_the_company_binds_and_the_scopes_stay_unverified() {
    let home = TestHome::new();
    let pleo = fake();
    pleo.fail_always(
        Op::Introspect,
        ApiError::NotFound {
            error_type: None,
            message: None,
        },
    );
    let engine = home.engine(pleo.clone());
    let outcome = engine
        .replace_key(
            key(KEY_A),
            &ReplaceOptions {
                company: Some(company(ACME)),
                ..opts()
            },
        )
        .await;
    assert!(outcome.committed, "{:?}", outcome.steps);
    assert_eq!(outcome.reason, Reason::ScopesUnverified);
    assert_eq!(outcome.exit_code(), 1);
    assert_eq!(home.state().unwrap().facts.granted_scopes, None);
}

#[tokio::test(start_paused = true)]
async fn set_expiry_refuses_the_past_and_forget_audits_what_happened() {
    let (home, pleo) = activated().await;
    let engine = home.engine(pleo.clone());
    let err = engine
        .set_expiry(Some(jiff::civil::date(2020, 1, 1)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("in the past"));
    assert_eq!(
        home.state().unwrap().facts.expires_on,
        None,
        "nothing changed"
    );
    let done = engine.forget().await.unwrap();
    assert!(done.failures.is_empty());
    assert_eq!(done.key, Some(key(KEY_A).id()));
    assert!(home.state().is_none());
    assert!(stored_key(&home).await.is_none());
    assert!(home.audit().contains("key_forgotten"));
    // Nothing left: forgetting again records nothing.
    let lines = home.audit().lines().count();
    let again = engine.forget().await.unwrap();
    assert!(again.removed.is_empty());
    assert_eq!(home.audit().lines().count(), lines);
}

#[tokio::test(start_paused = true)]
async fn a_forget_that_fails_says_so_in_the_audit_log() {
    let home = TestHome::with_store(SecretStore::in_memory());
    let pleo = fake();
    let engine = home.engine(pleo.clone());
    assert!(engine.replace_key(key(KEY_A), &opts()).await.committed);
    // A folder where the last-check file should be cannot be removed as a file.
    let last = home.paths().last_check_file;
    std::fs::remove_file(&last).unwrap();
    std::fs::create_dir(&last).unwrap();
    let done = engine.forget().await.unwrap();
    assert_eq!(done.failures.len(), 1, "{:?}", done.failures);
    let audit = home.audit();
    assert!(audit.contains("forget_failed"), "{audit}");
    assert!(!audit.contains("key_forgotten"), "{audit}");
}

/// A replacement that cannot commit (here the state file was damaged while it talked to Pleo)
/// stores nothing and leaves no replacement marker behind: nothing is pending.
#[tokio::test(start_paused = true)]
async fn a_replacement_that_cannot_commit_leaves_no_marker() {
    let (home, pleo) = activated().await;
    pleo.set_latency(Duration::from_millis(200));
    let engine = home.engine(pleo.clone());
    let state_file = home.paths().state_file;
    let o = opts();
    let (outcome, ()) = tokio::join!(engine.replace_key(key(KEY_B), &o), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::fs::write(&state_file, b"{ damaged").unwrap();
    });
    assert_eq!(outcome.reason, Reason::StorageError);
    assert!(!outcome.committed);
    assert_eq!(stored_key(&home).await.as_deref(), Some(KEY_A));
    assert!(
        !home.paths().replacement_file.exists(),
        "a marker would hold a gateway's traffic for a replacement that is over"
    );
}
