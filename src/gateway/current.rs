//! What the gateway serves with right now: the verdict on the stored key (the one every process
//! of this home shares) and, while traffic may flow, the key itself. Rebuilt whenever the home
//! changes, so a key committed anywhere is used for the next request; a request in flight keeps
//! the key it started with.

use std::sync::Arc;

use crate::domain::{CompanyId, Reason};
use crate::lifecycle::{Engine, Lifecycle, Outcome};
use crate::secret::ApiKey;

/// Whether requests may go to Pleo, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    Open,
    Closed {
        reason: Reason,
        message: String,
        /// Seconds after which asking again may help (a replacement settles in seconds).
        retry_after: Option<u64>,
    },
}

/// The lifecycle decides the traffic (Pleo: normal operation resumes only after successful
/// validation). While Pleo is merely unreachable, rate limiting or failing, requests still go
/// out and Pleo's own answer comes back: the key was valid at the last check.
pub fn gate(outcome: &Outcome) -> Gate {
    let lifecycle = &outcome.lifecycle;
    if lifecycle.is_active() || lifecycle.is_degraded() {
        return Gate::Open;
    }
    let retry_after = match lifecycle {
        Lifecycle::ReplacementPending { .. } | Lifecycle::Activating => Some(5),
        _ => None,
    };
    Gate::Closed {
        reason: outcome.reason,
        message: lifecycle.headline(),
        retry_after,
    }
}

/// One consistent view: the outcome, the key it is about, the company it binds.
#[derive(Debug, Clone)]
pub struct Current {
    pub outcome: Arc<Outcome>,
    /// Present only while the gate is open.
    pub key: Option<Arc<ApiKey>>,
    pub gate: Gate,
}

impl Current {
    /// Read what is stored. The key is loaded only when the gate is open, and only if it is
    /// the one the state names (a stray key is never sent).
    pub async fn load(engine: &Engine, previous: Option<&Current>) -> Current {
        let outcome = engine.status();
        let gate = gate(&outcome);
        let wanted = outcome.facts.as_ref().map(|f| f.key.clone());
        if gate != Gate::Open {
            return Current::closed(outcome, gate);
        }
        // The same key as before: no store round trip (a file store would decrypt again).
        if let (Some(prev), Some(wanted)) = (previous.and_then(|p| p.key.as_ref()), &wanted)
            && prev.id() == *wanted
        {
            return Current {
                key: Some(prev.clone()),
                outcome: Arc::new(outcome),
                gate,
            };
        }
        let refused = |lifecycle: Lifecycle| {
            let outcome = Outcome {
                reason: lifecycle.reason(),
                lifecycle,
                ..outcome.clone()
            };
            let gate = self::gate(&outcome);
            Current::closed(outcome, gate)
        };
        match engine.store.load().await {
            Ok(Some(key)) if Some(key.id()) == wanted => Current {
                key: Some(Arc::new(key)),
                outcome: Arc::new(outcome),
                gate,
            },
            Ok(Some(_)) => refused(Lifecycle::storage(format!(
                "{} holds another key than the state file names; it is never sent. Run: pleo-keys check",
                engine.store.location()
            ))),
            Ok(None) => refused(Lifecycle::NotConfigured),
            Err(e) => refused(Lifecycle::StorageError {
                needs_passphrase: matches!(e, crate::store::StoreError::Locked { .. }),
                detail: e.to_string(),
            }),
        }
    }

    fn closed(outcome: Outcome, gate: Gate) -> Current {
        Current {
            outcome: Arc::new(outcome),
            key: None,
            gate,
        }
    }

    pub fn company(&self) -> Option<CompanyId> {
        self.outcome.facts.as_ref().map(|f| f.company_id)
    }

    /// An organisation-level key: requests without a company get the bound one added.
    pub fn is_organisation_key(&self) -> bool {
        self.outcome
            .facts
            .as_ref()
            .is_some_and(|f| f.organization_id.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Degradation;

    #[test]
    fn only_an_active_or_merely_degraded_integration_lets_traffic_through() {
        let open = [
            Lifecycle::Active,
            Lifecycle::Degraded(Degradation::Unreachable { detail: "x".into() }),
            Lifecycle::Degraded(Degradation::RateLimited { retry_after: None }),
            Lifecycle::Degraded(Degradation::ServerError { status: 503 }),
        ];
        for l in open {
            assert_eq!(gate(&Outcome::bare(l.clone())), Gate::Open, "{l:?}");
        }
        let closed = [
            (Lifecycle::NotConfigured, None),
            (Lifecycle::KeyRejected, None),
            (
                Lifecycle::MissingScopes {
                    missing: vec!["a".into()],
                },
                None,
            ),
            (
                Lifecycle::ReplacementPending {
                    since: jiff::Timestamp::UNIX_EPOCH,
                },
                Some(5),
            ),
            (Lifecycle::storage("x"), None),
        ];
        for (l, wait) in closed {
            match gate(&Outcome::bare(l.clone())) {
                Gate::Closed {
                    reason,
                    retry_after,
                    ..
                } => {
                    assert_eq!(reason, l.reason());
                    assert_eq!(retry_after, wait, "{l:?}");
                }
                Gate::Open => panic!("{l:?} let traffic through"),
            }
        }
    }
}
