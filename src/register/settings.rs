//! Settings with embedded defaults (`config/defaults.toml`, compiled in). The
//! structs have no serde defaults of their own: every value comes from the
//! defaults file or the user's, so the file is the one place to read them.

use serde::{Deserialize, Serialize};

/// The embedded defaults, as shipped.
pub const DEFAULTS_TOML: &str = include_str!("../../config/defaults.toml");

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    pub theme: String,
    pub tick_ms: u64,
    pub max_fps: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub delimiters: Vec<String>,
    pub scan_count: u32,
    pub max_ops_per_sec: u32,
    pub pause_above_ops_per_sec: u32,
    pub census_on_start: bool,
    pub census_interval_secs: u64,
    pub probe_interval_secs: u64,
    pub connect_timeout_ms: u64,
    pub command_timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSettings {
    pub statement_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub probe_interval_secs: u64,
    pub application_name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    pub initial_secs: u64,
    pub max_secs: u64,
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
