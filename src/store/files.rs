//! Every file in the home folder is opened here, and treated as hostile until checked: links are
//! not followed, only regular files are read (a FIFO would hang), reads are capped, and a file or
//! folder another user owns or can write is refused. Writes are crash-safe: a reader sees the old
//! file or the new one, never half of either.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;

/// The most read from the state and last-check files; they are a few KiB.
pub const MAX_STATE_BYTES: u64 = 256 * 1024;
/// The most read from an encrypted key file; one holds a few hundred bytes.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
/// The most read from the config file.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// Who may read a file besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// Secrets: owner only (no group or other bits at all).
    OwnerOnly,
    /// Others may read (not write): the config file, which a user may keep 0644.
    AnyoneMayRead,
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn unsafe_file(path: &Path, problem: String, fix: String) -> StoreError {
    StoreError::Unsafe {
        path: path.to_path_buf(),
        problem,
        fix,
    }
}

/// Refuse what another user owns or could have changed.
fn check_owner_and_mode(
    path: &Path,
    meta: &std::fs::Metadata,
    readers: Readers,
) -> Result<(), StoreError> {
    if meta.uid() != euid() {
        return Err(unsafe_file(
            path,
            format!("it belongs to another user (uid {})", meta.uid()),
            format!(
                "make it yours (`chown $(id -u) {}`) or remove it",
                path.display()
            ),
        ));
    }
    let mode = meta.mode() & 0o777;
    let forbidden = match readers {
        Readers::OwnerOnly => 0o077,
        Readers::AnyoneMayRead => 0o022,
    };
    if mode & forbidden != 0 {
        let (what, want) = match readers {
            Readers::OwnerOnly => ("other users can read or change it", "600"),
            Readers::AnyoneMayRead => ("other users can change it", "600"),
        };
        return Err(unsafe_file(
            path,
            format!("{what} (mode {mode:03o})"),
            format!("run `chmod {want} {}`", path.display()),
        ));
    }
    Ok(())
}

fn open_error(path: &Path, action: &'static str, e: io::Error) -> StoreError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return unsafe_file(
            path,
            "it is a symbolic link, which pleo-keys never follows in its home".into(),
            format!(
                "replace the link with a regular file, or remove it: `rm {}`",
                path.display()
            ),
        );
    }
    StoreError::io(action, path, e)
}

/// Open an existing file for reading without following a link or blocking on a FIFO, and check
/// it is a regular file of ours. `None` when it does not exist.
pub fn open_read(path: &Path, readers: Readers) -> Result<Option<File>, StoreError> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(path, "read", e)),
    };
    check_opened(path, &file, readers)?;
    Ok(Some(file))
}

/// The whole file, at most `cap` bytes; `None` when it does not exist.
pub fn read_private(
    path: &Path,
    cap: u64,
    readers: Readers,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(file) = open_read(path, readers)? else {
        return Ok(None);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > cap {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            size: len,
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow between fstat and read: never read past the cap.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io("read", path, e))?;
    if bytes.len() as u64 > cap {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(Some(bytes))
}

/// Parse a JSON file; `None` when missing. A corrupt file is an error and is never rewritten.
pub fn read_json<T: DeserializeOwned>(path: &Path, cap: u64) -> Result<Option<T>, StoreError> {
    match read_private(path, cap, Readers::OwnerOnly)? {
        None => Ok(None),
        Some(bytes) => parse_json(path, &bytes).map(Some),
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })
}

/// Serialize `value` as pretty JSON and replace `path` with it atomically (mode 0600).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Encode {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Replace `path` with `bytes`: a new temp file (0600, never an existing one or a link) in the
/// same folder, fsync, rename over the target (which replaces a link rather than following it),
/// fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = parent_dir(path);
    let tmp = temp_path(path);
    let result = write_temp(&tmp, bytes)
        .map_err(|e| open_error(&tmp, "write", e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| StoreError::io("replace", path, e)));
    if let Err(e) = result {
        // Best effort: a stray temp file is harmless but untidy.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Without this the rename itself may be lost on power failure.
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("sync folder", &dir, e))
}

fn write_temp(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A name unique within this process and across processes (pid), hidden, next to the target.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    parent_dir(path).join(format!(".{name}.tmp.{}.{n}", std::process::id()))
}

/// Open for appending (the audit log, histories), creating it 0600 if missing; never a link,
/// a FIFO or somebody else's file. With `O_APPEND` one `write` lands as one piece.
pub fn open_append(path: &Path) -> Result<File, StoreError> {
    open_created(path, OpenOptions::new().read(true).append(true))
}

/// Open (creating 0600) a file to lock and scribble a pid in; the same checks as the rest.
pub fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    open_created(
        path,
        OpenOptions::new().read(true).write(true).truncate(false),
    )
}

/// Open with `options`, creating the file 0600 when missing, then check what was opened.
fn open_created(path: &Path, options: &mut OpenOptions) -> Result<File, StoreError> {
    let file = options
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| open_error(path, "open", e))?;
    check_opened(path, &file, Readers::OwnerOnly)?;
    Ok(file)
}

fn check_opened(path: &Path, file: &File, readers: Readers) -> Result<(), StoreError> {
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io("open", path, e))?;
    check_regular(path, &meta, readers)
}

/// A regular file of ours that others cannot change (or, for secrets, read).
fn check_regular(
    path: &Path,
    meta: &std::fs::Metadata,
    readers: Readers,
) -> Result<(), StoreError> {
    if !meta.file_type().is_file() {
        return Err(unsafe_file(
            path,
            "it is not a regular file (a FIFO, device or folder)".into(),
            format!(
                "move it aside: `mv {} {}.bad`",
                path.display(),
                path.display()
            ),
        ));
    }
    check_owner_and_mode(path, meta, readers)
}

/// Refuse a file of the home that exists but is a link, not a regular file, someone else's, or
/// readable or writable by others. A missing file is fine.
pub fn check_existing(path: &Path) -> Result<(), StoreError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(open_error(
            path,
            "read",
            io::Error::from_raw_os_error(libc::ELOOP),
        ));
    }
    check_regular(path, &meta, Readers::OwnerOnly)
}

/// Remove a file; `true` if it was there. A link is removed, never its target.
pub fn remove(path: &Path) -> Result<bool, StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io("remove", path, e)),
    }
}

/// Make sure `dir` is a private folder of ours: created 0700 when missing (with any missing
/// parents), refused when it is a link, someone else's, or writable by others.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::io("create the folder", dir, e)),
        Err(e) => Err(StoreError::io("read", dir, e)),
        Ok(meta) if meta.file_type().is_symlink() => check_dir(dir),
        Ok(meta) => check_dir_meta(dir, &meta),
    }
}

/// Refuse a folder another user owns or can write into: they could plant a config or swap files.
pub fn check_dir(dir: &Path) -> Result<(), StoreError> {
    let meta = std::fs::metadata(dir).map_err(|e| StoreError::io("read", dir, e))?;
    check_dir_meta(dir, &meta)
}

/// [`check_dir`] for a folder that must not be a link either.
pub fn check_dir_private(dir: &Path) -> Result<(), StoreError> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| StoreError::io("read", dir, e))?;
    if meta.file_type().is_symlink() {
        return Err(open_error(
            dir,
            "read",
            io::Error::from_raw_os_error(libc::ELOOP),
        ));
    }
    check_dir_meta(dir, &meta)
}

fn check_dir_meta(dir: &Path, meta: &std::fs::Metadata) -> Result<(), StoreError> {
    if !meta.is_dir() {
        return Err(unsafe_file(
            dir,
            "it is not a folder".into(),
            "choose another place with --home DIR".into(),
        ));
    }
    if meta.uid() != euid() {
        return Err(unsafe_file(
            dir,
            format!("the folder belongs to another user (uid {})", meta.uid()),
            "use a folder of your own with --home DIR".into(),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(unsafe_file(
            dir,
            format!("other users can write into the folder (mode {mode:03o})"),
            format!("run `chmod 700 {}`", dir.display()),
        ));
    }
    Ok(())
}

/// A file's permission bits (0 when it cannot be read), for the tests of what creates files.
#[cfg(test)]
pub(crate) fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Thing {
        a: u32,
        b: String,
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// `name` in `dir` holding `bytes`, mode 0600.
    fn private_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        chmod(&path, 0o600);
        path
    }

    #[test]
    fn round_trip_and_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("thing.json");
        assert_eq!(read_json::<Thing>(&path, 1024).unwrap(), None);
        let t = Thing {
            a: 1,
            b: "x".into(),
        };
        write_json(&path, &t).unwrap();
        assert_eq!(read_json::<Thing>(&path, 1024).unwrap(), Some(t));
        assert_eq!(mode_of(&path), 0o600);
        write_json(
            &path,
            &Thing {
                a: 2,
                b: "y".into(),
            },
        )
        .unwrap();
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp files left behind");
    }

    #[test]
    fn missing_folder_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nope/thing.json");
        let err = write_json(
            &path,
            &Thing {
                a: 1,
                b: "x".into(),
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn corrupt_file_is_named_and_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let path = private_file(tmp.path(), "thing.json", b"{\"a\": 1, \"b\"");
        let err = read_json::<Thing>(&path, 1024).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("move it aside"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1, \"b\"");
    }

    #[test]
    fn a_link_is_never_followed_for_reading_writing_or_appending() {
        let tmp = tempfile::tempdir().unwrap();
        let target = private_file(tmp.path(), "elsewhere", b"precious");
        let link = tmp.path().join("audit.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for err in [
            read_private(&link, 1024, Readers::OwnerOnly).unwrap_err(),
            open_append(&link).unwrap_err(),
            open_lock_file(&link).unwrap_err(),
        ] {
            assert!(err.to_string().contains("symbolic link"), "{err}");
        }
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"precious",
            "target untouched"
        );
        // An atomic write replaces the link itself, never writes through it.
        write_atomic(&link, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert!(
            !std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_hanging() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("key.age");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for err in [
            read_private(&fifo, 1024, Readers::OwnerOnly).unwrap_err(),
            open_append(&fifo).unwrap_err(),
            check_existing(&fifo).unwrap_err(),
        ] {
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
    }

    #[test]
    fn oversized_files_are_refused_without_reading_them_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        let f = File::create(&path).unwrap();
        f.set_len(1024 * 1024 * 1024).unwrap(); // sparse: costs no disk
        chmod(&path, 0o600);
        let err = read_private(&path, MAX_STATE_BYTES, Readers::OwnerOnly).unwrap_err();
        assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn files_and_folders_others_can_write_are_refused_with_a_chmod_hint() {
        let tmp = tempfile::tempdir().unwrap();
        let path = private_file(tmp.path(), "config.toml", b"x");
        chmod(&path, 0o666);
        let msg = read_private(&path, 1024, Readers::AnyoneMayRead)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&format!("chmod 600 {}", path.display())),
            "{msg}"
        );
        chmod(&path, 0o644);
        assert!(read_private(&path, 1024, Readers::AnyoneMayRead).is_ok());
        assert!(
            read_private(&path, 1024, Readers::OwnerOnly).is_err(),
            "a secret must be 0600"
        );

        let home = tmp.path().join("home");
        ensure_private_dir(&home).unwrap();
        assert_eq!(mode_of(&home), 0o700, "created private");
        chmod(&home, 0o777);
        let msg = ensure_private_dir(&home).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("chmod 700 {}", home.display())),
            "{msg}"
        );
    }
}
