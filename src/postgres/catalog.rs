//! The catalog: schemas, tables, columns and types, primary and foreign
//! keys, indexes, row estimates, sizes, generated, JSON and timestamp
//! columns, enum types. Read from `pg_catalog` only (no table is scanned),
//! every query parameterised, on a session that carries `statement_timeout`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use tokio_postgres::Client;

use super::query::{run, QueryError, Step};

/// Schemas never read.
const SYSTEM_SCHEMAS: [&str; 2] = ["pg_catalog", "information_schema"];

/// At most this many tables are read (largest databases have thousands; the
/// classifier and the graph stay bounded).
pub const MAX_TABLES: i64 = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Catalog {
    pub database: String,
    /// Tables by schema then name.
    pub tables: Vec<Table>,
    /// Enum types: `schema.name` → labels (schema design, never personal).
    pub enums: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    #[serde(skip)]
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// Planner estimate (`reltuples`); -1 when never analysed.
    pub estimated_rows: i64,
    pub total_bytes: i64,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// As `format_type` writes it: `text`, `character varying(255)`, `jsonb`, `bigint[]`.
    pub data_type: String,
    /// The base type name (`text`, `int8`, `_text` for arrays, the enum's name).
    #[serde(skip)]
    pub udt: String,
    pub nullable: bool,
    /// `GENERATED ALWAYS AS (...) STORED`: computed from other columns.
    pub generated: bool,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: bool,
    /// An enum type (its labels are in [`Catalog::enums`]).
    pub is_enum: bool,
}

impl Column {
    pub fn is_json(&self) -> bool {
        matches!(self.udt.as_str(), "json" | "jsonb")
    }

    pub fn is_timestamp(&self) -> bool {
        matches!(self.udt.as_str(), "timestamptz" | "timestamp" | "date")
    }

    /// Text-like values worth sampling for personal data.
    pub fn is_textual(&self) -> bool {
        matches!(
            self.udt.as_str(),
            "text"
                | "varchar"
                | "bpchar"
                | "citext"
                | "name"
                | "json"
                | "jsonb"
                | "inet"
                | "cidr"
                | "_text"
                | "_varchar"
                | "_citext"
                | "xml"
        )
    }

    pub fn is_integer(&self) -> bool {
        matches!(self.udt.as_str(), "int2" | "int4" | "int8" | "numeric")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    /// `schema.table` as [`Table::qualified`] writes it.
    pub target: String,
    pub target_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    /// Key columns in order; `""` for an expression.
    pub columns: Vec<String>,
    /// Partial (`WHERE …`): not usable for every lookup.
    pub partial: bool,
}

impl Table {
    /// `name` in the `public` schema, `schema.name` elsewhere: how the
    /// register names tables.
    pub fn qualified(&self) -> String {
        qualify(&self.schema, &self.name)
    }

    /// The table as oubli writes it in every text it shows (messages,
    /// evidence, comments): [`qualified`].
    pub fn display_name(&self) -> String {
        qualified(&self.schema, &self.name)
    }

    /// The table as an SQL identifier, quoted.
    pub fn sql(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// An index (not partial) whose leading key columns are `cols`, in any order.
    pub fn has_index_on(&self, cols: &[&str]) -> bool {
        self.indexes.iter().any(|i| {
            !i.partial
                && i.columns.len() >= cols.len()
                && cols
                    .iter()
                    .all(|c| i.columns[..cols.len()].iter().any(|k| k == c))
        })
    }

    /// Foreign keys made of exactly this column.
    pub fn fk_of(&self, column: &str) -> Option<&ForeignKey> {
        self.foreign_keys
            .iter()
            .find(|f| f.columns.len() == 1 && f.columns[0] == column)
    }
}

/// How the register names a table (and the key of a table in the
/// classification): `name` in `public`, `schema.name` elsewhere, never
/// quoted. For text shown to someone, use [`qualified`].
pub fn qualify(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// Quote an identifier read from the catalog (identifiers cannot be query
/// parameters; values always are).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A table's name as shown: `name` in the `public` schema, `schema.name`
/// elsewhere, each part quoted only when it needs to be ([`ident`]), so that
/// table `a.b` (`"a.b"`) and table `b` of schema `a` (`a.b`) differ.
pub fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        ident(name).into_owned()
    } else {
        format!("{}.{}", ident(schema), ident(name))
    }
}

/// An identifier as Postgres's `quote_ident` writes it: bare when it is
/// lowercase ASCII letters, digits and `_`, does not start with a digit and
/// is not a keyword that needs quoting; otherwise double-quoted, with `"`
/// doubled.
pub fn ident(s: &str) -> Cow<'_, str> {
    let mut bytes = s.bytes();
    let safe = bytes
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && bytes.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !QUOTED_KEYWORDS.split_ascii_whitespace().any(|k| k == s);
    if safe {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(quote_ident(s))
    }
}

/// The keywords `quote_ident` quotes (every category but unreserved:
/// `SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'`, Postgres 15).
const QUOTED_KEYWORDS: &str =
    "all analyse analyze and any array as asc asymmetric authorization between bigint binary \
     bit boolean both case cast char character check coalesce collate collation column \
     concurrently constraint create cross current_catalog current_date current_role \
     current_schema current_time current_timestamp current_user dec decimal default \
     deferrable desc distinct do else end except exists extract false fetch float for foreign \
     freeze from full grant greatest group grouping having ilike in initially inner inout int \
     integer intersect interval into is isnull join lateral leading least left like limit \
     localtime localtimestamp national natural nchar none normalize not notnull null nullif \
     numeric offset on only or order out outer overlaps overlay placing position precision \
     primary real references returning right row select session_user setof similar smallint \
     some substring symmetric table tablesample then time timestamp to trailing treat trim \
     true union unique user using values varchar variadic verbose when where window with \
     xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi \
     xmlroot xmlserialize xmltable";

impl Catalog {
    /// A table by the register's name for it (`users` or `schema.users`).
    pub fn table(&self, qualified: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.qualified() == qualified)
    }

    /// The shown name ([`qualified`]) of the table the register's name
    /// `key` names, or `key` itself for a table outside the catalog.
    pub fn display(&self, key: &str) -> String {
        self.table(key)
            .map_or_else(|| key.to_string(), Table::display_name)
    }

    /// `table.column` as shown, for a table named as the register does.
    pub fn display_column(&self, key: &str, column: &str) -> String {
        format!("{}.{}", self.display(key), ident(column))
    }
}

/// The bytes of table `c` (a `pg_class` row), as an SQL expression:
/// `pg_total_relation_size`, except for a table another session holds (or
/// waits for) an `ACCESS EXCLUSIVE` lock on: the function takes a share
/// lock, so one locked table would hold the whole catalog read until the
/// statement timeout. Such a table gets the planner's page count instead.
pub(crate) const TABLE_BYTES: &str = "CASE WHEN c.oid = ANY (\
        SELECT l.relation FROM pg_locks l \
        WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' \
          AND l.pid IS DISTINCT FROM pg_backend_pid() \
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) \
      THEN c.relpages::bigint * current_setting('block_size')::bigint \
      ELSE pg_total_relation_size(c.oid) END";

/// Read the catalog of the current database: five queries, whatever its size.
pub async fn fetch(client: &Client) -> Result<Catalog, QueryError> {
    let step = Step::new("reading the catalog");
    let database: String = run(
        client,
        step,
        client.query_one("SELECT current_database()", &[]),
    )
    .await?
    .try_get(0)?;
    let system: Vec<&str> = SYSTEM_SCHEMAS.to_vec();
    let rows = run(
        client,
        step,
        client.query(
            &format!(
                "SELECT c.oid, n.nspname::text, c.relname::text, c.reltuples::bigint, \
                        {TABLE_BYTES} \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                   AND n.nspname::text <> ALL($1) AND n.nspname NOT LIKE 'pg\\_toast%' \
                   AND n.nspname NOT LIKE 'pg\\_temp%' \
                 ORDER BY n.nspname, c.relname \
                 LIMIT $2"
            ),
            &[&system, &MAX_TABLES],
        ),
    )
    .await?;
    let mut tables = Vec::with_capacity(rows.len());
    for r in &rows {
        tables.push(Table {
            oid: r.try_get(0)?,
            schema: r.try_get(1)?,
            name: r.try_get(2)?,
            estimated_rows: r.try_get(3)?,
            total_bytes: r.try_get(4)?,
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
        });
    }
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    let by_oid: BTreeMap<u32, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();

    let cols = run(
        client,
        step,
        client.query(
            "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                    t.typname::text, NOT a.attnotnull, a.attgenerated <> '', \
                    a.attidentity <> '', t.typtype = 'e' \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum",
            &[&oids],
        ),
    )
    .await?;
    for r in &cols {
        let oid: u32 = r.try_get(0)?;
        if let Some(&i) = by_oid.get(&oid) {
            tables[i].columns.push(Column {
                name: r.try_get(1)?,
                data_type: r.try_get(2)?,
                udt: r.try_get(3)?,
                nullable: r.try_get(4)?,
                generated: r.try_get(5)?,
                identity: r.try_get(6)?,
                is_enum: r.try_get(7)?,
            });
        }
    }

    let cons = run(
        client,
        step,
        client.query(
            "SELECT con.conrelid, con.contype::text, con.conname::text, \
                    ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
                          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n \
                          ORDER BY k.i), \
                    con.confrelid, \
                    ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
                          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n \
                          ORDER BY k.i) \
             FROM pg_constraint con \
             WHERE con.contype IN ('p', 'f') AND con.conrelid = ANY($1) \
             ORDER BY con.conrelid, con.conname",
            &[&oids],
        ),
    )
    .await?;
    let names: BTreeMap<u32, String> = tables.iter().map(|t| (t.oid, t.qualified())).collect();
    // Targets outside the listed tables (another schema past MAX_TABLES) are named from pg_class.
    for r in &cons {
        let oid: u32 = r.try_get(0)?;
        let Some(&i) = by_oid.get(&oid) else { continue };
        let kind: String = r.try_get(1)?;
        let columns: Vec<String> = r.try_get(3)?;
        if kind == "p" {
            tables[i].primary_key = columns;
        } else {
            let target_oid: u32 = r.try_get(4)?;
            let target = match names.get(&target_oid) {
                Some(n) => n.clone(),
                None => format!("oid:{target_oid}"),
            };
            tables[i].foreign_keys.push(ForeignKey {
                name: r.try_get(2)?,
                columns,
                target,
                target_columns: r.try_get(5)?,
            });
        }
    }

    let idx = run(
        client,
        step,
        client.query(
            "SELECT i.indrelid, c.relname::text, i.indpred IS NOT NULL, \
                    ARRAY(SELECT coalesce(a.attname::text, '') \
                          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) \
                          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n \
                          WHERE k.o <= i.indnkeyatts ORDER BY k.o) \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = ANY($1) AND i.indisvalid \
             ORDER BY i.indrelid, c.relname",
            &[&oids],
        ),
    )
    .await?;
    for r in &idx {
        let oid: u32 = r.try_get(0)?;
        if let Some(&i) = by_oid.get(&oid) {
            tables[i].indexes.push(Index {
                name: r.try_get(1)?,
                partial: r.try_get(2)?,
                columns: r.try_get(3)?,
            });
        }
    }

    let en = run(
        client,
        step,
        client.query(
            "SELECT n.nspname::text, t.typname::text, \
                    array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
             FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
             JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname::text <> ALL($1) \
             GROUP BY n.nspname, t.typname ORDER BY 1, 2",
            &[&system],
        ),
    )
    .await?;
    let mut enums = BTreeMap::new();
    for r in &en {
        let schema: String = r.try_get(0)?;
        let name: String = r.try_get(1)?;
        enums.insert(qualify(&schema, &name), r.try_get(2)?);
    }
    Ok(Catalog {
        database,
        tables,
        enums,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        for (name, shown) in [
            ("users", "users"),
            ("_x1", "_x1"),
            ("name", "name"),
            ("a.b", "\"a.b\""),
            ("Mixed", "\"Mixed\""),
            ("select", "\"select\""),
            ("user", "\"user\""),
            ("x\"y", "\"x\"\"y\""),
            ("1a", "\"1a\""),
            ("é", "\"é\""),
            ("", "\"\""),
        ] {
            assert_eq!(ident(name), shown, "{name}");
        }
        assert_eq!(qualified("public", "a.b"), "\"a.b\"");
        assert_eq!(qualified("a", "b"), "a.b");
        assert_eq!(qualified("Sales", "select"), "\"Sales\".\"select\"");
        assert_eq!(qualified("public", "users"), "users");
    }

    #[test]
    fn keywords_are_sorted_and_lowercase() {
        let words: Vec<&str> = QUOTED_KEYWORDS.split_ascii_whitespace().collect();
        let mut sorted = words.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(words, sorted);
        assert!(words
            .iter()
            .all(|w| w.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')));
    }
}
