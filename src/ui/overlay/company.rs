//! A key for another company (confirm the switch), and an organisation's companies (choose one).

use super::super::theme::Styles;
use super::super::truncate;
use super::{LABEL, busy_line, draw, widths, window, wrapped};
use crate::app::{App, CompanyPicker, ConfirmCompany};
use crate::domain::{CompanyId, Text};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

fn company_lines(
    label: &str,
    id: CompanyId,
    name: Option<&Text>,
    w: usize,
    styles: &Styles,
) -> Vec<Line<'static>> {
    let value_w = w.saturating_sub(LABEL);
    vec![
        Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), styles.dim),
            Span::styled(
                truncate(&id.to_string(), value_w),
                styles.text.add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(vec![
            Span::raw(" ".repeat(LABEL)),
            match name {
                Some(n) => Span::raw(truncate(n.as_str(), value_w)),
                None => Span::styled("name unknown", styles.dim),
            },
        ]),
    ]
}

pub(super) fn confirm(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    c: &ConfirmCompany,
    styles: &Styles,
) {
    let (w, text_w) = widths(body, 64);
    let mut lines = wrapped(
        "This key belongs to another company than the one this integration is connected to.",
        text_w,
        styles.text,
    );
    lines.push(Line::raw(""));
    lines.extend(company_lines(
        "Current",
        c.current,
        c.current_name.as_ref(),
        text_w,
        styles,
    ));
    lines.extend(company_lines(
        "New",
        c.new,
        c.new_name.as_ref(),
        text_w,
        styles,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Switch this integration to the new company?",
        styles.warning.add_modifier(Modifier::BOLD),
    ));
    if c.busy {
        lines.push(busy_line(app, "Activating with Pleo…", styles));
    } else {
        lines.push(Line::from(vec![
            Span::styled("y", styles.key),
            Span::raw(" switch    "),
            Span::styled("n", styles.key),
            Span::raw(" keep current"),
        ]));
    }
    draw(frame, body, w, "Different company", lines, styles);
}

pub(super) fn choose(frame: &mut Frame, body: Rect, app: &App, p: &CompanyPicker, styles: &Styles) {
    let (w, text_w) = widths(body, 72);
    let mut lines = wrapped(
        "This is an organisation-level key: choose the company this integration serves.",
        text_w,
        styles.text,
    );
    if let Some(org) = p.organization {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "Organisation"), styles.dim),
            Span::raw(truncate(&org.to_string(), text_w.saturating_sub(LABEL))),
        ]));
    }
    lines.push(Line::raw(""));
    // Room for the list: the body minus border, the lines above and the busy line.
    let rows = (body.height as usize).saturating_sub(lines.len() + 4);
    let (start, shown) = window(&p.companies, p.selected, rows);
    let name_w = text_w.saturating_sub(2 + 1 + 36).max(12);
    for (i, choice) in shown.iter().enumerate() {
        let (id, name) = (choice.id.to_string(), choice.name.as_str());
        let selected = start + i == p.selected;
        let marker = if selected { "› " } else { "  " };
        let text = format!(
            "{marker}{:<name_w$} {}",
            truncate(name, name_w),
            truncate(&id, text_w.saturating_sub(name_w + 3))
        );
        let style = if selected {
            styles.selected
        } else {
            styles.text
        };
        lines.push(Line::styled(text, style));
    }
    if p.companies.is_empty() {
        lines.push(Line::styled(
            "No companies in this organisation.",
            styles.dim,
        ));
    }
    if p.busy {
        lines.push(Line::raw(""));
        lines.push(busy_line(app, "Activating with Pleo…", styles));
    }
    draw(frame, body, w, "Choose a company", lines, styles);
}
