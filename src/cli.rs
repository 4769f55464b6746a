//! The headless face: every command parses its arguments, calls an engine,
//! and prints text or JSON. Exit codes: 0 clean, 1 findings, 2 usage,
//! config or connection error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::register::{self, ConnectionKind, Loaded};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "oubli",
    version,
    about = "A terminal console for the personal data kept in PostgreSQL and Redis (GDPR).",
    long_about = "A terminal console for the personal data kept in PostgreSQL and Redis (GDPR).\n\n\
        Without a command, opens the console on the register (the data map as code).\n\
        Read-only unless --write is given.\n\n\
        Exit codes: 0 clean, 1 findings, 2 usage, config or connection error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The register (TOML). Default: $OUBLI_CONFIG, ./oubli.toml, then
    /// $XDG_CONFIG_HOME/oubli/register.toml.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "OUBLI_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// A Redis URL that stands in for (or overrides) the register's Redis
    /// connection, like `redis-cli -u`.
    #[arg(long, global = true, value_name = "URL")]
    pub redis: Option<String>,
    /// A Postgres URL that stands in for (or overrides) the register's
    /// Postgres connection, like `psql URL`.
    #[arg(long, global = true, value_name = "URL")]
    pub pg: Option<String>,
    /// Theme: dark, light, ansi16, or a path to a theme file. NO_COLOR is honoured.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,
    /// Enable actions that write to a store (erase, TTL changes). Shown as a banner.
    #[arg(long, global = true)]
    pub write: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate or show the register.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Connect to every store of the register and report what answers.
    Status(StatusArgs),
    /// The register's gaps as findings (exit 0 none, 1 some, 2 error).
    Check(CheckArgs),
    /// Write the data-flow map as Mermaid, DOT or JSON.
    Map(MapArgs),
    /// Census of a store: every Redis key by namespace, TTL health, memory, personal data.
    #[command(subcommand)]
    Scan(ScanCmd),
    /// Remediation on Redis (needs --write and a typed confirmation).
    #[command(subcommand)]
    Redis(RedisCmd),
    /// Write the record of processing activities (Art. 30) as CSV or Markdown.
    Register(RegisterArgs),
    /// Demo data for an appointment-booking service.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// Render the console to an SVG file (for README screenshots).
    Screenshot(ScreenshotArgs),
    /// Classify the columns of a live store as personal or not.
    #[command(subcommand)]
    Classify(ClassifyCmd),
    /// Introspect a database (--pg URL) and write a commented starter register.
    Init(InitArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Check a register file: exit 0 when valid, 2 with file:line:column and reason otherwise.
    Check {
        /// The register to check (default: --config).
        file: Option<PathBuf>,
    },
    /// Print the embedded defaults that a register's [ui], [redis], [postgres] and [retry] override.
    Defaults,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also connect to the live stores and report what contradicts the
    /// register (exit 2 if a store cannot be reached).
    #[arg(long)]
    pub live: bool,
}

#[derive(Debug, Subcommand)]
pub enum RedisCmd {
    /// Give the keys of a namespace a TTL: those without one (and, with
    /// --also-longer, those that expire later than it).
    Expire(ExpireArgs),
    /// UNLINK every key of a namespace.
    Unlink(UnlinkArgs),
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// The namespace as the census names it, e.g. `otp:{phone}`.
    #[arg(long)]
    pub namespace: String,
    /// The TTL, e.g. "7 days".
    #[arg(long)]
    pub ttl: String,
    /// Also shorten TTLs longer than the new one.
    #[arg(long)]
    pub also_longer: bool,
    /// The namespace typed again, to confirm.
    #[arg(long)]
    pub confirm: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct UnlinkArgs {
    #[arg(long)]
    pub namespace: String,
    #[arg(long)]
    pub confirm: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ScanCmd {
    /// Count every key of the register's Redis (SCAN, never KEYS), by namespace.
    Redis(ScanRedisArgs),
}

#[derive(Debug, Args)]
pub struct ScanRedisArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also read a bounded sample of values per namespace and search them.
    #[arg(long)]
    pub sample: bool,
    /// Do not ask MEMORY USAGE (cheaper; sizes unknown).
    #[arg(long)]
    pub no_memory: bool,
    /// Override the load budget (commands per second, 0 = none).
    #[arg(long)]
    pub max_ops: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MapFormat {
    Mermaid,
    Dot,
    Json,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    #[arg(long, value_enum, default_value_t = MapFormat::Mermaid)]
    pub format: MapFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RecordFormat {
    Csv,
    Md,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[arg(long, value_enum, default_value_t = RecordFormat::Md)]
    pub format: RecordFormat,
}

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Fill a throwaway Redis database and Postgres database with synthetic
    /// data. The Redis db is flushed and the demo tables are replaced.
    Seed(SeedArgs),
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Number of users (citizens) in Postgres.
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Number of Redis keys, about.
    #[arg(long, default_value_t = 50_000)]
    pub keys: usize,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Seed only Redis.
    #[arg(long, conflicts_with = "pg_only")]
    pub redis_only: bool,
    /// Seed only Postgres.
    #[arg(long)]
    pub pg_only: bool,
}

#[derive(Debug, Args)]
pub struct ScreenshotArgs {
    /// Terminal size, WIDTHxHEIGHT.
    #[arg(long, default_value = "120x40", value_parser = parse_size)]
    pub size: (u16, u16),
    /// Pane to focus: map, redis or postgres.
    #[arg(long, default_value = "map")]
    pub focus: String,
    /// Open the help overlay.
    #[arg(long)]
    pub with_help: bool,
    /// Zoom the focused pane to the whole screen.
    #[arg(long)]
    pub zoom: bool,
    /// Select this map node (id) first.
    #[arg(long)]
    pub select: Option<String>,
    /// Output SVG file.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, e.g. 120x40"))?;
    let p = |v: &str| v.parse::<u16>().map_err(|e| format!("{v:?}: {e}"));
    Ok((p(w)?, p(h)?))
}

/// Print an error the way every command does, and give the exit code.
/// A closed stderr (the SSH session went away) is not worth a panic.
fn fail(msg: impl std::fmt::Display) -> ExitCode {
    use std::io::Write;
    let _stderr_may_be_gone = writeln!(std::io::stderr(), "{msg}");
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
/// apply the command-line connections.
pub fn load(global: &Global) -> Result<Loaded, String> {
    let mut loaded = match find_register(global.config.as_deref()) {
        Some(path) => register::load_file(&path).map_err(|e| e.to_string())?,
        None if global.redis.is_some() || global.pg.is_some() => register::load::ad_hoc(),
        None => {
            return Err(
                "no register: pass --config FILE (see config/example.toml), set OUBLI_CONFIG, \
                 or give --redis URL / --pg URL for a quick look"
                    .to_string(),
            )
        }
    };
    if let Some(url) = &global.redis {
        loaded.override_connection(ConnectionKind::Redis, url);
    }
    if let Some(url) = &global.pg {
        loaded.override_connection(ConnectionKind::Postgres, url);
    }
    Ok(loaded)
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        None => run_console(&cli.global).await,
        Some(Command::Config(ConfigCmd::Check { file })) => {
            let Some(path) = file.or_else(|| find_register(cli.global.config.as_deref())) else {
                return fail("config check: which file? pass FILE or --config FILE");
            };
            match register::load_file(&path) {
                Ok(l) => {
                    println!(
                        "{}: ok — {} storages, {} flows, {} connections{}",
                        path.display(),
                        l.register.storages.len(),
                        l.register.flows.len(),
                        l.connections.len(),
                        if l.register.person.is_some() {
                            ", person model"
                        } else {
                            ""
                        }
                    );
                    ExitCode::from(EXIT_OK)
                }
                Err(e) => fail(e),
            }
        }
        Some(Command::Config(ConfigCmd::Defaults)) => {
            print!("{}", register::settings::DEFAULTS_TOML);
            ExitCode::from(EXIT_OK)
        }
        Some(Command::Status(args)) => status(&cli.global, args.format).await,
        Some(Command::Check(args)) => check(&cli.global, &args).await,
        Some(Command::Map(args)) => map(&cli.global, &args),
        Some(Command::Scan(ScanCmd::Redis(args))) => scan_redis(&cli.global, &args).await,
        Some(Command::Redis(cmd)) => remediate(&cli.global, &cmd).await,
        Some(Command::Register(args)) => record(&cli.global, &args),
        Some(Command::Demo(DemoCmd::Seed(args))) => seed(&cli.global, &args).await,
        Some(Command::Screenshot(args)) => screenshot(&cli.global, &args).await,
        Some(Command::Classify(ClassifyCmd::Postgres(args))) => {
            classify_postgres(&cli.global, &args).await
        }
        Some(Command::Init(args)) => init(&cli.global, &args).await,
    }
}

/// The register and the theme: everything a screen needs that can fail on
/// input, checked before the terminal is touched.
fn load_for_screen(global: &Global) -> Result<(Loaded, crate::tui::theme::Theme), String> {
    let loaded = load(global)?;
    let name = global.theme.as_deref().unwrap_or(&loaded.register.ui.theme);
    let theme = crate::tui::theme::Theme::from_env(Some(name)).map_err(|e| e.to_string())?;
    Ok((loaded, theme))
}

async fn run_console(global: &Global) -> ExitCode {
    // Everything that can fail on input is checked before the screen is taken.
    let (loaded, theme) = match load_for_screen(global) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let opts = crate::tui::app::RunOptions {
        theme,
        write_mode: global.write,
    };
    match crate::tui::app::run(loaded, opts).await {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => fail(format!("oubli: {e:#}")),
    }
}

/// `oubli check`: the register's gaps, and with `--live` what the stores
/// contradict. Exit 0 clean, 1 findings, 2 error.
async fn check(global: &Global, args: &CheckArgs) -> ExitCode {
    use crate::register::lint;
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let mut findings = lint::lint(reg);
    if args.live {
        // A census of every Redis connection that a storage carries; then
        // the logical databases of each server that none of them read.
        let mut done = Vec::new();
        for c in loaded.connections_of(ConnectionKind::Redis) {
            let Some(storage) = reg.storage_of_connection(&c.name) else {
                continue;
            };
            let mut opts =
                crate::redis::census::CensusOptions::for_connection(&loaded.register, &c.name);
            opts.sample = Some(crate::redis::census::SampleOptions::default());
            let token = tokio_util::sync::CancellationToken::new();
            let result =
                crate::redis::cluster::census_connection(c, &reg.redis, &opts, &token, |_| {})
                    .await;
            match result {
                Ok(census) => {
                    findings.extend(crate::redis::findings::census_findings(
                        reg, storage, &census,
                    ));
                    done.push((
                        crate::redis::server_and_db(c).map(|(s, _)| s),
                        census,
                        storage,
                    ));
                }
                Err(e) => return fail(format!("check --live: Redis {}: {e:#}", c.name)),
            }
        }
        for (server, census, storage) in &done {
            let covered: Vec<u32> = done
                .iter()
                .filter(|(s, _, _)| s == server)
                .map(|(_, c, _)| c.db)
                .collect();
            findings.extend(crate::redis::findings::uncovered_db_findings(
                storage, census, &covered,
            ));
        }
        match pg_findings(&loaded).await {
            Ok(f) => findings.extend(f),
            Err(e) => return fail(format!("check --live: {e:#}")),
        }
    }
    match args.format {
        Format::Json => println!("{}", serde_json::json!({ "findings": findings })),
        Format::Text => {
            if findings.is_empty() {
                println!("{}: no finding", reg.register.name);
            }
            for f in &findings {
                println!("{:<6} {:<30} {}", f.severity.as_str(), f.kind, f.message);
            }
        }
    }
    ExitCode::from(if findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `oubli scan redis`: the census, as a namespace table or JSON.
async fn scan_redis(global: &Global, args: &ScanRedisArgs) -> ExitCode {
    use crate::redis::census;
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
        return fail(
            "scan redis: no Redis connection (add one to the register or pass --redis URL)",
        );
    };
    let mut opts =
        crate::redis::census::CensusOptions::for_connection(&loaded.register, &conn.name);
    opts.memory = !args.no_memory;
    if args.sample {
        opts.sample = Some(census::SampleOptions::default());
    }
    if let Some(m) = args.max_ops {
        opts.max_ops_per_sec = m;
    }
    let result = async {
        let token = tokio_util::sync::CancellationToken::new();
        let ctrl_c = token.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                ctrl_c.cancel();
            }
        });
        crate::redis::cluster::census_connection(
            conn,
            &loaded.register.redis,
            &opts,
            &token,
            |_| {},
        )
        .await
    }
    .await;
    let c = match result {
        Ok(c) => c,
        Err(e) => return fail(format!("scan redis: {e:#}")),
    };
    match args.format {
        Format::Json => match serde_json::to_string(&c) {
            Ok(j) => println!("{j}"),
            Err(e) => return fail(format!("scan redis: {e}")),
        },
        Format::Text => {
            println!(
                "{} db{}: {} keys scanned of {} (DBSIZE) in {:.1}s, {} namespaces{}",
                c.node,
                c.db,
                c.scanned,
                c.dbsize,
                c.elapsed_ms as f64 / 1000.0,
                c.namespaces.len(),
                if c.complete { "" } else { " (interrupted)" }
            );
            for w in &c.warnings {
                println!("warning: {w}");
            }
            println!(
                "{:>9} {:>10} {:>8} {:>8}  {:<14} pattern",
                "keys", "memory", "no TTL", ">retent", "pii"
            );
            for n in &c.namespaces {
                let pii: Vec<&str> = n
                    .key_pii
                    .keys()
                    .chain(n.value_pii.keys())
                    .map(|k| k.as_str())
                    .collect();
                let mut pii = pii;
                pii.dedup();
                println!(
                    "{:>9} {:>10} {:>8} {:>8}  {:<14} {}",
                    n.keys,
                    crate::tui::widgets::bytes(n.bytes),
                    n.no_ttl,
                    n.ttl_beyond_retention,
                    crate::tui::widgets::fit(&pii.join(","), 14),
                    crate::tui::widgets::fit(&n.pattern, 120)
                );
            }
        }
    }
    ExitCode::from(EXIT_OK)
}

/// `oubli redis expire|unlink`: write mode, a typed confirmation, then the
/// change in budgeted batches; the report holds counts, never key names.
async fn remediate(global: &Global, cmd: &RedisCmd) -> ExitCode {
    use crate::redis::actions;
    let (namespace, confirm, format) = match cmd {
        RedisCmd::Expire(a) => (&a.namespace, &a.confirm, a.format),
        RedisCmd::Unlink(a) => (&a.namespace, &a.confirm, a.format),
    };
    if !global.write {
        return fail("read-only: this command changes Redis; run it with --write");
    }
    if confirm.as_deref() != Some(namespace.as_str()) {
        return fail(format!(
            "confirm with --confirm and type the namespace exactly: {namespace}"
        ));
    }
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
        return fail("no Redis connection (add one to the register or pass --redis URL)");
    };
    let s = &loaded.register.redis;
    let token = tokio_util::sync::CancellationToken::new();
    let ctrl_c = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.cancel();
        }
    });
    let result = async {
        use crate::redis::keyspace::{Keyspace, NsChange};
        let keyspace = Keyspace::open(conn, s).await?;
        let change = match cmd {
            RedisCmd::Expire(a) => {
                let ttl = match a.ttl.parse::<crate::register::Retention>() {
                    Ok(crate::register::Retention::Limited(p)) => p.as_duration(),
                    _ => anyhow::bail!("--ttl {:?}: expected a duration such as \"7 days\"", a.ttl),
                };
                let scope = if a.also_longer {
                    actions::TtlScope::NoTtlOrLonger
                } else {
                    actions::TtlScope::NoTtl
                };
                NsChange::Expire { ttl, scope }
            }
            RedisCmd::Unlink(_) => NsChange::Unlink,
        };
        let report = keyspace
            .change_namespace(
                change,
                namespace,
                s.scan_count,
                s.max_ops_per_sec,
                &token,
                |_| {},
            )
            .await?;
        Ok::<_, anyhow::Error>(report)
    }
    .await;
    match result {
        Ok(r) => {
            tracing::info!(target: "audit", action = %r.action, namespace = %r.pattern, changed = r.changed, scanned = r.scanned, "redis remediation");
            match format {
                Format::Json => println!("{}", serde_json::to_string(&r).unwrap_or_default()),
                Format::Text => println!(
                    "{} on {}: {} keys changed, {} unchanged, of {} matched{}",
                    r.action,
                    r.pattern,
                    r.changed,
                    r.unchanged,
                    r.scanned,
                    if r.complete { "" } else { " (interrupted)" }
                ),
            }
            ExitCode::from(EXIT_OK)
        }
        Err(e) => fail(format!("redis: {e:#}")),
    }
}

/// `oubli map`: the diagram in a format other tools draw.
fn map(global: &Global, args: &MapArgs) -> ExitCode {
    use crate::register::{export, lint};
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let findings = lint::lint(reg);
    match args.format {
        MapFormat::Mermaid => print!("{}", export::mermaid(reg, &findings)),
        MapFormat::Dot => print!("{}", export::dot(reg, &findings)),
        MapFormat::Json => println!("{}", export::json(reg, &findings)),
    }
    ExitCode::from(EXIT_OK)
}

/// `oubli register`: the record of processing activities.
fn record(global: &Global, args: &RegisterArgs) -> ExitCode {
    use crate::register::export;
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match args.format {
        RecordFormat::Md => print!("{}", export::record_markdown(&loaded.register)),
        RecordFormat::Csv => match export::record_csv(&loaded.register) {
            Ok(s) => print!("{s}"),
            Err(e) => return fail(format!("register: {e:#}")),
        },
    }
    ExitCode::from(EXIT_OK)
}

/// `oubli status`: the headless twin of the console header.
async fn status(global: &Global, format: Format) -> ExitCode {
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let mut results = Vec::new();
    for c in loaded.connections.values() {
        let outcome: anyhow::Result<serde_json::Value> = match c.kind {
            ConnectionKind::Redis => {
                async {
                    let mut con = crate::redis::connect(c, &reg.redis).await?;
                    let o = crate::redis::overview::fetch(&mut con).await?;
                    Ok(serde_json::to_value(o)?)
                }
                .await
            }
            ConnectionKind::Postgres => {
                async {
                    let client = crate::postgres::connect(c, &reg.postgres).await?;
                    let o = crate::postgres::overview::fetch(&client).await?;
                    Ok(serde_json::to_value(o)?)
                }
                .await
            }
        };
        results.push((c, outcome));
    }
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = results
                .iter()
                .map(|(c, r)| {
                    let mut v = serde_json::json!({
                        "name": c.name,
                        "kind": match c.kind { ConnectionKind::Redis => "redis", ConnectionKind::Postgres => "postgres" },
                        "url": c.url.redacted(),
                        "ok": r.is_ok(),
                    });
                    match r {
                        Ok(o) => v["overview"] = o.clone(),
                        Err(e) => v["error"] = format!("{e:#}").into(),
                    }
                    v
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({ "register": reg.register.name, "connections": items })
            );
        }
        Format::Text => {
            println!("{}", reg.register.name);
            if results.is_empty() {
                println!("  no connection in the register");
            }
            for (c, r) in &results {
                match r {
                    Ok(o) => {
                        let detail = match c.kind {
                            ConnectionKind::Redis => format!(
                                "redis {} — {} keys",
                                o["version"].as_str().unwrap_or("?"),
                                o["dbs"].as_array().map_or(0, |d| d
                                    .iter()
                                    .filter_map(|x| x["keys"].as_u64())
                                    .sum::<u64>())
                            ),
                            ConnectionKind::Postgres => format!(
                                "postgres {} — database {}, {} tables",
                                o["version"].as_str().unwrap_or("?"),
                                o["database"].as_str().unwrap_or("?"),
                                o["tables"].as_array().map_or(0, Vec::len)
                            ),
                        };
                        println!("  ok    {:<12} {}  ({})", c.name, detail, c.url.redacted());
                    }
                    Err(e) => println!("  FAIL  {:<12} {e:#}", c.name),
                }
            }
        }
    }
    ExitCode::from(if failed > 0 { EXIT_ERROR } else { EXIT_OK })
}

async fn seed(global: &Global, args: &SeedArgs) -> ExitCode {
    let opts = crate::demo::SeedOptions {
        users: args.users,
        keys: args.keys,
        seed: args.seed,
    };
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let mut reports = Vec::new();
    if !args.pg_only {
        let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
            return fail("demo seed: no Redis connection (pass --redis URL, or --pg-only)");
        };
        let result = async {
            let mut con = crate::redis::connect(conn, &loaded.register.redis).await?;
            crate::demo::seed_redis(&mut con, &opts).await
        }
        .await;
        match result {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("demo seed: Redis at {}: {e:#}", conn.url)),
        }
    }
    if !args.redis_only {
        let Some(conn) = loaded.connections_of(ConnectionKind::Postgres).next() else {
            return fail("demo seed: no Postgres connection (pass --pg URL, or --redis-only)");
        };
        let result = async {
            let mut client =
                crate::postgres::connect_writable(conn, &loaded.register.postgres).await?;
            crate::demo::seed_postgres(&mut client, &opts).await
        }
        .await;
        match result {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("demo seed: Postgres at {}: {e:#}", conn.url)),
        }
    }
    for r in &reports {
        println!(
            "{}: {} items in {:.1}s",
            r.target,
            crate::tui::widgets::count(r.total),
            r.elapsed.as_secs_f64()
        );
        for (what, n) in &r.items {
            println!("  {:>10}  {what}", crate::tui::widgets::count(*n));
        }
    }
    ExitCode::from(EXIT_OK)
}

async fn screenshot(global: &Global, args: &ScreenshotArgs) -> ExitCode {
    let (loaded, theme) = match load_for_screen(global) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let focus = match args.focus.as_str() {
        "map" => crate::tui::action::PaneId::Map,
        "redis" => crate::tui::action::PaneId::Redis,
        "postgres" | "pg" => crate::tui::action::PaneId::Postgres,
        other => {
            return fail(format!(
                "--focus {other:?}: expected map, redis or postgres"
            ))
        }
    };
    let (w, h) = args.size;
    let help = args.with_help;
    let zoom = args.zoom;
    let select = args.select.clone();
    let buffer = match crate::tui::app::snapshot(
        &loaded,
        &theme,
        w,
        h,
        |s| {
            s.focus = focus;
            s.zoom = zoom;
            if let Some(id) = &select {
                if let Some(i) = s.register.storages.iter().position(|n| n.id() == id) {
                    s.map_node = i;
                }
            }
            if help {
                s.run(crate::tui::action::Action::ToggleHelp);
            }
        },
        Duration::from_secs(10),
    )
    .await
    {
        Ok(b) => b,
        Err(e) => return fail(format!("screenshot: {e:#}")),
    };
    let fg = theme.text.fg.unwrap_or(ratatui::style::Color::Reset);
    let bg = theme.base.bg.unwrap_or(ratatui::style::Color::Reset);
    let svg = crate::tui::svg::buffer_to_svg(&buffer, fg, bg);
    match std::fs::write(&args.out, svg) {
        Ok(()) => {
            println!("wrote {}", args.out.display());
            ExitCode::from(EXIT_OK)
        }
        Err(e) => fail(format!("cannot write {}: {e}", args.out.display())),
    }
}

// ─── Postgres: classify, init, live findings ───────────────────────────

#[derive(Debug, Subcommand)]
pub enum ClassifyCmd {
    /// Every column of the Postgres database (--pg URL or the register's):
    /// personal or not, categories, confidence, evidence (masked, never a value).
    Postgres(ClassifyPgArgs),
}

#[derive(Debug, Args)]
pub struct ClassifyPgArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also print the person graph (person tables and how rows link to them).
    #[arg(long)]
    pub graph: bool,
    /// Rows sampled per table (key-ordered, repeatable).
    #[arg(long, default_value_t = 200)]
    pub sample: i64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write the register here instead of standard output (refuses to overwrite).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Environment variable the written register reads the Postgres URL from.
    #[arg(long, default_value = "OUBLI_PG_URL")]
    pub pg_url_env: String,
    /// Environment variable for the Redis URL (a Redis storage is declared when --redis is given).
    #[arg(long, default_value = "OUBLI_REDIS_URL")]
    pub redis_url_env: String,
}

/// The first Postgres connection of the register (or --pg), opened read-only.
async fn pg_client(
    loaded: &Loaded,
) -> Result<(&register::ResolvedConnection, tokio_postgres::Client), String> {
    let Some(conn) = loaded.connections_of(ConnectionKind::Postgres).next() else {
        return Err("no Postgres connection: pass --pg URL or a register with one".into());
    };
    crate::postgres::connect(conn, &loaded.register.postgres)
        .await
        .map(|c| (conn, c))
        .map_err(|e| format!("{e:#}"))
}

/// `oubli check --live`: the Postgres findings of every Postgres connection.
async fn pg_findings(loaded: &Loaded) -> anyhow::Result<Vec<register::lint::Finding>> {
    let mut out = Vec::new();
    for c in loaded.connections_of(ConnectionKind::Postgres) {
        let client = crate::postgres::connect(c, &loaded.register.postgres).await?;
        out.extend(crate::postgres::findings(&client, &loaded.register, &c.name).await?);
    }
    Ok(out)
}

async fn classify_postgres(global: &Global, args: &ClassifyPgArgs) -> ExitCode {
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (_, client) = match pg_client(&loaded).await {
        Ok(x) => x,
        Err(e) => return fail(format!("classify postgres: {e}")),
    };
    let opts = crate::postgres::classify::Options {
        sample_rows: args.sample.clamp(1, 10_000),
        ..Default::default()
    };
    let s = match crate::postgres::survey(&client, Some(&loaded.register), &opts).await {
        Ok(s) => s,
        Err(e) => return fail(format!("classify postgres: {e:#}")),
    };
    match args.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "database": s.catalog.database,
                "columns": s.classification.columns,
                "person_tables": s.classification.person_tables,
                "polymorphic": s.classification.polymorphic,
            });
            if args.graph {
                v["graph"] = serde_json::json!(s.graph);
            }
            println!("{v}");
        }
        Format::Text => {
            for t in &s.catalog.tables {
                let tq = t.qualified();
                let cols: Vec<_> = s
                    .classification
                    .columns
                    .iter()
                    .filter(|c| c.table == tq)
                    .collect();
                let n = cols.iter().filter(|c| c.personal).count();
                println!(
                    "{tq}  (~{} rows, {n} personal of {} columns)",
                    t.estimated_rows.max(0),
                    cols.len()
                );
                for c in cols {
                    let mark = if c.personal { "*" } else { " " };
                    println!(
                        "  {mark} {:<24} {:<26} {:.2} {:<32} {}",
                        c.column,
                        c.data_type,
                        c.confidence,
                        c.categories.join(","),
                        c.evidence.first().map(String::as_str).unwrap_or("")
                    );
                    for p in &c.paths {
                        println!("      {:<22} {}", p.path, p.kinds.join(","));
                    }
                }
            }
            if args.graph {
                println!("\nperson tables: {}", s.graph.person_tables.join(", "));
                for e in &s.graph.edges {
                    let cond = e
                        .condition
                        .as_ref()
                        .map(|(c, v)| format!(" when {c} = {v:?}"))
                        .unwrap_or_default();
                    println!(
                        "  {:<12} ← {:<16} {:<40} {}{}{}",
                        e.person,
                        e.table,
                        e.link(),
                        e.kind.as_str(),
                        cond,
                        if e.indexed { "" } else { "  (no index)" }
                    );
                }
            }
        }
    }
    ExitCode::from(EXIT_OK)
}

async fn init(global: &Global, args: &InitArgs) -> ExitCode {
    if global.pg.is_none() {
        return fail("init: which database? pass --pg URL");
    }
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (_, client) = match pg_client(&loaded).await {
        Ok(x) => x,
        Err(e) => return fail(format!("init: {e}")),
    };
    let s = match crate::postgres::survey(&client, None, &Default::default()).await {
        Ok(s) => s,
        Err(e) => return fail(format!("init: {e:#}")),
    };
    let opts = crate::postgres::init::InitOptions {
        pg_url_env: args.pg_url_env.clone(),
        redis_url_env: global.redis.as_ref().map(|_| args.redis_url_env.clone()),
    };
    let mut text = crate::postgres::init::starter_register(&s, &opts);
    // With --redis: a census, and the person model's Redis patterns from it.
    if let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() {
        let census = async {
            let mut con = crate::redis::connect(conn, &loaded.register.redis).await?;
            let mut opts =
                crate::redis::census::CensusOptions::for_connection(&loaded.register, &conn.name);
            opts.sample = Some(crate::redis::census::SampleOptions::default());
            let token = tokio_util::sync::CancellationToken::new();
            Ok::<_, anyhow::Error>(
                crate::redis::census::run(
                    &mut con,
                    None,
                    &conn.url.redacted(),
                    &opts,
                    &token,
                    |_| {},
                )
                .await?,
            )
        }
        .await;
        match census {
            Ok(c) => {
                let identifiers: Vec<String> = toml::from_str::<toml::Table>(&text)
                    .ok()
                    .and_then(|t| t.get("person")?.get("identifiers")?.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                text.push('\n');
                text.push_str(&crate::redis::init::person_redis_section(&c, &identifiers));
            }
            Err(e) => return fail(format!("init: Redis: {e:#}")),
        }
    }
    match &args.out {
        None => print!("{text}"),
        Some(path) => {
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
            if let Err(e) = written {
                return fail(format!("init: cannot write {}: {e}", path.display()));
            }
            eprintln!(
                "wrote {} — review it, then: {}=… oubli config check {}",
                path.display(),
                args.pg_url_env,
                path.display()
            );
        }
    }
    ExitCode::from(EXIT_OK)
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
