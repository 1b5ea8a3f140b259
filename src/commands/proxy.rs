//! `proxy`: the local gateway in the foreground, until SIGTERM or Ctrl-C.

use super::output::{err, outln};
use super::setup::Setup;
use super::{EXIT_UNKNOWN, prompt};
use crate::cli::ProxyArgs;
use crate::gateway::Gateway;
use crate::gateway::current::Gate;
use crate::gateway::listen::{Bound, DEFAULT_LISTEN, Listen};
use crate::gateway::token::ProxyToken;
use crate::store::{AuditEvent, AuditKind};

pub async fn run(setup: &Setup, args: &ProxyArgs) -> i32 {
    let engine = &setup.engine;
    let paths = &engine.home.paths;
    if setup.settings.env_key.is_some() {
        err("PLEO_API_KEY is set: the proxy uses the stored key and ignores it");
    }
    if let Some(note) = &setup.settings.revalidate_note {
        err(&format!("Note: {note}"));
    }
    if let Err(msg) = prompt::unlock_store(&engine.store, false).await {
        err(&msg);
        return EXIT_UNKNOWN;
    }
    let token = if args.rotate_token {
        let made = ProxyToken::rotate(&paths.proxy_token);
        if made.is_ok() {
            engine
                .home
                .audit(AuditEvent::new(AuditKind::ProxyTokenRotated));
        }
        made
    } else {
        ProxyToken::load_or_create(&paths.proxy_token)
    };
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            err(&format!("the proxy's token: {e}"));
            return EXIT_UNKNOWN;
        }
    };
    let listen = args
        .listen
        .clone()
        .or_else(|| setup.settings.config.proxy_listen())
        .unwrap_or_else(default_listen);
    let bound = match Bound::bind(&listen).await {
        Ok(b) => b,
        Err(msg) => {
            err(&msg);
            return EXIT_UNKNOWN;
        }
    };
    let url = bound.url();
    let http = match setup.client.http() {
        Ok(h) => h.clone(),
        Err(e) => {
            err(&e.to_string());
            return EXIT_UNKNOWN;
        }
    };
    let gateway = Gateway::new(
        engine.clone(),
        http,
        token,
        setup.settings.config.company_params(),
    )
    .await;
    let info = crate::gateway::running::ProxyInfo::announce(paths, &url);
    outln(&format!("pleo-keys proxy listening on {url}"));
    let current = gateway.current();
    match &current.gate {
        Gate::Open => err(&format!(
            "Serving company {} with key {}; clients send the token in {} as their API key.",
            current
                .outcome
                .facts
                .as_ref()
                .map(|f| f.company_label())
                .unwrap_or_default(),
            current
                .outcome
                .facts
                .as_ref()
                .map(|f| f.key.hint.clone())
                .unwrap_or_default(),
            paths.proxy_token.display()
        )),
        Gate::Closed { message, .. } => err(&format!(
            "Not serving yet: {message} Requests get 503 until the key is active; the proxy follows changes made by other pleo-keys commands."
        )),
    }
    tracing::info!(%url, "proxy started");
    crate::gateway::server::serve(
        gateway,
        bound,
        setup.settings.revalidate_every,
        crate::signals::wait_for_shutdown(),
    )
    .await;
    drop(info);
    tracing::info!("proxy stopped");
    0
}

fn default_listen() -> Listen {
    DEFAULT_LISTEN
        .parse()
        .unwrap_or(Listen::Tcp(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            8790,
        ))))
}
