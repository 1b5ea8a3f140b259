//! The sandbox's switches and demo keys.

use super::super::theme::Styles;
use super::super::{truncate, width};
use super::{draw, widths, window};
use crate::app::{App, SandboxAction, SandboxPanel};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub(super) fn render(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    panel: &SandboxPanel,
    styles: &Styles,
) {
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
            // Public fakes, shown as every key is: by its last four characters.
            let tail: String = {
                let chars: Vec<char> = key.chars().collect();
                chars[chars.len().saturating_sub(4)..].iter().collect()
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
