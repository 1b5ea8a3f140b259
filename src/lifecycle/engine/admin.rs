//! Changes to what is stored that need no call to Pleo: the recorded expiry date, forgetting
//! everything, and the key file's passphrase.

use super::Engine;
use crate::domain::{ConnectionFacts, KeyId};
use crate::store::{AuditEvent, AuditKind, LastCheck, Replacement, State, StoreError};
use jiff::civil::Date;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no key is set up in this home: run pleo-keys set-key first")]
    NoKey,
    #[error("{date} is in the past: give the expiry date Pleo shows for the key, or `none`")]
    PastDate { date: Date },
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// What `forget` removed, and what it could not.
#[derive(Debug, Default)]
pub struct Forgotten {
    pub key: Option<KeyId>,
    pub company: Option<String>,
    pub removed: Vec<String>,
    pub failures: Vec<String>,
}

impl Engine {
    /// Record (or clear) the key's expiry date without touching the key.
    pub async fn set_expiry(&self, date: Option<Date>) -> Result<ConnectionFacts, AdminError> {
        if let Some(d) = date
            && d < self.today()
        {
            return Err(AdminError::PastDate { date: d });
        }
        let _lock = self.home.lock().await?;
        let state = self.home.state()?.ok_or(AdminError::NoKey)?;
        let facts = ConnectionFacts {
            expires_on: date,
            ..state.facts.clone()
        };
        self.home.save(&State {
            generation: state.generation + 1,
            facts: facts.clone(),
            ..state
        })?;
        self.home.audit(
            AuditEvent::new(AuditKind::ExpiryRecorded)
                .key(&facts.key)
                .company(facts.company_id)
                .detail(&match date {
                    Some(d) => format!("expires on {d}"),
                    None => "no expiry date".to_string(),
                }),
        );
        Ok(facts)
    }

    /// Encrypt the stored key again under a new passphrase (the file store, unlocked).
    pub async fn change_passphrase(&self, new: SecretString) -> Result<(), AdminError> {
        let _lock = self.home.lock().await?;
        self.store.change_passphrase(new).await?;
        let mut event = AuditEvent::new(AuditKind::PassphraseChanged);
        if let Ok(Some(state)) = self.home.state() {
            event = event.key(&state.facts.key);
        }
        self.home.audit(event);
        Ok(())
    }

    /// Remove the key, the state and the last check. The audit log says what actually happened.
    pub async fn forget(&self) -> Result<Forgotten, StoreError> {
        let _lock = self.home.lock().await?;
        let mut done = Forgotten::default();
        match self.home.state() {
            Ok(Some(s)) => {
                done.key = Some(s.facts.key.clone());
                done.company = Some(s.facts.company_label());
            }
            Ok(None) => {}
            // A damaged state file is removed like the rest.
            Err(e) => tracing::info!(error = %e, "forgetting a state file that does not read"),
        }
        match self.store.delete().await {
            Ok(true) => done
                .removed
                .push(format!("the key from {}", self.store.location())),
            Ok(false) => {}
            Err(e) => done.failures.push(format!("the key: {e}")),
        }
        let paths = &self.home.paths;
        for (path, remove) in [
            (&paths.state_file, Home::remove::<State> as fn(&Home) -> _),
            (&paths.last_check_file, Home::remove::<LastCheck>),
            (&paths.replacement_file, Home::remove::<Replacement>),
        ] {
            match remove(&self.home) {
                Ok(true) => done.removed.push(path.display().to_string()),
                Ok(false) => {}
                Err(e) => done.failures.push(format!("{}: {e}", path.display())),
            }
        }
        let kind = if done.failures.is_empty() {
            AuditKind::KeyForgotten
        } else {
            AuditKind::ForgetFailed
        };
        if !done.removed.is_empty() || !done.failures.is_empty() {
            let mut event = AuditEvent::new(kind).detail(&if done.failures.is_empty() {
                format!("removed {}", done.removed.join(", "))
            } else {
                format!(
                    "removed {}; could not remove {}",
                    if done.removed.is_empty() {
                        "nothing".to_string()
                    } else {
                        done.removed.join(", ")
                    },
                    done.failures.join("; ")
                )
            });
            if let Some(k) = &done.key {
                event = event.key(k);
            }
            self.home.audit(event);
        }
        Ok(done)
    }
}

use crate::store::Home;
