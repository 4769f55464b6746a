//! The keyspace census: every key of a logical database accounted for, safely.
//!
//! `SCAN … COUNT n` (never `KEYS`), then for each batch one pipeline of
//! `TYPE`, `PTTL` and `MEMORY USAGE`; key names folded into namespace
//! patterns and searched for personal data by the detector; optional,
//! bounded value sampling per namespace. Results are aggregated per pattern
//! in bounded memory and streamed as progress. A load budget caps the
//! commands per second and pauses while other clients keep the server busy.
//! Cancellable between batches. What the server refuses (e.g. `MEMORY
//! USAGE` for an ACL user) becomes a warning, not a failure; the server's
//! other logical databases that hold keys are named ([`Census::other_dbs`]).
//!
//! The next batch is fetched by its own task while this one is folded, on
//! the census's own plain connection when the URL allows ([`super::wire`]).
//!
//! Two server-side routes were measured and not taken (`cargo bench --bench
//! census` prints both): one `EVAL` per batch doing the per-key commands in
//! Lua costs the server more CPU per key than the pipeline on Redis 7.0
//! (each `redis.call` runs the command machinery again and converts its
//! reply), and a whole RDB by diskless `SYNC` forks the server, waits
//! `repl-diskless-sync-delay` (5 s by default) and serialises every value.
//!
//! Rooms: `model` (what a census is: options, namespaces, the result, and
//! merging the censuses of a cluster's nodes), `scan` (the walk: budget,
//! batches, folding, progress, faults waited out), `sample` (bounded reads
//! of values), `cache` (the last census of each server, kept on disk).

pub mod cache;
mod model;
mod sample;
mod scan;

pub use model::*;
pub use scan::{run, run_node, run_with, Links, Reopen, CANCELLED};

pub use crate::keypattern::glob_match;

/// A person-model pattern (`user:{user_id}:*`) as a glob (`user:*:*`), as
/// [`crate::keypattern::KeyPattern::glob`] writes it.
pub fn person_glob(pattern: &str) -> String {
    let glob = crate::keypattern::KeyPattern::person(pattern).glob();
    String::from_utf8_lossy(&glob).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_patterns_become_globs() {
        assert_eq!(person_glob("user:{user_id}:*"), "user:*:*");
        assert_eq!(
            person_glob("app:*:user_session_domain:{email}"),
            "app:*:user_session_domain:*"
        );
        assert_eq!(person_glob("user:{{user_id}}:cart"), "user:{*}:cart");
    }
}
