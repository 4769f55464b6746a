//! Postgres benchmark: 1M people and 3M related rows in a throwaway database
//! (created next to `OUBLI_TEST_PG_URL`, default
//! `postgresql://postgres@127.0.0.1:5432/postgres`, dropped at the end).
//! Prints the load time, the classification time of the whole schema, and
//! the time to look one person up across every linked table (p50/p99).
//!
//!   cargo bench --bench pg            (OUBLI_BENCH_PEOPLE=100000 for a quick run)

use std::time::{Duration, Instant};

use oubli::postgres::{self, classify};
use oubli::register::{self, ResolvedConnection};

const SCHEMA: &str = r#"
CREATE TABLE people (
    id bigint PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text NOT NULL,
    phone text,
    notes text,
    guardian_id bigint REFERENCES people (id),
    created_at timestamptz NOT NULL
);
CREATE TABLE meetings (
    id bigint PRIMARY KEY,
    starts_at timestamptz NOT NULL,
    context text,
    created_at timestamptz NOT NULL
);
CREATE TABLE attendances (
    id bigint PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES people (id),
    meeting_id bigint NOT NULL REFERENCES meetings (id),
    created_at timestamptz NOT NULL
);
CREATE TABLE messages (
    id bigint PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES people (id),
    recipient text NOT NULL,
    body text,
    created_at timestamptz NOT NULL
);
CREATE TABLE audits (
    id bigint PRIMARY KEY,
    item_type text NOT NULL,
    item_id bigint NOT NULL,
    payload jsonb,
    created_at timestamptz NOT NULL
);
"#;

fn load_sql(people: i64) -> String {
    let first =
        "(ARRAY['Marie','Jean','Camille','Lucas','Chloé','Hugo','Léa','Louis','Emma','Nathan'])";
    let last =
        "(ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Petit','Durand','Leroy','Moreau'])";
    format!(
        r#"
INSERT INTO people
SELECT i, {first}[1 + i % 10], {last}[1 + i % 9],
       'p' || i || '@example.fr',
       '06 ' || lpad((i % 100)::text, 2, '0') || ' ' || lpad(((i / 100) % 100)::text, 2, '0') || ' 12 34',
       CASE WHEN i % 10 = 0 THEN 'Rappeler Mme ' || {last}[1 + i % 9] || ' au 07 11 22 33 44' END,
       CASE WHEN i > 1 AND i % 7 = 0 THEN i - 1 END,
       timestamptz '2023-01-01' + make_interval(secs => i * 60)
FROM generate_series(1::bigint, {people}) i;
INSERT INTO meetings
SELECT i, timestamptz '2024-01-01' + make_interval(secs => i * 30),
       CASE WHEN i % 4 = 0 THEN 'M. ' || {first}[1 + i % 10] || ' ' || {last}[1 + i % 9] || ' viendra accompagné.' END,
       timestamptz '2023-06-01' + make_interval(secs => i * 30)
FROM generate_series(1::bigint, {half}) i;
INSERT INTO attendances
SELECT i, 1 + (i * 7919) % {people}, 1 + i % {half}, timestamptz '2023-06-01' + make_interval(secs => i * 30)
FROM generate_series(1::bigint, {people}) i;
INSERT INTO messages
SELECT i, 1 + (i * 104729) % {people}, 'p' || (1 + (i * 104729) % {people}) || '@example.fr',
       'Bonjour, votre rendez-vous est confirmé.', timestamptz '2023-06-01' + make_interval(secs => i * 30)
FROM generate_series(1::bigint, {people}) i;
INSERT INTO audits
SELECT i, 'Person', 1 + (i * 15485863) % {people},
       jsonb_build_object('email', 'p' || (1 + (i * 15485863) % {people}) || '@example.fr', 'event', 'update'),
       timestamptz '2023-06-01' + make_interval(secs => i * 30)
FROM generate_series(1::bigint, {half}) i;
CREATE INDEX ON people (email);
CREATE INDEX ON people (guardian_id);
CREATE INDEX ON attendances (person_id);
CREATE INDEX ON attendances (meeting_id);
CREATE INDEX ON messages (person_id);
CREATE INDEX ON audits (item_type, item_id);
"#,
        half = people / 2
    )
}

fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("OUBLI_TEST_PG_URL is not a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

async fn raw(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("cannot connect to the benchmark Postgres");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    c
}

fn pct(v: &[Duration], p: f64) -> Duration {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(url: &str, people: i64) {
    let t = Instant::now();
    let admin = raw(url).await;
    admin.batch_execute(SCHEMA).await.expect("schema");
    admin.batch_execute(&load_sql(people)).await.expect("load");
    admin.batch_execute("VACUUM ANALYZE").await.expect("vacuum");
    let related: i64 = admin
        .query_one(
            "SELECT (SELECT count(*) FROM meetings) + (SELECT count(*) FROM attendances) \
             + (SELECT count(*) FROM messages) + (SELECT count(*) FROM audits)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    println!(
        "load: {people} people, {related} related rows in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let conn = ResolvedConnection {
        name: "bench".into(),
        kind: register::ConnectionKind::Postgres,
        url: register::SecretUrl::new(url),
        tls: None,
        cluster: false,
        read_from_replicas: false,
        from_command_line: true,
    };
    let mut settings = register::load::ad_hoc().register.postgres;
    settings.statement_timeout_ms = 30_000;
    let client = postgres::connect(&conn, &settings).await.expect("connect");

    let mut times = Vec::new();
    let mut survey = None;
    for _ in 0..3 {
        let t = Instant::now();
        survey = Some(
            postgres::survey(&client, None, &classify::Options::default())
                .await
                .expect("survey"),
        );
        times.push(t.elapsed());
    }
    times.sort();
    let s = survey.unwrap();
    println!(
        "classification (catalog + {} columns sampled and classified + person graph): median {:.1} ms over 3 runs; {} personal columns, person tables {:?}, {} edges",
        s.classification.columns.len(),
        pct(&times, 0.5).as_secs_f64() * 1e3,
        s.classification.personal().count(),
        s.graph.person_tables,
        s.graph.edges.len()
    );

    let t = Instant::now();
    let reg = register::load::ad_hoc().register;
    let f = postgres::findings(&client, &reg, "bench")
        .await
        .expect("findings");
    println!(
        "findings (survey + coverage + indexes): {:.1} ms, {} findings",
        t.elapsed().as_secs_f64() * 1e3,
        f.len()
    );

    let mut lookups = Vec::new();
    let mut rows = 0;
    for k in 0..300i64 {
        let id = (1 + (k * 3_331) % people).to_string();
        let t = Instant::now();
        let found = postgres::graph::lookup(&client, &s.catalog, &s.graph, "people", &id)
            .await
            .expect("lookup");
        lookups.push(t.elapsed());
        rows += found.iter().map(|f| f.rows).sum::<i64>();
    }
    lookups.sort();
    println!(
        "lookup of one person across {} tables ({} queries): p50 {:.2} ms, p99 {:.2} ms over 300 people ({rows} rows found)",
        s.graph.tables().len(),
        s.graph.edges_from("people").count() + 1,
        pct(&lookups, 0.5).as_secs_f64() * 1e3,
        pct(&lookups, 0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    let admin_url = std::env::var("OUBLI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into());
    let people: i64 = std::env::var("OUBLI_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let name = format!("oubli_bench_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let admin = raw(&admin_url).await;
        // Our own name, [a-z0-9_]: an identifier cannot be a parameter.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the benchmark database");
        let url = with_database(&admin_url, &name);
        let result = tokio::spawn({
            let url = url.clone();
            async move { run(&url, people).await }
        })
        .await;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .expect("drop the benchmark database");
        if let Err(e) = result {
            panic!("benchmark failed: {e}");
        }
    });
}
