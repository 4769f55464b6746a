//! The command line: every command, its arguments and their help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// The audit trail: check it, list it, create its keys.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Breach worksheets (Art. 33, 34): count, score, clock, drafts.
    #[command(subcommand)]
    Incident(IncidentCmd),
}

#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// Open a worksheet: count what was exposed (people through the person
    /// graph, records), score it (ENISA), start the 72-hour clock, write the
    /// drafts (JSON and Markdown, 0600).
    New(IncidentNewArgs),
    /// Every worksheet with its clock; exit 1 when one is past its deadline
    /// without a notification.
    List(IncidentDirArgs),
    /// One worksheet: its drafts (Markdown) or JSON.
    Show(IncidentShowArgs),
    /// Record a notification to the authority (initial or complementary).
    Notify(IncidentNotifyArgs),
}

#[derive(Debug, Args)]
pub struct IncidentDirArgs {
    /// Where worksheets are kept (default: $XDG_STATE_HOME/oubli/incidents).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct IncidentNewArgs {
    /// A short name for the incident (kept in the worksheet; no personal data).
    #[arg(long)]
    pub title: String,
    /// When the team became aware (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub aware_at: Option<String>,
    /// What was exposed: table:NAME, namespace:PATTERN, storage:ID, file:PATH (repeat).
    #[arg(long = "expose", value_name = "WHAT", required = true)]
    pub exposed: Vec<String>,
    /// Who could see the data.
    #[arg(long, default_value = "none", value_parser = ["none", "known", "unknown"])]
    pub confidentiality: String,
    /// Whether the data was altered: not, recoverably, or lost for good.
    #[arg(long, default_value = "none", value_parser = ["none", "recoverable", "lost"])]
    pub integrity: String,
    /// Whether the data became unavailable, for a while or for good.
    #[arg(long, default_value = "none", value_parser = ["none", "temporary", "permanent"])]
    pub availability: String,
    /// Someone meant harm (theft, ransom): raises the circumstances score.
    #[arg(long)]
    pub malicious: bool,
    /// The breach is not contained yet.
    #[arg(long)]
    pub ongoing: bool,
    /// Where it came from: inside the organisation or outside.
    #[arg(long, default_value = "unknown", value_parser = ["unknown", "internal", "external"])]
    pub origin: String,
    /// The data was encrypted and the key not exposed (Art. 34(3)(a)).
    #[arg(long)]
    pub encrypted: bool,
    /// When the data was exposed: FROM..TO (RFC 3339).
    #[arg(long, value_name = "FROM..TO")]
    pub window: Option<String>,
    /// A measure already taken (Art. 33(3)(d)); repeat.
    #[arg(long = "measure-taken", value_name = "TEXT")]
    pub measures_taken: Vec<String>,
    /// A measure proposed to address it or limit its effects; repeat.
    #[arg(long = "measure-proposed", value_name = "TEXT")]
    pub measures_proposed: Vec<String>,
    /// A likely consequence for the people (Art. 33(3)(c)); repeat.
    #[arg(long = "consequence", value_name = "TEXT")]
    pub consequences: Vec<String>,
    #[command(flatten)]
    pub dir: IncidentDirArgs,
}

#[derive(Debug, Args)]
pub struct IncidentShowArgs {
    /// The worksheet's id (see `oubli incident list`).
    pub id: String,
    /// Where worksheets are kept (default: $XDG_STATE_HOME/oubli/incidents).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// json, or md (the drafts; the default).
    #[arg(long, default_value = "md", value_parser = ["md", "json"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct IncidentNotifyArgs {
    /// The worksheet's id (see `oubli incident list`).
    pub id: String,
    /// The first notification, or one that completes it (Art. 33(4)).
    #[arg(long, value_parser = ["initial", "complementary"])]
    pub kind: String,
    /// When it was sent (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The authority's reference for the case.
    #[arg(long)]
    pub reference: Option<String>,
    /// Why the notification comes after 72 hours (Art. 33(1)).
    #[arg(long, value_name = "TEXT")]
    pub delay_reason: Option<String>,
    /// Where worksheets are kept (default: $XDG_STATE_HOME/oubli/incidents).
    #[arg(long)]
    pub dir: Option<PathBuf>,
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
    /// Act even if no key of the database is in the namespace now.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct UnlinkArgs {
    #[arg(long)]
    pub namespace: String,
    #[arg(long)]
    pub confirm: Option<String>,
    /// Act even if no key of the database is in the namespace now.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ScanCmd {
    /// Count every key of the register's Redis (SCAN, never KEYS), by namespace.
    Redis(ScanRedisArgs),
    /// What a copy holds, with no server: a Redis dump.rdb, a pg_dump (plain
    /// SQL, custom or directory format), a CSV export. Every key or row, every
    /// value searched.
    File(ScanFileArgs),
}

#[derive(Debug, Args)]
pub struct ScanFileArgs {
    /// The file (or a pg_dump directory).
    pub path: PathBuf,
    /// What it is: rdb, sql, custom or csv (default: told by its first bytes).
    #[arg(long)]
    pub kind: Option<crate::offline::FileKind>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
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
    /// Show only the namespaces that match every word, as `/` does in the
    /// console: `pii`, `nottl`, `beyond` (TTL beyond retention),
    /// `type:hash`, `re:REGEX`, a glob (`user:*`), or text in the pattern.
    #[arg(long, value_name = "WORDS")]
    pub filter: Option<String>,
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
    /// View to focus: map, redis, postgres or findings.
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

pub(crate) fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, e.g. 120x40"))?;
    let p = |v: &str| v.parse::<u16>().map_err(|e| format!("{v:?}: {e}"));
    Ok((p(w)?, p(h)?))
}

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

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the trail, its signed checkpoints and (when OUBLI_AUDIT_PG_URL
    /// is set) its Postgres anchor; name the first break. Exit 0 intact,
    /// 1 broken, 2 usage or read error.
    Verify(AuditVerifyArgs),
    /// List the trail's entries, oldest first.
    Show(AuditShowArgs),
    /// Create the trail's directory and keys (never overwrites a key); with
    /// --postgres, the anchor's schema too.
    Init(AuditInitArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The trail's directory (default: $OUBLI_AUDIT_DIR, else
    /// $XDG_STATE_HOME/oubli/audit).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// A checkpoint printed on a report, SIZE:ROOT: the trail must still
    /// produce it. Repeatable.
    #[arg(long, value_name = "SIZE:ROOT")]
    pub anchor: Vec<crate::audit::Anchor>,
    /// Do not read the Postgres anchor, even when OUBLI_AUDIT_PG_URL is set.
    #[arg(long)]
    pub no_postgres: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AuditShowArgs {
    /// The trail's directory (default: $OUBLI_AUDIT_DIR).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Only this ticket's entries.
    #[arg(long)]
    pub ticket: Option<String>,
    /// Only entries of this kind: lookup, reveal, export, erase, restrict, rectify.
    #[arg(long, value_parser = parse_audit_kind)]
    pub kind: Option<crate::audit::Kind>,
    /// Only entries from this day (YYYY-MM-DD, UTC) or instant (RFC 3339) on.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries up to this day (included) or instant.
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// One person's history: their identifier (e-mail, phone, user id) is
    /// hashed with the trail's HMAC key, never written. `-` reads it from
    /// standard input (kept out of the process list).
    #[arg(long, value_name = "IDENTIFIER")]
    pub subject: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AuditInitArgs {
    /// The trail's directory (default: $OUBLI_AUDIT_DIR).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also create the oubli_audit schema in the Postgres anchor
    /// (OUBLI_AUDIT_PG_URL, as a role that may create a schema).
    #[arg(long)]
    pub postgres: bool,
    /// With --postgres: the role oubli writes the trail as; it gets SELECT
    /// and INSERT on the audit tables, nothing else.
    #[arg(long, value_name = "ROLE", requires = "postgres")]
    pub writer_role: Option<String>,
}

fn parse_audit_kind(s: &str) -> Result<crate::audit::Kind, String> {
    crate::audit::Kind::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = crate::audit::Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// A day (its first instant, UTC) or an RFC 3339 instant.
fn parse_instant(s: &str, end_of_day: bool) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        // Entries carry milliseconds: "until t" keeps t itself.
        let past = if end_of_day {
            chrono::Duration::milliseconds(1)
        } else {
            chrono::Duration::zero()
        };
        return Ok(t.with_timezone(&chrono::Utc) + past);
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?}: expected YYYY-MM-DD or an RFC 3339 time"))?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_time(chrono::NaiveTime::MIN).and_utc())
}

fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_instant(s, false)
}

/// The first instant after the day (or the instant) given.
fn parse_until(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_instant(s, true)
}
