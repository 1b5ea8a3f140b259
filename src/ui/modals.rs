//! Modals drawn over the body: key entry, company confirmation and picker, passphrase, help and
//! the sandbox panel. The header (with the state badge) and the footer stay visible around them.

use super::theme::Styles;
use super::{centered, spinner, truncate, width, wrap};
use crate::app::{
    App, CompanyPicker, ConfirmCompany, KEYMAP, KeyEntry, KeyField, Overlay, PassphrasePrompt,
    SandboxAction, SandboxPanel,
};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

/// The one character drawn per secret character; the secret itself is never drawn.
const MASK: char = '•';
const LABEL: usize = 14;

pub fn render(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::KeyEntry(entry) => key_entry(frame, body, app, entry, styles),
        Overlay::ConfirmCompany(c) => confirm_company(frame, body, app, c, styles),
        Overlay::ChooseCompany(p) => choose_company(frame, body, app, p, styles),
        Overlay::Passphrase(p) => passphrase(frame, body, app, p, styles),
        Overlay::Help => help(frame, body, app, styles),
        Overlay::Sandbox(panel) => sandbox(frame, body, app, panel, styles),
    }
}

/// The modal's outer width for `body`, and the usable text width inside border and padding.
fn widths(body: Rect, max: u16) -> (u16, usize) {
    let w = body.width.saturating_sub(4).min(max);
    (w, w.saturating_sub(4) as usize)
}

/// Clear a centred box, draw its frame and the lines; returns the text area.
fn draw(
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

fn wrapped(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// A glyph-led message (error ✖, warning ▲) wrapped with a hanging indent.
fn message(glyph: &str, text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
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

fn busy_line(app: &App, text: &str, styles: &Styles) -> Line<'static> {
    Line::styled(format!("{} {text}", spinner(app)), styles.info)
}

/// `› Label       [content   ]`: the marker and the field style show focus without colour.
fn field(
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

fn mask(len: usize, field_w: usize) -> String {
    std::iter::repeat_n(MASK, len.min(field_w)).collect()
}

fn key_entry(frame: &mut Frame, body: Rect, app: &App, entry: &KeyEntry, styles: &Styles) {
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

fn company_lines(
    label: &str,
    id: &str,
    name: Option<&str>,
    w: usize,
    styles: &Styles,
) -> Vec<Line<'static>> {
    let value_w = w.saturating_sub(LABEL);
    vec![
        Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), styles.dim),
            Span::styled(
                truncate(id, value_w),
                styles.text.add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(vec![
            Span::raw(" ".repeat(LABEL)),
            match name {
                Some(n) => Span::raw(truncate(n, value_w)),
                None => Span::styled("name unknown", styles.dim),
            },
        ]),
    ]
}

fn confirm_company(frame: &mut Frame, body: Rect, app: &App, c: &ConfirmCompany, styles: &Styles) {
    let (w, text_w) = widths(body, 64);
    let mut lines = wrapped(
        "This key belongs to another company than the one this integration is connected to.",
        text_w,
        styles.text,
    );
    lines.push(Line::raw(""));
    lines.extend(company_lines(
        "Current",
        &c.current_id,
        c.current_name.as_deref(),
        text_w,
        styles,
    ));
    lines.extend(company_lines(
        "New",
        &c.new_id,
        c.new_name.as_deref(),
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

/// The rows that fit, scrolled so that `selected` is visible.
fn window<T>(items: &[T], selected: usize, rows: usize) -> (usize, &[T]) {
    let rows = rows.max(1);
    let start = (selected + 1).saturating_sub(rows).min(items.len());
    let end = (start + rows).min(items.len());
    (start, &items[start..end])
}

fn choose_company(frame: &mut Frame, body: Rect, app: &App, p: &CompanyPicker, styles: &Styles) {
    let (w, text_w) = widths(body, 72);
    let mut lines = wrapped(
        "This is an organisation-level key: choose the company this integration serves.",
        text_w,
        styles.text,
    );
    lines.push(Line::from(vec![
        Span::styled(format!("{:<LABEL$}", "Organisation"), styles.dim),
        Span::raw(truncate(&p.organization_id, text_w.saturating_sub(LABEL))),
    ]));
    lines.push(Line::raw(""));
    // Room for the list: the body minus border, the lines above and the busy line.
    let rows = (body.height as usize).saturating_sub(lines.len() + 4);
    let (start, shown) = window(&p.companies, p.selected, rows);
    let name_w = text_w.saturating_sub(2 + 1 + 36).max(12);
    for (i, (id, name)) in shown.iter().enumerate() {
        let selected = start + i == p.selected;
        let marker = if selected { "› " } else { "  " };
        let text = format!(
            "{marker}{:<name_w$} {}",
            truncate(name, name_w),
            truncate(id, text_w.saturating_sub(name_w + 3))
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

fn passphrase(frame: &mut Frame, body: Rect, app: &App, p: &PassphrasePrompt, styles: &Styles) {
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

fn help(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
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

fn sandbox(frame: &mut Frame, body: Rect, app: &App, panel: &SandboxPanel, styles: &Styles) {
    let (w, text_w) = widths(body, 110);
    // Rows are (selectable index, line); headings are not selectable.
    let mut rows: Vec<(Option<usize>, Line<'static>)> = Vec::new();
    let item = |i: usize, text: String| {
        let selected = i == panel.selected;
        let marker = if selected { "› " } else { "  " };
        let style = if selected {
            styles.selected
        } else {
            styles.text
        };
        (
            Some(i),
            Line::styled(truncate(&format!("{marker}{text}"), text_w), style),
        )
    };
    rows.push((None, Line::styled("Switches", styles.title)));
    for (i, action) in SandboxAction::ALL.iter().enumerate() {
        rows.push(item(i, action.label().to_string()));
    }
    if !app.ctx.demo_keys.is_empty() {
        rows.push((
            None,
            Line::styled("Demo keys (Enter puts it in the key field)", styles.title),
        ));
        let name_w = app
            .ctx
            .demo_keys
            .iter()
            .map(|(n, _, _)| width(n))
            .max()
            .unwrap_or(0);
        for (j, (name, key, shows)) in app.ctx.demo_keys.iter().enumerate() {
            // Public fakes, but the last 6 are enough to tell them apart.
            let tail: String = {
                let chars: Vec<char> = key.chars().collect();
                chars[chars.len().saturating_sub(6)..].iter().collect()
            };
            rows.push(item(
                SandboxAction::ALL.len() + j,
                format!("{name:<name_w$}  …{tail}  {shows}"),
            ));
        }
    }
    let fit = (body.height as usize).saturating_sub(2);
    let pos = rows
        .iter()
        .position(|(i, _)| *i == Some(panel.selected))
        .unwrap_or(0);
    let (_, shown) = window(&rows, pos, fit);
    let lines = shown.iter().map(|(_, l)| l.clone()).collect();
    draw(frame, body, w, "Sandbox", lines, styles);
}
