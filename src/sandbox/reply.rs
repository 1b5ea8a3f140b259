//! Replies before they become HTTP responses, and the Pleo-style `{type, message}` error helpers.

use serde_json::{Value, json};

pub(crate) const JSON: &str = "application/json;charset=UTF-8";
pub(crate) const HTML: &str = "text/html;charset=UTF-8";

/// One answer, before it becomes an HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    /// None for a body-less answer (204).
    pub content_type: Option<&'static str>,
    /// Lower-case header names.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: Some(JSON),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    /// Pleo's documented error body, `ExceptionInfo`.
    pub(crate) fn error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::json(status, &json!({ "type": kind, "message": message }))
    }

    pub(crate) fn no_content() -> Reply {
        Reply {
            status: 204,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// The value of a header this reply carries.
    #[cfg(test)]
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A switch that worked.
    pub(crate) fn ok() -> Reply {
        Reply::json(200, &json!({ "ok": true }))
    }

    /// A switch that was refused; the switches speak their own `{ok, message}` dialect.
    pub(crate) fn bad_switch(message: &str) -> Reply {
        Reply::json(400, &json!({ "ok": false, "message": message }))
    }
}

pub(crate) fn bad_parameter(message: &str) -> Reply {
    Reply::error(400, "PARAMETER_VALIDATION_FAILED", message)
}

// INFERRED: Pleo documents the 403 status but not its body.
pub(crate) fn forbidden(message: &str) -> Reply {
    Reply::error(403, "ACCESS_DENIED", message)
}

pub(crate) fn no_access_to_company() -> Reply {
    forbidden("The API key has no access to this company")
}

// INFERRED: JSON_MAPPING_EXCEPTION is a documented type, not documented for installations.
pub(crate) fn bad_body(message: &str) -> Reply {
    Reply::error(400, "JSON_MAPPING_EXCEPTION", message)
}

// INFERRED: VALIDATION_FAILED is a documented type; which checks Pleo files under it is not.
pub(crate) fn validation_failed(message: &str) -> Reply {
    Reply::error(400, "VALIDATION_FAILED", message)
}

pub(crate) fn no_route(path: &str) -> Reply {
    Reply::error(404, "NOT_FOUND", &format!("No route for {path}"))
}
