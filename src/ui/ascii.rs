//! For terminals without the glyphs (the Linux console, `TERM=vt100`, a C locale): every symbol the
//! dashboard draws has an ASCII stand-in, applied as the frame is written. Box drawing stays: the
//! Linux console has it.

/// Whether this terminal wants ASCII: `PLEO_KEYS_ASCII=1`, or a `TERM` known to lack the glyphs.
pub fn wanted() -> bool {
    if let Ok(v) = std::env::var("PLEO_KEYS_ASCII") {
        return !matches!(v.trim(), "" | "0" | "no" | "false");
    }
    basic_terminal()
}

/// A `TERM` of the consoles and old terminals: no glyphs beyond box drawing, and no answer to
/// questions about their colours (the Linux console may even print one).
pub fn basic_terminal() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    matches!(
        term.as_str(),
        "linux" | "vt100" | "vt102" | "vt220" | "ansi" | "dumb" | "cons25"
    )
}

/// The ASCII stand-in for a cell's symbol, when it needs one.
pub fn stand_in(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "✔" => "+",
        "✖" => "x",
        "▲" => "!",
        "●" => "*",
        "◌" => "o",
        "ℹ" => "i",
        "…" => "~",
        "•" => "*",
        "›" => ">",
        "–" => "-",
        "·" => ".",
        "→" => ">",
        "↑" => "^",
        "↓" => "v",
        "⌫" => "<",
        "▁" => "_",
        "▂" | "▃" => ".",
        "▄" | "▅" => "-",
        "▆" | "▇" => "=",
        "█" => "#",
        // The braille spinner turns as | / - \.
        "⠋" | "⠸" | "⠦" => "|",
        "⠙" | "⠼" | "⠧" => "/",
        "⠹" | "⠴" | "⠇" => "-",
        "⠏" => "\\",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_the_dashboard_uses_has_an_ascii_stand_in() {
        for g in [
            "✔", "✖", "▲", "●", "◌", "ℹ", "…", "•", "›", "▁", "█", "⠋", "⠏",
        ] {
            let s = stand_in(g).unwrap_or_else(|| panic!("{g}"));
            assert!(s.is_ascii(), "{g} → {s}");
        }
        assert_eq!(stand_in("a"), None);
        assert_eq!(stand_in("─"), None, "box drawing is kept");
    }
}
