//! The one thing that needs attention, with its recovery action and the key that does it.

use super::keymap::{Action, key_label};
use super::model::{App, Banner, BannerLevel, countdown};
use crate::domain::InstallationErrorCode;
use crate::lifecycle::{Degradation, EXPIRY_WARNING_DAYS, Lifecycle};

impl App {
    pub fn banner(&self) -> Option<Banner> {
        let k = key_label(Action::EnterKey);
        let a = key_label(Action::Reactivate);
        let r = key_label(Action::Revalidate);
        let retry = match self.next_check_at {
            Some(at) => format!("retrying in {} ({r} to retry now)", countdown(self.now, at)),
            None => format!("press {r} to retry"),
        };
        let (level, text) = match &self.lifecycle {
            Lifecycle::NotConfigured => (
                BannerLevel::Info,
                format!("No API key yet. Press {k} to enter one."),
            ),
            Lifecycle::Activating | Lifecycle::InvalidKeyFormat { .. } => {
                return self.notice.clone();
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
                        format!(
                            "The API key {when}: create a replacement key in Pleo, then press {k}."
                        ),
                    )
                }
                _ => return self.notice.clone(),
            },
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
            Lifecycle::InstallationInactive { status, error_code } => {
                let status = status
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "gone".into());
                match error_code {
                    Some(InstallationErrorCode::NotEntitled) => (
                        BannerLevel::Error,
                        format!(
                            "Installation {status} (NOT_ENTITLED): ask Pleo to enable the app for this company, then press {a}."
                        ),
                    ),
                    Some(InstallationErrorCode::AuthError) => (
                        BannerLevel::Error,
                        format!(
                            "Installation {status} (AUTH_ERROR): press {k} to enter a new key."
                        ),
                    ),
                    _ => (
                        BannerLevel::Error,
                        format!("The Pleo installation is {status}: press {a} to re-activate it."),
                    ),
                }
            }
            Lifecycle::CompanyMismatch { expected, got, .. } => (
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
            Lifecycle::ReplacementPending { .. } => (
                BannerLevel::Warning,
                format!(
                    "A key replacement did not finish: the stored key is being checked again ({r} to check now)."
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
            Lifecycle::StorageError {
                needs_passphrase: true,
                detail,
            } => (
                BannerLevel::Error,
                format!(
                    "{detail} Press {} to enter its passphrase, or {k} to enter another key.",
                    key_label(Action::Unlock)
                ),
            ),
            Lifecycle::StorageError { detail, .. } => (BannerLevel::Error, detail.clone()),
        };
        Some(Banner::new(level, text))
    }
}
