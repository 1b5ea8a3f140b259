//! Server-supplied text, made safe where it enters: no control characters (C0, C1, so no escape
//! sequences and no forged line breaks), no bidirectional overrides, bounded length. It is
//! stored in this form too, so nothing read back from the home folder can carry them either.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How many characters of one server-supplied value are kept.
pub const MAX_TEXT_CHARS: usize = 200;

/// Characters that reorder or hide text on screen without being controls themselves.
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}'                    // Arabic letter mark
        | '\u{200B}'..='\u{200F}'     // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'     // embeddings and overrides
        | '\u{2060}'..='\u{2069}'     // word joiner, invisible operators, isolates
        | '\u{FEFF}'                  // zero-width no-break space
    )
}

/// `raw` without controls or bidi characters, cut to `max` characters (marked with `…`).
/// Tabs and line breaks become one space each, so words do not run together.
pub fn sanitize(raw: &str, max: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max * 4));
    let mut kept = 0;
    let mut cut = false;
    for c in raw.chars() {
        let c = match c {
            '\t' | '\n' | '\r' => ' ',
            c if c.is_control() || is_bidi_or_invisible(c) => continue,
            c => c,
        };
        if kept == max {
            cut = true;
            break;
        }
        out.push(c);
        kept += 1;
    }
    if cut {
        out.pop();
        out.push('…');
    }
    out
}

/// Text that came from outside (Pleo, a file in the home folder) after [`sanitize`].
/// The only ways to make one sanitise; `as_str` is safe to print anywhere.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Text(String);

impl Text {
    pub fn new(raw: &str) -> Text {
        Text(sanitize(raw, MAX_TEXT_CHARS))
    }

    pub fn with_max(raw: &str, max: usize) -> Text {
        Text(sanitize(raw, max))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Text::new(&s))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// "no key …" → "No key ….": a message as a sentence, for a modal or a banner.
pub fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_and_forged_lines_are_removed() {
        let hostile = "Acme\u{1b}]2;pwned\u{7} \u{1b}]52;c;cm0gLXJm\u{7}\u{1b}[8mhidden\r\nFAKE: OK\u{202e}cba";
        let clean = sanitize(hostile, 500);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(!clean.contains('\u{202e}'));
        assert!(!clean.contains('\n') && !clean.contains('\r'));
        assert!(clean.starts_with("Acme]2;pwned"), "{clean:?}");
    }

    #[test]
    fn c1_controls_and_invisible_characters_go_too() {
        let s = sanitize("a\u{9b}31mb\u{200b}c\u{2066}d\u{feff}e\u{85}f", 100);
        assert_eq!(s, "a31mbcdef");
    }

    #[test]
    fn length_is_capped_and_marked() {
        let long = "x".repeat(10_000);
        let t = Text::new(&long);
        assert_eq!(t.as_str().chars().count(), MAX_TEXT_CHARS);
        assert!(t.as_str().ends_with('…'));
        assert_eq!(sanitize("abc", 3), "abc");
        assert_eq!(sanitize("abcd", 3), "ab…");
        assert_eq!(sanitize("日本語です", 4), "日本語…");
    }

    #[test]
    fn deserialising_sanitises_and_json_stays_valid() {
        let t: Text = serde_json::from_str("\"A\\u001b[2Jcme\"").unwrap();
        assert_eq!(t.as_str(), "A[2Jcme");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"A[2Jcme\"");
    }
}
