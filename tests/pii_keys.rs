//! Redis key names: patterns that fold and never show personal data, hits
//! in the name, and work linear in the key's length.

use oubli::pii::keys::{key_hits, pattern, KeyAnalyzer};
use oubli::pii::Kind;
use proptest::prelude::*;

/// `unit` repeated up to `n` bytes.
fn repeated(unit: &str, n: usize) -> String {
    unit.chars().cycle().take(n).collect()
}

/// Keys of 64 KB of colons and hex digits used to take minutes (every run
/// of segments was parsed as a candidate IPv6 address: cubic time). They
/// are analysed in one pass now; no timing here, finishing is the test
/// (the work bound itself is proved in `keys::linear_tests`).
#[test]
fn sixty_four_kb_adversarial_keys_are_analysed() {
    for unit in [
        "1::",
        "1:",
        "::ffff:1.2.3.4:",
        "jean@x.fr ",
        "prenom:Camille:",
    ] {
        let key = repeated(unit, 64 << 10);
        let p = pattern(key.as_bytes(), b":");
        assert!(p.len() <= 8 * key.len());
        let hits = key_hits(key.as_bytes(), b":");
        assert!(hits.iter().all(|h| h.span.end <= key.len()));
        assert_eq!(KeyAnalyzer::new(b":").analyze(key.as_bytes()), (p, hits));
    }
}

/// Prints how long 64 KB adversarial keys take (`cargo test --release
/// --test pii_keys -- --ignored --nocapture`).
#[test]
#[ignore]
fn adversarial_key_timings() {
    for unit in [
        "1::",
        "1:",
        "::",
        "1::1:",
        "::ffff:1.2.3.4:",
        "2024-01-15T10:",
        "a%40b+",
        "prenom:Camille:",
        "jean@x.fr ",
        "françois@x.fr ",
        "12+rue+de+la+Paix+",
        "{",
    ] {
        for n in [16 << 10, 32 << 10, 64 << 10] {
            let key = repeated(unit, n);
            let t = std::time::Instant::now();
            let _ = pattern(key.as_bytes(), b":");
            let tp = t.elapsed();
            let t = std::time::Instant::now();
            let _ = key_hits(key.as_bytes(), b":");
            println!(
                "{unit:>16} x {n:>6} B: pattern {tp:>10.2?}  key_hits {:>10.2?}",
                t.elapsed()
            );
        }
    }
}

/// ISO-8601 date-times are put back together across ':' (they used to make
/// a namespace per second, fraction and offset).
#[test]
fn iso_timestamps_fold_across_colons() {
    for k in [
        "lock:2024-01-15T10:00:00Z",
        "lock:2024-01-15T10:00",
        "lock:2024-01-15T10:00:00",
        "lock:2024-01-15T10:00:00.123Z",
        "lock:2024-01-15T10:00:00,5Z",
        "lock:2024-01-15T10:00:00+01:00",
        "lock:2024-01-15T10:00:00.123456-0530",
        "lock:2024-01-15 10:00:00+01",
    ] {
        assert_eq!(pattern(k.as_bytes(), b":"), "lock:{ts}", "{k}");
    }
    assert_eq!(
        pattern(b"lock:2024-01-15T10:00:00Z:job:42", b":"),
        "lock:{ts}:job:{int}"
    );
    // What follows a time that does not end a segment stays apart.
    assert_eq!(
        pattern(b"lock:2024-01-15T10:00:00Zulu", b":"),
        "lock:{ts}:00Zulu"
    );
}

fn p(k: &str) -> String {
    pattern(k.as_bytes(), b":")
}

/// The kinds found in `k`, each with the text it covers.
fn hits(k: &str) -> Vec<(Kind, &str)> {
    key_hits(k.as_bytes(), b":")
        .into_iter()
        .map(|h| (h.kind, &k[h.span]))
        .collect()
}

/// The pattern never shows the text of a hit: each hit's text occurs in the
/// pattern no more often than in the parts of the key that are no hit.
fn assert_hidden(k: &str) {
    let pat = p(k);
    let found = key_hits(k.as_bytes(), b":");
    let mut rest = k.to_string();
    for h in &found {
        rest.replace_range(h.span.clone(), &"\u{1}".repeat(h.span.len()));
    }
    for h in &found {
        let text = &k[h.span.clone()];
        if text.chars().count() >= 3 {
            assert!(
                pat.matches(text).count() <= rest.matches(text).count(),
                "{k:?} → {pat:?} shows the {} {text:?}",
                h.kind
            );
        }
    }
}

/// A segment that is a hit because of the segment before it (`prenom`,
/// `nom`) used to stay in the pattern, shown unmasked in the tree.
#[test]
fn names_found_through_context_become_placeholders() {
    for (k, want) in [
        ("prenom:Camille", "prenom:{name}"),
        ("nom:Dupont", "nom:{name}"),
        ("user:42:prenom:Camille", "user:{int}:prenom:{name}"),
        ("login:jdupont", "login:{id}"),
    ] {
        assert_eq!(p(k), want, "{k}");
        assert_eq!(hits(k).len(), 1, "{k}");
        assert_hidden(k);
    }
    assert_eq!(hits("prenom:Camille"), [(Kind::PersonName, "Camille")]);
    // The same word without such a context stays.
    assert_eq!(p("queue:Camille"), "queue:Camille");
}

/// `+` and `%XX` are decoded before detection; hits cover the raw bytes.
#[test]
fn url_encoded_segments_are_decoded() {
    for k in [
        "cache:api-adresse:12+rue+de+la+Paix",
        "cache:api-adresse:12%20rue%20de%20la%20Paix",
        "cache:api-adresse:12+rue+de+la+Paix+75002+Paris",
    ] {
        assert_eq!(p(k), "cache:api-adresse:{address}", "{k}");
        let h = hits(k);
        assert_eq!(h.len(), 1, "{k}");
        assert_eq!(h[0].0, Kind::PostalAddress);
        assert!(k.ends_with(h[0].1), "{k}: {h:?}");
        assert_hidden(k);
    }
    let k = "search:jean.dupont%40gmail.com";
    assert_eq!(p(k), "search:{email}");
    assert_eq!(hits(k), [(Kind::Email, "jean.dupont%40gmail.com")]);
    // A '+' that is no space (international phone) is kept.
    assert_eq!(p("sms:+33612345678"), "sms:{phone}");
    // Partly encoded: only the hit is replaced.
    assert_eq!(
        p("q:contact%20jean.dupont%40gmail.com"),
        "q:contact%20{email}"
    );
}

/// E-mail addresses with letters beyond ASCII (the text detector cut them
/// and the segment stayed as it was).
#[test]
fn non_ascii_emails_fold() {
    for k in [
        "app:user_session_domain:françois.dupont@gmail.com",
        "app:user_session_domain:zoë@exemple.fr",
        "app:user_session_domain:jean@exemple.fr",
    ] {
        assert_eq!(p(k), "app:user_session_domain:{email}", "{k}");
        assert_eq!(hits(k).len(), 1, "{k}");
        assert_eq!(hits(k)[0].0, Kind::Email);
    }
    // Inside a longer segment, the whole address goes, not its ASCII tail.
    let k = "log:contact françois.dupont@gmail.com";
    assert_eq!(p(k), "log:contact {email}");
    assert_eq!(hits(k), [(Kind::Email, "françois.dupont@gmail.com")]);
    assert_eq!(p("img:logo@2x.png"), "img:logo@2x.png");
}

/// Redis Cluster hash tags keep their braces, and what they hold folds:
/// `user:{42}:cart` → `user:{{int}}:cart`.
#[test]
fn hash_tags_keep_their_braces_and_fold() {
    assert_eq!(p("user:{42}:cart"), "user:{{int}}:cart");
    assert_eq!(p("user:{43}:cart"), p("user:{42}:cart"));
    assert_eq!(
        p("user:{jean.dupont@gmail.com}:cart"),
        "user:{{email}}:cart"
    );
    assert_eq!(
        hits("user:{jean.dupont@gmail.com}:cart"),
        [(Kind::Email, "jean.dupont@gmail.com")]
    );
    assert_eq!(p("{user:42}:profile"), "{user:{int}}:profile");
    assert_eq!(
        p("{session:550e8400-e29b-41d4-a716-446655440000}"),
        "{session:{uuid}}"
    );
    assert_eq!(p("lock:{}"), "lock:{}");
    for k in [
        "user:{{int}}:cart",
        "{user:{int}}:profile",
        "a:{int}}:{{int}",
    ] {
        assert_eq!(p(k), k);
    }
}

/// After `ver`, `version`, `v`, `release`, `build`: a version, not an IP.
#[test]
fn versions_are_not_ip_addresses() {
    for k in [
        "ver:1.2.3.4",
        "version:10.0.0.1",
        "v:1.2.3",
        "release:2.0",
        "build:1.2.3.4",
        "app_version:4.1.0.7",
    ] {
        let want = format!("{}:{{version}}", k.split(':').next().unwrap_or_default());
        assert_eq!(p(k), want, "{k}");
        assert!(hits(k).is_empty(), "{k}: {:?}", hits(k));
    }
    assert_eq!(p("rate_limit:1.2.3.4"), "rate_limit:{ip}");
    assert_eq!(hits("rate_limit:1.2.3.4"), [(Kind::IpAddress, "1.2.3.4")]);
}

/// After `order`, `commande`, `id`, `ref`, `invoice` …: a ten-digit number
/// is a number, not a phone.
#[test]
fn numbers_named_by_their_context_are_not_phones() {
    for ctx in [
        "order", "commande", "id", "ref", "invoice", "facture", "ticket",
    ] {
        let k = format!("{ctx}:0612345678");
        assert_eq!(p(&k), format!("{ctx}:{{int}}"), "{k}");
        assert!(hits(&k).is_empty(), "{k}: {:?}", hits(&k));
    }
    // A context that names the person keeps the phone.
    for k in ["otp:0612345678", "user:0612345678", "user_id:0612345678"] {
        assert_eq!(p(k).rsplit(':').next(), Some("{phone}"), "{k}");
        assert_eq!(hits(k), [(Kind::Phone, "0612345678")], "{k}");
    }
    // Written as a phone, it is one whatever the context.
    assert_eq!(p("order:06 12 34 56 78"), "order:{phone}");
}

/// `otp:33612345678` is a phone in international form without its '+',
/// not a secret; a context such as `otp` or `token` makes a secret only of
/// what looks random.
#[test]
fn one_time_code_keys_name_phones_not_secrets() {
    assert_eq!(p("otp:33612345678"), "otp:{phone}");
    assert_eq!(hits("otp:33612345678"), [(Kind::Phone, "33612345678")]);
    for k in [
        "otp:123456",
        "otp:pending",
        "token:refresh",
        "otp:42:attempts",
    ] {
        assert!(
            hits(k).iter().all(|(kind, _)| *kind != Kind::Secret),
            "{k}: {:?}",
            hits(k)
        );
    }
    assert_eq!(p("otp:123456"), "otp:{int}");
    assert_eq!(p("otp:pending"), "otp:pending");
    // Random-looking values after a secret context are still secrets.
    let k = "reset_token:8f14e45fceea167a5a36dedd4bea2543";
    assert_eq!(p(k), "reset_token:{hex}");
    assert_eq!(hits(k)[0].0, Kind::Secret);
    // Other eleven-digit numbers are numbers.
    assert_eq!(p("otp:33123456789"), "otp:{int}");
    assert_eq!(p("order:33612345678"), "order:{int}");
}

/// Keys the tests above use, and their patterns' patterns.
const KEYS: &[&str] = &[
    "prenom:Camille",
    "nom:Dupont",
    "cache:api-adresse:12+rue+de+la+Paix",
    "cache:api-adresse:12%20rue%20de%20la%20Paix",
    "search:jean.dupont%40gmail.com",
    "app:user_session_domain:françois.dupont@gmail.com",
    "user:{jean.dupont@gmail.com}:cart",
    "lock:2024-01-15T10:00:00.123+01:00",
    "user:{42}:cart",
    "{user:42}:profile",
    "ver:1.2.3.4",
    "order:0612345678",
    "otp:33612345678",
    "log:contact françois.dupont@gmail.com",
    "q:contact%20jean.dupont%40gmail.com",
    "cache:views/recherche/Lieux proches de 12 rue de la Paix",
    "rdv:Jean Dupont:notes",
    // Found by the property test below: text that reads differently once
    // the hit or number next to it is a placeholder.
    "12+rue+de+la+Paixjean.dupont%40gmail.com",
    "12 rue de la Paix 75002 Parisjane@x.fr:+0 0",
    "otp:1.2.3.4{int}",
    "0612345678/0612345678&𖹀",
];

#[test]
fn patterns_are_idempotent_hide_hits_and_match_the_analyzer() {
    let mut a = KeyAnalyzer::new(b":");
    for k in KEYS.iter().chain(KEYS) {
        let pat = p(k);
        assert_eq!(p(&pat), pat, "{k}");
        assert!(hits(&pat).is_empty(), "{pat}: {:?}", hits(&pat));
        assert_hidden(k);
        assert_eq!(
            a.analyze(k.as_bytes()),
            (pat, key_hits(k.as_bytes(), b":")),
            "{k}"
        );
    }
}

/// Key pieces that reach the new rules: contexts, encodings, hash tags,
/// times, letters beyond ASCII.
fn keyish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("prenom".to_string()),
        Just("nom".to_string()),
        Just("order".to_string()),
        Just("ver".to_string()),
        Just("otp".to_string()),
        Just("api-adresse".to_string()),
        Just("Camille".to_string()),
        Just("Jean Dupont".to_string()),
        Just("0612345678".to_string()),
        Just("33612345678".to_string()),
        Just("1.2.3.4".to_string()),
        Just("2001:db8::1".to_string()),
        Just("2024-01-15T10:00:00.123+01:00".to_string()),
        Just("12+rue+de+la+Paix".to_string()),
        Just("12 rue de la Paix 75002 Paris".to_string()),
        Just("jean.dupont%40gmail.com".to_string()),
        Just("françois.dupont@gmail.com".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("{int}".to_string()),
        Just("%".to_string()),
        Just("+".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        Just(" ".to_string()),
        "[a-z0-9_./@%+{} -]{0,10}",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn new_rules_keep_patterns_idempotent_and_hits_hidden(
        keys in prop::collection::vec(keyish(), 1..8),
    ) {
        let mut a = KeyAnalyzer::new(b":");
        for k in keys.iter().chain(keys.iter()) {
            let pat = p(k);
            prop_assert_eq!(&p(&pat), &pat, "key {:?}", k);
            assert_hidden(k);
            let (ap, ah) = a.analyze(k.as_bytes());
            prop_assert_eq!(ap, pat);
            prop_assert_eq!(ah, key_hits(k.as_bytes(), b":"));
        }
    }
}

/// A 1 MB key name (`SET longname:xxxx…`) froze the console: its pattern
/// was the whole name, folded and searched on every census and drawn on
/// every frame. A long segment folds into `{long}`, and past a bound the
/// rest of the key does too, so the pattern stays short and the work per
/// key is bounded (no timing here: the bound is on what is produced and
/// read).
#[test]
fn huge_key_names_fold_into_short_patterns() {
    use oubli::pii::keys::{MAX_PATTERN_LEN, MAX_SEGMENT};
    let mb = 1 << 20;
    let long = format!("longname:{}", "x".repeat(mb));
    assert_eq!(p(&long), "longname:{long}");
    assert_eq!(p("longname:{long}"), "longname:{long}");
    // Just under the bound, the segment is read as before.
    let edge = format!("longname:{}", "x".repeat(MAX_SEGMENT));
    assert_eq!(p(&edge), edge);
    // An address in a long segment is still found, in its first bytes.
    let mixed = format!("log:jean.dupont@gmail.com {}", "y".repeat(mb));
    assert_eq!(p(&mixed), "log:{long}");
    assert_eq!(hits(&mixed), [(Kind::Email, "jean.dupont@gmail.com")]);
    for unit in [
        "a:",
        "1-",
        "x:{1}:",
        "1::",
        "jean@x.fr:",
        "é:",
        "::ffff:1.2.3.4:",
    ] {
        let key = repeated(unit, mb);
        let pat = p(&key);
        assert!(pat.len() <= MAX_PATTERN_LEN, "{unit}: {} bytes", pat.len());
        assert!(pat.ends_with("{long}"), "{unit}: {pat}");
        assert_eq!(p(&pat), pat, "{unit}");
        let found = key_hits(key.as_bytes(), b":");
        // Hits are looked for in the head only.
        assert!(found.iter().all(|h| h.span.end <= 20 << 10), "{unit}");
        assert_eq!(KeyAnalyzer::new(b":").analyze(key.as_bytes()), (pat, found));
    }
    // Not UTF-8 and long: `{long}` too, and no hit.
    let mut bin = b"blob:".to_vec();
    bin.extend(std::iter::repeat_n(0xffu8, mb));
    assert_eq!(pattern(&bin, b":"), "blob:{long}");
    assert!(key_hits(&bin, b":").is_empty());
}
