//! `update(app, msg) -> Vec<Cmd>`: the dashboard's decisions, message by message, with a frozen
//! clock and no IO.

use crate::support;

use pleo_keys::app::App;
use pleo_keys::app::{
    Attempt, BannerLevel, Cmd, Msg, Overlay, PassphrasePrompt, SandboxAction, update,
};
use pleo_keys::domain::{Environment, Text};
use pleo_keys::lifecycle::{
    CompanyChange, CompanyChoice, Degradation, Lifecycle, Outcome, Replaced,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use support::fixtures::*;

fn press(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn acme() -> Outcome {
    active_outcome(facts_for(KEY_A, ACME, "Acme"), false)
}

fn check_done(a: &mut App, generation: u64, outcome: Outcome) -> Vec<Cmd> {
    update(
        a,
        Msg::CheckFinished {
            generation,
            outcome: Box::new(outcome),
        },
    )
}

/// An app that has completed its first check and is active.
fn active() -> App {
    let mut a = empty_app(Environment::Sandbox, true);
    let cmds = update(&mut a, Msg::CheckDue);
    assert!(matches!(cmds[..], [Cmd::Check { generation: 0 }]));
    check_done(&mut a, 0, acme());
    a
}

fn paste_key(a: &mut App, text: &str) -> Vec<Cmd> {
    update(a, press(KeyCode::Char('e')));
    assert!(matches!(a.overlay, Overlay::KeyEntry(_)));
    update(a, Msg::Paste(text.into()));
    update(a, press(KeyCode::Enter))
}

fn attempt_of(cmds: &[Cmd]) -> (u64, Attempt) {
    match cmds {
        [
            Cmd::Activate {
                generation,
                attempt,
            },
        ] => (*generation, attempt.clone()),
        other => panic!("{other:?}"),
    }
}

fn activation_done(a: &mut App, generation: u64, outcome: Outcome, attempt: Attempt) -> Vec<Cmd> {
    update(
        a,
        Msg::ActivationFinished {
            generation,
            outcome: Box::new(outcome),
            attempt,
        },
    )
}

#[test]
fn first_check_makes_it_active_and_schedules_the_next() {
    let mut a = empty_app(Environment::Staging, true);
    assert_eq!(a.lifecycle, Lifecycle::Activating);
    update(&mut a, Msg::CheckDue);
    assert!(a.check_in_flight);
    let cmds = check_done(&mut a, 0, acme());
    assert_eq!(a.lifecycle, Lifecycle::Active);
    assert_eq!(a.facts.as_ref().map(|f| f.company_id), Some(company(ACME)));
    assert_eq!(
        a.facts.as_ref().and_then(|f| f.last_good_check),
        Some(now())
    );
    let at = now() + jiff::SignedDuration::from_secs(300);
    assert!(matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at));
    assert_eq!(a.next_check_at, Some(at));
    assert!(!a.check_in_flight);
}

#[test]
fn revalidation_is_single_flight() {
    let mut a = active();
    assert_eq!(update(&mut a, press(KeyCode::Char('r'))).len(), 1);
    assert!(
        update(&mut a, press(KeyCode::Char('r'))).is_empty(),
        "queued, not sent"
    );
    assert!(
        update(&mut a, press(KeyCode::Char('r'))).is_empty(),
        "one queued"
    );
    let cmds = check_done(&mut a, 0, acme());
    let checks = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::Check { .. }))
        .count();
    assert_eq!(checks, 1, "exactly one more check runs after the first");
    let cmds = check_done(&mut a, 0, acme());
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Check { .. })));
}

#[test]
fn a_revoked_key_shows_the_rejected_banner_with_its_key() {
    let mut a = active();
    update(&mut a, Msg::CheckDue);
    check_done(&mut a, 0, failed_outcome(Lifecycle::KeyRejected));
    let b = a.banner().unwrap();
    assert_eq!(b.level, BannerLevel::Error);
    // Pleo answers 401 alike for revoked and expired keys: said once, not guessed.
    assert_eq!(
        b.text,
        "API key rejected: revoked, expired or deleted in Pleo (Pleo does not say which). Press e to enter a new key."
    );
    // With an expiry date recorded and passed, that is the likely story.
    if let Some(f) = a.facts.as_mut() {
        f.expires_on = Some(jiff::civil::date(2020, 1, 31));
    }
    assert!(
        a.banner()
            .unwrap()
            .text
            .starts_with("API key rejected: it expired on 2020-01-31")
    );
}

#[test]
fn degraded_keeps_last_good_facts_and_backs_off_then_recovers() {
    let mut a = active();
    let facts = a.facts.clone();
    for (n, secs) in [(1, 15), (2, 30), (3, 60)] {
        update(&mut a, Msg::CheckDue);
        let cmds = check_done(
            &mut a,
            0,
            failed_outcome(Lifecycle::Degraded(Degradation::ServerError {
                status: 503,
            })),
        );
        assert_eq!(a.failures, n);
        let at = now() + jiff::SignedDuration::from_secs(secs);
        assert!(
            matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at),
            "{n}: {cmds:?}"
        );
    }
    assert_eq!(a.facts, facts, "last good facts kept");
    a.now = now() + jiff::SignedDuration::from_secs(24);
    assert_eq!(
        a.banner().unwrap().text,
        "Pleo server error (503): retrying in 36 s (r to retry now)."
    );
    update(&mut a, Msg::CheckDue);
    check_done(&mut a, 0, acme());
    assert_eq!(a.failures, 0);
    assert_eq!(
        a.banner().unwrap().level,
        BannerLevel::Success,
        "recovery is confirmed"
    );
}

#[test]
fn a_rate_limit_waits_for_retry_after() {
    let mut a = active();
    update(&mut a, Msg::CheckDue);
    let cmds = check_done(
        &mut a,
        0,
        failed_outcome(Lifecycle::Degraded(Degradation::RateLimited {
            retry_after: Some(Duration::from_secs(90)),
        })),
    );
    let at = now() + jiff::SignedDuration::from_secs(90);
    assert!(matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at));
    // r within the wait sends nothing and says when the check will run.
    let cmds = update(&mut a, press(KeyCode::Char('r')));
    assert!(cmds.is_empty(), "{cmds:?}");
    let notice = a.notice.clone().unwrap().text;
    assert!(
        notice.contains("Retry-After") && notice.contains("in 1 min 30 s"),
        "{notice}"
    );
    // Once it has passed, r checks.
    a.now = at;
    assert!(matches!(
        update(&mut a, press(KeyCode::Char('r')))[..],
        [Cmd::Check { .. }]
    ));
}

/// Pressing r again and again during an outage checks each time, without growing the wait of
/// the scheduled retries; a retry falling due during a manual check is that check.
#[test]
fn manual_checks_do_not_grow_the_backoff_nor_run_twice() {
    let mut a = active();
    let outage = || {
        failed_outcome(Lifecycle::Degraded(Degradation::ServerError {
            status: 503,
        }))
    };
    for _ in 0..4 {
        let cmds = update(&mut a, press(KeyCode::Char('r')));
        assert!(matches!(cmds[..], [Cmd::Check { .. }]), "{cmds:?}");
        // The retry that was pending falls due meanwhile: nothing more is sent.
        assert!(update(&mut a, Msg::CheckDue).is_empty());
        check_done(&mut a, 0, outage());
    }
    assert_eq!(a.failures, 1, "manual checks keep the first backoff step");
    let at = a.next_check_at.unwrap();
    assert_eq!(at, a.now + jiff::SignedDuration::from_secs(15));
}

/// While a dialog is open the banner says what is wrong, not which key to press: the dialog
/// on screen is that action.
#[test]
fn the_banner_drops_its_key_hint_while_a_dialog_is_open() {
    let mut a = active();
    update(&mut a, Msg::CheckDue);
    check_done(&mut a, 0, failed_outcome(Lifecycle::KeyRejected));
    assert!(a.banner().unwrap().text.contains("Press e"));
    update(&mut a, press(KeyCode::Char('e')));
    let text = a.banner().unwrap().text;
    assert!(!text.contains("Press e"), "{text}");
    assert!(text.contains("API key rejected"));
}

#[test]
fn a_pasted_key_is_one_event_and_enter_activates_with_a_new_generation() {
    let mut a = active();
    update(&mut a, Msg::CheckDue); // a check in flight for the old key
    let cmds = paste_key(&mut a, &format!("{KEY_B}\n"));
    let (generation, attempt) = attempt_of(&cmds);
    assert_eq!(generation, 1);
    assert_eq!(attempt.key.as_ref().map(|k| k.expose()), Some(KEY_B));
    assert_eq!(attempt.opts.company_change, CompanyChange::Ask);
    // The key in use stays active while the new one is tried.
    assert_eq!(a.lifecycle, Lifecycle::Active);
    assert!(matches!(&a.overlay, Overlay::KeyEntry(e) if e.busy));
    // The old key's check answers late: dropped.
    assert!(check_done(&mut a, 0, failed_outcome(Lifecycle::KeyRejected)).is_empty());
    assert_eq!(a.lifecycle, Lifecycle::Active);
    let mut done = active_outcome(facts_for(KEY_B, ACME, "Acme"), true);
    done.replaced = Some(Replaced::Retired {
        old: key(KEY_A).id(),
    });
    activation_done(&mut a, 1, done, attempt);
    assert!(matches!(a.overlay, Overlay::None));
    let banner = a.banner().unwrap().text;
    assert!(
        banner.starts_with(&format!("Connected to Company ID: {ACME} (Acme).")),
        "{banner}"
    );
    assert!(
        banner.contains("previous key …21a4 is no longer used: delete it in Pleo"),
        "{banner}"
    );
    assert_eq!(a.facts.as_ref().unwrap().key, key(KEY_B).id());
}

#[test]
fn keys_typed_in_the_modal_never_fire_bindings() {
    let mut a = active();
    update(&mut a, press(KeyCode::Char('e')));
    for c in "qrsa?".chars() {
        assert!(update(&mut a, press(KeyCode::Char(c))).is_empty());
    }
    assert!(!a.should_quit);
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!()
    };
    assert_eq!(entry.text.as_str(), "qrsa?");
    assert!(
        matches!(update(&mut a, ctrl('c'))[..], [Cmd::Quit]),
        "Ctrl-C still quits"
    );
}

#[test]
fn local_validation_errors_stay_in_the_modal_and_send_nothing() {
    let mut a = empty_app(Environment::Sandbox, false);
    assert!(paste_key(&mut a, "pls_ab cd_12").is_empty());
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!()
    };
    assert!(entry.error.as_deref().unwrap().contains("space"));
    assert!(!entry.busy);

    let mut a = empty_app(Environment::Sandbox, false);
    update(&mut a, press(KeyCode::Char('e')));
    update(&mut a, Msg::Paste(KEY_A.into()));
    update(&mut a, press(KeyCode::Tab));
    for c in "31/12/2026".chars() {
        update(&mut a, press(KeyCode::Char(c)));
    }
    assert!(update(&mut a, press(KeyCode::Enter)).is_empty());
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!()
    };
    assert!(entry.error.as_deref().unwrap().contains("YYYY-MM-DD"));

    // A huge paste is refused without being kept.
    let mut a = empty_app(Environment::Sandbox, false);
    update(&mut a, press(KeyCode::Char('e')));
    update(&mut a, Msg::Paste("x".repeat(10 * 1024 * 1024)));
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!()
    };
    assert!(entry.text.is_empty());
    assert!(entry.error.as_deref().unwrap().contains("too long"));
}

#[test]
fn a_failed_replacement_says_the_current_key_is_still_active() {
    let mut a = active();
    let (generation, attempt) = attempt_of(&paste_key(&mut a, KEY_B));
    let mut failed = failed_outcome(Lifecycle::KeyRejected);
    failed.key = Some(key(KEY_B).id());
    failed.replaced = Some(Replaced::Kept {
        current: key(KEY_A).id(),
        check: Some(Box::new(acme())),
    });
    activation_done(&mut a, generation, failed, attempt);
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!("{:?}", a.overlay)
    };
    assert!(!entry.busy);
    assert!(
        entry
            .error
            .as_deref()
            .unwrap()
            .starts_with("API key rejected")
    );
    assert_eq!(
        entry.text.as_str(),
        KEY_B,
        "the text stays to be fixed or replaced"
    );
    assert_eq!(
        a.lifecycle,
        Lifecycle::Active,
        "the current key is still in use"
    );
    update(&mut a, press(KeyCode::Esc));
    let banner = a.banner().unwrap().text;
    assert_eq!(
        banner,
        "The new key was not used; the current key …21a4 is still active."
    );
}

/// The activation of `attempt` ends finding the key is for `got` (named `name`), not Acme.
fn mismatch(a: &mut App, attempt: Attempt, generation: u64, got: &str, name: &str) {
    let mut o = failed_outcome(Lifecycle::CompanyMismatch {
        expected: company(ACME),
        got: company(got),
        got_name: Some(Text::new(name)),
    });
    o.replaced = Some(Replaced::Kept {
        current: key(KEY_A).id(),
        check: None,
    });
    activation_done(a, generation, o, attempt);
}

#[test]
fn declining_a_company_change_keeps_the_current_key_and_records_the_answer() {
    let mut a = active();
    let (generation, attempt) = attempt_of(&paste_key(&mut a, KEY_OTHER));
    mismatch(&mut a, attempt, generation, COBALT, "Cobalt");
    let Overlay::ConfirmCompany(c) = &a.overlay else {
        panic!("{:?}", a.overlay)
    };
    assert_eq!((c.current, c.new), (company(ACME), company(COBALT)));
    assert_eq!(c.current_name.as_ref().map(|n| n.as_str()), Some("Acme"));
    assert_eq!(
        a.lifecycle,
        Lifecycle::Active,
        "nothing changed while asking"
    );
    assert!(
        update(&mut a, press(KeyCode::Char('x'))).is_empty(),
        "only y or n decide"
    );
    let cmds = update(&mut a, press(KeyCode::Char('n')));
    assert!(
        matches!(&cmds[..], [Cmd::DeclineCompanyChange { company: c, .. }] if *c == company(COBALT))
    );
    assert!(matches!(a.overlay, Overlay::None));
    assert!(
        a.banner()
            .unwrap()
            .text
            .contains("Keeping the current company")
    );
}

#[test]
fn confirming_reruns_activation_with_confirmation() {
    let mut a = active();
    let (generation, attempt) = attempt_of(&paste_key(&mut a, KEY_OTHER));
    mismatch(&mut a, attempt, generation, COBALT, "Cobalt");
    let (generation, attempt) = attempt_of(&update(&mut a, press(KeyCode::Char('y'))));
    assert_eq!(generation, 2);
    assert_eq!(attempt.opts.company_change, CompanyChange::Confirm);
    activation_done(
        &mut a,
        2,
        active_outcome(facts_for(KEY_OTHER, COBALT, "Cobalt"), true),
        attempt,
    );
    assert!(matches!(a.overlay, Overlay::None));
    assert_eq!(a.facts.as_ref().unwrap().company_id, company(COBALT));
}

#[test]
fn an_organisation_key_for_another_company_asks_once_and_does_not_loop() {
    let mut a = active();
    let (generation, attempt) = attempt_of(&paste_key(&mut a, KEY_ORG));
    let required = failed_outcome(Lifecycle::CompanyRequired {
        organization: None,
        companies: vec![
            CompanyChoice {
                id: company(ACME),
                name: Text::new("Acme"),
            },
            CompanyChoice {
                id: company(BOREALIS),
                name: Text::new("Borealis"),
            },
        ],
        refused: None,
    });
    activation_done(&mut a, generation, required, attempt);
    assert!(matches!(a.overlay, Overlay::ChooseCompany(_)));
    update(&mut a, press(KeyCode::Down));
    let (generation, attempt) = attempt_of(&update(&mut a, press(KeyCode::Enter)));
    assert_eq!(attempt.opts.company, Some(company(BOREALIS)));
    // Borealis is not the connected company: confirm the switch.
    mismatch(&mut a, attempt, generation, BOREALIS, "Borealis");
    let (_, attempt) = attempt_of(&update(&mut a, press(KeyCode::Char('y'))));
    assert_eq!(
        attempt.opts.company,
        Some(company(BOREALIS)),
        "the choice is kept"
    );
    assert_eq!(attempt.opts.company_change, CompanyChange::Confirm);
}

#[test]
fn a_key_changed_by_another_process_is_shown_and_checked_at_once() {
    let mut a = active();
    update(&mut a, Msg::CheckDue); // in flight for the old key
    let stored = active_outcome(facts_for(KEY_B, ACME, "Acme"), false);
    let cmds = update(&mut a, Msg::StoreChanged(Box::new(stored)));
    assert!(
        matches!(cmds[..], [Cmd::Check { generation: 1 }]),
        "{cmds:?}"
    );
    assert_eq!(a.facts.as_ref().unwrap().key, key(KEY_B).id());
    assert!(a.banner().unwrap().text.contains("now using …9b56"));
    // The old check's answer is dropped.
    assert!(check_done(&mut a, 0, failed_outcome(Lifecycle::KeyRejected)).is_empty());
    // Forgotten elsewhere: no key, nothing scheduled.
    update(
        &mut a,
        Msg::StoreChanged(Box::new(failed_outcome(Lifecycle::NotConfigured))),
    );
    assert!(!a.has_key);
    assert_eq!(a.lifecycle, Lifecycle::NotConfigured);
}

#[test]
fn paste_outside_a_field_does_nothing() {
    let mut a = active();
    assert!(update(&mut a, Msg::Paste("q".into())).is_empty());
    assert!(!a.should_quit);
}

#[test]
fn a_wrong_passphrase_says_so_and_a_right_one_starts_a_check() {
    let mut a = empty_app(Environment::Sandbox, true);
    a.overlay = Overlay::Passphrase(PassphrasePrompt::default());
    update(&mut a, Msg::Paste("secret\n".into()));
    let cmds = update(&mut a, press(KeyCode::Enter));
    use secrecy::ExposeSecret;
    assert!(
        matches!(&cmds[..], [Cmd::Unlock { passphrase }] if passphrase.expose_secret() == "secret")
    );
    assert!(!format!("{cmds:?}").contains("secret"));
    update(
        &mut a,
        Msg::StoreUnlocked(Err("wrong passphrase for key.age".into())),
    );
    let Overlay::Passphrase(p) = &a.overlay else {
        panic!()
    };
    assert_eq!(p.error.as_deref(), Some("wrong passphrase for key.age"));
    assert!(p.text.is_empty());
    update(&mut a, Msg::Paste("right".into()));
    update(&mut a, press(KeyCode::Enter));
    let cmds = update(&mut a, Msg::StoreUnlocked(Ok(true)));
    assert!(matches!(cmds[..], [Cmd::Check { .. }]));
    assert!(matches!(a.overlay, Overlay::None));
}

#[test]
fn the_sandbox_panel_only_in_the_sandbox_and_demo_keys_prefill_the_modal() {
    let mut a = active();
    a.ctx.sandbox = false;
    update(&mut a, press(KeyCode::Char('s')));
    assert!(matches!(a.overlay, Overlay::None));
    a.ctx.sandbox = true;
    update(&mut a, press(KeyCode::Char('s')));
    assert!(matches!(a.overlay, Overlay::Sandbox(_)));
    let cmds = update(&mut a, press(KeyCode::Enter));
    assert!(matches!(
        cmds[..],
        [Cmd::Sandbox {
            action: SandboxAction::RevokeKey
        }]
    ));
    update(&mut a, press(KeyCode::Char('s')));
    for _ in 0..SandboxAction::ALL.len() {
        update(&mut a, press(KeyCode::Down));
    }
    update(&mut a, press(KeyCode::Enter));
    let Overlay::KeyEntry(entry) = &a.overlay else {
        panic!()
    };
    assert_eq!(entry.text.as_str(), pleo_keys::sandbox::HEALTHY_KEY);
}

#[test]
fn calls_are_bounded() {
    let mut a = active();
    for i in 0..(pleo_keys::app::model::MAX_CALLS + 20) {
        update(&mut a, Msg::Call(call_of(0, i, &format!("/{i}"), now())));
    }
    assert_eq!(a.calls.len(), pleo_keys::app::model::MAX_CALLS);
    assert_eq!(a.calls.front().unwrap().path, "/20");
}

#[test]
fn q_quits_and_shutdown_quits() {
    let mut a = active();
    assert!(matches!(
        update(&mut a, press(KeyCode::Char('q')))[..],
        [Cmd::Quit]
    ));
    let mut a = active();
    assert!(matches!(update(&mut a, Msg::Shutdown)[..], [Cmd::Quit]));
    assert!(a.should_quit);
}

#[test]
fn the_expiry_date_is_recorded_from_the_dashboard_and_a_past_one_refused() {
    use pleo_keys::app::overlay::ExpiryPrompt;
    let mut a = active();
    update(&mut a, press(KeyCode::Char('x')));
    assert!(matches!(a.overlay, Overlay::Expiry(_)));
    for c in "2020-01-01".chars() {
        update(&mut a, press(KeyCode::Char(c)));
    }
    assert!(
        update(&mut a, press(KeyCode::Enter)).is_empty(),
        "the past is refused here"
    );
    let Overlay::Expiry(ExpiryPrompt { error: Some(e), .. }) = &a.overlay else {
        panic!()
    };
    assert!(e.contains("in the past"), "{e}");
    update(&mut a, ctrl('u'));
    update(&mut a, Msg::Paste("2027-03-31\n".into()));
    let cmds = update(&mut a, press(KeyCode::Enter));
    let date = jiff::civil::date(2027, 3, 31);
    assert!(
        matches!(cmds[..], [Cmd::SetExpiry { date: Some(d) }] if d == date),
        "{cmds:?}"
    );
    let mut facts = a.facts.clone().unwrap();
    facts.expires_on = Some(date);
    update(&mut a, Msg::ExpirySet(Ok(Box::new(facts))));
    assert!(matches!(a.overlay, Overlay::None));
    assert_eq!(a.facts.as_ref().unwrap().expires_on, Some(date));
    assert!(a.banner().unwrap().text.contains("expires on 2027-03-31"));
    // An empty field clears it.
    update(&mut a, press(KeyCode::Char('x')));
    update(&mut a, ctrl('u'));
    let cmds = update(&mut a, press(KeyCode::Enter));
    assert!(matches!(cmds[..], [Cmd::SetExpiry { date: None }]));
}

#[test]
fn a_locked_key_file_can_be_unlocked_again_without_restarting() {
    let mut a = empty_app(Environment::Sandbox, true);
    a.overlay = Overlay::Passphrase(PassphrasePrompt::default());
    update(&mut a, press(KeyCode::Esc));
    assert!(matches!(
        a.lifecycle,
        Lifecycle::StorageError {
            needs_passphrase: true,
            ..
        }
    ));
    assert!(a.banner().unwrap().text.contains("locked"));
    update(&mut a, press(KeyCode::Char('p')));
    assert!(matches!(a.overlay, Overlay::Passphrase(_)), "p asks again");
}
