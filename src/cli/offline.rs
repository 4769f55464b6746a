//! `oubli scan file PATH`: what a copy holds (the offline engine).

use std::process::ExitCode;

use super::*;
use crate::offline::{self, FileReport};

/// The census options a file is read with: the register's delimiters and
/// the retention of its Redis storage when a register is given, the
/// defaults otherwise (a file needs no register).
fn options(global: &Global) -> Result<crate::redis::census::CensusOptions, String> {
    use crate::redis::census::CensusOptions;
    if global.config.is_none() && find_register(None).is_none() {
        let ad_hoc = crate::register::load::ad_hoc();
        return Ok(CensusOptions::from_settings(&ad_hoc.register.redis, None));
    }
    let loaded = load(global)?;
    let conn = loaded
        .connections_of(ConnectionKind::Redis)
        .next()
        .map(|c| c.name.clone());
    Ok(match conn {
        Some(name) => CensusOptions::for_connection(&loaded.register, &name),
        None => CensusOptions::from_settings(&loaded.register.redis, None),
    })
}

pub(super) async fn scan_file(global: &Global, args: &ScanFileArgs) -> ExitCode {
    let opts = match options(global) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let token = tokio_util::sync::CancellationToken::new();
    let ctrl_c = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.cancel();
        }
    });
    let path = args.path.clone();
    let kind = args.kind;
    let cancel = token.clone();
    let result =
        tokio::task::spawn_blocking(move || offline::scan(&path, kind, &opts, &cancel, |_| {}))
            .await;
    let report = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return fail(format!("scan file: {e:#}")),
        Err(e) => return fail(format!("scan file: the reader stopped: {e}")),
    };
    match args.format {
        Format::Json => match serde_json::to_string(&report) {
            Ok(j) => println!("{j}"),
            Err(e) => return fail(format!("scan file: {e}")),
        },
        Format::Text => print_text(&report),
    }
    if report.complete() {
        return ExitCode::from(EXIT_OK);
    }
    let why = report.stopped().unwrap_or("incomplete").to_string();
    if token.is_cancelled() {
        let _printed = fail(format!("scan file: interrupted ({why})"));
        return ExitCode::from(130);
    }
    fail(format!(
        "scan file: the file was not read to its end: {why}"
    ))
}

fn kinds_of<'a>(a: impl Iterator<Item = &'a crate::pii::Kind>) -> String {
    let mut v: Vec<&str> = a.map(|k| k.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(",")
}

fn print_text(report: &FileReport) {
    use crate::show::{bytes, count, fit, printable};
    match report {
        FileReport::Rdb(r) => {
            println!(
                "{}: RDB version {}{}, {}, snapshot {}; {} keys, {} elements searched, in {:.1}s{}",
                r.file,
                r.rdb_version,
                r.redis_version
                    .as_deref()
                    .map(|v| format!(" (Redis {v})"))
                    .unwrap_or_default(),
                bytes(r.file_bytes),
                r.snapshot_at.as_deref().unwrap_or("time unknown"),
                count(r.keys),
                count(r.elements),
                r.elapsed_ms as f64 / 1000.0,
                if r.complete { "" } else { " (incomplete)" }
            );
            for w in &r.warnings {
                println!("warning: {}", printable(w));
            }
            for c in &r.dbs {
                println!(
                    "db{}: {} keys, {} namespaces",
                    c.db,
                    count(c.scanned),
                    c.namespaces.len()
                );
                println!(
                    "{:>9} {:>10} {:>8} {:>8}  {:<14} {:<14} pattern",
                    "keys", "payload", "no TTL", ">retent", "in names", "in values"
                );
                for n in &c.namespaces {
                    println!(
                        "{:>9} {:>10} {:>8} {:>8}  {:<14} {:<14} {}",
                        n.keys,
                        bytes(n.bytes),
                        n.no_ttl,
                        n.ttl_beyond_retention,
                        fit(&kinds_of(n.key_pii.keys()), 14),
                        fit(&kinds_of(n.value_pii.keys()), 14),
                        fit(&printable(&n.pattern), 120)
                    );
                }
            }
        }
        FileReport::Tables(d) => {
            println!(
                "{}: {}, {}; {} tables, {} rows, {} values searched, in {:.1}s{}",
                d.file,
                d.format,
                bytes(d.file_bytes),
                d.tables.len(),
                count(d.rows),
                count(d.values),
                d.elapsed_ms as f64 / 1000.0,
                if d.complete { "" } else { " (incomplete)" }
            );
            for w in &d.warnings {
                println!("warning: {}", printable(w));
            }
            for t in &d.tables {
                let personal: Vec<_> = t.personal().collect();
                println!(
                    "{} — {} rows, {} of {} columns personal",
                    t.table,
                    count(t.rows),
                    personal.len(),
                    t.columns.len()
                );
                for c in personal {
                    let found: Vec<String> = c
                        .pii
                        .iter()
                        .map(|(k, n)| format!("{} {}", k.as_str(), count(*n)))
                        .collect();
                    let example = c.examples.values().next().map(String::as_str).unwrap_or("");
                    println!(
                        "    {:<24} {:<28} {:<14} {}",
                        fit(&c.name, 24),
                        fit(&found.join(", "), 28),
                        c.by_name
                            .as_deref()
                            .map(|k| format!("name: {k}"))
                            .unwrap_or_default(),
                        fit(example, 40)
                    );
                }
            }
        }
    }
}
