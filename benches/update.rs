//! `update(app, msg)` for one message: a key press, a recorded call, a finished check.
//!
//! `cargo bench --bench update`

mod common;

use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion};
use pleo_keys::app::{Msg, update};
use pleo_keys::lifecycle::Outcome;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::hint::black_box;

/// What the engine hands back after a healthy revalidation.
fn healthy_check() -> Outcome {
    let mut o = common::fixtures::active_outcome(common::fixtures::known_facts(), true);
    o.checked_at = Some(common::now());
    o
}

fn messages<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut group = c.benchmark_group(name);

    let mut app = common::active_app(500);
    group.bench_function("key press (j, scroll)", |b| {
        b.iter_batched(
            || Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            |msg| {
                let cmds = update(&mut app, black_box(msg));
                app.list.cursor = None;
                cmds
            },
            BatchSize::SmallInput,
        )
    });

    let mut app = common::active_app(500);
    let mut i = 500;
    group.bench_function("Call into a full log", |b| {
        b.iter_batched(
            || {
                i += 1;
                Msg::Call(common::call(i))
            },
            |msg| update(&mut app, black_box(msg)),
            BatchSize::SmallInput,
        )
    });

    let mut app = common::active_app(500);
    let result = healthy_check();
    group.bench_function("CheckFinished (healthy)", |b| {
        b.iter_batched(
            || Msg::CheckFinished {
                generation: 0,
                outcome: Box::new(result.clone()),
            },
            |msg| {
                app.check_in_flight = true;
                update(&mut app, black_box(msg))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

common::wall_and_cpu_main!(messages, "update");
