use clap::Parser;
use pleo_keys::cli::Cli;
use pleo_keys::commands::{self, EXIT_UNKNOWN};

fn main() {
    disable_core_dumps();
    // Panics print a short report, never a stack trace full of internals; no env dump.
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    // Before any thread starts: threads inherit the session keyring, so joining one here (when the
    // process has none, or a revoked one) makes the kernel keyring usable from every thread.
    let _ = pleo_keys::store::secret_store::ensure_session_keyring();
    let code = match Cli::try_parse() {
        Ok(cli) => match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(commands::run(cli)),
            Err(e) => {
                eprintln!("pleo-keys: could not start the async runtime: {e}");
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

/// A core dump of a process holding the key would put it on disk.
fn disable_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid, fully initialised struct; failure only leaves dumps as they were.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
    }
}
