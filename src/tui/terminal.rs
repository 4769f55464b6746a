//! Taking over the terminal and always giving it back: on a normal exit, on
//! error (the guard's Drop), on panic (the hook) and on Ctrl-C or SIGTERM
//! (the loop quits and the guard drops).

use std::io::{self, Stdout};
use std::panic;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::Show;
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is ours right now. Restoring twice would leave the
/// alternate screen twice, which moves the cursor back over what was
/// printed in between (the panic message).
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Owns the terminal while the console runs; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        TAKEN.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(mut terminal) => {
                terminal.hide_cursor()?;
                terminal.clear()?;
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back as we found it. Safe to call more than once: only
/// the first call after `enter` does anything.
pub fn restore() {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    let _raw = disable_raw_mode();
    let _screen = execute!(io::stdout(), LeaveAlternateScreen, Show);
}

/// Restore the terminal before the panic message is printed, and print a
/// message that cannot leak data: a panic's formatted text may contain
/// values, so only constant messages and the location are shown.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            restore();
            let message = match info.payload().downcast_ref::<&'static str>() {
                Some(s) => (*s).to_string(),
                None => "(message withheld: it may contain data)".to_string(),
            };
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_else(|| "unknown location".into());
            tracing::error!(%location, %message, "panic");
            eprintln!(
                "oubli crashed at {location}: {message}\nThe terminal was restored. Please report this with the log file (it holds no personal data)."
            );
        }));
    });
}
