//! `oubli incident new|list|show|notify`: the breach worksheet's face.

use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::*;
use crate::incident::{self, count, enisa, Exposure, NewIncident, Notification, NotificationKind};

fn time(s: &str, what: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{what}: {s:?} is not an RFC 3339 time (2026-12-04T09:30:00Z): {e}"))
}

fn dir_of(dir: &Option<PathBuf>) -> Result<PathBuf, String> {
    match dir {
        Some(d) => Ok(d.clone()),
        None => incident::store::default_dir()
            .ok_or_else(|| "no state directory (set XDG_STATE_HOME or pass --dir)".to_string()),
    }
}

pub(super) async fn run(global: &Global, cmd: IncidentCmd) -> ExitCode {
    let result = match cmd {
        IncidentCmd::New(a) => new(global, &a).await,
        IncidentCmd::List(a) => list(&a),
        IncidentCmd::Show(a) => show(&a),
        IncidentCmd::Notify(a) => notify(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => fail(format!("incident: {e}")),
    }
}

fn circumstances(a: &IncidentNewArgs) -> enisa::Circumstances {
    use enisa::{Availability, Confidentiality, Integrity};
    enisa::Circumstances {
        confidentiality: match a.confidentiality.as_str() {
            "known" => Confidentiality::Known,
            "unknown" => Confidentiality::Unknown,
            _ => Confidentiality::None,
        },
        integrity: match a.integrity.as_str() {
            "recoverable" => Integrity::Recoverable,
            "lost" => Integrity::Lost,
            _ => Integrity::None,
        },
        availability: match a.availability.as_str() {
            "temporary" => Availability::Temporary,
            "permanent" => Availability::Permanent,
            _ => Availability::None,
        },
        malicious: a.malicious,
    }
}

/// The categories the register declares for the storage behind the first
/// connection of `kind`.
fn declared(loaded: &Loaded, kind: ConnectionKind) -> Vec<String> {
    loaded
        .connections_of(kind)
        .next()
        .and_then(|c| loaded.register.storage_of_connection(&c.name))
        .map(|s| s.categories.clone())
        .unwrap_or_default()
}

async fn new(global: &Global, a: &IncidentNewArgs) -> Result<ExitCode, String> {
    let exposures: Vec<Exposure> = a
        .exposed
        .iter()
        .map(|e| e.parse())
        .collect::<Result<_, _>>()?;
    let aware_at = a
        .aware_at
        .as_deref()
        .map(|t| time(t, "--aware-at"))
        .transpose()?;
    let window = match &a.window {
        Some(w) => {
            let (from, to) = w
                .split_once("..")
                .ok_or_else(|| format!("--window {w:?}: expected FROM..TO"))?;
            Some((time(from, "--window")?, time(to, "--window")?))
        }
        None => None,
    };
    let loaded = load(global)?;
    let reg = &loaded.register;
    let mut reached = count::Reached::default();
    let mut counted = Vec::new();
    let needs_pg = exposures
        .iter()
        .any(|e| matches!(e, Exposure::Table { .. }));
    let pg = if needs_pg {
        let conn = loaded
            .connections_of(ConnectionKind::Postgres)
            .next()
            .ok_or(
                "a table was exposed and the register has no Postgres connection (pass --pg URL)",
            )?;
        let client = crate::postgres::connect(conn, &reg.postgres)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let survey = crate::postgres::survey(&client, Some(reg), &Default::default())
            .await
            .map_err(|e| format!("{e:#}"))?;
        Some((client, survey))
    } else {
        None
    };
    let needs_redis = exposures
        .iter()
        .any(|e| matches!(e, Exposure::Namespace { .. }));
    let mut redis = if needs_redis {
        let conn = loaded.connections_of(ConnectionKind::Redis).next().ok_or(
            "a namespace was exposed and the register has no Redis connection (pass --redis URL)",
        )?;
        Some(
            crate::redis::connect(conn, &reg.redis)
                .await
                .map_err(|e| format!("{e:#}"))?,
        )
    } else {
        None
    };
    let delimiters: Vec<u8> = reg
        .redis
        .delimiters
        .iter()
        .flat_map(|d| d.bytes())
        .collect();
    let census_opts = crate::redis::census::CensusOptions::from_settings(&reg.redis, None);
    for e in &exposures {
        let c = match e {
            Exposure::Table { table } => {
                let Some((client, survey)) = &pg else {
                    continue;
                };
                count::table(
                    client,
                    survey,
                    table,
                    &declared(&loaded, ConnectionKind::Postgres),
                    &mut reached,
                )
                .await
            }
            Exposure::Namespace { pattern } => {
                let Some(con) = redis.as_mut() else { continue };
                count::namespace(
                    con,
                    pattern,
                    &delimiters,
                    &declared(&loaded, ConnectionKind::Redis),
                    crate::redis::actions::Pace {
                        scan_count: reg.redis.scan_count,
                        max_ops_per_sec: reg.redis.max_ops_per_sec,
                    },
                    &mut reached,
                )
                .await
            }
            Exposure::Storage { id } => count::storage(reg, id, &mut reached),
            Exposure::File { path } => {
                let path = std::path::PathBuf::from(path);
                let opts = census_opts.clone();
                let mut r = count::Reached::default();
                let out = tokio::task::spawn_blocking(move || {
                    let c = count::file(&path, &opts, &mut r);
                    (c, r.people().exact)
                })
                .await
                .map_err(|e| format!("reading the file stopped: {e}"))?;
                if !out.1 {
                    reached.unreached();
                }
                out.0
            }
        };
        counted.push(c.map_err(|err| format!("{e}: {err:#}"))?);
    }
    let new = NewIncident {
        title: a.title.clone(),
        aware_at,
        ongoing: a.ongoing,
        origin: match a.origin.as_str() {
            "internal" => incident::Origin::Internal,
            "external" => incident::Origin::External,
            _ => incident::Origin::Unknown,
        },
        window,
        circumstances: circumstances(a),
        encrypted: a.encrypted,
        measures_taken: a.measures_taken.clone(),
        measures_proposed: a.measures_proposed.clone(),
        consequences: a.consequences.clone(),
    };
    let now = Utc::now();
    let i = incident::assemble(new, counted, reached.people(), reg, now);
    let dir = dir_of(&a.dir.dir)?;
    let (json, md) = incident::store::save(&dir, &i).map_err(|e| format!("{e:#}"))?;
    match a.dir.format {
        Format::Json => println!("{}", serde_json::to_string(&i).map_err(|e| e.to_string())?),
        Format::Text => {
            summary(&i, now);
            println!("written: {}\n         {}", json.display(), md.display());
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn clock_text(i: &incident::Incident, now: DateTime<Utc>) -> String {
    let c = i.clock(now);
    if c.notified {
        if c.late {
            "notified late".into()
        } else {
            "notified".into()
        }
    } else if c.minutes_left >= 0 {
        format!("{}h{:02} left", c.minutes_left / 60, c.minutes_left % 60)
    } else {
        format!(
            "{}h{:02} past the 72 h",
            -c.minutes_left / 60,
            -c.minutes_left % 60
        )
    }
}

fn summary(i: &incident::Incident, now: DateTime<Utc>) {
    let (tell, why) = i.people_must_be_told();
    println!("{} — {}", i.id, crate::show::printable(&i.title));
    println!(
        "people: {}{} · records: {} · severity {} ({}) · {}",
        if i.people_exact { "" } else { "at least " },
        crate::show::count(i.people),
        crate::show::count(i.records),
        i.severity.band.as_str(),
        i.severity.score,
        clock_text(i, now)
    );
    for c in &i.exposed {
        println!(
            "  {:<40} records {:>9}  people {:>9}  {}",
            crate::show::fit(&crate::show::printable(&c.what), 40),
            c.records.map_or("—".into(), crate::show::count),
            c.people.map_or("—".into(), crate::show::count),
            c.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    println!(
        "tell the people (Art. 34): {} — {why}",
        if tell { "yes" } else { "no" }
    );
}

fn list(a: &IncidentDirArgs) -> Result<ExitCode, String> {
    let dir = dir_of(&a.dir)?;
    let (all, bad) = incident::store::list(&dir);
    let now = Utc::now();
    let overdue = all
        .iter()
        .filter(|i| {
            let c = i.clock(now);
            !c.notified && c.late
        })
        .count();
    match a.format {
        Format::Json => {
            let rows: Vec<_> = all
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "id": i.id, "title": i.title, "aware_at": i.aware_at,
                        "deadline": i.deadline(), "clock": i.clock(now),
                        "severity": i.severity.band, "people": i.people, "records": i.records,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({ "incidents": rows, "unreadable": bad })
            );
        }
        Format::Text => {
            if all.is_empty() {
                println!("no incident in {}", dir.display());
            }
            for i in &all {
                println!(
                    "{}  {:<10} {:>9} people  {:<22} {}",
                    i.id,
                    i.severity.band.as_str(),
                    crate::show::count(i.people),
                    clock_text(i, now),
                    crate::show::printable(&i.title)
                );
            }
            for b in &bad {
                println!("warning: {b} is not a readable worksheet");
            }
        }
    }
    Ok(ExitCode::from(if overdue > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}

fn show(a: &IncidentShowArgs) -> Result<ExitCode, String> {
    let dir = dir_of(&a.dir)?;
    let i = incident::store::load(&dir, &a.id).map_err(|e| format!("{e:#}"))?;
    if a.format == "json" {
        println!("{}", serde_json::to_string(&i).map_err(|e| e.to_string())?);
    } else {
        print!("{}", incident::draft::markdown(&i, Utc::now()));
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn notify(a: &IncidentNotifyArgs) -> Result<ExitCode, String> {
    let dir = dir_of(&a.dir)?;
    let mut i = incident::store::load(&dir, &a.id).map_err(|e| format!("{e:#}"))?;
    let at = match &a.at {
        Some(t) => time(t, "--at")?,
        None => Utc::now(),
    };
    i.notifications.push(Notification {
        kind: if a.kind == "initial" {
            NotificationKind::Initial
        } else {
            NotificationKind::Complementary
        },
        at,
        reference: a.reference.clone(),
    });
    if let Some(r) = &a.delay_reason {
        i.delay_reason = Some(r.clone());
    }
    let c = i.clock(Utc::now());
    incident::store::save(&dir, &i).map_err(|e| format!("{e:#}"))?;
    println!(
        "{}: {} notification recorded{}",
        i.id,
        a.kind,
        if c.late && i.delay_reason.is_none() {
            " — after the 72 hours: give the reasons for the delay (--delay-reason)"
        } else {
            ""
        }
    );
    Ok(ExitCode::from(EXIT_OK))
}
