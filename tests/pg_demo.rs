//! The Postgres classifier, person graph, retention and coverage findings on
//! the demo schema (seeded small on a throwaway database).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::TestPg;
use oubli::demo::{self, SeedOptions};
use oubli::postgres::{self, classify, graph::EdgeKind};
use oubli::register::{self, Loaded};

const USERS: usize = 400;

/// The demo register pointed at the test database.
fn demo_register(url: &str) -> Loaded {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .expect("config/demo.toml");
    let text = text.replace("postgresql://postgres@127.0.0.1:5432/oubli_demo", url);
    register::load_str(&text, Path::new("demo.toml"), &HashMap::<String, String>::new())
        .expect("the demo register loads")
}

async fn seeded() -> (TestPg, Loaded, tokio_postgres::Client) {
    let pg = TestPg::create().await;
    let mut c = pg.client().await;
    demo::seed_postgres(
        &mut c,
        &SeedOptions {
            users: USERS,
            keys: 0,
            seed: 42,
        },
    )
    .await
    .expect("seeding");
    let loaded = demo_register(&pg.url);
    let conn = &loaded.connections["main-db"];
    let client = postgres::connect(conn, &loaded.register.postgres)
        .await
        .expect("read-only connection");
    (pg, loaded, client)
}

#[tokio::test]
async fn demo_dump() {
    let (_pg, loaded, client) = seeded().await;
    let s = postgres::survey(&client, Some(&loaded.register), &classify::Options::default())
        .await
        .unwrap();
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
    let f = postgres::findings(&client, &loaded.register, "main-db").await.unwrap();
    for f in &f {
        println!("{} {}", f.kind, f.message);
    }
    let _ = EdgeKind::Through;
}
