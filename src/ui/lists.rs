//! The lower panel's other views: the audit log and the check history, newest first, with the
//! same selection and window as the calls. A right-hand title names the views Tab switches.

use super::theme::Styles;
use crate::app::App;
use crate::app::calls_view::View;
use crate::store::AuditEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// A list's block: its title, and the views Tab switches on the right when there is room.
pub fn block(title: String, area: Rect, app: &App, styles: &Styles) -> Block<'static> {
    let tabs = tabs(app, styles);
    let room = super::width(&title) + tabs.width() + 4 <= area.width as usize;
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(title, styles.title));
    if room { block.title(tabs) } else { block }
}

/// The views, the current one marked: `calls · checks · [audit]`.
pub fn tabs(app: &App, styles: &Styles) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (view, name)) in [
        (View::Calls, "calls"),
        (View::Checks, "checks"),
        (View::Audit, "audit"),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" · ", styles.dim));
        }
        let style = if app.list.view == view {
            styles.title
        } else {
            styles.dim
        };
        spans.push(Span::styled(name, style));
    }
    spans.push(Span::styled(" (Tab) ", styles.dim));
    Line::from(spans).right_aligned()
}

/// `…21a4 (cb56eed8c825)`: hint and fingerprint together, as `status` and the audit log say it.
pub fn key_of(e: &AuditEvent) -> String {
    match (&e.key_hint, &e.key_fingerprint) {
        (Some(h), Some(f)) => format!("{} ({})", clean(h, 12), clean(f, 16)),
        (None, Some(f)) => clean(f, 16),
        (Some(h), None) => clean(h, 12),
        (None, None) => String::new(),
    }
}

fn clean(s: &str, max: usize) -> String {
    crate::domain::sanitize(s, max)
}

/// The event's name as the audit log writes it (`key_replaced`).
pub fn event_name(e: &AuditEvent) -> String {
    e.event.as_str().to_string()
}

/// `ops from 10.0.0.5`.
pub fn who(e: &AuditEvent) -> String {
    let user = e
        .os_user
        .as_deref()
        .map(|u| clean(u, 24))
        .unwrap_or_else(|| "?".into());
    match &e.ssh_client {
        Some(from) => format!("{user} from {}", clean(from, 40)),
        None => user,
    }
}

pub fn audit(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    // Narrow: the short time and the key's hint only; the detail gets what is left.
    let wide = area.width >= 120;
    let (time_w, who_w, key_w, time_fmt) = if wide {
        (17, 22, 22, "%Y-%m-%d %H:%M")
    } else {
        (11, 16, 6, "%m-%d %H:%M")
    };
    let heading = Heading {
        title: format!(" Audit log ({}, newest first) ", app.audit.len()),
        columns: format!(
            "{:<time_w$} {:<who_w$} {:<24} {:<key_w$} DETAIL",
            "UTC", "WHO", "WHAT", "KEY"
        ),
        empty: "Nothing audited yet.",
    };
    newest_first(frame, area, app, styles, heading, &app.audit, |e| {
        let mut detail = e
            .detail
            .as_deref()
            .map(|d| clean(d, 200))
            .unwrap_or_default();
        if let Some(c) = &e.company_id {
            detail = format!("company {} {detail}", clean(c, 40));
        }
        let key = if wide {
            key_of(e)
        } else {
            e.key_hint
                .as_deref()
                .map(|h| clean(h, 6))
                .unwrap_or_default()
        };
        Line::from(vec![
            Span::styled(
                format!("{:<time_w$} ", e.time.strftime(time_fmt)),
                styles.dim,
            ),
            Span::raw(format!("{:<who_w$} ", super::truncate(&who(e), who_w))),
            Span::styled(format!("{:<24} ", event_name(e)), event_style(e, styles)),
            Span::raw(format!("{key:<key_w$} ")),
            Span::styled(detail, styles.dim),
        ])
    });
}

/// What a list shows above its rows, or instead of them when there are none.
struct Heading {
    title: String,
    columns: String,
    empty: &'static str,
}

/// `items` newest first: the window of rows that keeps the selection in view, the selected row
/// highlighted, under a line naming the columns.
fn newest_first<T>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    styles: &Styles,
    heading: Heading,
    items: &[T],
    row: impl Fn(&T) -> Line<'static>,
) {
    let rows = (area.height as usize).saturating_sub(3);
    let offset = app.list.window(items.len(), rows);
    let block = block(heading.title, area, app, styles);
    let mut lines = if items.is_empty() {
        vec![Line::styled(heading.empty, styles.dim)]
    } else {
        vec![Line::styled(heading.columns, styles.dim)]
    };
    for (i, item) in items.iter().rev().skip(offset).take(rows).enumerate() {
        let line = row(item);
        lines.push(if app.list.cursor == Some(offset + i) {
            line.patch_style(styles.selected)
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn event_style(e: &AuditEvent, styles: &Styles) -> Style {
    let name = event_name(e);
    if name.contains("failed") || name.contains("declined") || name.contains("denied") {
        styles.warning
    } else {
        Style::default()
    }
}

/// "Key …21a4 (cb56eed8c825) rotated 12 days ago by ops from 10.0.0.5": the newest time the key
/// in use was entered and activated.
pub fn last_rotation(app: &App) -> Option<String> {
    let key = &app.facts.as_ref()?.key;
    let e = app.audit.iter().rev().find(|e| {
        e.key_fingerprint.as_deref() == Some(key.fingerprint.as_str())
            && matches!(
                event_name(e).as_str(),
                "key_replaced" | "activation_passed" | "key_entered"
            )
    })?;
    let ago = crate::app::model::ago(app.now, e.time);
    Some(format!("{ago} by {}", who(e)))
}

/// The check history: every verdict with its latency, and the uptime it adds up to.
pub fn checks(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    use crate::store::checks::uptime;
    let pct = |days: i64| {
        uptime(
            &app.checks,
            app.now,
            jiff::SignedDuration::from_hours(24 * days),
        )
        .map(|u| format!("{:.1} %", u * 100.0))
        .unwrap_or_else(|| "–".into())
    };
    let heading = Heading {
        title: format!(
            " Checks ({}, newest first) · uptime 24 h {} · 7 d {} ",
            app.checks.len(),
            pct(1),
            pct(7)
        ),
        columns: format!(
            "{:<17} {:<22} {:>9}  {:<22} PID",
            "UTC", "VERDICT", "LATENCY", "KEY"
        ),
        empty: "No checks recorded yet.",
    };
    newest_first(frame, area, app, styles, heading, &app.checks, |c| {
        let style = if c.usable() { styles.ok } else { styles.error };
        let key = c
            .key
            .as_ref()
            .map(|k| format!("{} ({})", k.hint, k.fingerprint))
            .unwrap_or_default();
        Line::from(vec![
            Span::styled(
                format!("{:<17} ", c.at.strftime("%Y-%m-%d %H:%M")),
                styles.dim,
            ),
            Span::styled(format!("{:<22} ", c.reason.as_str()), style),
            Span::raw(format!("{:>6} ms  ", c.latency_ms)),
            Span::raw(format!("{:<22} ", super::truncate(&key, 22))),
            Span::styled(c.pid.to_string(), styles.dim),
        ])
    });
}
