//! Arbitrary input never panics the decoders, parsers and validators (the fuzz targets in
//! `fuzz/` drive the same functions, longer).

use pleo_keys::domain::Subject;
use pleo_keys::pleo::types::{CompanyResponse, ExceptionInfo, Installation, IntrospectResponse};
use pleo_keys::secret::{ApiKey, KeyFormatError, MAX_KEY_BYTES};
use proptest::prelude::*;
use std::path::Path;

fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<IntrospectResponse>(bytes);
    let _ = serde_json::from_slice::<Installation>(bytes);
    let _ = serde_json::from_slice::<CompanyResponse>(bytes);
    let _ = serde_json::from_slice::<ExceptionInfo>(bytes);
    let _ = pleo_keys::store::parse_state(Path::new("state.json"), bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoders_take_json_like_text(text in r#"[{}\[\]":,a-zA-Z0-9_ .-]{0,300}"#) {
        decode_all(text.as_bytes());
    }

    #[test]
    fn urn_parser_takes_anything(s in ".{0,200}") {
        if let Ok(subject) = Subject::parse(&s) {
            // Whatever parses names a lower-case hyphenated UUID.
            let id = match subject {
                Subject::Company(c) => c.to_string(),
                Subject::Organization(o) => o.to_string(),
            };
            prop_assert_eq!(id.len(), 36);
            prop_assert_eq!(id.to_ascii_lowercase(), id);
        }
    }

    #[test]
    fn sanitised_text_never_carries_a_control_or_bidi_character(s in "\\PC{0,300}|.{0,300}") {
        let t = pleo_keys::domain::sanitize(&s, 200);
        prop_assert!(!t.chars().any(|c| c.is_control()));
        let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        let clean = !t.chars().any(bidi);
        prop_assert!(clean, "a bidi character survived");
        prop_assert!(t.chars().count() <= 200);
    }

    #[test]
    fn key_validation_accepts_only_clean_keys_and_never_echoes(s in ".{0,600}") {
        match ApiKey::parse(&s) {
            Ok((key, _)) => {
                let k = key.expose();
                prop_assert!(!k.is_empty() && k.len() <= MAX_KEY_BYTES);
                prop_assert!(k.is_ascii() && !k.contains(':'));
                prop_assert!(!k.chars().any(|c| c.is_whitespace() || c.is_control()));
            }
            Err(e) => {
                let msg = e.to_string();
                let trimmed = s.trim();
                // The message never carries the input (checked for inputs long enough to tell).
                if trimmed.len() >= 12 && !matches!(e, KeyFormatError::TooLong { .. }) {
                    prop_assert!(!msg.contains(trimmed), "{}", msg);
                }
            }
        }
    }

    #[test]
    fn retry_after_takes_anything(s in ".{0,80}") {
        let _ = pleo_keys::pleo::retry_after::parse(&s, jiff::Timestamp::UNIX_EPOCH);
    }
}
