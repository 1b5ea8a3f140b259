//! A process holding the key keeps it to itself: no core dump (it would put the key on disk), no
//! ptrace or /proc/PID/mem reads by the same user's other processes, and every file it creates
//! private to its owner. `exec` gives its program the user's own settings back.

use std::sync::OnceLock;

/// What the process started with, for the program `exec` runs.
#[derive(Clone, Copy)]
struct Original {
    umask: libc::mode_t,
    core: libc::rlimit,
}

static ORIGINAL: OnceLock<Original> = OnceLock::new();

/// Call first thing in `main`, before any thread starts.
pub fn harden_process() {
    // SAFETY: getrlimit/setrlimit read and write a valid struct; prctl and umask take integers
    // only. A failure leaves the process as it was, which is reported where it matters (`status`).
    unsafe {
        let mut core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_CORE, &mut core);
        let umask = libc::umask(0o077);
        let _ = ORIGINAL.set(Original { umask, core });
        // The soft limit only, so `exec` can give its program its own back. Non-dumpable
        // processes write no core anyway.
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: core.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// In a child between fork and exec: the umask and core limit the user had. Async-signal-safe.
pub fn restore_for_child() {
    if let Some(o) = ORIGINAL.get() {
        // SAFETY: umask and setrlimit are async-signal-safe and take valid arguments.
        unsafe {
            libc::umask(o.umask);
            libc::setrlimit(libc::RLIMIT_CORE, &o.core);
        }
    }
}
