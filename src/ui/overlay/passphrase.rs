//! The key file's passphrase: unlock, or choose one for a new file (asked twice).

use super::super::theme::Styles;
use super::super::width;
use super::{OneField, mask, one_field};
use crate::app::{App, PassphrasePrompt};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub(super) fn render(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    p: &PassphrasePrompt,
    styles: &Styles,
) {
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
    // Never wider than the field: the mask says how many, not more.
    let masked = mask(p.text.chars().count(), 200);
    let (title, doing) = if p.creating {
        ("Choose a passphrase", "Saving…")
    } else {
        ("Unlock the key store", "Unlocking…")
    };
    one_field(
        frame,
        body,
        app,
        OneField {
            title,
            intro: &intro,
            label: "Passphrase",
            content_width: width(&masked),
            content: Span::raw(masked),
            error: p.error.as_deref(),
            busy: p.busy.then_some(doing),
        },
        styles,
    );
}
