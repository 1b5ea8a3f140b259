//! Whether calls to Pleo go through a proxy, and which: the standard variables (`HTTPS_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`, lower case too), as the HTTP client honours them for https. A base URL
//! on this machine never uses one (the client is built without), so a plain-http key never leaves.

use super::Endpoint;

/// The proxy used for `endpoint`, credentials hidden; `None` when the calls go direct.
pub fn in_use(endpoint: &Endpoint) -> Option<String> {
    in_use_with(endpoint, |name| std::env::var(name).ok())
}

/// [`in_use`] with the environment given (tests).
pub fn in_use_with(endpoint: &Endpoint, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    if endpoint.is_loopback() {
        return None;
    }
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env(n))
            .filter(|v| !v.trim().is_empty())
    };
    let host = endpoint.base_url.host_str()?.to_ascii_lowercase();
    if let Some(no_proxy) = var(&["NO_PROXY", "no_proxy"])
        && excluded(&host, &no_proxy)
    {
        return None;
    }
    let proxy = match endpoint.base_url.scheme() {
        "https" => var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
        _ => var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
    }?;
    Some(shown(&proxy))
}

/// `NO_PROXY`: `*`, or comma-separated hosts and domains (a leading dot or not).
fn excluded(host: &str, no_proxy: &str) -> bool {
    no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.trim_start_matches('.').to_ascii_lowercase();
        entry == "*"
            || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
    })
}

/// The proxy's address without a user name or password.
fn shown(proxy: &str) -> String {
    match url::Url::parse(proxy) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            crate::domain::sanitize(u.as_str().trim_end_matches('/'), 200)
        }
        Err(_) => crate::domain::sanitize(proxy, 200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Environment;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn prod() -> Endpoint {
        Endpoint::for_environment(Environment::Production)
    }

    #[test]
    fn https_uses_the_standard_variables_and_hides_credentials() {
        let vars = [("HTTPS_PROXY", "http://user:secret@proxy.corp:3128")];
        assert_eq!(
            in_use_with(&prod(), env(&vars)).as_deref(),
            Some("http://proxy.corp:3128")
        );
        let vars = [("all_proxy", "socks5://proxy.corp:1080")];
        assert!(in_use_with(&prod(), env(&vars)).is_some());
        assert_eq!(in_use_with(&prod(), env(&[])), None);
        // http_proxy is for plain http only.
        let vars = [("http_proxy", "http://proxy.corp:3128")];
        assert_eq!(in_use_with(&prod(), env(&vars)), None);
    }

    #[test]
    fn no_proxy_and_this_machine_go_direct() {
        for no in [
            "pleo.io",
            ".pleo.io",
            "external.pleo.io",
            "*",
            "a.com, pleo.io",
        ] {
            let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", no)];
            assert_eq!(in_use_with(&prod(), env(&vars)), None, "{no}");
        }
        let vars = [("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "notpleo.io")];
        assert!(in_use_with(&prod(), env(&vars)).is_some());
        let local = Endpoint::custom("http://127.0.0.1:8080", Environment::Sandbox).unwrap();
        let vars = [("http_proxy", "http://p:1"), ("ALL_PROXY", "http://p:1")];
        assert_eq!(in_use_with(&local, env(&vars)), None);
    }
}
