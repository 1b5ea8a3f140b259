//! The few keys that matter now, from the keymap of the current mode.

use super::theme::Styles;
use crate::app::App;
use crate::app::calls_view::View;
use crate::app::keymap::{Action, Binding, KEYMAP};
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Whether a dashboard action means anything right now.
fn available(app: &App, action: Action) -> bool {
    let locked = matches!(
        app.lifecycle,
        Lifecycle::StorageError {
            needs_passphrase: true,
            ..
        }
    );
    match action {
        Action::Revalidate => app.has_key && !locked,
        // Re-activation helps only when the key is stored but not (or no longer) working.
        Action::Reactivate => {
            app.has_key
                && !locked
                && !matches!(app.lifecycle, Lifecycle::Active | Lifecycle::Activating)
        }
        Action::SandboxPanel => app.ctx.sandbox,
        Action::SetExpiry => app.facts.is_some(),
        Action::Unlock => locked,
        Action::Newer | Action::Older => app.list_len() > 1,
        Action::Open | Action::Filter => app.list.view == View::Calls && !app.calls.is_empty(),
        Action::CopyCompany => app.facts.is_some(),
        // The welcome screen has no lists.
        Action::NextView => app.facts.is_some() || app.has_key,
        _ => true,
    }
}

/// (key, what it does, drop rank) for the current mode.
pub fn hints(app: &App) -> Vec<(&'static str, &'static str, u8)> {
    let bindings: Vec<&Binding> = match app.overlay.keymap() {
        None => KEYMAP.iter().filter(|b| available(app, b.action)).collect(),
        Some(map) => map.iter().collect(),
    };
    let mut out: Vec<(&'static str, &'static str, u8)> = bindings
        .into_iter()
        .filter(|b| !b.short.is_empty())
        .map(|b| (b.label, app.overlay.short_for(b), b.drop_rank))
        .collect();
    if out.is_empty() {
        out.push(("Ctrl-C", "quit", 0));
    }
    out
}

/// Columns the footer needs: a leading space, then `key what` pairs two apart.
fn hint_width(hints: &[(&str, &str, u8)]) -> usize {
    let pairs: usize = hints
        .iter()
        .map(|(k, w, _)| super::width(k) + 1 + super::width(w))
        .sum();
    1 + pairs + 2 * hints.len().saturating_sub(1)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let mut hints = hints(app);
    // Drop the least important hints first (highest rank) until the footer fits.
    while hint_width(&hints) > area.width as usize {
        let Some(worst) = hints.iter().map(|h| h.2).max().filter(|r| *r > 0) else {
            break;
        };
        let Some(i) = hints.iter().position(|h| h.2 == worst) else {
            break;
        };
        hints.remove(i);
    }
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, what, _)) in hints.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key, styles.key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(what, styles.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
