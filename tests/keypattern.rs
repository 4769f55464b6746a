//! The one key-pattern grammar (`oubli::keypattern`): a namespace's glob
//! finds every key that folds to it, `belongs` tells its keys from the
//! keys of sibling shapes that the glob finds too, a person pattern filled
//! with values matches exactly those values (their glob characters
//! escaped), and `oubli init` keeps the placeholders of hash-tagged
//! namespaces.

mod common;

use oubli::keypattern::{glob_match, KeyPattern};
use oubli::pii::keys::pattern;
use proptest::prelude::*;
use tokio_util::sync::CancellationToken;

/// Segments of keys: values that fold into placeholders, literal words,
/// hash tags, glob characters, and odd bytes.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,12}",
        "[0-9a-f]{16,32}",
        Just("550e8400-e29b-41d4-a716-446655440000".to_string()),
        "[a-z]{1,6}\\.[a-z]{2,8}@[a-z]{2,6}\\.(fr|com)",
        Just("203.0.113.7".to_string()),
        Just("2001:db8::1".to_string()),
        Just("2024-01-15T10:00:00Z".to_string()),
        "(user|cart|session|otp|rate_limit|prenom|ver|order)",
        "[a-z_]{1,10}",
        "\\{[0-9]{1,4}\\}",
        "\\{[a-z]{1,5}\\}",
        "[a-z*?\\[\\]\\\\{}]{1,6}",
        "[a-z0-9 ./+%@-]{0,10}",
        "\\PC{0,5}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..6).prop_map(|v| v.join(":"))
}

/// A value that folds into a placeholder as a whole, and a word.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[1-9][0-9]{0,9}",
        "[0-9a-f]{32}",
        "[a-z]{1,6}\\.[a-z]{2,8}@[a-z]{2,6}\\.fr",
        Just("550e8400-e29b-41d4-a716-446655440000".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every key is found by its namespace's glob, as SCAN MATCH would,
    /// and belongs to its namespace.
    #[test]
    fn a_namespace_glob_matches_every_key_it_was_built_from(keys in prop::collection::vec(key(), 1..6)) {
        for k in &keys {
            let p = pattern(k.as_bytes(), b":");
            let ns = KeyPattern::namespace(&p);
            let glob = ns.glob();
            prop_assert!(
                glob_match(&glob, k.as_bytes()),
                "{:?} → {:?} → glob {:?}", k, p, String::from_utf8_lossy(&glob)
            );
            prop_assert!(ns.belongs(k.as_bytes(), b":"), "{:?} → {:?}", k, p);
        }
    }

    /// `pre:{int}:post`'s glob is `pre:*:post`, which `pre:42:q:post`
    /// matches too: that key is of another namespace and does not belong.
    #[test]
    fn siblings_that_the_glob_finds_do_not_belong(
        pre in prop::collection::vec(segment(), 1..3),
        v in value(),
        post in prop::collection::vec(segment(), 1..3),
        hash_tag in any::<bool>(),
    ) {
        let (pre, post) = (pre.join(":"), post.join(":"));
        let wrap = |v: &str| if hash_tag { format!("{{{v}}}") } else { v.to_string() };
        let k = format!("{pre}:{}:{post}", wrap(&v));
        let sibling = format!("{pre}:{}:{post}", wrap(&format!("{v}:q")));
        let p = pattern(k.as_bytes(), b":");
        let ns = KeyPattern::namespace(&p);
        prop_assert!(ns.belongs(k.as_bytes(), b":"));
        if glob_match(&ns.glob(), sibling.as_bytes()) {
            prop_assert!(
                !ns.belongs(sibling.as_bytes(), b":"),
                "{:?} belongs to {:?} ({:?})", sibling, p, k
            );
        }
    }

    /// A person pattern filled with values matches the key of exactly
    /// those values: glob characters in a value are the value's own.
    #[test]
    fn a_filled_person_pattern_matches_only_its_values(
        v in "[a-z0-9*?\\[\\]\\\\^.@-]{1,10}",
        w in "[a-z0-9*?\\[\\]\\\\^.@-]{1,10}",
    ) {
        let person = KeyPattern::person("app:*:session:{email}:{{user_id}}");
        let key = |x: &str| format!("app:prod:session:{x}:{{42}}");
        let glob = person.fill(|name| (name == "email").then_some(v.as_bytes()));
        prop_assert!(glob_match(&glob, key(&v).as_bytes()), "{}", String::from_utf8_lossy(&glob));
        prop_assert_eq!(glob_match(&glob, key(&w).as_bytes()), v == w);
        prop_assert!(person.belongs(key(&v).as_bytes(), b":"));
        prop_assert!(glob_match(&person.glob(), key(&w).as_bytes()));
    }
}

#[test]
fn person_placeholders_never_cross_a_delimiter() {
    let p = KeyPattern::person("otp:{phone}");
    assert!(glob_match(&p.glob(), b"otp:06:12"));
    assert!(!p.belongs(b"otp:06:12", b":"));
    assert!(p.belongs(b"otp:0612345678", b":"));
}

/// `oubli init` proposes person patterns from a real census: a hash tag
/// around an e-mail keeps the placeholder's name (`{{email}}` used to
/// become `*`, and the namespace went undecided).
#[tokio::test(flavor = "multi_thread")]
async fn hash_tagged_namespaces_keep_their_identifiers_through_init() {
    let r = common::TestRedis::start();
    let mut con = r.connection().await;
    let mut keys = Vec::new();
    for i in 0..20 {
        keys.extend([
            format!("user:{{jean{i}.dupont@gmail.com}}:cart"),
            format!("{{user:{i}}}:profile:jean{i}@exemple.fr"),
            format!("session:a*b:jean{i}@exemple.fr"),
        ]);
    }
    for key in &keys {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(1)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let c = oubli::redis::census::run(
        &mut con,
        None,
        "test",
        &common::census_options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    let patterns: Vec<&str> = c.namespaces.iter().map(|n| n.pattern.as_str()).collect();
    assert!(patterns.contains(&"user:{{email}}:cart"), "{patterns:?}");
    let ids = ["email".to_string(), "user_id".to_string()];
    let section = oubli::redis::init::person_redis_section(&c, &ids);
    for want in [
        r#"pattern = "user:{{email}}:cart""#,
        r#"pattern = "{user:{user_id}}:profile:{email}""#,
        // The key's own `*` is escaped, not a wildcard of the proposal.
        r#"pattern = "session:a\\*b:{email}""#,
    ] {
        assert!(section.contains(want), "{want} not in\n{section}");
    }
    // Each proposal finds its keys, and its placeholders are identifiers.
    let proposals: Vec<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("pattern = "))
        .map(|q| serde_json::from_str(q).unwrap())
        .collect();
    assert_eq!(proposals.len(), 3, "{section}");
    for proposed in &proposals {
        let person = KeyPattern::person(proposed);
        assert!(person.placeholders().all(|p| ids.iter().any(|i| i == p)));
        let found = keys
            .iter()
            .filter(|k| person.belongs(k.as_bytes(), b":"))
            .count();
        assert_eq!(found, 20, "{proposed}");
    }
}
