//! The one thing that needs attention: levelled colour plus a glyph, wrapped to the width.

use super::theme::Styles;
use crate::app::{Banner, BannerLevel};
use ratatui::text::{Line, Span};

pub fn glyph(level: BannerLevel) -> &'static str {
    match level {
        BannerLevel::Info => "ℹ",
        BannerLevel::Success => "✔",
        BannerLevel::Warning => "▲",
        BannerLevel::Error => "✖",
    }
}

pub fn lines(banner: &Banner, styles: &Styles, width: u16) -> Vec<Line<'static>> {
    let style = styles.level(banner.level);
    // One column of margin each side, and the glyph's hanging indent.
    let text_width = (width as usize).saturating_sub(4);
    super::wrap(&banner.text, text_width)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let lead = if i == 0 {
                format!(" {} ", glyph(banner.level))
            } else {
                "   ".to_string()
            };
            Line::from(vec![Span::styled(lead, style), Span::styled(text, style)])
        })
        .collect()
}
