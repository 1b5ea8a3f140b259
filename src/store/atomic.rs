//! Crash-safe file writes: a reader sees the old file or the new one, never half of either.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;

/// Serialize `value` as pretty JSON and replace `path` with it atomically (mode 0600).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Encode {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_bytes(path, &bytes)
}

/// Replace `path` with `bytes`: temp file (0600) in the same folder, fsync, rename, fsync the folder.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = parent_dir(path);
    let tmp = temp_path(path);
    let result = write_temp(&tmp, bytes)
        .map_err(|e| StoreError::io("write", &tmp, e))
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

/// The whole file, or `None` when it does not exist.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", path, e)),
    }
}

/// Parse a JSON file; `None` when missing. A corrupt file is an error and is never rewritten.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    match read_bytes(path)? {
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

/// Read a JSON file that carries a `version`; refuse versions newer than `supported`.
pub(crate) fn read_versioned<T: DeserializeOwned>(
    path: &Path,
    supported: u32,
) -> Result<Option<T>, StoreError> {
    let Some(bytes) = read_bytes(path)? else {
        return Ok(None);
    };
    decode_versioned(path, &bytes, supported).map(Some)
}

/// Decode a versioned file's bytes; `path` only names it in errors.
pub fn decode_versioned<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    supported: u32,
) -> Result<T, StoreError> {
    #[derive(serde::Deserialize)]
    struct Version {
        version: u32,
    }
    // Check the version first: a newer file may not parse as our type at all.
    if let Ok(Version { version }) = serde_json::from_slice::<Version>(bytes)
        && version > supported
    {
        return Err(StoreError::NewerVersion {
            path: path.to_path_buf(),
            found: version,
            supported,
        });
    }
    parse_json(path, bytes)
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

    #[test]
    fn round_trip_and_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("thing.json");
        assert_eq!(read_json::<Thing>(&path).unwrap(), None);
        let t = Thing {
            a: 1,
            b: "x".into(),
        };
        write_json(&path, &t).unwrap();
        assert_eq!(read_json::<Thing>(&path).unwrap(), Some(t));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Overwrite keeps working and leaves no temp files behind.
        write_json(
            &path,
            &Thing {
                a: 2,
                b: "y".into(),
            },
        )
        .unwrap();
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
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
        let path = tmp.path().join("thing.json");
        std::fs::write(&path, b"{\"a\": 1, \"b\"").unwrap();
        let err = read_json::<Thing>(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("move it aside"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1, \"b\"");
    }
}
