//! Hostile copies: an RDB written by Redis 7.0 (every encoding it uses for
//! small and big strings, hashes, lists, sets, sorted sets, a stream, two
//! databases; `tests/fixtures/offline/small-redis7.rdb`), and a plain
//! pg_dump, cut, flipped and spliced at random: the reader returns a
//! report or an error, never panics, and a report never holds more keys
//! than the file has bytes.

use std::path::Path;

use oubli::offline::{self, FileKind, FileReport};
use proptest::prelude::*;
use tokio_util::sync::CancellationToken;

fn fixture() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/offline/small-redis7.rdb"),
    )
    .expect("the RDB fixture")
}

const DUMP: &str = "--\n-- PostgreSQL database dump\n--\n\
COPY public.users (id, email, notes) FROM stdin;\n\
1\tjeanne@example.fr\tcall back\\nTuesday\n\
2\t\\N\tO'Brien \\x41\\101\n\
\\.\n\
INSERT INTO public.notes (id, body) OVERRIDING SYSTEM VALUE VALUES (1, 'a ''quoted''\nline'), (2, NULL);\n";

fn options() -> oubli::redis::census::CensusOptions {
    let ad_hoc = oubli::register::load::ad_hoc();
    oubli::redis::census::CensusOptions::from_settings(&ad_hoc.register.redis, None)
}

/// Cut at `cut` (a fraction), then `flips` bytes replaced, then `splice`
/// inserted at `at` (a fraction).
fn mangle(bytes: &[u8], cut: f64, flips: &[(f64, u8)], splice: &[u8], at: f64) -> Vec<u8> {
    let mut b = bytes[..((bytes.len() as f64 * cut) as usize).min(bytes.len())].to_vec();
    for (pos, v) in flips {
        if !b.is_empty() {
            let i = ((b.len() as f64 * pos) as usize).min(b.len() - 1);
            b[i] = *v;
        }
    }
    let i = ((b.len() as f64 * at) as usize).min(b.len());
    b.splice(i..i, splice.iter().copied());
    b
}

fn read(bytes: &[u8], kind: FileKind) -> Result<FileReport, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("copy");
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    offline::scan(
        &path,
        Some(kind),
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .map_err(|e| e.to_string())
}

#[test]
fn the_fixture_reads_whole() {
    let Ok(FileReport::Rdb(r)) = read(&fixture(), FileKind::Rdb) else {
        panic!("the fixture does not read")
    };
    assert!(r.complete, "{:?}", r.stopped);
    assert_eq!(r.keys, 14);
    assert_eq!(r.dbs.iter().map(|c| c.db).collect::<Vec<_>>(), vec![0, 3]);
    assert_eq!(r.not_decoded, 1, "the stream");
    let Ok(FileReport::Tables(d)) = read(DUMP.as_bytes(), FileKind::PgDumpPlain) else {
        panic!("the dump does not read")
    };
    assert!(d.complete);
    assert_eq!(d.rows, 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_mangled_rdb_is_read_or_refused_never_a_panic(
        cut in 0.0f64..=1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..6),
        splice in proptest::collection::vec(any::<u8>(), 0..24),
        at in 0.0f64..=1.0,
    ) {
        let bytes = mangle(&fixture(), cut, &flips, &splice, at);
        if let Ok(FileReport::Rdb(r)) = read(&bytes, FileKind::Rdb) {
            prop_assert!(r.keys as usize <= bytes.len());
        }
    }

    #[test]
    fn a_mangled_dump_is_read_or_refused_never_a_panic(
        cut in 0.0f64..=1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..6),
        splice in proptest::collection::vec(any::<u8>(), 0..24),
        at in 0.0f64..=1.0,
    ) {
        let bytes = mangle(DUMP.as_bytes(), cut, &flips, &splice, at);
        if let Ok(FileReport::Tables(d)) = read(&bytes, FileKind::PgDumpPlain) {
            prop_assert!(d.rows as usize <= bytes.len());
        }
        let _csv = read(&bytes, FileKind::Csv);
    }
}
