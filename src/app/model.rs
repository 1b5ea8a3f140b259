//! What the dashboard knows. Rendering is a pure function of this.

use super::calls_view::ListView;
use super::overlay::Overlay;
use crate::domain::{ConnectionFacts, Environment, KeySource, Reason};
use crate::gateway::running::ProxyInfo;
use crate::lifecycle::{Lifecycle, ReplaceOptions};
use crate::secret::ApiKey;
use crate::store::history::CallEntry;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

/// Calls kept for the recent-calls panel.
pub const MAX_CALLS: usize = 500;

/// Facts that do not change while the dashboard runs.
#[derive(Debug, Clone)]
pub struct Context {
    pub environment: Environment,
    pub base_url: String,
    pub sandbox: bool,
    pub version: &'static str,
    pub config_file: PathBuf,
    pub state_file: PathBuf,
    pub audit_log: PathBuf,
    pub log_dir: PathBuf,
    /// Where the key is kept, in words ("kernel keyring (forgotten on reboot)", ...).
    pub store: String,
    /// The scopes this integration needs (shown before the first check).
    pub required_scopes: Vec<String>,
    /// The proxy calls to Pleo go through, if any.
    pub proxy: Option<String>,
    pub revalidate_every: Duration,
    /// The sandbox's demo keys (name, key, what it shows); empty outside the sandbox.
    pub demo_keys: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Theme {
    /// The terminal's own background and the 16 ANSI colours.
    Default,
    /// For a light background.
    Light,
    /// For a dark background.
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

impl Banner {
    pub fn new(level: BannerLevel, text: impl Into<String>) -> Banner {
        Banner {
            level,
            text: text.into(),
        }
    }
}

/// A key waiting for something before it is activated (the passphrase of a new key file).
#[derive(Debug)]
pub struct PendingActivation {
    pub key: ApiKey,
    pub opts: ReplaceOptions,
}

/// The whole dashboard.
#[derive(Debug)]
pub struct App {
    pub ctx: Context,
    pub lifecycle: Lifecycle,
    /// The lifecycle's reason, refined for an active key (expiring soon, scopes unverified).
    pub reason: Reason,
    /// The last known facts of the connection: current while active, "last known" otherwise.
    pub facts: Option<ConnectionFacts>,
    pub overlay: Overlay,
    /// Every process's calls (this one's checks, the proxy's and `api`'s traffic), newest
    /// last; bounded to `MAX_CALLS`.
    pub calls: VecDeque<CallEntry>,
    /// The proxies serving this home now.
    pub proxies: Vec<ProxyInfo>,
    /// The lower panel: its view, selection, window and filter.
    pub list: ListView,
    /// The audit log's newest events, oldest first (the audit view).
    pub audit: Vec<crate::store::AuditEvent>,
    /// The check history, oldest first (the checks view).
    pub checks: Vec<crate::store::checks::CheckEntry>,
    /// Bumped when the key changes: results of older runs are dropped.
    pub generation: u64,
    pub check_in_flight: bool,
    /// Rows the help popup is scrolled by (on a terminal too short for all of it).
    pub help_scroll: usize,
    /// The check in flight was asked for with `r` (it does not grow the backoff).
    pub manual_check: bool,
    /// `r` pressed while a check ran: run one more when it ends.
    pub check_again: bool,
    pub next_check_at: Option<jiff::Timestamp>,
    pub last_checked_at: Option<jiff::Timestamp>,
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
    /// The key goes to an encrypted file that does not exist yet and no passphrase is known:
    /// the first key entered asks for one.
    pub needs_new_passphrase: bool,
    /// A key waiting for that passphrase before it is activated.
    pub pending_activation: Option<PendingActivation>,
}

impl App {
    pub fn new(
        ctx: Context,
        facts: Option<ConnectionFacts>,
        has_key: bool,
        theme: Theme,
        now: jiff::Timestamp,
    ) -> App {
        let lifecycle = if has_key {
            Lifecycle::Activating
        } else {
            Lifecycle::NotConfigured
        };
        App {
            ctx,
            reason: lifecycle.reason(),
            lifecycle,
            last_checked_at: facts.as_ref().and_then(|f| f.last_good_check),
            facts,
            overlay: Overlay::None,
            calls: VecDeque::new(),
            proxies: Vec::new(),
            list: ListView::default(),
            audit: Vec::new(),
            checks: Vec::new(),
            generation: 0,
            check_in_flight: false,
            help_scroll: 0,
            manual_check: false,
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
            needs_new_passphrase: false,
            pending_activation: None,
        }
    }

    /// Something on screen moves by itself (a spinner): the runtime ticks fast only then.
    pub fn is_animating(&self) -> bool {
        self.check_in_flight || self.overlay.is_busy()
    }

    /// A relative time or countdown is on screen: a once-a-second redraw is worth it.
    pub fn shows_clock(&self) -> bool {
        self.next_check_at.is_some()
            || self
                .facts
                .as_ref()
                .is_some_and(|f| f.last_good_check.is_some())
    }

    /// Today, as the expiry dates count it.
    pub fn today(&self) -> jiff::civil::Date {
        self.now.to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    pub fn expires_in_days(&self) -> Option<i32> {
        self.facts.as_ref()?.expires_in_days(self.today())
    }

    /// Where the key is, in words: the environment variable, or the store.
    /// Rows in the lower panel's current view.
    pub fn list_len(&self) -> usize {
        match self.list.view {
            super::calls_view::View::Calls => self.list.count(&self.calls),
            super::calls_view::View::Checks => self.checks.len(),
            super::calls_view::View::Audit => self.audit.len(),
        }
    }

    pub fn key_location(&self) -> String {
        match self.facts.as_ref().map(|f| f.key_source) {
            Some(KeySource::Environment) => {
                "the PLEO_API_KEY environment variable (not stored)".into()
            }
            _ => self.ctx.store.clone(),
        }
    }
}

/// "24 s", "4 min 32 s", "2 h 5 min" until `at`; "now" once it has passed.
pub fn countdown(now: jiff::Timestamp, at: jiff::Timestamp) -> String {
    let secs = at.as_second().saturating_sub(now.as_second());
    if secs <= 0 {
        return "now".into();
    }
    human_secs(secs)
}

/// "just now", "2 min ago", "3 h ago", "4 days ago".
pub fn ago(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    let secs = now.as_second().saturating_sub(then.as_second());
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
