//! The audit log: one JSON object per line, append-only, never the key (only its fingerprint).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::StoreError;
use super::jsonl::{JsonLines, Limits};
use crate::domain::{CompanyId, KeyId, KeySource, Reason};

/// The most read back from the audit log at once (its newest part).
pub const MAX_AUDIT_READ: u64 = 8 * 1024 * 1024;
/// Never trimmed; every line synced.
const LIMITS: Limits = Limits {
    window: MAX_AUDIT_READ,
    cap: None,
    sync: true,
};

/// The kinds, each named once with its name in the log: the enum, [`AuditKind::ALL`] and
/// [`AuditKind::as_str`] all come from the one list.
macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal,)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(into = "&'static str", from = "String")]
        pub enum AuditKind {
            $($(#[$doc])* $kind,)+
        }

        impl AuditKind {
            pub const ALL: &[AuditKind] = &[$(AuditKind::$kind),+];

            /// The name in the log (`key_replaced`, ...).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$kind => $name,)+
                }
            }
        }
    };
}

audit_kinds! {
    KeyEntered = "key_entered",
    ActivationPassed = "activation_passed",
    ActivationFailed = "activation_failed",
    KeyReplaced = "key_replaced",
    /// The previous key after a replacement: delete it in Pleo.
    KeyRetired = "key_retired",
    /// A new key failed; the current one stays.
    ReplacementFailed = "replacement_failed",
    CompanyChangeConfirmed = "company_change_confirmed",
    CompanyChangeDeclined = "company_change_declined",
    RevalidationPassed = "revalidation_passed",
    RevalidationFailed = "revalidation_failed",
    ExpiryRecorded = "expiry_recorded",
    PassphraseChanged = "passphrase_changed",
    KeyForgotten = "key_forgotten",
    /// `forget` could not remove everything; what failed is in the detail.
    ForgetFailed = "forget_failed",
    /// Pleo refused the integration's traffic through the proxy for a missing scope.
    ScopeDenied = "scope_denied",
    /// `proxy --rotate-token`: clients with the old local token are refused from now on.
    ProxyTokenRotated = "proxy_token_rotated",
    /// A kind written by a newer pleo-keys; kept readable rather than dropping the line.
    Unknown = "unknown",
}

impl From<AuditKind> for &'static str {
    fn from(kind: AuditKind) -> &'static str {
        kind.as_str()
    }
}

impl From<String> for AuditKind {
    fn from(name: String) -> AuditKind {
        match name.as_str() {
            // The older name.
            "company_change_refused" => AuditKind::CompanyChangeDeclined,
            name => AuditKind::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == name)
                .unwrap_or(AuditKind::Unknown),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub time: jiff::Timestamp,
    pub event: AuditKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_source: Option<KeySource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
}

impl AuditEvent {
    /// Now, by whom (USER/LOGNAME, else the uid's passwd entry) and from where (SSH client
    /// address), if known.
    pub fn new(event: AuditKind) -> AuditEvent {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let os_user = env("USER")
            .or_else(|| env("LOGNAME"))
            .or_else(passwd_name)
            .map(|u| crate::domain::sanitize(&u, 64));
        let ssh_client = env("SSH_CLIENT")
            .or_else(|| env("SSH_CONNECTION"))
            .and_then(|v| {
                v.split_whitespace()
                    .next()
                    .map(|a| crate::domain::sanitize(a, 64))
            });
        AuditEvent {
            time: jiff::Timestamp::now(),
            event,
            key_fingerprint: None,
            key_hint: None,
            key_source: None,
            company_id: None,
            reason: None,
            detail: None,
            os_user,
            ssh_client,
        }
    }

    /// Records the key's hint and fingerprint, never the key.
    pub fn key(mut self, key: &KeyId) -> Self {
        self.key_fingerprint = Some(key.fingerprint.clone());
        self.key_hint = Some(key.hint.clone());
        self
    }

    pub fn source(mut self, source: KeySource) -> Self {
        self.key_source = Some(source);
        self
    }

    pub fn company(mut self, company_id: CompanyId) -> Self {
        self.company_id = Some(company_id.to_string());
        self
    }

    pub fn reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason.as_str().to_owned());
        self
    }

    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }

    /// The same event with every text field cleaned, for showing it: the log is a file anyone
    /// running as this user could have edited.
    pub fn cleaned(self) -> AuditEvent {
        use crate::domain::sanitize;
        let clean = |s: Option<String>, max| s.map(|s| sanitize(&s, max));
        AuditEvent {
            key_fingerprint: clean(self.key_fingerprint, 16),
            key_hint: clean(self.key_hint, 8),
            company_id: clean(self.company_id, 40),
            reason: clean(self.reason, 40),
            detail: clean(self.detail, 300),
            os_user: clean(self.os_user, 64),
            ssh_client: clean(self.ssh_client, 64),
            ..self
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    file: JsonLines,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog {
            file: JsonLines::new(path, LIMITS),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Append one line, on disk before this returns; concurrent writers never interleave.
    pub fn append(&self, event: AuditEvent) -> Result<(), StoreError> {
        self.file.append(&event)
    }
}

/// All readable events; unparseable lines (a torn last line after a crash) are skipped.
pub fn read_audit(path: &Path) -> Result<Vec<AuditEvent>, StoreError> {
    let (events, skipped) = read_audit_counted(path)?;
    if skipped > 0 {
        tracing::warn!(path = %path.display(), skipped, "skipped unreadable audit log lines");
    }
    Ok(events)
}

/// Like [`read_audit`], also returning how many lines were skipped.
pub fn read_audit_counted(path: &Path) -> Result<(Vec<AuditEvent>, usize), StoreError> {
    AuditLog::new(path).file.read()
}

/// The login name of this process's uid, for an audit line when `$USER` is unset (cron, systemd).
fn passwd_name() -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes strings into `buf`
    // and points `pwd`'s fields there; `result` is null when no entry was found.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr(pwd.pw_name)
            .to_str()
            .ok()
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const KEY: &str = "pls_0123456789abcdef0123456789abcdef_620d75";

    #[test]
    fn append_and_read_back_without_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let log = AuditLog::new(tmp.path().join("audit.log"));
        let (key, _) = crate::secret::ApiKey::parse(KEY).unwrap();
        let company = CompanyId::parse("11111111-1111-4111-8111-111111111111").unwrap();
        log.append(AuditEvent::new(AuditKind::KeyEntered).key(&key.id()))
            .unwrap();
        log.append(
            AuditEvent::new(AuditKind::ActivationPassed)
                .key(&key.id())
                .company(company)
                .reason(Reason::Active)
                .detail("scopes fine"),
        )
        .unwrap();
        let events = read_audit(log.path()).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, AuditKind::KeyEntered);
        assert_eq!(events[1].company_id, Some(company.to_string()));
        assert_eq!(events[1].key_fingerprint, Some(key.fingerprint()));
        assert_eq!(events[1].key_hint, Some(key.hint()));

        let text = std::fs::read_to_string(log.path()).unwrap();
        assert!(!text.contains(key.expose()));
        assert!(!text.contains("0123456789abcdef0123"));
        assert!(text.contains("\"event\":\"activation_passed\""), "{text}");
        assert_eq!(text.lines().count(), 2);

        assert_eq!(crate::store::files::mode_of(log.path()), 0o600);
    }

    #[test]
    fn torn_last_line_is_skipped_and_next_append_starts_fresh() {
        let tmp = tempfile::tempdir().unwrap();
        let log = AuditLog::new(tmp.path().join("audit.log"));
        log.append(AuditEvent::new(AuditKind::KeyEntered)).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"{\"time\":\"2026-01-0").unwrap();
        drop(f);
        let (events, skipped) = read_audit_counted(log.path()).unwrap();
        assert_eq!((events.len(), skipped), (1, 1));

        log.append(AuditEvent::new(AuditKind::KeyForgotten))
            .unwrap();
        let (events, skipped) = read_audit_counted(log.path()).unwrap();
        assert_eq!((events.len(), skipped), (2, 1));
        assert_eq!(events[1].event, AuditKind::KeyForgotten);
    }

    #[test]
    fn missing_log_is_empty_and_unknown_kind_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.log");
        assert!(read_audit(&path).unwrap().is_empty());
        std::fs::write(
            &path,
            "{\"time\":\"2026-01-02T03:04:05Z\",\"event\":\"from_the_future\"}\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_audit(&path).unwrap()[0].event, AuditKind::Unknown);
    }

    #[test]
    fn the_os_user_is_known_even_without_user_in_the_environment() {
        assert!(passwd_name().is_some_and(|n| !n.is_empty()));
    }

    #[test]
    fn kind_names_are_the_logged_ones() {
        for &kind in AuditKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<AuditKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn cleaned_drops_escapes_from_every_shown_field() {
        let mut e = AuditEvent::new(AuditKind::KeyReplaced);
        e.os_user = Some("ops\u{1b}]52;c;aGk=\u{7}".into());
        e.detail = Some("line\nforged \u{202e}txt".into());
        let e = e.cleaned();
        assert_eq!(e.os_user.as_deref(), Some("ops]52;c;aGk="));
        assert_eq!(e.detail.as_deref(), Some("line forged txt"));
    }

    #[test]
    fn old_kind_names_still_read() {
        let e: AuditEvent = serde_json::from_str(
            r#"{"time":"2026-01-02T03:04:05Z","event":"company_change_refused"}"#,
        )
        .unwrap();
        assert_eq!(e.event, AuditKind::CompanyChangeDeclined);
    }

    #[test]
    fn ssh_client_is_first_word() {
        // Only reads the environment; the value depends on how tests are run.
        let e = AuditEvent::new(AuditKind::KeyEntered);
        if let Some(c) = e.ssh_client {
            assert!(!c.contains(' '));
        }
    }
}
