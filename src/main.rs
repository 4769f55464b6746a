use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, which turns `oubli scan redis | head` into a
    // panic when head stops reading; the default ends the process quietly,
    // as for any Unix filter.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = oubli::cli::Cli::parse();
    let _log = oubli::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oubli: cannot start the runtime: {e}");
            return ExitCode::from(oubli::cli::EXIT_ERROR);
        }
    };
    runtime.block_on(oubli::cli::run(cli, &Console))
}

/// The console face, handed to the command line: the two faces meet here
/// and nowhere else.
struct Console;

impl oubli::cli::Screen for Console {
    async fn console(
        &self,
        loaded: oubli::register::Loaded,
        theme: &str,
        write: bool,
    ) -> anyhow::Result<oubli::cli::Ended> {
        oubli::tui::console(loaded, theme, write).await
    }

    async fn screenshot(
        &self,
        loaded: oubli::register::Loaded,
        theme: &str,
        shot: &oubli::cli::Shot,
    ) -> anyhow::Result<String> {
        oubli::tui::screenshot_svg(loaded, theme, shot).await
    }
}
