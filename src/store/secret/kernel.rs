//! The Linux kernel keyring: per login session, in kernel memory, forgotten on reboot. A tmux
//! server that outlived its SSH login holds a revoked session keyring; a fresh one is joined.

use keyring_core::CredentialStore;
use std::io;
use std::sync::Arc;

use super::keyring::keyring_problem;

/// The kernel keyring's store, after making sure this thread has a live session keyring.
/// Returns whether a fresh session keyring had to be joined.
pub(super) fn open() -> Result<(Arc<CredentialStore>, bool), String> {
    let fresh = ensure_session_keyring().map_err(|e| format!("no usable session keyring: {e}"))?;
    let store: Arc<CredentialStore> =
        linux_keyutils_keyring_store::Store::new().map_err(|e| keyring_problem(&e))?;
    Ok((store, fresh))
}

/// Join a fresh anonymous session keyring when this thread's is missing or revoked: keys
/// written to a revoked one can never be read back. Returns whether one was joined.
///
/// The session keyring is per thread and inherited by threads started later, so `main` calls
/// this before it starts the tokio runtime; the store also calls it before each use.
pub fn ensure_session_keyring() -> io::Result<bool> {
    const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
    // SAFETY: keyctl with integer arguments only; no memory is passed to the kernel.
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        )
    };
    if id >= 0 {
        return Ok(false);
    }
    let why = io::Error::last_os_error();
    tracing::info!(error = %why, "session keyring unusable; joining a new one");
    // SAFETY: a NULL name asks for a new anonymous session keyring; nothing else is passed.
    let joined = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if joined >= 0 {
        Ok(true)
    } else {
        Err(io::Error::last_os_error())
    }
}
