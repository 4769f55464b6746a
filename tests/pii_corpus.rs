//! Precision and recall of the PII detector on the labelled corpus
//! `tests/fixtures/pii/corpus.tsv` (`kind<TAB>context<TAB>text`, expected
//! kinds comma-separated or `none`, context `-` for none).
//!
//! A line counts one true positive per expected kind found, one false
//! negative per expected kind missed, and one false positive per reported
//! kind that was not expected (so any hit on a `none` line is a false
//! positive).

use std::collections::BTreeSet;

use oubli::pii::{Detector, Kind};

#[test]
fn corpus_precision_and_recall() {
    let corpus = include_str!("fixtures/pii/corpus.tsv");
    let det = Detector::global();
    let (mut tp, mut fp, mut fn_, mut lines, mut negatives) = (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut misses = Vec::new();
    for (no, line) in corpus.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(kind), Some(ctx), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("corpus line {}: expected kind<TAB>context<TAB>text", no + 1);
        };
        lines += 1;
        let expected: BTreeSet<Kind> = if kind == "none" {
            negatives += 1;
            BTreeSet::new()
        } else {
            kind.split(',')
                .map(|k| {
                    Kind::from_name(k)
                        .unwrap_or_else(|| panic!("corpus line {}: unknown kind {k}", no + 1))
                })
                .collect()
        };
        let ctx = (ctx != "-").then_some(ctx);
        let got: BTreeSet<Kind> = det
            .scan_text(text, ctx)
            .into_iter()
            .map(|h| h.kind)
            .collect();
        for k in &expected {
            if got.contains(k) {
                tp += 1;
            } else {
                fn_ += 1;
                misses.push(format!("line {}: missed {k}: {text}", no + 1));
            }
        }
        for k in got.difference(&expected) {
            fp += 1;
            misses.push(format!("line {}: false {k}: {text}", no + 1));
        }
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    println!(
        "PII corpus: {lines} lines ({negatives} hard negatives), tp={tp} fp={fp} fn={fn_}, \
         precision={precision:.3} recall={recall:.3}"
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(lines >= 300, "corpus too small: {lines}");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}
