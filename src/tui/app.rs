//! The loop: one `select!` over terminal input, the clock, background
//! results and termination signals. The state is owned here; the screen is
//! drawn only when something changed, and never faster than `max_fps`.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::EventStream;
use futures::StreamExt;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::browser::{BrowserEffect, CensusState};
use super::render::render;
use super::state::{AppState, BgMsg, Effect};
use super::tasks::{BrowserTasks, Tasks};
use super::terminal::TerminalGuard;
use super::theme::Theme;
use crate::cli::Ended;
use crate::register::Loaded;

pub struct RunOptions {
    pub theme: Theme,
    pub write_mode: bool,
}

/// The background work of the console: the monitors and classification
/// (restarted by a refresh) and the browser's tasks.
struct Workers<'a> {
    loaded: &'a Loaded,
    tx: mpsc::UnboundedSender<BgMsg>,
    tasks: Tasks,
    browser: BrowserTasks,
}

impl Workers<'_> {
    /// A census at the state's next census generation.
    fn census(&mut self, state: &mut AppState) {
        let gen = state.browser.start_census();
        self.browser.census(gen);
    }

    /// Do what an update asked. Returns false when the console must close.
    fn apply(&mut self, state: &mut AppState, effects: Vec<Effect>) -> bool {
        for fx in effects {
            match fx {
                Effect::Quit => return false,
                Effect::Refresh => {
                    self.tasks.stop();
                    self.tasks =
                        Tasks::start(self.loaded, state.bump_generation(), self.tx.clone());
                }
                Effect::Browser(b) => self.browse(state, b),
            }
        }
        true
    }

    fn browse(&mut self, state: &mut AppState, effect: BrowserEffect) {
        let gen = state.browser.gen;
        match effect {
            BrowserEffect::StartCensus => self.census(state),
            BrowserEffect::LoadKeys { glob, cursor } => self.browser.keys(gen, glob, cursor),
            BrowserEffect::LoadValue { key } => self.browser.value(gen, key),
            BrowserEffect::LoadValueMore { key, from } => self.browser.value_more(gen, key, from),
            BrowserEffect::Remediate(r) => {
                if let Some(change) = &state.browser.changing {
                    self.browser.remediate(change.gen, r);
                }
            }
            BrowserEffect::StopChange => self.browser.stop_change(),
            BrowserEffect::SearchValues { glob, needle } => {
                self.browser.search_values(gen, glob, needle.0)
            }
            BrowserEffect::CancelValueSearch => self.browser.cancel_value_search(),
            BrowserEffect::Revealed { pattern } => {
                // The audit trail lands with the rights issues; until then
                // the reveal is logged, with the namespace, never the value.
                tracing::info!(target: "audit", namespace = %pattern, "value revealed on screen");
            }
        }
    }
}

/// Open the console on a loaded register; returns when the person quits
/// or a signal ends it, saying which, once the terminal is restored.
pub async fn run(loaded: Loaded, opts: RunOptions) -> anyhow::Result<Ended> {
    let settings = loaded.register.ui.clone();
    let mut state = AppState::new(&loaded, opts.write_mode, Instant::now());
    let (tx, mut rx) = mpsc::unbounded_channel::<BgMsg>();
    let mut work = Workers {
        loaded: &loaded,
        tasks: Tasks::start(&loaded, state.bump_generation(), tx.clone()),
        browser: BrowserTasks::new(&loaded, state.browser.conn.as_deref(), tx.clone()),
        tx,
    };
    if state.browser.conn.is_some() {
        work.browser.load_last();
        if loaded.register.redis.census_on_start {
            work.census(&mut state);
        }
    }

    let mut guard = TerminalGuard::enter().context("cannot take over the terminal")?;
    let size = guard
        .terminal
        .size()
        .context("cannot read the terminal size")?;
    state.size = ratatui::layout::Rect::new(0, 0, size.width, size.height);

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(settings.tick_ms.max(16)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let min_frame = Duration::from_secs(1) / settings.max_fps.max(1);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut signals = termination_signals()?;
    let every = loaded.register.redis.census_interval_secs;
    let mut recensus = tokio::time::interval(Duration::from_secs(every.max(1)));
    recensus.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    recensus.tick().await; // the first tick is immediate: the start census covers it
                           // Debug aid for the terminal-restore test: panic after N ms.
    let panic_after = std::env::var("OUBLI_DEBUG_PANIC_AFTER_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| Instant::now() + Duration::from_millis(ms));

    tracing::info!(register = %state.register_path, write = opts.write_mode, "console started");
    let ended = loop {
        let now = Instant::now();
        let due = last_draw.map_or(now, |t| t + min_frame);
        if dirty && now >= due {
            guard
                .terminal
                .draw(|f| render(&state, &opts.theme, f))
                .context("cannot draw")?;
            dirty = false;
            last_draw = Some(now);
        }
        if panic_after.is_some_and(|t| now >= t) {
            panic!("debug panic requested by OUBLI_DEBUG_PANIC_AFTER_MS");
        }
        let mut effects = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    let (changed, fx) = state.on_event(&ev);
                    dirty |= changed;
                    effects = fx;
                }
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => break Ended::Quit,
            },
            _ = tick.tick() => dirty |= state.on_tick(Instant::now()),
            Some(msg) = rx.recv() => {
                dirty |= state.on_bg(msg);
                effects = state.browser.follow.drain(..).map(Effect::Browser).collect();
                if std::mem::take(&mut state.browser.recount) {
                    work.census(&mut state);
                }
            }
            _ = tokio::time::sleep_until(due.into()), if dirty => {}
            Some(signal) = signals.recv() => break signal,
            _ = recensus.tick(), if every > 0 => {
                if !matches!(state.browser.census, CensusState::Running { .. }) {
                    work.census(&mut state);
                    dirty = true;
                }
            }
        }
        if !work.apply(&mut state, effects) {
            break Ended::Quit;
        }
    };
    work.tasks.stop();
    drop(guard);
    tracing::info!(?ended, "console closed");
    Ok(ended)
}

/// SIGTERM, SIGHUP (the SSH session went away) and SIGINT from outside end
/// the console cleanly, each with its own reason.
fn termination_signals() -> anyhow::Result<mpsc::UnboundedReceiver<Ended>> {
    let (tx, rx) = mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        for (kind, ended) in [
            (SignalKind::terminate(), Ended::Terminated),
            (SignalKind::hangup(), Ended::HungUp),
            (SignalKind::interrupt(), Ended::Interrupted),
        ] {
            let mut s = signal(kind).context("cannot listen for signals")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                if s.recv().await.is_some() {
                    let _receiver_may_be_gone = tx.send(ended);
                }
            });
        }
    }
    Ok(rx)
}

/// The console's state once every connection has answered, the census
/// and the Postgres survey have finished (or `wait` has passed), as the
/// console would hold it: for screenshots and for tests that compare what
/// the console shows with what the command line reports.
pub async fn settle(loaded: &Loaded, width: u16, height: u16, wait: Duration) -> AppState {
    let mut state = AppState::new(loaded, false, Instant::now());
    state.size = ratatui::layout::Rect::new(0, 0, width, height);
    let (tx, mut rx) = mpsc::unbounded_channel::<BgMsg>();
    let tasks = Tasks::start(loaded, state.bump_generation(), tx.clone());
    // The census, as the console runs it at start (the classification
    // runs with the monitors).
    let mut browser = BrowserTasks::new(loaded, state.browser.conn.as_deref(), tx);
    if state.browser.conn.is_some() {
        let gen = state.browser.start_census();
        browser.census(gen);
    }
    let deadline = tokio::time::Instant::now() + wait;
    let census_done = |s: &AppState| {
        s.browser.conn.is_none()
            || matches!(
                s.browser.census,
                CensusState::Done { .. } | CensusState::Failed { .. }
            )
    };
    let survey_done = |s: &AppState| s.postgres.is_empty() || s.pg_survey.is_some();
    while !(state.settled() && census_done(&state) && survey_done(&state)) {
        tokio::select! {
            Some(msg) = rx.recv() => { state.on_bg(msg); }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    tasks.stop();
    drop(browser);
    state.now = Instant::now();
    state
}

/// Render the console headlessly at `width` x `height` once it has
/// settled ([`settle`]): for screenshots.
pub async fn snapshot(
    loaded: &Loaded,
    theme: &Theme,
    width: u16,
    height: u16,
    prepare: impl FnOnce(&mut AppState),
    wait: Duration,
) -> anyhow::Result<Buffer> {
    let mut state = settle(loaded, width, height, wait).await;
    prepare(&mut state);
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    terminal.draw(|f| render(&state, theme, f))?;
    Ok(terminal.backend().buffer().clone())
}
