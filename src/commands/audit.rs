//! `audit`: the audit log as a table (or JSON), with who put the current key in place at the top.
//! Offline; every text read from the log is cleaned before it is shown.

use super::EXIT_UNKNOWN;
use super::output::{self, outln};
use super::setup::Setup;
use super::table::Table;
use crate::cli::AuditArgs;
use crate::domain::{KeyId, KeySource};
use crate::store::{AuditEvent, AuditKind, read_audit_counted};
use jiff::{SignedDuration, Timestamp};

pub fn run(setup: &Setup, args: &AuditArgs) -> i32 {
    let engine = &setup.engine;
    let path = &engine.home.paths.audit_log;
    let (events, skipped) = match read_audit_counted(path) {
        Ok(read) => read,
        Err(e) => {
            super::admin::report_error(&e.to_string(), args.json);
            return EXIT_UNKNOWN;
        }
    };
    let events: Vec<AuditEvent> = events.into_iter().map(AuditEvent::cleaned).collect();
    let now = engine.now();
    let since = args
        .since
        .and_then(|d| SignedDuration::try_from(d).ok())
        .map(|d| now.checked_sub(d).unwrap_or(Timestamp::MIN));
    let shown: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| since.is_none_or(|s| e.time >= s))
        .collect();
    // The stored key when the state says; else the key of the newest activation in the log.
    let current = match engine.home.state() {
        Ok(state) => state.map(|s| s.facts.key),
        Err(_) => newest_placement(&events, None).and_then(key_of),
    };
    let placed = current
        .as_ref()
        .and_then(|k| newest_placement(&events, Some(k)));
    if skipped > 0 {
        output::err(&format!(
            "{skipped} unreadable line(s) in {} were skipped",
            path.display()
        ));
    }
    if args.json {
        let v = serde_json::json!({
            "current_key": current.as_ref().map(|k| serde_json::json!({"hint": k.hint, "fingerprint": k.fingerprint})),
            "placed": placed.map(|e| serde_json::json!({
                "event": e.event.as_str(),
                "time": e.time,
                "os_user": e.os_user,
                "ssh_client": e.ssh_client,
            })),
            "since": since,
            "events": shown.iter().map(|e| event_json(e)).collect::<Vec<_>>(),
            "skipped_lines": skipped,
        });
        outln(&v.to_string());
        return 0;
    }
    let mut text = format!("{}\n\n", summary(current.as_ref(), placed, now));
    if shown.is_empty() {
        text.push_str(&match since {
            Some(s) => format!(
                "No audit events since {} in {}.\n",
                s.strftime("%Y-%m-%d %H:%M UTC"),
                path.display()
            ),
            None => format!("No audit events in {}.\n", path.display()),
        });
        output::out(&text);
        return 0;
    }
    let mut table = Table::new(["Time (UTC)", "Who", "What", "Key", "Company", "Detail"]);
    for e in &shown {
        table.row([
            e.time.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            who(e).unwrap_or_else(|| "-".into()),
            e.event.as_str().to_string(),
            key_label(e),
            e.company_id.clone().unwrap_or_else(|| "-".into()),
            detail(e),
        ]);
    }
    text.push_str(&table.render(""));
    output::out(&text);
    0
}

/// The newest event that put a key in place (`key_replaced`, else `activation_passed`), of `key`
/// when given: a rotation says more than a later re-activation of the same key.
fn newest_placement<'a>(events: &'a [AuditEvent], key: Option<&KeyId>) -> Option<&'a AuditEvent> {
    let of_key = |e: &&AuditEvent| {
        key.is_none_or(|k| e.key_fingerprint.as_deref() == Some(k.fingerprint.as_str()))
    };
    let newest = |kind| {
        events
            .iter()
            .filter(|e| e.event == kind)
            .filter(of_key)
            .max_by_key(|e| e.time)
    };
    newest(AuditKind::KeyReplaced).or_else(|| newest(AuditKind::ActivationPassed))
}

fn key_of(e: &AuditEvent) -> Option<KeyId> {
    Some(KeyId::new(
        e.key_hint.clone().unwrap_or_default(),
        e.key_fingerprint.clone()?,
    ))
}

/// "Key …21a4 (cb56eed8c825) last rotated 12 days ago (2026-05-01 10:00 UTC) by ops from 10.0.0.5."
fn summary(current: Option<&KeyId>, placed: Option<&AuditEvent>, now: Timestamp) -> String {
    let Some(key) = current else {
        return "No key is set up in this home (pleo-keys set-key).".into();
    };
    let Some(e) = placed else {
        return format!("Key {key}: the audit log does not say when it was put in place.");
    };
    let what = match e.event {
        AuditKind::KeyReplaced => "last rotated",
        _ => "activated",
    };
    let by = match who(e) {
        Some(w) => format!(" by {w}"),
        None => String::new(),
    };
    format!(
        "Key {key} {what} {} ({}){by}.",
        ago(now.duration_since(e.time)),
        e.time.strftime("%Y-%m-%d %H:%M UTC")
    )
}

fn ago(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        s if s < 60 => return "moments ago".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 48 * 3600 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// "ops from 10.0.0.5": the OS user and the SSH client's address, what is known of them.
fn who(e: &AuditEvent) -> Option<String> {
    match (&e.os_user, &e.ssh_client) {
        (Some(u), Some(c)) => Some(format!("{u} from {c}")),
        (Some(u), None) => Some(u.clone()),
        (None, Some(c)) => Some(format!("from {c}")),
        (None, None) => None,
    }
}

/// Hint and fingerprint together; older lines may have only the fingerprint.
fn key_label(e: &AuditEvent) -> String {
    match (&e.key_hint, &e.key_fingerprint) {
        (Some(h), Some(f)) => format!("{h} ({f})"),
        (None, Some(f)) => f.clone(),
        (Some(h), None) => h.clone(),
        (None, None) => "-".into(),
    }
}

fn detail(e: &AuditEvent) -> String {
    let parts: Vec<&str> = [e.reason.as_deref(), e.detail.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        // Where the key was kept; an entered key's event says so itself.
        e.key_source
            .filter(|&s| s != KeySource::Entered)
            .map(|s| format!("key in {s}"))
            .unwrap_or_default()
    } else {
        parts.join(": ")
    }
}

fn event_json(e: &AuditEvent) -> serde_json::Value {
    serde_json::json!({
        "time": e.time,
        "event": e.event.as_str(),
        "os_user": e.os_user,
        "ssh_client": e.ssh_client,
        "key_hint": e.key_hint,
        "key_fingerprint": e.key_fingerprint,
        "key_source": e.key_source,
        "company_id": e.company_id,
        "reason": e.reason,
        "detail": e.detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: AuditKind, secs: i64, fp: &str) -> AuditEvent {
        let mut e = AuditEvent::new(kind).key(&KeyId::new("…21a4".into(), fp.into()));
        e.time = Timestamp::from_second(secs).unwrap();
        e.os_user = Some("ops".into());
        e.ssh_client = Some("10.0.0.5".into());
        e
    }

    #[test]
    fn the_summary_names_the_rotation_of_the_current_key() {
        let fp = "cb56eed8c825";
        let day = 86_400;
        let events = [
            event(AuditKind::ActivationPassed, day, "000000000000"),
            event(AuditKind::ActivationPassed, 2 * day, fp),
            event(AuditKind::KeyReplaced, 2 * day, fp),
            event(AuditKind::ActivationPassed, 3 * day, fp),
        ];
        let key = KeyId::new("…21a4".into(), fp.into());
        let placed = newest_placement(&events, Some(&key));
        let now = Timestamp::from_second(14 * day).unwrap();
        assert_eq!(
            summary(Some(&key), placed, now),
            "Key …21a4 (cb56eed8c825) last rotated 12 days ago (1970-01-03 00:00 UTC) by ops from 10.0.0.5."
        );
        let first = newest_placement(&events[..1], None);
        assert!(
            summary(Some(&key), first, now).contains(" activated 13 days ago"),
            "{}",
            summary(Some(&key), first, now)
        );
        assert!(summary(None, None, now).starts_with("No key"));
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(SignedDuration::from_secs(5)), "moments ago");
        assert_eq!(ago(SignedDuration::from_secs(60)), "1 minute ago");
        assert_eq!(ago(SignedDuration::from_hours(47)), "47 hours ago");
        assert_eq!(ago(SignedDuration::from_hours(48)), "2 days ago");
    }

    #[test]
    fn older_lines_show_what_they_have() {
        let mut e = AuditEvent::new(AuditKind::KeyEntered);
        assert_eq!(key_label(&e), "-");
        e.key_fingerprint = Some("cb56eed8c825".into());
        assert_eq!(key_label(&e), "cb56eed8c825");
        e.key_hint = Some("…21a4".into());
        assert_eq!(key_label(&e), "…21a4 (cb56eed8c825)");
    }
}
