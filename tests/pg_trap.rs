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
    pg.client()
        .await
        .batch_execute(TRAP)
        .await
        .expect("trap schema");
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

fn personal(s: &postgres::Survey) -> Vec<String> {
    s.classification
        .personal()
        .map(|c| format!("{}.{}: {}", c.table, c.column, c.categories.join(",")))
        .collect()
}

#[tokio::test]
async fn the_classifier_sees_through_the_traps() {
    let (_pg, client) = trap().await;
    let s = postgres::survey(&client, None, &classify::Options::default())
        .await
        .unwrap();
    assert_eq!(
        personal(&s),
        vec![
            "accounts.id: online_identifier",
            "accounts.full_name: identity",
            "accounts.contact_email: contact",
            "accounts.mobile: contact",
            "accounts.sponsor_id: person_link",
            "accounts.profile: contact,identity",
            "events.item_id: person_link",
            "subscriptions.account_id: online_identifier,person_link",
            "ticket_watchers.account_id: online_identifier,person_link",
            "tickets.context: contact,free_text,identity",
            "tickets.opened_by: person_link",
        ]
    );
    let c = &s.classification;
    // A column named email that holds no e-mail address.
    let email = c.column("mailing_lists", "email").unwrap();
    assert!(!email.personal);
    assert!(
        email.evidence[0].contains("none of 40 sampled values"),
        "{:?}",
        email.evidence
    );
    // JSONB: per path, and only the personal paths.
    let paths: Vec<(&str, &[String])> = c
        .column("accounts", "profile")
        .unwrap()
        .paths
        .iter()
        .map(|p| (p.path.as_str(), p.kinds.as_slice()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("$.emergency.name", &["person_name".to_string()][..]),
            ("$.emergency.phone", &["phone".to_string()][..]),
        ]
    );
    // The polymorphic pair, with the person table it names.
    assert_eq!(c.person_tables, vec!["accounts"]);
    assert_eq!(c.polymorphic.len(), 1);
    assert_eq!(
        c.polymorphic[0].targets,
        vec![
            ("Account".to_string(), "accounts".to_string()),
            ("Ticket".to_string(), "tickets".to_string())
        ]
    );
    assert_eq!(
        c.column("events", "item_id").unwrap().link.as_deref(),
        Some("accounts.id")
    );
    // Nothing personal in settings, the enum column or the lists' titles.
    for (t, col) in [
        ("settings", "value"),
        ("accounts", "plan"),
        ("mailing_lists", "title"),
    ] {
        assert!(!c.column(t, col).unwrap().personal, "{t}.{col}");
    }
    assert_eq!(
        s.catalog.enums["plan"],
        vec!["free", "pro", "public_service"]
    );
}

#[tokio::test]
async fn the_person_graph_follows_every_kind_of_link() {
    let (_pg, client) = trap().await;
    let s = postgres::survey(&client, None, &classify::Options::default())
        .await
        .unwrap();
    let edges: Vec<String> = s
        .graph
        .edges
        .iter()
        .map(|e| {
            format!(
                "{} {} {}{}{}",
                e.table,
                e.kind.as_str(),
                e.link(),
                e.condition
                    .as_ref()
                    .map(|(c, v)| format!(" [{c}={v}]"))
                    .unwrap_or_default(),
                if e.indexed { "" } else { " (no index)" }
            )
        })
        .collect();
    assert_eq!(
        edges,
        vec![
            "accounts self_reference sponsor_id -> accounts.id (no index)",
            "events polymorphic item_id -> accounts.id [item_type=Account]",
            "subscriptions foreign_key account_id -> accounts.id",
            "ticket_watchers foreign_key account_id -> accounts.id (no index)",
            "tickets through id -> ticket_watchers.ticket_id (no index)",
            "tickets foreign_key opened_by -> accounts.id",
        ]
    );
    // mailing_lists holds nothing personal: subscriptions do not make it "about" the person.
    assert!(!s.graph.tables().contains(&"mailing_lists".to_string()));

    // One person's rows, everywhere. Account 11 sponsors account 12, has 3
    // events, 2 subscriptions, watches ticket 70 and opened tickets 10 and 130.
    let found = postgres::graph::lookup(&client, &s.catalog, &s.graph, "accounts", "11")
        .await
        .unwrap();
    let got: Vec<(String, i64)> = found.iter().map(|f| (f.via.clone(), f.rows)).collect();
    assert_eq!(
        got,
        vec![
            ("id".to_string(), 1),
            ("sponsor_id -> accounts.id".to_string(), 1),
            ("item_id -> accounts.id".to_string(), 3),
            ("account_id -> accounts.id".to_string(), 2),
            ("account_id -> accounts.id".to_string(), 1),
            ("id -> ticket_watchers.ticket_id".to_string(), 1),
            ("opened_by -> accounts.id".to_string(), 2),
        ]
    );
}

#[tokio::test]
async fn classification_is_repeatable_and_shows_no_value() {
    let (_pg, client) = trap().await;
    let opts = classify::Options::default();
    let a = postgres::survey(&client, None, &opts).await.unwrap();
    let b = postgres::survey(&client, None, &opts).await.unwrap();
    assert_eq!(a.classification, b.classification);
    let json = serde_json::to_string(&a.classification.columns).unwrap();
    for raw in ["example.fr", "Dubois", "Bernard", "45 67", "weekly"] {
        assert!(!json.contains(raw), "a value leaked: {raw}");
    }
}

#[tokio::test]
async fn missing_link_indexes_are_found() {
    let (_pg, client) = trap().await;
    let reg = register::load::ad_hoc().register;
    let f = postgres::findings(&client, &reg, "db").await.unwrap();
    let mut idx: Vec<&str> = f
        .iter()
        .filter(|f| f.kind == "missing_link_index")
        .map(|f| f.message.split(' ').next().unwrap_or(""))
        .collect();
    idx.sort();
    assert_eq!(
        idx,
        vec!["accounts.sponsor_id", "ticket_watchers.account_id"]
    );
    // No person model at all: every personal column is uncovered.
    assert_eq!(
        f.iter().filter(|f| f.kind == "unclassified_column").count(),
        11
    );
    // No storage for this connection: no retention to check against.
    assert!(!f.iter().any(|f| f.kind == "rows_past_retention"));
}
