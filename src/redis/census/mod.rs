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

/// A Redis glob (`*`, `?`, `\\x`) matched against a key, in O(len²) at worst
/// (the classic two-pointer walk with one backtrack point).
pub fn glob_match(pattern: &[u8], key: &[u8]) -> bool {
    let (mut p, mut k) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while k < key.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, k));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                k += 1;
                continue;
            }
            Some(b'\\') if pattern.get(p + 1) == Some(&key[k]) => {
                p += 2;
                k += 1;
                continue;
            }
            Some(&c) if c != b'\\' && c == key[k] => {
                p += 1;
                k += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sk)) => {
                p = sp + 1;
                k = sk + 1;
                star = Some((sp, sk + 1));
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// A person-model pattern (`user:{user_id}:*`) as a glob (`user:*:*`).
pub fn person_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_brace = false;
    for c in pattern.chars() {
        match (c, in_brace) {
            ('{', false) => {
                in_brace = true;
                out.push('*');
            }
            ('}', true) => in_brace = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_redis() {
        assert!(glob_match(
            b"app:*:user_session_domain:*",
            b"app:production:user_session_domain:a@b.fr"
        ));
        assert!(glob_match(b"otp:*", b"otp:0612345678"));
        assert!(!glob_match(b"otp:*", b"xotp:1"));
        assert!(glob_match(b"u?er", b"user"));
        assert!(glob_match(b"a\\*b", b"a*b"));
        assert!(!glob_match(b"a\\*b", b"axb"));
        assert!(glob_match(
            b"**********x",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax"
        ));
    }

    #[test]
    fn person_patterns_become_globs() {
        assert_eq!(person_glob("user:{user_id}:*"), "user:*:*");
        assert_eq!(
            person_glob("app:*:user_session_domain:{email}"),
            "app:*:user_session_domain:*"
        );
    }
}
