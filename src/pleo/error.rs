//! Every way a call to Pleo can fail, classified so the lifecycle can decide what it means.

use crate::domain::Text;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkKind {
    Connect,
    Timeout,
    Tls,
    Other,
}

/// A failed Pleo call. `Display` is one sentence for an operator; it never holds the key,
/// headers or a response body beyond Pleo's own `{type, message}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: expired, revoked, deleted or from the other environment; Pleo does not say which.
    #[error("Pleo rejected the API key (401)")]
    KeyRejected,
    /// 403, with Pleo's `{type, message}` when it sent one.
    #[error("Pleo refused the request (403{})", pleo_detail(.error_type, .message))]
    Forbidden {
        error_type: Option<Text>,
        message: Option<Text>,
    },
    #[error("not found (404{})", pleo_detail(.error_type, .message))]
    NotFound {
        error_type: Option<Text>,
        message: Option<Text>,
    },
    /// Any other 4xx: our request was wrong, so retrying cannot help.
    #[error("Pleo rejected the request ({status}{})", pleo_detail(.error_type, .message))]
    Client {
        status: u16,
        error_type: Option<Text>,
        message: Option<Text>,
    },
    #[error("Pleo is rate limiting requests (429{})", retry_hint(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error("Pleo had a server error ({status})")]
    Server { status: u16 },
    #[error("could not reach Pleo: {detail}")]
    Network { kind: NetworkKind, detail: String },
    #[error("unexpected response from Pleo: {detail}")]
    Unexpected { detail: String },
}

fn pleo_detail(error_type: &Option<Text>, message: &Option<Text>) -> String {
    match (error_type, message) {
        (Some(t), Some(m)) => format!(" {t}: {m}"),
        (Some(t), None) => format!(" {t}"),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    }
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(", retry after {} s", d.as_secs()),
        None => String::new(),
    }
}

impl ApiError {
    /// Short machine name, used in the recent-calls record and logs.
    pub fn class(&self) -> &'static str {
        match self {
            ApiError::KeyRejected => "key_rejected",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Client { .. } => "client_error",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Server { .. } => "server_error",
            ApiError::Network { kind, .. } => match kind {
                NetworkKind::Connect => "connect_error",
                NetworkKind::Timeout => "timeout",
                NetworkKind::Tls => "tls_error",
                NetworkKind::Other => "network_error",
            },
            ApiError::Unexpected { .. } => "unexpected_response",
        }
    }

    /// The HTTP status behind the error, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::KeyRejected => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Client { status, .. } | ApiError::Server { status } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Network { .. } | ApiError::Unexpected { .. } => None,
        }
    }

    /// 429, 5xx and network faults may pass; 4xx never do.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. } | ApiError::Server { .. } | ApiError::Network { .. }
        )
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error) -> ApiError {
        let kind = if err.is_timeout() {
            NetworkKind::Timeout
        } else if err.is_connect() {
            if chain_mentions(err, &["certificate", "tls", "handshake"]) {
                NetworkKind::Tls
            } else {
                NetworkKind::Connect
            }
        } else {
            NetworkKind::Other
        };
        let detail = match kind {
            NetworkKind::Timeout => "the request timed out".to_string(),
            NetworkKind::Tls => format!("TLS failed ({})", root_cause(err)),
            NetworkKind::Connect => format!("connection failed ({})", root_cause(err)),
            NetworkKind::Other => root_cause(err),
        };
        ApiError::Network { kind, detail }
    }
}

/// The innermost error message: "Connection refused (os error 111)" rather than reqwest's chain.
/// reqwest errors carry the URL, never headers, and our URLs never carry the key. A TLS error
/// may quote what the server sent, so it is sanitised like any server text.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    crate::domain::sanitize(&cur.to_string(), 300)
}

fn chain_mentions(err: &(dyn std::error::Error + 'static), words: &[&str]) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().to_ascii_lowercase();
        if words.iter().any(|w| text.contains(w)) {
            return true;
        }
        cur = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_the_retryable_ones() {
        assert!(ApiError::RateLimited { retry_after: None }.is_transient());
        assert!(ApiError::Server { status: 503 }.is_transient());
        assert!(
            ApiError::Network {
                kind: NetworkKind::Connect,
                detail: String::new()
            }
            .is_transient()
        );
        assert!(!ApiError::KeyRejected.is_transient());
        assert!(
            !ApiError::Forbidden {
                error_type: None,
                message: None
            }
            .is_transient()
        );
        assert!(
            !ApiError::Unexpected {
                detail: String::new()
            }
            .is_transient()
        );
    }

    #[test]
    fn messages_carry_pleos_type_and_message() {
        let e = ApiError::Forbidden {
            error_type: Some(Text::new("ACCESS_DENIED")),
            message: Some(Text::new("Missing scope companies:read")),
        };
        assert_eq!(
            e.to_string(),
            "Pleo refused the request (403 ACCESS_DENIED: Missing scope companies:read)"
        );
        let e = ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(24)),
        };
        assert_eq!(
            e.to_string(),
            "Pleo is rate limiting requests (429, retry after 24 s)"
        );
    }
}
