//! Behaviour switches: how the sandbox answers where Pleo's docs are silent, each a plausible choice
//! (all INFERRED) that a client must survive. Set from Rust or `POST /_sandbox/behaviour`.

use serde_json::{Value, json};

/// How the sandbox answers where Pleo's docs are silent. `Behaviour::default()` is what it does
/// unless told otherwise; `reset` comes back to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Behaviour {
    /// Refuse query parameters the operation does not document.
    pub strict: bool,
}

impl Behaviour {
    /// The `behaviour` part of `GET /_sandbox/state`, in the words `POST /_sandbox/behaviour` takes.
    pub(crate) fn to_json(self) -> Value {
        json!({ "strict": self.strict })
    }
}
