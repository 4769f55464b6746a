//! The catalog at a glance: server version, database size and the largest
//! tables with their row estimates (from pg_class, never a count(*)).

use serde::Serialize;
use tokio_postgres::Client;

use super::catalog::TABLE_BYTES;
use super::query::{run, QueryError, Step};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableStat {
    pub schema: String,
    pub name: String,
    /// Planner estimate (`reltuples`); -1 when never analysed.
    pub estimated_rows: i64,
    pub total_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PgOverview {
    pub version: String,
    pub database: String,
    pub size_bytes: i64,
    pub in_recovery: bool,
    pub tables: Vec<TableStat>,
}

/// At most this many tables are listed, largest first.
pub const MAX_TABLES: i64 = 500;

pub async fn fetch(client: &Client) -> Result<PgOverview, QueryError> {
    let step = Step::new("reading the server's overview");
    let head = run(
        client,
        step,
        client.query_one(
            "SELECT current_setting('server_version'), current_database(), \
                    pg_database_size(current_database()), pg_is_in_recovery()",
            &[],
        ),
    )
    .await?;
    let rows = run(
        client,
        step,
        client.query(
            &format!(
                "SELECT n.nspname, c.relname, c.reltuples::bigint, {TABLE_BYTES} \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg_toast%' \
                 ORDER BY 4 DESC, n.nspname, c.relname \
                 LIMIT $1"
            ),
            &[&MAX_TABLES],
        ),
    )
    .await?;
    Ok(PgOverview {
        version: head.try_get(0)?,
        database: head.try_get(1)?,
        size_bytes: head.try_get(2)?,
        in_recovery: head.try_get(3)?,
        tables: rows
            .iter()
            .map(|r| {
                Ok(TableStat {
                    schema: r.try_get(0)?,
                    name: r.try_get(1)?,
                    estimated_rows: r.try_get(2)?,
                    total_bytes: r.try_get(3)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()?,
    })
}
