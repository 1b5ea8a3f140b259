//! Styles per theme. Default keeps the terminal's background and uses the 16 ANSI colours;
//! Mono uses only bold, reverse, underline and dim, so meaning is carried by glyphs and words.

use crate::app::{BannerLevel, Theme};
use crate::domain::Environment;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Styles {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub ok: Style,
    pub warning: Style,
    pub error: Style,
    pub info: Style,
    /// A key name in the footer and help.
    pub key: Style,
    /// The highlighted row of a list.
    pub selected: Style,
    /// The focused input field.
    pub focus: Style,
    pub product: Style,
}

impl Styles {
    pub fn for_theme(theme: Theme) -> Styles {
        let bold = Modifier::BOLD;
        let plain = Style::new();
        match theme {
            Theme::Mono => Styles {
                text: plain,
                dim: plain.add_modifier(Modifier::DIM),
                title: plain.add_modifier(bold),
                border: plain,
                ok: plain,
                warning: plain.add_modifier(bold),
                error: plain.add_modifier(bold),
                info: plain,
                key: plain.add_modifier(bold),
                selected: plain.add_modifier(Modifier::REVERSED),
                focus: plain.add_modifier(Modifier::UNDERLINED),
                product: plain.add_modifier(bold),
            },
            Theme::Default | Theme::Dark | Theme::Light => {
                let c = Palette::for_theme(theme);
                Styles {
                    text: plain,
                    dim: match theme {
                        // Bright black is readable on a dark background; on others dim is safer.
                        Theme::Dark => plain.fg(Color::DarkGray),
                        _ => plain.add_modifier(Modifier::DIM),
                    },
                    title: plain.fg(c.accent).add_modifier(bold),
                    border: plain.fg(c.border),
                    ok: plain.fg(c.ok),
                    warning: plain.fg(c.warning),
                    error: plain.fg(c.error).add_modifier(bold),
                    info: plain.fg(c.accent),
                    key: plain.fg(c.accent).add_modifier(bold),
                    selected: plain.add_modifier(Modifier::REVERSED),
                    focus: plain.fg(c.accent).add_modifier(Modifier::UNDERLINED),
                    product: plain.add_modifier(bold),
                }
            }
        }
    }

    pub fn level(&self, level: BannerLevel) -> Style {
        match level {
            BannerLevel::Info => self.info,
            BannerLevel::Success => self.ok,
            BannerLevel::Warning => self.warning,
            BannerLevel::Error => self.error,
        }
    }
}

struct Palette {
    ok: Color,
    warning: Color,
    error: Color,
    accent: Color,
    border: Color,
}

impl Palette {
    fn for_theme(theme: Theme) -> Palette {
        match theme {
            Theme::Dark => Palette {
                ok: Color::LightGreen,
                warning: Color::LightYellow,
                error: Color::LightRed,
                accent: Color::LightCyan,
                border: Color::DarkGray,
            },
            // Yellow and cyan wash out on white: use their darker neighbours.
            Theme::Light => Palette {
                ok: Color::Green,
                warning: Color::Magenta,
                error: Color::Red,
                accent: Color::Blue,
                // ANSI 7 is faint on white; bright black reads.
                border: Color::DarkGray,
            },
            _ => Palette {
                ok: Color::Green,
                warning: Color::Yellow,
                error: Color::Red,
                accent: Color::Cyan,
                border: Color::Reset,
            },
        }
    }
}

/// The environment badge: production, staging, sandbox and custom differ at a glance, even in mono.
pub fn environment_badge(theme: Theme, environment: Environment) -> (String, Style) {
    let name = environment.as_str().to_uppercase();
    let bold = Modifier::BOLD;
    let style = if theme == Theme::Mono {
        match environment {
            Environment::Production => Style::new().add_modifier(bold | Modifier::REVERSED),
            Environment::Staging => Style::new().add_modifier(bold | Modifier::UNDERLINED),
            _ => Style::new().add_modifier(bold),
        }
    } else {
        let (bg, fg) = match environment {
            Environment::Production => (Color::Red, Color::White),
            Environment::Staging => (Color::Yellow, Color::Black),
            Environment::Sandbox => (Color::Cyan, Color::Black),
            Environment::Custom => (Color::Magenta, Color::White),
        };
        Style::new().bg(bg).fg(fg).add_modifier(bold)
    };
    // Mono has no background, so brackets mark the non-production badges' edges.
    let text = match (theme, environment) {
        (Theme::Mono, Environment::Production) => format!(" {name} "),
        (Theme::Mono, _) => format!("[{name}]"),
        _ => format!(" {name} "),
    };
    (text, style)
}
