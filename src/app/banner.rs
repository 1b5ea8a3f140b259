//! The one thing that needs attention, with its recovery action and the key that does it.

use super::keymap::{Action, key_label};
use super::model::{App, Banner, BannerLevel, countdown};
use super::overlay::Overlay;
use crate::domain::InstallationErrorCode;
use crate::lifecycle::{Degradation, EXPIRY_WARNING_DAYS, Lifecycle};

impl App {
    /// The banner: the lifecycle's message with its recovery action, or the latest notice. The
    /// action ("press e …") is left out while a dialog is open: that dialog is the action.
    pub fn banner(&self) -> Option<Banner> {
        let (level, what, action) = self.lifecycle_banner()?;
        let text = match action {
            Some(action) if matches!(self.overlay, Overlay::None) => format!("{what} {action}"),
            _ => what,
        };
        Some(Banner::new(level, text))
    }

    /// The notice shown under a lifecycle banner (a sandbox switch's confirmation), if both.
    pub fn second_banner(&self) -> Option<Banner> {
        let notice = self.notice.as_ref()?;
        let first = self.banner()?;
        (first.text != notice.text).then(|| notice.clone())
    }

    fn lifecycle_banner(&self) -> Option<(BannerLevel, String, Option<String>)> {
        let k = key_label(Action::EnterKey);
        let a = key_label(Action::Reactivate);
        let r = key_label(Action::Revalidate);
        let retry = if self.check_in_flight {
            "retrying now".to_string()
        } else {
            match self.next_check_at {
                Some(at) if at > self.now => {
                    format!("retrying in {} ({r} to retry now)", countdown(self.now, at))
                }
                Some(_) => "retrying now".to_string(),
                None => format!("press {r} to retry"),
            }
        };
        let press_k = |what: &str| Some(format!("Press {k} to {what}."));
        let scopes = self.ctx.required_scopes.join(", ");
        Some(match &self.lifecycle {
            Lifecycle::NotConfigured => (
                BannerLevel::Info,
                format!("No API key yet. Create one in Pleo (Settings → API keys) with {scopes}."),
                press_k("enter it"),
            ),
            Lifecycle::Activating | Lifecycle::InvalidKeyFormat { .. } => {
                return self.notice_parts();
            }
            Lifecycle::Active => match self.expires_in_days() {
                Some(days) if days <= EXPIRY_WARNING_DAYS => {
                    let when = if days < 0 {
                        "has passed its recorded expiry date".to_string()
                    } else if days == 0 {
                        "expires today".to_string()
                    } else {
                        format!("expires in {days} day{}", if days == 1 { "" } else { "s" })
                    };
                    (
                        BannerLevel::Warning,
                        format!("The API key {when}: create a replacement key in Pleo."),
                        Some(format!("Then press {k}.")),
                    )
                }
                _ => return self.notice_parts(),
            },
            Lifecycle::KeyRejected => {
                let expired_on = self
                    .facts
                    .as_ref()
                    .and_then(|f| f.expires_on)
                    .filter(|_| self.expires_in_days().is_some_and(|d| d < 0));
                let what = match expired_on {
                    Some(date) => format!(
                        "API key rejected: it expired on {date} (its recorded expiry date)."
                    ),
                    // Pleo answers 401 alike for both; saying which would be a guess.
                    None => "API key rejected: revoked, expired or deleted in Pleo (Pleo does not say which).".to_string(),
                };
                (BannerLevel::Error, what, press_k("enter a new key"))
            }
            Lifecycle::AccessDenied { detail } => (
                BannerLevel::Error,
                format!("Pleo denied access with this key ({detail})."),
                press_k("enter a new key"),
            ),
            Lifecycle::MissingScopes { missing } => (
                BannerLevel::Error,
                format!(
                    "Key lacks {}: create a key with {} in Pleo.",
                    missing.join(", "),
                    if missing.len() == 1 {
                        "that permission"
                    } else {
                        "those permissions"
                    }
                ),
                Some(format!("Then press {k}.")),
            ),
            Lifecycle::InstallationInactive { status, error_code } => {
                let status = status
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "gone".into());
                match error_code {
                    Some(InstallationErrorCode::NotEntitled) => (
                        BannerLevel::Error,
                        format!(
                            "Installation {status} (NOT_ENTITLED): ask Pleo to enable the app for this company."
                        ),
                        Some(format!("Then press {a}.")),
                    ),
                    Some(InstallationErrorCode::AuthError) => (
                        BannerLevel::Error,
                        format!("Installation {status} (AUTH_ERROR)."),
                        press_k("enter a new key"),
                    ),
                    _ => (
                        BannerLevel::Error,
                        format!("The Pleo installation is {status}."),
                        Some(format!("Press {a} to re-activate it.")),
                    ),
                }
            }
            Lifecycle::CompanyMismatch { expected, got, .. } => (
                BannerLevel::Error,
                format!("The key belongs to company {got}, not {expected}: nothing was switched."),
                press_k("enter another key"),
            ),
            Lifecycle::CompanyRequired { .. } => (
                BannerLevel::Error,
                "An organisation-level key needs a company.".to_string(),
                Some(format!("Press {k} and enter it again to choose one.")),
            ),
            Lifecycle::ReplacementPending { .. } => (
                BannerLevel::Error,
                "A key replacement did not finish: the stored key is being checked again."
                    .to_string(),
                Some(format!("({r} to check now)")),
            ),
            Lifecycle::Degraded(d) => {
                let what = match d {
                    Degradation::RateLimited { .. } => "Pleo is rate limiting requests".to_string(),
                    Degradation::Unreachable { .. } => "Pleo unreachable".to_string(),
                    Degradation::ServerError { status } => format!("Pleo server error ({status})"),
                    Degradation::UnexpectedResponse { detail } => {
                        format!("Unexpected response from Pleo ({detail})")
                    }
                };
                (BannerLevel::Warning, format!("{what}: {retry}."), None)
            }
            Lifecycle::StorageError {
                needs_passphrase: true,
                detail,
            } => (
                BannerLevel::Warning,
                detail.clone(),
                Some(format!(
                    "Press {} to enter its passphrase, or {k} to enter another key.",
                    key_label(Action::Unlock)
                )),
            ),
            Lifecycle::StorageError { detail, .. } => (BannerLevel::Error, detail.clone(), None),
        })
    }

    fn notice_parts(&self) -> Option<(BannerLevel, String, Option<String>)> {
        self.notice
            .as_ref()
            .map(|n| (n.level, n.text.clone(), None))
    }
}
