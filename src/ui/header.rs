//! Product name, environment badge and the lifecycle state as glyph + word + colour.

use super::theme::{Styles, environment_badge};
use crate::app::{App, BannerLevel};
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The state's glyph, word and severity. The glyph keeps the meaning without colour.
pub(crate) fn state_label(lifecycle: &Lifecycle) -> (&'static str, &'static str, BannerLevel) {
    use BannerLevel::*;
    match lifecycle {
        Lifecycle::Active => ("●", "ACTIVE", Success),
        Lifecycle::Activating => ("◌", "ACTIVATING", Info),
        Lifecycle::NotConfigured => ("○", "NOT CONFIGURED", Info),
        Lifecycle::InvalidKeyFormat { .. } => ("✖", "INVALID KEY", Error),
        Lifecycle::KeyRejected => ("✖", "KEY REJECTED", Error),
        Lifecycle::AccessDenied { .. } => ("✖", "ACCESS DENIED", Error),
        Lifecycle::MissingScopes { .. } => ("✖", "MISSING SCOPES", Error),
        Lifecycle::InstallationInactive { .. } => ("✖", "INSTALLATION INACTIVE", Error),
        Lifecycle::CompanyMismatch { .. } => ("▲", "COMPANY MISMATCH", Warning),
        Lifecycle::CompanyRequired { .. } => ("▲", "CHOOSE COMPANY", Warning),
        Lifecycle::ReplacementPending { .. } => ("▲", "REPLACEMENT PENDING", Warning),
        Lifecycle::Degraded(_) => ("▲", "DEGRADED", Warning),
        Lifecycle::StorageError { .. } => ("✖", "STORAGE ERROR", Error),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let (badge, badge_style) = environment_badge(app.theme, app.ctx.environment);
    let (glyph, word, level) = state_label(&app.lifecycle);
    let state_style = styles
        .level(level)
        .add_modifier(ratatui::style::Modifier::BOLD);
    let mut left = vec![
        Span::styled(" pleo-keys ", styles.product),
        Span::raw(" "),
        Span::styled(badge, badge_style),
        Span::raw("  "),
        Span::styled(format!("{glyph} {word}"), state_style),
    ];
    let activating = matches!(app.lifecycle, Lifecycle::Activating);
    if activating || app.check_in_flight {
        left.push(Span::styled(
            format!(" {}", super::spinner(app)),
            styles.info,
        ));
        if app.check_in_flight && !activating {
            left.push(Span::styled(" checking", styles.dim));
        }
    }
    let version = format!("v{} ", app.ctx.version);
    let used: usize = left.iter().map(Span::width).sum();
    let gap = (area.width as usize).saturating_sub(used + version.len());
    if gap >= 1 {
        left.push(Span::raw(" ".repeat(gap)));
        left.push(Span::styled(version, styles.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}
