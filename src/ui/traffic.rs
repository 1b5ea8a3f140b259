//! The integration's traffic: whether a proxy serves it and where, and what went through it (and
//! what was refused) in the last minutes.

use super::theme::Styles;
use crate::app::App;
use crate::app::traffic::{Traffic, WINDOW_SECS, traffic};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Rows the panel takes, borders included.
pub const HEIGHT: u16 = 4;
const LABEL: usize = 12;
const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let t = traffic(&app.calls, app.now);
    let block = Block::bordered()
        .border_style(styles.border)
        .title(Span::styled(" Integration traffic ", styles.title));
    let label = |s: &str| Span::styled(format!("{s:<LABEL$}"), styles.dim);
    let proxy = match app.proxies.as_slice() {
        [] => Line::from(vec![
            label("Proxy"),
            Span::styled("not running", styles.dim),
            Span::raw(" (pleo-keys proxy)"),
        ]),
        [first, rest @ ..] => {
            let more = if rest.is_empty() {
                String::new()
            } else {
                format!(", +{} more", rest.len())
            };
            Line::from(vec![
                label("Proxy"),
                Span::styled("● ", styles.ok),
                Span::raw(first.url.clone()),
                Span::styled(
                    format!(
                        "  (pid {}, since {}{more})",
                        first.pid,
                        first.started_at.strftime("%H:%M")
                    ),
                    styles.dim,
                ),
            ])
        }
    };
    let lines = if area.height > HEIGHT {
        tall(proxy, &t, styles)
    } else {
        let mut summary = vec![label(&format!("Last {} min", WINDOW_SECS / 60))];
        summary.extend(numbers(&t, styles));
        vec![proxy, Line::from(summary)]
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Beside the connection (wide terminals): one fact a line.
fn tall(proxy: Line<'static>, t: &Traffic, styles: &Styles) -> Vec<Line<'static>> {
    let label = |s: &str| Span::styled(format!("{s:<LABEL$}"), styles.dim);
    let mut lines = vec![
        proxy,
        Line::from(vec![
            label(&format!("Last {} min", WINDOW_SECS / 60)),
            Span::styled(sparkline(&t.per_bucket), styles.info),
            Span::styled("  per 30 s", styles.dim),
        ]),
    ];
    if t.is_empty() {
        lines.push(Line::from(vec![
            label(""),
            Span::styled("no requests from the integration", styles.dim),
        ]));
        return lines;
    }
    let err_style = if t.errors > 0 {
        styles.error
    } else {
        styles.text
    };
    lines.push(Line::from(vec![
        label("Requests"),
        Span::raw(format!("{} · ", t.requests)),
        Span::styled(format!("{} errors", t.errors), err_style),
    ]));
    if let (Some(p50), Some(p95)) = (t.p50_us, t.p95_us) {
        lines.push(Line::from(vec![
            label("Latency"),
            Span::raw(format!("p50 {} · p95 {}", ms(p50), ms(p95))),
        ]));
    }
    let refused_style = if t.refused() > 0 {
        styles.warning
    } else {
        styles.dim
    };
    let refused = if t.refused() > 0 {
        format!("{} ({})", t.refused(), refusal_reasons(t))
    } else {
        "none".to_owned()
    };
    lines.push(Line::from(vec![
        label("Refused"),
        Span::styled(refused, refused_style),
    ]));
    lines
}

fn numbers(t: &Traffic, styles: &Styles) -> Vec<Span<'static>> {
    if t.is_empty() {
        return vec![Span::styled("no requests from the integration", styles.dim)];
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // The sparkline first: it has a fixed width, the words after it may be cut.
    let mut spans = vec![
        Span::styled(sparkline(&t.per_bucket), styles.info),
        Span::raw("  "),
        Span::raw(plural(t.requests, "request", "requests")),
    ];
    if t.errors > 0 {
        spans.push(Span::raw(", "));
        spans.push(Span::styled(
            plural(t.errors, "error", "errors"),
            styles.error,
        ));
    }
    if let (Some(p50), Some(p95)) = (t.p50_us, t.p95_us) {
        spans.push(Span::styled(
            format!(" · p50 {} · p95 {}", ms(p50), ms(p95)),
            styles.text,
        ));
    }
    if t.refused() > 0 {
        spans.push(Span::styled(
            format!(" · refused {} ({})", t.refused(), refusal_reasons(t)),
            styles.warning,
        ));
    }
    spans
}

/// "company 6, token 1": the refusals by who refused, the words the calls list uses.
fn refusal_reasons(t: &Traffic) -> String {
    [
        (t.refused_by_gate, "gate"),
        (t.refused_by_scope, "company"),
        (t.refused_by_token, "token"),
        (t.refused_other, "other"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{word} {n}"))
    .collect::<Vec<_>>()
    .join(", ")
}

fn ms(us: u64) -> String {
    if us < 10_000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else {
        format!("{} ms", us / 1000)
    }
}

/// One bar per bucket (30 s), scaled to the busiest; an idle bucket is the baseline.
fn sparkline(buckets: &[u64]) -> String {
    let top = buckets.iter().copied().max().unwrap_or(0).max(1);
    let steps = BARS.len() as u64 - 1;
    buckets
        .iter()
        .map(|&n| BARS[(n * steps).div_ceil(top) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Theme;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn refusals_are_told_apart_by_who_refused() {
        let styles = Styles::for_theme(Theme::Default);
        let t = Traffic {
            requests: 3,
            refused_by_scope: 1,
            refused_by_token: 2,
            ..Traffic::default()
        };
        let narrow = text(&numbers(&t, &styles));
        assert!(
            narrow.ends_with("3 requests · refused 3 (company 1, token 2)"),
            "{narrow}"
        );
        assert_eq!(
            tall_last(&t, &styles).trim_end(),
            "Refused     3 (company 1, token 2)"
        );
        let quiet = Traffic {
            requests: 1,
            ..Traffic::default()
        };
        assert_eq!(tall_last(&quiet, &styles).trim_end(), "Refused     none");
    }

    fn tall_last(t: &Traffic, styles: &Styles) -> String {
        tall(Line::from("proxy"), t, styles)
            .last()
            .map(|l| text(&l.spans))
            .unwrap_or_default()
    }
}
