//! What `INFO` says about a Redis server: version, role, memory, load and the
//! key counts per logical database (with how many keys have a TTL).

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use serde::Serialize;

/// One logical database, from `INFO keyspace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbStat {
    pub db: u32,
    pub keys: u64,
    /// Keys that have a TTL.
    pub expires: u64,
    /// Average TTL of the keys that have one, in ms (as Redis estimates it).
    pub avg_ttl_ms: u64,
}

impl DbStat {
    pub fn without_ttl(&self) -> u64 {
        self.keys.saturating_sub(self.expires)
    }

    /// Share of keys that will never expire, 0.0–1.0.
    pub fn share_without_ttl(&self) -> f64 {
        if self.keys == 0 {
            0.0
        } else {
            self.without_ttl() as f64 / self.keys as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RedisOverview {
    pub version: String,
    pub mode: String,
    pub role: String,
    pub used_memory: u64,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub connected_clients: u64,
    pub ops_per_sec: u64,
    pub uptime_secs: u64,
    pub dbs: Vec<DbStat>,
}

impl RedisOverview {
    pub fn total_keys(&self) -> u64 {
        self.dbs.iter().map(|d| d.keys).sum()
    }

    pub fn total_without_ttl(&self) -> u64 {
        self.dbs.iter().map(DbStat::without_ttl).sum()
    }
}

/// Ask the server (one `INFO` round trip; no key is read).
pub async fn fetch(con: &mut MultiplexedConnection) -> redis::RedisResult<RedisOverview> {
    let info: String = redis::cmd("INFO")
        .arg("everything")
        .query_async(con)
        .await?;
    Ok(parse_info(&info))
}

/// Parse the text of `INFO`. Unknown or missing fields are left empty: a
/// managed Redis may hide some of them.
pub fn parse_info(info: &str) -> RedisOverview {
    let fields: BTreeMap<&str, &str> = info
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim_end().split_once(':'))
        .collect();
    let text = |k: &str| fields.get(k).map(|s| s.to_string()).unwrap_or_default();
    let num = |k: &str| fields.get(k).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut dbs: Vec<DbStat> = fields
        .iter()
        .filter_map(|(k, v)| {
            let db = k.strip_prefix("db")?.parse().ok()?;
            let kv: BTreeMap<&str, u64> = v
                .split(',')
                .filter_map(|p| p.split_once('='))
                .filter_map(|(a, b)| Some((a, b.parse().ok()?)))
                .collect();
            Some(DbStat {
                db,
                keys: *kv.get("keys")?,
                expires: kv.get("expires").copied().unwrap_or(0),
                avg_ttl_ms: kv.get("avg_ttl").copied().unwrap_or(0),
            })
        })
        .collect();
    dbs.sort_by_key(|d| d.db);
    RedisOverview {
        version: text("redis_version"),
        mode: text("redis_mode"),
        role: text("role"),
        used_memory: num("used_memory"),
        maxmemory: num("maxmemory"),
        maxmemory_policy: text("maxmemory_policy"),
        connected_clients: num("connected_clients"),
        ops_per_sec: num("instantaneous_ops_per_sec"),
        uptime_secs: num("uptime_in_seconds"),
        dbs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_info_text() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nuptime_in_seconds:42\r\n# Replication\r\nrole:master\r\n# Memory\r\nused_memory:1048576\r\n# Keyspace\r\ndb0:keys=100,expires=40,avg_ttl=5000\r\ndb3:keys=7,expires=0,avg_ttl=0\r\n";
        let o = parse_info(info);
        assert_eq!(o.version, "7.0.15");
        assert_eq!(o.role, "master");
        assert_eq!(o.used_memory, 1_048_576);
        assert_eq!(o.dbs.len(), 2);
        assert_eq!(o.dbs[0].without_ttl(), 60);
        assert_eq!(o.dbs[1].db, 3);
        assert_eq!(o.total_keys(), 107);
        assert_eq!(o.total_without_ttl(), 67);
        assert!((o.dbs[0].share_without_ttl() - 0.6).abs() < 1e-9);
    }

    #[test]
    fn tolerates_garbage() {
        let o = parse_info("db0:keys=x\nnonsense\n:\n");
        assert!(o.dbs.is_empty());
    }
}
