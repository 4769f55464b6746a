//! The Postgres anchor: a copy of the entries (the same bytes and leaf
//! hashes) and every checkpoint, in a schema of its own where the trail's
//! writer may only `INSERT` and `SELECT`. Triggers refuse `UPDATE` and
//! `DELETE` on every row and a statement trigger refuses `TRUNCATE`, so the
//! file's writer cannot rewrite or cut what was anchored. Appends are
//! serialised per trail with `pg_advisory_xact_lock`; every statement is
//! parameterised and runs under a `statement_timeout`.
//!
//! [`install`] creates the schema (as a role that may create it, once);
//! the trail then only needs the grants it gives `writer_role`.

use anyhow::{bail, Context};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Transaction};

use super::checkpoint::Checkpoint;
use super::verify::{Line, PgEvidence, PgRow};
use super::Digest;
use crate::register::SecretUrl;

/// The schema, idempotent (Postgres 14 or later, for `CREATE OR REPLACE
/// TRIGGER`).
pub const SCHEMA_SQL: &str = r#"
CREATE SCHEMA IF NOT EXISTS oubli_audit;

CREATE TABLE IF NOT EXISTS oubli_audit.entries (
    origin     text        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq > 0),
    leaf       bytea       NOT NULL CHECK (length(leaf) = 32),
    body       bytea       NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, seq)
);

CREATE TABLE IF NOT EXISTS oubli_audit.checkpoints (
    origin     text        NOT NULL,
    size       bigint      NOT NULL CHECK (size >= 0),
    root       bytea       NOT NULL CHECK (length(root) = 32),
    body       text        NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, size, root)
);

CREATE OR REPLACE FUNCTION oubli_audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'oubli_audit.% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER entries_append_only
    BEFORE UPDATE OR DELETE ON oubli_audit.entries
    FOR EACH ROW EXECUTE FUNCTION oubli_audit.refuse_change();
CREATE OR REPLACE TRIGGER entries_no_truncate
    BEFORE TRUNCATE ON oubli_audit.entries
    FOR EACH STATEMENT EXECUTE FUNCTION oubli_audit.refuse_change();
CREATE OR REPLACE TRIGGER checkpoints_append_only
    BEFORE UPDATE OR DELETE ON oubli_audit.checkpoints
    FOR EACH ROW EXECUTE FUNCTION oubli_audit.refuse_change();
CREATE OR REPLACE TRIGGER checkpoints_no_truncate
    BEFORE TRUNCATE ON oubli_audit.checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION oubli_audit.refuse_change();

REVOKE ALL ON oubli_audit.entries, oubli_audit.checkpoints FROM PUBLIC;
"#;

/// Every statement of the anchor gives up after this long.
const STATEMENT_TIMEOUT_MS: &str = "10000";

/// Create the schema, and let `writer_role` (if given) `SELECT` and
/// `INSERT` there and nothing else.
pub async fn install(client: &Client, writer_role: Option<&str>) -> anyhow::Result<()> {
    client
        .batch_execute(SCHEMA_SQL)
        .await
        .context("cannot create the oubli_audit schema")?;
    if let Some(role) = writer_role {
        let ok = role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            bail!("the writer role must be a plain lowercase name ([a-z_][a-z0-9_]*)");
        }
        // A role name cannot be a parameter; it is checked above and quoted.
        client
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA oubli_audit TO \"{role}\";\n\
                 GRANT SELECT, INSERT ON oubli_audit.entries, oubli_audit.checkpoints TO \"{role}\";"
            ))
            .await
            .with_context(|| format!("cannot grant the audit tables to {role}"))?;
    }
    Ok(())
}

/// One trail's rows in the anchor.
pub struct PgAnchor {
    client: Client,
    origin: String,
}

impl std::fmt::Debug for PgAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgAnchor({})", self.origin)
    }
}

/// The anchor's errors, with a hint when the schema is not there.
fn explain(e: tokio_postgres::Error, doing: &str) -> anyhow::Error {
    let missing = matches!(
        e.code(),
        Some(c) if *c == SqlState::UNDEFINED_TABLE || *c == SqlState::INVALID_SCHEMA_NAME
    );
    if missing {
        anyhow::anyhow!(
            "the Postgres anchor has no oubli_audit schema: run oubli audit init --postgres (as a role that may create it)"
        )
    } else {
        anyhow::Error::new(e).context(format!("audit anchor: cannot {doing}"))
    }
}

async fn begin<'a>(client: &'a mut Client, read_only: bool) -> anyhow::Result<Transaction<'a>> {
    let tx = client
        .build_transaction()
        .read_only(read_only)
        .start()
        .await
        .map_err(|e| explain(e, "start a transaction"))?;
    tx.execute(
        "SELECT set_config('statement_timeout', $1, true)",
        &[&STATEMENT_TIMEOUT_MS],
    )
    .await
    .map_err(|e| explain(e, "set statement_timeout"))?;
    Ok(tx)
}

impl PgAnchor {
    pub fn new(client: Client, origin: &str) -> PgAnchor {
        PgAnchor {
            client,
            origin: origin.to_string(),
        }
    }

    /// Connect as the Postgres engine does (TLS per `sslmode`, connect
    /// timeout, `application_name`), in a session that may write.
    pub async fn connect(url: &SecretUrl, origin: &str) -> anyhow::Result<PgAnchor> {
        use crate::register::ConnectionKind;
        let mut loaded = crate::register::load::ad_hoc();
        loaded.override_connection(ConnectionKind::Postgres, url.expose());
        let conn = loaded
            .connections_of(ConnectionKind::Postgres)
            .next()
            .context("audit anchor: no Postgres connection")?;
        let client = crate::postgres::connect_writable(conn, &loaded.register.postgres)
            .await
            .context("audit anchor (OUBLI_AUDIT_PG_URL)")?;
        Ok(PgAnchor::new(client, origin))
    }

    /// [`install`] through this connection.
    pub async fn install(&self, writer_role: Option<&str>) -> anyhow::Result<()> {
        install(&self.client, writer_role).await
    }

    /// The anchored checkpoints and, with `entries`, the copy of the
    /// entries. Checkpoints are read first: any checkpoint read covers only
    /// entries copied before it.
    pub async fn evidence(&mut self, entries: bool) -> anyhow::Result<PgEvidence> {
        let origin = self.origin.clone();
        let tx = begin(&mut self.client, true).await?;
        let checkpoints = tx
            .query(
                "SELECT body FROM oubli_audit.checkpoints WHERE origin = $1 ORDER BY size, written_at",
                &[&origin],
            )
            .await
            .map_err(|e| explain(e, "read the checkpoints"))?
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| explain(e, "read the checkpoints"))?;
        let entries = if entries {
            let rows = tx
                .query(
                    "SELECT seq, leaf, body FROM oubli_audit.entries WHERE origin = $1 ORDER BY seq",
                    &[&origin],
                )
                .await
                .map_err(|e| explain(e, "read the entries"))?;
            let rows = rows
                .iter()
                .map(|r| {
                    Ok(PgRow {
                        seq: r.try_get(0)?,
                        leaf: r.try_get(1)?,
                        body: r.try_get(2)?,
                    })
                })
                .collect::<Result<Vec<_>, tokio_postgres::Error>>()
                .map_err(|e| explain(e, "read the entries"))?;
            Some(rows)
        } else {
            None
        };
        tx.commit()
            .await
            .map_err(|e| explain(e, "finish reading"))?;
        Ok(PgEvidence {
            entries,
            checkpoints,
        })
    }

    /// Copy the file's entries that the anchor does not hold yet, after
    /// checking that they continue its copy. Returns how many were copied.
    pub(crate) async fn mirror(&mut self, lines: &[Line<'_>]) -> anyhow::Result<u64> {
        let origin = self.origin.clone();
        let tx = begin(&mut self.client, false).await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&format!("oubli_audit:{origin}")],
        )
        .await
        .map_err(|e| explain(e, "lock the trail"))?;
        let last = tx
            .query_opt(
                "SELECT seq, leaf FROM oubli_audit.entries WHERE origin = $1 ORDER BY seq DESC LIMIT 1",
                &[&origin],
            )
            .await
            .map_err(|e| explain(e, "read the last entry"))?;
        let (have, last_leaf) = match last {
            Some(r) => (
                r.try_get::<_, i64>(0)
                    .map_err(|e| explain(e, "read the last entry"))?,
                r.try_get::<_, Vec<u8>>(1)
                    .map_err(|e| explain(e, "read the last entry"))?,
            ),
            None => (0, Digest::ZERO.0.to_vec()),
        };
        let have = u64::try_from(have).unwrap_or_default();
        if have > lines.len() as u64 {
            bail!(
                "the Postgres copy holds {have} entries and the trail {}: run oubli audit verify",
                lines.len()
            );
        }
        let mut prev = match have {
            0 => Digest::ZERO,
            n => lines[n as usize - 1].leaf,
        };
        if prev.0.as_slice() != last_leaf.as_slice() {
            bail!(
                "entry {have} of the trail differs from its Postgres copy: run oubli audit verify"
            );
        }
        let mut copied = 0;
        for l in &lines[have as usize..] {
            let Some(h) = l
                .head
                .filter(|h| h.seq == have + copied + 1 && h.prev == prev)
            else {
                bail!(
                    "line {} of the trail does not continue its Postgres copy: run oubli audit verify",
                    l.no
                );
            };
            let seq = i64::try_from(h.seq).context("audit anchor: sequence number out of range")?;
            tx.execute(
                "INSERT INTO oubli_audit.entries (origin, seq, leaf, body) VALUES ($1, $2, $3, $4)",
                &[&origin, &seq, &l.leaf.0.as_slice(), &l.bytes],
            )
            .await
            .map_err(|e| explain(e, "copy an entry"))?;
            prev = l.leaf;
            copied += 1;
        }
        tx.commit()
            .await
            .map_err(|e| explain(e, "commit the copy"))?;
        Ok(copied)
    }

    /// Anchor the checkpoints the anchor does not hold yet. Returns how
    /// many were added.
    pub(crate) async fn anchor(&mut self, checkpoints: &[Checkpoint]) -> anyhow::Result<u64> {
        let origin = self.origin.clone();
        let tx = begin(&mut self.client, false).await?;
        let mut added = 0;
        for cp in checkpoints.iter().filter(|cp| cp.origin == origin) {
            let size = i64::try_from(cp.size).context("audit anchor: size out of range")?;
            added += tx
                .execute(
                    "INSERT INTO oubli_audit.checkpoints (origin, size, root, body) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                    &[&origin, &size, &cp.root.0.as_slice(), &cp.to_line()],
                )
                .await
                .map_err(|e| explain(e, "anchor a checkpoint"))?;
        }
        tx.commit()
            .await
            .map_err(|e| explain(e, "commit the checkpoints"))?;
        Ok(added)
    }
}
