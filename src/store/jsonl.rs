//! JSON-lines files that any process of the home appends to and that are read back from their
//! newest end: the audit log and the call and check histories. A damaged line (a crash mid-write,
//! a hand edit) is skipped, never fatal. Every open is checked like any home file.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::StoreError;
use super::files::{self, Readers};

/// How much of a file is read back, and when it is trimmed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most read back at once: the newest part.
    pub window: u64,
    /// Past this an append rewrites the file with its newest half; `None` for append-only.
    pub cap: Option<u64>,
    /// An append reaches the disk before it returns.
    pub sync: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct JsonLines {
    path: PathBuf,
    limits: Limits,
    /// The file kept open between appends (a busy proxy appends a line a request), with the
    /// identity of what it opened and its length so far.
    open: Arc<Mutex<Option<Open>>>,
}

#[derive(Debug)]
struct Open {
    file: std::fs::File,
    dev: u64,
    ino: u64,
    len: u64,
    /// Just opened: its end is checked for a torn line once.
    fresh: bool,
}

impl JsonLines {
    pub(crate) fn new(path: impl Into<PathBuf>, limits: Limits) -> JsonLines {
        JsonLines {
            path: path.into(),
            limits,
            open: Arc::default(),
        }
    }

    /// The open file, opened again when the path now names another one (another process
    /// trimmed it, or it was removed): one `stat` per append instead of an open and a close.
    fn reopen_if_replaced(&self, slot: &mut Option<Open>) -> Result<(), StoreError> {
        use std::os::unix::fs::MetadataExt;
        let current = std::fs::symlink_metadata(&self.path).ok();
        let same = match (&*slot, &current) {
            (Some(o), Some(m)) => o.dev == m.dev() && o.ino == m.ino(),
            _ => false,
        };
        if !same {
            let file = files::open_append(&self.path)?;
            let meta = file
                .metadata()
                .map_err(|e| StoreError::io("open", &self.path, e))?;
            *slot = Some(Open {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                fresh: true,
                file,
            });
        }
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Append one value as one line. The line is built first and written with one call on an
    /// `O_APPEND` file, so concurrent writers cannot interleave inside a line.
    pub(crate) fn append<T: Serialize>(&self, value: &T) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(value).map_err(|e| StoreError::Encode {
            path: self.path.clone(),
            problem: e.to_string(),
        })?;
        line.push(b'\n');
        let mut slot = self.open.lock().unwrap_or_else(|p| p.into_inner());
        self.reopen_if_replaced(&mut slot)?;
        let Some(open) = slot.as_mut() else {
            return Ok(());
        };
        // Someone else wrote since (or the file is new to us): a line they tore in a crash
        // would swallow this one, so start on a fresh line.
        let actual = open.file.metadata().map(|m| m.len()).unwrap_or(open.len);
        if (std::mem::take(&mut open.fresh) || actual != open.len)
            && actual > 0
            && ends_torn(&open.file)
        {
            line.insert(0, b'\n');
        }
        open.len = actual;
        let written = open.file.write_all(&line).and_then(|()| {
            if self.limits.sync {
                open.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            *slot = None;
            return Err(StoreError::io("append to", &self.path, e));
        }
        open.len += line.len() as u64;
        let len = open.len;
        match self.limits.cap {
            Some(cap) if len > cap => {
                *slot = None;
                drop(slot);
                self.compact(cap / 2)
            }
            _ => Ok(()),
        }
    }

    /// Keep the newest `keep` bytes' lines. Two processes compacting at once may drop a line;
    /// never a whole file.
    fn compact(&self, keep: u64) -> Result<(), StoreError> {
        let (bytes, _) = read_window(&self.path, keep, None)?;
        files::write_atomic(&self.path, &bytes)
    }

    /// The values in the newest window, oldest first, and how many lines were unreadable.
    pub(crate) fn read<T: DeserializeOwned>(&self) -> Result<(Vec<T>, usize), StoreError> {
        let (bytes, _) = read_window(&self.path, self.limits.window, None)?;
        Ok(parse(&bytes))
    }

    /// The values of the whole lines after `offset` (one this returned before), or of the newest
    /// window when `offset` is `None` or outside it; and the offset after the last whole line.
    pub(crate) fn read_after<T: DeserializeOwned>(
        &self,
        offset: Option<u64>,
    ) -> Result<(Vec<T>, u64), StoreError> {
        let (bytes, start) = read_window(&self.path, self.limits.window, offset)?;
        // A line still being written waits for its newline.
        let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Ok((parse(&bytes[..end]).0, start + end as u64))
    }
}

/// The newest `limit` of `entries` (the last ones).
pub(crate) fn newest<T>(mut entries: Vec<T>, limit: usize) -> Vec<T> {
    let skip = entries.len().saturating_sub(limit);
    entries.split_off(skip)
}

/// The file ends inside a line (a crash mid-write): the next line must start on a fresh one.
fn ends_torn(file: &std::fs::File) -> bool {
    let Ok(meta) = file.metadata() else {
        return false;
    };
    if meta.len() == 0 {
        return false;
    }
    let mut last = [0u8; 1];
    matches!(file.read_at(&mut last, meta.len() - 1), Ok(1) if last[0] != b'\n')
}

/// The file from `offset` (a line start) to its end, or from the first line start in its newest
/// `window` bytes when `offset` is `None` or not within them; and where the bytes start.
fn read_window(
    path: &Path,
    window: u64,
    offset: Option<u64>,
) -> Result<(Vec<u8>, u64), StoreError> {
    let Some(mut file) = files::open_read(path, Readers::OwnerOnly)? else {
        return Ok((Vec::new(), 0));
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let window_start = len.saturating_sub(window);
    let (start, mid_line) = match offset {
        Some(o) if (window_start..=len).contains(&o) => (o, false),
        _ => (window_start, window_start > 0),
    };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| StoreError::io("read", path, e))?;
    let mut bytes = Vec::new();
    file.take(len - start)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io("read", path, e))?;
    // The window cut its first line.
    let first = if mid_line {
        bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1)
    } else {
        0
    };
    bytes.drain(..first);
    Ok((bytes, start + first as u64))
}

/// The lines that parse as `T`, and how many did not (blank lines are neither).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> (Vec<T>, usize) {
    let mut values = Vec::new();
    let mut skipped = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(line) {
            Ok(value) => values.push(value),
            Err(_) => skipped += 1,
        }
    }
    (values, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of five bytes (`1000\n`): a window of 64 starts inside one.
    const SMALL: Limits = Limits {
        window: 64,
        cap: Some(128),
        sync: false,
    };

    #[test]
    fn windows_start_on_a_whole_line_and_offsets_inside_them_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let file = JsonLines::new(tmp.path().join("n.jsonl"), SMALL);
        assert_eq!(file.read::<u32>().unwrap(), (vec![], 0));
        for n in 1000..1020u32 {
            file.append(&n).unwrap();
        }
        let newest: Vec<u32> = (1008..1020).collect();
        assert_eq!(file.read::<u32>().unwrap(), (newest.clone(), 0));
        // An offset before the window (the file was compacted) reads the window.
        assert_eq!(file.read_after::<u32>(Some(0)).unwrap(), (newest, 100));
        assert_eq!(file.read_after::<u32>(Some(95)).unwrap(), (vec![1019], 100));
        assert_eq!(file.read_after::<u32>(Some(100)).unwrap(), (vec![], 100));
        // Past the cap: the newest half, from a whole line.
        for n in 1020..1026u32 {
            file.append(&n).unwrap();
        }
        assert_eq!(std::fs::metadata(file.path()).unwrap().len(), 60);
        let kept: Vec<u32> = (1014..1026).collect();
        assert_eq!(file.read::<u32>().unwrap(), (kept, 0));
    }
}
