//! The few keys that matter now: the dashboard's from KEYMAP, or the open modal's own.

use super::theme::Styles;
use crate::app::{Action, App, Overlay};
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// (key, what it does) pairs for the current mode.
pub fn hints(app: &App) -> Vec<(&'static str, &'static str)> {
    let action = |a: Action| (a.key_label(), a.short_label());
    match &app.overlay {
        Overlay::None => {
            let mut out = vec![action(Action::EnterKey)];
            if app.has_key {
                out.push(action(Action::Revalidate));
            }
            // Re-activation helps only when the key is stored but not (or no longer) working.
            let settled = !matches!(
                app.lifecycle,
                Lifecycle::Active { .. } | Lifecycle::Activating
            );
            if app.has_key && settled {
                out.push(action(Action::Reactivate));
            }
            if app.ctx.sandbox {
                out.push(action(Action::SandboxPanel));
            }
            if app.calls.len() > 1 {
                out.push(("↑↓", "scroll"));
            }
            out.push(action(Action::Help));
            out.push(action(Action::Quit));
            out
        }
        Overlay::KeyEntry(e) if e.busy => vec![("Ctrl-C", "quit")],
        Overlay::KeyEntry(_) => vec![
            ("Enter", "connect"),
            ("Tab", "next field"),
            ("Ctrl-U", "clear field"),
            ("Esc", "cancel"),
        ],
        Overlay::ConfirmCompany(c) if c.busy => vec![("Ctrl-C", "quit")],
        Overlay::ConfirmCompany(_) => vec![("y", "switch company"), ("n", "keep current")],
        Overlay::ChooseCompany(p) if p.busy => vec![("Ctrl-C", "quit")],
        Overlay::ChooseCompany(_) => {
            vec![("↑↓", "choose"), ("Enter", "connect"), ("Esc", "cancel")]
        }
        Overlay::Passphrase(p) if p.busy => vec![("Ctrl-C", "quit")],
        Overlay::Passphrase(p) if p.creating && p.first.is_none() => {
            vec![("Enter", "next"), ("Esc", "cancel")]
        }
        Overlay::Passphrase(p) if p.creating => vec![("Enter", "save the key"), ("Esc", "cancel")],
        Overlay::Passphrase(_) => vec![("Enter", "unlock"), ("Esc", "cancel")],
        Overlay::Help => vec![("Esc", "close")],
        Overlay::Sandbox(_) => vec![("↑↓", "choose"), ("Enter", "apply"), ("Esc", "close")],
    }
}

/// Hints dropped first when the footer is too narrow; help and quit go last.
const DROP_ORDER: [&str; 5] = ["↑↓", "Ctrl-U", "Tab", "s", "r"];

/// Columns the footer needs: a leading space, then `key what` pairs two apart.
fn hint_width(hints: &[(&str, &str)]) -> usize {
    let pairs: usize = hints
        .iter()
        .map(|(k, w)| super::width(k) + 1 + super::width(w))
        .sum();
    1 + pairs + 2 * hints.len().saturating_sub(1)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let mut hints = hints(app);
    for key in DROP_ORDER {
        if hint_width(&hints) <= area.width as usize {
            break;
        }
        hints.retain(|(k, _)| *k != key);
    }
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, what)) in hints.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key, styles.key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(what, styles.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
