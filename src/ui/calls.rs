//! Recent calls, newest first. Only the rows that fit are built, however many are kept.

use super::theme::Styles;
use crate::app::App;
use crate::pleo::{CallOutcome, CallRecord};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const TIME: usize = 8;
const METHOD: usize = 6;
const LATENCY: usize = 8;

fn outcome(record: &CallRecord, styles: &Styles) -> (String, Style) {
    match record.outcome {
        CallOutcome::Status(code) => {
            let style = match code {
                200..=299 => styles.ok,
                400..=599 => styles.error,
                _ => styles.text,
            };
            (code.to_string(), style)
        }
        CallOutcome::Failed(class) => (class.to_string(), styles.error),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let total = app.calls.len();
    let scroll = app.calls_scroll.min(total.saturating_sub(1));
    // One row for the column heads.
    let rows = (area.height as usize).saturating_sub(3);
    let visible: Vec<&CallRecord> = app.calls.iter().rev().skip(scroll).take(rows).collect();
    let title = if total == 0 {
        " Recent calls ".to_string()
    } else if scroll == 0 && visible.len() == total {
        format!(" Recent calls ({total}, newest first) ")
    } else {
        format!(
            " Recent calls {}–{} of {total}, newest first ",
            scroll + 1,
            scroll + visible.len()
        )
    };
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(title, styles.title));
    if total == 0 {
        let text = Line::styled("No calls yet.", styles.dim);
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let inner = area.width.saturating_sub(2) as usize;
    let status_w = visible
        .iter()
        .map(|c| outcome(c, styles).0.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 19);
    // The gaps between columns: 2 + 1 + 2 + 2.
    let path_w = inner.saturating_sub(TIME + METHOD + status_w + LATENCY + 7);
    let mut lines = Vec::with_capacity(visible.len() + 1);
    lines.push(Line::styled(
        format!(
            "{:<TIME$}  {:<METHOD$} {:<status_w$}  {:>LATENCY$}  {}",
            "UTC", "METHOD", "STATUS", "LATENCY", "PATH"
        ),
        styles.dim,
    ));
    for call in visible {
        let (status, status_style) = outcome(call, styles);
        let latency = format!("{} ms", call.latency.as_millis());
        lines.push(Line::from(vec![
            Span::styled(call.at.strftime("%H:%M:%S").to_string(), styles.dim),
            Span::raw("  "),
            Span::raw(format!("{:<METHOD$} ", call.method)),
            Span::styled(format!("{status:<status_w$}"), status_style),
            Span::raw(format!("  {latency:>LATENCY$}  ")),
            Span::raw(super::truncate(&call.path, path_w)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
