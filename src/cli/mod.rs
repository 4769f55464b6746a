//! The headless face: every command parses its arguments, calls an engine,
//! and prints text or JSON. Exit codes: 0 clean, 1 findings, 2 usage,
//! config or connection error.
//!
//! Rooms: `args` (the command line), this file (loading the register and
//! dispatch), `check` (findings, status, map, record), `redis` (census and
//! remediation), `postgres` (classification, init), `audit` (verify, show
//! and init of the audit trail), `demo` (the seeder).
//! The console and its screenshots are the other face: the CLI reaches them
//! only through the [`Screen`] that `main.rs` hands it, so neither face
//! imports the other.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::register::{self, ConnectionKind, Loaded};

mod args;
mod audit;
mod check;
mod demo;
mod incident;
mod offline;
mod postgres;
mod redis;

pub use args::*;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A screenshot to render: the console as it would look at this size,
/// with this pane focused, on live data.
#[derive(Debug, Clone)]
pub struct Shot {
    pub width: u16,
    pub height: u16,
    /// `map`, `redis` or `postgres`.
    pub focus: String,
    pub zoom: bool,
    pub help: bool,
    /// A map node's id to select first.
    pub select: Option<String>,
}

/// Why the console ended: the command line turns it into the exit code,
/// so a script can tell a person quitting from a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The person quit (`q`, Ctrl-C).
    Quit,
    /// SIGTERM: exit 143.
    Terminated,
    /// SIGHUP, the SSH session went away: exit 129.
    HungUp,
    /// SIGINT from outside (not the Ctrl-C key, which quits): exit 130.
    Interrupted,
}

/// What the console face offers the command line. The CLI parses and
/// loads; the console draws. `main.rs` joins the two.
pub trait Screen {
    /// Run the console until the person quits or a signal ends it (the
    /// terminal is restored by then). Everything that can fail on input
    /// (the theme) is checked before the terminal is touched.
    fn console(
        &self,
        loaded: Loaded,
        theme: &str,
        write: bool,
    ) -> impl Future<Output = anyhow::Result<Ended>>;
    /// The console rendered once on live data, as an SVG document.
    fn screenshot(
        &self,
        loaded: Loaded,
        theme: &str,
        shot: &Shot,
    ) -> impl Future<Output = anyhow::Result<String>>;
}

/// Print an error the way every command does, and give the exit code.
/// A closed stderr (the SSH session went away) is not worth a panic.
/// Every message goes through the URL redaction (a driver's error may quote
/// the URL it was given) and is made printable (it may quote a server's
/// words).
pub(crate) fn fail(msg: impl std::fmt::Display) -> ExitCode {
    use std::io::Write;
    let msg = register::redact_url(&msg.to_string());
    let _stderr_may_be_gone = writeln!(std::io::stderr(), "{}", crate::show::printable_lines(&msg));
    ExitCode::from(EXIT_ERROR)
}

/// Which register file to use, if any.
pub fn find_register(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let local = PathBuf::from("oubli.toml");
    if local.exists() {
        return Some(local);
    }
    dirs::config_dir()
        .map(|d| d.join("oubli").join("register.toml"))
        .filter(|p| p.exists())
}

/// Load the register (or an ad hoc one for `--redis`/`--pg` alone) and
/// apply the command-line connections, for a command that dials stores.
pub fn load(global: &Global) -> Result<Loaded, String> {
    load_for(global, false)
}

/// How the command line uses the register's connections: `--redis`/`--pg`
/// stand in for them; `offline` when the command dials no store.
fn load_options(global: &Global, offline: bool) -> register::LoadOptions {
    register::LoadOptions {
        redis_given: global.redis.is_some(),
        pg_given: global.pg.is_some(),
        offline,
    }
}

/// The command-line connections over a loaded register.
fn apply_overrides(global: &Global, loaded: &mut Loaded) {
    if let Some(url) = &global.redis {
        loaded.override_connection(ConnectionKind::Redis, url);
    }
    if let Some(url) = &global.pg {
        loaded.override_connection(ConnectionKind::Postgres, url);
    }
}

/// [`load`], for a command that dials no store when `offline` (an unset
/// variable does not stop it).
pub fn load_for(global: &Global, offline: bool) -> Result<Loaded, String> {
    let opts = load_options(global, offline);
    let mut loaded = match find_register(global.config.as_deref()) {
        Some(path) => register::load_file_with(&path, &opts).map_err(|e| e.to_string())?,
        None if global.redis.is_some() || global.pg.is_some() => register::load::ad_hoc(),
        None => {
            return Err(
                "no register: pass --config FILE (see config/example.toml), set OUBLI_CONFIG, \
                 or give --redis URL / --pg URL for a quick look"
                    .to_string(),
            )
        }
    };
    apply_overrides(global, &mut loaded);
    Ok(loaded)
}

/// `oubli config check`: the register as the console would load it, with
/// the same `--redis`/`--pg`. Errors (exit 2) and warnings (exit 0) are
/// each printed as `error:`/`warning:` `file:line:column: reason`.
fn config_check(global: &Global, file: Option<PathBuf>) -> ExitCode {
    use std::io::Write;
    let Some(path) = file.or_else(|| find_register(global.config.as_deref())) else {
        return fail("config check: which file? pass FILE or --config FILE");
    };
    let mut l = match register::load_file_with(&path, &load_options(global, false)) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    for w in &l.warnings {
        let _stderr_may_be_gone = writeln!(
            std::io::stderr(),
            "warning: {}",
            crate::show::printable_lines(&register::redact_url(&w.to_string()))
        );
    }
    apply_overrides(global, &mut l);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let flags: Vec<String> = l
        .connections
        .values()
        .filter(|c| c.from_command_line)
        .map(|c| {
            let flag = match c.kind {
                ConnectionKind::Redis => "--redis",
                ConnectionKind::Postgres => "--pg",
            };
            format!("{} from {flag}", c.name)
        })
        .collect();
    println!(
        "{}: ok — {}, {}, {}{}{}{}",
        path.display(),
        plural(l.register.storages.len(), "storage", "storages"),
        plural(l.register.flows.len(), "flow", "flows"),
        plural(l.connections.len(), "connection", "connections"),
        if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        },
        if l.register.person.is_some() {
            ", person model"
        } else {
            ""
        },
        match l.warnings.len() {
            0 => String::new(),
            n => format!(", {} (above)", plural(n, "warning", "warnings")),
        }
    );
    ExitCode::from(EXIT_OK)
}

pub async fn run(cli: Cli, screen: &impl Screen) -> ExitCode {
    match cli.command {
        None => run_console(&cli.global, screen).await,
        Some(Command::Config(ConfigCmd::Check { file })) => config_check(&cli.global, file),
        Some(Command::Config(ConfigCmd::Defaults)) => {
            print!("{}", register::settings::DEFAULTS_TOML);
            ExitCode::from(EXIT_OK)
        }
        Some(Command::Status(args)) => check::status(&cli.global, args.format).await,
        Some(Command::Check(args)) => check::check(&cli.global, &args).await,
        Some(Command::Map(args)) => check::map(&cli.global, &args),
        Some(Command::Scan(ScanCmd::Redis(args))) => redis::scan_redis(&cli.global, &args).await,
        Some(Command::Scan(ScanCmd::File(args))) => offline::scan_file(&cli.global, &args).await,
        Some(Command::Redis(cmd)) => redis::remediate(&cli.global, &cmd).await,
        Some(Command::Register(args)) => check::record(&cli.global, &args),
        Some(Command::Demo(DemoCmd::Seed(args))) => demo::seed(&cli.global, &args).await,
        Some(Command::Screenshot(args)) => screenshot(&cli.global, &args, screen).await,
        Some(Command::Classify(ClassifyCmd::Postgres(args))) => {
            postgres::classify_postgres(&cli.global, &args).await
        }
        Some(Command::Init(args)) => postgres::init(&cli.global, &args).await,
        Some(Command::Audit(AuditCmd::Verify(args))) => audit::verify(&args).await,
        Some(Command::Audit(AuditCmd::Show(args))) => audit::show(&args),
        Some(Command::Audit(AuditCmd::Init(args))) => audit::init(&args).await,
        Some(Command::Incident(cmd)) => incident::run(&cli.global, cmd).await,
    }
}

/// The theme to use: `--theme`, else the register's.
fn theme_name<'a>(global: &'a Global, loaded: &'a Loaded) -> &'a str {
    global.theme.as_deref().unwrap_or(&loaded.register.ui.theme)
}

async fn run_console(global: &Global, screen: &impl Screen) -> ExitCode {
    // Everything that can fail on input is checked before the screen is taken.
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let theme = theme_name(global, &loaded).to_string();
    // 128 + the signal's number, as a shell reports a process it ended.
    match screen.console(loaded, &theme, global.write).await {
        Ok(Ended::Quit) => ExitCode::from(EXIT_OK),
        Ok(Ended::HungUp) => ExitCode::from(128 + 1),
        Ok(Ended::Interrupted) => ExitCode::from(128 + 2),
        Ok(Ended::Terminated) => ExitCode::from(128 + 15),
        Err(e) => fail(format!("oubli: {e:#}")),
    }
}

async fn screenshot(global: &Global, args: &ScreenshotArgs, screen: &impl Screen) -> ExitCode {
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let shot = Shot {
        width: args.size.0,
        height: args.size.1,
        focus: args.focus.clone(),
        zoom: args.zoom,
        help: args.with_help,
        select: args.select.clone(),
    };
    let theme = theme_name(global, &loaded).to_string();
    let svg = match screen.screenshot(loaded, &theme, &shot).await {
        Ok(svg) => svg,
        Err(e) => return fail(format!("screenshot: {e:#}")),
    };
    match std::fs::write(&args.out, svg) {
        Ok(()) => {
            println!("wrote {}", args.out.display());
            ExitCode::from(EXIT_OK)
        }
        Err(e) => fail(format!("cannot write {}: {e}", args.out.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
