//! The key entry modal: only mask characters are ever drawn for the key.

use super::super::theme::Styles;
use super::super::{truncate, width};
use super::{LABEL, busy_line, draw, field, mask, message, widths, wrapped};
use crate::app::{App, KeyEntry, KeyField};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

pub(super) fn render(frame: &mut Frame, body: Rect, app: &App, entry: &KeyEntry, styles: &Styles) {
    let (w, text_w) = widths(body, 72);
    let key_w = text_w.saturating_sub(LABEL + 2);
    let mut lines = wrapped(
        "Grants company-level access to your Pleo company. Pleo cannot show it again after saving: paste it from where you copied it.",
        text_w,
        styles.text,
    );
    let intro = lines.len() as u16;
    lines.push(Line::raw(""));
    let key_focused = entry.focus == KeyField::Key && !entry.busy;
    let masked = mask(entry.len(), key_w);
    let masked_w = width(&masked);
    lines.push(field(
        "API key",
        Span::raw(masked),
        key_w,
        key_focused,
        styles,
    ));
    let count = match entry.len() {
        0 => "paste or type the key".to_string(),
        1 => "1 character".to_string(),
        n => format!("{n} characters"),
    };
    lines.push(Line::styled(format!("{:LABEL$}{count}", ""), styles.dim));
    let expiry_focused = entry.focus == KeyField::Expiry && !entry.busy;
    let expiry = if entry.expiry.is_empty() {
        Span::styled("YYYY-MM-DD", styles.dim)
    } else {
        Span::raw(truncate(&entry.expiry, 10))
    };
    let mut expiry_line = field("Expires", expiry, 10, expiry_focused, styles);
    expiry_line.push_span(Span::styled(" optional", styles.dim));
    lines.push(expiry_line);
    if let Some(error) = &entry.error {
        lines.push(Line::raw(""));
        lines.extend(message("✖", error, text_w, styles.error));
    }
    if let Some(warning) = &entry.warning {
        if entry.error.is_none() {
            lines.push(Line::raw(""));
        }
        lines.extend(message("▲", warning, text_w, styles.warning));
    }
    if entry.busy {
        lines.push(Line::raw(""));
        lines.push(busy_line(app, "Activating with Pleo…", styles));
    }
    let inner = draw(frame, body, w, "API key (secret credential)", lines, styles);
    // The terminal cursor sits at the end of the focused field.
    let (row, col) = match entry.focus {
        KeyField::Key => (intro + 1, LABEL + 1 + masked_w.min(key_w)),
        KeyField::Expiry => (intro + 3, LABEL + 1 + width(&entry.expiry).min(10)),
    };
    if !entry.busy && row < inner.height && (col as u16) < inner.width {
        frame.set_cursor_position(Position::new(inner.x + col as u16, inner.y + row));
    }
}
