//! `oubli audit verify | show | init`: the audit trail from the command
//! line. Its settings come from the environment (`OUBLI_AUDIT_*`, see
//! docs/audit.md); `--dir` overrides the trail's directory.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::audit::{self, AuditConfig, PgAnchor, Record};
use crate::show::printable;

use super::{fail, AuditInitArgs, AuditShowArgs, AuditVerifyArgs, Format, EXIT_FINDINGS, EXIT_OK};

fn config(dir: Option<&PathBuf>) -> Result<AuditConfig, String> {
    let mut c = AuditConfig::from_env().map_err(|e| format!("{e:#}"))?;
    if let Some(d) = dir {
        c.dir = d.clone();
    }
    Ok(c)
}

/// Exit 0 intact, 1 broken, 2 when the trail or a key cannot be read.
pub async fn verify(args: &AuditVerifyArgs) -> ExitCode {
    let config = match config(args.dir.as_ref()) {
        Ok(c) => c,
        Err(e) => return fail(format!("audit verify: {e}")),
    };
    let key = match config.load_public_key() {
        Ok(k) => k,
        Err(e) => return fail(format!("audit verify: {e:#}")),
    };
    let mut anchor = match (&config.postgres, args.no_postgres) {
        (Some(url), false) => match PgAnchor::connect(url, &config.origin).await {
            Ok(a) => Some(a),
            Err(e) => return fail(format!("audit verify: {e:#}")),
        },
        _ => None,
    };
    let evidence = match audit::gather(&config, anchor.as_mut(), args.anchor.clone()).await {
        Ok(e) => e,
        Err(e) => return fail(format!("audit verify: {e:#}")),
    };
    let verdict = audit::verify(&evidence, &key, &config.origin);
    let printed = match args.format {
        Format::Json => {
            let out = serde_json::json!({
                "trail": config.trail_path(),
                "origin": config.origin,
                "verdict": verdict,
            });
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())
        }
        Format::Text => Ok(verdict_text(&config, &verdict)),
    };
    match printed {
        Ok(text) => println!("{text}"),
        Err(e) => return fail(format!("audit verify: {e}")),
    }
    ExitCode::from(if verdict.ok { EXIT_OK } else { EXIT_FINDINGS })
}

fn verdict_text(config: &AuditConfig, v: &audit::Verdict) -> String {
    let mut out = format!(
        "audit trail {}: {} entries, {} signed checkpoints",
        config.trail_path().display(),
        v.entries,
        v.checkpoints
    );
    if let Some(pg) = &v.postgres {
        let entries = pg
            .entries
            .map_or_else(|| "?".to_string(), |n| n.to_string());
        out.push_str(&format!(
            "; Postgres anchor: {entries} entries, {} checkpoints",
            pg.checkpoints
        ));
    }
    out.push_str(&format!(" (key {})\n", v.key));
    if let Some(cp) = &v.latest {
        out.push_str(&format!("latest: {cp}\n"));
    }
    match &v.first_break {
        None => out.push_str("intact"),
        Some(b) => out.push_str(&format!("BROKEN ({}): {b}", b.kind.as_str())),
    }
    out
}

/// The identifier to look for: the argument, or a line of standard input
/// for `-`. Never printed.
fn identifier(arg: &str) -> Result<String, String> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the identifier from standard input: {e}"))?;
    Ok(line.trim().to_string())
}

pub fn show(args: &AuditShowArgs) -> ExitCode {
    let config = match config(args.dir.as_ref()) {
        Ok(c) => c,
        Err(e) => return fail(format!("audit show: {e}")),
    };
    if !config.dir.is_dir() {
        return fail(format!(
            "audit show: no audit trail at {} (set OUBLI_AUDIT_DIR)",
            config.dir.display()
        ));
    }
    let (records, unreadable) = match audit::read_records(&config.dir) {
        Ok(r) => r,
        Err(e) => return fail(format!("audit show: {e:#}")),
    };
    // One hash per identifier kind present: the same text hashed as an
    // e-mail, a phone number, a user id…
    let wanted = match &args.subject {
        None => None,
        Some(arg) => {
            let key = match config.load_subject_key() {
                Ok(k) => k,
                Err(e) => return fail(format!("audit show --subject: {e:#}")),
            };
            let id = match identifier(arg) {
                Ok(id) => id,
                Err(e) => return fail(format!("audit show --subject: {e}")),
            };
            let kinds: BTreeSet<&str> = records
                .iter()
                .filter_map(|r| r.event.subject.as_ref().map(|s| s.kind.as_str()))
                .collect();
            Some(
                kinds
                    .into_iter()
                    .map(|k| key.subject(k, &id))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let time_of = |r: &Record| chrono::DateTime::parse_from_rfc3339(&r.time).ok();
    let shown: Vec<&Record> = records
        .iter()
        .filter(|r| {
            args.ticket
                .as_ref()
                .is_none_or(|t| r.event.ticket.as_ref() == Some(t))
        })
        .filter(|r| args.kind.is_none_or(|k| r.event.kind == k))
        .filter(|r| {
            args.since
                .is_none_or(|s| time_of(r).is_some_and(|t| t >= s))
        })
        .filter(|r| args.until.is_none_or(|u| time_of(r).is_some_and(|t| t < u)))
        .filter(|r| {
            wanted
                .as_ref()
                .is_none_or(|w| r.event.subject.as_ref().is_some_and(|s| w.contains(s)))
        })
        .collect();
    if !unreadable.is_empty() {
        eprintln!(
            "audit show: {} line(s) are not entries and were skipped (run oubli audit verify)",
            unreadable.len()
        );
    }
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&shown) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(format!("audit show: {e}")),
        },
        Format::Text => {
            if shown.is_empty() {
                println!("no entries");
            }
            for r in shown {
                println!("{}", record_line(r));
            }
        }
    }
    ExitCode::from(EXIT_OK)
}

/// One entry on one line. Every text from the file goes through
/// `printable`: a tampered trail must not drive the terminal.
fn record_line(r: &Record) -> String {
    let counts: Vec<String> = r
        .event
        .counts
        .iter()
        .map(|(s, n)| format!("{}={n}", printable(s)))
        .collect();
    let mut who = printable(&r.who.user).into_owned();
    if let Some(s) = &r.who.sudo_user {
        who.push_str(&format!(" (sudo by {})", printable(s)));
    }
    if let Some(s) = &r.who.ssh {
        who.push_str(&format!(" from {}", printable(s)));
    }
    format!(
        "{:>5}  {}  {:<8} {:<7} art.{:<3} ticket {:<16} {}  [{}]  subject {}  by {}{}",
        r.seq,
        printable(&r.time),
        r.event.kind.as_str(),
        r.event.outcome.as_str(),
        r.event
            .article
            .map_or_else(|| "-".to_string(), |a| a.to_string()),
        r.event
            .ticket
            .as_deref()
            .map_or_else(|| "-".into(), printable),
        r.event
            .target
            .as_deref()
            .map_or_else(|| "-".into(), printable),
        counts.join(" "),
        r.event.subject.as_ref().map_or_else(
            || "-".to_string(),
            |s| format!("{}:{}", printable(&s.kind), s.hmac.short())
        ),
        who,
        if r.tool.is_empty() {
            String::new()
        } else {
            format!("  ({})", printable(&r.tool))
        },
    )
}

pub async fn init(args: &AuditInitArgs) -> ExitCode {
    let config = match config(args.dir.as_ref()) {
        Ok(c) => c,
        Err(e) => return fail(format!("audit init: {e}")),
    };
    let created = match config.prepare() {
        Ok(c) => c,
        Err(e) => return fail(format!("audit init: {e:#}")),
    };
    println!(
        "audit trail directory: {} (mode 0700)",
        config.dir.display()
    );
    for p in &created {
        println!("created {}", p.display());
    }
    if created.is_empty() {
        println!("every key was there already; none was changed");
    }
    match config.load_public_key() {
        Ok(k) => println!(
            "public key {} (id {}): give it to whoever verifies the trail",
            k.hex(),
            k.id()
        ),
        Err(e) => return fail(format!("audit init: {e:#}")),
    }
    if args.postgres {
        let Some(url) = &config.postgres else {
            return fail("audit init --postgres: set OUBLI_AUDIT_PG_URL to the anchor's database");
        };
        let anchor = match PgAnchor::connect(url, &config.origin).await {
            Ok(a) => a,
            Err(e) => return fail(format!("audit init: {e:#}")),
        };
        if let Err(e) = anchor.install(args.writer_role.as_deref()).await {
            return fail(format!("audit init: {e:#}"));
        }
        println!(
            "Postgres anchor {}: schema oubli_audit ready",
            url.redacted()
        );
        if let Some(role) = &args.writer_role {
            println!("role {role} may SELECT and INSERT there, nothing else");
        }
    }
    ExitCode::from(EXIT_OK)
}
