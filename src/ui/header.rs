//! Product name, environment badge and the lifecycle state as glyph + word + colour.

use super::theme::{Styles, environment_badge};
use crate::app::{App, BannerLevel};
use crate::domain::{CheckStatus, Reason};
use crate::lifecycle::Lifecycle;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The state's glyph, words and severity. The glyph keeps the meaning without colour; the
/// severity is the exit code's (critical is red, warning and unknown yellow), and the words are
/// the banner's (an installation in ERROR says ERROR in both).
pub(crate) fn state_label(app: &App) -> (&'static str, String, BannerLevel) {
    use BannerLevel::*;
    let (glyph, word): (&str, String) = match &app.lifecycle {
        Lifecycle::Active if app.reason == Reason::ExpiresSoon => {
            let word = match app.expires_in_days() {
                Some(d) if d < 0 => "ACTIVE · PAST EXPIRY DATE".to_string(),
                Some(0) => "ACTIVE · EXPIRES TODAY".to_string(),
                Some(d) => format!(
                    "ACTIVE · EXPIRES IN {d} DAY{}",
                    if d == 1 { "" } else { "S" }
                ),
                None => "ACTIVE · EXPIRES SOON".to_string(),
            };
            ("▲", word)
        }
        Lifecycle::Active if app.reason == Reason::ScopesUnverified => {
            ("●", "ACTIVE · SCOPES UNVERIFIED".into())
        }
        Lifecycle::Active => ("●", "ACTIVE".into()),
        Lifecycle::Activating => ("◌", "ACTIVATING".into()),
        Lifecycle::NotConfigured => ("○", "NO KEY".into()),
        Lifecycle::InvalidKeyFormat { .. } => ("✖", "INVALID KEY".into()),
        Lifecycle::KeyRejected => ("✖", "KEY REJECTED".into()),
        Lifecycle::AccessDenied { .. } => ("✖", "ACCESS DENIED".into()),
        Lifecycle::MissingScopes { .. } => ("✖", "MISSING SCOPES".into()),
        Lifecycle::InstallationInactive { status, .. } => (
            "✖",
            match status {
                Some(s) => format!("INSTALLATION {s}"),
                None => "INSTALLATION GONE".into(),
            },
        ),
        Lifecycle::CompanyMismatch { .. } => ("✖", "COMPANY MISMATCH".into()),
        Lifecycle::CompanyRequired { .. } => ("✖", "CHOOSE COMPANY".into()),
        Lifecycle::ReplacementPending { .. } => ("✖", "REPLACEMENT PENDING".into()),
        Lifecycle::Degraded(_) => ("▲", "DEGRADED".into()),
        Lifecycle::StorageError {
            needs_passphrase: true,
            ..
        } => ("▲", "LOCKED · PASSPHRASE NEEDED".into()),
        Lifecycle::StorageError { .. } => ("✖", "STORAGE ERROR".into()),
    };
    let level = match app.lifecycle {
        Lifecycle::Activating | Lifecycle::NotConfigured => Info,
        _ => match app.reason.status() {
            CheckStatus::Ok => Success,
            CheckStatus::Warning | CheckStatus::Unknown => Warning,
            CheckStatus::Critical => Error,
        },
    };
    (glyph, word, level)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, styles: &Styles) {
    let (badge, badge_style) = environment_badge(app.theme, app.ctx.environment);
    let (glyph, word, level) = state_label(app);
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
