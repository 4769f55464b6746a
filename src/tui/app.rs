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

use super::browser::BrowserEffect;
use super::render::render;
use super::state::{AppState, BgMsg, Effect};
use super::tasks::Tasks;
use super::terminal::TerminalGuard;
use super::theme::Theme;
use crate::register::Loaded;

pub struct RunOptions {
    pub theme: Theme,
    pub write_mode: bool,
}

/// Open the console on a loaded register; returns when the person quits.
pub async fn run(loaded: Loaded, opts: RunOptions) -> anyhow::Result<()> {
    let settings = loaded.register.ui.clone();
    let mut state = AppState::new(&loaded, opts.write_mode, Instant::now());
    let (tx, mut rx) = mpsc::unbounded_channel::<BgMsg>();
    let mut tasks = Tasks::start(&loaded, state.bump_generation(), tx.clone());
    let mut browser =
        super::tasks::BrowserTasks::new(&loaded, state.browser.conn.as_deref(), tx.clone());
    super::tasks::survey(&loaded, tx.clone());
    if state.browser.conn.is_some() {
        browser.load_last();
        if loaded.register.redis.census_on_start {
            let gen = state.browser.start_census();
            browser.census(gen);
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
    let mut sigterm = termination_signal()?;
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
    loop {
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
                None => break,
            },
            _ = tick.tick() => dirty |= state.on_tick(Instant::now()),
            Some(msg) = rx.recv() => {
                dirty |= state.on_bg(msg);
                if std::mem::take(&mut state.browser.recount) {
                    let gen = state.browser.start_census();
                    browser.census(gen);
                }
            }
            _ = tokio::time::sleep_until(due.into()), if dirty => {}
            _ = sigterm.recv() => break,
            _ = recensus.tick(), if every > 0 => {
                if !matches!(state.browser.census, super::browser::CensusState::Running { .. }) {
                    let gen = state.browser.start_census();
                    browser.census(gen);
                    dirty = true;
                }
            }
        }
        for fx in effects {
            match fx {
                Effect::Quit => {
                    tasks.stop();
                    tracing::info!("console closed");
                    return Ok(());
                }
                Effect::Refresh => {
                    tasks.stop();
                    tasks = Tasks::start(&loaded, state.bump_generation(), tx.clone());
                }
                Effect::Browser(b) => match b {
                    BrowserEffect::StartCensus => {
                        let gen = state.browser.start_census();
                        browser.census(gen);
                    }
                    BrowserEffect::LoadKeys { glob, cursor } => {
                        browser.keys(state.browser.gen, glob, cursor)
                    }
                    BrowserEffect::LoadValue { key } => browser.value(state.browser.gen, key),
                    BrowserEffect::Remediate(r) => browser.remediate(r),
                    BrowserEffect::LoadValueMore { key, from } => {
                        browser.value_more(state.browser.gen, key, from)
                    }
                    BrowserEffect::Revealed { pattern } => {
                        // The audit trail lands with the rights issues; until then
                        // the reveal is logged, with the namespace, never the value.
                        tracing::info!(target: "audit", namespace = %pattern, "value revealed on screen");
                    }
                },
            }
        }
    }
    tasks.stop();
    Ok(())
}

/// SIGTERM and SIGHUP (the SSH session went away) end the console cleanly.
fn termination_signal() -> anyhow::Result<mpsc::UnboundedReceiver<()>> {
    let (tx, rx) = mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        for kind in [SignalKind::terminate(), SignalKind::hangup()] {
            let mut s = signal(kind).context("cannot listen for signals")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                if s.recv().await.is_some() {
                    let _receiver_may_be_gone = tx.send(());
                }
            });
        }
    }
    Ok(rx)
}

/// Render the console headlessly at `width` x `height` once every
/// connection has answered (or `wait` has passed): for screenshots.
pub async fn snapshot(
    loaded: &Loaded,
    theme: &Theme,
    width: u16,
    height: u16,
    prepare: impl FnOnce(&mut AppState),
    wait: Duration,
) -> anyhow::Result<Buffer> {
    let mut state = AppState::new(loaded, false, Instant::now());
    state.size = ratatui::layout::Rect::new(0, 0, width, height);
    let (tx, mut rx) = mpsc::unbounded_channel::<BgMsg>();
    let tasks = Tasks::start(loaded, state.bump_generation(), tx.clone());
    // The census and the classification, as the console runs them at start.
    let mut browser =
        super::tasks::BrowserTasks::new(loaded, state.browser.conn.as_deref(), tx.clone());
    if state.browser.conn.is_some() {
        let gen = state.browser.start_census();
        browser.census(gen);
    }
    super::tasks::survey(loaded, tx);
    let deadline = tokio::time::Instant::now() + wait;
    let census_done = |s: &AppState| {
        s.browser.conn.is_none()
            || matches!(
                s.browser.census,
                super::browser::CensusState::Done { .. }
                    | super::browser::CensusState::Failed { .. }
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
    prepare(&mut state);
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    terminal.draw(|f| render(&state, theme, f))?;
    Ok(terminal.backend().buffer().clone())
}
