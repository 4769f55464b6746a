//! The demo seeder: synthetic but realistic personal data of a French public
//! appointment-booking service (citizens, agents, prescribers), written to a
//! **throwaway** Redis database and a **throwaway** set of Postgres tables.
//!
//! * Deterministic: the same [`SeedOptions::seed`] gives byte-identical data
//!   on the same day. Timestamps are offsets from [`anchor`], the start of the
//!   current UTC day, so the number of rows past retention is exact and known
//!   in advance ([`old_rows`]).
//! * Synthetic only: example and common French e-mail domains, French mobile
//!   numbers, made-up French addresses, documentation IP ranges.
//! * A user id names the same person in both stores ([`fake::person`]), so a
//!   rights request finds `user:<id>:profile` in Redis and `users.id` in
//!   Postgres for the same e-mail.
//!
//! [`seed_redis`] runs `FLUSHDB` on the selected database and [`seed_postgres`]
//! drops and recreates its eight tables: point them only at throwaway targets.

pub mod fake;
mod postgres;
mod redis;
pub mod register;

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use self::postgres::{seed_postgres, TABLES};
pub use self::redis::{seed_redis, ODD_KEYS};

/// How much to generate, and from which seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// Rows in `users` (other tables are sized from it).
    pub users: usize,
    /// Redis keys in total (shapes keep fixed proportions).
    pub keys: usize,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            users: 10_000,
            keys: 50_000,
            seed: 42,
        }
    }
}

/// What one seeding run wrote.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// `"redis"` or `"postgres"`.
    pub target: &'static str,
    /// Key pattern (Redis) or table name (Postgres) with its count.
    pub items: Vec<(String, u64)>,
    /// Sum of `items`: keys (equals `DBSIZE` right after seeding) or rows.
    pub total: u64,
    pub elapsed: Duration,
}

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Retention the register declares for the main Postgres DB: 2 years.
pub const PG_RETENTION_DAYS: i64 = 730;

/// The oldest demo rows are this old.
pub const MAX_AGE_DAYS: i64 = 3 * 365;

/// The reference instant of the demo data: the start of the current UTC day.
/// Every timestamp is `anchor() - some deterministic offset`, so two runs on the
/// same day write the same bytes.
pub fn anchor() -> DateTime<Utc> {
    let now = Utc::now();
    let secs = now.timestamp() - now.timestamp().rem_euclid(DAY);
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(now)
}

/// How many of `rows` rows in `users`, `appointments`, `receipts` and
/// `versions` are older than [`PG_RETENTION_DAYS`]: exactly 5%, rounded down.
/// They are the rows with the lowest ids (ids grow with `created_at`).
pub fn old_rows(rows: u64) -> u64 {
    rows / 20
}

/// Ages (seconds before [`anchor`]) for `n` rows, oldest first: the first
/// [`old_rows`]`(n)` are between 2 years + 2 days and 3 years old, the others
/// between 1 hour and 2 years − 2 days, so the count past retention is exact
/// even if the check runs a day later.
pub(crate) fn ages(f: &mut fake::Fake, n: usize) -> Vec<i64> {
    use rand::Rng;
    let old = old_rows(n as u64) as usize;
    let old_lo = (PG_RETENTION_DAYS + 2) * DAY;
    let old_hi = MAX_AGE_DAYS * DAY;
    let young_hi = (PG_RETENTION_DAYS - 2) * DAY;
    let mut v: Vec<i64> = (0..n)
        .map(|i| {
            if i < old {
                f.rng.random_range(old_lo..old_hi)
            } else {
                // More recent activity than old: skew towards the present.
                let x: f64 = f.rng.random();
                3_600 + ((young_hi - 3_600) as f64 * x * x) as i64
            }
        })
        .collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_put_exactly_five_percent_past_retention() {
        let mut f = fake::Fake::new(7);
        let a = ages(&mut f, 1_000);
        assert_eq!(a.len(), 1_000);
        let past = a.iter().filter(|&&s| s > PG_RETENTION_DAYS * DAY).count();
        assert_eq!(past as u64, old_rows(1_000));
        assert!(a.windows(2).all(|w| w[0] >= w[1]), "oldest first");
    }
}
