//! Postgres half of the demo seeder: eight tables loaded with `COPY`.

use std::io::Cursor;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures::SinkExt as _;
use rand::Rng;
use serde_json::json;
use tokio_postgres::{Client, Transaction};

use super::fake::{self, Fake, Person};
use super::{ages, anchor, SeedOptions, SeedReport, DAY};

/// The demo tables, parents first. [`seed_postgres`] drops and recreates
/// exactly these, and nothing else.
pub const TABLES: [&str; 8] = [
    "organisations",
    "agents",
    "users",
    "appointments",
    "participations",
    "receipts",
    "webhook_endpoints",
    "versions",
];

const SCHEMA: &str = r#"
CREATE TABLE organisations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    departement text,
    created_at timestamptz NOT NULL
);
CREATE TABLE agents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations,
    first_name text,
    last_name text,
    email text NOT NULL,
    phone_number text,
    created_at timestamptz
);
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_name text,
    last_name text,
    birth_name text,
    email text,
    phone_number text,
    address text,
    birth_date date,
    notes text,
    responsible_id bigint REFERENCES users (id),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE appointments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations,
    agent_id bigint REFERENCES agents,
    starts_at timestamptz NOT NULL,
    status text NOT NULL,
    context text,
    created_at timestamptz NOT NULL
);
CREATE TABLE participations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users,
    appointment_id bigint NOT NULL REFERENCES appointments,
    status text,
    created_at timestamptz
);
CREATE TABLE receipts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint REFERENCES users,
    appointment_id bigint REFERENCES appointments,
    channel text NOT NULL,
    recipient text NOT NULL,
    content text,
    result text,
    sent_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE webhook_endpoints (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint REFERENCES organisations,
    target_url text NOT NULL,
    secret text,
    subscriptions text[],
    created_at timestamptz
);
CREATE TABLE versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_type text NOT NULL,
    item_id bigint NOT NULL,
    event text NOT NULL,
    whodunnit text,
    object jsonb,
    created_at timestamptz NOT NULL
);
"#;

/// Built after the load (faster than maintaining them row by row). Every
/// foreign key is indexed except `receipts.appointment_id`, on purpose: a
/// later check must flag it (erasing an appointment scans all receipts).
const INDEXES: &str = r#"
CREATE INDEX agents_organisation_id_idx ON agents (organisation_id);
CREATE INDEX users_responsible_id_idx ON users (responsible_id);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_phone_number_idx ON users (phone_number);
CREATE INDEX appointments_organisation_id_idx ON appointments (organisation_id);
CREATE INDEX appointments_agent_id_idx ON appointments (agent_id);
CREATE INDEX participations_user_id_idx ON participations (user_id);
CREATE INDEX participations_appointment_id_idx ON participations (appointment_id);
CREATE INDEX receipts_user_id_idx ON receipts (user_id);
CREATE INDEX webhook_endpoints_organisation_id_idx ON webhook_endpoints (organisation_id);
CREATE INDEX versions_item_type_item_id_idx ON versions (item_type, item_id);
"#;

/// Rows of one table in `COPY … FROM STDIN` text format.
struct CopyText {
    buf: String,
    at_start: bool,
    rows: u64,
}

impl CopyText {
    fn new() -> Self {
        CopyText {
            buf: String::with_capacity(1 << 20),
            at_start: true,
            rows: 0,
        }
    }

    fn sep(&mut self) {
        if !self.at_start {
            self.buf.push('\t');
        }
        self.at_start = false;
    }

    fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.push_str("\\N"),
            Some(s) => {
                for c in s.chars() {
                    match c {
                        '\\' => self.buf.push_str("\\\\"),
                        '\n' => self.buf.push_str("\\n"),
                        '\r' => self.buf.push_str("\\r"),
                        '\t' => self.buf.push_str("\\t"),
                        c => self.buf.push(c),
                    }
                }
            }
        }
        self
    }

    fn s(&mut self, v: &str) -> &mut Self {
        self.text(Some(v))
    }

    fn int(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            Some(n) => self.text(Some(&n.to_string())),
            None => self.text(None),
        }
    }

    fn ts(&mut self, t: DateTime<Utc>) -> &mut Self {
        let s = t.format("%Y-%m-%d %H:%M:%S+00").to_string();
        self.text(Some(&s))
    }

    fn end(&mut self) {
        self.buf.push('\n');
        self.at_start = true;
        self.rows += 1;
    }
}

async fn copy_in(
    tx: &Transaction<'_>,
    table: &str,
    columns: &str,
    data: CopyText,
) -> anyhow::Result<u64> {
    let stmt = format!("COPY {table} ({columns}) FROM STDIN");
    let sink = tx
        .copy_in::<_, Cursor<Vec<u8>>>(&stmt)
        .await
        .with_context(|| format!("starting COPY into {table}"))?;
    futures::pin_mut!(sink);
    for chunk in data.buf.as_bytes().chunks(1 << 20) {
        sink.send(Cursor::new(chunk.to_vec()))
            .await
            .with_context(|| format!("sending COPY data for {table}"))?;
    }
    let n = sink
        .finish()
        .await
        .with_context(|| format!("finishing COPY into {table}"))?;
    anyhow::ensure!(
        n == data.rows,
        "COPY into {table} wrote {n} rows, expected {}",
        data.rows
    );
    Ok(n)
}

/// Number of leading entries of `ages` (sorted oldest first) at least `age` old.
fn at_least_as_old(ages: &[i64], age: i64) -> usize {
    ages.partition_point(|&a| a >= age)
}

/// Seeds the demo schema. It **drops and recreates** the tables in [`TABLES`]
/// (and only those; no `CASCADE`, so a foreign object depending on them makes
/// it fail rather than vanish), all in one transaction: on error nothing
/// changes. Point it at a throwaway database.
pub async fn seed_postgres(client: &mut Client, opts: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let now = anchor();
    let at = |age_secs: i64| now - ChronoDuration::seconds(age_secs);
    let seed = opts.seed;
    let n_users = opts.users.max(1);
    let n_orgs = (n_users / 100).max(5);
    let n_agents = (n_users / 10).max(n_orgs);
    let n_appts = 2 * n_users;
    let n_receipts = 3 * n_users;
    let n_versions = 4 * n_users;

    // organisations
    let mut f = Fake::new(fake::mix(seed, 10, 0));
    let mut orgs = CopyText::new();
    let mut org_names = Vec::with_capacity(n_orgs);
    for i in 0..n_orgs {
        let kind = f.pick(fake::ORG_KINDS);
        let (_, _, city, dep) = f.address_parts();
        let name = format!("{kind} {city} {}", i + 1);
        let age = f
            .rng
            .random_range((3 * 365 + 10) * DAY..(3 * 365 + 200) * DAY);
        orgs.int(Some(i as u64 + 1))
            .s(&name)
            .s(dep)
            .ts(at(age))
            .end();
        org_names.push(name);
    }

    // agents: agent i (0-based) works in organisation i % n_orgs
    let mut f = Fake::new(fake::mix(seed, 11, 0));
    let mut agents = CopyText::new();
    let mut agent_names = Vec::with_capacity(n_agents);
    for i in 0..n_agents {
        let female = f.chance(0.6);
        let first = f.first_name(female);
        let last = f.last_name();
        let email = {
            let local = f.email(first, last, 0);
            let local = local.split('@').next().unwrap_or("agent");
            format!(
                "{local}.{}@{}.example.fr",
                i + 1,
                ["cd", "ccas", "mfs"][i % 3]
            )
        };
        let phone = f.chance(0.6).then(|| f.phone());
        let age = f.rng.random_range(DAY..3 * 365 * DAY);
        agents
            .int(Some(i as u64 + 1))
            .int(Some((i % n_orgs) as u64 + 1))
            .s(first)
            .s(last)
            .s(&email)
            .text(phone.as_deref())
            .ts(at(age))
            .end();
        agent_names.push(format!("{first} {last}"));
    }

    // users
    let mut f = Fake::new(fake::mix(seed, 12, 0));
    let user_ages = ages(&mut f, n_users);
    let mut users = CopyText::new();
    let mut people: Vec<Person> = Vec::with_capacity(n_users);
    for (i, &age) in user_ages.iter().enumerate() {
        let id = i as u64 + 1;
        let p = fake::person(seed, id);
        let responsible = (id > 1 && f.chance(0.15)).then(|| f.rng.random_range(1..id));
        let updated = f.rng.random_range(0..=age);
        let (y, m, d) = p.birth_date;
        let birth = format!("{y:04}-{m:02}-{d:02}");
        users
            .int(Some(id))
            .s(&p.first_name)
            .s(&p.last_name)
            .text(p.birth_name.as_deref())
            .text(p.email.as_deref())
            .text(p.phone.as_deref())
            .text(p.address.as_deref())
            .s(&birth)
            .text(p.notes.as_deref())
            .int(responsible)
            .ts(at(age))
            .ts(at(updated))
            .end();
        people.push(p);
    }

    // appointments and participations
    let mut f = Fake::new(fake::mix(seed, 13, 0));
    let appt_ages = ages(&mut f, n_appts);
    let mut appts = CopyText::new();
    let mut parts = CopyText::new();
    // (user index, appointment index) per participation, in appointment order
    let mut part_links: Vec<(usize, usize)> = Vec::with_capacity(n_appts * 3 / 2);
    let mut appt_org: Vec<usize> = Vec::with_capacity(n_appts);
    for (j, &age) in appt_ages.iter().enumerate() {
        let org = f.rng.random_range(0..n_orgs);
        let per_org = (n_agents - org).div_ceil(n_orgs);
        let agent = f
            .chance(0.9)
            .then(|| (org + n_orgs * f.rng.random_range(0..per_org)) as u64 + 1);
        let starts_age = age - f.rng.random_range(DAY..45 * DAY);
        let status = if starts_age < 0 {
            "unknown"
        } else {
            [
                "seen", "seen", "seen", "seen", "noshow", "excused", "revoked",
            ][f.rng.random_range(0..7)]
        };
        let eligible = at_least_as_old(&user_ages, age).max(1);
        let n_part = if f.chance(0.5) { 2 } else { 1 };
        let mut first_user = None;
        for _ in 0..n_part {
            let u = f.rng.random_range(0..eligible);
            if first_user == Some(u) {
                continue;
            }
            first_user.get_or_insert(u);
            parts
                .int(Some(parts.rows + 1))
                .int(Some(u as u64 + 1))
                .int(Some(j as u64 + 1))
                .s(status)
                .ts(at(age))
                .end();
            part_links.push((u, j));
        }
        let context = match first_user {
            Some(u) => f.context(&people[u]),
            None => None,
        };
        appts
            .int(Some(j as u64 + 1))
            .int(Some(org as u64 + 1))
            .int(agent)
            .ts(at(starts_age))
            .s(status)
            .text(context.as_deref())
            .ts(at(age))
            .end();
        appt_org.push(org);
    }

    // receipts: one for a participation at least as old as the receipt
    let mut f = Fake::new(fake::mix(seed, 14, 0));
    let receipt_ages = ages(&mut f, n_receipts);
    let mut receipts = CopyText::new();
    for (r, &age) in receipt_ages.iter().enumerate() {
        let eligible_appts = at_least_as_old(&appt_ages, age);
        let eligible = part_links
            .partition_point(|&(_, j)| j < eligible_appts)
            .max(1);
        let (u, j) = part_links[f.rng.random_range(0..eligible)];
        let p = &people[u];
        let sms = match (&p.email, &p.phone) {
            (Some(_), Some(_)) => f.chance(0.5),
            (None, _) => true,
            (Some(_), None) => false,
        };
        let (channel, recipient) = if sms {
            ("sms", p.phone.clone().unwrap_or_default())
        } else {
            ("mail", p.email.clone().unwrap_or_default())
        };
        let when = at(appt_ages[j] - DAY).format("%d/%m/%Y à %Hh%M");
        let org = &org_names[appt_org[j]];
        let content = if sms {
            format!(
                "RDV le {when} - {org}. Pour annuler : https://rdv.example.fr/r/{}",
                f.hex(8)
            )
        } else {
            format!(
                "Bonjour {} {},\nvotre rendez-vous du {when} ({org}) est confirmé.\nAdresse : {}",
                p.first_name,
                p.last_name,
                p.address.as_deref().unwrap_or("voir la convocation")
            )
        };
        let result = [
            "delivered",
            "delivered",
            "delivered",
            "delivered",
            "sent",
            "failed",
        ][f.rng.random_range(0..6)];
        let appt_id = (!f.chance(0.05)).then_some(j as u64 + 1);
        receipts
            .int(Some(r as u64 + 1))
            .int(Some(u as u64 + 1))
            .int(appt_id)
            .s(channel)
            .s(&recipient)
            .s(&content)
            .s(result)
            .ts(at(age))
            .ts(at(age))
            .end();
    }

    // webhook endpoints: every third organisation has a partner
    let mut f = Fake::new(fake::mix(seed, 15, 0));
    let mut hooks = CopyText::new();
    for o in (0..n_orgs).step_by(3) {
        let subs = ["{rdv,absence,plage_ouverture}", "{rdv}", "{rdv,user}"][o % 3];
        let url = format!(
            "https://partenaire-{}.example.com/webhooks/rdv?token={}",
            o + 1,
            f.hex(12)
        );
        hooks
            .int(Some(hooks.rows + 1))
            .int(Some(o as u64 + 1))
            .s(&url)
            .s(&f.hex(40))
            .s(subs)
            .ts(at(f.rng.random_range(DAY..700 * DAY)))
            .end();
    }

    // versions (paper_trail-like): snapshots full of personal data, some of
    // users that no longer exist.
    let mut f = Fake::new(fake::mix(seed, 16, 0));
    let version_ages = ages(&mut f, n_versions);
    let mut versions = CopyText::new();
    for (v, &age) in version_ages.iter().enumerate() {
        let roll = f.rng.random_range(0..100);
        let whodunnit = match f.rng.random_range(0..3) {
            0 => None,
            1 => Some(format!(
                "[Agent] {}",
                agent_names[f.rng.random_range(0..n_agents)]
            )),
            _ => Some(format!("{}", f.rng.random_range(1..=n_users))),
        };
        let (item_type, item_id, event, object) = if roll < 60 {
            let deleted = f.chance(0.03);
            let (id, event, p) = if deleted {
                // a user erased since: only the versions remember them
                let id = (n_users + 1 + f.rng.random_range(0..n_users.max(10))) as u64;
                (id, "destroy", fake::person(seed, id))
            } else {
                let eligible = at_least_as_old(&user_ages, age).max(1);
                let u = f.rng.random_range(0..eligible);
                let event = if f.chance(0.3) { "create" } else { "update" };
                (u as u64 + 1, event, people[u].clone())
            };
            let obj = json!({
                "id": id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "birth_name": p.birth_name,
                "email": p.email,
                "phone_number": p.phone,
                "address": p.address,
                "notes": p.notes,
            });
            ("User", id, event, obj)
        } else if roll < 90 {
            let eligible = at_least_as_old(&appt_ages, age).max(1);
            let j = f.rng.random_range(0..eligible);
            let who = f.rng.random_range(0..n_users);
            let context = f.context(&people[who]);
            let obj = json!({
                "id": j + 1,
                "organisation_id": appt_org[j] + 1,
                "starts_at": at(appt_ages[j] - DAY).to_rfc3339(),
                "context": context,
            });
            ("Appointment", j as u64 + 1, "update", obj)
        } else {
            let a = f.rng.random_range(0..n_agents);
            let obj = json!({ "id": a + 1, "name": agent_names[a] });
            ("Agent", a as u64 + 1, "update", obj)
        };
        let object = serde_json::to_string(&object).context("serialising a version")?;
        versions
            .int(Some(v as u64 + 1))
            .s(item_type)
            .int(Some(item_id))
            .s(event)
            .text(whodunnit.as_deref())
            .s(&object)
            .ts(at(age))
            .end();
    }

    let tx = client
        .transaction()
        .await
        .context("starting the seeding transaction")?;
    let drop = format!(
        "DROP TABLE IF EXISTS {}",
        TABLES.iter().rev().copied().collect::<Vec<_>>().join(", ")
    );
    tx.batch_execute(&drop)
        .await
        .context("dropping the demo tables")?;
    tx.batch_execute(SCHEMA)
        .await
        .context("creating the demo tables")?;

    let loads = [
        ("organisations", "id, name, departement, created_at", orgs),
        (
            "agents",
            "id, organisation_id, first_name, last_name, email, phone_number, created_at",
            agents,
        ),
        (
            "users",
            "id, first_name, last_name, birth_name, email, phone_number, address, birth_date, \
             notes, responsible_id, created_at, updated_at",
            users,
        ),
        (
            "appointments",
            "id, organisation_id, agent_id, starts_at, status, context, created_at",
            appts,
        ),
        (
            "participations",
            "id, user_id, appointment_id, status, created_at",
            parts,
        ),
        (
            "receipts",
            "id, user_id, appointment_id, channel, recipient, content, result, sent_at, created_at",
            receipts,
        ),
        (
            "webhook_endpoints",
            "id, organisation_id, target_url, secret, subscriptions, created_at",
            hooks,
        ),
        (
            "versions",
            "id, item_type, item_id, event, whodunnit, object, created_at",
            versions,
        ),
    ];
    let mut items = Vec::with_capacity(loads.len());
    for (table, columns, data) in loads {
        let n = copy_in(&tx, table, columns, data).await?;
        if n > 0 {
            // COPY wrote explicit ids: move the identity past them.
            tx.execute(
                "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)",
                &[&table, &(n as i64)],
            )
            .await
            .with_context(|| format!("moving the id sequence of {table}"))?;
        }
        items.push((table.to_string(), n));
    }
    tx.batch_execute(INDEXES)
        .await
        .context("creating the demo indexes")?;
    tx.batch_execute(&format!("ANALYZE {}", TABLES.join(", ")))
        .await
        .context("analysing the demo tables")?;
    tx.commit()
        .await
        .context("committing the seeding transaction")?;

    let total = items.iter().map(|(_, n)| n).sum();
    Ok(SeedReport {
        target: "postgres",
        items,
        total,
        elapsed: started.elapsed(),
    })
}
