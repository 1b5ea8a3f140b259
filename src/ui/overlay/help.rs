//! Every key, the files, the secret store and the version, as wide as the terminal allows: the
//! keys and the facts side by side on a wide screen, one after the other on a narrow one, cut
//! to the rows that fit (the keys first).

use super::super::theme::Styles;
use super::super::truncate;
use super::{draw, widths};
use crate::app::keymap::Action;
use crate::app::{App, KEYMAP};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const KEY_W: usize = 13;
const LABEL_W: usize = 14;
/// Wider than this, keys and facts sit side by side.
const TWO_COLUMNS: u16 = 120;

/// Navigation keys come in pairs: one line says both.
fn key_lines(styles: &Styles, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for b in KEYMAP {
        let (label, help) = match b.action {
            Action::Newer => ("j k ↑ ↓", "select the older / newer row"),
            Action::PageNewer => ("PgUp PgDn", "a page newer / older"),
            Action::Newest => ("g G Home End", "the newest / oldest row"),
            Action::Older | Action::PageOlder | Action::Oldest => continue,
            _ => (b.label, b.help),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<KEY_W$}"), styles.key),
            Span::raw(truncate(help, w.saturating_sub(KEY_W))),
        ]));
    }
    lines
}

fn fact_lines(app: &App, styles: &Styles, w: usize) -> Vec<Line<'static>> {
    let ctx = &app.ctx;
    let facts = [
        ("Config", ctx.config_file.display().to_string()),
        ("State", ctx.state_file.display().to_string()),
        ("Audit log", ctx.audit_log.display().to_string()),
        ("Logs", ctx.log_dir.display().to_string()),
        ("Secret store", ctx.store.clone()),
        (
            "Environment",
            format!("{} ({})", ctx.environment, ctx.base_url),
        ),
        (
            "Proxy",
            match &ctx.proxy {
                Some(p) => format!("{p} (from HTTPS_PROXY or ALL_PROXY)"),
                None => "none: calls go straight to Pleo".into(),
            },
        ),
        ("Version", format!("pleo-keys {}", ctx.version)),
    ];
    facts
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<LABEL_W$}"), styles.dim),
                // Paths keep their end (the file name) when cut.
                Span::raw(cut_left(&value, w.saturating_sub(LABEL_W))),
            ])
        })
        .collect()
}

/// Cut from the left, marking it with `…`: `…/state/pleo-keys/state.json`.
fn cut_left(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max == 0 {
        return truncate(s, max);
    }
    let tail: String = s.chars().skip(n - (max - 1)).collect();
    format!("…{tail}")
}

pub(super) fn render(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    let (w, text_w) = widths(body, 200);
    let rows = body.height.saturating_sub(2) as usize;
    let lines = if body.width >= TWO_COLUMNS {
        let left_w = 64.min(text_w / 2);
        let right_w = text_w.saturating_sub(left_w + 2);
        let keys = key_lines(styles, left_w);
        let facts = fact_lines(app, styles, right_w);
        (0..keys.len().max(facts.len()))
            .map(|i| {
                let mut spans = Vec::new();
                let key = keys.get(i).cloned().unwrap_or_default();
                let used = key.width();
                spans.extend(key.spans);
                spans.push(Span::raw(" ".repeat(left_w.saturating_sub(used) + 2)));
                if let Some(fact) = facts.get(i) {
                    spans.extend(fact.spans.clone());
                }
                Line::from(spans)
            })
            .collect()
    } else {
        let mut lines = key_lines(styles, text_w);
        lines.push(Line::raw(""));
        lines.extend(fact_lines(app, styles, text_w));
        lines
    };
    // Too tall for the terminal: a window of it, scrolled with j/k.
    let mut lines = lines;
    let title = if lines.len() > rows {
        let skip = app.help_scroll.min(lines.len() - rows);
        lines = lines.into_iter().skip(skip).take(rows).collect();
        "Help (j/k to scroll)"
    } else {
        "Help"
    };
    draw(frame, body, w, title, lines, styles);
}
