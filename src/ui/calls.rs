//! Recent calls of every process of this home (checks, the proxy's and `api`'s traffic), newest
//! first. Only the rows that fit are built, however many are kept.

use super::theme::Styles;
use crate::app::App;
use crate::store::history::CallEntry;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use std::fmt::Write as _;

const TIME: usize = 8;
const FROM: usize = 5;
const METHOD: usize = 6;
const LATENCY: usize = 8;

/// The status column: Pleo's status, the failure, or what the proxy refused (nothing was sent).
fn outcome(entry: &CallEntry, styles: &Styles) -> (String, Style) {
    if let Some(kind) = &entry.refused {
        return (format!("refused: {}", refusal(kind)), styles.warning);
    }
    match (entry.status, &entry.failure) {
        (Some(code), _) => {
            let style = match code {
                200..=299 => styles.ok,
                400..=599 => styles.error,
                _ => styles.text,
            };
            (code.to_string(), style)
        }
        (None, Some(class)) => (class.clone(), styles.error),
        (None, None) => ("?".into(), styles.dim),
    }
}

/// A refusal in a word or two.
pub fn refusal(kind: &str) -> &'static str {
    match kind {
        "PROXY_UNAUTHORIZED" => "token",
        "INTEGRATION_NOT_ACTIVE" => "gate",
        "COMPANY_SCOPE_VIOLATION" => "company",
        "PAYLOAD_TOO_LARGE" => "too large",
        _ => "request",
    }
}

/// "0.8 ms" below 10 ms (a local proxy is that fast), whole milliseconds above.
fn latency(entry: &CallEntry, out: &mut String) {
    let ms = entry.latency_us as f64 / 1000.0;
    if ms < 10.0 {
        let _ = write!(out, "{ms:.1} ms");
    } else {
        let _ = write!(out, "{} ms", entry.latency_us / 1000);
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let shown = app.list.calls(&app.calls);
    let total = shown.len();
    // One row for the column heads.
    let rows = (area.height as usize).saturating_sub(3);
    let offset = app.list.window(total, rows);
    let visible = &shown[offset.min(total)..(offset + rows).min(total)];
    let filter = if app.list.filter.is_empty() {
        String::new()
    } else {
        format!(" matching \"{}\"", app.list.filter)
    };
    let title = if total == 0 {
        format!(" Recent calls{filter} ")
    } else if visible.len() == total {
        format!(" Recent calls{filter} ({total}, newest first) ")
    } else {
        format!(
            " Recent calls{filter} {}–{} of {total}, newest first ",
            offset + 1,
            offset + visible.len()
        )
    };
    let block = super::lists::block(title, area, app, styles);
    if total == 0 {
        let text = if app.calls.is_empty() {
            "No calls yet."
        } else {
            "No call matches the filter (/ to change it, Esc in it to clear)."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, styles.dim)).block(block),
            area,
        );
        return;
    }
    let inner = area.width.saturating_sub(2) as usize;
    let status_w = visible
        .iter()
        .map(|c| outcome(c, styles).0.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 19);
    // The gaps between columns: 2 + 1 + 1 + 2 + 2.
    let path_w = inner.saturating_sub(TIME + FROM + METHOD + status_w + LATENCY + 8);
    let text_area = block.inner(area);
    frame.render_widget(block, area);
    // The table is written straight into the buffer, cell by cell, as a `Paragraph` of the same
    // lines would be (left-aligned, cut at the right edge): it is most of the screen, and this
    // skips grapheme segmentation for the plain-ASCII text it nearly always is.
    let buf = frame.buffer_mut();
    let mut rows = Rows::new(buf, text_area);
    rows.put(
        &format!(
            "{:<TIME$}  {:<FROM$} {:<METHOD$} {:<status_w$}  {:>LATENCY$}  {}",
            "UTC", "FROM", "METHOD", "STATUS", "LATENCY", "PATH"
        ),
        styles.dim,
    );
    let mut cell = String::with_capacity(64);
    let mut latency = String::with_capacity(16);
    for (i, call) in visible.iter().enumerate() {
        if !rows.next_row() {
            break;
        }
        let (status, status_style) = outcome(call, styles);
        cell.clear();
        let _ = write!(cell, "{}", call.at.strftime("%H:%M:%S"));
        rows.put(&cell, styles.dim);
        rows.put("  ", Style::default());
        cell.clear();
        let _ = write!(cell, "{:<FROM$} ", call.source.as_str());
        rows.put(&cell, styles.dim);
        cell.clear();
        let _ = write!(cell, "{:<METHOD$} ", call.method);
        rows.put(&cell, Style::default());
        cell.clear();
        let _ = write!(cell, "{status:<status_w$}");
        rows.put(&cell, status_style);
        latency.clear();
        self::latency(call, &mut latency);
        cell.clear();
        let _ = write!(cell, "  {latency:>LATENCY$}  ");
        rows.put(&cell, latency_style(call, styles));
        rows.put(&super::truncate(&call.path, path_w), Style::default());
        if app.list.cursor == Some(offset + i) {
            rows.highlight(styles.selected);
        }
    }
}

/// Slow answers stand out: over a second in the warning colour, over five in the error one.
fn latency_style(call: &CallEntry, styles: &Styles) -> Style {
    match call.latency_us {
        0..1_000_000 => Style::default(),
        1_000_000..5_000_000 => styles.warning,
        _ => styles.error,
    }
}

/// Left-aligned lines written into `area` of the buffer, one row at a time, cut at the right edge.
struct Rows<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    /// Row within `area`, and the next column on it.
    y: u16,
    x: u16,
}

impl<'b> Rows<'b> {
    fn new(buf: &'b mut Buffer, area: Rect) -> Rows<'b> {
        Rows {
            buf,
            area,
            y: 0,
            x: 0,
        }
    }

    /// Move to the next row; `false` when the area is full.
    fn next_row(&mut self) -> bool {
        self.y += 1;
        self.x = 0;
        self.y < self.area.height
    }

    /// Mark the current row (the selection).
    fn highlight(&mut self, style: Style) {
        if self.y < self.area.height {
            let row = Rect {
                y: self.area.y + self.y,
                height: 1,
                ..self.area
            };
            self.buf.set_style(row, style);
        }
    }

    fn put(&mut self, text: &str, style: Style) {
        if self.y >= self.area.height || self.x >= self.area.width {
            return;
        }
        let y = self.area.y + self.y;
        let left = self.area.x + self.x;
        if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            // Printable ASCII: one cell per byte, written through the row's slice of cells.
            let n = text.len().min((self.area.width - self.x) as usize);
            let start = self.buf.index_of(left, y);
            let cells = &mut self.buf.content[start..start + n];
            let plain = style == Style::default();
            for (cell, c) in cells.iter_mut().zip(text.chars()) {
                // The buffer starts each frame reset to unstyled spaces: padding needs no write.
                if plain && c == ' ' {
                    continue;
                }
                cell.set_char(c).set_style(style);
            }
            self.x += n as u16;
        } else {
            let room = self.area.width - self.x;
            let (end, _) = self.buf.set_stringn(left, y, text, room as usize, style);
            self.x = end - self.area.x;
        }
    }
}
