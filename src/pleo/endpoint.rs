//! Which Pleo to talk to: production, staging, or an explicit base URL.

use crate::domain::Environment;
use reqwest::Url;
use std::net::IpAddr;

pub const PRODUCTION_URL: &str = "https://external.pleo.io";
pub const STAGING_URL: &str = "https://external.staging.pleo.io";

/// The API base URL and the name shown for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub environment: Environment,
    pub base_url: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("--base-url {0:?} is not a valid URL: give one like https://external.pleo.io")]
    Invalid(String),
    #[error(
        "--base-url {0} uses plain http to a host that is not this machine: the API key would cross the network unencrypted. Use https, or http only to 127.0.0.1, ::1 or localhost"
    )]
    PlainHttp(String),
    #[error("--base-url {0} must use https (or http to this machine)")]
    Scheme(String),
    #[error("--base-url {0} must not contain a user name, password, query or fragment")]
    Extras(String),
}

impl Endpoint {
    /// Pleo's own URL for production or staging (anything else is production's).
    pub fn for_environment(env: Environment) -> Endpoint {
        let url = match env {
            Environment::Staging => STAGING_URL,
            _ => PRODUCTION_URL,
        };
        Endpoint {
            environment: env,
            // Both constants are valid URLs; parse cannot fail on them.
            base_url: Url::parse(url).unwrap_or_else(|_| unreachable!("constant URL")),
        }
    }

    /// An explicit base URL, checked so that a key can never go out over plain http.
    pub fn custom(raw: &str, environment: Environment) -> Result<Endpoint, EndpointError> {
        let url = Url::parse(raw.trim()).map_err(|_| EndpointError::Invalid(raw.to_string()))?;
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(EndpointError::Extras(raw.to_string()));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(EndpointError::PlainHttp(raw.to_string())),
            _ => return Err(EndpointError::Scheme(raw.to_string())),
        }
        if url.host().is_none() {
            return Err(EndpointError::Invalid(raw.to_string()));
        }
        Ok(Endpoint {
            environment,
            base_url: url,
        })
    }

    /// The base URL is this machine (the sandbox, a local gateway): never through a proxy.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.base_url)
    }

    /// `base` + `path` (path starts with `/`), keeping any path prefix of the base URL.
    pub fn url(&self, path_and_query: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_have_pleos_urls() {
        assert_eq!(
            Endpoint::for_environment(Environment::Production).url("/v1/introspect"),
            "https://external.pleo.io/v1/introspect"
        );
        assert_eq!(
            Endpoint::for_environment(Environment::Staging).url("/v1/introspect"),
            "https://external.staging.pleo.io/v1/introspect"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000/",
            "http://localhost:1",
            "https://pleo.example.com/prefix",
        ] {
            assert!(Endpoint::custom(ok, Environment::Custom).is_ok(), "{ok}");
        }
        let err = Endpoint::custom("http://10.0.0.5", Environment::Custom).unwrap_err();
        assert!(matches!(err, EndpointError::PlainHttp(_)));
        assert!(err.to_string().contains("unencrypted"));
        for (url, kind) in [
            ("http://localhost.evil.com", "PlainHttp"),
            ("ftp://127.0.0.1", "Scheme"),
            ("not a url", "Invalid"),
            ("https://user:pw@pleo.example.com", "Extras"),
        ] {
            let err = Endpoint::custom(url, Environment::Custom).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{url}: {err:?}");
        }
    }

    #[test]
    fn base_path_prefix_is_kept() {
        let e = Endpoint::custom("http://127.0.0.1:1/pleo/", Environment::Custom).unwrap();
        assert_eq!(
            e.url("/v1/introspect"),
            "http://127.0.0.1:1/pleo/v1/introspect"
        );
    }
}
