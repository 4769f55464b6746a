//! `oubli classify postgres` and `oubli init`.

use std::process::ExitCode;

use super::*;
use crate::postgres::catalog::ident;
use crate::register::ConnectionKind;
use crate::show::printable;

/// The first Postgres connection of the register (or --pg), opened read-only.
async fn pg_client(
    loaded: &Loaded,
) -> Result<(&register::ResolvedConnection, tokio_postgres::Client), String> {
    let Some(conn) = loaded.connections_of(ConnectionKind::Postgres).next() else {
        return Err("no Postgres connection: pass --pg URL or a register with one".into());
    };
    crate::postgres::connect(conn, &loaded.register.postgres)
        .await
        .map(|c| (conn, c))
        .map_err(|e| format!("{e:#}"))
}

pub(super) async fn classify_postgres(global: &Global, args: &ClassifyPgArgs) -> ExitCode {
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (_, client) = match pg_client(&loaded).await {
        Ok(x) => x,
        Err(e) => return fail(format!("classify postgres: {e}")),
    };
    let opts = crate::postgres::classify::Options {
        sample_rows: args.sample.clamp(1, 10_000),
        ..Default::default()
    };
    let s = match crate::postgres::survey(&client, Some(&loaded.register), &opts).await {
        Ok(s) => s,
        Err(e) => return fail(format!("classify postgres: {e:#}")),
    };
    match args.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "database": s.catalog.database,
                "columns": s.classification.columns,
                "person_tables": s.classification.person_tables,
                "polymorphic": s.classification.polymorphic,
            });
            if args.graph {
                v["graph"] = serde_json::json!(s.graph);
            }
            println!("{v}");
        }
        Format::Text => {
            for t in &s.catalog.tables {
                let tq = t.qualified();
                let cols: Vec<_> = s
                    .classification
                    .columns
                    .iter()
                    .filter(|c| c.table == tq)
                    .collect();
                let n = cols.iter().filter(|c| c.personal).count();
                println!(
                    "{}  (~{} rows, {n} personal of {} columns)",
                    printable(&t.display_name()),
                    t.estimated_rows.max(0),
                    cols.len()
                );
                for c in cols {
                    let mark = if c.personal { "*" } else { " " };
                    println!(
                        "  {mark} {:<24} {:<26} {:.2} {:<32} {}",
                        printable(&ident(&c.column)),
                        printable(&c.data_type),
                        c.confidence,
                        c.categories.join(","),
                        printable(c.evidence.first().map(String::as_str).unwrap_or(""))
                    );
                    for p in &c.paths {
                        println!("      {:<22} {}", printable(&p.path), p.kinds.join(","));
                    }
                }
            }
            if args.graph {
                let person_tables: Vec<String> = s
                    .graph
                    .person_tables
                    .iter()
                    .map(|p| printable(&s.catalog.display(p)).into_owned())
                    .collect();
                println!("\nperson tables: {}", person_tables.join(", "));
                // One line per link, saying whether its column is indexed
                // (as the JSON's `indexed` does).
                println!(
                    "  {:<12}   {:<16} {:<40} {:<8} kind",
                    "person", "table", "link", "index"
                );
                for e in &s.graph.edges {
                    let cond = e
                        .condition
                        .as_ref()
                        .map(|(c, v)| format!(" when {} = {v:?}", ident(c)))
                        .unwrap_or_default();
                    println!(
                        "  {:<12} ← {:<16} {:<40} {:<8} {}{}",
                        printable(&s.catalog.display(&e.person)),
                        printable(&s.catalog.display(&e.table)),
                        printable(&e.link()),
                        if e.indexed { "indexed" } else { "NO INDEX" },
                        e.kind.as_str(),
                        printable(&cond),
                    );
                }
            }
        }
    }
    ExitCode::from(EXIT_OK)
}

pub(super) async fn init(global: &Global, args: &InitArgs) -> ExitCode {
    if global.pg.is_none() {
        return fail("init: which database? pass --pg URL");
    }
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (_, client) = match pg_client(&loaded).await {
        Ok(x) => x,
        Err(e) => return fail(format!("init: {e}")),
    };
    let s = match crate::postgres::survey(&client, None, &Default::default()).await {
        Ok(s) => s,
        Err(e) => return fail(format!("init: {e:#}")),
    };
    let opts = crate::postgres::init::InitOptions {
        pg_url_env: args.pg_url_env.clone(),
        redis_url_env: global.redis.as_ref().map(|_| args.redis_url_env.clone()),
    };
    let mut text = crate::postgres::init::starter_register(&s, &opts);
    // With --redis: a census, and the person model's Redis patterns from it.
    if let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() {
        let census = async {
            let mut con = crate::redis::connect(conn, &loaded.register.redis).await?;
            let mut opts =
                crate::redis::census::CensusOptions::for_connection(&loaded.register, &conn.name);
            opts.sample = Some(crate::redis::census::SampleOptions::default());
            let token = tokio_util::sync::CancellationToken::new();
            Ok::<_, anyhow::Error>(
                crate::redis::census::run(
                    &mut con,
                    None,
                    &conn.url.redacted(),
                    &opts,
                    &token,
                    |_| {},
                )
                .await?,
            )
        }
        .await;
        match census {
            Ok(c) => {
                let identifiers: Vec<String> = toml::from_str::<toml::Table>(&text)
                    .ok()
                    .and_then(|t| t.get("person")?.get("identifiers")?.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                text.push('\n');
                text.push_str(&crate::redis::init::person_redis_section(&c, &identifiers));
            }
            Err(e) => return fail(format!("init: Redis: {e:#}")),
        }
    }
    match &args.out {
        None => print!("{text}"),
        Some(path) => {
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
            if let Err(e) = written {
                return fail(format!("init: cannot write {}: {e}", path.display()));
            }
            eprintln!(
                "wrote {} — review it, then {}",
                path.display(),
                next_step(global, args, path)
            );
        }
    }
    ExitCode::from(EXIT_OK)
}

/// What `oubli init --out FILE` recommends next: `config check` on the file
/// with the same `--pg`/`--redis`, which stand in for the variables the
/// written register reads, so that the command works as printed. A URL that
/// holds a secret is never printed: the variable is named instead.
fn next_step(global: &Global, args: &InitArgs, path: &std::path::Path) -> String {
    let mut flags = String::new();
    let mut hidden = Vec::new();
    let given = [
        ("--pg", global.pg.as_deref(), &args.pg_url_env),
        ("--redis", global.redis.as_deref(), &args.redis_url_env),
    ];
    for (flag, url, var) in given {
        let Some(url) = url else { continue };
        if register::SecretUrl::new(url).redacted() == url {
            flags.push_str(&format!(" {flag} {}", shell_word(url)));
        } else {
            flags.push_str(&format!(" {flag} \"${var}\""));
            hidden.push(var.as_str());
        }
    }
    let command = format!(
        "check it with the same connections:\n  oubli{flags} config check {}",
        shell_word(&path.display().to_string())
    );
    if hidden.is_empty() {
        command
    } else {
        format!(
            "{command}\n(with {} set to the URL given, not printed: it holds a password)",
            hidden.join(" and ")
        )
    }
}

/// `s` as one shell word: as is when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
