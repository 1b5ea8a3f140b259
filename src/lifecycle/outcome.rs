//! The typed result of a run: what state it ended in and why, the facts it established, the
//! steps, whether anything was committed. The CLI's report and the dashboard are views of it.

use super::state::Lifecycle;
use super::steps::Step;
use crate::domain::{ConnectionFacts, KeyId, KeySource, Reason};
use jiff::Timestamp;
use jiff::civil::Date;

/// What a replacement did to the key that was in use.
#[derive(Debug, Clone)]
pub enum Replaced {
    /// The new key is committed; the old one should now be deleted in Pleo.
    Retired { old: KeyId },
    /// The new key was not used. The current key stays; `check` is its fresh check, when one
    /// was made (not while Pleo is not answering, nor while the operator is asked).
    Kept {
        current: KeyId,
        check: Option<Box<Outcome>>,
    },
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub lifecycle: Lifecycle,
    /// The lifecycle's reason, refined for an active key (expiring soon, scopes unverified).
    pub reason: Reason,
    /// What the run established (or, for a run that could not ask Pleo, what is stored).
    pub facts: Option<ConnectionFacts>,
    /// The key the run used.
    pub key: Option<KeyId>,
    pub key_source: Option<KeySource>,
    pub steps: Vec<Step>,
    /// Something was stored (a key, new facts).
    pub committed: bool,
    pub checked_at: Option<Timestamp>,
    /// Secondary remarks (key shape warnings, where the key is kept, inferred behaviour).
    pub notes: Vec<String>,
    pub replaced: Option<Replaced>,
}

impl Outcome {
    /// A result without a run: no key, a storage problem, a refused key text.
    pub fn bare(lifecycle: Lifecycle) -> Outcome {
        Outcome {
            reason: lifecycle.reason(),
            lifecycle,
            facts: None,
            key: None,
            key_source: None,
            steps: Vec::new(),
            committed: false,
            checked_at: None,
            notes: Vec::new(),
            replaced: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.lifecycle.is_active()
    }

    pub fn exit_code(&self) -> i32 {
        self.reason.status().exit_code()
    }

    /// Days until the recorded expiry, as of `today`.
    pub fn expires_in_days(&self, today: Date) -> Option<i32> {
        self.facts.as_ref()?.expires_in_days(today)
    }
}

/// The reason for a state: an active key may still warn (expiring within 14 days, or scopes
/// Pleo could not confirm).
pub fn verdict(lifecycle: &Lifecycle, facts: Option<&ConnectionFacts>, today: Date) -> Reason {
    if !lifecycle.is_active() {
        return lifecycle.reason();
    }
    let Some(facts) = facts else {
        return Reason::Active;
    };
    if facts
        .expires_in_days(today)
        .is_some_and(|d| d <= super::activation::EXPIRY_WARNING_DAYS)
    {
        Reason::ExpiresSoon
    } else if facts.granted_scopes.is_none() {
        Reason::ScopesUnverified
    } else {
        Reason::Active
    }
}
