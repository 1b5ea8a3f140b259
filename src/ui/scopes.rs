//! Required scopes granted or missing, then the extra ones (least privilege: worth seeing).

use super::theme::Styles;
use crate::app::App;
use crate::domain::scopes::{extra, missing};
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn lines(app: &App, styles: &Styles) -> Vec<Line<'static>> {
    let Some(facts) = &app.facts else {
        return vec![Line::styled("known after the first check", styles.dim)];
    };
    let Some(granted) = &facts.granted_scopes else {
        let mut out = vec![Line::styled("▲ not verified by Pleo", styles.warning)];
        out.extend(
            facts
                .required_scopes
                .iter()
                .map(|s| Line::styled(format!("? {s}"), styles.dim)),
        );
        return out;
    };
    // The lifecycle's own list wins: it is what the last check decided.
    let missing = match &app.lifecycle {
        Lifecycle::MissingScopes { missing } => missing.clone(),
        _ => missing(&facts.required_scopes, granted),
    };
    let mut out: Vec<Line<'static>> = facts
        .required_scopes
        .iter()
        .map(|scope| {
            if missing.contains(scope) {
                let style = styles.error.add_modifier(Modifier::BOLD);
                Line::from(vec![
                    Span::styled(format!("✖ {scope}"), style),
                    Span::styled(" missing", style),
                ])
            } else {
                Line::styled(format!("✔ {scope}"), styles.ok)
            }
        })
        .collect();
    let stale = super::connection::stale(app);
    if stale && !matches!(app.lifecycle, Lifecycle::MissingScopes { .. }) {
        out = out
            .into_iter()
            .map(|l| super::connection::dimmed(l, styles))
            .collect();
    }
    let extras = extra(&facts.required_scopes, granted);
    if !extras.is_empty() {
        out.push(Line::styled("also granted:", styles.dim));
        out.extend(
            extras
                .into_iter()
                .map(|s| Line::styled(format!("  {s}"), styles.dim)),
        );
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, styles: &Styles) {
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(" Scopes ", styles.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
