//! The classifier's sampling against a real Postgres, by every route: with
//! and without a primary key, empty, huge (and with statistics that say
//! huge of a small table), partitioned, views left out; names that need
//! quoting; a table locked by another session; errors without values.

mod common;

use common::TestPg;
use oubli::postgres::{self, catalog, classify};
use oubli::register::settings::PostgresSettings;
use oubli::register::{self, ResolvedConnection};

fn conn(pg: &TestPg) -> ResolvedConnection {
    ResolvedConnection {
        name: "db".into(),
        kind: register::ConnectionKind::Postgres,
        url: register::SecretUrl::new(pg.url.clone()),
        tls: None,
        cluster: false,
        read_from_replicas: false,
        from_command_line: true,
    }
}

fn settings() -> PostgresSettings {
    register::load::ad_hoc().register.postgres
}

/// A database holding `schema`, and oubli's read-only session on it.
async fn database(schema: &str) -> (TestPg, tokio_postgres::Client) {
    let pg = TestPg::create().await;
    pg.client()
        .await
        .batch_execute(schema)
        .await
        .expect("test schema");
    let client = postgres::connect(&conn(&pg), &settings())
        .await
        .expect("connect");
    (pg, client)
}

const ROUTES: &str = "
    CREATE TABLE keyed (id serial PRIMARY KEY, email text);
    INSERT INTO keyed (email) SELECT 'user' || i || '@example.org' FROM generate_series(1, 30) i;

    -- The issue's table: no primary key, never analysed.
    CREATE TABLE plain (name text, email text);
    INSERT INTO plain SELECT 'Jean Dupont', 'jean' || i || '@example.org' FROM generate_series(1, 30) i;

    CREATE TABLE empty_keyed (id serial PRIMARY KEY, email text);
    CREATE TABLE empty_plain (email text);

    -- Huge for the planner: a TABLESAMPLE of about 1 % of its pages.
    CREATE TABLE huge (email text);
    INSERT INTO huge SELECT 'big' || i || '@example.org' FROM generate_series(1, 100000) i;
    ANALYZE huge;

    -- Small, but its statistics say a billion rows: no page is picked.
    CREATE TABLE stale (email text);
    INSERT INTO stale SELECT 'old' || i || '@example.org' FROM generate_series(1, 20) i;
    ANALYZE stale;
    UPDATE pg_class SET reltuples = 1e9 WHERE oid = 'stale'::regclass;

    CREATE TABLE part_keyed (id int PRIMARY KEY, email text) PARTITION BY RANGE (id);
    CREATE TABLE part_keyed_1 PARTITION OF part_keyed FOR VALUES FROM (0) TO (100);
    CREATE TABLE part_keyed_2 PARTITION OF part_keyed FOR VALUES FROM (100) TO (1000);
    INSERT INTO part_keyed SELECT i, 'p' || i || '@example.org' FROM generate_series(1, 150) i;

    CREATE TABLE part_plain (email text, shard int) PARTITION BY LIST (shard);
    CREATE TABLE part_plain_0 PARTITION OF part_plain FOR VALUES IN (0);
    CREATE TABLE part_plain_1 PARTITION OF part_plain FOR VALUES IN (1);
    INSERT INTO part_plain SELECT 'q' || i || '@example.org', i % 2 FROM generate_series(1, 40) i;

    CREATE VIEW keyed_view AS SELECT email FROM keyed;
    CREATE MATERIALIZED VIEW keyed_matview AS SELECT email FROM keyed;
";

#[tokio::test]
async fn every_sampling_route_reads_its_rows() {
    let (_pg, client) = database(ROUTES).await;
    let s = postgres::survey(&client, None, &classify::Options::default())
        .await
        .expect("classification of every table");
    let sampled = |table: &str| {
        s.classification
            .column(table, "email")
            .unwrap_or_else(|| panic!("no {table}.email"))
    };
    for (table, rows) in [
        ("keyed", 30),
        ("plain", 30),
        ("empty_keyed", 0),
        ("empty_plain", 0),
        ("huge", 200),
        ("stale", 20),
        ("part_keyed", 150),
        ("part_plain", 40),
    ] {
        let c = sampled(table);
        assert_eq!(c.sampled, rows, "{table}: {:?}", c.evidence);
        if rows > 0 {
            assert!(c.personal, "{table}: {:?}", c.evidence);
            assert!(
                c.kinds.iter().any(|k| k == "email"),
                "{table}: {:?}",
                c.kinds
            );
        }
    }
    // The key-ordered sample is the newest rows, the same every time.
    let again = postgres::survey(&client, None, &classify::Options::default())
        .await
        .unwrap();
    assert_eq!(again.classification, s.classification);
    // Views, materialized views and partitions are not tables of their own.
    let names: Vec<&str> = s.catalog.tables.iter().map(|t| t.name.as_str()).collect();
    for absent in [
        "keyed_view",
        "keyed_matview",
        "part_keyed_1",
        "part_keyed_2",
        "part_plain_0",
    ] {
        assert!(!names.contains(&absent), "{absent} in {names:?}");
    }
    assert!(s
        .classification
        .columns
        .iter()
        .all(|c| c.table != "keyed_view"));
}

const ODD_NAMES: &str = r#"
    CREATE SCHEMA a;
    CREATE TABLE a.b (id serial PRIMARY KEY, note text);
    CREATE TABLE "a.b" (id serial PRIMARY KEY, note text);
    CREATE TABLE "Mixed" (id serial PRIMARY KEY, full_name text, email text);
    INSERT INTO "Mixed" (full_name, email)
        SELECT 'Jean Dupont', 'jean' || i || '@example.org' FROM generate_series(1, 20) i;
    CREATE TABLE "select" (id serial PRIMARY KEY, mixed_id int REFERENCES "Mixed" (id));
    CREATE TABLE "x""y" (id serial PRIMARY KEY, note text);
"#;

#[tokio::test]
async fn names_that_need_quoting_come_out_quoted() {
    let (_pg, client) = database(ODD_NAMES).await;
    let s = postgres::survey(&client, None, &classify::Options::default())
        .await
        .expect("odd names are sampled like any other");
    let mut shown: Vec<String> = s.catalog.tables.iter().map(|t| t.display_name()).collect();
    shown.sort();
    assert_eq!(
        shown,
        ["\"Mixed\"", "\"a.b\"", "\"select\"", "\"x\"\"y\"", "a.b"]
    );
    // As Postgres's own quote_ident writes each part.
    for t in &s.catalog.tables {
        let row = client
            .query_one("SELECT quote_ident($1)", &[&t.name])
            .await
            .unwrap();
        let theirs: String = row.get(0);
        assert_eq!(catalog::ident(&t.name), theirs, "{}", t.name);
    }
    // The engine's own words: a person link to "Mixed".
    let link = s
        .classification
        .column("select", "mixed_id")
        .expect("select.mixed_id");
    assert_eq!(link.link.as_deref(), Some("\"Mixed\".id"));
    assert!(
        link.evidence
            .iter()
            .any(|e| e.starts_with("foreign key to \"Mixed\".id (a person table)")),
        "{:?}",
        link.evidence
    );
}

#[tokio::test]
async fn a_locked_table_names_the_table_the_step_and_the_timeout() {
    let pg = TestPg::create().await;
    pg.client().await.batch_execute(ODD_NAMES).await.unwrap();
    let mut short = settings();
    short.statement_timeout_ms = 300;
    let client = postgres::connect(&conn(&pg), &short).await.unwrap();
    // Another session takes the table and keeps it.
    let holder = pg.client().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE \"Mixed\" IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let e = postgres::survey(&client, None, &classify::Options::default())
        .await
        .expect_err("a locked table cannot be sampled");
    let msg = format!("{e:#}");
    assert!(
        msg.starts_with("sampling table \"Mixed\": statement timeout (300 ms) — the table is locked: another session (pid "),
        "{msg}"
    );
    assert!(
        msg.contains("holds an ACCESS EXCLUSIVE lock on it"),
        "{msg}"
    );
    assert!(!msg.contains("db error"), "{msg}");
    // The overview (status, the console's pane) reads around the lock.
    let o = postgres::overview::fetch(&client)
        .await
        .expect("the overview does not wait for a locked table");
    assert!(o.tables.iter().any(|t| t.name == "Mixed"));
    holder.batch_execute("COMMIT").await.unwrap();
    postgres::survey(&client, None, &classify::Options::default())
        .await
        .expect("released, the table is sampled");
}

#[tokio::test]
async fn errors_carry_no_value() {
    let pg = TestPg::create().await;
    let admin = pg.client().await;
    admin
        .batch_execute(
            "CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE);
             INSERT INTO people VALUES (1, 'jane.doe@example.org');",
        )
        .await
        .unwrap();
    // A unique violation's DETAIL holds the key's value.
    let e = admin
        .execute("INSERT INTO people VALUES (2, 'jane.doe@example.org')", &[])
        .await
        .unwrap_err();
    assert!(format!("{:?}", e.as_db_error().and_then(|d| d.detail())).contains("jane.doe"));
    let shown = postgres::query::describe(&e);
    assert!(
        shown.contains("duplicate key value violates unique constraint"),
        "{shown}"
    );
    assert!(shown.contains("23505"), "{shown}");
    assert!(!shown.contains("jane.doe"), "{shown}");
    // Invalid input quotes the input in the message itself.
    let e = admin
        .query_one("SELECT $1::text::int", &[&"jane.doe@example.org"])
        .await
        .unwrap_err();
    let shown = postgres::query::describe(&e);
    assert!(
        shown.starts_with("invalid input syntax for type integer"),
        "{shown}"
    );
    assert!(!shown.contains("jane.doe"), "{shown}");
    // Through the engine: a person looked up by a key of the wrong type.
    let client = postgres::connect(&conn(&pg), &settings()).await.unwrap();
    let s = postgres::survey(&client, None, &classify::Options::default())
        .await
        .unwrap();
    let e = postgres::graph::lookup(
        &client,
        &s.catalog,
        &s.graph,
        "people",
        "jane.doe@example.org",
    )
    .await
    .unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.starts_with("looking a person up in table people: invalid input syntax"),
        "{msg}"
    );
    assert!(!msg.contains("jane.doe"), "{msg}");
}
