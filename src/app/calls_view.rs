//! The lower panel's list: which view (calls, checks, audit), the selected row, the visible
//! window and the calls' filter. The renderer writes back how many rows fit, so paging and the
//! window's end ("scrolling stops at the last row") follow the screen.

use std::cell::Cell;
use std::collections::VecDeque;

use crate::store::history::CallEntry;

/// What the lower panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Calls,
    Checks,
    Audit,
}

impl View {
    pub fn next(self) -> View {
        match self {
            View::Calls => View::Checks,
            View::Checks => View::Audit,
            View::Audit => View::Calls,
        }
    }
}

#[derive(Debug, Default)]
pub struct ListView {
    pub view: View,
    /// The selected row, counted from the newest shown; `None`: following the newest, nothing
    /// selected.
    pub cursor: Option<usize>,
    /// The first row shown (from the newest); kept by the renderer so the window does not jump.
    pub offset: Cell<usize>,
    /// Rows that fit, as last drawn.
    pub page: Cell<usize>,
    /// Calls whose path, status or source contain this (case-insensitive).
    pub filter: String,
}

impl ListView {
    /// Move the selection by `delta` rows (negative: newer) in a list of `total`.
    pub fn move_by(&mut self, delta: isize, total: usize) {
        if total == 0 {
            self.cursor = None;
            return;
        }
        let from = self.cursor.unwrap_or(0) as isize;
        let first_press = self.cursor.is_none() && delta > 0;
        // The first step down selects the newest row rather than skipping it.
        let to = if first_press { 0 } else { from + delta };
        self.cursor = Some(to.clamp(0, total as isize - 1) as usize);
    }

    pub fn page_rows(&self) -> isize {
        self.page.get().max(1) as isize
    }

    pub fn to_newest(&mut self) {
        self.cursor = None;
        self.offset.set(0);
    }

    pub fn to_oldest(&mut self, total: usize) {
        self.cursor = total.checked_sub(1);
    }

    /// A new row arrived on top: keep the selected one selected (unless following the newest).
    pub fn row_added(&mut self, total: usize) {
        if let Some(c) = self.cursor {
            self.cursor = Some((c + 1).min(total.saturating_sub(1)));
            self.offset.set(self.offset.get() + 1);
        }
    }

    /// The window to draw for `total` rows of which `rows` fit: the selection stays in view and
    /// the last page is full (no empty rows below the oldest).
    pub fn window(&self, total: usize, rows: usize) -> usize {
        self.page.set(rows);
        let last_start = total.saturating_sub(rows);
        let mut offset = self.offset.get().min(last_start);
        if let Some(c) = self.cursor {
            if c < offset {
                offset = c;
            } else if rows > 0 && c >= offset + rows {
                offset = c + 1 - rows;
            }
        }
        self.offset.set(offset);
        offset
    }

    /// How many calls are shown; without a filter, without looking at them.
    pub fn count(&self, calls: &VecDeque<CallEntry>) -> usize {
        if self.filter.is_empty() {
            calls.len()
        } else {
            let needle = self.filter.to_lowercase();
            calls.iter().filter(|c| matches(c, &needle)).count()
        }
    }

    /// Whether `call` passes the filter.
    pub fn shows(&self, call: &CallEntry) -> bool {
        self.filter.is_empty() || matches(call, &self.filter.to_lowercase())
    }

    /// The calls shown, newest first.
    pub fn calls<'a>(&self, calls: &'a VecDeque<CallEntry>) -> Vec<&'a CallEntry> {
        let needle = self.filter.to_lowercase();
        calls
            .iter()
            .rev()
            .filter(|c| needle.is_empty() || matches(c, &needle))
            .collect()
    }
}

fn matches(call: &CallEntry, needle: &str) -> bool {
    // What the status column says, and the code behind a refusal.
    let status = match (&call.refused, call.status, &call.failure) {
        (Some(kind), _, _) => format!("refused {kind}"),
        (None, Some(s), _) => s.to_string(),
        (None, None, Some(f)) => f.clone(),
        _ => String::new(),
    };
    [
        call.path.as_str(),
        status.as_str(),
        call.source.as_str(),
        call.method.as_str(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection_and_never_shows_empty_rows() {
        let mut v = ListView::default();
        assert_eq!(v.window(115, 10), 0);
        v.move_by(1, 115);
        assert_eq!(v.cursor, Some(0), "the first step selects the newest");
        v.move_by(15, 115);
        assert_eq!(v.window(115, 10), 6, "row 15 at the bottom");
        v.to_oldest(115);
        assert_eq!(v.window(115, 10), 105, "the last page is full");
        v.move_by(1, 115);
        assert_eq!(v.cursor, Some(114), "stops at the last row");
        v.move_by(-200, 115);
        assert_eq!((v.cursor, v.window(115, 10)), (Some(0), 0));
        v.to_newest();
        assert_eq!(v.cursor, None);
    }
}
