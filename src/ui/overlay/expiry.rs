//! The key's expiry date, as Pleo shows it.

use super::super::theme::Styles;
use super::super::width;
use super::{OneField, one_field};
use crate::app::App;
use crate::app::overlay::ExpiryPrompt;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub(super) fn render(frame: &mut Frame, body: Rect, app: &App, p: &ExpiryPrompt, styles: &Styles) {
    let key = app
        .facts
        .as_ref()
        .map(|f| f.key.hint.clone())
        .unwrap_or_default();
    let intro = format!(
        "Pleo shows each key's expiry date under Settings → API keys. Record it for the key {key} to be warned 14 days ahead; clear the field if it has none."
    );
    let content = if p.text.is_empty() {
        Span::styled("YYYY-MM-DD", styles.dim)
    } else {
        Span::raw(p.text.clone())
    };
    one_field(
        frame,
        body,
        app,
        OneField {
            title: "Key expiry date",
            intro: &intro,
            label: "Expires on",
            content_width: width(&p.text),
            content,
            error: p.error.as_deref(),
            busy: p.busy.then_some("Recording…"),
        },
        styles,
    );
}
