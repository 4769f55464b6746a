//! Throughput of the PII detector on a generated mixed corpus of realistic
//! text: JSON sessions, Rails-style log lines, French free text, ids and
//! hashes, with some personal data. One core (single thread).
//!
//! `cargo bench --bench pii` (release profile). Size with `OUBLI_BENCH_MB`
//! (default 32). `OUBLI_BENCH_DIGEST=1` also prints a digest of every
//! result; `OUBLI_BENCH_ONLY=scan_text` runs only the matching measures.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::time::Instant;

use oubli::pii::{keys, Detector};

/// A small deterministic generator (no dependency, same corpus every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    fn uuid(&mut self) -> String {
        let (a, b, c, d, e) = (
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12),
        );
        format!("{a}-{b}-{c}-{d}-{e}")
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }
}

const FIRST: &[&str] = &[
    "Camille", "Jean", "Marie", "Lucas", "Nathalie", "Thomas", "Inès", "Hugo",
];
const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Moreau", "Lefèvre", "Garcia", "Roux",
];
const WORDS: &[&str] = &[
    "le",
    "rendez-vous",
    "est",
    "confirmé",
    "pour",
    "demain",
    "matin",
    "merci",
    "de",
    "votre",
    "patience",
    "dossier",
    "complet",
    "agent",
    "service",
    "la",
    "demande",
    "sera",
    "traitée",
    "dans",
    "les",
    "meilleurs",
    "délais",
    "organisation",
    "créneau",
    "disponible",
    "semaine",
    "the",
    "request",
    "was",
    "processed",
    "successfully",
    "and",
    "queued",
    "for",
    "delivery",
];

/// Pieces for the digest's generated strings (see `OUBLI_BENCH_DIGEST`).
const PIECES: &[&str] = &[
    "06 12 34 56 78",
    "+33 6",
    "jane@x.fr",
    "203.0.113.7",
    "2001:db8::1",
    "FR76 3000",
    "FR76 3000 6000 0112 3456 7890 189",
    "12 rue de la Paix 75002 Paris",
    "2A",
    "2B",
    "Bonjour Camille",
    "M. Dupont",
    "Jean Dupont",
    "DUPONT Jean",
    "$2b$12$",
    "{\"email\":",
    "é",
    "É",
    ":",
    "/",
    " ",
    ".",
    "-",
    "0",
    "1",
    "9",
    "12",
    "2024-01-15",
    "15/01/1985",
    "née le ",
    "naissance ",
    "4970 1000 0000 0063",
    "732 829 320 00074",
    "732829320",
    "1 85 05 78 006 084 91",
    "Bearer abcdefghijklmnop1234",
    "eyJhbGciOiJIUzI1NiJ9.",
    "ghp_",
    "AKIA",
    "x",
    "Lyon",
    "bis",
    "avenue",
    "l'Église",
    "v1.2.3.4",
    "version ",
    "Tél : ",
    "commande n° ",
    "::",
    "ffff",
    "@",
    "abc",
    "ABCD",
    "\n",
    "\"",
    ",",
    "rue",
    "camille.martin",
    "Marie-Claire",
    "CEDEX",
    "69001",
];
const CONTEXTS: &[&str] = &[
    "notes",
    "email",
    "phone",
    "tel",
    "first_name",
    "nom",
    "order_id",
    "version",
    "adresse",
    "date_naissance",
    "password",
    "user_id",
    "lat",
    "name",
    "organisation_name",
    "ip",
    "iban",
    "nir",
    "siret",
    "cb",
    "id",
    "prénom",
    "phoneNumber",
    "context",
];

fn doc(r: &mut Lcg) -> String {
    let first = r.pick(FIRST);
    let last = r.pick(LAST);
    match r.next() % 6 {
        0 => format!(
            r#"{{"session_id":"{}","user_id":{},"csrf":"{}","flash":{{"notice":"Connexion réussie"}},"last_seen":"2024-01-{:02}T10:{:02}:00Z","locale":"fr","return_to":"/organisations/{}/agenda?page={}","warden.user.agent.key":[[{}],"$2a$10${}"]}}"#,
            r.hex(32), r.next() % 100000, r.hex(44), r.next() % 28 + 1, r.next() % 60,
            r.next() % 500, r.next() % 9, r.next() % 9000, r.hex(22)
        ),
        1 => format!(
            "I, [2024-01-15T10:23:{:02}.{} #{}]  INFO -- : [{}] Completed 200 OK in {}ms (Views: {}.{}ms | ActiveRecord: {}.{}ms | Allocations: {})\n",
            r.next() % 60, r.digits(6), r.next() % 30000, r.uuid(),
            r.next() % 900, r.next() % 100, r.next() % 10, r.next() % 50, r.next() % 10, r.next() % 90000
        ),
        2 => {
            let n = 20 + (r.next() % 60) as usize;
            let mut s: String = (0..n).map(|_| r.pick(WORDS)).collect::<Vec<_>>().join(" ");
            if r.next().is_multiple_of(4) {
                s.push_str(&format!(" Bonjour {first}, rappelez le 06 {} {} {} {}.", r.digits(2), r.digits(2), r.digits(2), r.digits(2)));
            }
            s
        }
        3 => format!(
            "{} - - [15/Jan/2024:10:23:{:02} +0100] \"GET /api/v1/users/{}/appointments?page={} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\"\n",
            format_args!("{}.{}.{}.{}", 80 + r.next() % 100, r.next() % 256, r.next() % 256, r.next() % 256),
            r.next() % 60, r.next() % 100000, r.next() % 10, r.next() % 90000
        ),
        4 => format!(
            r#"{{"id":{},"first_name":"{first}","last_name":"{last}","email":"{}.{}@example.fr","phone_number":"+33 6 {} {} {} {}","address":"{} rue de la République {} Lyon","created_at":"2023-{:02}-{:02}","notes":"Préfère être contacté{} le matin, dossier {} en attente."}}"#,
            r.next() % 100000, first.to_lowercase(), last.to_lowercase(), r.digits(2), r.digits(2),
            r.digits(2), r.digits(2), r.next() % 200 + 1, 69001 + r.next() % 9, r.next() % 12 + 1,
            r.next() % 28 + 1, if r.next().is_multiple_of(2) { "e" } else { "" }, r.digits(8)
        ),
        _ => format!(
            "sha256={} md5={} build=2024.{}.{} version=v{}.{}.{} job_id={} queue=default uuid={}-{}-{}-{}-{}\n",
            r.hex(64), r.hex(32), r.next() % 12, r.next() % 28, r.next() % 9, r.next() % 20,
            r.next() % 50, r.hex(24), r.hex(8), r.hex(4), r.hex(4), r.hex(4), r.hex(12)
        ),
    }
}

fn key(r: &mut Lcg) -> String {
    match r.next() % 6 {
        0 => format!(
            "app:production:user_session_domain:{}{}@example.fr",
            r.pick(FIRST).to_lowercase(),
            r.next() % 1000
        ),
        1 => format!(
            "rack::attack:{}:req/ip:203.0.{}.{}",
            r.digits(8),
            r.next() % 256,
            r.next() % 256
        ),
        2 => format!("rdv:sessions:{}", r.hex(32)),
        3 => format!(
            "cache:views/organisations/{}/agenda/{}",
            r.next() % 500,
            r.hex(32)
        ),
        4 => format!(
            "exports:{}-{}-{}-{}-{}",
            r.hex(8),
            r.hex(4),
            r.hex(4),
            r.hex(4),
            r.hex(12)
        ),
        _ => format!("user:{}:notifications", r.next() % 100000),
    }
}

fn measure<F: FnMut() -> usize>(label: &str, bytes: usize, rounds: usize, mut f: F) -> f64 {
    // `OUBLI_BENCH_ONLY=scan_text`: only the measures whose label contains it
    // (to profile one of them).
    if let Ok(only) = std::env::var("OUBLI_BENCH_ONLY") {
        if !label.contains(only.as_str()) {
            return 0.0;
        }
    }
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        found = black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mbs = bytes as f64 / 1e6 / best;
    println!(
        "{label:<34} {:>7.1} MB in {:>6.3} s  = {:>7.1} MB/s  ({found} hits, best of {rounds})",
        bytes as f64 / 1e6,
        best,
        mbs
    );
    mbs
}

fn main() {
    let mb: usize = std::env::var("OUBLI_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let mut r = Lcg(0x5eed);
    let mut docs = Vec::new();
    let mut total = 0;
    while total < mb << 20 {
        let d = doc(&mut r);
        total += d.len();
        docs.push(d);
    }
    let keys_: Vec<String> = (0..200_000).map(|_| key(&mut r)).collect();
    let key_bytes: usize = keys_.iter().map(String::len).sum();
    let det = Detector::global();
    det.scan_text("warm up 06 12 34 56 78", None);
    // A digest of every result (outside the timings): an optimisation that
    // changes no output leaves it unchanged.
    if std::env::var_os("OUBLI_BENCH_DIGEST").is_some_and(|v| !v.is_empty()) {
        let mut h = DefaultHasher::new();
        for d in &docs {
            format!("{:?}", det.scan_text(d, None)).hash(&mut h);
            format!("{:?}", det.scan_value(d.as_bytes(), None)).hash(&mut h);
        }
        for k in &keys_ {
            keys::pattern(k.as_bytes(), b":").hash(&mut h);
            format!("{:?}", keys::key_hits(k.as_bytes(), b":")).hash(&mut h);
        }
        // The labelled corpus with its contexts, and generated strings made
        // of the pieces detection cares about, under many field names.
        let corpus = include_str!("../tests/fixtures/pii/corpus.tsv");
        for line in corpus.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, '\t');
            let (_, ctx, text) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
            let ctx = ctx.filter(|c| *c != "-");
            format!("{:?}", det.scan_text(text, ctx)).hash(&mut h);
            format!("{:?}", det.scan_value(text.as_bytes(), ctx)).hash(&mut h);
        }
        let mut g = Lcg(42);
        for _ in 0..200_000 {
            let n = g.next() % 8;
            let s: String = (0..n).map(|_| g.pick(PIECES)).collect();
            let ctx = match g.next() % 3 {
                0 => None,
                _ => Some(g.pick(CONTEXTS)),
            };
            format!("{:?}", det.scan_text(&s, ctx)).hash(&mut h);
            keys::pattern(s.as_bytes(), b":").hash(&mut h);
            format!("{:?}", keys::key_hits(s.as_bytes(), b":/")).hash(&mut h);
        }
        println!("digest of all results: {:016x}", h.finish());
    }
    println!("corpus: {} documents, {:.1} MB (JSON sessions and users, Rails and access logs, French free text, hashes and ids)", docs.len(), total as f64 / 1e6);
    measure("scan_text (no context)", total, 3, || {
        docs.iter().map(|d| det.scan_text(d, None).len()).sum()
    });
    measure("scan_value (JSON decoded)", total, 3, || {
        docs.iter()
            .map(|d| det.scan_value(d.as_bytes(), None).hits.len())
            .sum()
    });
    measure("keys::pattern (200k keys)", key_bytes, 3, || {
        keys_
            .iter()
            .map(|k| keys::pattern(k.as_bytes(), b":").len())
            .sum()
    });
    measure("keys::key_hits (200k keys)", key_bytes, 3, || {
        keys_
            .iter()
            .map(|k| keys::key_hits(k.as_bytes(), b":").len())
            .sum()
    });
}
