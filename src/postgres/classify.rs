//! The personal-column classifier: every column is personal or not, with
//! categories, a confidence and the evidence, from its name, its type, its
//! table, its foreign keys and a **repeatable** sample of its values scanned
//! by the detector engine (`crate::pii`). JSON columns are classified per path.
//!
//! The sample is bounded in rows ([`Options::sample_rows`]) and bytes per
//! value ([`Options::max_value_bytes`]); it is key-ordered (the newest rows
//! by primary key, through the primary-key index), or, for a table without a
//! primary key, `TABLESAMPLE SYSTEM … REPEATABLE (seed)`: the same database
//! gives the same answer. One query per table; values never leave this
//! module except masked.
//!
//! Decision, per column:
//! 1. a foreign key to a person table (or a polymorphic `*_type`/`*_id` pair
//!    naming one) is a *person link*: a pseudonymous identifier;
//! 2. the primary key of a person table identifies the person;
//! 3. values: a kind of personal data found in ≥ 5 % of the sampled values
//!    (at least 2) makes the column personal, whatever its name;
//! 4. name: a strong name (e-mail, phone, first name, birth date…) makes it
//!    personal unless the values contradict it (a column named `email` none
//!    of whose sampled values is an e-mail address is not personal); a weak
//!    name (`name`, `notes`, `context`) needs the values to agree.
//!
//! Person tables are the register's (tables matched by an identifier and
//! not linked), or, found here, the tables holding both a contact column
//! (e-mail, phone) and a person-name column.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use super::catalog::{ident, quote_ident, Catalog, Column, Table};
use super::query::{describe, run, Step};
use crate::pii::{self, Detector, Kind};
use crate::register::Register;

/// Sampling bounds. The defaults read at most 200 rows × 2 KiB per column.
#[derive(Debug, Clone)]
pub struct Options {
    pub sample_rows: i64,
    pub max_value_bytes: i32,
    /// Seed of `TABLESAMPLE … REPEATABLE` for tables without a primary key.
    pub seed: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sample_rows: 200,
            max_value_bytes: 2048,
            seed: 42.0,
        }
    }
}

/// Category given to person links (foreign keys to a person table).
pub const PERSON_LINK: &str = "person_link";

/// One column, classified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnClass {
    pub table: String,
    pub column: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub personal: bool,
    /// `contact`, `identity`, `location`, `online_identifier`, `financial`,
    /// `national_id`, `free_text`, `credential`, `person_link`.
    pub categories: Vec<String>,
    /// How sure the verdict is that the column holds personal data, 0..=1.
    pub confidence: f32,
    /// Why, in words; never a value (masked examples only).
    pub evidence: Vec<String>,
    /// Kinds found (`email`, `phone`, `person_name`, …), by name or values.
    pub kinds: Vec<String>,
    /// For a person link: the person table and column it points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// JSON columns: what was found per path (`$.email`, `$.items[*].phone`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathClass>,
    /// Values sampled (non-null).
    pub sampled: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathClass {
    pub path: String,
    pub kinds: Vec<String>,
    pub categories: Vec<String>,
    /// Share of the sampled values where this path held personal data.
    pub share: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// A `*_type` + `*_id` pair the catalog cannot see as a foreign key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Polymorphic {
    pub table: String,
    pub type_column: String,
    pub id_column: String,
    /// Type value → table it names (`User` → `users`), for the values sampled.
    pub targets: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Classification {
    pub columns: Vec<ColumnClass>,
    /// Tables whose rows are people (register's, or found).
    pub person_tables: Vec<String>,
    pub polymorphic: Vec<Polymorphic>,
}

impl Classification {
    pub fn column(&self, table: &str, column: &str) -> Option<&ColumnClass> {
        self.columns
            .iter()
            .find(|c| c.table == table && c.column == column)
    }

    pub fn personal(&self) -> impl Iterator<Item = &ColumnClass> {
        self.columns.iter().filter(|c| c.personal)
    }

    /// Tables holding at least one personal column.
    pub fn personal_tables(&self) -> BTreeSet<&str> {
        self.personal().map(|c| c.table.as_str()).collect()
    }
}

/// What the sample of one column showed.
#[derive(Debug, Default)]
struct Observed {
    sampled: u32,
    /// kind → (values with a hit, best confidence, first masked example)
    kinds: BTreeMap<Kind, (u32, f32, Option<String>)>,
    /// path → kind → (values with a hit, first masked example)
    paths: BTreeMap<String, BTreeMap<Kind, (u32, Option<String>)>>,
    /// Distinct values, kept only for `*_type` columns (class names, not personal).
    type_values: BTreeSet<String>,
}

/// Classify every column of every table in `catalog`.
pub async fn classify(
    client: &Client,
    catalog: &Catalog,
    register: Option<&Register>,
    opts: &Options,
) -> anyhow::Result<Classification> {
    let det = Detector::global();
    let mut samples: BTreeMap<String, BTreeMap<String, Observed>> = BTreeMap::new();
    for t in &catalog.tables {
        let obs = sample_table(client, det, t, opts).await?;
        samples.insert(t.qualified(), obs);
    }
    Ok(decide(catalog, register, &samples))
}

/// Columns whose values are read: text-like, plus `*_type` discriminators.
fn sampled_columns(t: &Table) -> Vec<&Column> {
    t.columns.iter().filter(|c| c.is_textual()).collect()
}

/// One bounded, key-ordered (or seeded) read of a table's text-like columns.
async fn sample_table(
    client: &Client,
    det: &Detector,
    t: &Table,
    opts: &Options,
) -> anyhow::Result<BTreeMap<String, Observed>> {
    let cols = sampled_columns(t);
    let mut out: BTreeMap<String, Observed> = BTreeMap::new();
    if cols.is_empty() {
        return Ok(out);
    }
    let select: Vec<String> = cols
        .iter()
        .map(|c| format!("left({}::text, $2)", quote_ident(&c.name)))
        .collect();
    let select = select.join(", ");
    let step = Step::on("sampling", t);
    let rows = if t.primary_key.is_empty() {
        // Pages picked by a seeded generator: same table, same sample.
        // `TABLESAMPLE SYSTEM` takes a `real`, `REPEATABLE` a `double`.
        let pct = sample_percent(t.estimated_rows, opts.sample_rows);
        let sql = format!(
            "SELECT {select} FROM {} TABLESAMPLE SYSTEM ($3) REPEATABLE ($4) LIMIT $1",
            t.sql()
        );
        let params: [&(dyn ToSql + Sync); 4] =
            [&opts.sample_rows, &opts.max_value_bytes, &pct, &opts.seed];
        let rows = run(client, step, client.query(&sql, &params)).await?;
        if rows.is_empty() && pct < 100.0 {
            // No page picked: the estimate is far above the table's real
            // size (stale statistics). The first rows, then (a plain read
            // stops at the limit, and its order is the table's).
            let sql = format!("SELECT {select} FROM {} LIMIT $1", t.sql());
            let params: [&(dyn ToSql + Sync); 2] = [&opts.sample_rows, &opts.max_value_bytes];
            run(client, step, client.query(&sql, &params)).await?
        } else {
            rows
        }
    } else {
        let order: Vec<String> = t
            .primary_key
            .iter()
            .map(|k| format!("{} DESC", quote_ident(k)))
            .collect();
        let sql = format!(
            "SELECT {select} FROM {} ORDER BY {} LIMIT $1",
            t.sql(),
            order.join(", ")
        );
        let params: [&(dyn ToSql + Sync); 2] = [&opts.sample_rows, &opts.max_value_bytes];
        run(client, step, client.query(&sql, &params)).await?
    };
    for (i, c) in cols.iter().enumerate() {
        let obs = out.entry(c.name.clone()).or_default();
        let is_type = c.name.ends_with("_type");
        for r in &rows {
            let Some(v) = r
                .try_get::<_, Option<String>>(i)
                .map_err(|e| anyhow::anyhow!("{step}: {}", describe(&e)))?
            else {
                continue;
            };
            obs.sampled += 1;
            if is_type && v.len() <= 64 && obs.type_values.len() < 50 {
                obs.type_values.insert(v.clone());
            }
            observe(det, c, &v, obs);
        }
    }
    Ok(out)
}

fn observe(det: &Detector, c: &Column, v: &str, obs: &mut Observed) {
    let mut seen: BTreeMap<Kind, (f32, String)> = BTreeMap::new();
    if c.is_json() {
        let scan = det.scan_value(v.as_bytes(), Some(&c.name));
        let mut seen_paths: BTreeSet<(String, Kind)> = BTreeSet::new();
        for fh in &scan.hits {
            if fh.in_key || fh.hit.confidence < pii::MIN_CONFIDENCE {
                continue;
            }
            let path = normalise_path(&fh.path);
            let example = fh.masked.clone();
            if seen_paths.insert((path.clone(), fh.hit.kind)) {
                let e = obs
                    .paths
                    .entry(path)
                    .or_default()
                    .entry(fh.hit.kind)
                    .or_insert((0, None));
                e.0 += 1;
                if e.1.is_none() {
                    e.1 = Some(example.clone());
                }
            }
            let s = seen.entry(fh.hit.kind).or_insert((0.0, example.clone()));
            s.0 = s.0.max(fh.hit.confidence);
        }
    } else {
        for h in det.scan_text(v, Some(&c.name)) {
            if h.confidence < pii::MIN_CONFIDENCE {
                continue;
            }
            let s = seen.entry(h.kind).or_insert((0.0, h.masked(v)));
            s.0 = s.0.max(h.confidence);
        }
    }
    for (kind, (conf, example)) in seen {
        let e = obs.kinds.entry(kind).or_insert((0, 0.0, None));
        e.0 += 1;
        e.1 = e.1.max(conf);
        if e.2.is_none() && !example.is_empty() {
            e.2 = Some(example);
        }
    }
}

/// The share of a table's pages `TABLESAMPLE SYSTEM` reads for about ten
/// times `rows` rows, from the planner's estimate (`-1` when the table was
/// never analysed, `0` when it was empty then: all pages, since a plain
/// read stops at the limit anyway).
fn sample_percent(estimated_rows: i64, rows: i64) -> f32 {
    if estimated_rows <= 0 {
        return 100.0;
    }
    let pct = 100.0 * 10.0 * rows as f64 / estimated_rows as f64;
    pct.clamp(0.01, 100.0) as f32
}

/// `$.items[3].phone` → `$.items[*].phone`.
fn normalise_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut in_index = false;
    for ch in p.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(ch),
        }
    }
    if out.is_empty() {
        "$".to_string()
    } else {
        out
    }
}

/// Kinds whose values the detector recognises reliably: a name claiming one
/// of them is contradicted when no sampled value is one.
fn value_checkable(k: Kind) -> bool {
    matches!(
        k,
        Kind::Email
            | Kind::Phone
            | Kind::IpAddress
            | Kind::Iban
            | Kind::PaymentCard
            | Kind::Nir
            | Kind::Siren
            | Kind::Siret
    )
}

/// Below this many sampled values, values neither confirm nor contradict.
const MIN_SAMPLE: u32 = 5;

fn strong_share(count: u32, sampled: u32) -> bool {
    count >= 2 && count as f32 >= 0.05 * sampled as f32
}

/// `User` → users, `Admin::Person` → people: the tables a type value may name.
fn table_for_type<'a>(catalog: &'a Catalog, value: &str) -> Option<&'a Table> {
    let last = value.rsplit("::").next().unwrap_or(value);
    let mut snake = String::new();
    for (i, ch) in last.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.extend(ch.to_lowercase());
    }
    let mut candidates = vec![format!("{snake}s"), format!("{snake}es"), snake.clone()];
    if let Some(stem) = snake.strip_suffix('y') {
        candidates.insert(0, format!("{stem}ies"));
    }
    if snake == "person" || snake.ends_with("_person") {
        candidates.insert(0, format!("{}people", &snake[..snake.len() - 6]));
    }
    candidates
        .iter()
        .find_map(|c| catalog.tables.iter().find(|t| &t.name == c))
}

/// Turn samples into verdicts (pure: the tests of the rules need no database).
fn decide(
    catalog: &Catalog,
    register: Option<&Register>,
    samples: &BTreeMap<String, BTreeMap<String, Observed>>,
) -> Classification {
    let empty = BTreeMap::new();
    let mut columns: Vec<ColumnClass> = Vec::new();
    for t in &catalog.tables {
        let tq = t.qualified();
        let obs = samples.get(&tq).unwrap_or(&empty);
        for c in &t.columns {
            columns.push(judge(&tq, c, obs.get(&c.name)));
        }
    }

    // Person tables: the register's, then contact + name columns.
    let mut person: BTreeSet<String> = BTreeSet::new();
    if let Some(p) = register.and_then(|r| r.person.as_ref()) {
        for pt in &p.postgres {
            if pt.link.is_none() && !pt.matches.is_empty() {
                person.insert(pt.table.get_ref().clone());
            }
        }
    }
    for t in &catalog.tables {
        let tq = t.qualified();
        // A dedicated column: not JSON, not free text (a phone number quoted
        // in a note does not make the table a table of people).
        let has = |k: Kind| {
            columns.iter().any(|c| {
                c.table == tq
                    && c.personal
                    && c.kinds.iter().any(|x| x == k.as_str())
                    && !c.kinds.iter().any(|x| x == Kind::FreeText.as_str())
                    && t.column(&c.column).is_some_and(|col| !col.is_json())
            })
        };
        if (has(Kind::Email) || has(Kind::Phone)) && has(Kind::PersonName) {
            person.insert(tq);
        }
    }

    // Polymorphic pairs: `x_type` (text) + `x_id` in the same table.
    let mut polymorphic = Vec::new();
    for t in &catalog.tables {
        let tq = t.qualified();
        for c in &t.columns {
            let Some(stem) = c.name.strip_suffix("_type") else {
                continue;
            };
            if !c.is_textual() {
                continue;
            }
            let id_name = format!("{stem}_id");
            if t.column(&id_name).is_none() {
                continue;
            }
            let values = samples
                .get(&tq)
                .and_then(|o| o.get(&c.name))
                .map(|o| o.type_values.clone())
                .unwrap_or_default();
            let targets: Vec<(String, String)> = values
                .iter()
                .filter_map(|v| table_for_type(catalog, v).map(|x| (v.clone(), x.qualified())))
                .collect();
            polymorphic.push(Polymorphic {
                table: tq.clone(),
                type_column: c.name.clone(),
                id_column: id_name,
                targets,
            });
        }
    }

    // Person links and person keys.
    for t in &catalog.tables {
        let tq = t.qualified();
        for c in columns.iter_mut().filter(|c| c.table == tq) {
            let mut link = None;
            if let Some(fk) = t.fk_of(&c.column) {
                if person.contains(&fk.target) {
                    let to = catalog.display_column(&fk.target, &fk.target_columns[0]);
                    let why =
                        format!("foreign key to {to} (a person table): a pseudonymous identifier");
                    link = Some((to, why));
                }
            }
            if link.is_none() {
                for p in polymorphic
                    .iter()
                    .filter(|p| p.table == tq && p.id_column == c.column)
                {
                    if let Some((v, target)) = p.targets.iter().find(|(_, x)| person.contains(x)) {
                        let pk = catalog
                            .table(target)
                            .and_then(|x| x.primary_key.first().cloned())
                            .unwrap_or_else(|| "id".into());
                        let to = catalog.display_column(target, &pk);
                        let why = format!(
                            "polymorphic link: rows with {} = '{v}' point to {to} (a person table); no foreign key declares it",
                            ident(&p.type_column)
                        );
                        link = Some((to, why));
                    }
                }
            }
            if let Some((to, why)) = link {
                make_personal(c, PERSON_LINK, "person_link", 0.9, why);
                c.link = Some(to);
            } else if person.contains(&tq) && t.primary_key == [c.column.clone()] {
                make_personal(
                    c,
                    pii::Category::OnlineIdentifier.as_str(),
                    "person_id",
                    0.9,
                    "primary key of a person table: identifies the person".into(),
                );
            }
        }
    }
    for c in &mut columns {
        c.confidence = (c.confidence * 100.0).round() / 100.0;
    }
    Classification {
        columns,
        person_tables: person.into_iter().collect(),
        polymorphic,
    }
}

fn make_personal(c: &mut ColumnClass, category: &str, kind: &str, conf: f32, why: String) {
    c.personal = true;
    if !c.categories.iter().any(|x| x == category) {
        c.categories.push(category.to_string());
        c.categories.sort();
    }
    if !c.kinds.iter().any(|x| x == kind) {
        c.kinds.push(kind.to_string());
        c.kinds.sort();
    }
    c.confidence = c.confidence.max(conf);
    c.evidence.insert(0, why);
}

/// The verdict on one column from its name, type and sample.
fn judge(table: &str, c: &Column, obs: Option<&Observed>) -> ColumnClass {
    let mut out = ColumnClass {
        table: table.to_string(),
        column: c.name.clone(),
        data_type: c.data_type.clone(),
        personal: false,
        categories: Vec::new(),
        confidence: 0.0,
        evidence: Vec::new(),
        kinds: Vec::new(),
        link: None,
        paths: Vec::new(),
        sampled: obs.map_or(0, |o| o.sampled),
    };
    let sampled = out.sampled;
    let mut kinds: BTreeSet<Kind> = BTreeSet::new();
    let mut conf: f32 = 0.0;

    // Values.
    let mut value_kinds: BTreeSet<Kind> = BTreeSet::new();
    if let Some(o) = obs {
        for (k, (n, best, example)) in &o.kinds {
            if strong_share(*n, sampled) {
                value_kinds.insert(*k);
                let share = *n as f32 / sampled.max(1) as f32;
                conf = conf.max((best * (0.6 + 0.4 * share)).min(0.99));
                out.evidence.push(match example {
                    Some(e) => format!(
                        "values: {n} of {sampled} sampled hold {} (e.g. {e})",
                        k.as_str()
                    ),
                    None => format!("values: {n} of {sampled} sampled hold {}", k.as_str()),
                });
            }
        }
        for (path, by_kind) in &o.paths {
            let strong: Vec<(&Kind, &(u32, Option<String>))> = by_kind
                .iter()
                .filter(|(_, (n, _))| strong_share(*n, sampled))
                .collect();
            if strong.is_empty() {
                continue;
            }
            let best = strong.iter().map(|(_, (n, _))| *n).max().unwrap_or(0);
            let mut cats: Vec<String> = strong
                .iter()
                .map(|(k, _)| k.category().as_str().to_string())
                .collect();
            cats.sort();
            cats.dedup();
            out.paths.push(PathClass {
                path: path.clone(),
                kinds: strong.iter().map(|(k, _)| k.as_str().to_string()).collect(),
                categories: cats,
                share: ((best as f32 / sampled.max(1) as f32) * 100.0).round() / 100.0,
                example: strong.iter().find_map(|(_, (_, e))| e.clone()),
            });
        }
    }
    // A person's name in free text is free text, not a name column.
    kinds.extend(value_kinds.iter().copied());

    // Name.
    if let Some(nc) = pii::classify_name(&c.name) {
        let checkable = value_checkable(nc.kind);
        let textual = c.is_textual();
        let type_fits = match nc.kind {
            Kind::DateOfBirth => c.is_timestamp() || textual,
            Kind::Email
            | Kind::Phone
            | Kind::PersonName
            | Kind::PostalAddress
            | Kind::FreeText
            | Kind::Iban => textual,
            _ => !matches!(c.udt.as_str(), "bool"),
        };
        let confirmed = value_kinds.contains(&nc.kind);
        if !type_fits {
            out.evidence.push(format!(
                "name suggests {}, but the type is {}",
                nc.kind, c.data_type
            ));
        } else if textual && sampled >= MIN_SAMPLE && checkable && !confirmed {
            if value_kinds.is_empty() {
                out.evidence.push(format!(
                    "name suggests {}, but none of {sampled} sampled values is one",
                    nc.kind
                ));
                conf = conf.max(0.2);
            }
        } else if nc.confidence >= 0.8 || confirmed {
            kinds.insert(nc.kind);
            conf = conf.max(nc.confidence);
            out.evidence
                .insert(0, format!("name: {} ({:.2})", nc.kind, nc.confidence));
        } else if textual && sampled >= MIN_SAMPLE {
            // A weak name (`name`, `notes`, `context`): the values decide.
            if !value_kinds.is_empty() {
                kinds.insert(nc.kind);
                conf = conf.max(nc.confidence);
                out.evidence.insert(
                    0,
                    format!("name: {} ({:.2}), values agree", nc.kind, nc.confidence),
                );
            } else {
                out.evidence.push(format!(
                    "name suggests {} ({:.2}), but no personal data in {sampled} sampled values",
                    nc.kind, nc.confidence
                ));
                conf = conf.max(0.3);
            }
        } else {
            // Nothing sampled (empty table, or not a text column): the name alone.
            kinds.insert(nc.kind);
            conf = conf.max(nc.confidence);
            out.evidence.insert(
                0,
                format!(
                    "name: {} ({:.2}), no value to confirm",
                    nc.kind, nc.confidence
                ),
            );
        }
    }
    if c.generated {
        out.evidence.push("generated column".to_string());
    }

    // Secrets alone are not about a person: sensitive, flagged, not personal.
    let personal_kinds: Vec<Kind> = kinds
        .iter()
        .copied()
        .filter(|k| *k != Kind::Secret)
        .collect();
    out.kinds = kinds.iter().map(|k| k.as_str().to_string()).collect();
    let mut cats: Vec<String> = kinds
        .iter()
        .map(|k| k.category().as_str().to_string())
        .collect();
    cats.sort();
    cats.dedup();
    out.categories = cats;
    out.personal = !personal_kinds.is_empty() && conf >= pii::MIN_CONFIDENCE;
    out.confidence = if out.personal {
        conf
    } else if kinds.contains(&Kind::Secret) {
        out.evidence
            .push("a secret: sensitive, but not about a person by itself".into());
        0.3
    } else {
        conf.min(0.3)
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_indexes() {
        assert_eq!(normalise_path("$.items[3].phone"), "$.items[*].phone");
        assert_eq!(normalise_path(""), "$");
    }
}
