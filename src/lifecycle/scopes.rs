//! Comparing the scopes a key was granted with the ones the integration needs.

/// The export integration's needs, used when neither config nor `--require-scope` says otherwise.
pub const DEFAULT_REQUIRED_SCOPES: &[&str] =
    &["export-jobs:read", "export-jobs:write", "export-items:read"];

/// Required scopes that were not granted, in the order they were required.
pub fn missing(required: &[String], granted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in required {
        if !granted.iter().any(|g| g == r) && !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

/// Granted scopes beyond the required ones (least privilege: worth showing).
pub fn extra(required: &[String], granted: &[String]) -> Vec<String> {
    granted
        .iter()
        .filter(|g| !required.contains(g))
        .cloned()
        .collect()
}

/// Normalise a user-given list: trimmed, no empties, no duplicates, order kept.
pub fn normalise<I: IntoIterator<Item = S>, S: AsRef<str>>(scopes: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        for part in s.as_ref().split([' ', ',']) {
            let part = part.trim();
            if !part.is_empty() && !out.iter().any(|o| o == part) {
                out.push(part.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn missing_and_extra() {
        let required = v(&["export-jobs:read", "export-jobs:write", "export-items:read"]);
        let granted = v(&["export-items:read", "export-jobs:read", "users:read"]);
        assert_eq!(missing(&required, &granted), ["export-jobs:write"]);
        assert_eq!(extra(&required, &granted), ["users:read"]);
        assert!(missing(&required, &required).is_empty());
        assert!(missing(&[], &granted).is_empty());
    }

    #[test]
    fn scope_names_are_exact() {
        // `export-jobs:read` does not imply `export-jobs:write`, and case matters.
        assert_eq!(
            missing(
                &v(&["export-jobs:write"]),
                &v(&["export-jobs:read", "EXPORT-JOBS:WRITE"])
            ),
            ["export-jobs:write"]
        );
    }

    #[test]
    fn normalise_splits_and_dedups() {
        assert_eq!(
            normalise(["a:read b:write", " a:read,c:read ", ""]),
            ["a:read", "b:write", "c:read"]
        );
    }
}
