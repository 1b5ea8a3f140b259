//! Rendering cost: one full dashboard frame (`ui::render` plus ratatui's diff) on a `TestBackend`.
//!
//! `cargo bench --bench render`

mod common;

use criterion::Criterion;
use criterion::measurement::Measurement;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;

fn frames<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut group = c.benchmark_group(name);
    for (w, h) in [(160u16, 48u16), (80, 24)] {
        let app = common::active_app(500);
        // A steady-state frame: the same terminal drawn again, as the runtime does once a second.
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        group.bench_function(format!("frame {w}x{h} 500 calls"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| pleo_keys::ui::render(f, black_box(&app)))
                    .expect("draw");
            })
        });
        // The first frame: a fresh terminal, so every cell is written to the backend.
        group.bench_function(format!("first frame {w}x{h} 500 calls"), |b| {
            b.iter(|| {
                let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
                terminal
                    .draw(|f| pleo_keys::ui::render(f, black_box(&app)))
                    .expect("draw");
                terminal
            })
        });
    }
    // A frame where the clock moved: the countdown and "ago" cells change, the rest diff away.
    let mut app = common::active_app(500);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    let mut second = 0i64;
    group.bench_function("frame 160x48 500 calls, clock ticking", |b| {
        b.iter(|| {
            second = (second + 1) % 60;
            app.now = common::now() + jiff::SignedDuration::from_secs(second);
            terminal
                .draw(|f| pleo_keys::ui::render(f, black_box(&app)))
                .expect("draw");
        })
    });
    group.finish();
}

common::wall_and_cpu_main!(frames, "render");
