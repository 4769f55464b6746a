//! Rows older than the storage's retention, per table holding personal data.
//!
//! The age is read from the column the register names (`retention_column`),
//! else `created_at`, else `updated_at`. The count is exact when the column
//! is indexed or the table is not huge (a scan bounded by the session's
//! `statement_timeout`), and the planner's estimate on a huge table without
//! an index (`EXPLAIN`, no scan); the oldest date then comes from `pg_stats`.

use serde::Serialize;
use tokio_postgres::Client;

use super::catalog::{quote_ident, Table};
use super::query::{run, Step};

/// Above this many (estimated) rows, an unindexed count is estimated.
pub const HUGE_ROWS: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastRetention {
    pub table: String,
    pub column: String,
    pub rows: i64,
    /// Counted (true) or estimated by the planner (false).
    pub exact: bool,
    /// `YYYY-MM-DD` of the oldest row (from `pg_stats` when estimated).
    pub oldest: Option<String>,
    /// Rows older than this instant are past retention.
    pub cutoff: String,
}

/// The column that dates a row: the register's choice, else a conventional one.
pub fn age_column<'a>(t: &'a Table, declared: Option<&'a str>) -> Option<&'a str> {
    if let Some(d) = declared {
        return t.column(d).map(|c| c.name.as_str());
    }
    ["created_at", "updated_at", "inserted_at", "created_on"]
        .into_iter()
        .find_map(|n| t.column(n).filter(|c| c.is_timestamp()))
        .map(|c| c.name.as_str())
}

/// Rows of `t` whose `column` is older than `cutoff`.
pub async fn past_retention(
    client: &Client,
    t: &Table,
    column: &str,
    cutoff: chrono::DateTime<chrono::Utc>,
    huge_rows: i64,
) -> anyhow::Result<PastRetention> {
    let col = quote_ident(column);
    let exact = t.has_index_on(&[column]) || t.estimated_rows <= huge_rows;
    let (rows, oldest) = if exact {
        let sql = format!(
            "SELECT count(*), to_char(min({col}), 'YYYY-MM-DD') FROM {} WHERE {col} < $1::timestamptz",
            t.sql()
        );
        let step = Step::on("counting old rows in", t);
        let r = run(client, step, client.query_one(&sql, &[&cutoff])).await?;
        (r.try_get::<_, i64>(0)?, r.try_get::<_, Option<String>>(1)?)
    } else {
        let sql = format!(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {col} < $1::timestamptz",
            t.sql()
        );
        let step = Step::on("estimating old rows in", t);
        let r = run(client, step, client.query_one(&sql, &[&cutoff])).await?;
        let plan: serde_json::Value = r.try_get(0)?;
        let rows = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64;
        let oldest = run(
            client,
            step,
            client.query_opt(
                "SELECT left((histogram_bounds::text::text[])[1], 10) FROM pg_stats \
                 WHERE schemaname = $1 AND tablename = $2 AND attname = $3",
                &[&t.schema, &t.name, &column],
            ),
        )
        .await?
        .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten());
        (rows, oldest)
    };
    Ok(PastRetention {
        table: t.qualified(),
        column: column.to_string(),
        rows,
        exact,
        oldest,
        cutoff: cutoff.format("%Y-%m-%d").to_string(),
    })
}
