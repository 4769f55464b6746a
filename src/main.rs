use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
    runtime.block_on(oubli::cli::run(cli))
}
