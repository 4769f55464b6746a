//! Declared vs observed in Postgres, as `oubli check` findings:
//!
//! * `rows_past_retention` — rows older than the storage's retention;
//! * `unclassified_column` — a column that looks personal and that the
//!   register's person model does not cover (an erasure would miss it);
//! * `missing_link_index` — a person-link column with no index (every
//!   lookup, erasure and retention job scans the table);
//! * `declared_table_missing`, `declared_column_missing` — the register
//!   names a table or column that the database no longer has.
//!
//! Messages name tables, columns, counts and dates; never a value.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::catalog::{self, ident, Catalog};
use super::classify::{self, Classification, PERSON_LINK};
use super::graph::{self, PersonGraph};
use super::retention;
use crate::check::{Finding, Severity};
use crate::register::{Erase, Register, Retention};

/// Everything one `check` needs from one database, computed once.
#[derive(Debug, Clone)]
pub struct Survey {
    pub catalog: Catalog,
    pub classification: Classification,
    pub graph: PersonGraph,
}

/// Catalog, classification and person graph of the database behind `client`.
pub async fn survey(
    client: &Client,
    reg: Option<&Register>,
    opts: &classify::Options,
) -> anyhow::Result<Survey> {
    let catalog = catalog::fetch(client).await?;
    let classification = classify::classify(client, &catalog, reg, opts).await?;
    let graph = graph::build(&catalog, &classification);
    Ok(Survey {
        catalog,
        classification,
        graph,
    })
}

/// The Postgres findings for the register's storage(s) reached through the
/// connection named `connection` (`oubli check --live`).
pub async fn findings(
    client: &Client,
    reg: &Register,
    connection: &str,
) -> anyhow::Result<Vec<Finding>> {
    let s = survey(client, Some(reg), &classify::Options::default()).await?;
    findings_of(client, &s, reg, connection).await
}

/// The Postgres findings from a survey already made (the console's), plus
/// the row counts past retention it still has to ask for.
pub async fn findings_of(
    client: &Client,
    s: &Survey,
    reg: &Register,
    connection: &str,
) -> anyhow::Result<Vec<Finding>> {
    let storage = reg.storage_of_connection(connection);
    let storage_id = storage.map(|st| st.id().to_string());
    let mut out = Vec::new();
    declared_missing(s, reg, &storage_id, &mut out);
    if let Some(Retention::Limited(p)) = storage.and_then(|st| st.effective_retention()) {
        let cutoff = chrono::Utc::now() - chrono::Duration::seconds(p.seconds() as i64);
        rows_past_retention(client, s, reg, cutoff, &storage_id, &mut out).await?;
    }
    unclassified(s, reg, &storage_id, &mut out);
    missing_link_indexes(s, reg, &storage_id, &mut out);
    out.sort_by_key(|f| f.severity);
    Ok(out)
}

fn finding(
    kind: &'static str,
    severity: Severity,
    storage: &Option<String>,
    table: Option<String>,
    message: String,
) -> Finding {
    Finding {
        kind,
        severity,
        storage: storage.clone(),
        table,
        message,
        ..Finding::default()
    }
}

fn declared_missing(s: &Survey, reg: &Register, storage: &Option<String>, out: &mut Vec<Finding>) {
    let Some(person) = &reg.person else { return };
    for pt in &person.postgres {
        let name = pt.table.get_ref();
        let Some(t) = s.catalog.table(name) else {
            out.push(finding(
                "declared_table_missing",
                Severity::High,
                storage,
                None,
                format!(
                    "the register's person model names table {name}, which the database {} does not have: lookups and erasures would fail or miss rows.",
                    s.catalog.database
                ),
            ));
            continue;
        };
        let mut cols: BTreeSet<String> = pt.matches.values().map(|c| c.get_ref().clone()).collect();
        if let Some(l) = pt.parsed_link() {
            cols.insert(l.column);
        }
        if let Erase::Columns(m) = pt.erase.get_ref() {
            cols.extend(m.keys().cloned());
        }
        if let Some(rc) = &pt.retention_column {
            cols.insert(rc.clone());
        }
        for c in cols {
            let c = c.as_str();
            if t.column(c).is_none() {
                out.push(finding(
                    "declared_column_missing",
                    Severity::High,
                    storage,
                    Some(t.qualified()),
                    format!("the register names column {name}.{c}, which no longer exists."),
                ));
            }
        }
    }
}

async fn rows_past_retention(
    client: &Client,
    s: &Survey,
    reg: &Register,
    cutoff: chrono::DateTime<chrono::Utc>,
    storage: &Option<String>,
    out: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    let retention = storage
        .as_deref()
        .and_then(|id| reg.storage(id))
        .and_then(|st| st.effective_retention())
        .map(|r| r.to_string())
        .unwrap_or_default();
    let mut tables: BTreeSet<String> = s
        .classification
        .personal_tables()
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(p) = &reg.person {
        tables.extend(p.postgres.iter().map(|t| t.table.get_ref().clone()));
    }
    for name in tables {
        let Some(t) = s.catalog.table(&name) else {
            continue;
        };
        let declared = reg
            .person
            .as_ref()
            .and_then(|p| p.postgres.iter().find(|pt| pt.table.get_ref() == &name))
            .and_then(|pt| pt.retention_column.as_deref());
        let Some(col) = retention::age_column(t, declared) else {
            continue;
        };
        let r = retention::past_retention(client, t, col, cutoff, retention::HUGE_ROWS).await?;
        if r.rows > 0 {
            let how = if r.exact {
                "exact count"
            } else {
                "planner estimate"
            };
            let oldest = match &r.oldest {
                Some(d) if r.exact => format!("; oldest {d}"),
                Some(d) => format!("; oldest about {d}"),
                None => String::new(),
            };
            out.push(finding(
                "rows_past_retention",
                Severity::High,
                storage,
                Some(t.qualified()),
                format!(
                    "{}: {} rows older than the retention ({retention}) by {} — before {} ({how}{oldest}).",
                    t.display_name(),
                    r.rows,
                    ident(&r.column),
                    r.cutoff
                ),
            ));
        }
    }
    Ok(())
}

/// Whether an erasure by the register's person model reaches `table.column`.
fn covered(reg: &Register, table: &str, column: &str, is_link: bool) -> bool {
    let Some(p) = &reg.person else { return false };
    let Some(pt) = p.postgres.iter().find(|t| t.table.get_ref() == table) else {
        return false;
    };
    match pt.erase.get_ref() {
        Erase::Whole(_) => true,
        Erase::Columns(m) => {
            is_link
                || m.contains_key(column)
                || pt.matches.values().any(|c| c.get_ref() == column)
                || pt.parsed_link().is_some_and(|l| l.column == column)
        }
    }
}

fn unclassified(s: &Survey, reg: &Register, storage: &Option<String>, out: &mut Vec<Finding>) {
    for c in s.classification.personal() {
        let is_link = c.categories.iter().any(|x| x == PERSON_LINK)
            || c.kinds.iter().any(|k| k == "person_id");
        if covered(reg, &c.table, &c.column, is_link) {
            continue;
        }
        let what = if is_link {
            format!(
                "links rows to a person ({})",
                c.link.as_deref().unwrap_or("person key")
            )
        } else {
            format!("looks personal ({})", c.kinds.join(", "))
        };
        out.push(finding(
            "unclassified_column",
            Severity::Medium,
            storage,
            Some(s.catalog.table(&c.table).map_or_else(|| c.table.clone(), |t| t.qualified())),
            format!(
                "{} {what}, but the register's person model does not cover it: an erasure would leave it.",
                s.catalog.display_column(&c.table, &c.column)
            ),
        ));
    }
}

fn missing_link_indexes(
    s: &Survey,
    reg: &Register,
    storage: &Option<String>,
    out: &mut Vec<Finding>,
) {
    let mut reached: BTreeSet<String> = s.graph.tables().into_iter().collect();
    if let Some(p) = &reg.person {
        reached.extend(p.postgres.iter().map(|t| t.table.get_ref().clone()));
    }
    // (table, column) → what it links to
    let mut links: Vec<(String, String, String)> = Vec::new();
    for t in &s.catalog.tables {
        let tq = t.qualified();
        for fk in &t.foreign_keys {
            if fk.columns.len() == 1 && (reached.contains(&tq) && reached.contains(&fk.target)) {
                links.push((
                    tq.clone(),
                    fk.columns[0].clone(),
                    s.catalog.display_column(&fk.target, &fk.target_columns[0]),
                ));
            }
        }
    }
    for e in &s.graph.edges {
        if e.kind == graph::EdgeKind::Polymorphic {
            links.push((
                e.table.clone(),
                e.column.clone(),
                s.catalog.display_column(&e.target, &e.target_column),
            ));
        }
    }
    if let Some(p) = &reg.person {
        for pt in &p.postgres {
            if let Some(l) = pt.parsed_link() {
                links.push((
                    pt.table.get_ref().clone(),
                    l.column.clone(),
                    s.catalog.display_column(&l.table, &l.target_column),
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (table, column, target) in links {
        if !seen.insert((table.clone(), column.clone())) {
            continue;
        }
        let Some(t) = s.catalog.table(&table) else {
            continue;
        };
        if t.column(&column).is_none() || t.has_index_on(&[&column]) {
            continue;
        }
        // A polymorphic pair indexed as (type, id) serves lookups too.
        let poly_indexed = s.graph.edges.iter().any(|e| {
            e.table == table
                && e.column == column
                && e.condition
                    .as_ref()
                    .is_some_and(|(tc, _)| t.has_index_on(&[tc, &column]))
        });
        if poly_indexed {
            continue;
        }
        let shown = t.display_name();
        out.push(finding(
            "missing_link_index",
            Severity::Medium,
            storage,
            Some(t.qualified()),
            format!(
                "{shown}.{} links to {target} but has no index: every lookup, erasure and retention job through it scans {shown} (~{} rows).",
                ident(&column),
                t.estimated_rows.max(0)
            ),
        ));
    }
}
