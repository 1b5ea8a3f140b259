//! Which company, which key, where it is kept, and when Pleo was last and next asked.

use super::theme::Styles;
use crate::app::App;
use crate::app::model::{ago, countdown};
use crate::domain::InstallationStatus;
use crate::lifecycle::Lifecycle;
use crate::lifecycle::activation::EXPIRY_WARNING_DAYS;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const LABEL: usize = 12;

fn row(label: &str, value: Vec<Span<'static>>, styles: &Styles) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{label:<LABEL$}"), styles.dim)];
    spans.extend(value);
    Line::from(spans)
}

fn company(app: &App) -> (Option<String>, Option<String>) {
    match &app.facts {
        Some(f) => (
            Some(f.company_id.to_string()),
            f.company_name.as_ref().map(|n| n.to_string()),
        ),
        None => (None, None),
    }
}

/// Facts from before a failure: still shown (they say what was connected), but dimmed and
/// titled "last known", so a green tick never sits next to a rejected key.
pub(crate) fn stale(app: &App) -> bool {
    app.facts.is_some() && !app.lifecycle.is_active() && !app.lifecycle.is_degraded()
}

pub fn lines(app: &App, styles: &Styles, inner_width: u16) -> Vec<Line<'static>> {
    let facts = app.facts.as_ref();
    let (company_id, company_name) = company(app);
    let value_w = (inner_width as usize).saturating_sub(LABEL);
    let stale = stale(app);
    let ok = if stale { styles.dim } else { styles.ok };
    let mut out = Vec::new();
    // The same label at every width; the panel's title says "Connected to" while active.
    out.push(row(
        "Company ID",
        vec![match company_id {
            // Cut visibly (…) on a narrow terminal rather than silently at the border.
            Some(id) => Span::styled(
                super::truncate(&id, value_w),
                styles.text.add_modifier(Modifier::BOLD),
            ),
            None => Span::styled("none yet", styles.dim),
        }],
        styles,
    ));
    out.push(row(
        "Name",
        vec![match company_name {
            Some(name) => Span::raw(super::truncate(&name, value_w)),
            None => Span::styled("unknown", styles.dim),
        }],
        styles,
    ));
    let key = match (facts, app.has_key) {
        (Some(f), _) => Span::raw(f.key.hint.clone()),
        (None, true) => Span::raw("stored"),
        (None, false) => Span::styled("none", styles.dim),
    };
    out.push(row("API key", vec![key], styles));
    out.push(row(
        "Stored in",
        vec![Span::raw(super::truncate(&app.key_location(), value_w))],
        styles,
    ));
    let installation = match facts.map(|f| &f.installation_status) {
        Some(InstallationStatus::Activated) => Span::styled("✔ ACTIVATED", ok),
        Some(other) => Span::styled(format!("✖ {other}"), styles.error),
        None => Span::styled("unknown", styles.dim),
    };
    out.push(row("App status", vec![installation], styles));
    out.push(row("Last OK", last_ok(app, styles), styles));
    let next = if app.check_in_flight {
        Span::styled(format!("checking… {}", super::spinner(app)), styles.info)
    } else if let Some(at) = app.next_check_at {
        Span::raw(match countdown(app.now, at).as_str() {
            "now" => "now".to_string(),
            left => format!("in {left}"),
        })
    } else {
        Span::styled("not scheduled", styles.dim)
    };
    out.push(row("Next check", vec![next], styles));
    if let Some(rotated) = super::lists::last_rotation(app) {
        out.push(row(
            "Rotated",
            vec![Span::raw(super::truncate(&rotated, value_w))],
            styles,
        ));
    }
    if let (Some(date), Some(days)) = (facts.and_then(|f| f.expires_on), app.expires_in_days()) {
        let when = match days {
            d if d < 0 => format!("{} ago, passed", plural(-d)),
            0 => "today".to_string(),
            d => format!("in {}", plural(d)),
        };
        let value = if days <= EXPIRY_WARNING_DAYS {
            let style = if days <= 0 {
                styles.error
            } else {
                styles.warning
            };
            Span::styled(
                format!("▲ {date}, {when}"),
                style.add_modifier(Modifier::BOLD),
            )
        } else {
            Span::raw(format!("{date}, {when}"))
        };
        out.push(row("Key expiry", vec![value], styles));
    }
    if stale {
        out = out.into_iter().map(|l| dimmed(l, styles)).collect();
    }
    out
}

/// Everything dim but what is red or yellow: that is the news.
pub(crate) fn dimmed(line: Line<'static>, styles: &Styles) -> Line<'static> {
    let spans = line
        .spans
        .into_iter()
        .map(|s| {
            // By colour; in the mono theme (no colours) by weight.
            let loud = [styles.error, styles.warning]
                .iter()
                .any(|l| l.fg.is_some() && s.style.fg == l.fg)
                || (styles.error.fg.is_none() && s.style.add_modifier.contains(Modifier::BOLD));
            if loud { s } else { s.style(styles.dim) }
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

fn plural(days: i32) -> String {
    format!("{days} day{}", if days == 1 { "" } else { "s" })
}

fn last_ok(app: &App, styles: &Styles) -> Vec<Span<'static>> {
    let last_ok = app.facts.as_ref().and_then(|f| f.last_good_check);
    let mut spans = vec![match last_ok {
        Some(at) => Span::raw(ago(app.now, at)),
        None => Span::styled("never", styles.dim),
    }];
    // A newer failed attempt is worth saying, so "2 min ago" is not read as "fine now"; not
    // when both read the same ("just now (tried just now)").
    if let Some(tried) = app.last_checked_at
        && last_ok.is_none_or(|ok| tried > ok && ago(app.now, ok) != ago(app.now, tried))
    {
        spans.push(Span::styled(
            format!(" (tried {})", ago(app.now, tried)),
            styles.dim,
        ));
    }
    spans
}

pub fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    lines: Vec<Line<'static>>,
    styles: &Styles,
) {
    let (company_id, _) = company(app);
    let title = match (&app.lifecycle, company_id) {
        (Lifecycle::Active, _) => " Connected to ",
        (Lifecycle::Degraded(_), Some(_)) => " Connection (last good) ",
        (_, Some(_)) => " Connection (last known) ",
        (_, None) => " Connection ",
    };
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(title, styles.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
