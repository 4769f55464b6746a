//! Loading a register: embedded defaults laid under the user's file, strict
//! parsing, then checks that only the whole file can make (ids, references,
//! secrets). Every error names the file, line and column, and the reason.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use super::model::{
    parse_link, placeholders, ColumnStrategy, Connection, ConnectionKind, Erase, PersonModel,
    Register, Tls,
};
use super::redact;
use super::settings::DEFAULTS_TOML;

/// One problem in a register file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub reason: String,
    /// The offending source line and the span to underline, when it is safe
    /// to show (never for a line that holds a secret).
    pub excerpt: Option<Excerpt>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    pub start_col: usize,
    pub width: usize,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.reason
        )?;
        if let Some(ex) = &self.excerpt {
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {}{}",
                "",
                self.line,
                ex.text,
                "",
                " ".repeat(ex.start_col.saturating_sub(1)),
                "^".repeat(ex.width.max(1)),
            )?;
        }
        Ok(())
    }
}

/// All the problems found in one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A connection URL with its secret parts; `Display` and `Debug` redact them.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        SecretUrl(url.into())
    }
    /// The real URL, for the driver only. Never log or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The URL with every password (userinfo, `password=`/`sslpassword=`
    /// parameters) replaced, safe to show.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ignored_if_cannot_be_base = u.set_password(Some(redact::MASK));
                }
                redact::redact_url(u.as_str())
            }
            // A libpq `key=value` string, as tokio-postgres accepts.
            Err(_) if self.0.contains('=') && !self.0.contains("://") => {
                redact::redact_url(&self.0)
            }
            // Not a URL we understand: show only the scheme.
            Err(_) => match self.0.split_once("://") {
                Some((scheme, _)) => format!("{}://…", redact::redact_url(scheme)),
                None => "…".to_string(),
            },
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A connection ready to dial: its secrets resolved from the environment or files.
#[derive(Debug, Clone)]
pub struct ResolvedConnection {
    pub name: String,
    pub kind: ConnectionKind,
    pub url: SecretUrl,
    pub tls: Option<Tls>,
    pub cluster: bool,
    pub read_from_replicas: bool,
    /// Set when the URL came from `--redis` / `--pg` rather than the file.
    pub from_command_line: bool,
}

/// A register that passed every check, with its resolved connections.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub register: Register,
    pub connections: BTreeMap<String, ResolvedConnection>,
    /// What did not stop the load but is worth saying (`config check` prints
    /// them): a variable left unset for a connection a command-line URL
    /// stands in for, or one a command that dials no store does not need.
    /// Such a connection is not among `connections`.
    pub warnings: Vec<ConfigError>,
}

/// How the command that loads the register will use its connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--redis URL` was given: it stands in for the first Redis connection
    /// (by name), so that connection's unset variables are not needed.
    pub redis_given: bool,
    /// `--pg URL`, likewise for the first Postgres connection.
    pub pg_given: bool,
    /// The command dials no store (`map`, `register`, `check` without
    /// `--live`): an unset variable does not stop it.
    pub offline: bool,
}

impl LoadOptions {
    /// The flag that stands in for connections of `kind`, when given.
    fn flag(&self, kind: ConnectionKind) -> Option<&'static str> {
        match kind {
            ConnectionKind::Redis if self.redis_given => Some("--redis"),
            ConnectionKind::Postgres if self.pg_given => Some("--pg"),
            _ => None,
        }
    }
}

/// The command-line flag for connections of `kind`.
fn flag_of(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Redis => "--redis",
        ConnectionKind::Postgres => "--pg",
    }
}

/// The connection a command-line URL of `kind` stands in for: the first of
/// that kind in the register, by name (what [`Loaded::override_connection`]
/// replaces).
fn stood_in_for(reg: &Register, kind: ConnectionKind) -> Option<&str> {
    reg.connections
        .iter()
        .find(|(_, c)| c.kind == kind)
        .map(|(n, _)| n.as_str())
}

impl Loaded {
    /// `--redis URL` / `--pg URL`: replace the register's connection of that
    /// kind (the first declared, by name, even when its variable was unset
    /// and it did not resolve) or add one, like `redis-cli -u` or `psql URL`.
    /// The declared connection's TLS and cluster settings are kept.
    pub fn override_connection(&mut self, kind: ConnectionKind, url: &str) {
        let name = stood_in_for(&self.register, kind)
            .map(str::to_string)
            .or_else(|| {
                self.connections
                    .values()
                    .find(|c| c.kind == kind)
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| match kind {
                ConnectionKind::Redis => "redis".to_string(),
                ConnectionKind::Postgres => "postgres".to_string(),
            });
        let previous = self.connections.remove(&name);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let (tls, cluster, read_from_replicas) = match self.register.connections.get(&name) {
            Some(c) => (
                c.tls.as_ref().map(|t| resolve_tls_paths(t, dir)),
                c.cluster,
                c.read_from_replicas,
            ),
            None => (
                previous.as_ref().and_then(|p| p.tls.clone()),
                previous.as_ref().is_some_and(|p| p.cluster),
                previous.as_ref().is_some_and(|p| p.read_from_replicas),
            ),
        };
        self.connections.insert(
            name.clone(),
            ResolvedConnection {
                name,
                kind,
                url: SecretUrl::new(url),
                tls,
                cluster,
                read_from_replicas,
                from_command_line: true,
            },
        );
    }

    /// The connections of one kind, by name.
    pub fn connections_of(
        &self,
        kind: ConnectionKind,
    ) -> impl Iterator<Item = &ResolvedConnection> {
        self.connections.values().filter(move |c| c.kind == kind)
    }
}

/// Where environment variables come from (the process, or a map in tests).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Read and check a register file, every connection needed as written.
pub fn load_file(path: &Path) -> Result<Loaded, ConfigErrors> {
    load_file_with(path, &LoadOptions::default())
}

/// Read and check a register file for a command that uses its connections
/// as `opts` says (see [`load_str_with`]).
pub fn load_file_with(path: &Path, opts: &LoadOptions) -> Result<Loaded, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            reason: format!("cannot read the register: {e}"),
            excerpt: None,
        }])
    })?;
    load_str_with(&text, path, &ProcessEnv, opts)
}

/// The register used when no file is given, only `--redis` / `--pg`.
pub fn ad_hoc() -> Loaded {
    const AD_HOC: &str = "[register]\nname = \"ad hoc (no register)\"\ncontroller = \"unknown\"\ncontact = \"unknown\"\n";
    match load_str(AD_HOC, Path::new("<ad hoc>"), &ProcessEnv) {
        Ok(l) => l,
        // The ad hoc text is a constant checked by a unit test.
        Err(e) => unreachable!("the built-in ad hoc register is invalid: {e}"),
    }
}

/// Check register `text` as if read from `path` (used for messages and to
/// resolve `url_file` relative to the file). Every error is reported, in
/// file order: every syntax error, else every error of shape and type,
/// else every error of the checks that need the whole register.
pub fn load_str(text: &str, path: &Path, env: &dyn Env) -> Result<Loaded, ConfigErrors> {
    load_str_with(text, path, env, &LoadOptions::default())
}

/// [`load_str`] for a command that uses the connections as `opts` says. An
/// environment variable a connection reads (`url_env`, `password_env`) that
/// is unset is an error, unless a command-line URL stands in for that
/// connection or the command dials no store: then it is a warning, in
/// [`Loaded::warnings`], and the connection is left out. Each message says
/// which it is and why.
pub fn load_str_with(
    text: &str,
    path: &Path,
    env: &dyn Env,
    opts: &LoadOptions,
) -> Result<Loaded, ConfigErrors> {
    let file = path.display().to_string();
    let at = |span: Range<usize>, reason: &str| locate(&file, text, span, reason, true);
    let sorted = |mut errors: Vec<ConfigError>| {
        errors.sort_by_key(|e| (e.line, e.column));
        errors.dedup();
        ConfigErrors(errors)
    };

    let (user, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(sorted(
            syntax
                .iter()
                .map(|e| at(e.span().unwrap_or(0..0), e.message()))
                .collect(),
        ));
    }
    let register = deserialize_all(user, |span, reason| at(span, reason)).map_err(sorted)?;

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let dir = path.parent().unwrap_or(Path::new("."));
    let connections = check(
        &register,
        env,
        dir,
        opts,
        &mut |span, reason, show| errors.push(locate(&file, text, span, &reason, show)),
        &mut |span, reason, show| warnings.push(locate(&file, text, span, &reason, show)),
    );
    if errors.is_empty() {
        warnings.sort_by_key(|e: &ConfigError| (e.line, e.column));
        Ok(Loaded {
            path: path.to_path_buf(),
            register,
            connections,
            warnings,
        })
    } else {
        Err(sorted(errors))
    }
}

/// At most this many errors of shape and type are reported for one file.
const MAX_ERRORS: usize = 100;

/// Deserialise the register, and when that fails, find every error: serde
/// stops at the first (in key order, not file order), so the entry it
/// names is removed from the user's document and the rest tried again.
/// A `missing field` that only our removal caused is not reported; the
/// table that misses it goes too.
fn deserialize_all<'a>(
    mut user: Spanned<DeTable<'a>>,
    at: impl Fn(Range<usize>, &str) -> ConfigError,
) -> Result<Register, Vec<ConfigError>> {
    let defaults = match DeTable::parse(DEFAULTS_TOML) {
        Ok(d) => d,
        Err(e) => unreachable!("embedded defaults do not parse (a unit test guards this): {e}"),
    };
    let mut errors = Vec::new();
    // (span of a table, key) of every entry removed so far.
    let mut removed: Vec<(Range<usize>, String)> = Vec::new();
    while errors.len() < MAX_ERRORS {
        let merged = merge_defaults(user.clone(), defaults.clone());
        let e = match Register::deserialize(toml::de::Deserializer::from(merged)) {
            Ok(r) if errors.is_empty() => return Ok(r),
            Ok(_) => break,
            Err(e) => e,
        };
        let span = e.span().unwrap_or(0..0);
        let root = user.span();
        let cut = prune(user.get_mut(), root, span.start);
        let caused_by_us = missing_field(e.message()).is_some_and(|field| {
            let table = cut.as_ref().map_or(user.span(), |c| c.node.clone());
            removed.iter().any(|(t, k)| *t == table && k == field)
        });
        if !caused_by_us {
            errors.push(at(span, e.message()));
        }
        match cut {
            Some(c) => removed.extend(c.key.map(|k| (c.table, k))),
            // Nothing left to remove: the error is about the whole file.
            None => break,
        }
    }
    Err(errors)
}

/// `missing field `name``, as serde words it.
fn missing_field(message: &str) -> Option<&str> {
    message
        .trim()
        .strip_prefix("missing field `")?
        .strip_suffix('`')
}

/// What `prune` removed.
struct Cut {
    /// The span of the table the entry was in.
    table: Range<usize>,
    /// The entry's key (none for an item of an array).
    key: Option<String>,
    /// The span of the removed value.
    node: Range<usize>,
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && (pos < span.end || span.start == span.end)
}

/// Remove the innermost entry or array item of `table` whose key or value
/// spans `pos`. Parents are searched through even when their own span does
/// not hold `pos` (a `[a.b]` header makes an `a` whose span is the name).
fn prune(table: &mut DeTable<'_>, span: Range<usize>, pos: usize) -> Option<Cut> {
    let keys: Vec<_> = table.keys().cloned().collect();
    for key in keys {
        let value = table.get_mut(&key)?;
        let node = value.span();
        match value.get_mut() {
            DeValue::Table(inner) => {
                if let Some(cut) = prune(inner, node.clone(), pos) {
                    return Some(cut);
                }
            }
            DeValue::Array(items) => {
                for item in items.iter_mut() {
                    let item_span = item.span();
                    if let DeValue::Table(inner) = item.get_mut() {
                        if let Some(cut) = prune(inner, item_span, pos) {
                            return Some(cut);
                        }
                    }
                }
                if let Some(i) = items.iter().position(|it| contains(&it.span(), pos)) {
                    let item = items[i].span();
                    let kept = std::mem::replace(items, DeArray::new())
                        .into_iter()
                        .enumerate();
                    *items = kept.filter(|(j, _)| *j != i).map(|(_, v)| v).collect();
                    return Some(Cut {
                        table: node,
                        key: None,
                        node: item,
                    });
                }
            }
            _ => {}
        }
        if contains(&key.span(), pos) || contains(&node, pos) {
            table.remove(&key);
            return Some(Cut {
                table: span,
                key: Some(key.get_ref().to_string()),
                node,
            });
        }
    }
    None
}

/// Lay the embedded defaults under the user's tables, key by key. The
/// defaults only hold settings tables, so arrays are never merged.
fn merge_defaults<'a>(
    mut user: Spanned<DeTable<'a>>,
    defaults: Spanned<DeTable<'a>>,
) -> Spanned<DeTable<'a>> {
    fn merge_into<'a>(user: &mut DeTable<'a>, defaults: DeTable<'a>) {
        for (key, dval) in defaults {
            let existing = user
                .iter_mut()
                .find(|(k, _)| k.get_ref() == key.get_ref())
                .map(|(_, v)| v);
            match existing {
                None => {
                    user.insert(key, dval);
                }
                Some(uval) => {
                    if let (DeValue::Table(ut), DeValue::Table(dt)) =
                        (uval.get_mut(), dval.into_inner())
                    {
                        merge_into(ut, dt);
                    }
                    // A user value of another type stays, and strict
                    // deserialisation reports it at the user's position.
                }
            }
        }
    }
    merge_into(user.get_mut(), defaults.into_inner());
    user
}

/// The longest reason shown (serde quotes a wrong value whole).
const MAX_REASON: usize = 300;
/// The most characters of a source line an excerpt shows, and how many of
/// them come before the error's column when the line is cut.
const MAX_EXCERPT: usize = 120;
const EXCERPT_BEFORE: usize = 40;

/// A reason safe to print: trimmed, secrets masked, control characters
/// escaped, cut when long.
fn clean_message(m: &str) -> String {
    let masked = redact::redact_url(m.trim());
    let mut out = String::new();
    for (i, c) in masked.chars().enumerate() {
        if i == MAX_REASON {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn locate(file: &str, text: &str, span: Range<usize>, reason: &str, show: bool) -> ConfigError {
    let start = floor_boundary(text, span.start);
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..start].chars().count() + 1;
    let line_text = text[line_start..]
        .split('\n')
        .next()
        .unwrap_or("")
        .trim_end_matches('\r');
    let end = floor_boundary(text, span.end.clamp(start, line_start + line_text.len()));
    ConfigError {
        file: file.to_string(),
        line,
        column,
        reason: clean_message(reason),
        excerpt: show.then(|| excerpt(line_text, start - line_start, end - line_start)),
    }
}

/// The source line to show under an error at bytes `start..end` of it:
/// every secret masked, control characters replaced, and a long line cut
/// around the error with `…` on the cut sides, the caret kept under it.
fn excerpt(line: &str, start: usize, end: usize) -> Excerpt {
    let secrets = redact::secret_spans(line);
    let masked = redact::mask(line, &secrets);
    // A byte of `line` to a byte of `masked` (inside a secret: its mask).
    let to_masked = |b: usize| {
        let mut out = b;
        for s in &secrets {
            if b >= s.end {
                out = out - s.len() + redact::MASK.len();
            } else if b > s.start {
                return out - (b - s.start);
            }
        }
        out
    };
    let char_at = |b: usize| {
        masked[..floor_boundary(&masked, to_masked(b))]
            .chars()
            .count()
    };
    let (first, last) = (char_at(start), char_at(end));
    let chars: Vec<char> = masked
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    let n = chars.len();
    let (from, to) = if n <= MAX_EXCERPT {
        (0, n)
    } else {
        let to = (first.saturating_sub(EXCERPT_BEFORE) + MAX_EXCERPT).min(n);
        (to.saturating_sub(MAX_EXCERPT), to)
    };
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    text.extend(&chars[from..to]);
    if to < n {
        text.push('…');
    }
    Excerpt {
        text,
        start_col: first - from + 1 + usize::from(from > 0),
        width: last.min(to).saturating_sub(first).max(1),
    }
}

type Report<'r> = dyn FnMut(Range<usize>, String, bool) + 'r;

fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean {c:?}?)"))
        .unwrap_or_default()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check(
    reg: &Register,
    env: &dyn Env,
    dir: &Path,
    opts: &LoadOptions,
    report: &mut Report<'_>,
    warn: &mut Report<'_>,
) -> BTreeMap<String, ResolvedConnection> {
    // Storages: ids unique and well formed; retention where data is kept.
    let mut ids: HashMap<&str, Range<usize>> = HashMap::new();
    for s in &reg.storages {
        let id = s.id();
        if !valid_id(id) {
            report(
                s.id.span(),
                format!("storage id {id:?} must use lowercase letters, digits, '-' and '_' only"),
                true,
            );
        }
        if ids.insert(id, s.id.span()).is_some() {
            report(s.id.span(), format!("duplicate storage id {id:?}"), true);
        }
        let kind = s.kind();
        let has_retention = s.retention.is_some() || !s.variants.is_empty();
        if kind.is_persistent() && !has_retention {
            report(
                s.kind.span(),
                format!(
                    "storage {id:?} is a {} and keeps data: give it a retention (write \"unknown\" if nobody knows)",
                    kind.as_str()
                ),
                true,
            );
        }
        if !kind.is_persistent() {
            if let Some(r) = &s.retention {
                report(
                    r.span(),
                    format!(
                        "{id:?} is a {} and keeps nothing: remove its retention, or make it a storage kind",
                        kind.as_str()
                    ),
                    true,
                );
            }
        }
    }
    let node_ids = || reg.storages.iter().map(|s| s.id());
    let check_node = |name: &Spanned<String>, what: &str, report: &mut Report<'_>| {
        if !ids.contains_key(name.get_ref().as_str()) {
            report(
                name.span(),
                format!(
                    "{what} {:?}, which is not a declared storage{}",
                    name.get_ref(),
                    suggest(name.get_ref(), node_ids())
                ),
                true,
            );
        }
    };
    for f in &reg.flows {
        check_node(&f.from, "flow from", report);
        check_node(&f.to, "flow to", report);
        if f.from.get_ref() == f.to.get_ref() {
            report(
                f.to.span(),
                "a flow from a node to itself".to_string(),
                true,
            );
        }
    }
    for s in &reg.storages {
        if let Some(src) = &s.copy_of {
            check_node(src, "copy of", report);
        }
        if let Some(c) = &s.connection {
            if !reg.connections.contains_key(c.get_ref()) {
                report(
                    c.span(),
                    format!(
                        "connection {:?} is not declared as [connection.{}]{}",
                        c.get_ref(),
                        c.get_ref(),
                        suggest(c.get_ref(), reg.connections.keys().map(String::as_str))
                    ),
                    true,
                );
            }
        }
    }

    let mut resolved = BTreeMap::new();
    for (name, conn) in &reg.connections {
        let flag = opts
            .flag(conn.kind)
            .filter(|_| stood_in_for(reg, conn.kind) == Some(name.as_str()));
        let need = if let Some(flag) = flag {
            Need::StoodInBy(flag)
        } else if opts.offline {
            Need::Offline
        } else {
            Need::Needed
        };
        if let Some(url) = resolve_connection(name, conn, env, dir, need, report, warn) {
            resolved.insert(
                name.clone(),
                ResolvedConnection {
                    name: name.clone(),
                    kind: conn.kind,
                    url,
                    tls: conn.tls.as_ref().map(|t| resolve_tls_paths(t, dir)),
                    cluster: conn.cluster,
                    read_from_replicas: conn.read_from_replicas,
                    from_command_line: false,
                },
            );
        }
    }

    if let Some(person) = &reg.person {
        check_person(person, report);
    }
    resolved
}

/// Whether the command that loads the register needs a connection's
/// environment variables.
#[derive(Debug, Clone, Copy)]
enum Need {
    Needed,
    /// This command-line flag gives the connection's URL instead.
    StoodInBy(&'static str),
    /// The command dials no store.
    Offline,
}

/// Report an unset variable that a connection reads its `what` from: an
/// error when the command needs it, else a warning; the message says which.
fn unset_variable(
    var: &Spanned<String>,
    what: &str,
    name: &str,
    kind: ConnectionKind,
    need: Need,
    report: &mut Report<'_>,
    warn: &mut Report<'_>,
) {
    let head = format!(
        "environment variable {} is not set (connection {name:?} reads its {what} from it)",
        var.get_ref()
    );
    match need {
        Need::Needed => report(
            var.span(),
            format!(
                "{head}: an error (set it, or pass {} URL to stand in for the connection)",
                flag_of(kind)
            ),
            true,
        ),
        Need::StoodInBy(flag) => warn(
            var.span(),
            format!("{head}: only a warning ({flag} URL stands in for the connection)"),
            true,
        ),
        Need::Offline => warn(
            var.span(),
            format!("{head}: only a warning (this command connects to no store)"),
            true,
        ),
    }
}

fn resolve_connection(
    name: &str,
    conn: &Connection,
    env: &dyn Env,
    dir: &Path,
    need: Need,
    report: &mut Report<'_>,
    warn: &mut Report<'_>,
) -> Option<SecretUrl> {
    let sources = [&conn.url, &conn.url_env, &conn.url_file];
    let given: Vec<&Spanned<String>> = sources.iter().filter_map(|s| s.as_ref()).collect();
    if given.len() != 1 {
        // Point at the second source if there are two, else at nothing better
        // than the first key of the table we can see.
        let span = given.get(1).map_or(0..0, |s| s.span());
        report(
            span,
            format!("connection {name:?} needs exactly one of url, url_env or url_file"),
            true,
        );
        return None;
    }
    let mut url = if let Some(u) = &conn.url {
        let parsed = url::Url::parse(u.get_ref());
        let secret_parameter = !redact::secret_spans(u.get_ref()).is_empty();
        if secret_parameter || parsed.as_ref().is_ok_and(|p| p.password().is_some()) {
            report(
                u.span(),
                format!(
                    "connection {name:?} has a password inline (in the URL or a password parameter): move it to password_env or password_file, or the whole URL to url_env"
                ),
                false,
            );
            return None;
        }
        u.get_ref().clone()
    } else if let Some(var) = &conn.url_env {
        match env.var(var.get_ref()) {
            Some(v) if !v.trim().is_empty() => v.trim().to_string(),
            _ => {
                unset_variable(var, "URL", name, conn.kind, need, report, warn);
                return None;
            }
        }
    } else {
        read_secret_file(dir, given[0], report)?.trim().to_string()
    };

    let parsed = match url::Url::parse(&url) {
        Ok(p) => p,
        Err(e) => {
            // Never echo the value: it may hold a secret.
            report(
                given[0].span(),
                format!("connection {name:?}: the URL does not parse ({e})"),
                false,
            );
            return None;
        }
    };
    let schemes: &[&str] = match conn.kind {
        ConnectionKind::Redis => &["redis", "rediss", "redis+unix", "unix", "valkey", "valkeys"],
        ConnectionKind::Postgres => &["postgres", "postgresql"],
    };
    if !schemes.contains(&parsed.scheme()) {
        report(
            given[0].span(),
            format!(
                "connection {name:?} is a {:?} connection but its URL scheme is {:?} (expected {})",
                conn.kind,
                parsed.scheme(),
                schemes.join("://, ") + "://"
            ),
            conn.url.is_some(),
        );
        return None;
    }

    let password = if let Some(var) = &conn.password_env {
        match env.var(var.get_ref()) {
            Some(v) => Some(v),
            None => {
                unset_variable(var, "password", name, conn.kind, need, report, warn);
                return None;
            }
        }
    } else if let Some(file) = &conn.password_file {
        Some(
            read_secret_file(dir, file, report)?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        )
    } else {
        None
    };
    if password.is_some() || conn.username.is_some() {
        let mut u = parsed;
        if let Some(user) = &conn.username {
            let _ = u.set_username(user);
        }
        if let Some(pw) = &password {
            let _ = u.set_password(Some(pw));
        }
        url = u.to_string();
    }
    Some(SecretUrl::new(url))
}

/// TLS files are named relative to the register, like `url_file`.
fn resolve_tls_paths(t: &Tls, dir: &Path) -> Tls {
    let at = |p: &Option<String>| p.as_ref().map(|p| dir.join(p).display().to_string());
    Tls {
        mode: t.mode.clone(),
        ca_file: at(&t.ca_file),
        client_cert_file: at(&t.client_cert_file),
        client_key_file: at(&t.client_key_file),
    }
}

/// Read a file that holds a secret (path relative to the register). An
/// empty file is an error: it would silently mean "no password".
fn read_secret_file(dir: &Path, file: &Spanned<String>, report: &mut Report<'_>) -> Option<String> {
    let p = dir.join(file.get_ref());
    match std::fs::read_to_string(&p) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        Ok(_) => {
            report(file.span(), format!("{} is empty", p.display()), true);
            None
        }
        Err(e) => {
            report(
                file.span(),
                format!("cannot read {}: {e}", p.display()),
                true,
            );
            None
        }
    }
}

fn check_person(person: &PersonModel, report: &mut Report<'_>) {
    let mut idents: HashMap<&str, Range<usize>> = HashMap::new();
    for i in &person.identifiers {
        if idents.insert(i.get_ref(), i.span()).is_some() {
            report(
                i.span(),
                format!("duplicate identifier {:?}", i.get_ref()),
                true,
            );
        }
    }
    let ident_names = || person.identifiers.iter().map(|i| i.get_ref().as_str());
    let tables: Vec<&str> = person
        .postgres
        .iter()
        .map(|t| t.table.get_ref().as_str())
        .collect();
    for t in &person.postgres {
        let name = t.table.get_ref();
        for (ident, col) in &t.matches {
            if !idents.contains_key(ident.as_str()) {
                report(
                    col.span(),
                    format!(
                        "table {name:?} matches on {ident:?}, which is not one of person.identifiers{}",
                        suggest(ident, ident_names())
                    ),
                    true,
                );
            }
        }
        match &t.link {
            Some(link) => match parse_link(link.get_ref()) {
                None => report(
                    link.span(),
                    format!(
                        "link {:?} must read \"column -> table.column\"",
                        link.get_ref()
                    ),
                    true,
                ),
                Some(l) if !tables.contains(&l.table.as_str()) => report(
                    link.span(),
                    format!(
                        "link to table {:?}, which is not a [[person.postgres]] table{}",
                        l.table,
                        suggest(&l.table, tables.iter().copied())
                    ),
                    true,
                ),
                Some(_) => {}
            },
            None if t.matches.is_empty() => report(
                t.table.span(),
                format!("table {name:?} needs a match (identifier = column) or a link"),
                true,
            ),
            None => {}
        }
        check_erase(&t.erase, &["delete", "keep"], report);
    }
    for k in &person.redis {
        let pat = k.pattern.get_ref();
        for ph in placeholders(pat) {
            if !idents.contains_key(ph) {
                report(
                    k.pattern.span(),
                    format!(
                        "pattern {pat:?} uses {{{ph}}}, which is not one of person.identifiers{}",
                        suggest(ph, ident_names())
                    ),
                    true,
                );
            }
        }
        if placeholders(pat).is_empty() && k.fields.is_empty() {
            report(
                k.pattern.span(),
                format!("pattern {pat:?} names no {{identifier}} and has no fields: it cannot find one person's keys"),
                true,
            );
        }
        for ident in k.fields.values() {
            if !idents.contains_key(ident.as_str()) {
                report(
                    k.pattern.span(),
                    format!("field maps to {ident:?}, which is not one of person.identifiers"),
                    true,
                );
            }
        }
        check_erase(&k.erase, &["unlink", "keep"], report);
    }
}

fn check_erase(erase: &Spanned<Erase>, whole: &[&str], report: &mut Report<'_>) {
    match erase.get_ref() {
        Erase::Whole(s) if !whole.contains(&s.as_str()) => report(
            erase.span(),
            format!(
                "erase = {s:?}: expected {} or a table of column = strategy",
                whole.join(" or ")
            ),
            true,
        ),
        Erase::Whole(_) => {}
        Erase::Columns(cols) => {
            for (col, strat) in cols {
                if let Err(e) = strat.parse::<ColumnStrategy>() {
                    report(erase.span(), format!("column {col:?}: {e}"), true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_alone_and_ad_hoc_loads() {
        let l = ad_hoc();
        assert_eq!(l.register.redis.scan_count, 1000);
        assert_eq!(l.register.ui.theme, "dark");
        assert!(l.connections.is_empty());
    }

    #[test]
    fn user_settings_override_defaults_key_by_key() {
        let text = "[register]\nname='n'\ncontroller='c'\ncontact='x'\n[redis]\nscan_count = 200\n";
        let l = load_str(text, Path::new("t.toml"), &HashMap::new()).unwrap();
        assert_eq!(l.register.redis.scan_count, 200);
        assert_eq!(l.register.redis.delimiters, vec![":".to_string()]);
    }

    /// Two Postgres connections reading their URL from unset variables
    /// (`a` with a password variable too), one Redis with an inline URL.
    const TWO_PG: &str = "[register]\nname='n'\ncontroller='c'\ncontact='x'\n\
        [connection.b]\nkind='postgres'\nurl_env='OUBLI_T_B'\n\
        [connection.a]\nkind='postgres'\nurl_env='OUBLI_T_A'\npassword_env='OUBLI_T_PW'\n\
        [connection.cache]\nkind='redis'\nurl='redis://127.0.0.1:1/0'\n";

    fn load_two_pg(opts: LoadOptions) -> Result<Loaded, ConfigErrors> {
        load_str_with(TWO_PG, Path::new("t.toml"), &HashMap::new(), &opts)
    }

    fn reasons(e: &[ConfigError]) -> Vec<String> {
        e.iter()
            .map(|e| format!("{}:{} {}", e.line, e.column, e.reason))
            .collect()
    }

    #[test]
    fn an_unset_variable_is_an_error_that_names_the_flag_to_stand_in() {
        let e = reasons(&load_two_pg(LoadOptions::default()).unwrap_err().0);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("7:9 environment variable OUBLI_T_B is not set (connection \"b\" reads its URL from it): an error (set it, or pass --pg URL"), "{e:?}");
        assert!(
            e[1].starts_with("10:9 environment variable OUBLI_T_A is not set"),
            "{e:?}"
        );
    }

    #[test]
    fn a_flag_stands_in_for_the_first_connection_of_its_kind_only() {
        // --pg stands in for `a` (first by name): its variables are warnings;
        // `b` still needs its own.
        let opts = LoadOptions {
            pg_given: true,
            ..LoadOptions::default()
        };
        let e = reasons(&load_two_pg(opts).unwrap_err().0);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("OUBLI_T_B") && e[0].contains("an error"),
            "{e:?}"
        );
        // With b set, the load passes; a's unset URL is a warning saying why.
        let env: HashMap<String, String> = [(
            "OUBLI_T_B".to_string(),
            "postgresql://127.0.0.1:1/b".to_string(),
        )]
        .into();
        let mut l = load_str_with(TWO_PG, Path::new("t.toml"), &env, &opts).unwrap();
        let w = reasons(&l.warnings);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("10:9 environment variable OUBLI_T_A is not set (connection \"a\" reads its URL from it): only a warning (--pg URL stands in"), "{w:?}");
        assert!(!l.connections.contains_key("a"));
        // The override then fills in `a`, not `b`.
        l.override_connection(ConnectionKind::Postgres, "postgresql://127.0.0.1:2/a");
        assert_eq!(
            l.connections["a"].url.expose(),
            "postgresql://127.0.0.1:2/a"
        );
        assert!(l.connections["a"].from_command_line);
        assert_eq!(
            l.connections["b"].url.expose(),
            "postgresql://127.0.0.1:1/b"
        );
        assert!(!l.connections["b"].from_command_line);
    }

    #[test]
    fn a_password_variable_is_not_needed_when_a_flag_stands_in() {
        let env: HashMap<String, String> = [
            (
                "OUBLI_T_A".to_string(),
                "postgresql://127.0.0.1:1/a".to_string(),
            ),
            (
                "OUBLI_T_B".to_string(),
                "postgresql://127.0.0.1:1/b".to_string(),
            ),
        ]
        .into();
        let e =
            load_str_with(TWO_PG, Path::new("t.toml"), &env, &LoadOptions::default()).unwrap_err();
        assert!(reasons(&e.0)[0].contains(
            "OUBLI_T_PW is not set (connection \"a\" reads its password from it): an error"
        ));
        let opts = LoadOptions {
            pg_given: true,
            ..LoadOptions::default()
        };
        let l = load_str_with(TWO_PG, Path::new("t.toml"), &env, &opts).unwrap();
        assert!(reasons(&l.warnings)[0].contains("OUBLI_T_PW is not set"));
    }

    #[test]
    fn a_command_that_dials_no_store_is_not_stopped_by_an_unset_variable() {
        let opts = LoadOptions {
            offline: true,
            ..LoadOptions::default()
        };
        let l = load_two_pg(opts).unwrap();
        let w = reasons(&l.warnings);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w.iter()
                .all(|w| w.ends_with("only a warning (this command connects to no store)")),
            "{w:?}"
        );
        assert_eq!(l.connections.keys().collect::<Vec<_>>(), ["cache"]);
    }

    #[test]
    fn secret_urls_are_redacted() {
        let u = SecretUrl::new("redis://app:hunter2@127.0.0.1:6379/0");
        assert!(!u.to_string().contains("hunter2"));
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(u.expose(), "redis://app:hunter2@127.0.0.1:6379/0");
        for url in [
            "postgres://postgres@h/db?password=hunter2",
            "postgres://h/db?sslmode=require&sslpassword=hunter2",
            "redis+unix:///run/redis.sock?pass=hunter2",
            "host=h password=hunter2",
            "host=h password='hunter2 x'",
            "not a url hunter2",
            "redis://:hunter2@[::1",
        ] {
            let u = SecretUrl::new(url);
            assert!(!u.to_string().contains("hunter2"), "{url}: {u}");
            assert!(!format!("{u:?}").contains("hunter2"), "{url}");
        }
        assert_eq!(
            SecretUrl::new("postgres://u@h/db?password=x&sslmode=require").to_string(),
            "postgres://u@h/db?password=***&sslmode=require"
        );
    }

    #[test]
    fn every_error_is_reported_but_none_that_removing_another_caused() {
        let errors = |text: &str| {
            let e = load_str(text, Path::new("t.toml"), &HashMap::new()).unwrap_err();
            e.0.iter()
                .map(|e| format!("{}:{} {}", e.line, e.column, e.reason))
                .collect::<Vec<_>>()
        };
        // A wrong `name` is the only error: neither `[register]` nor its
        // `name` is then reported missing.
        let e = errors("[register]\nname = 5\ncontroller='c'\ncontact='x'\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("2:8 invalid type: integer `5`"), "{e:?}");
        // A storage with a wrong kind and no label: both, in file order;
        // `kind` is not reported missing.
        let e = errors("[register]\nname='n'\ncontroller='c'\ncontact='x'\n[[storage]]\nid = 'dw'\nkind = 'warehouse'\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("5:1 missing field `label`"), "{e:?}");
        assert!(e[1].starts_with("7:8 unknown variant `warehouse`"), "{e:?}");
    }

    #[test]
    fn an_excerpt_masks_secrets_and_keeps_its_caret_under_the_error() {
        let line = "url = \"redis://:s3cr3t-and-long@h:1/0\" \u{1b}]0;x trailing";
        let at = line.find("trailing").unwrap();
        let ex = excerpt(line, at, at + 8);
        assert_eq!(
            ex.text,
            "url = \"redis://:***@h:1/0\" \u{fffd}]0;x trailing"
        );
        let under: String = ex
            .text
            .chars()
            .skip(ex.start_col - 1)
            .take(ex.width)
            .collect();
        assert_eq!(under, "trailing");
        // An error inside the secret points at its mask.
        let inside = line.find("and").unwrap();
        let ex = excerpt(line, inside, inside + 3);
        assert_eq!(ex.start_col, line.find("s3cr3t").unwrap() + 1);
        // A long line is cut on both sides of the error.
        let long = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let ex = excerpt(&long, 500, 501);
        assert_eq!(ex.text.chars().count(), MAX_EXCERPT + 2);
        assert_eq!(ex.text.chars().nth(ex.start_col - 1), Some('X'));
        assert!(ex.text.starts_with('…') && ex.text.ends_with('…'));
    }

    #[test]
    fn error_positions_are_one_based_and_point_at_the_value() {
        let text =
            "[register]\nname='n'\ncontroller='c'\ncontact='x'\n[redis]\nscan_count = 'lots'\n";
        let e = load_str(text, Path::new("t.toml"), &HashMap::new()).unwrap_err();
        assert_eq!((e.0[0].line, e.0[0].column), (6, 14), "{e}");
    }
}
