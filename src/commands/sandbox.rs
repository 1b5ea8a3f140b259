//! `pleo-keys sandbox`: the fake Pleo in the foreground until a signal ends it.

use super::EXIT_UNKNOWN;
use super::output::outln;
use crate::cli::SandboxArgs;
use crate::sandbox::{DEMO_KEYS, Sandbox};

pub async fn serve(args: &SandboxArgs) -> i32 {
    let sandbox = match Sandbox::start(args.port).await {
        Ok(s) => s,
        Err(e) => {
            super::output::err(&format!(
                "could not start the sandbox on 127.0.0.1:{}: {e}",
                args.port
            ));
            return EXIT_UNKNOWN;
        }
    };
    if args.json {
        let keys: Vec<_> = DEMO_KEYS
            .iter()
            .map(|k| serde_json::json!({"name": k.name, "key": k.key, "shows": k.shows}))
            .collect();
        outln(&serde_json::json!({"url": sandbox.url(), "demo_keys": keys}).to_string());
    } else {
        outln(&sandbox.describe());
        outln(&format!(
            "Point pleo-keys at it (with a home of its own, so your real state is untouched):\n  pleo-keys --base-url {} --home /tmp/pleo-keys-demo --secret-store file set-key",
            sandbox.url()
        ));
        outln("\nPress Ctrl-C to stop.");
    }
    crate::signals::wait_for_shutdown().await;
    drop(sandbox);
    0
}
