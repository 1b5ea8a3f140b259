//! Pure rendering of `&App`: no IO, no clock (time comes from `app.now`).

mod banner;
mod calls;
mod connection;
mod footer;
mod header;
mod overlay;
mod scopes;
pub mod theme;
mod traffic;
mod welcome;

use crate::app::App;
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use theme::Styles;

/// Below this the layout would break; a plain message is shown instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let styles = Styles::for_theme(app.theme);
    let banner = app.banner();
    let banner_lines = banner
        .as_ref()
        .map(|b| banner::lines(b, &styles, area.width))
        .unwrap_or_default();
    // The banner may wrap, but never crowds out the panels.
    let banner_height = (banner_lines.len() as u16).min(3);
    let [header_area, banner_area, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_height),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);

    header::render(frame, header_area, app, &styles);
    frame.render_widget(Paragraph::new(banner_lines), banner_area);
    if shows_welcome(app) {
        welcome::render(frame, body, app, &styles);
    } else {
        render_body(frame, body, app, &styles);
    }
    footer::render(frame, footer_area, app, &styles);
    overlay::render(frame, body, app, &styles);
}

/// No key and nothing known yet: explain where the key comes from instead of empty panels.
fn shows_welcome(app: &App) -> bool {
    matches!(app.lifecycle, Lifecycle::NotConfigured) && app.facts.is_none()
}

fn render_body(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    let scopes_width = (body.width * 3 / 8).clamp(30, 44);
    let conn = connection::lines(app, styles, body.width.saturating_sub(scopes_width + 2));
    let scope_lines = scopes::lines(app, styles);
    let wanted = conn.len().max(scope_lines.len()) as u16 + 2;
    // Keep at least a few rows of recent calls visible.
    let top_height = wanted.min(body.height.saturating_sub(5)).max(3);
    // The integration's traffic, when there is room for it and a few rows of calls.
    let traffic_height = if body.height >= top_height + traffic::HEIGHT + 5 {
        traffic::HEIGHT
    } else {
        0
    };
    let [top, traffic_area, calls_area] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(traffic_height),
        Constraint::Min(0),
    ])
    .areas(body);
    let [conn_area, scopes_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(scopes_width)]).areas(top);
    connection::render(frame, conn_area, app, conn, styles);
    scopes::render(frame, scopes_area, scope_lines, styles);
    if traffic_height > 0 {
        traffic::render(frame, traffic_area, app, styles);
    }
    calls::render(frame, calls_area, app, styles);
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
        area.width, area.height
    );
    let lines: Vec<ratatui::text::Line> = wrap(&text, area.width as usize)
        .into_iter()
        .map(ratatui::text::Line::from)
        .collect();
    let height = (lines.len() as u16).min(area.height);
    let rows = Rect {
        y: area.y + (area.height - height) / 2,
        height,
        ..area
    };
    frame.render_widget(Paragraph::new(lines).centered(), rows);
}

pub(crate) fn spinner(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

/// Display width, as the terminal counts it.
pub(crate) fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Cut to `max` columns, marking the cut with `…`.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Greedy word wrap to `max` columns; words longer than a line are cut.
pub(crate) fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = if line.is_empty() {
            width(word)
        } else {
            width(&line) + 1 + width(word)
        };
        if needed > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if width(&line) > max {
            lines.push(truncate(&line, max));
            line.clear();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A box of at most `w`x`h` centred in `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
