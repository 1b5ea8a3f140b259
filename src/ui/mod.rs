//! Placeholder UI (drop on merge): the real one lives on the `ui` branch.

use crate::app::{App, Overlay};
use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, app: &App) {
    let overlay = match &app.overlay {
        Overlay::None => "none",
        Overlay::KeyEntry(_) => "key entry",
        Overlay::ConfirmCompany(_) => "confirm company",
        Overlay::ChooseCompany(_) => "choose company",
        Overlay::Passphrase(_) => "passphrase",
        Overlay::Help => "help",
        Overlay::Sandbox(_) => "sandbox",
    };
    let mut lines = vec![
        Line::from(app.lifecycle.headline()),
        Line::from(format!("overlay: {overlay}")),
    ];
    if let Some(b) = app.banner() {
        lines.push(Line::from(format!("banner: {}", b.text)));
    }
    if let Some(c) = &app.facts.company_id {
        lines.push(Line::from(format!("company: {c}")));
    }
    if let Overlay::KeyEntry(k) = &app.overlay {
        lines.push(Line::from(format!(
            "key: {} {}",
            "•".repeat(k.len()),
            k.error.as_deref().unwrap_or("")
        )));
    }
    if let Overlay::Passphrase(p) = &app.overlay {
        lines.push(Line::from(format!(
            "passphrase: {} {}",
            "•".repeat(p.text.chars().count()),
            p.error.as_deref().unwrap_or("")
        )));
    }
    lines.push(Line::from(format!(
        "calls: {}  spinner: {}",
        app.calls.len(),
        app.spinner
    )));
    frame.render_widget(Paragraph::new(lines), frame.area());
}
