//! Settings with embedded defaults (`config/defaults.toml`, compiled in). The
//! structs have no serde defaults of their own: every value comes from the
//! defaults file or the user's, so the file is the one place to read them.

use serde::{Deserialize, Serialize};

/// The embedded defaults, as shipped.
pub const DEFAULTS_TOML: &str = include_str!("../../config/defaults.toml");

// Every number that bounds oubli's work is checked as it is read, at its
// position in the file: 0 never silently means "off". Where switching a
// safeguard off is legitimate the file says `"none"`, held as 0 in the
// field (see the methods that name it, e.g. `RedisSettings::load_budget`).

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    pub theme: String,
    #[serde(deserialize_with = "de::tick_ms")]
    pub tick_ms: u64,
    #[serde(deserialize_with = "de::max_fps")]
    pub max_fps: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub delimiters: Vec<String>,
    #[serde(deserialize_with = "de::scan_count")]
    pub scan_count: u32,
    /// The load budget, commands per second; 0 when the file says `"none"`.
    #[serde(
        deserialize_with = "de::ops_or_none",
        serialize_with = "de::zero_as_none"
    )]
    pub max_ops_per_sec: u32,
    /// 0 when the file says `"none"`: a census never pauses.
    #[serde(
        deserialize_with = "de::ops_or_none",
        serialize_with = "de::zero_as_none"
    )]
    pub pause_above_ops_per_sec: u32,
    pub census_on_start: bool,
    /// 0 when the file says `"none"`: a census only at start and on `c`.
    #[serde(
        deserialize_with = "de::secs_or_none",
        serialize_with = "de::zero_as_none"
    )]
    pub census_interval_secs: u64,
    #[serde(deserialize_with = "de::secs")]
    pub probe_interval_secs: u64,
    #[serde(deserialize_with = "de::ms")]
    pub connect_timeout_ms: u64,
    #[serde(deserialize_with = "de::ms")]
    pub command_timeout_ms: u64,
}

impl RedisSettings {
    /// The load budget in commands per second, `None` when the register
    /// says `max_ops_per_sec = "none"`.
    pub fn load_budget(&self) -> Option<u32> {
        (self.max_ops_per_sec > 0).then_some(self.max_ops_per_sec)
    }

    /// The server load above which a census pauses, `None` for never.
    pub fn pause_above(&self) -> Option<u32> {
        (self.pause_above_ops_per_sec > 0).then_some(self.pause_above_ops_per_sec)
    }

    /// How often the console runs a census again, `None` for never.
    pub fn census_interval(&self) -> Option<std::time::Duration> {
        (self.census_interval_secs > 0)
            .then(|| std::time::Duration::from_secs(self.census_interval_secs))
    }

    /// The load budget as the screen shows it: `50000 ops/s`, or `none`.
    pub fn load_budget_label(&self) -> String {
        limit_label(self.load_budget(), "ops/s")
    }
}

/// A limit as the screen shows it: `50000 ops/s`, or `none` when off.
pub fn limit_label(limit: Option<u32>, unit: &str) -> String {
    match limit {
        Some(n) => format!("{n} {unit}"),
        None => "none".to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSettings {
    #[serde(deserialize_with = "de::statement_ms")]
    pub statement_timeout_ms: u64,
    #[serde(deserialize_with = "de::ms")]
    pub connect_timeout_ms: u64,
    #[serde(deserialize_with = "de::secs")]
    pub probe_interval_secs: u64,
    pub application_name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    #[serde(deserialize_with = "de::secs")]
    pub initial_secs: u64,
    #[serde(deserialize_with = "de::secs")]
    pub max_secs: u64,
}

/// The readers of bounded numbers. Each checks inside the visitor, so the
/// toml crate gives the error the value's position.
mod de {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;

    /// A whole number in `1..=max`, or `"none"` (read as 0) when allowed.
    struct Bounded {
        max: u64,
        none: bool,
        what: &'static str,
        /// Why 0 is refused.
        zero: &'static str,
    }

    impl Visitor<'_> for Bounded {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} from 1 to {}", self.what, self.max)?;
            if self.none {
                f.write_str(", or \"none\"")?;
            }
            Ok(())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            if v == 0 {
                return Err(E::custom(self.zero));
            }
            if v > self.max {
                return Err(E::invalid_value(de::Unexpected::Unsigned(v), &self));
            }
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            match (self.none, v) {
                (true, "none") => Ok(0),
                (true, _) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                (false, _) => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }

    const DAY_SECS: u64 = 86_400;

    /// `pub fn $name(d) -> Result<$ty, _>`: reads a number within `$bounded`.
    /// The bounds fit `$ty`, so the conversion never fails.
    macro_rules! reader {
        ($(#[$doc:meta])* $name:ident -> $ty:ty, $bounded:expr) => {
            $(#[$doc])*
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let v = d.deserialize_any($bounded)?;
                <$ty>::try_from(v).map_err(|_| de::Error::custom("too large"))
            }
        };
    }

    const fn bounded(max: u64, none: bool, what: &'static str, zero: &'static str) -> Bounded {
        Bounded {
            max,
            none,
            what,
            zero,
        }
    }

    reader!(
        /// A timeout in milliseconds (connect, Redis command).
        ms -> u64,
        bounded(DAY_SECS * 1000, false, "milliseconds",
            "a timeout of 0 ms would fail every call at once: give a number of milliseconds, at least 1")
    );
    reader!(
        /// Postgres `statement_timeout`, where 0 means no timeout at all.
        statement_ms -> u64,
        bounded(DAY_SECS * 1000, false, "milliseconds",
            "a statement_timeout of 0 would switch the timeout off: give a number of milliseconds, at least 1")
    );
    reader!(
        /// An interval or back-off in seconds.
        secs -> u64,
        bounded(DAY_SECS, false, "seconds",
            "an interval of 0 s would repeat without pause: give a number of seconds, at least 1")
    );
    reader!(
        /// An interval that may be switched off with `"none"`.
        secs_or_none -> u64,
        bounded(DAY_SECS, true, "seconds",
            "0 does not say what it means: write \"none\" to switch this off, or a number of seconds")
    );
    reader!(
        /// A rate that may be switched off with `"none"` (the load budget).
        ops_or_none -> u32,
        bounded(u32::MAX as u64, true, "operations per second",
            "0 would silently remove this limit: write \"none\" to run without one, or a number of operations per second")
    );
    reader!(
        scan_count -> u32,
        bounded(1_000_000, false, "keys per SCAN",
            "SCAN with COUNT 0 asks for nothing: give at least 1 (1000 is usual)")
    );
    reader!(
        tick_ms -> u64,
        bounded(60_000, false, "milliseconds",
            "a tick of 0 ms would spin: give a number of milliseconds, at least 1")
    );
    reader!(
        max_fps -> u32,
        bounded(1_000, false, "frames per second",
            "0 frames per second would never draw: give at least 1")
    );

    /// Write 0 back as `"none"`, so a serialised setting reads again.
    pub fn zero_as_none<S: Serializer, T: Copy + Into<u64>>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match (*v).into() {
            0 => s.serialize_str("none"),
            n => s.serialize_u64(n),
        }
    }
}

impl RetrySettings {
    /// Wait before attempt number `failures` (1-based): doubling, capped.
    pub fn backoff(&self, failures: u32) -> std::time::Duration {
        let exp = failures.saturating_sub(1).min(16);
        let secs = self
            .initial_secs
            .max(1)
            .saturating_mul(1u64 << exp)
            .min(self.max_secs.max(1));
        std::time::Duration::from_secs(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let r = RetrySettings {
            initial_secs: 1,
            max_secs: 30,
        };
        let secs: Vec<u64> = (1..=7).map(|n| r.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(r.backoff(1000).as_secs(), 30);
    }
}
