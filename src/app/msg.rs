//! What reaches `update` (messages) and what it asks the runtime to do (commands). `Debug`
//! never shows a pasted text, a key or a passphrase.

use super::overlay::SandboxAction;
use crate::domain::CompanyId;
use crate::gateway::running::ProxyInfo;
use crate::lifecycle::{Outcome, ReplaceOptions};
use crate::secret::ApiKey;
use crate::store::history::CallEntry;
use ratatui::crossterm::event::KeyEvent;
use secrecy::SecretString;

/// An activation to run, kept so the operator can confirm a company change or choose a company
/// without entering the key again.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// A new key; `None` re-activates the stored one.
    pub key: Option<ApiKey>,
    pub opts: ReplaceOptions,
}

pub enum Msg {
    Key(KeyEvent),
    /// Bracketed paste: one event, never keystrokes that could fire bindings.
    Paste(String),
    Resize(u16, u16),
    /// The runtime's clock moved (spinner frame, countdowns).
    Tick,
    /// The revalidation timer fired.
    CheckDue,
    CheckFinished {
        generation: u64,
        outcome: Box<Outcome>,
    },
    /// A new key, a confirmed company change, a chosen company, or a re-activation finished.
    ActivationFinished {
        generation: u64,
        outcome: Box<Outcome>,
        attempt: Attempt,
    },
    /// Another process changed the stored key or facts: `outcome` is what is stored now.
    StoreChanged(Box<Outcome>),
    /// A call made by this process or (read from the call history) another one.
    Call(CallEntry),
    /// The proxies serving this home changed.
    Proxies(Vec<ProxyInfo>),
    /// The audit log's newest events, oldest first.
    Audit(Vec<crate::store::AuditEvent>),
    /// The check history, oldest first.
    Checks(Vec<crate::store::checks::CheckEntry>),
    /// The file store was unlocked (Ok(has a key)) or not (Err(message)).
    StoreUnlocked(Result<bool, String>),
    /// The expiry date was recorded (the facts now stored) or not (why).
    ExpirySet(Result<Box<crate::domain::ConnectionFacts>, String>),
    SandboxDone(Result<String, String>),
    /// SIGTERM, SIGHUP or SIGINT.
    Shutdown,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Key(ev) => write!(f, "Key({ev:?})"),
            Msg::Paste(text) => write!(f, "Paste(<{} bytes>)", text.len()),
            Msg::Resize(w, h) => write!(f, "Resize({w}, {h})"),
            Msg::Tick => f.write_str("Tick"),
            Msg::CheckDue => f.write_str("CheckDue"),
            Msg::CheckFinished {
                generation,
                outcome,
            } => write!(f, "CheckFinished({generation}, {})", outcome.reason),
            Msg::ActivationFinished {
                generation,
                outcome,
                ..
            } => write!(f, "ActivationFinished({generation}, {})", outcome.reason),
            Msg::StoreChanged(o) => write!(f, "StoreChanged({})", o.reason),
            Msg::Call(c) => write!(f, "Call({} {})", c.method, c.path),
            Msg::Proxies(p) => write!(f, "Proxies({})", p.len()),
            Msg::Audit(e) => write!(f, "Audit({})", e.len()),
            Msg::Checks(c) => write!(f, "Checks({})", c.len()),
            Msg::StoreUnlocked(r) => write!(f, "StoreUnlocked({})", r.is_ok()),
            Msg::ExpirySet(r) => write!(f, "ExpirySet({})", r.is_ok()),
            Msg::SandboxDone(r) => write!(f, "SandboxDone({})", r.is_ok()),
            Msg::Shutdown => f.write_str("Shutdown"),
        }
    }
}

/// `ApiKey` and `SecretString` redact themselves in `Debug`.
#[derive(Debug)]
pub enum Cmd {
    Check {
        generation: u64,
    },
    /// Activate a new key, or re-activate the stored one.
    Activate {
        generation: u64,
        attempt: Attempt,
    },
    /// The operator kept the current company: record it and check the current key again.
    DeclineCompanyChange {
        generation: u64,
        key: ApiKey,
        company: CompanyId,
    },
    /// Replace any pending revalidation timer with one at `at`.
    ScheduleCheck {
        at: jiff::Timestamp,
    },
    Unlock {
        passphrase: SecretString,
    },
    /// Record (or clear) the key's expiry date.
    SetExpiry {
        date: Option<jiff::civil::Date>,
    },
    Sandbox {
        action: SandboxAction,
    },
    /// Put `text` on the terminal's clipboard (OSC 52).
    Copy {
        text: String,
    },
    Quit,
}
