//! The classifier and the person graph on a schema full of traps
//! (tests/fixtures/pg/trap.sql): personal data in JSONB, free text in
//! `context`, a polymorphic pair, a self-reference, an `email` column that
//! holds no e-mail, many-to-many link tables.

mod common;

use common::TestPg;
use oubli::postgres::{self, classify};
use oubli::register::{self, ResolvedConnection};

const TRAP: &str = include_str!("fixtures/pg/trap.sql");

async fn trap() -> (TestPg, tokio_postgres::Client) {
    let pg = TestPg::create().await;
    pg.client().await.batch_execute(TRAP).await.expect("trap schema");
    let conn = ResolvedConnection {
        name: "db".into(),
        kind: register::ConnectionKind::Postgres,
        url: register::SecretUrl::new(pg.url.clone()),
        tls: None,
        cluster: false,
        read_from_replicas: false,
        from_command_line: true,
    };
    let settings = register::load::ad_hoc().register.postgres;
    let client = postgres::connect(&conn, &settings).await.expect("connect");
    (pg, client)
}

#[tokio::test]
async fn trap_dump() {
    let (_pg, client) = trap().await;
    let s = postgres::survey(&client, None, &classify::Options::default()).await.unwrap();
    for c in &s.classification.columns {
        println!(
            "{:<18} {:<15} {:<5} {:?} {:.2} {:?} {:?} {:?}",
            c.table, c.column, c.personal, c.categories, c.confidence, c.kinds, c.evidence, c.paths
        );
    }
    println!("{:?}", s.classification.person_tables);
    println!("{:?}", s.classification.polymorphic);
    for e in &s.graph.edges {
        println!("{e:?}");
    }
}
