//! Redis half of the demo seeder: about `opts.keys` keys of the shapes a
//! Rails + Sidekiq booking service leaves in Redis, written with pipelines of
//! ~1,000 commands, several in flight.

use std::collections::HashSet;
use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use rand::Rng;
use redis::aio::MultiplexedConnection;
use redis::{Pipeline, RedisResult};
use serde_json::json;
use tokio::task::JoinSet;

use super::fake::{self, Fake, Person};
use super::{anchor, SeedOptions, SeedReport, DAY};

/// Report line of the five keys with awkward names (not a pattern).
pub const ODD_KEYS: &str = "(odd names: space, unicode, newline, binary, 1 KB)";

const BATCH_COMMANDS: usize = 1_000;
const BATCH_BYTES: usize = 1 << 20;
const IN_FLIGHT: usize = 4;

/// Pipelined writer with a bounded number of pipelines in flight.
struct Batcher {
    con: MultiplexedConnection,
    pipe: Pipeline,
    cmds: usize,
    bytes: usize,
    in_flight: JoinSet<RedisResult<()>>,
    /// When set, each pipeline completes before the next is sent (for the
    /// few writes whose order matters: stream ids, list order).
    sequential: bool,
}

impl Batcher {
    fn new(con: &MultiplexedConnection) -> Self {
        Batcher {
            con: con.clone(),
            pipe: redis::pipe(),
            cmds: 0,
            bytes: 0,
            in_flight: JoinSet::new(),
            sequential: false,
        }
    }

    /// Queue one command; `size` is a rough payload size in bytes.
    async fn add(&mut self, cmd: redis::Cmd, size: usize) -> anyhow::Result<()> {
        self.pipe.add_command(cmd).ignore();
        self.cmds += 1;
        self.bytes += size;
        if self.cmds >= BATCH_COMMANDS || self.bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.cmds == 0 {
            return Ok(());
        }
        let pipe = std::mem::replace(&mut self.pipe, redis::pipe());
        self.cmds = 0;
        self.bytes = 0;
        let mut con = self.con.clone();
        self.in_flight
            .spawn(async move { pipe.query_async::<()>(&mut con).await });
        let limit = if self.sequential { 1 } else { IN_FLIGHT };
        while self.in_flight.len() >= limit {
            self.join_one().await?;
        }
        Ok(())
    }

    async fn join_one(&mut self) -> anyhow::Result<()> {
        if let Some(res) = self.in_flight.join_next().await {
            res.context("a seeding pipeline task failed")?
                .context("Redis refused a seeding pipeline")?;
        }
        Ok(())
    }

    /// Send what is queued and wait for every pipeline in flight.
    async fn barrier(&mut self) -> anyhow::Result<()> {
        self.flush().await?;
        while !self.in_flight.is_empty() {
            self.join_one().await?;
        }
        Ok(())
    }

    async fn set_sequential(&mut self, on: bool) -> anyhow::Result<()> {
        self.barrier().await?;
        self.sequential = on;
        Ok(())
    }
}

fn cmd(name: &str) -> redis::Cmd {
    redis::cmd(name)
}

/// Counts per key shape, in report order. Every name is a `SCAN MATCH`
/// pattern for its keys, except [`ODD_KEYS`].
struct Counts(Vec<(String, u64)>);

impl Counts {
    fn add(&mut self, pattern: &str, n: u64) {
        if let Some(e) = self.0.iter_mut().find(|(p, _)| p == pattern) {
            e.1 += n;
        } else {
            self.0.push((pattern.to_string(), n));
        }
    }
}

/// Draw a value not seen before: a few tries of `draw`, then `alt` until it
/// gives a fresh one (`alt` must have room: a counter or plenty of entropy).
/// This keeps the report's counts equal to `DBSIZE`.
fn unique(
    seen: &mut HashSet<String>,
    f: &mut Fake,
    mut draw: impl FnMut(&mut Fake) -> String,
    mut alt: impl FnMut(&mut Fake) -> String,
) -> String {
    for _ in 0..8 {
        let v = draw(f);
        if seen.insert(v.clone()) {
            return v;
        }
    }
    loop {
        let v = alt(f);
        if seen.insert(v.clone()) {
            return v;
        }
    }
}

fn gzip(data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).context("compressing a cache value")?;
    enc.finish().context("compressing a cache value")
}

/// Per-mille of the key budget for each proportional shape; `rdv:sessions:*`
/// takes what is left.
const SHARES: [(&str, usize); 10] = [
    ("cache:views/organisations/*/agenda/*", 150),
    ("cache:api-adresse:*", 80),
    ("rack::attack:*:req/ip:*", 40),
    ("rate_limit:*", 40),
    ("app:production:user_session_domain:*", 60),
    ("otp:*", 30),
    ("exports:*", 10),
    ("user:*:notifications", 100),
    ("user:*:profile", 150),
    ("rdv:sessions:*", 0),
];

/// Seeds the selected Redis database. It first runs **`FLUSHDB`** on it: point
/// it only at a throwaway database (the demo scripts start their own
/// `redis-server` on 127.0.0.1:16379).
///
/// Writes about `opts.keys` keys (exactly `opts.keys` when it is above the
/// ~40 fixed keys) and returns one report line per key shape; `total` equals
/// `DBSIZE` right after seeding. The connection should have a response
/// timeout of a few seconds (the `redis` crate's default is 500 ms).
pub async fn seed_redis(
    con: &mut MultiplexedConnection,
    opts: &SeedOptions,
) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let seed = opts.seed;
    let now = anchor().timestamp();
    let n_users = opts.users.max(1);
    let n_orgs = (n_users / 100).max(5);
    let mut f = Fake::new(fake::mix(seed, 100, 0));
    let mut counts = Counts(Vec::new());

    cmd("FLUSHDB")
        .arg("ASYNC")
        .query_async::<()>(con)
        .await
        .context("FLUSHDB on the demo database")?;

    let mut b = Batcher::new(con);
    let people: Vec<Person> = (1..=n_users as u64)
        .map(|id| fake::person(seed, id))
        .collect();
    let person_of = |id: u64| -> Person {
        match people.get(id as usize - 1) {
            Some(p) => p.clone(),
            None => fake::person(seed, id),
        }
    };

    // ---- fixed shapes --------------------------------------------------------
    // Sidekiq-like queues, schedule, retry, processes and counters.
    let jobs = (opts.keys / 200).clamp(10, 2_000);
    let mut default_q = cmd("RPUSH");
    default_q.arg("queue:default");
    let mut mailers_q = cmd("RPUSH");
    mailers_q.arg("queue:mailers");
    let mut schedule = cmd("ZADD");
    schedule.arg("schedule");
    let mut retry = cmd("ZADD");
    retry.arg("retry");
    for i in 0..jobs {
        let p = &people[f.rng.random_range(0..n_users)];
        let at = (now + f.rng.random_range(0..DAY)) as f64;
        let sms = json!({
            "class": "SmsJob", "queue": "default", "jid": f.hex(24), "retry": 5,
            "args": [p.phone.clone().unwrap_or_else(|| f.phone()),
                     format!("Bonjour {}, RDV demain à 10h30.", p.first_name)],
            "created_at": at, "enqueued_at": at,
        })
        .to_string();
        let mail = json!({
            "class": "ActionMailer::MailDeliveryJob", "queue": "mailers", "jid": f.hex(24),
            "args": ["Users::RdvMailer", "rdv_created", "deliver_now",
                     {"args": [{"email": p.email, "first_name": p.first_name, "last_name": p.last_name}]}],
            "created_at": at, "enqueued_at": at,
        })
        .to_string();
        default_q.arg(&sms);
        mailers_q.arg(&mail);
        if i % 2 == 0 {
            schedule.arg(at + 3_600.0).arg(&sms);
        } else {
            let failed = json!({
                "class": "WebhookJob", "queue": "webhooks", "jid": f.hex(24),
                "args": [format!("https://partenaire-{}.example.com/webhooks/rdv", i % 7),
                         {"user": {"email": p.email, "phone_number": p.phone, "address": p.address}}],
                "error_class": "Net::ReadTimeout", "error_message": "Net::ReadTimeout with #<TCPSocket:(closed)>",
                "retry_count": f.rng.random_range(0..25), "failed_at": at,
            })
            .to_string();
            retry.arg(at + 600.0).arg(failed);
        }
    }
    b.add(default_q, jobs * 200).await?;
    b.add(mailers_q, jobs * 300).await?;
    b.add(schedule, jobs * 100).await?;
    b.add(retry, jobs * 200).await?;
    counts.add("queue:default", 1);
    counts.add("queue:mailers", 1);
    counts.add("schedule", 1);
    counts.add("retry", 1);
    let mut procs = cmd("SADD");
    procs.arg("processes");
    for name in ["web.1", "web.2", "worker.1", "worker.2", "clock.1"] {
        procs.arg(format!(
            "{name}:{}:{}",
            f.rng.random_range(2..60),
            f.hex(12)
        ));
    }
    b.add(procs, 200).await?;
    counts.add("processes", 1);
    for (k, v) in [
        ("stat:processed", f.rng.random_range(1_000_000..9_000_000)),
        ("stat:failed", f.rng.random_range(1_000..90_000)),
    ] {
        let mut c = cmd("SET");
        c.arg(k).arg(v);
        b.add(c, 32).await?;
        counts.add(k, 1);
    }
    for org in 1..=n_orgs {
        let mut c = cmd("SET");
        c.arg(format!("counters:sms_sent:{org}"))
            .arg(f.rng.random_range(0..50_000));
        b.add(c, 40).await?;
        let mut c = cmd("SADD");
        c.arg(format!("agenda:{org}:busy"));
        for _ in 0..20 {
            let day = now + f.rng.random_range(0..14) * DAY + f.rng.random_range(16..36) * 1_800;
            let when = chrono::DateTime::from_timestamp(day, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default();
            c.arg(format!(
                "{when}/agent:{}",
                org + n_orgs * f.rng.random_range(0..4)
            ));
        }
        b.add(c, 600).await?;
        let mut c = cmd("EXPIRE");
        c.arg(format!("agenda:{org}:busy")).arg(DAY);
        b.add(c, 40).await?;
    }
    counts.add("counters:sms_sent:*", n_orgs as u64);
    counts.add("agenda:*:busy", n_orgs as u64);

    // Odd keys: names that break naive tools, and a few big values.
    let long_name = format!("cache:views/very/long/{}", "segment/".repeat(125));
    let odd: [(&[u8], &[u8]); 5] = [
        (
            b"cache:views/recherche/Lieux proches de 12 rue de la Paix",
            b"<ul><li>Maison France Services</li></ul>",
        ),
        ("café:é".as_bytes(), "crème brûlée".as_bytes()),
        (b"broken:key\nwith a newline", b"1"),
        (b"bin:\xff\x00:key", b"\x00\x01\x02\xff"),
        (long_name.as_bytes(), b"long"),
    ];
    for (k, v) in odd {
        let mut c = cmd("SET");
        c.arg(k).arg(v);
        b.add(c, k.len() + v.len()).await?;
    }
    counts.add(ODD_KEYS, 5);
    let big: String = (0..(1 << 20) / 64)
        .map(|i| format!("{:063}\n", i))
        .collect();
    let mut c = cmd("SET");
    c.arg("big:value").arg(&big);
    b.add(c, big.len()).await?;
    counts.add("big:value", 1);

    b.set_sequential(true).await?;
    for chunk in 0..50 {
        let mut c = cmd("HSET");
        c.arg("big:hash");
        for i in 0..1_000 {
            let id = chunk * 1_000 + i + 1;
            c.arg(format!("user:{id}")).arg(f.hex(16));
        }
        b.add(c, 30_000).await?;
    }
    counts.add("big:hash", 1);
    for chunk in 0..100 {
        let mut c = cmd("RPUSH");
        c.arg("big:list");
        for i in 0..1_000 {
            c.arg(format!(
                "{{\"event\":\"page_view\",\"n\":{}}}",
                chunk * 1_000 + i
            ));
        }
        b.add(c, 30_000).await?;
    }
    counts.add("big:list", 1);
    // Stream: explicit, increasing ids so the data is repeatable.
    let entries = (opts.keys / 10).clamp(200, 5_000) as i64;
    let first_ms = (now - DAY) * 1_000;
    for i in 0..entries {
        let mut c = cmd("XADD");
        let action = [
            "login",
            "rdv.create",
            "rdv.cancel",
            "profile.update",
            "export",
        ][f.rng.random_range(0..5)];
        c.arg("events:audit")
            .arg(format!("{}-0", first_ms + i * 10_000))
            .arg("user_id")
            .arg(f.rng.random_range(1..=n_users))
            .arg("ip")
            .arg(if f.chance(0.8) { f.ipv4() } else { f.ipv6() })
            .arg("action")
            .arg(action);
        b.add(c, 80).await?;
    }
    b.set_sequential(false).await?;
    counts.add("events:audit", 1);

    // ---- proportional shapes ----------------------------------------------
    let fixed: u64 = counts.0.iter().map(|(_, n)| n).sum();
    let budget = opts.keys.saturating_sub(fixed as usize);
    let share = |p: usize| budget * p / 1_000;
    let n_shape: Vec<usize> = SHARES.iter().map(|&(_, p)| share(p)).collect();
    let n_sessions = budget - n_shape.iter().sum::<usize>();

    // cache:views: rendered agenda fragments, half gzip-compressed; 60% TTL 1h
    for _ in 0..n_shape[0] {
        let org = f.rng.random_range(1..=n_orgs);
        let key = format!("cache:views/organisations/{org}/agenda/{}", f.hex(32));
        let p = &people[f.rng.random_range(0..n_users)];
        let html = format!(
            "<div class=\"rdv\"><h3>{} {}</h3><p>{}</p><p>Tél. {}</p><span>{}</span></div>",
            p.first_name,
            p.last_name,
            p.address.as_deref().unwrap_or(""),
            p.phone.as_deref().unwrap_or(""),
            "créneau libre ".repeat(f.rng.random_range(5..40))
        );
        let value = if f.chance(0.5) {
            gzip(html.as_bytes())?
        } else {
            html.into_bytes()
        };
        let mut c = cmd("SET");
        c.arg(&key).arg(&value);
        if f.chance(0.6) {
            c.arg("EX").arg(3_600);
        }
        b.add(c, key.len() + value.len()).await?;
    }
    counts.add(SHARES[0].0, n_shape[0] as u64);

    // cache:api-adresse:<address>: the address in the key name, TTL 30 days
    let mut seen = HashSet::new();
    for i in 0..n_shape[1] {
        let addr = unique(
            &mut seen,
            &mut f,
            |f| f.address(),
            |f| format!("{} appartement {i}", f.address()),
        );
        let value = json!({
            "label": addr, "score": 0.97, "type": "housenumber",
            "lat": 43.0 + f.rng.random_range(0.0..6.0), "lon": f.rng.random_range(-1.0..7.0),
        })
        .to_string();
        let mut c = cmd("SET");
        c.arg(format!("cache:api-adresse:{addr}"))
            .arg(&value)
            .arg("EX")
            .arg(30 * DAY);
        b.add(c, value.len() + 60).await?;
    }
    counts.add(SHARES[1].0, n_shape[1] as u64);

    // rack::attack counters, TTL 60 s
    let mut seen = HashSet::new();
    let minute = now / 60;
    for i in 0..n_shape[2] {
        let key = unique(
            &mut seen,
            &mut f,
            |f| {
                format!(
                    "rack::attack:{}:req/ip:{}",
                    minute - f.rng.random_range(0..2_000),
                    f.ipv4()
                )
            },
            |f| {
                format!(
                    "rack::attack:{}:req/ip:{}",
                    minute - 2_000 - i as i64,
                    f.ipv4()
                )
            },
        );
        let mut c = cmd("SET");
        c.arg(&key)
            .arg(f.rng.random_range(1..300))
            .arg("EX")
            .arg(60);
        b.add(c, key.len() + 8).await?;
    }
    counts.add(SHARES[2].0, n_shape[2] as u64);

    // rate_limit:<ip>, no TTL
    let mut seen = HashSet::new();
    for _ in 0..n_shape[3] {
        let ip = unique(
            &mut seen,
            &mut f,
            |f| {
                if f.chance(0.3) {
                    f.ipv4()
                } else {
                    f.ipv6()
                }
            },
            |f| f.ipv6(),
        );
        let mut c = cmd("SET");
        c.arg(format!("rate_limit:{ip}"))
            .arg(f.rng.random_range(1..50));
        b.add(c, 50).await?;
    }
    counts.add(SHARES[3].0, n_shape[3] as u64);

    // app:production:user_session_domain:<email>, no TTL
    let mut seen = HashSet::new();
    let mut id = 0u64;
    let mut written = 0;
    while written < n_shape[4] {
        id += 1;
        let Some(email) = person_of(id).email else {
            continue;
        };
        if !seen.insert(email.clone()) {
            continue;
        }
        let mut c = cmd("SET");
        c.arg(format!("app:production:user_session_domain:{email}"))
            .arg(if id.is_multiple_of(4) {
                "rdv-aide-numerique.fr"
            } else {
                "rdv-solidarites.fr"
            });
        b.add(c, 80).await?;
        written += 1;
    }
    counts.add(SHARES[4].0, n_shape[4] as u64);

    // otp:<phone digits>, TTL 10 min
    let mut seen = HashSet::new();
    for _ in 0..n_shape[5] {
        let digits = unique(
            &mut seen,
            &mut f,
            |f| {
                let ph = match &people[f.rng.random_range(0..n_users)].phone {
                    Some(p) => p.clone(),
                    None => f.phone(),
                };
                let d: String = ph.chars().filter(|c| c.is_ascii_digit()).collect();
                match d.strip_prefix("33") {
                    Some(rest) => format!("0{rest}"),
                    None => d,
                }
            },
            |f| format!("07{}", f.digits(8)),
        );
        let mut c = cmd("SET");
        c.arg(format!("otp:{digits}"))
            .arg(f.digits(6))
            .arg("EX")
            .arg(600);
        b.add(c, 30).await?;
    }
    counts.add(SHARES[5].0, n_shape[5] as u64);

    // exports:<uuid> hashes with CSV of people, TTL 8 days
    for _ in 0..n_shape[6] {
        let key = format!("exports:{}", f.uuid());
        let mut csv = String::from("id;prénom;nom;email;téléphone;adresse\n");
        for _ in 0..f.rng.random_range(3..20) {
            let id = f.rng.random_range(1..=n_users);
            let p = &people[id - 1];
            csv.push_str(&format!(
                "{id};{};{};{};{};{}\n",
                p.first_name,
                p.last_name,
                p.email.as_deref().unwrap_or(""),
                p.phone.as_deref().unwrap_or(""),
                p.address.as_deref().unwrap_or("")
            ));
        }
        let mut c = cmd("HSET");
        c.arg(&key)
            .arg("status")
            .arg(if f.chance(0.9) { "done" } else { "pending" })
            .arg("file_name")
            .arg(format!("export-rdv-{}.csv", f.hex(6)))
            .arg("content")
            .arg(&csv);
        b.add(c, csv.len() + 80).await?;
        let mut c = cmd("EXPIRE");
        c.arg(&key).arg(8 * DAY);
        b.add(c, 60).await?;
    }
    counts.add(SHARES[6].0, n_shape[6] as u64);

    // user:<id>:notifications lists, half with TTL 14 days, half none
    for id in 1..=n_shape[7] as u64 {
        let p = person_of(id);
        let key = format!("user:{id}:notifications");
        let mut c = cmd("RPUSH");
        c.arg(&key);
        for _ in 0..f.rng.random_range(1..6) {
            let kind = ["rdv_created", "rdv_updated", "rdv_cancelled"][f.rng.random_range(0..3)];
            c.arg(
                json!({
                    "kind": kind,
                    "to": p.email.as_ref().or(p.phone.as_ref()),
                    "text": format!("Bonjour {}, votre RDV est confirmé.", p.first_name),
                })
                .to_string(),
            );
        }
        b.add(c, 400).await?;
        if id % 2 == 0 {
            let mut c = cmd("EXPIRE");
            c.arg(&key).arg(14 * DAY);
            b.add(c, 40).await?;
        }
    }
    counts.add(SHARES[7].0, n_shape[7] as u64);

    // user:<id>:profile hashes, 70% without TTL
    for id in 1..=n_shape[8] as u64 {
        let p = person_of(id);
        let key = format!("user:{id}:profile");
        let mut c = cmd("HSET");
        c.arg(&key)
            .arg("first_name")
            .arg(&p.first_name)
            .arg("last_name")
            .arg(&p.last_name)
            .arg("email")
            .arg(p.email.as_deref().unwrap_or(""))
            .arg("phone")
            .arg(p.phone.as_deref().unwrap_or(""))
            .arg("address")
            .arg(p.address.as_deref().unwrap_or(""));
        b.add(c, 200).await?;
        if id % 10 < 3 {
            let mut c = cmd("EXPIRE");
            c.arg(&key).arg(DAY);
            b.add(c, 40).await?;
        }
    }
    counts.add(SHARES[8].0, n_shape[8] as u64);

    // rdv:sessions:<32 hex>, TTL 2 days (the rest of the budget)
    let mut seen = HashSet::new();
    for _ in 0..n_sessions {
        let token = unique(&mut seen, &mut f, |f| f.hex(32), |f| f.hex(32));
        let uid = f.rng.random_range(1..=n_users);
        let p = &people[uid - 1];
        let ip = if f.chance(0.85) { f.ipv4() } else { f.ipv6() };
        let value = json!({
            "user_id": uid, "email": p.email, "ip": ip,
            "csrf": f.hex(16), "agent_id": null,
        })
        .to_string();
        let mut c = cmd("SET");
        c.arg(format!("rdv:sessions:{token}"))
            .arg(&value)
            .arg("EX")
            .arg(2 * DAY);
        b.add(c, value.len() + 50).await?;
    }
    counts.add(SHARES[9].0, n_sessions as u64);

    b.barrier().await?;
    let items = counts.0;
    let total = items.iter().map(|(_, n)| n).sum();
    Ok(SeedReport {
        target: "redis",
        items,
        total,
        elapsed: started.elapsed(),
    })
}
