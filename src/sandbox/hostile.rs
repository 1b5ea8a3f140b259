//! Hostile text: what server-supplied strings become when `HostileText` is on. Every one of them
//! stays valid JSON (serde escapes the control characters); what a client does with them is the test.

use serde_json::Value;

use super::HostileText;
use super::reply::{JSON, Reply};

/// A window-title change, a clipboard write (OSC 52 of `rm -rf ~`), concealed text, a forged line and
/// a right-to-left override.
pub(crate) const CONTROLS: &str =
    "\u{1b}]2;pwned\u{7} \u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[8mhidden\r\nFAKE: OK\u{202e}";

/// What error `message`s gain: a disguised hyperlink, a title change and a forged line.
const MESSAGE_TAIL: &str = "\u{1b}]8;;https://evil.example/\u{7}click here\u{1b}]8;;\u{7}\u{1b}]2;pwned\u{7}\r\nFAKE: OK\u{202e}";

/// What error `type`s gain: erase the line, return, reverse the text.
const TYPE_TAIL: &str = "\u{1b}[2K\r\u{1b}[31mOK\u{202e}";

/// The length of a `LongNames` company name, in characters.
pub(crate) const LONG_NAME_CHARS: usize = 10_000;

/// A company name as the server tells it.
pub(crate) fn company_name(name: &str, mode: HostileText) -> String {
    match mode {
        HostileText::Off => name.to_owned(),
        HostileText::Controls => format!("{name}{CONTROLS}"),
        HostileText::LongNames => format!("{name} ")
            .chars()
            .cycle()
            .take(LONG_NAME_CHARS)
            .collect(),
    }
}

/// Introspect's `authMethod` and `applicationName`.
pub(crate) fn label(text: &str, mode: HostileText) -> String {
    match mode {
        HostileText::Controls => format!("{text}{CONTROLS}"),
        HostileText::Off | HostileText::LongNames => text.to_owned(),
    }
}

/// The scope introspect adds: no space or comma, so it stays one scope whatever the separator.
pub(crate) fn extra_scope(mode: HostileText) -> Option<&'static str> {
    (mode == HostileText::Controls).then_some("\u{1b}[2Jexport-jobs:admin\u{1b}]2;pwned\u{7}")
}

/// An error answer with hostile `type` and `message`; anything else passes through.
pub(crate) fn error_reply(mut reply: Reply, mode: HostileText) -> Reply {
    if mode != HostileText::Controls || reply.status < 400 || reply.content_type != Some(JSON) {
        return reply;
    }
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    for (field, tail) in [("type", TYPE_TAIL), ("message", MESSAGE_TAIL)] {
        if let Some(Value::String(s)) = body.get_mut(field) {
            s.push_str(tail);
        }
    }
    reply.body = Value::Object(body).to_string().into_bytes();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_carry_controls_or_length() {
        assert_eq!(company_name("Acme", HostileText::Off), "Acme");
        let hostile = company_name("Acme", HostileText::Controls);
        assert!(hostile.starts_with("Acme\u{1b}]2;pwned\u{7}"));
        assert!(hostile.contains('\r') && hostile.contains('\u{202e}'));
        let long = company_name("Acme Sandbox ApS", HostileText::LongNames);
        assert_eq!(long.chars().count(), LONG_NAME_CHARS);
        assert!(long.starts_with("Acme Sandbox ApS Acme"));
        assert!(long.chars().all(|c| !c.is_control()));
        assert_eq!(label("API_KEY", HostileText::LongNames), "API_KEY");
        let scope = extra_scope(HostileText::Controls).unwrap_or_default();
        assert!(scope.contains('\u{1b}') && !scope.contains([' ', ',']));
        assert_eq!(extra_scope(HostileText::Off), None);
    }

    #[test]
    fn only_json_errors_change_and_stay_json() {
        let error = Reply::error(401, "UNAUTHORIZED", "Invalid API key");
        let hostile = error_reply(error, HostileText::Controls);
        let body: Value = serde_json::from_slice(&hostile.body).unwrap_or_default();
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("UNAUTHORIZED\u{1b}[2K"))
        );
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Invalid API key\u{1b}]8;;"))
        );
        // serde escapes every control character, so the bytes on the wire hold no raw ESC.
        assert!(!hostile.body.contains(&0x1b));

        let unchanged = |reply: Reply, mode| {
            let before = reply.body.clone();
            assert_eq!(error_reply(reply, mode).body, before);
        };
        unchanged(
            Reply::json(200, &json!({"type": "x"})),
            HostileText::Controls,
        );
        unchanged(Reply::error(404, "A", "b"), HostileText::Off);
        unchanged(Reply::error(404, "A", "b"), HostileText::LongNames);
        let html = Reply {
            content_type: Some(crate::sandbox::reply::HTML),
            ..Reply::error(502, "A", "b")
        };
        unchanged(html, HostileText::Controls);
    }
}
