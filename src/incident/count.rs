//! Counting what a breach exposed: records, and distinct people through the
//! person graph (each exposed table's rows lead to the keys of the person
//! tables they are about; people are those keys, not the rows). Reads only;
//! every query is bounded ([`crate::postgres::query::run`]) and holds no
//! value from a user.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use tokio_postgres::Client;

use super::{Counted, Exposure};
use crate::pii::Kind;
use crate::postgres::catalog::quote_ident;
use crate::postgres::graph::EdgeKind;
use crate::postgres::query::{run, Step};
use crate::postgres::Survey;

/// Distinct people over the exposures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct People {
    pub distinct: u64,
    /// Every exposure that holds personal data was reached by the graph.
    pub exact: bool,
}

/// Keys of each person table reached so far.
#[derive(Debug, Default)]
pub struct Reached {
    keys: BTreeMap<String, HashSet<String>>,
    /// Exposures that hold personal data the graph does not reach.
    unreached: usize,
}

impl Reached {
    pub fn people(&self) -> People {
        People {
            distinct: self.keys.values().map(|k| k.len() as u64).sum(),
            exact: self.unreached == 0,
        }
    }

    /// An exposure whose people cannot be told apart from here.
    pub fn unreached(&mut self) {
        self.unreached += 1;
    }
}

fn kind_of(s: &str) -> Option<Kind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

async fn keys(
    client: &Client,
    step: Step<'_>,
    sql: &str,
    into: &mut HashSet<String>,
) -> anyhow::Result<()> {
    let rows = run(client, step, client.query(sql, &[])).await?;
    for r in rows {
        if let Ok(Some(k)) = r.try_get::<_, Option<String>>(0) {
            into.insert(k);
        }
    }
    Ok(())
}

/// One exposed table: its rows, the kinds and categories the classifier
/// found in its columns, and the people its rows are about.
pub async fn table(
    client: &Client,
    survey: &Survey,
    name: &str,
    declared: &[String],
    reached: &mut Reached,
) -> anyhow::Result<Counted> {
    let catalog = &survey.catalog;
    let t = catalog.table(name).ok_or_else(|| {
        anyhow::anyhow!(
            "no table {} in the database (tables are named as `oubli classify postgres` prints them)",
            crate::show::printable(name)
        )
    })?;
    let records: i64 = run(
        client,
        Step::on("counting the rows of", t),
        client.query_one(&format!("SELECT count(*) FROM {}", t.sql()), &[]),
    )
    .await?
    .try_get(0)?;
    let q = t.qualified();
    let mut kinds: BTreeSet<Kind> = BTreeSet::new();
    let mut categories: BTreeSet<String> = declared.iter().cloned().collect();
    for c in survey
        .classification
        .columns
        .iter()
        .filter(|c| c.table == q && c.personal)
    {
        kinds.extend(c.kinds.iter().filter_map(|k| kind_of(k)));
        // The register's words win; the classifier's categories stand in
        // only where the register declares none, in the same spelling.
        if declared.is_empty() {
            categories.extend(
                c.categories
                    .iter()
                    .filter(|c| c.as_str() != "person_link")
                    .map(|c| c.replace('_', " ")),
            );
        }
    }
    let graph = &survey.graph;
    let mut hows = Vec::new();
    let mut people_here: HashSet<(String, String)> = HashSet::new();
    if graph.person_tables.contains(&q) {
        if let Some(pk) = t.primary_key.first() {
            let mut set = HashSet::new();
            keys(
                client,
                Step::on("reading the people of", t),
                &format!("SELECT {}::text FROM {}", quote_ident(pk), t.sql()),
                &mut set,
            )
            .await?;
            hows.push(format!("{q} is a person table: one person per row"));
            people_here.extend(set.iter().map(|k| (q.clone(), k.clone())));
            reached.keys.entry(q.clone()).or_default().extend(set);
        }
    }
    for e in graph.edges.iter().filter(|e| e.table == q) {
        let mut set = HashSet::new();
        match e.kind {
            EdgeKind::ForeignKey | EdgeKind::SelfReference | EdgeKind::Polymorphic => {
                let mut sql = format!(
                    "SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL",
                    c = quote_ident(&e.column),
                    t = t.sql()
                );
                if let Some((type_col, value)) = &e.condition {
                    sql.push_str(&format!(" AND {}::text = $1", quote_ident(type_col)));
                    let rows = run(
                        client,
                        Step::on("reading the people of", t),
                        client.query(&sql, &[value]),
                    )
                    .await?;
                    for r in rows {
                        if let Ok(Some(k)) = r.try_get::<_, Option<String>>(0) {
                            set.insert(k);
                        }
                    }
                } else {
                    keys(client, Step::on("reading the people of", t), &sql, &mut set).await?;
                }
            }
            EdgeKind::Through => {
                let Some(link) = catalog.table(&e.target) else {
                    continue;
                };
                let Some(fk) = link
                    .foreign_keys
                    .iter()
                    .find(|f| f.target == e.person && f.columns.len() == 1)
                else {
                    continue;
                };
                let sql = format!(
                    "SELECT DISTINCT l.{p}::text FROM {l} l WHERE l.{p} IS NOT NULL AND l.{tc} IN (SELECT x.{c} FROM {t} x)",
                    p = quote_ident(&fk.columns[0]),
                    l = link.sql(),
                    tc = quote_ident(&e.target_column),
                    c = quote_ident(&e.column),
                    t = t.sql()
                );
                keys(client, Step::on("reading the people of", t), &sql, &mut set).await?;
            }
        }
        hows.push(format!(
            "{} of {} through {}",
            set.len(),
            e.person,
            e.link()
        ));
        people_here.extend(set.iter().map(|k| (e.person.clone(), k.clone())));
        reached
            .keys
            .entry(e.person.clone())
            .or_default()
            .extend(set);
    }
    let people = if hows.is_empty() {
        if !kinds.is_empty() {
            reached.unreached();
        }
        None
    } else {
        Some(people_here.len() as u64)
    };
    Ok(Counted {
        what: Exposure::Table { table: q.clone() }.to_string(),
        records: Some(records.max(0) as u64),
        people,
        kinds: kinds.into_iter().collect(),
        categories: categories.into_iter().collect(),
        how: if hows.is_empty() {
            "rows counted; no path from this table to a person table in the graph".into()
        } else {
            format!("rows counted; people: {}", hows.join("; "))
        },
    })
}

/// One exposed namespace: its keys (SCAN MATCH, every key checked to fold
/// to exactly that namespace) and the kinds found in their names.
pub async fn namespace(
    con: &mut redis::aio::MultiplexedConnection,
    pattern: &str,
    delimiters: &[u8],
    declared: &[String],
    budget: crate::redis::actions::Pace,
    reached: &mut Reached,
) -> anyhow::Result<Counted> {
    let p = crate::keypattern::KeyPattern::namespace(pattern);
    // Nothing cancels a headless count but the process itself.
    let never = tokio_util::sync::CancellationToken::new();
    if p.is_bucket() {
        anyhow::bail!(
            "{pattern} is the census's bucket of the namespaces past its limit, not one namespace"
        );
    }
    let glob = p.glob();
    let mut cursor: u64 = 0;
    let mut records = 0u64;
    let mut kinds: BTreeSet<Kind> = BTreeSet::new();
    let mut analyzer = crate::pii::keys::KeyAnalyzer::new(delimiters);
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&glob)
            .arg("COUNT")
            .arg(budget.scan_count)
            .query_async(con)
            .await?;
        // One command per batch, under the register's load budget.
        crate::redis::actions::pace(1, budget.max_ops_per_sec, &never).await;
        for key in batch {
            if !p.belongs(&key, delimiters) {
                continue;
            }
            records += 1;
            let (_, hits) = analyzer.analyze(&key);
            kinds.extend(hits.iter().map(|h| h.kind));
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    if records == 0 {
        anyhow::bail!(
            "no key folds to the namespace {pattern} (namespaces are named as `oubli scan redis` prints them, e.g. session:{{int}})"
        );
    }
    // Key names rarely say who: the people behind them are not counted, so
    // the total is a floor, whether or not their names showed a kind.
    reached.unreached();
    Ok(Counted {
        what: Exposure::Namespace {
            pattern: pattern.to_string(),
        }
        .to_string(),
        records: Some(records),
        people: None,
        kinds: kinds.into_iter().collect(),
        categories: declared.to_vec(),
        how: "keys counted by SCAN MATCH, each checked to fold to this namespace; kinds from key names (values not read); people not told apart from key names".into(),
    })
}

/// A storage of the register as a whole: what the register says, nothing
/// counted (a backup, a partner's copy).
pub fn storage(
    reg: &crate::register::Register,
    id: &str,
    reached: &mut Reached,
) -> anyhow::Result<Counted> {
    let s = reg
        .storage(id)
        .ok_or_else(|| anyhow::anyhow!("no storage {id:?} in the register"))?;
    reached.unreached();
    Ok(Counted {
        what: Exposure::Storage { id: id.to_string() }.to_string(),
        records: None,
        people: None,
        kinds: Vec::new(),
        categories: s.categories.clone(),
        how: format!(
            "{}: not readable from here; the register's categories; count by hand",
            s.label
        ),
    })
}

/// A leaked file, read by [`crate::offline`].
pub fn file(
    path: &std::path::Path,
    opts: &crate::redis::census::CensusOptions,
    reached: &mut Reached,
) -> anyhow::Result<Counted> {
    let report = crate::offline::scan(
        path,
        None,
        opts,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )?;
    let mut kinds: BTreeSet<Kind> = BTreeSet::new();
    let records = match &report {
        crate::offline::FileReport::Rdb(r) => {
            for c in &r.dbs {
                for n in &c.namespaces {
                    kinds.extend(n.key_pii.keys().copied());
                    kinds.extend(n.value_pii.keys().copied());
                }
            }
            r.keys
        }
        crate::offline::FileReport::Tables(d) => {
            for t in &d.tables {
                for c in &t.columns {
                    kinds.extend(c.pii.keys().copied());
                }
            }
            d.rows
        }
    };
    if !kinds.is_empty() {
        reached.unreached();
    }
    Ok(Counted {
        what: Exposure::File {
            path: crate::offline::shown_name(path),
        }
        .to_string(),
        records: Some(records),
        people: None,
        kinds: kinds.into_iter().collect(),
        categories: Vec::new(),
        how: format!(
            "read by `oubli scan file`{}; people not told apart in a copy",
            if report.complete() {
                ""
            } else {
                " (not to its end)"
            }
        ),
    })
}
