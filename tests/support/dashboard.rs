//! The dashboard's loop driven from a test: scripted terminal input, a test backend whose every
//! frame is recorded as text, and a clock that follows tokio's (so paused time moves it too).

use pleo_keys::app::{App, Theme};
use pleo_keys::lifecycle::Engine;
use pleo_keys::lifecycle::engine::Clock;
use pleo_keys::pleo::CallLog;
use pleo_keys::runtime::{self, Services, dashboard::build_app};
use pleo_keys::sandbox::SandboxControl;
use pleo_keys::store::history::{CallHistory, HistoryTail};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Size};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How long a test waits for a frame (in tokio time: paused tests fail at once instead).
pub const WAIT: Duration = Duration::from_secs(20);

/// A `TestBackend` that sends a text copy of the screen on every flush (one per drawn frame).
pub struct Recording {
    inner: TestBackend,
    frames: UnboundedSender<String>,
}

impl Backend for Recording {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let buf = self.inner.buffer();
        let text: Vec<String> = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect();
        let _ = self.frames.send(text.join("\n"));
        self.inner.flush()
    }
}

/// Wall-clock time that moves with tokio's clock: paused tests move both together.
pub fn tokio_clock() -> Clock {
    let start = super::fixtures::now();
    let origin = tokio::time::Instant::now();
    Arc::new(move || {
        let elapsed = jiff::SignedDuration::try_from(origin.elapsed()).unwrap_or_default();
        start + elapsed
    })
}

/// Secret hygiene: no drawn frame ever holds the secret part of any known key.
pub fn assert_no_key(frame: &str) {
    let flat: String = frame
        .split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("");
    let keys = pleo_keys::sandbox::DEMO_KEYS.iter().map(|d| d.key).chain([
        super::fixtures::KEY_A,
        super::fixtures::KEY_B,
        super::fixtures::KEY_OTHER,
        super::fixtures::KEY_ORG,
    ]);
    for key in keys {
        let secret = &key[4..36];
        assert!(!flat.contains(&secret[..12]), "a frame shows part of a key");
    }
}

pub struct Dashboard {
    pub engine: Arc<Engine>,
    input: UnboundedSender<Event>,
    frames: UnboundedReceiver<String>,
    /// Every frame seen so far, for failure messages.
    pub seen: Vec<String>,
    /// How long (tokio time) to wait for a frame. On paused time waiting costs nothing, so
    /// tests there wait past the revalidation interval.
    pub patience: Duration,
    task: tokio::task::JoinHandle<App>,
    _watch: Option<pleo_keys::store::watch::HomeWatch>,
    /// What `y`/`Y` put on the clipboard.
    pub copied: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Dashboard {
    pub fn launch(
        engine: Engine,
        calls: Option<&CallLog>,
        sandbox: Option<SandboxControl>,
        every: Duration,
    ) -> Dashboard {
        let clock = tokio_clock();
        let engine = Arc::new(Engine {
            clock: clock.clone(),
            ..engine
        });
        let app = build_app(&engine, sandbox.is_some(), Theme::Mono, every, clock());
        let (watch, changes) = match pleo_keys::store::watch::watch_home(&engine.home.paths) {
            Some((w, rx)) => (Some(w), Some(rx)),
            None => (None, None),
        };
        let copied: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let services = Services {
            engine: engine.clone(),
            sandbox,
            calls: calls.map(CallLog::subscribe),
            signals: None,
            changes,
            history: Some(HistoryTail::new(CallHistory::new(
                &engine.home.paths.call_history,
            ))),
            clipboard: {
                let copied = copied.clone();
                Arc::new(move |text: &str| copied.lock().unwrap().push(text.to_string()))
            },
            clock,
        };
        let (input, input_rx) = unbounded_channel();
        let (frames_tx, frames) = unbounded_channel();
        let backend = Recording {
            inner: TestBackend::new(100, 30),
            frames: frames_tx,
        };
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(backend).expect("terminal");
            runtime::run(app, &mut terminal, input_rx, services).await
        });
        Dashboard {
            copied,
            engine,
            input,
            frames,
            seen: Vec::new(),
            patience: WAIT,
            task,
            _watch: watch,
        }
    }

    /// Wait for a frame (drawn from now on) that contains `text`.
    pub async fn wait_for(&mut self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + self.patience;
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some(frame)) => {
                    assert_no_key(&frame);
                    self.seen.push(frame.clone());
                    if frame.contains(text) {
                        return frame;
                    }
                }
                Ok(None) => panic!("the dashboard ended while waiting for {text:?}"),
                Err(_) => panic!(
                    "no frame showed {text:?}; last frame:\n{}",
                    self.seen.last().map(String::as_str).unwrap_or("(none)")
                ),
            }
        }
    }

    /// A frame already drawn, without waiting.
    pub fn try_frame(&mut self) -> Option<String> {
        self.frames.try_recv().ok()
    }

    pub fn press(&self, code: KeyCode) {
        let _ = self
            .input
            .send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn paste(&self, text: &str) {
        let _ = self.input.send(Event::Paste(text.to_string()));
    }

    /// Paste `text` and press Enter, as an operator answering a prompt.
    pub fn submit(&self, text: &str) {
        self.paste(text);
        self.press(KeyCode::Enter);
    }

    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    pub async fn quit(self) -> App {
        self.press(KeyCode::Char('q'));
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the dashboard quits on q")
            .expect("the dashboard task did not panic")
    }
}
