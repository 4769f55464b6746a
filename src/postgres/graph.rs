//! The person graph: from the person tables, every table holding rows about
//! one person, and how to reach them — foreign keys, self-references
//! (relatives, a responsible person), many-to-many links (participations
//! between people and appointments) and polymorphic `*_type`/`*_id` pairs
//! that no foreign key declares (proposed, with the type value).
//!
//! [`lookup`] counts one person's rows across the graph with one
//! parameterised query per edge; it is what a rights request runs.

use std::collections::BTreeSet;

use serde::Serialize;
use tokio_postgres::Client;

use super::catalog::{ident, quote_ident, Catalog, Table};
use super::classify::Classification;
use super::query::{run, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// `table.columns` references the person table.
    ForeignKey,
    /// The person table references itself (a relative, a responsible person).
    SelfReference,
    /// `table` is reached through a link table that references the person
    /// (`appointments.id = participations.appointment_id`).
    Through,
    /// A `*_type` + `*_id` pair: no foreign key, proposed from the type values.
    Polymorphic,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::ForeignKey => "foreign_key",
            EdgeKind::SelfReference => "self_reference",
            EdgeKind::Through => "through",
            EdgeKind::Polymorphic => "polymorphic",
        }
    }
}

/// Rows of `table` whose `column` equals `target.target_column`, for the
/// person of `person` (the person table at the root).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub person: String,
    pub table: String,
    pub column: String,
    pub target: String,
    pub target_column: String,
    pub kind: EdgeKind,
    /// Polymorphic: the type column and the value naming the person table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<(String, String)>,
    /// An index on `table.column` (for `through`, on the link table's column).
    pub indexed: bool,
}

impl Edge {
    /// As the register writes a link: `column -> target.target_column`.
    pub fn link(&self) -> String {
        format!("{} -> {}.{}", self.column, self.target, self.target_column)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PersonGraph {
    pub person_tables: Vec<String>,
    pub edges: Vec<Edge>,
}

impl PersonGraph {
    /// Every table holding rows about a person, person tables first.
    pub fn tables(&self) -> Vec<String> {
        let mut out: Vec<String> = self.person_tables.clone();
        let mut seen: BTreeSet<String> = out.iter().cloned().collect();
        for e in &self.edges {
            if seen.insert(e.table.clone()) {
                out.push(e.table.clone());
            }
        }
        out
    }

    pub fn edges_from<'a>(&'a self, person: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.person == person)
    }
}

/// Build the graph from the catalog and the classification's person tables
/// and polymorphic pairs.
pub fn build(catalog: &Catalog, class: &Classification) -> PersonGraph {
    let persons: BTreeSet<&str> = class.person_tables.iter().map(String::as_str).collect();
    let personal = class.personal_tables();
    let mut edges = BTreeSet::new();
    for p in &persons {
        let Some(pt) = catalog.table(p) else { continue };
        for t in &catalog.tables {
            let tq = t.qualified();
            for fk in t.foreign_keys.iter().filter(|f| f.target == *p) {
                if fk.columns.len() != 1 {
                    continue;
                }
                let self_ref = tq == *p;
                edges.insert(Edge {
                    person: p.to_string(),
                    table: tq.clone(),
                    column: fk.columns[0].clone(),
                    target: p.to_string(),
                    target_column: fk.target_columns[0].clone(),
                    kind: if self_ref {
                        EdgeKind::SelfReference
                    } else {
                        EdgeKind::ForeignKey
                    },
                    condition: None,
                    indexed: t.has_index_on(&[&fk.columns[0]]),
                });
                if self_ref {
                    continue;
                }
                // Many-to-many: the link table's other references reach
                // tables about the person (when they hold personal data).
                for other in t.foreign_keys.iter().filter(|o| o.name != fk.name) {
                    if other.columns.len() != 1
                        || other.target == *p
                        || !personal.contains(other.target.as_str())
                    {
                        continue;
                    }
                    edges.insert(Edge {
                        person: p.to_string(),
                        table: other.target.clone(),
                        column: other.target_columns[0].clone(),
                        target: tq.clone(),
                        target_column: other.columns[0].clone(),
                        kind: EdgeKind::Through,
                        condition: None,
                        indexed: t.has_index_on(&[&fk.columns[0]]),
                    });
                }
            }
        }
        for poly in &class.polymorphic {
            for (value, target) in &poly.targets {
                if target != p {
                    continue;
                }
                let Some(t) = catalog.table(&poly.table) else {
                    continue;
                };
                edges.insert(Edge {
                    person: p.to_string(),
                    table: poly.table.clone(),
                    column: poly.id_column.clone(),
                    target: p.to_string(),
                    target_column: pt
                        .primary_key
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "id".into()),
                    kind: EdgeKind::Polymorphic,
                    condition: Some((poly.type_column.clone(), value.clone())),
                    indexed: t.has_index_on(&[&poly.id_column])
                        || t.has_index_on(&[&poly.type_column, &poly.id_column]),
                });
            }
        }
    }
    PersonGraph {
        person_tables: class.person_tables.clone(),
        edges: edges.into_iter().collect(),
    }
}

/// One table's share of a person's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub table: String,
    /// How: `id` for the person table, else the edge's link.
    pub via: String,
    pub rows: i64,
}

fn cast_of(t: &Table, column: &str) -> anyhow::Result<String> {
    t.column(column)
        .map(|c| c.data_type.clone())
        .ok_or_else(|| {
            anyhow::anyhow!("table {} has no column {}", t.display_name(), ident(column))
        })
}

/// The SQL (and whether it takes the type value as `$2`) that counts the
/// rows an edge reaches for the person whose key is `$1` (as text).
fn edge_sql(catalog: &Catalog, e: &Edge) -> anyhow::Result<String> {
    let t = catalog
        .table(&e.table)
        .ok_or_else(|| anyhow::anyhow!("no table {}", catalog.display(&e.table)))?;
    match e.kind {
        EdgeKind::ForeignKey | EdgeKind::SelfReference | EdgeKind::Polymorphic => {
            let ty = cast_of(t, &e.column)?;
            let mut sql = format!(
                "SELECT count(*) FROM {} WHERE {} = ($1::text)::{ty}",
                t.sql(),
                quote_ident(&e.column)
            );
            if let Some((type_col, _)) = &e.condition {
                sql.push_str(&format!(" AND {}::text = $2", quote_ident(type_col)));
            }
            Ok(sql)
        }
        EdgeKind::Through => {
            let link = catalog
                .table(&e.target)
                .ok_or_else(|| anyhow::anyhow!("no table {}", catalog.display(&e.target)))?;
            // The link table's column that references the person.
            let to_person = link
                .foreign_keys
                .iter()
                .find(|f| f.target == e.person && f.columns.len() == 1)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "table {} no longer references table {}",
                        link.display_name(),
                        catalog.display(&e.person)
                    )
                })?;
            let ty = cast_of(link, &to_person.columns[0])?;
            Ok(format!(
                "SELECT count(*) FROM {} WHERE {} IN (SELECT {} FROM {} WHERE {} = ($1::text)::{ty})",
                t.sql(),
                quote_ident(&e.column),
                quote_ident(&e.target_column),
                link.sql(),
                quote_ident(&to_person.columns[0])
            ))
        }
    }
}

/// Count one person's rows in every table of the graph: `key` is the value of
/// the person table's primary key (as text; cast to the column's type in SQL).
pub async fn lookup(
    client: &Client,
    catalog: &Catalog,
    graph: &PersonGraph,
    person: &str,
    key: &str,
) -> anyhow::Result<Vec<Found>> {
    let pt = catalog
        .table(person)
        .ok_or_else(|| anyhow::anyhow!("no person table {person}"))?;
    let pk = pt
        .primary_key
        .first()
        .ok_or_else(|| anyhow::anyhow!("table {} has no primary key", pt.display_name()))?;
    let mut out = Vec::new();
    let sql = format!(
        "SELECT count(*) FROM {} WHERE {} = ($1::text)::{}",
        pt.sql(),
        quote_ident(pk),
        cast_of(pt, pk)?
    );
    let step = Step::on("looking a person up in", pt);
    let n: i64 = run(client, step, client.query_one(&sql, &[&key]))
        .await?
        .try_get(0)?;
    out.push(Found {
        table: person.to_string(),
        via: pk.clone(),
        rows: n,
    });
    for e in graph.edges_from(person) {
        let sql = edge_sql(catalog, e)?;
        let step = match catalog.table(&e.table) {
            Some(t) => Step::on("looking a person up in", t),
            None => Step::new("looking a person up"),
        };
        let row = match &e.condition {
            Some((_, value)) => run(client, step, client.query_one(&sql, &[&key, value])).await?,
            None => run(client, step, client.query_one(&sql, &[&key])).await?,
        };
        out.push(Found {
            table: e.table.clone(),
            via: e.link(),
            rows: row.try_get(0)?,
        });
    }
    Ok(out)
}
