//! `oubli demo seed`.

use std::process::ExitCode;

use super::*;
use crate::register::ConnectionKind;

pub(super) async fn seed(global: &Global, args: &SeedArgs) -> ExitCode {
    let opts = crate::demo::SeedOptions {
        users: args.users,
        keys: args.keys,
        seed: args.seed,
    };
    let loaded = match load(global) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let mut reports = Vec::new();
    if !args.pg_only {
        let Some(conn) = loaded.connections_of(ConnectionKind::Redis).next() else {
            return fail("demo seed: no Redis connection (pass --redis URL, or --pg-only)");
        };
        let result = async {
            let mut con = crate::redis::connect(conn, &loaded.register.redis).await?;
            crate::demo::seed_redis(&mut con, &opts).await
        }
        .await;
        match result {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("demo seed: Redis at {}: {e:#}", conn.url)),
        }
    }
    if !args.redis_only {
        let Some(conn) = loaded.connections_of(ConnectionKind::Postgres).next() else {
            return fail("demo seed: no Postgres connection (pass --pg URL, or --redis-only)");
        };
        let result = async {
            let mut client =
                crate::postgres::connect_writable(conn, &loaded.register.postgres).await?;
            crate::demo::seed_postgres(&mut client, &opts).await
        }
        .await;
        match result {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("demo seed: Postgres at {}: {e:#}", conn.url)),
        }
    }
    for r in &reports {
        println!(
            "{}: {} items in {:.1}s",
            r.target,
            crate::show::count(r.total),
            r.elapsed.as_secs_f64()
        );
        for (what, n) in &r.items {
            println!("  {:>10}  {what}", crate::show::count(*n));
        }
    }
    ExitCode::from(EXIT_OK)
}
