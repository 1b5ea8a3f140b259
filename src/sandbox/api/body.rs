//! Request bodies: reading a JSON object, and the installation request schemas
//! (`CreateClientInstallationRequest`, `UpdateInstallationRequest`) kept as data and enforced the
//! way the published spec states them.

use serde_json::{Map, Value};

use crate::sandbox::reply::{Reply, bad_body, validation_failed};

/// `InstallationStatus` in the App Marketplace spec.
pub(crate) const STATUSES: &[&str] = &[
    "ACTIVATED",
    "INACTIVE",
    "AUTHORIZED",
    "PENDING_INTEGRATION",
    "ERROR",
];
/// `InstallationErrorCode` in the App Marketplace spec.
pub(crate) const ERROR_CODES: &[&str] = &["NOT_ENTITLED", "AUTH_ERROR"];

/// What a property of a request schema holds. None of them is nullable.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string from this enum.
    Enum(&'static [&'static str]),
    /// `type: object, additionalProperties: {type: object}`: an object whose values are objects.
    ObjectOfObjects,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const METADATA: Field = Field {
    name: "metadata",
    kind: Kind::ObjectOfObjects,
    required: false,
};

/// `CreateClientInstallationRequest`
pub(crate) const CREATE_INSTALLATION: &[Field] = &[
    METADATA,
    Field {
        name: "status",
        kind: Kind::Enum(STATUSES),
        required: false,
    },
];

/// `UpdateInstallationRequest`
pub(crate) const UPDATE_INSTALLATION: &[Field] = &[
    Field {
        name: "errorCode",
        kind: Kind::Enum(ERROR_CODES),
        required: false,
    },
    METADATA,
    Field {
        name: "status",
        kind: Kind::Enum(STATUSES),
        required: true,
    },
];

/// A request body that must be a JSON object.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // INFERRED: the spec marks these bodies required; Spring answers a missing one with 400.
        return Err(bad_body("Required request body is missing"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_body("Request body must be a JSON object")),
        Err(_) => Err(bad_body("Malformed JSON request body")),
    }
}

/// A body checked against `schema`: every field it names is valid, so callers may read them.
// INFERRED: properties outside the schema are ignored (Spring's default); a value of the wrong
// JSON type, a null or an unknown enum value is a JSON_MAPPING_EXCEPTION, as reading it fails; an
// object that reads but breaks `additionalProperties` is VALIDATION_FAILED.
pub(crate) fn checked(body: &[u8], schema: &[Field]) -> Result<Map<String, Value>, Reply> {
    let map = json_object(body)?;
    for field in schema {
        let name = field.name;
        match (map.get(name), field.kind) {
            (None, _) if field.required => {
                return Err(bad_body(&format!(
                    "Validation failed for request body: {name} is required"
                )));
            }
            (None, _) => {}
            (Some(Value::Null), _) => {
                return Err(bad_body(&format!("{name} must not be null")));
            }
            (Some(Value::String(s)), Kind::Enum(allowed)) if allowed.contains(&s.as_str()) => {}
            (Some(_), Kind::Enum(allowed)) => {
                return Err(bad_body(&format!(
                    "{name} must be one of {}",
                    allowed.join(", ")
                )));
            }
            (Some(Value::Object(inner)), Kind::ObjectOfObjects) => {
                if let Some((key, _)) = inner.iter().find(|(_, v)| !v.is_object()) {
                    return Err(validation_failed(&format!(
                        "{name}.{key} must be a JSON object"
                    )));
                }
            }
            (Some(_), Kind::ObjectOfObjects) => {
                return Err(bad_body(&format!("{name} must be a JSON object")));
            }
        }
    }
    Ok(map)
}

/// A string field of a checked body.
pub(crate) fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(body: &str, schema: &[Field]) -> Result<(), (u16, String)> {
        checked(body.as_bytes(), schema).map(|_| ()).map_err(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            (r.status, v["type"].as_str().unwrap_or_default().to_owned())
        })
    }

    #[test]
    fn bodies_are_checked_against_their_schema() {
        let mapping = Err((400, "JSON_MAPPING_EXCEPTION".to_owned()));
        let validation = Err((400, "VALIDATION_FAILED".to_owned()));
        for (body, want) in [
            ("{}", Ok(())),
            (
                r#"{"status":"ERROR","metadata":{"a":{},"b":{"c":1}},"x":null}"#,
                Ok(()),
            ),
            ("", mapping.clone()),
            ("nope", mapping.clone()),
            ("[]", mapping.clone()),
            (r#"{"status":null}"#, mapping.clone()),
            (r#"{"status":"BROKEN"}"#, mapping.clone()),
            (r#"{"status":1}"#, mapping.clone()),
            (r#"{"metadata":null}"#, mapping.clone()),
            (r#"{"metadata":[]}"#, mapping.clone()),
            (r#"{"metadata":"x"}"#, mapping.clone()),
            (r#"{"metadata":{"createdBy":"x"}}"#, validation.clone()),
            (r#"{"metadata":{"n":1}}"#, validation.clone()),
            (r#"{"metadata":{"ok":{},"list":[]}}"#, validation.clone()),
        ] {
            assert_eq!(kind(body, CREATE_INSTALLATION), want, "{body}");
        }
        for (body, want) in [
            (r#"{"status":"ERROR","errorCode":"AUTH_ERROR"}"#, Ok(())),
            ("{}", mapping.clone()),
            (r#"{"status":null}"#, mapping.clone()),
            (r#"{"status":"ERROR","errorCode":"NOPE"}"#, mapping.clone()),
            (r#"{"status":"ERROR","errorCode":null}"#, mapping.clone()),
            (
                r#"{"status":"ERROR","metadata":{"a":"b"}}"#,
                validation.clone(),
            ),
        ] {
            assert_eq!(kind(body, UPDATE_INSTALLATION), want, "{body}");
        }
        let map = checked(br#"{"status":"INACTIVE"}"#, UPDATE_INSTALLATION).unwrap_or_default();
        assert_eq!(string(&map, "status").as_deref(), Some("INACTIVE"));
        assert_eq!(string(&map, "errorCode"), None);
        assert_eq!(json!(map), json!({"status": "INACTIVE"}));
    }

    /// The tables above must say what the vendored spec says.
    #[test]
    fn the_schemas_match_the_vendored_spec() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/contract/pleo-app-marketplace-openapi.yml"
        );
        let text = std::fs::read_to_string(path).expect("read the vendored spec");
        let spec: Value = serde_norway::from_str(&text).expect("parse the vendored spec");
        let schemas = &spec["components"]["schemas"];
        let resolve = |s: &Value| -> Value {
            match s["$ref"].as_str() {
                Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
                None => s.clone(),
            }
        };
        for (name, table) in [
            ("CreateClientInstallationRequest", CREATE_INSTALLATION),
            ("UpdateInstallationRequest", UPDATE_INSTALLATION),
        ] {
            let schema = &schemas[name];
            let props = schema["properties"].as_object().expect(name);
            let names: Vec<&str> = table.iter().map(|f| f.name).collect();
            let spec_names: Vec<&str> = props.keys().map(String::as_str).collect();
            assert_eq!(names, spec_names, "{name}");
            let required: Vec<&str> = table
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name)
                .collect();
            let spec_required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(required, spec_required, "{name}");
            for field in table {
                let prop = resolve(&props[field.name]);
                assert_ne!(prop["nullable"], json!(true), "{name}.{}", field.name);
                match field.kind {
                    Kind::Enum(values) => {
                        assert_eq!(json!(values), prop["enum"], "{name}.{}", field.name)
                    }
                    Kind::ObjectOfObjects => {
                        assert_eq!(prop["type"], "object");
                        assert_eq!(prop["additionalProperties"], json!({"type": "object"}));
                    }
                }
            }
        }
    }
}
