//! Pure rendering of `&App`: no IO, no clock (time comes from `app.now`).

pub mod ascii;
mod banner;
mod calls;
mod connection;
mod footer;
mod header;
mod lists;
mod overlay;
mod scopes;
pub mod theme;
mod traffic;
mod welcome;

use crate::app::App;
use crate::app::calls_view::View;
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
    let mut banner_lines = banner
        .as_ref()
        .map(|b| banner::lines(b, &styles, area.width))
        .unwrap_or_default();
    // A confirmation (a sandbox switch) stays visible under a lifecycle banner.
    if let Some(second) = app.second_banner() {
        banner_lines.extend(banner::lines(&second, &styles, area.width));
    }
    // The banner may wrap, but never crowds out the panels; one row is kept for it whether it
    // is there or not, so the panels do not jump when it comes and goes.
    let keep = u16::from(area.height >= 20);
    let banner_height = (banner_lines.len() as u16).clamp(keep, 3);
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

/// Wider than this, the traffic panel sits beside the connection and scopes instead of under
/// them: the connection needs ~80 columns, not the whole width.
const WIDE: u16 = 150;
const CONNECTION_WIDE: u16 = 66;

fn render_body(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    let wide = body.width >= WIDE;
    let scopes_width = (body.width * 3 / 8).clamp(30, 44);
    let conn_width = if wide {
        CONNECTION_WIDE
    } else {
        body.width.saturating_sub(scopes_width)
    };
    let conn = connection::lines(app, styles, conn_width.saturating_sub(2));
    let scope_lines = scopes::lines(app, styles);
    let wanted = conn.len().max(scope_lines.len()) as u16 + 2;
    // Keep at least a few rows of recent calls visible.
    let top_height = wanted
        .max(if wide { traffic::HEIGHT } else { 0 })
        .min(body.height.saturating_sub(5))
        .max(3);
    // Under the others: the integration's traffic, when there is room for it and a few calls.
    let traffic_height = if !wide && body.height >= top_height + traffic::HEIGHT + 5 {
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
    let [conn_area, scopes_area, beside] = Layout::horizontal([
        Constraint::Length(conn_width),
        Constraint::Length(scopes_width),
        Constraint::Min(0),
    ])
    .areas(top);
    connection::render(frame, conn_area, app, conn, styles);
    scopes::render(frame, scopes_area, scope_lines, styles);
    if wide {
        traffic::render(frame, beside, app, styles);
    } else if traffic_height > 0 {
        traffic::render(frame, traffic_area, app, styles);
    }
    match app.list.view {
        View::Calls => calls::render(frame, calls_area, app, styles),
        View::Checks => lists::checks(frame, calls_area, app, styles),
        View::Audit => lists::audit(frame, calls_area, app, styles),
    }
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
