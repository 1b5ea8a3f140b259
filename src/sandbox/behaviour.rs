//! Behaviour switches: how the sandbox answers where Pleo's docs are silent, each a plausible choice
//! (all INFERRED) that a client must survive. Set from Rust or `POST /_sandbox/behaviour`.

use serde_json::{Value, json};

/// How the sandbox answers where Pleo's docs are silent. `Behaviour::default()` is what it does
/// unless told otherwise; `reset` comes back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Behaviour {
    /// Refuse query parameters the operation does not document.
    pub strict: bool,
    /// What `GET /v1/installations/me` answers when there is none (default 404).
    pub missing_installation: MissingInstallation,
    /// What `POST /v1/installations/me` answers when one exists (default 200 with it).
    pub existing_installation: ExistingInstallation,
    /// Whether `/v1/introspect` answers, 404s or 403s (default: answers).
    pub introspect: IntrospectAnswer,
    /// How introspect's `scope` joins the scopes (default: a space).
    pub scope_separator: ScopeSeparator,
    /// Whether introspect includes the optional `subjectURN`.
    pub subject_urn: bool,
    /// Terminal control sequences or very long text in what the server says (default: off).
    pub hostile_text: HostileText,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            strict: false,
            missing_installation: MissingInstallation::NotFound,
            existing_installation: ExistingInstallation::Returned,
            introspect: IntrospectAnswer::Available,
            scope_separator: ScopeSeparator::Space,
            subject_urn: true,
            hostile_text: HostileText::Off,
        }
    }
}

/// What `GET /v1/installations/me` answers when there is no installation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingInstallation {
    /// 404 `INSTALLATION_NOT_FOUND`.
    #[default]
    NotFound,
    /// 400, as the spec documents 400 but no 404 for GET.
    BadRequest,
    /// 500, for as long as the installation is missing.
    ServerError,
}

/// What `POST /v1/installations/me` answers when the installation already exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExistingInstallation {
    /// 200 with the installation (updated by the body): idempotent.
    #[default]
    Returned,
    /// 409 `INSTALLATION_ALREADY_EXISTS`.
    Conflict,
}

/// Whether `GET /v1/introspect` is there for API keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IntrospectAnswer {
    #[default]
    Available,
    /// 404 as for an unknown route, before auth.
    NotFound,
    /// 403: introspect is not offered to standalone keys.
    Forbidden,
}

/// How introspect's `scope` string joins the scopes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScopeSeparator {
    /// `"a b c"`, OAuth style.
    #[default]
    Space,
    /// `"a,b,c"`.
    Comma,
}

impl ScopeSeparator {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ScopeSeparator::Space => " ",
            ScopeSeparator::Comma => ",",
        }
    }
}

/// Server-supplied text made hostile, to test that the client never lets it reach the terminal raw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostileText {
    #[default]
    Off,
    /// Terminal control sequences and spoofing characters in company names, error bodies,
    /// `authMethod`, `applicationName` and an extra scope.
    Controls,
    /// Company names 10,000 characters long.
    LongNames,
}

/// The names the HTTP switch and the state use, one table per setting.
const MISSING: &[(MissingInstallation, u16)] = &[
    (MissingInstallation::NotFound, 404),
    (MissingInstallation::BadRequest, 400),
    (MissingInstallation::ServerError, 500),
];
const EXISTING: &[(ExistingInstallation, u16)] = &[
    (ExistingInstallation::Returned, 200),
    (ExistingInstallation::Conflict, 409),
];
const INTROSPECT: &[(IntrospectAnswer, u16)] = &[
    (IntrospectAnswer::Available, 200),
    (IntrospectAnswer::NotFound, 404),
    (IntrospectAnswer::Forbidden, 403),
];
const SEPARATORS: &[(ScopeSeparator, &str)] = &[
    (ScopeSeparator::Space, "space"),
    (ScopeSeparator::Comma, "comma"),
];
const HOSTILE: &[(HostileText, &str)] = &[
    (HostileText::Off, "off"),
    (HostileText::Controls, "controls"),
    (HostileText::LongNames, "long_names"),
];

fn name_of<T: PartialEq + Copy, N: Copy>(table: &[(T, N)], value: T) -> Option<N> {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

fn from_name<T: Copy, N: PartialEq>(table: &[(T, N)], name: &N) -> Option<T> {
    table.iter().find(|(_, n)| n == name).map(|(v, _)| *v)
}

fn choices<T, N: ToString>(table: &[(T, N)]) -> String {
    let names: Vec<String> = table.iter().map(|(_, n)| n.to_string()).collect();
    names.join(", ")
}

/// One setting from its JSON value, or the message saying what it takes.
fn setting<T: Copy>(value: &Value, statuses: &[(T, u16)]) -> Result<T, String> {
    value
        .as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .and_then(|n| from_name(statuses, &n))
        .ok_or_else(|| format!("expected one of {}", choices(statuses)))
}

fn named_setting<T: Copy>(value: &Value, names: &[(T, &str)]) -> Result<T, String> {
    value
        .as_str()
        .and_then(|s| from_name(names, &s))
        .ok_or_else(|| format!("expected one of {}", choices(names)))
}

impl Behaviour {
    /// The `behaviour` part of `GET /_sandbox/state`, in the words `POST /_sandbox/behaviour` takes.
    pub(crate) fn to_json(self) -> Value {
        json!({
            "strict": self.strict,
            "missing_installation": name_of(MISSING, self.missing_installation),
            "existing_installation": name_of(EXISTING, self.existing_installation),
            "introspect": name_of(INTROSPECT, self.introspect),
            "scope_separator": name_of(SEPARATORS, self.scope_separator),
            "subject_urn": self.subject_urn,
            "hostile_text": name_of(HOSTILE, self.hostile_text),
        })
    }

    /// Change one setting by its `to_json` name; the error says what it takes.
    pub(crate) fn set(&mut self, name: &str, value: &Value) -> Result<(), String> {
        let flag = || {
            value
                .as_bool()
                .ok_or_else(|| "expected true or false".to_owned())
        };
        match name {
            "strict" => self.strict = flag()?,
            "missing_installation" => self.missing_installation = setting(value, MISSING)?,
            "existing_installation" => self.existing_installation = setting(value, EXISTING)?,
            "introspect" => self.introspect = setting(value, INTROSPECT)?,
            "scope_separator" => self.scope_separator = named_setting(value, SEPARATORS)?,
            "subject_urn" => self.subject_urn = flag()?,
            "hostile_text" => self.hostile_text = named_setting(value, HOSTILE)?,
            _ => return Err("unknown behaviour; GET /_sandbox/state lists them".to_owned()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_round_trips_through_its_json_name() {
        let mut b = Behaviour {
            strict: true,
            missing_installation: MissingInstallation::ServerError,
            existing_installation: ExistingInstallation::Conflict,
            introspect: IntrospectAnswer::Forbidden,
            scope_separator: ScopeSeparator::Comma,
            subject_urn: false,
            hostile_text: HostileText::LongNames,
        };
        let changed = b.to_json();
        let mut back = Behaviour::default();
        for (name, value) in changed.as_object().into_iter().flatten() {
            assert_eq!(back.set(name, value), Ok(()), "{name}");
        }
        assert_eq!(back, b);
        assert_ne!(back, Behaviour::default());
        // Every field is in the JSON, so none can be forgotten by the state or the switch.
        assert_eq!(changed.as_object().map(|o| o.len()), Some(7));
        assert!(
            changed
                .as_object()
                .into_iter()
                .flatten()
                .all(|(_, v)| !v.is_null())
        );

        let default = Behaviour::default().to_json();
        assert_eq!(default["missing_installation"], 404);
        assert_eq!(default["scope_separator"], "space");
        for (name, bad) in [
            ("missing_installation", json!(418)),
            ("existing_installation", json!("409")),
            ("introspect", json!(null)),
            ("scope_separator", json!(",")),
            ("hostile_text", json!(true)),
            ("subject_urn", json!(1)),
            ("nope", json!(true)),
        ] {
            assert!(b.set(name, &bad).is_err(), "{name} {bad}");
        }
        assert_eq!(b.to_json(), changed, "a refused setting changes nothing");
    }
}
