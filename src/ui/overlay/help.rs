//! Every key, the files, the secret store and the version.

use super::super::theme::Styles;
use super::super::truncate;
use super::{draw, widths};
use crate::app::{App, KEYMAP};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub(super) fn render(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    let (w, text_w) = widths(body, 84);
    let mut lines: Vec<Line<'static>> = KEYMAP
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:<8}", b.label), styles.key),
                Span::raw(truncate(b.help, text_w.saturating_sub(8))),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
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
    let label_w = 14;
    for (label, value) in facts {
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<label_w$}"), styles.dim),
            Span::raw(truncate(&value, text_w.saturating_sub(label_w))),
        ]));
    }
    draw(frame, body, w, "Help", lines, styles);
}
