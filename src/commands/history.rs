//! `history`: the recent checks of this home (by any process) and the uptime they add up to.
//! Offline: read from `checks.jsonl`.

use super::EXIT_UNKNOWN;
use super::output::{self, outln};
use super::setup::Setup;
use super::table::Table;
use crate::cli::HistoryArgs;
use crate::store::checks::{CheckEntry, CheckHistory, uptime};
use jiff::SignedDuration;

pub fn run(setup: &Setup, args: &HistoryArgs) -> i32 {
    let engine = &setup.engine;
    let history = CheckHistory::new(&engine.home.paths.check_history);
    let all = match history.recent(usize::MAX) {
        Ok(all) => all,
        Err(e) => {
            super::admin::report_error(&e.to_string(), args.json);
            return EXIT_UNKNOWN;
        }
    };
    let now = engine.now();
    let day = SignedDuration::from_hours(24);
    let (u24, u7d) = (uptime(&all, now, day), uptime(&all, now, day * 7));
    let shown = &all[all.len().saturating_sub(args.limit)..];
    let since = all.first().map(|e| e.at);
    if args.json {
        let checks: Vec<_> = shown.iter().map(entry_json).collect();
        let v = serde_json::json!({
            "checks": checks,
            "uptime_24h": u24,
            "uptime_7d": u7d,
            "recorded": all.len(),
            "history_since": since,
        });
        outln(&v.to_string());
        return 0;
    }
    if all.is_empty() {
        outln(&format!(
            "No checks recorded yet in {}: run pleo-keys check, or keep the dashboard or pleo-keys proxy running.",
            history.path().display()
        ));
        return 0;
    }
    let mut text = format!(
        "pleo-keys history · the last {} of {} checks\n\n",
        shown.len(),
        all.len()
    );
    let mut table = Table::new(["Time (UTC)", "Verdict", "Latency", "Key", "Process"]);
    table.align_right(2);
    for e in shown {
        table.row([
            e.at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            format!("{:<8} {}", e.status.as_str(), e.reason.as_str()),
            format!("{} ms", e.latency_ms),
            e.key.as_ref().map_or_else(|| "-".into(), |k| k.to_string()),
            e.pid.to_string(),
        ]);
    }
    text.push_str(&table.render("  "));
    // Time before the first check is not counted: say so when the history is that young.
    let counted = match since.filter(|&t| now.duration_since(t) < day * 7) {
        Some(first) => format!(", counted from {}", first.strftime("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    text.push_str(&format!(
        "\nUptime: 24 h {} · 7 d {}{counted}\n(the share of the time the integration could work: the key active, or only Pleo failing)\n",
        percent(u24),
        percent(u7d)
    ));
    output::out(&text);
    0
}

fn entry_json(e: &CheckEntry) -> serde_json::Value {
    serde_json::json!({
        "at": e.at,
        "reason": e.reason,
        "status": e.status,
        "latency_ms": e.latency_ms,
        "key_hint": e.key.as_ref().map(|k| &k.hint),
        "key_fingerprint": e.key.as_ref().map(|k| &k.fingerprint),
        "pid": e.pid,
    })
}

/// Rounded down, so an outage never shows as 100%.
fn percent(share: Option<f64>) -> String {
    match share {
        None => "-".into(),
        Some(s) if s >= 1.0 => "100%".into(),
        Some(s) => format!("{:.1}%", (s * 1000.0).floor() / 10.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_never_round_up_to_full() {
        assert_eq!(percent(None), "-");
        assert_eq!(percent(Some(1.0)), "100%");
        assert_eq!(percent(Some(0.99999)), "99.9%");
        assert_eq!(percent(Some(0.5)), "50.0%");
        assert_eq!(percent(Some(0.0)), "0.0%");
    }
}
