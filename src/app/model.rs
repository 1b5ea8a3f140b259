//! What the dashboard knows. Rendering is a pure function of this.

use crate::lifecycle::Lifecycle;
use crate::pleo::CallRecord;
use crate::report::Report;
use crate::secret::ApiKey;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// Calls kept for the recent-calls panel.
pub const MAX_CALLS: usize = 500;

/// Facts that do not change while the dashboard runs.
#[derive(Debug, Clone)]
pub struct Context {
    pub environment: String,
    pub base_url: String,
    pub sandbox: bool,
    pub version: &'static str,
    pub config_file: PathBuf,
    pub state_file: PathBuf,
    pub audit_log: PathBuf,
    pub log_dir: PathBuf,
    /// Where the key is kept, in words ("kernel keyring (forgotten on reboot)", ...).
    pub store: String,
    pub revalidate_every: Duration,
    /// The sandbox's demo keys (name, key, what it shows); empty outside the sandbox.
    pub demo_keys: Vec<(String, String, String)>,
}

/// The last known facts about the connection. Kept through transient faults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub key_hint: Option<String>,
    pub key_source: Option<String>,
    pub installation_status: Option<String>,
    pub required_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    pub last_success_at: Option<jiff::Timestamp>,
    pub last_checked_at: Option<jiff::Timestamp>,
    pub expires_on: Option<jiff::civil::Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// The terminal's own background and the 16 ANSI colours.
    Default,
    Light,
    Dark,
    /// No colour: meaning is carried by glyphs and words.
    Mono,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerLevel {
    Info,
    Success,
    Warning,
    Error,
}

/// The one thing that needs attention, with its recovery action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub level: BannerLevel,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    Key,
    Expiry,
}

/// The key-entry modal. The text is zeroed when dropped and only ever drawn as mask characters.
pub struct KeyEntry {
    pub text: Zeroizing<String>,
    pub expiry: String,
    pub focus: KeyField,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub busy: bool,
}

impl Default for KeyEntry {
    fn default() -> Self {
        KeyEntry {
            text: Zeroizing::new(String::new()),
            expiry: String::new(),
            focus: KeyField::Key,
            error: None,
            warning: None,
            busy: false,
        }
    }
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("text", &format_args!("<{} characters>", self.len()))
            .field("expiry", &self.expiry)
            .field("focus", &self.focus)
            .field("error", &self.error)
            .field("busy", &self.busy)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// How many characters have been entered (what the mask shows).
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// A key that belongs to another company than the connected one: explicit choice needed.
#[derive(Debug)]
pub struct ConfirmCompany {
    pub key: ApiKey,
    pub expires_on: Option<jiff::civil::Date>,
    pub current_id: String,
    pub current_name: Option<String>,
    pub new_id: String,
    pub new_name: Option<String>,
    pub busy: bool,
}

/// An organisation-level key: pick one of the organisation's companies.
#[derive(Debug)]
pub struct CompanyPicker {
    pub key: ApiKey,
    pub expires_on: Option<jiff::civil::Date>,
    pub organization_id: String,
    pub companies: Vec<(String, String)>,
    pub selected: usize,
    pub busy: bool,
}

/// The file store's passphrase, asked for in the dashboard instead of on the raw terminal.
#[derive(Default)]
pub struct PassphrasePrompt {
    pub text: Zeroizing<String>,
    pub error: Option<String>,
    pub busy: bool,
    /// Choosing the passphrase of a new key file: asked twice.
    pub creating: bool,
    /// The first entry while the second is typed.
    pub first: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for PassphrasePrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphrasePrompt")
            .field("text", &"<redacted>")
            .field("error", &self.error)
            .field("busy", &self.busy)
            .field("creating", &self.creating)
            .finish_non_exhaustive()
    }
}

/// What the sandbox panel can do to the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAction {
    RevokeKey,
    ExpireKey,
    RestoreKey,
    DropScope,
    InstallationError,
    InstallationInactive,
    RateLimitStorm,
    Outage,
    SlowResponses,
    ClearFaults,
    Reset,
}

impl SandboxAction {
    pub const ALL: [SandboxAction; 11] = [
        SandboxAction::RevokeKey,
        SandboxAction::ExpireKey,
        SandboxAction::RestoreKey,
        SandboxAction::DropScope,
        SandboxAction::InstallationError,
        SandboxAction::InstallationInactive,
        SandboxAction::RateLimitStorm,
        SandboxAction::Outage,
        SandboxAction::SlowResponses,
        SandboxAction::ClearFaults,
        SandboxAction::Reset,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SandboxAction::RevokeKey => "Revoke the current key",
            SandboxAction::ExpireKey => "Expire the current key",
            SandboxAction::RestoreKey => "Restore the current key",
            SandboxAction::DropScope => "Drop export-jobs:write from the current key",
            SandboxAction::InstallationError => "Set the installation to ERROR (NOT_ENTITLED)",
            SandboxAction::InstallationInactive => "Set the installation to INACTIVE",
            SandboxAction::RateLimitStorm => "429 storm (Retry-After 30 s)",
            SandboxAction::Outage => "Outage (503)",
            SandboxAction::SlowResponses => "Slow responses (3 s)",
            SandboxAction::ClearFaults => "Clear faults",
            SandboxAction::Reset => "Reset the sandbox",
        }
    }
}

#[derive(Debug, Default)]
pub struct SandboxPanel {
    /// Index into `SandboxAction::ALL` followed by the demo keys.
    pub selected: usize,
}

#[derive(Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    KeyEntry(KeyEntry),
    ConfirmCompany(ConfirmCompany),
    ChooseCompany(CompanyPicker),
    Passphrase(PassphrasePrompt),
    Help,
    Sandbox(SandboxPanel),
}

/// The result of a check or activation, as the runtime hands it to `update`.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub lifecycle: Lifecycle,
    pub report: Report,
    pub committed: bool,
}

/// The whole dashboard.
#[derive(Debug)]
pub struct App {
    pub ctx: Context,
    pub lifecycle: Lifecycle,
    pub facts: Facts,
    pub banner: Option<Banner>,
    pub overlay: Overlay,
    /// Newest last; bounded to `MAX_CALLS`.
    pub calls: VecDeque<CallRecord>,
    /// Rows scrolled from the newest call.
    pub calls_scroll: usize,
    /// Bumped when the key changes: results of older runs are dropped.
    pub generation: u64,
    pub check_in_flight: bool,
    /// `r` pressed while a check ran: run one more when it ends.
    pub check_again: bool,
    pub next_check_at: Option<jiff::Timestamp>,
    /// Consecutive transient failures, for backoff.
    pub failures: u32,
    /// A key is stored (or supplied by the environment).
    pub has_key: bool,
    pub now: jiff::Timestamp,
    pub spinner: usize,
    pub size: (u16, u16),
    pub theme: Theme,
    pub should_quit: bool,
    /// A one-off message (success, sandbox switch); the state's own banner takes precedence.
    pub notice: Option<Banner>,
    /// A new key failed to activate while another is stored: offer to re-activate that one.
    pub pending_replacement: bool,
    /// The key goes to an encrypted file that does not exist yet and no passphrase is known:
    /// the first key entered asks for one.
    pub needs_new_passphrase: bool,
    /// A key waiting for that passphrase before it is activated.
    pub pending_activation: Option<(ApiKey, crate::lifecycle::engine::ReplaceOptions)>,
}

impl App {
    pub fn new(
        ctx: Context,
        facts: Facts,
        has_key: bool,
        theme: Theme,
        now: jiff::Timestamp,
    ) -> App {
        App {
            ctx,
            lifecycle: if has_key {
                Lifecycle::Activating
            } else {
                Lifecycle::NotConfigured
            },
            facts,
            banner: None,
            overlay: Overlay::None,
            calls: VecDeque::new(),
            calls_scroll: 0,
            generation: 0,
            check_in_flight: false,
            check_again: false,
            next_check_at: None,
            failures: 0,
            has_key,
            now,
            spinner: 0,
            size: (80, 24),
            theme,
            should_quit: false,
            notice: None,
            pending_replacement: false,
            needs_new_passphrase: false,
            pending_activation: None,
        }
    }

    /// Something on screen moves by itself (a spinner): the runtime ticks fast only then.
    pub fn is_animating(&self) -> bool {
        self.check_in_flight
            || matches!(&self.overlay, Overlay::KeyEntry(k) if k.busy)
            || matches!(&self.overlay, Overlay::ConfirmCompany(c) if c.busy)
            || matches!(&self.overlay, Overlay::ChooseCompany(c) if c.busy)
            || matches!(&self.overlay, Overlay::Passphrase(p) if p.busy)
    }

    /// A relative time or countdown is on screen: a once-a-second redraw is worth it.
    pub fn shows_clock(&self) -> bool {
        self.next_check_at.is_some() || self.facts.last_success_at.is_some()
    }
}

impl App {
    /// The one thing that needs attention, with its recovery action and key.
    pub fn banner(&self) -> Option<Banner> {
        use crate::app::keymap::Action;
        use crate::lifecycle::Degradation;
        let k = Action::EnterKey.key_label();
        let a = Action::Reactivate.key_label();
        let r = Action::Revalidate.key_label();
        let retry = match self.next_check_at {
            Some(at) => format!("retrying in {} ({r} to retry now)", countdown(self.now, at)),
            None => format!("press {r} to retry"),
        };
        let (level, mut text) = match &self.lifecycle {
            Lifecycle::NotConfigured => (
                BannerLevel::Info,
                format!("No API key yet. Press {k} to enter one."),
            ),
            Lifecycle::Activating | Lifecycle::InvalidKeyFormat { .. } => {
                return self.notice.clone();
            }
            Lifecycle::Active { .. } => {
                if let Some(days) = self.expires_in_days()
                    && days <= crate::lifecycle::activation::EXPIRY_WARNING_DAYS
                {
                    let when = if days < 0 {
                        "has passed its recorded expiry date".to_string()
                    } else if days == 0 {
                        "expires today".to_string()
                    } else {
                        format!("expires in {days} day{}", if days == 1 { "" } else { "s" })
                    };
                    (
                        BannerLevel::Warning,
                        format!(
                            "The API key {when}: create a replacement key in Pleo, then press {k}."
                        ),
                    )
                } else {
                    return self.notice.clone();
                }
            }
            Lifecycle::KeyRejected => (
                BannerLevel::Error,
                format!(
                    "API key rejected: it may have expired or been revoked. Press {k} to enter a new key."
                ),
            ),
            Lifecycle::AccessDenied { detail } => (
                BannerLevel::Error,
                format!(
                    "Pleo denied access with this key ({detail}). Press {k} to enter a new key."
                ),
            ),
            Lifecycle::MissingScopes { missing } => (
                BannerLevel::Error,
                format!(
                    "Key lacks {}: create a key with {} in Pleo, then press {k}.",
                    missing.join(", "),
                    if missing.len() == 1 {
                        "that permission"
                    } else {
                        "those permissions"
                    }
                ),
            ),
            Lifecycle::InstallationInactive { status, error_code } => match error_code.as_deref() {
                Some("NOT_ENTITLED") => (
                    BannerLevel::Error,
                    format!(
                        "Installation {status} (NOT_ENTITLED): ask Pleo to enable the app for this company, then press {a}."
                    ),
                ),
                Some("AUTH_ERROR") => (
                    BannerLevel::Error,
                    format!("Installation {status} (AUTH_ERROR): press {k} to enter a new key."),
                ),
                _ => (
                    BannerLevel::Error,
                    format!("The Pleo installation is {status}: press {a} to re-activate it."),
                ),
            },
            Lifecycle::CompanyMismatch { expected, got } => (
                BannerLevel::Warning,
                format!(
                    "The key belongs to company {got}, not {expected}: nothing was switched. Press {k} to enter another key."
                ),
            ),
            Lifecycle::CompanyRequired { .. } => (
                BannerLevel::Warning,
                format!(
                    "An organisation-level key needs a company: press {k} and enter it again to choose one."
                ),
            ),
            Lifecycle::Superseded { detail } => (
                BannerLevel::Warning,
                format!(
                    "{detail} Press {a} to re-activate the previous key, or {k} to enter another."
                ),
            ),
            Lifecycle::Degraded(Degradation::RateLimited { .. }) => (
                BannerLevel::Warning,
                format!("Pleo is rate limiting requests: {retry}."),
            ),
            Lifecycle::Degraded(Degradation::Unreachable { .. }) => {
                (BannerLevel::Warning, format!("Pleo unreachable: {retry}."))
            }
            Lifecycle::Degraded(Degradation::ServerError { status }) => (
                BannerLevel::Warning,
                format!("Pleo server error ({status}): {retry}."),
            ),
            Lifecycle::Degraded(Degradation::UnexpectedResponse { detail }) => (
                BannerLevel::Warning,
                format!("Unexpected response from Pleo ({detail}): {retry}."),
            ),
            Lifecycle::StorageError { detail } => (BannerLevel::Error, detail.clone()),
        };
        if self.pending_replacement
            && !matches!(
                self.lifecycle,
                Lifecycle::Superseded { .. } | Lifecycle::Degraded(_)
            )
            && level == BannerLevel::Error
        {
            text.push_str(&format!(" Or press {a} to re-activate the previous key."));
        }
        Some(Banner { level, text })
    }

    pub fn expires_in_days(&self) -> Option<i32> {
        let today = self.now.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.facts
            .expires_on
            .and_then(|d| today.until(d).ok())
            .map(|span| span.get_days())
    }
}

/// "24 s", "4 min 32 s", "2 h 5 min" until `at`; "now" once it has passed.
pub fn countdown(now: jiff::Timestamp, at: jiff::Timestamp) -> String {
    let secs = at.as_second() - now.as_second();
    if secs <= 0 {
        return "now".into();
    }
    human_secs(secs)
}

/// "just now", "2 min ago", "3 h ago", "4 days ago".
pub fn ago(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    let secs = now.as_second() - then.as_second();
    if secs < 10 {
        "just now".into()
    } else {
        format!("{} ago", human_secs(secs))
    }
}

fn human_secs(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => {
            let (m, s) = (s / 60, s % 60);
            if s == 0 {
                format!("{m} min")
            } else {
                format!("{m} min {s} s")
            }
        }
        s if s < 86_400 => {
            let (h, m) = (s / 3600, (s % 3600) / 60);
            if m == 0 {
                format!("{h} h")
            } else {
                format!("{h} h {m} min")
            }
        }
        s => {
            let d = s / 86_400;
            format!("{d} day{}", if d == 1 { "" } else { "s" })
        }
    }
}
