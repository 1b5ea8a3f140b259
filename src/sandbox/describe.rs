//! The human description of a running sandbox: its URL, demo keys, companies and every switch as a
//! curl command.

use super::demo::*;

pub(crate) fn describe_at(url: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Pleo sandbox (a local fake of Pleo's External API) at {url}\n\n"
    ));
    out.push_str("Demo keys (public fakes, safe to copy):\n");
    let width = DEMO_KEYS.iter().map(|k| k.name.len()).max().unwrap_or(0);
    for k in DEMO_KEYS {
        out.push_str(&format!(
            "  {:width$}  {}\n  {:width$}  {}\n",
            k.name, k.key, "", k.shows
        ));
    }
    out.push_str("\nCompanies:\n");
    for c in DEMO_COMPANIES {
        out.push_str(&format!(
            "  {:22} {}  (organisation {})\n",
            c.name, c.id, c.organization_id
        ));
    }
    out.push_str(&format!(
        "  (organisation {NORTHWIND_ORG_ID} is {NORTHWIND_ORG_NAME})\n"
    ));
    let json = "-H 'Content-Type: application/json'";
    let post = |path: &str, body: Option<&str>| match body {
        Some(b) => format!("  curl -s -X POST {url}/_sandbox/{path} {json} -d '{b}'\n"),
        None => format!("  curl -s -X POST {url}/_sandbox/{path}\n"),
    };
    out.push_str(&format!(
        "\nTry it:\n  curl -s -u '{HEALTHY_KEY}:' {url}/v1/introspect\n"
    ));
    out.push_str("\nSwitches (no auth needed):\n");
    out.push_str(&format!("  curl -s {url}/_sandbox/state\n"));
    out.push_str(&post("keys/healthy/revoke", None));
    out.push_str(&post("keys/healthy/expire", None));
    out.push_str(&post("keys/healthy/restore", None));
    out.push_str(&post(
        "keys/healthy/scopes",
        Some(
            r#"{"scopes":["export-jobs:read","export-items:read","companies:read","users:read"]}"#,
        ),
    ));
    out.push_str(&post(
        "installation",
        Some(&format!(
            r#"{{"resource":"urn:pleo:company:{ACME_ID}","status":"ERROR","errorCode":"NOT_ENTITLED","locked":true}}"#
        )),
    ));
    out.push_str(&post(
        "installation/delete",
        Some(&format!(r#"{{"resource":"urn:pleo:company:{ACME_ID}"}}"#)),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"rate_limit":{"retry_after_secs":5,"http_date":false,"count":3}}"#),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"outage":{"status":503,"count":null}}"#),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"outage":{"status":502,"count":2}}"#),
    ));
    out.push_str(&post("faults", Some(r#"{"slow_ms":2000}"#)));
    out.push_str(&post(
        "faults",
        Some(r#"{"malformed":{"kind":"not_json","count":1}}"#),
    ));
    out.push_str(&post("faults/clear", None));
    out.push_str(&post("strict", Some(r#"{"strict":true}"#)));
    out.push_str(&post(
        "behaviour",
        Some(r#"{"missing_installation":500,"existing_installation":409,"introspect":403}"#),
    ));
    out.push_str(&post(
        "behaviour",
        Some(r#"{"scope_separator":"comma","subject_urn":false,"hostile_text":"controls"}"#),
    ));
    out.push_str(&post("reset", None));
    out.push_str(
        "\nFault counts run down per affected request (null = until cleared); a fault set to null is cleared.\n\
         Strict mode answers 400 to any query parameter the operation does not document.\n\
         Behaviours (reset restores them): missing_installation 404|400|500, existing_installation\n\
         200|409, introspect 200|404|403, scope_separator space|comma, subject_urn true|false,\n\
         hostile_text off|controls|long_names.\n\
         Rejected keys answer one generic 401; the fake-only header X-Sandbox-Reason says why.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_lists_keys_and_switches() {
        let text = describe_at("http://127.0.0.1:1234");
        for k in DEMO_KEYS {
            assert!(text.contains(k.key) && text.contains(k.name), "{}", k.name);
        }
        assert!(text.contains("curl -s http://127.0.0.1:1234/_sandbox/state"));
        assert!(text.contains("/_sandbox/faults/clear"));
    }
}
