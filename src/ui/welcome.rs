//! First run: where the key comes from and what it is, before anything is entered.

use super::theme::Styles;
use super::{centered, wrap};
use crate::app::App;
use crate::app::keymap::{Action, key_label};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};

const PARAGRAPHS: [&str; 3] = [
    "A Pleo Standalone API Key is created in Pleo under Settings → API keys, by an Admin or a Bookkeeper.",
    "It grants company-level access to the company's data: treat it like a password.",
    "Pleo shows it only once: it cannot be viewed again after saving, so copy it straight here.",
];

pub fn render(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    // A readable column on wide terminals rather than text stretched across the screen.
    let w = body.width.min(84);
    let text_w = w.saturating_sub(4) as usize;
    let mut lines = vec![
        Line::styled("No API key is set up yet.", styles.title),
        Line::raw(""),
    ];
    for p in PARAGRAPHS {
        lines.extend(wrap(p, text_w).into_iter().map(Line::from));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw("Tick these scopes when creating it:"));
    for scope in &app.ctx.required_scopes {
        lines.push(Line::from(vec![
            Span::styled("  ✔ ", styles.ok),
            Span::raw(scope.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw("Press "),
        Span::styled(key_label(Action::EnterKey), styles.key),
        Span::raw(" to enter it."),
    ]));
    lines.push(Line::raw(""));
    let store = format!("It will be kept in: {}", app.ctx.store);
    lines.extend(
        wrap(&store, text_w)
            .into_iter()
            .map(|l| Line::styled(l, styles.dim)),
    );
    let area = centered(body, w, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(styles.border)
        .padding(Padding::horizontal(1))
        .title(Span::styled(" Welcome to pleo-keys ", styles.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
