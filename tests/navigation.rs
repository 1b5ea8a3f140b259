//! The dashboard's lists as an operator drives them: vim and arrow keys, pages, ends, a call's
//! detail, the filter, the views, and copying. `update` only: no IO, a frozen clock.

use crate::support;

use pleo_keys::app::calls_view::View;
use pleo_keys::app::{Cmd, Msg, Overlay, update};
use pleo_keys::domain::Environment;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use support::fixtures::*;

fn press(a: &mut pleo_keys::app::App, code: KeyCode) -> Vec<Cmd> {
    update(a, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn with_calls(n: usize) -> pleo_keys::app::App {
    let mut a = active_app(Environment::Staging);
    a.calls = calls(n);
    // As drawn at 80x24: six rows of calls fit.
    a.list.window(n, 6);
    a
}

#[test]
fn j_k_pages_and_ends_move_the_selection_and_stop_at_the_last_row() {
    let mut a = with_calls(115);
    assert_eq!(a.list.cursor, None, "following the newest");
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(a.list.cursor, Some(0), "the first j selects the newest");
    press(&mut a, KeyCode::Down);
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(a.list.cursor, Some(2));
    press(&mut a, KeyCode::Char('k'));
    press(&mut a, KeyCode::Up);
    assert_eq!(a.list.cursor, Some(0));
    press(&mut a, KeyCode::PageDown);
    assert_eq!(a.list.cursor, Some(6), "a page is the rows that fit");
    press(&mut a, KeyCode::Char('G'));
    assert_eq!(a.list.cursor, Some(114));
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(a.list.cursor, Some(114), "no further than the oldest");
    assert_eq!(
        a.list.window(115, 6),
        109,
        "the last page is full, no empty rows"
    );
    press(&mut a, KeyCode::Home);
    assert_eq!(a.list.cursor, None);
    press(&mut a, KeyCode::End);
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(a.list.cursor, None);
}

#[test]
fn e_opens_key_entry_and_k_never_does() {
    let mut a = with_calls(3);
    press(&mut a, KeyCode::Char('k'));
    assert!(matches!(a.overlay, Overlay::None));
    press(&mut a, KeyCode::Char('e'));
    assert!(matches!(a.overlay, Overlay::KeyEntry(_)));
}

#[test]
fn enter_opens_the_selected_call_and_j_k_walk_the_details() {
    let mut a = with_calls(20);
    press(&mut a, KeyCode::Char('j'));
    press(&mut a, KeyCode::Char('j'));
    press(&mut a, KeyCode::Enter);
    let Overlay::CallDetail(d) = &a.overlay else {
        panic!("{:?}", a.overlay)
    };
    let second_newest = a.calls.iter().rev().nth(1).unwrap().clone();
    assert_eq!(d.call, second_newest);
    press(&mut a, KeyCode::Char('j'));
    let Overlay::CallDetail(d) = &a.overlay else {
        panic!()
    };
    assert_eq!(&d.call, a.calls.iter().rev().nth(2).unwrap());
    // A new call arriving while reading does not change what is shown.
    update(&mut a, Msg::Call(call_of(0, 99, "/new", now())));
    let Overlay::CallDetail(d) = &a.overlay else {
        panic!()
    };
    assert_eq!(d.call.path, second_newest_but(&a, 3));
    press(&mut a, KeyCode::Esc);
    assert!(matches!(a.overlay, Overlay::None));
}

/// The path of the `n`th newest call.
fn second_newest_but(a: &pleo_keys::app::App, n: usize) -> String {
    a.calls.iter().rev().nth(n).unwrap().path.clone()
}

#[test]
fn the_filter_narrows_the_calls_live_and_esc_clears_it() {
    let mut a = with_calls(21);
    press(&mut a, KeyCode::Char('/'));
    assert!(matches!(a.overlay, Overlay::Filter));
    for c in "REFUSED".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    let shown = a.list.calls(&a.calls);
    assert_eq!(shown.len(), 3, "the proxy refused every seventh call");
    assert!(shown.iter().all(|c| c.refused.is_some()));
    press(&mut a, KeyCode::Enter);
    assert!(matches!(a.overlay, Overlay::None));
    assert_eq!(a.list.filter, "REFUSED", "kept after Enter");
    press(&mut a, KeyCode::Char('/'));
    press(&mut a, KeyCode::Backspace);
    assert_eq!(a.list.filter, "REFUSE");
    press(&mut a, KeyCode::Esc);
    assert!(a.list.filter.is_empty());
    assert_eq!(a.list.calls(&a.calls).len(), 21);
    press(&mut a, KeyCode::Char('/'));
    for c in "429".chars() {
        press(&mut a, KeyCode::Char(c));
    }
    assert_eq!(a.list.calls(&a.calls).len(), 3, "by status too");
}

#[test]
fn tab_switches_the_lower_panel() {
    let mut a = with_calls(5);
    assert_eq!(a.list.view, View::Calls);
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.list.view, View::Checks);
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.list.view, View::Audit);
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.list.view, View::Calls);
}

#[test]
fn y_copies_the_company_id_and_capital_y_the_status_json() {
    let mut a = with_calls(1);
    let cmds = press(&mut a, KeyCode::Char('y'));
    assert!(matches!(&cmds[..], [Cmd::Copy { text }] if text == ACME));
    assert!(
        a.notice
            .as_ref()
            .unwrap()
            .text
            .contains("Copied the company id")
    );
    let cmds = press(&mut a, KeyCode::Char('Y'));
    let [Cmd::Copy { text }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(json["company_id"], ACME);
    assert_eq!(json["reason"], "active");
    assert!(
        a.notice
            .as_ref()
            .unwrap()
            .text
            .contains("Copied the status")
    );
}
