use clap::Parser;
use pleo_keys::cli::Cli;
use pleo_keys::commands::{self, EXIT_UNKNOWN};

fn main() {
    pleo_keys::hardening::harden_process();
    install_panic_hook();
    // Before any thread starts: threads inherit the session keyring, so joining one here (when the
    // process has none, or a revoked one) makes the kernel keyring usable from every thread.
    let _ = pleo_keys::store::secret::kernel::ensure_session_keyring();
    let code = match Cli::try_parse() {
        Ok(cli) => match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(commands::run(cli)),
            Err(e) => {
                commands::output::err(&format!("could not start the async runtime: {e}"));
                EXIT_UNKNOWN
            }
        },
        Err(e) => {
            let _ = e.print();
            // Usage errors are "unknown" (3), not "critical" (2): monitoring must not confuse them.
            if e.use_stderr() { EXIT_UNKNOWN } else { 0 }
        }
    };
    std::process::exit(code);
}

/// A panic is a bug: the operator gets one line (no backtrace, no environment), the log the
/// details. The terminal is restored first by the dashboard's own hook, which runs before this.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        tracing::error!(%location, %message, "panic");
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("pleo-keys: internal error ({location}); details are in the log file. Please report it.\n")
                .as_bytes(),
        );
    }));
}
