//! Property tests: the detector and the key pattern never panic on arbitrary
//! input, spans always fit the input, results are deterministic, and the
//! pattern of a pattern is itself.

use oubli::pii::{keys, mask, Detector, Kind};
use proptest::prelude::*;

/// Strings made of the pieces PII detection cares about, so the generator
/// reaches the validators and not only the "no candidate" path.
fn piiish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("06 12 34 56 78".to_string()),
        Just("+33 6".to_string()),
        Just("jane@x.fr".to_string()),
        Just("203.0.113.7".to_string()),
        Just("2001:db8::1".to_string()),
        Just("FR76 3000".to_string()),
        Just("12 rue de la Paix 75002 Paris".to_string()),
        Just("2A".to_string()),
        Just("Bonjour Camille".to_string()),
        Just("$2b$12$".to_string()),
        Just("{\"email\":".to_string()),
        Just("é".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        "[0-9 .:/@+-]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scan_text_never_panics_and_spans_fit(s in piiish(), ctx in prop::option::of("[a-z_]{0,12}")) {
        let det = Detector::global();
        let hits = det.scan_text(&s, ctx.as_deref());
        for h in &hits {
            prop_assert!(h.span.start < h.span.end && h.span.end <= s.len());
            prop_assert!(s.is_char_boundary(h.span.start) && s.is_char_boundary(h.span.end));
            prop_assert!((0.0..=1.0).contains(&h.confidence));
            let _ = mask(h.kind, &s[h.span.clone()]);
        }
        prop_assert_eq!(hits, det.scan_text(&s, ctx.as_deref()));
    }

    #[test]
    fn scan_value_never_panics(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let det = Detector::global();
        let a = det.scan_value(&b, Some("notes"));
        prop_assert_eq!(a, det.scan_value(&b, Some("notes")));
    }

    /// Every decoder's magic or shape, then arbitrary bytes: Ruby Marshal,
    /// Java, pickle, msgpack, PHP, UTF-16, gzip/zlib, base64, ANSI text.
    #[test]
    fn scan_value_decoders_never_panic(
        magic in prop::sample::select(vec![
            &b"\x04\x08"[..], b"\x04\x08{", b"\x04\x08o:", b"\xac\xed\x00\x05", b"\xac\xed\x00\x05t\x00",
            b"\x80\x02", b"\x80\x04\x95", b"\x82\xa5email", b"\xde\x00\x01", b"\x91",
            b"a:1:{s:5:\"email\";", b"s:", b"O:4:\"User\":1:{", b"\xff\xfe", b"\xfe\xff",
            b"\x1f\x8b\x08\x00", b"\x78\x9c", b"eyJlbWFpbCI6", b"\x1b[31m", b"H\xe9l\xe8ne ",
        ]),
        tail in prop::collection::vec(any::<u8>(), 0..256),
        ascii in "[ -~]{0,64}",
    ) {
        let det = Detector::global();
        for b in [[magic, &tail[..]].concat(), [magic, ascii.as_bytes()].concat()] {
            let a = det.scan_value(&b, Some("email"));
            for h in &a.hits {
                prop_assert!(h.hit.span.start < h.hit.span.end);
            }
            prop_assert_eq!(a, det.scan_value(&b, Some("email")));
        }
    }

    #[test]
    fn scan_value_on_text_never_panics(s in piiish()) {
        let det = Detector::global();
        let _ = det.scan_value(s.as_bytes(), None);
        let json = format!("{{\"a\":[\"{}\"],\"tel\":\"{}\"}}", s.replace(['"', '\\'], ""), s.len());
        let _ = det.scan_value(json.as_bytes(), None);
    }

    #[test]
    fn key_pattern_deterministic_and_idempotent(s in piiish()) {
        let p = keys::pattern(s.as_bytes(), b":");
        prop_assert_eq!(&p, &keys::pattern(s.as_bytes(), b":"));
        prop_assert_eq!(&keys::pattern(p.as_bytes(), b":"), &p);
        for h in keys::key_hits(s.as_bytes(), b":") {
            prop_assert!(h.span.end <= s.len());
        }
    }

    #[test]
    fn key_functions_never_panic_on_bytes(b in prop::collection::vec(any::<u8>(), 0..256)) {
        let p = keys::pattern(&b, b":/");
        prop_assert_eq!(&p, &keys::pattern(&b, b":/"));
        let _ = keys::key_hits(&b, b":");
    }

    #[test]
    fn mask_never_panics_nor_echoes(s in "\\PC{1,40}") {
        for k in Kind::ALL {
            let m = mask(k, &s);
            let t = s.trim();
            if t.chars().count() >= 6 {
                prop_assert_ne!(m.as_str(), t, "{} echoed its input", k);
            }
        }
    }
}

proptest! {
    /// The census's memoising analyser gives exactly `pattern` and
    /// `key_hits`, key after key, whatever came before (the memo is shared).
    #[test]
    fn key_analyzer_matches_pattern_and_key_hits(
        keys in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just("app".to_string()),
                    Just("user_session_domain".to_string()),
                    Just("req/ip".to_string()),
                    Just("otp".to_string()),
                    Just("jean.dupont@example.fr".to_string()),
                    Just("0612345678".to_string()),
                    Just("203.0.113.7".to_string()),
                    Just("12 rue de la Paix 75002 Paris".to_string()),
                    Just("Jean Dupont".to_string()),
                    Just("2001:db8::1".to_string()),
                    "[a-z0-9_./@ -]{0,24}",
                ],
                1..6,
            ),
            1..20,
        ),
        raw in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut a = oubli::pii::keys::KeyAnalyzer::new(b":");
        let mut all: Vec<Vec<u8>> = keys.iter().map(|k| k.join(":").into_bytes()).collect();
        all.push(raw);
        // Twice: the second pass is answered from the memo.
        for key in all.iter().chain(all.iter()) {
            let (pattern, hits) = a.analyze(key);
            prop_assert_eq!(pattern, oubli::pii::keys::pattern(key, b":"));
            prop_assert_eq!(hits, oubli::pii::keys::key_hits(key, b":"));
        }
    }
}
