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

/// Check digits that make `country` + `bban` pass mod-97 (ISO 13616).
fn with_check_digits(country: &str, bban: &str) -> String {
    let mut rem = 0u32;
    for c in bban.chars().chain(country.chars()).chain("00".chars()) {
        match c.to_digit(36) {
            Some(v) if v < 10 => rem = (rem * 10 + v) % 97,
            Some(v) => rem = (rem * 100 + v) % 97,
            None => panic!("not alphanumeric: {c:?}"),
        }
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

/// Whether anything the detector reads finds an IBAN in `s`: the text
/// alone and after an `iban` field name, a segment of a key name, a word in
/// a sentence, a JSON value.
fn iban_anywhere(s: &str) -> Vec<String> {
    let det = Detector::global();
    let mut found = Vec::new();
    let mut note = |place: &str, hits: &[oubli::pii::Hit]| {
        if hits.iter().any(|h| h.kind == Kind::Iban) {
            found.push(place.to_string());
        }
    };
    note("text", &det.scan_text(s, None));
    note("text after iban", &det.scan_text(s, Some("iban")));
    note("sentence", &det.scan_text(&format!("token {s} end"), None));
    let key = format!("rdv:sessions:{s}");
    note("key name", &keys::key_hits(key.as_bytes(), b":"));
    let value = format!("{{\"csrf\":\"{s}\",\"iban\":\"{s}\"}}");
    let v = det.scan_value(value.as_bytes(), None);
    if v.hits.iter().any(|h| h.hit.kind == Kind::Iban) {
        found.push("value".into());
    }
    if oubli::pii::iban_valid(s) {
        found.push("iban_valid".into());
    }
    found
}

/// Runs of hex digits with a letter after the check digits, most of them
/// made to pass everything else: a country with IBANs whose code is hex
/// letters, its length, mod-97 check digits computed for them.
fn hex_run() -> impl Strategy<Value = String> {
    let shaped = (
        prop::sample::select(vec![
            ("AD", 24usize),
            ("AE", 23),
            ("BA", 20),
            ("BE", 16),
            ("BF", 28),
            ("CF", 27),
            ("DE", 22),
        ]),
        "[0-9]{30}",
        prop::collection::vec((any::<prop::sample::Index>(), "[a-f]"), 1..4),
        any::<bool>(),
    )
        .prop_map(|((cc, len), digits, letters, lower)| {
            // A BBAN of digits (what these countries' structures ask for,
            // but AD's last twelve, which may be letters), with one to three
            // letters past the first two of it (a national bank code may
            // hold letters there).
            let mut bban: Vec<char> = digits.chars().take(len - 4).collect();
            for (at, letter) in letters {
                let i = 2 + at.index(bban.len() - 2);
                bban[i] = letter.chars().next().unwrap_or('a');
            }
            let bban: String = bban.into_iter().collect();
            let s = with_check_digits(cc, &bban.to_uppercase());
            if lower {
                s.to_lowercase()
            } else {
                s
            }
        });
    // Any hex at all, either case, with a letter after the check digits
    // (a session id, a digest, a CSRF token).
    let any_hex = ("[0-9a-fA-F]{4,60}", "[a-fA-F]", "[0-9a-fA-F]{0,3}")
        .prop_map(|(head, letter, tail)| format!("{head}{letter}{tail}"));
    prop_oneof![shaped, any_hex]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Issue 13: a hex session id in a key name was reported as an IBAN.
    /// No run of hex digits with a letter after its check digits is an
    /// IBAN, wherever it is found: alone, in a key name, a sentence, a
    /// value, after a field named `iban`. (A run of hex with only digits
    /// there can be a real IBAN: "DE89370400440532013000".)
    #[test]
    fn no_run_of_hex_is_an_iban(s in hex_run()) {
        prop_assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
        let found = iban_anywhere(&s);
        prop_assert!(found.is_empty(), "{} taken for an IBAN in {:?}", s, found);
    }

    /// Real IBANs are still found, in either case, compact or printed in
    /// groups of four; glued to letters or digits (inside a longer token)
    /// they are not taken.
    #[test]
    fn ibans_are_found_and_only_as_whole_words(
        fr in ("[0-9]{10}", "[0-9A-Z]{11}", "[0-9]{2}"),
        de in "[0-9]{18}",
        glue in "[0-9A-Za-z]",
        lower in any::<bool>(),
    ) {
        let det = Detector::global();
        for iban in [
            with_check_digits("FR", &format!("{}{}{}", fr.0, fr.1, fr.2)),
            with_check_digits("DE", &de),
        ] {
            let iban = if lower { iban.to_lowercase() } else { iban };
            let printed: String = iban
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            for form in [&iban, &printed] {
                let text = format!("IBAN : {form}.");
                let hits = det.scan_text(&text, None);
                prop_assert!(
                    hits.iter().any(|h| h.kind == Kind::Iban && &text[h.span.clone()] == form.as_str()),
                    "{} not found in {:?}: {:?}", form, text, hits
                );
            }
            let key = format!("payout:{iban}:status");
            prop_assert!(keys::key_hits(key.as_bytes(), b":").iter().any(|h| h.kind == Kind::Iban), "{}", key);
            for glued in [format!("{glue}{iban}"), format!("{iban}{glue}")] {
                let hits = det.scan_text(&glued, None);
                prop_assert!(!hits.iter().any(|h| h.kind == Kind::Iban), "{} in {}", iban, glued);
            }
        }
    }
}
