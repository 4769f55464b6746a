//! `oubli scan redis` and `oubli redis expire|unlink`.

use std::process::ExitCode;

use super::*;
use crate::register::ConnectionKind;

/// `oubli scan redis`: the census, as a namespace table or JSON; with
/// `--filter`, only the namespaces that match (the engine's filter, the one
/// the console's `/` uses).
pub(super) async fn scan_redis(global: &Global, args: &ScanRedisArgs) -> ExitCode {
    use crate::redis::census;
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
        return fail(
            "scan redis: no Redis connection (add one to the register or pass --redis URL)",
        );
    };
    let mut opts =
        crate::redis::census::CensusOptions::for_connection(&loaded.register, &conn.name);
    opts.memory = !args.no_memory;
    if args.sample {
        opts.sample = Some(census::SampleOptions::default());
    }
    if let Some(m) = args.max_ops {
        opts.max_ops_per_sec = m;
    }
    let token = tokio_util::sync::CancellationToken::new();
    let ctrl_c = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.cancel();
        }
    });
    let result = crate::redis::cluster::census_connection(
        conn,
        &loaded.register.redis,
        &opts,
        &token,
        |_| {},
    )
    .await;
    let mut c = match result {
        Ok(c) => c,
        Err(e) => return fail(format!("scan redis: {e:#}")),
    };
    // The census kept before for this server, then this one in its place
    // (the console opens with it); an incomplete census is not kept. The
    // whole census is kept: --filter only narrows what is printed.
    let previous = c.server.as_ref().and_then(census::cache::load);
    if c.complete {
        if let Err(e) = census::cache::save(&c) {
            eprintln!("warning: the census is not kept for the next run: {e:#}");
        }
    }
    let found = c.namespaces.len();
    if let Some(words) = &args.filter {
        let filter = crate::redis::namespaces::NsFilter::parse(words);
        c.namespaces.retain(|n| filter.matches(n));
    }
    match args.format {
        Format::Json => match serde_json::to_string(&c) {
            Ok(j) => println!("{j}"),
            Err(e) => return fail(format!("scan redis: {e}")),
        },
        Format::Text => {
            println!(
                "{} db{}: {} keys scanned of {} (DBSIZE) in {:.1}s, {} namespaces{}",
                c.node,
                c.db,
                c.scanned,
                c.dbsize,
                c.elapsed_ms as f64 / 1000.0,
                found,
                if c.complete { "" } else { " (incomplete)" }
            );
            if let Some(words) = &args.filter {
                println!("{} of them match --filter {words:?}", c.namespaces.len());
            }
            if let Some(p) = &previous {
                println!(
                    "previous census: {} keys, {} namespaces, {}",
                    p.census.scanned,
                    p.census.namespaces.len(),
                    p.describe(chrono::Utc::now())
                );
            }
            if c.retries > 0 {
                println!("{} steps tried again after a fault", c.retries);
            }
            for w in &c.warnings {
                println!("warning: {}", crate::show::printable(w));
            }
            println!(
                "{:>9} {:>10} {:>8} {:>8}  {:<14} pattern",
                "keys", "memory", "no TTL", ">retent", "pii"
            );
            for n in &c.namespaces {
                let pii: Vec<&str> = n
                    .key_pii
                    .keys()
                    .chain(n.value_pii.keys())
                    .map(|k| k.as_str())
                    .collect();
                let mut pii = pii;
                pii.dedup();
                println!(
                    "{:>9} {:>10} {:>8} {:>8}  {:<14} {}",
                    n.keys,
                    crate::show::bytes(n.bytes),
                    n.no_ttl,
                    n.ttl_beyond_retention,
                    crate::show::fit(&pii.join(","), 14),
                    crate::show::fit(&crate::show::printable(&n.pattern), 120)
                );
            }
        }
    }
    if c.complete {
        return ExitCode::from(EXIT_OK);
    }
    // What was counted is printed above; the reason, and a code a script
    // can tell: 130 when interrupted (Ctrl-C), 2 when the census stopped.
    let why = c.stopped.as_deref().unwrap_or("incomplete");
    if token.is_cancelled() {
        let _printed = fail(format!("scan redis: interrupted ({why})"));
        return ExitCode::from(130);
    }
    fail(format!("scan redis: the census stopped: {why}"))
}

/// `oubli redis expire|unlink`: write mode, a typed confirmation, a
/// namespace the census writes (never its `{other}` bucket), a count of
/// what will change, printed, then the change in budgeted batches to the
/// keys that fold to that namespace only, and the count that did; the
/// report holds counts, never key names. A namespace no key is in is
/// refused unless `--force`.
pub(super) async fn remediate(global: &Global, cmd: &RedisCmd) -> ExitCode {
    use crate::redis::actions::{self, Change, Pace, Report, Target};
    let (namespace, confirm, force, format) = match cmd {
        RedisCmd::Expire(a) => (&a.namespace, &a.confirm, a.force, a.format),
        RedisCmd::Unlink(a) => (&a.namespace, &a.confirm, a.force, a.format),
    };
    if !global.write {
        return fail("read-only: this command changes Redis; run it with --write");
    }
    if confirm.as_deref() != Some(namespace.as_str()) {
        return fail(format!(
            "confirm with --confirm and type the namespace exactly: {}",
            crate::show::printable(namespace)
        ));
    }
    let change = match cmd {
        RedisCmd::Expire(a) => {
            let ttl = match a.ttl.parse::<crate::register::Retention>() {
                Ok(crate::register::Retention::Limited(p)) => p.as_duration(),
                _ => {
                    return fail(format!(
                        "--ttl {:?}: expected a duration such as \"7 days\"",
                        a.ttl
                    ))
                }
            };
            let scope = if a.also_longer {
                actions::TtlScope::NoTtlOrLonger
            } else {
                actions::TtlScope::NoTtl
            };
            Change::Expire { ttl, scope }
        }
        RedisCmd::Unlink(_) => Change::Unlink,
    };
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
        return fail("no Redis connection (add one to the register or pass --redis URL)");
    };
    let s = &loaded.register.redis;
    // The delimiters the census folds this connection's keys with.
    let delimiters =
        crate::redis::census::CensusOptions::for_connection(&loaded.register, &conn.name)
            .delimiters;
    let target = match Target::new(namespace, &delimiters) {
        Ok(t) => t,
        Err(e) => return fail(format!("redis: {e}")),
    };
    let pace = Pace {
        scan_count: s.scan_count,
        max_ops_per_sec: s.max_ops_per_sec,
    };
    let token = tokio_util::sync::CancellationToken::new();
    let ctrl_c = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.cancel();
        }
    });
    let keyspace = match crate::redis::keyspace::Keyspace::open(conn, s).await {
        Ok(k) => k,
        Err(e) => return fail(format!("redis: {e:#}")),
    };
    let plan = match keyspace.plan_namespace(change, &target, pace, &token).await {
        Ok(p) => p,
        Err(e) => return fail(format!("redis: {e:#}")),
    };
    if !plan.complete {
        return fail("interrupted while counting: nothing changed");
    }
    if plan.in_namespace() == 0 && !force {
        return fail(format!(
            "no key is in {} now, so no census lists it (see `oubli scan redis`); nothing changed. Pass --force to act anyway",
            target.pattern()
        ));
    }
    let counts = |r: &Report| {
        format!(
            "of {} in the namespace; {} keys of other namespaces that its glob matches are left alone",
            r.in_namespace(),
            r.outside
        )
    };
    if format == Format::Text {
        println!(
            "{} on {}: {} keys will change, {}",
            plan.action,
            plan.pattern,
            plan.changed,
            counts(&plan)
        );
    }
    let report = match keyspace
        .change_namespace(change, &target, pace, &token, |_| {})
        .await
    {
        Ok(r) => r,
        Err(e) => return fail(format!("redis: {e:#}")),
    };
    let r = &report;
    tracing::info!(target: "audit", action = %r.action, namespace = %r.pattern, planned = plan.changed, changed = r.changed, scanned = r.scanned, outside = r.outside, "redis remediation");
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["plan"] = serde_json::to_value(&plan).unwrap_or_default();
            println!("{v}");
        }
        Format::Text => println!(
            "{} on {}: {} keys changed, {} unchanged, {}{}",
            r.action,
            r.pattern,
            r.changed,
            r.unchanged,
            counts(r),
            if r.complete { "" } else { " (interrupted)" }
        ),
    }
    ExitCode::from(EXIT_OK)
}
