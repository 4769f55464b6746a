//! The search of a key list by value (`/=text` in the console), on a real
//! Redis: a phone typed in any common format finds the keys whose values
//! hold it in another, across strings, hashes, lists and JSON; keys that
//! vanished are counted, not errors; the load budget paces it and a cancel
//! stops it.

mod common;

use std::time::{Duration, Instant};

use common::TestRedis;
use oubli::redis::keyspace::Keyspace;
use oubli::redis::search::{values_holding, Needle};
use tokio_util::sync::CancellationToken;

async fn keyspace(r: &TestRedis) -> Keyspace {
    Keyspace::open(
        &common::connection(&r.url, false, false),
        &common::redis_settings(),
    )
    .await
    .expect("keyspace")
}

#[tokio::test]
async fn a_phone_typed_in_one_format_finds_values_holding_it_in_another() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let set = |k: &str, v: &str| redis::cmd("SET").arg(k).arg(v).clone();
    for cmd in [
        set("s:1", r#"{"phone":"+33 6 12 34 56 78","name":"x"}"#),
        set("s:2", "rappel au 0612345678 demain"),
        set("s:3", "nothing here"),
        redis::cmd("HSET")
            .arg("s:4")
            .arg("tel")
            .arg("06.12.34.56.78")
            .clone(),
        redis::cmd("RPUSH")
            .arg("s:5")
            .arg("a")
            .arg("+33612345678")
            .clone(),
        set("s:6", "06 12 34 56 79"),
    ] {
        let () = cmd.query_async(&mut con).await.expect("seeding");
    }
    let keys: Vec<Vec<u8>> = ["s:1", "s:2", "s:3", "s:4", "s:5", "s:6", "s:gone"]
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
    let ks = keyspace(&r).await;
    let needle = Needle::new("06 12 34 56 78").expect("a needle");
    let found = values_holding(&ks, &keys, &needle, 0, &CancellationToken::new())
        .await
        .expect("search");
    assert_eq!(found.matched, vec![0, 1, 3, 4]);
    assert_eq!((found.read, found.gone, found.stopped), (7, 1, false));

    // Text, case ignored; a hash field name counts as well as its value.
    let needle = Needle::new("TEL").expect("a needle");
    let found = values_holding(&ks, &keys, &needle, 0, &CancellationToken::new())
        .await
        .expect("search");
    assert_eq!(found.matched, vec![3]);

    // The budget paces: 7 keys × 3 commands at 42 commands/s ≈ 0.5 s.
    let t = Instant::now();
    values_holding(&ks, &keys, &needle, 42, &CancellationToken::new())
        .await
        .expect("search");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    // A cancel stops it before the end, and says so.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let found = values_holding(&ks, &keys, &needle, 10, &cancel)
        .await
        .expect("search");
    assert!(found.stopped && found.read == 0);
}

#[tokio::test]
async fn a_namespace_search_reads_past_the_keys_listed_up_to_its_cap() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let mut pipe = redis::pipe();
    for i in 0..1_500 {
        pipe.cmd("SET")
            .arg(format!("sess:{i:05}"))
            .arg(format!("{{\"n\":{i}}}"))
            .ignore();
    }
    pipe.cmd("SET")
        .arg("sess:01499")
        .arg(r#"{"email":"Marie.Curie@example.fr"}"#)
        .ignore();
    pipe.cmd("SET")
        .arg("other:1")
        .arg("marie.curie@example.fr")
        .ignore();
    let () = pipe.query_async(&mut con).await.expect("seeding");
    let ks = keyspace(&r).await;
    let needle = Needle::new("marie.curie@example.fr").expect("a needle");
    let token = CancellationToken::new();
    let found = oubli::redis::search::namespace_values_holding(
        &ks, b"sess:*", &needle, 10_000, 500, b":", 0, &token,
    )
    .await
    .expect("search");
    let keys: Vec<&[u8]> = found.rows.iter().map(|r| r.key.as_slice()).collect();
    assert_eq!(keys, vec![b"sess:01499".as_slice()]);
    assert_eq!(
        (found.read, found.complete, found.stopped),
        (1_500, true, false)
    );
    // The cap: no more values read than asked, and it says it is partial.
    let capped = oubli::redis::search::namespace_values_holding(
        &ks, b"sess:*", &needle, 300, 500, b":", 0, &token,
    )
    .await
    .expect("search");
    assert_eq!((capped.read, capped.complete), (300, false));
}
