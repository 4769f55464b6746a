//! `oubli init`: a commented starter register written from an introspected
//! database — the storage, its connection (URL from the environment), the
//! person model with match columns, links and a proposed erase strategy per
//! personal column — for the team to review. What nobody can know from the
//! database (retention, justification, controller) is written as "unknown"
//! or a `TO FILL` placeholder, so `oubli check` points at it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::catalog::Table;
use super::classify::{ColumnClass, PERSON_LINK};
use super::graph::{Edge, EdgeKind};
use super::Survey;

/// What `init` is told besides the database.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Environment variable the Postgres URL is read from.
    pub pg_url_env: String,
    /// Also declare a Redis storage whose URL is read from this variable.
    pub redis_url_env: Option<String>,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            pg_url_env: "OUBLI_PG_URL".into(),
            redis_url_env: None,
        }
    }
}

/// A TOML string.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A TOML key: bare when it can be.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        q(s)
    }
}

/// `users` → `user_id`, `people` → `person_id`.
fn identifier_for(table: &str) -> String {
    let base = table.rsplit('.').next().unwrap_or(table);
    let singular = if base == "people" {
        "person".to_string()
    } else if let Some(s) = base.strip_suffix("ies") {
        format!("{s}y")
    } else if let Some(s) = base.strip_suffix('s') {
        s.to_string()
    } else {
        base.to_string()
    };
    format!("{singular}_id")
}

/// The proposed strategy for one personal column of a person table.
fn strategy(c: &ColumnClass, t: &Table, pk: &str) -> (String, &'static str) {
    let col = t.column(&c.column);
    let nullable = col.is_some_and(|x| x.nullable);
    let textual = col.is_some_and(|x| x.is_textual() && !x.is_json());
    let has = |k: &str| c.kinds.iter().any(|x| x == k);
    if has("email") && textual {
        return (
            format!("rewrite:deleted-{{{pk}}}@invalid"),
            "unique and often NOT NULL: a placeholder address",
        );
    }
    if has("person_name") && textual && !nullable {
        return ("redact".into(), "NOT NULL: replaced by a fixed mark");
    }
    if nullable {
        return ("null".into(), "");
    }
    if textual {
        return ("redact".into(), "NOT NULL: replaced by a fixed mark");
    }
    (
        "hash".into(),
        "NOT NULL and not text: a keyed hash keeps it unique",
    )
}

/// The starter register, as TOML with comments.
pub fn starter_register(s: &Survey, opts: &InitOptions) -> String {
    let class = &s.classification;
    let db = &s.catalog.database;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Starter register written by `oubli init` from the Postgres database {db:?}.\n\
         # Everything here is a proposal: review every line with the people who know\n\
         # the service, then run `oubli config check` and `oubli check --live`.\n\
         # Lines marked TO FILL need an answer nobody can read from a database.\n"
    );
    let _ = writeln!(
        w,
        "[register]\nname = {}\ncontroller = \"TO FILL: the organisation responsible\"\ncontact = \"TO FILL: dpo@example.org\"\n",
        q(&format!("{db} — starter register"))
    );

    // The storage.
    let mut cats: BTreeSet<&str> = BTreeSet::new();
    for c in class.personal() {
        cats.extend(
            c.categories
                .iter()
                .map(String::as_str)
                .filter(|x| *x != PERSON_LINK),
        );
    }
    let cats: Vec<String> = cats.iter().map(|c| q(c)).collect();
    let _ = writeln!(
        w,
        "# ─── Storages ───\n[[storage]]\nid = \"postgres\"\nlabel = {}\nkind = \"database\"\n\
         retention = \"unknown\"          # TO FILL, e.g. \"2 years\": rows older than this become findings\n\
         justification = \"unknown\"      # TO FILL: why this data is kept\n\
         categories = [{}]\nconnection = \"main-db\"\n",
        q(&format!("Postgres database {db}")),
        cats.join(", ")
    );
    if opts.redis_url_env.is_some() {
        let _ = writeln!(
            w,
            "[[storage]]\nid = \"redis\"\nlabel = \"Redis\"\nkind = \"cache\"\nretention = \"unknown\"          # TO FILL, e.g. \"7 days\"\njustification = \"unknown\"      # TO FILL\nconnection = \"cache\"\n"
        );
    }
    let _ = writeln!(
        w,
        "# ─── Live connections (URLs come from the environment, never inline) ───\n\
         [connection.main-db]\nkind = \"postgres\"\nurl_env = {}\n",
        q(&opts.pg_url_env)
    );
    if let Some(env) = &opts.redis_url_env {
        let _ = writeln!(
            w,
            "[connection.cache]\nkind = \"redis\"\nurl_env = {}\n",
            q(env)
        );
    }

    // The person model.
    if class.person_tables.is_empty() {
        let _ = writeln!(
            w,
            "# No person table found (a table with both an e-mail or phone column and a\n\
             # name column). Declare one by hand: see config/example.toml, [person]."
        );
        return out;
    }
    let mut identifiers: BTreeSet<String> = BTreeSet::new();
    let mut entries: Vec<String> = Vec::new();
    let mut in_model: BTreeSet<String> = BTreeSet::new();
    for p in &class.person_tables {
        let Some(t) = s.catalog.table(p) else {
            continue;
        };
        let pk = t
            .primary_key
            .first()
            .cloned()
            .unwrap_or_else(|| "id".into());
        let mut matches: BTreeMap<String, String> = BTreeMap::new();
        let mut erase: Vec<(String, String, &'static str)> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        for c in class.personal().filter(|c| &c.table == p) {
            let has = |k: &str| c.kinds.iter().any(|x| x == k);
            let dedicated = !has("free_text") && t.column(&c.column).is_some_and(|x| !x.is_json());
            if dedicated && has("email") && !matches.contains_key("email") {
                matches.insert("email".into(), c.column.clone());
            } else if dedicated && has("phone") && !matches.contains_key("phone") {
                matches.insert("phone".into(), c.column.clone());
            }
            if c.column == pk {
                matches.insert(identifier_for(p), pk.clone());
                continue;
            }
            let (st, why) = strategy(c, t, &pk);
            erase.push((c.column.clone(), st, why));
            notes.push(format!(
                "#   {:<20} {} ({:.2})",
                c.column,
                c.kinds.join(", "),
                c.confidence
            ));
        }
        identifiers.extend(matches.keys().cloned());
        let mut e = String::new();
        let _ = writeln!(
            e,
            "# {}: a table of people (~{} rows). Personal columns:",
            t.display_name(),
            t.estimated_rows.max(0)
        );
        for n in &notes {
            let _ = writeln!(e, "{n}");
        }
        for edge in s
            .graph
            .edges_from(p)
            .filter(|x| x.kind == EdgeKind::SelfReference)
        {
            let _ = writeln!(
                e,
                "#   {} points to another {} row (a relative, a responsible person): erasing\n\
                 #   this person nulls it below; decide whether the related person is told.",
                s.catalog.display_column(&edge.table, &edge.column),
                t.display_name()
            );
        }
        let _ = writeln!(e, "[[person.postgres]]\ntable = {}", q(p));
        let m: Vec<String> = matches
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), q(v)))
            .collect();
        let _ = writeln!(e, "match = {{ {} }}", m.join(", "));
        if let Some(col) = super::retention::age_column(t, None) {
            let _ = writeln!(e, "retention_column = {}", q(col));
        }
        let er: Vec<String> = erase
            .iter()
            .map(|(c, st, _)| format!("{} = {}", key(c), q(st)))
            .collect();
        for (c, _, why) in erase.iter().filter(|(_, _, why)| !why.is_empty()) {
            let _ = writeln!(e, "# erase {c}: {why}");
        }
        let _ = writeln!(e, "erase = {{ {} }}\n", er.join(", "));
        entries.push(e);
        in_model.insert(p.clone());
    }

    // Tables reached from a person: one entry each, by the best edge.
    let rank = |e: &Edge| match e.kind {
        EdgeKind::ForeignKey => 0,
        EdgeKind::Polymorphic => 1,
        EdgeKind::Through => 2,
        EdgeKind::SelfReference => 3,
    };
    // Edges per table, and per (table, person): one entry for each person
    // the table's rows are about (appointments: an agent's, a citizen's).
    let mut per_table: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    let mut reached: BTreeMap<(&str, &str), Vec<&Edge>> = BTreeMap::new();
    for e in &s.graph.edges {
        if e.kind != EdgeKind::SelfReference && !class.person_tables.contains(&e.table) {
            per_table.entry(e.table.as_str()).or_default().push(e);
            reached
                .entry((e.table.as_str(), e.person.as_str()))
                .or_default()
                .push(e);
        }
    }
    // Link targets must be in the model: direct links first, then the rest.
    let mut order: Vec<(&str, Vec<&Edge>)> =
        reached.into_iter().map(|((t, _), v)| (t, v)).collect();
    for v in order.iter_mut() {
        v.1.sort_by_key(|e| rank(e));
    }
    order.sort_by_key(|(t, v)| (rank(v[0]), t.to_string()));
    for (table, edges) in order {
        let all = per_table.get(table).cloned().unwrap_or_default();
        let Some(t) = s.catalog.table(table) else {
            continue;
        };
        let best = edges
            .iter()
            .find(|e| in_model.contains(&e.target))
            .copied()
            .unwrap_or(edges[0]);
        if !in_model.contains(&best.target) {
            continue;
        }
        let mut e = String::new();
        let personal: Vec<&ColumnClass> = class.personal().filter(|c| c.table == table).collect();
        let _ = writeln!(
            e,
            "# {} (~{} rows):",
            t.display_name(),
            t.estimated_rows.max(0)
        );
        for x in &all {
            let how = match x.kind {
                EdgeKind::ForeignKey => "foreign key".to_string(),
                EdgeKind::Polymorphic => {
                    let (tc, v) = x.condition.clone().unwrap_or_default();
                    format!("polymorphic, no foreign key: only rows with {tc} = {v:?}")
                }
                EdgeKind::Through => format!("through the link table {}", x.target),
                EdgeKind::SelfReference => "self-reference".into(),
            };
            let _ = writeln!(
                e,
                "#   reached by {} ({how}){}",
                x.link(),
                if x.indexed { "" } else { " — NO INDEX" }
            );
        }
        for c in &personal {
            let _ = writeln!(
                e,
                "#   {:<20} {} ({:.2})",
                c.column,
                c.kinds.join(", "),
                c.confidence
            );
        }
        let _ = writeln!(e, "[[person.postgres]]\ntable = {}", q(table));
        let _ = writeln!(e, "link = {}", q(&best.link()));
        if let Some(col) = super::retention::age_column(t, None) {
            let _ = writeln!(e, "retention_column = {}", q(col));
        }
        // Rows shared by several people (a link table leads to them, or
        // foreign keys from several person tables) are cleared, not deleted;
        // a polymorphic row is about the one item it names.
        let persons: BTreeSet<&str> = all
            .iter()
            .filter(|x| x.kind != EdgeKind::Polymorphic)
            .map(|x| x.person.as_str())
            .collect();
        let shared = persons.len() > 1 || all.iter().any(|x| x.kind == EdgeKind::Through);
        if shared {
            // Shared with other people: clear what is personal, keep the row.
            let cols: Vec<String> = personal
                .iter()
                .filter(|c| c.link.is_none())
                .filter_map(|c| {
                    let col = t.column(&c.column)?;
                    let st = if col.nullable {
                        "null"
                    } else if col.is_textual() {
                        "redact"
                    } else {
                        "keep"
                    };
                    Some(format!("{} = {}", key(&c.column), q(st)))
                })
                .collect();
            let _ = writeln!(
                e,
                "# shared by several people: its personal columns are cleared, the row stays"
            );
            if cols.is_empty() {
                let _ = writeln!(e, "erase = \"keep\"\n");
            } else {
                let _ = writeln!(e, "erase = {{ {} }}\n", cols.join(", "));
            }
        } else {
            let _ = writeln!(e, "erase = \"delete\"\n");
        }
        entries.push(e);
        in_model.insert(table.to_string());
    }

    let ids: Vec<String> = identifiers.iter().map(|i| q(i)).collect();
    let _ = writeln!(
        w,
        "# ─── How one person's data is found and erased ───\n\
         # Strategies: null, redact, hash, keep, rewrite:<template with {{column}}>;\n\
         # \"delete\" removes the rows. Check each proposal against the service's rules.\n\
         [person]\nidentifiers = [{}]\n",
        ids.join(", ")
    );
    for e in entries {
        w.push_str(&e);
    }
    out
}
