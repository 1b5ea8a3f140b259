//! A call's detail, and the line where the calls filter is typed.

use super::super::theme::Styles;
use super::{draw, widths, wrapped};
use crate::app::App;
use crate::app::overlay::CallDetail;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

const LABEL_W: usize = 12;

pub(super) fn render(frame: &mut Frame, body: Rect, d: &CallDetail, styles: &Styles) {
    let (w, text_w) = widths(body, 110);
    let c = &d.call;
    let value_w = text_w.saturating_sub(LABEL_W);
    let status = match (&c.refused, c.status, &c.failure) {
        (Some(kind), _, _) => format!("refused by the proxy ({kind}); nothing was sent to Pleo"),
        (None, Some(s), _) => s.to_string(),
        (None, None, Some(f)) => format!("no answer ({f})"),
        _ => "unknown".into(),
    };
    let latency = format!("{:.1} ms", c.latency_us as f64 / 1000.0);
    let mut rows: Vec<(&str, String)> = vec![
        (
            "Time",
            c.at.strftime("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        ),
        ("Source", format!("{} (pid {})", c.source.as_str(), c.pid)),
        ("Method", c.method.clone()),
        ("Status", status),
        ("Latency", latency),
    ];
    if let Some(e) = &c.error {
        rows.push(("Pleo said", e.clone()));
    }
    if let Some(secs) = c.retry_after_secs {
        rows.push(("Retry-After", format!("{secs} s")));
    }
    if let Some(run) = &c.run {
        rows.push(("Part of", run.clone()));
    }
    let mut lines = Vec::new();
    for (label, value) in rows {
        for (i, l) in wrapped(&value, value_w, styles.text)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { label } else { "" };
            let mut spans = vec![Span::styled(format!("{lead:<LABEL_W$}"), styles.dim)];
            spans.extend(l.spans);
            lines.push(Line::from(spans));
        }
    }
    // The path in full, broken anywhere (it has no spaces): the table cuts it.
    let chars: Vec<char> = c.path.chars().collect();
    for (i, chunk) in chars.chunks(value_w.max(1)).enumerate() {
        let lead = if i == 0 { "Path" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{lead:<LABEL_W$}"), styles.dim),
            Span::raw(chunk.iter().collect::<String>()),
        ]));
    }
    draw(frame, body, w, "Call", lines, styles);
}

/// The filter being typed, on the body's last row.
pub(super) fn filter(frame: &mut Frame, body: Rect, app: &App, styles: &Styles) {
    if body.height == 0 {
        return;
    }
    let area = Rect {
        y: body.y + body.height - 1,
        height: 1,
        ..body
    };
    let line = Line::from(vec![
        Span::styled(" / ", styles.key),
        Span::raw(app.list.filter.clone()),
    ]);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line).block(Block::new()), area);
    let col = 3 + app.list.filter.chars().count() as u16;
    if col < area.width {
        frame.set_cursor_position(Position::new(area.x + col, area.y));
    }
}
