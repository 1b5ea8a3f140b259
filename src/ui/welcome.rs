//! First run: where the key comes from and what it is, before anything is entered.

use super::theme::Styles;
use crate::app::{Action, App};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let k = Action::EnterKey.key_label();
    let lines = vec![
        Line::styled("No API key is set up yet.", styles.title),
        Line::raw(""),
        Line::raw(
            "A Pleo Standalone API Key is created in Pleo under Settings → API keys, by an Admin or a Bookkeeper.",
        ),
        Line::raw(
            "It grants company-level access to the company's data: treat it like a password.",
        ),
        Line::raw(
            "Pleo shows it only once: it cannot be viewed again after saving, so copy it straight here.",
        ),
        Line::raw(""),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled(k, styles.key),
            Span::raw(" to enter it."),
        ]),
        Line::raw(""),
        Line::from(vec![
            Span::styled("It will be kept in: ", styles.dim),
            Span::raw(app.ctx.store.clone()),
        ]),
    ];
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(" Welcome to pleo-keys ", styles.title));
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}
