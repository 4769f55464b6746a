//! `oubli check`, `status`, `map` and `register`: the register and what the
//! live stores say about it.

use std::process::ExitCode;

use std::io::Write;

use super::*;
use crate::register::ConnectionKind;

/// `oubli check`: the register's gaps, and with `--live` what the stores
/// contradict. Exit 0 clean, 1 findings, 2 error.
pub(super) async fn check(global: &Global, args: &CheckArgs) -> ExitCode {
    let loaded = match load_for(global, !args.live) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let (findings, failures) = if args.live {
        let token = tokio_util::sync::CancellationToken::new();
        let live = crate::check::live(&loaded, &token).await;
        (live.findings, live.failures)
    } else {
        (crate::check::assemble(reg, &Default::default()), Vec::new())
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "findings": findings, "failures": failures })
        ),
        Format::Text => {
            if findings.is_empty() {
                println!("{}: no finding", reg.register.name);
            }
            for f in &findings {
                println!(
                    "{:<6} {:<30} {}",
                    f.severity.as_str(),
                    f.kind,
                    crate::show::printable(&f.message)
                );
            }
        }
    }
    for f in &failures {
        let _stderr_may_be_gone = writeln!(
            std::io::stderr(),
            "check --live: {}: {}",
            f.connection,
            f.error
        );
    }
    ExitCode::from(if !failures.is_empty() {
        EXIT_ERROR
    } else if findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `oubli map`: the diagram in a format other tools draw.
pub(super) fn map(global: &Global, args: &MapArgs) -> ExitCode {
    use crate::register::{export, lint};
    let loaded = match load_for(global, true) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let findings = lint::lint(reg);
    match args.format {
        MapFormat::Mermaid => print!("{}", export::mermaid(reg, &findings)),
        MapFormat::Dot => print!("{}", export::dot(reg, &findings)),
        MapFormat::Json => println!("{}", export::json(reg, &findings)),
    }
    ExitCode::from(EXIT_OK)
}

/// `oubli register`: the record of processing activities.
pub(super) fn record(global: &Global, args: &RegisterArgs) -> ExitCode {
    use crate::register::export;
    let loaded = match load_for(global, true) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match args.format {
        RecordFormat::Md => print!("{}", export::record_markdown(&loaded.register)),
        RecordFormat::Csv => match export::record_csv(&loaded.register) {
            Ok(s) => print!("{s}"),
            Err(e) => return fail(format!("register: {e:#}")),
        },
    }
    ExitCode::from(EXIT_OK)
}

/// What one connection answered to `oubli status`.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Overview {
    Redis(crate::redis::overview::RedisOverview),
    Postgres(crate::postgres::overview::PgOverview),
}

impl Overview {
    /// One line for the text report; every string from the server made printable.
    fn summary(&self) -> String {
        use crate::show::printable;
        match self {
            Overview::Redis(o) => {
                format!("redis {} — {} keys", printable(&o.version), o.total_keys())
            }
            Overview::Postgres(o) => format!(
                "postgres {} — database {}, {} tables",
                printable(&o.version),
                printable(&o.database),
                o.tables.len()
            ),
        }
    }
}

/// `oubli status`: the headless twin of the console header.
pub(super) async fn status(global: &Global, format: Format) -> ExitCode {
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let reg = &loaded.register;
    let mut results = Vec::new();
    for c in loaded.connections.values() {
        let outcome: anyhow::Result<Overview> = match c.kind {
            ConnectionKind::Redis => {
                async {
                    let mut con = crate::redis::connect(c, &reg.redis).await?;
                    Ok(Overview::Redis(
                        crate::redis::overview::fetch(&mut con).await?,
                    ))
                }
                .await
            }
            ConnectionKind::Postgres => {
                async {
                    let client = crate::postgres::connect(c, &reg.postgres).await?;
                    Ok(Overview::Postgres(
                        crate::postgres::overview::fetch(&client).await?,
                    ))
                }
                .await
            }
        };
        results.push((c, outcome));
    }
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = results
                .iter()
                .map(|(c, r)| {
                    let mut v = serde_json::json!({
                        "name": c.name,
                        "kind": match c.kind { ConnectionKind::Redis => "redis", ConnectionKind::Postgres => "postgres" },
                        "url": c.url.redacted(),
                        "ok": r.is_ok(),
                    });
                    match r {
                        Ok(o) => v["overview"] = serde_json::json!(o),
                        Err(e) => v["error"] = crate::register::redact_url(&format!("{e:#}")).into(),
                    }
                    v
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({ "register": reg.register.name, "connections": items })
            );
        }
        Format::Text => {
            println!("{}", reg.register.name);
            if results.is_empty() {
                println!("  no connection in the register");
            }
            for (c, r) in &results {
                match r {
                    Ok(o) => println!(
                        "  ok    {:<12} {}  ({})",
                        c.name,
                        o.summary(),
                        c.url.redacted()
                    ),
                    Err(e) => println!(
                        "  FAIL  {:<12} {}",
                        c.name,
                        crate::show::printable(&crate::register::redact_url(&format!("{e:#}")))
                    ),
                }
            }
        }
    }
    ExitCode::from(if failed > 0 { EXIT_ERROR } else { EXIT_OK })
}
