//! The key file's passphrase: unlock, or choose one for a new file (asked twice).

use super::super::theme::Styles;
use super::super::width;
use super::{LABEL, busy_line, draw, field, mask, message, widths, wrapped};
use crate::app::{App, PassphrasePrompt};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

pub(super) fn render(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    p: &PassphrasePrompt,
    styles: &Styles,
) {
    let (w, text_w) = widths(body, 64);
    let intro = if !p.creating {
        format!(
            "The API key is kept in {}. Enter its passphrase to unlock it.",
            app.ctx.store
        )
    } else if p.first.is_none() {
        format!(
            "The API key will be kept in {}. Choose a passphrase to encrypt it; it is asked for whenever pleo-keys starts.",
            app.ctx.store
        )
    } else {
        "Type the same passphrase again.".to_string()
    };
    let mut lines = wrapped(&intro, text_w, styles.text);
    lines.push(Line::raw(""));
    let field_w = text_w.saturating_sub(LABEL + 2);
    let masked = mask(p.text.chars().count(), field_w);
    let masked_w = width(&masked);
    lines.push(field(
        "Passphrase",
        Span::raw(masked),
        field_w,
        !p.busy,
        styles,
    ));
    let field_row = lines.len() as u16 - 1;
    if let Some(error) = &p.error {
        lines.push(Line::raw(""));
        lines.extend(message("✖", error, text_w, styles.error));
    }
    if p.busy {
        lines.push(Line::raw(""));
        lines.push(busy_line(
            app,
            if p.creating {
                "Saving…"
            } else {
                "Unlocking…"
            },
            styles,
        ));
    }
    let title = if p.creating {
        "Choose a passphrase"
    } else {
        "Unlock the key store"
    };
    let inner = draw(frame, body, w, title, lines, styles);
    let col = (LABEL + 1 + masked_w) as u16;
    if !p.busy && field_row < inner.height && col < inner.width {
        frame.set_cursor_position(Position::new(inner.x + col, inner.y + field_row));
    }
}
