//! A synthetic register of any size, for benchmarks and layout tests: people,
//! processes, hosted storages and third parties, with flows between them.
//! Deterministic for a seed.

use std::fmt::Write as _;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A register (TOML) with `nodes` nodes and `flows` distinct flows.
pub fn synthetic_register(nodes: usize, flows: usize, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = String::from(
        "[register]\nname = \"Synthetic\"\ncontroller = \"Bench\"\ncontact = \"dpo@example.org\"\n",
    );
    let kinds = [
        "actor", "process", "database", "cache", "logs", "backup", "external",
    ];
    let retentions = [
        "7 days",
        "2 years",
        "12 months",
        "unknown",
        "none",
        "~2 hours",
    ];
    for i in 0..nodes {
        // Roughly: 10% people, 20% processes, 45% hosted storages, 25% third parties.
        let kind = match i * 20 / nodes.max(1) {
            0..=1 => kinds[0],
            2..=5 => kinds[1],
            6..=14 => kinds[2 + rng.random_range(0..4)],
            _ => kinds[6],
        };
        let _ = writeln!(
            out,
            "\n[[storage]]\nid = \"n{i}\"\nlabel = \"Node {i} {}\"\nkind = \"{kind}\"",
            ["alpha", "storage", "service", "provider", "x"][i % 5]
        );
        if kind != "actor" && kind != "process" {
            let _ = writeln!(
                out,
                "retention = \"{}\"\njustification = \"running the service\"",
                retentions[rng.random_range(0..retentions.len())]
            );
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut made = 0;
    let mut attempts = 0;
    while made < flows && attempts < flows * 50 && nodes > 1 {
        attempts += 1;
        let a = rng.random_range(0..nodes);
        let b = rng.random_range(0..nodes);
        if a == b || !seen.insert((a.min(b), a.max(b))) {
            continue;
        }
        let both = rng.random_bool(0.3);
        let _ = writeln!(
            out,
            "\n[[flow]]\nfrom = \"n{a}\"\nto = \"n{b}\"\nboth_ways = {both}"
        );
        made += 1;
    }
    out
}
