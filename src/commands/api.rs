//! `api PATH`: one call to Pleo with the stored key, scoped like the proxy: for an operator
//! proving that a scope works (`pleo-keys api /v3/export-jobs`).

use std::io::{IsTerminal, Read};
use std::time::Instant;

use super::EXIT_UNKNOWN;
use super::exec::{EXIT_NOT_ACTIVE, ready};
use super::output::{err, out};
use super::setup::Setup;
use crate::cli::ApiArgs;
use crate::gateway::proxy::{MAX_REQUEST_BODY, MAX_RESPONSE_BODY};
use crate::gateway::scope;
use crate::pleo::PleoClient;
use crate::store::history::{CallEntry, CallHistory, CallSource};

pub async fn run(setup: &Setup, args: &ApiArgs) -> i32 {
    let request = match Request::from_args(args) {
        Ok(r) => r,
        Err(msg) => {
            err(&msg);
            return EXIT_UNKNOWN;
        }
    };
    let current = match ready(setup, "api").await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (Some(key), Some(company)) = (&current.key, current.company()) else {
        return EXIT_NOT_ACTIVE;
    };
    let params = setup.settings.config.company_params();
    let add_to = current.is_organisation_key().then_some(&params);
    let scoped = match scope::scope(
        &request.path,
        request.query.as_deref(),
        &request.body,
        company,
        add_to,
    ) {
        Ok(s) => s,
        Err(v) => {
            err(&format!(
                "{} {:?} is not the connected company {company}; nothing was sent",
                v.field, v.value
            ));
            return EXIT_NOT_ACTIVE;
        }
    };
    let target = scoped.target(&request.path);
    let auth = match PleoClient::authorization(key) {
        Ok(a) => a,
        Err(e) => {
            err(&e.to_string());
            return EXIT_UNKNOWN;
        }
    };
    let engine = &setup.engine;
    let http = match setup.client.http() {
        Ok(h) => h,
        Err(e) => {
            err(&e.to_string());
            return EXIT_UNKNOWN;
        }
    };
    let mut call = http
        .request(request.method.clone(), engine.endpoint.url(&target))
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::ACCEPT, "application/json");
    if !request.body.is_empty() {
        call = call
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body.clone());
    }
    let started = Instant::now();
    let at = jiff::Timestamp::now();
    let answer = match call.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            read_capped(resp).await.map(|body| (status, body))
        }
        Err(e) => Err(crate::pleo::ApiError::from_reqwest(&e)),
    };
    let history = CallHistory::new(&engine.home.paths.call_history);
    let (status, failure) = match &answer {
        Ok((status, _)) => (Some(*status), None),
        Err(e) => (None, Some(e.class().to_string())),
    };
    let _ = history.append(&CallEntry {
        at,
        source: CallSource::Api,
        pid: std::process::id(),
        method: request.method.as_str().to_string(),
        path: target,
        status,
        failure,
        refused: None,
        latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        error: None,
        retry_after_secs: None,
        run: None,
    });
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            err(&format!("{e}"));
            return EXIT_UNKNOWN;
        }
    };
    print_body(&body);
    if status == 401 {
        // Pleo refused the key: record it now, so every process sees it.
        let checked = engine.check().await;
        err(&format!(
            "Pleo refused the key (HTTP 401); checked again: {}",
            checked.lifecycle.headline()
        ));
    } else if !(200..300).contains(&status) {
        err(&format!("HTTP {status}"));
    }
    match status {
        200..=299 => 0,
        400..=499 => 2,
        _ => EXIT_UNKNOWN,
    }
}

struct Request {
    method: reqwest::Method,
    path: String,
    query: Option<String>,
    body: Vec<u8>,
}

impl Request {
    fn from_args(args: &ApiArgs) -> Result<Request, String> {
        let (path, query) = match args.path.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (args.path.clone(), None),
        };
        if !path.starts_with('/') {
            return Err(format!(
                "{:?} is not a path: give one like /v3/export-jobs",
                crate::domain::sanitize(&args.path, 80)
            ));
        }
        let has_body = !args.fields.is_empty() || args.input.is_some();
        let method = match &args.method {
            Some(m) => reqwest::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
                .map_err(|_| {
                    format!("{:?} is not an HTTP method", crate::domain::sanitize(m, 20))
                })?,
            None if has_body => reqwest::Method::POST,
            None => reqwest::Method::GET,
        };
        let mut fields = serde_json::Map::new();
        let mut query_pairs =
            url::form_urlencoded::Serializer::new(query.clone().unwrap_or_default());
        let in_query = matches!(
            method,
            reqwest::Method::GET | reqwest::Method::DELETE | reqwest::Method::HEAD
        );
        for field in &args.fields {
            let Some((k, v)) = field.split_once('=') else {
                return Err(format!(
                    "-f {:?}: write it as KEY=VALUE",
                    crate::domain::sanitize(field, 60)
                ));
            };
            if in_query {
                query_pairs.append_pair(k, v);
            } else {
                fields.insert(k.to_string(), serde_json::Value::String(v.to_string()));
            }
        }
        let query = Some(query_pairs.finish()).filter(|q| !q.is_empty());
        let body = match (&args.input, fields.is_empty()) {
            (Some(_), false) => {
                return Err("give the body either with --input or with -f fields, not both".into());
            }
            (Some(file), true) => read_input(file)?,
            (None, false) => serde_json::Value::Object(fields).to_string().into_bytes(),
            (None, true) => Vec::new(),
        };
        Ok(Request {
            method,
            path,
            query,
            body,
        })
    }
}

fn read_input(file: &std::path::Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let cap = MAX_REQUEST_BODY as u64 + 1;
    let read = if file.as_os_str() == "-" {
        std::io::stdin().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("could not read {}: {e}", file.display()))?;
    if bytes.len() > MAX_REQUEST_BODY {
        return Err(format!(
            "the body is larger than {} KiB",
            MAX_REQUEST_BODY / 1024
        ));
    }
    Ok(bytes)
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, crate::pleo::ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| crate::pleo::ApiError::from_reqwest(&e))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BODY {
            return Err(crate::pleo::ApiError::Unexpected {
                detail: format!("the answer is larger than {} MiB", MAX_RESPONSE_BODY >> 20),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Pretty JSON on a terminal (with control characters escaped); the bytes as they came otherwise.
fn print_body(body: &[u8]) {
    if std::io::stdout().is_terminal() {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )),
            Err(_) => out(&crate::domain::sanitize(
                &String::from_utf8_lossy(body),
                1 << 20,
            )),
        }
    } else {
        super::output::out_bytes(body);
    }
}
