//! Overlays drawn over the body: key entry, company confirmation and picker, passphrase, help and
//! the sandbox panel. The header (with the state badge) and the footer stay visible around them.

mod company;
mod detail;
mod expiry;
mod help;
mod key_entry;
mod passphrase;
mod sandbox;

use super::theme::Styles;
use super::{centered, spinner, wrap};
use crate::app::{App, Overlay};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

/// The one character drawn per secret character; the secret itself is never drawn.
const MASK: char = '•';
const LABEL: usize = 14;

pub fn render(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::KeyEntry(entry) => key_entry::render(frame, body, app, entry, styles),
        Overlay::ConfirmCompany(c) => company::confirm(frame, body, app, c, styles),
        Overlay::ChooseCompany(p) => company::choose(frame, body, app, p, styles),
        Overlay::Passphrase(p) => passphrase::render(frame, body, app, p, styles),
        Overlay::Expiry(p) => expiry::render(frame, body, app, p, styles),
        Overlay::Help => help::render(frame, body, app, styles),
        Overlay::Sandbox(panel) => sandbox::render(frame, body, app, panel, styles),
        Overlay::CallDetail(d) => detail::render(frame, body, d, styles),
        Overlay::Filter => detail::filter(frame, body, app, styles),
    }
}

/// The modal's outer width for `body`, and the usable text width inside border and padding.
pub(super) fn widths(body: Rect, max: u16) -> (u16, usize) {
    let w = body.width.saturating_sub(4).min(max);
    (w, w.saturating_sub(4) as usize)
}

/// Clear a centred box, draw its frame and the lines; returns the text area.
pub(super) fn draw(
    frame: &mut Frame,
    body: Rect,
    w: u16,
    title: &str,
    lines: Vec<Line<'static>>,
    styles: &Styles,
) -> Rect {
    let h = lines.len() as u16 + 2;
    let area = centered(body, w, h);
    let block = Block::bordered()
        .border_style(styles.title)
        .padding(Padding::horizontal(1))
        .title(Span::styled(format!(" {title} "), styles.title));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
    inner
}

pub(super) fn wrapped(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// A glyph-led message (error ✖, warning ▲) wrapped with a hanging indent.
pub(super) fn message(glyph: &str, text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, w.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 {
                format!("{glyph} ")
            } else {
                "  ".into()
            };
            Line::styled(format!("{lead}{l}"), style)
        })
        .collect()
}

pub(super) fn busy_line(app: &App, text: &str, styles: &Styles) -> Line<'static> {
    Line::styled(format!("{} {text}", spinner(app)), styles.info)
}

/// `› Label       [content   ]`: the marker and the field style show focus without colour.
pub(super) fn field(
    label: &str,
    content: Span<'static>,
    field_w: usize,
    focused: bool,
    styles: &Styles,
) -> Line<'static> {
    let marker = if focused { "› " } else { "  " };
    let pad = field_w.saturating_sub(content.width());
    let field_style = if focused { styles.focus } else { styles.text };
    Line::from(vec![
        Span::styled(
            format!("{marker}{label:<w$}", w = LABEL - 2),
            if focused { styles.key } else { styles.dim },
        ),
        Span::styled("[", styles.dim),
        content.patch_style(field_style),
        Span::styled(" ".repeat(pad), field_style),
        Span::styled("]", styles.dim),
    ])
}

pub(super) fn mask(len: usize, field_w: usize) -> String {
    std::iter::repeat_n(MASK, len.min(field_w)).collect()
}

/// The rows that fit, scrolled so that `selected` is visible.
pub(super) fn window<T>(items: &[T], selected: usize, rows: usize) -> (usize, &[T]) {
    let rows = rows.max(1);
    let start = (selected + 1).saturating_sub(rows).min(items.len());
    let end = (start + rows).min(items.len());
    (start, &items[start..end])
}

/// A modal with one input field: its words, the field, an error, a busy line.
pub(super) struct OneField<'a> {
    pub title: &'a str,
    pub intro: &'a str,
    pub label: &'a str,
    /// What the field shows (a mask for secrets) and its width in columns.
    pub content: Span<'static>,
    pub content_width: usize,
    pub error: Option<&'a str>,
    /// While busy: what is being done ("Unlocking…").
    pub busy: Option<&'a str>,
}

pub(super) fn one_field(frame: &mut Frame, body: Rect, app: &App, m: OneField, styles: &Styles) {
    let (w, text_w) = widths(body, 64);
    let mut lines = wrapped(m.intro, text_w, styles.text);
    lines.push(Line::raw(""));
    let field_w = text_w.saturating_sub(LABEL + 2);
    lines.push(field(m.label, m.content, field_w, m.busy.is_none(), styles));
    let field_row = lines.len() as u16 - 1;
    if let Some(error) = m.error {
        lines.push(Line::raw(""));
        lines.extend(message("✖", error, text_w, styles.error));
    }
    if let Some(doing) = m.busy {
        lines.push(Line::raw(""));
        lines.push(busy_line(app, doing, styles));
    }
    let inner = draw(frame, body, w, m.title, lines, styles);
    // The terminal cursor sits at the end of the field.
    let col = (LABEL + 1 + m.content_width.min(field_w)) as u16;
    if m.busy.is_none() && field_row < inner.height && col < inner.width {
        frame.set_cursor_position(Position::new(inner.x + col, inner.y + field_row));
    }
}
