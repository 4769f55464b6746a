//! Redis key names: patterns that fold and never show personal data, hits
//! in the name, and work linear in the key's length.

use oubli::pii::keys::{key_hits, pattern, KeyAnalyzer};

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
    for unit in ["1::", "1:", "::ffff:1.2.3.4:"] {
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
