//! The audit trail: every kind of tampering `audit verify` must name (one
//! test each), an untouched trail that passes, private files, no identifier
//! anywhere in what is written, concurrent writers, the command line, and
//! the Postgres anchor on a real server.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use oubli::audit::{
    self, leaf_hash, Anchor, Anchoring, AuditConfig, BreakKind, Digest, Event, Kind, Outcome,
    PgAnchor, Store, Trail, Verdict,
};

use common::TestPg;

/// A trail in a temporary directory, its keys in another.
struct Fixture {
    _tmp: tempfile::TempDir,
    cfg: AuditConfig,
    keys: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keys = tmp.path().join("keys");
    let cfg = AuditConfig::in_dirs(&tmp.path().join("audit"), &keys);
    cfg.prepare().expect("audit init");
    Fixture {
        _tmp: tmp,
        cfg,
        keys,
    }
}

const EMAIL: &str = "Jane.Doe@Example.org";
const PHONE: &str = "06 12 34 56 78";

fn event(trail: &Trail, i: u64) -> Event {
    let subject = if i.is_multiple_of(2) {
        trail.subject("email", EMAIL)
    } else {
        trail.subject("phone", PHONE)
    };
    Event::new(
        if i.is_multiple_of(3) {
            Kind::Export
        } else {
            Kind::Lookup
        },
        Outcome::Ok,
    )
    .ticket(format!("RGPD-{}", 100 + i % 2))
    .article(15)
    .subject(subject)
    .target("users")
    .count("pg", i)
    .count("redis", 2 * i)
}

/// One command per size: that many entries, then a checkpoint.
async fn commands(trail: &mut Trail, sizes: &[u64]) -> Vec<audit::Sealed> {
    let mut seals = Vec::new();
    let mut i = 0;
    for &n in sizes {
        for _ in 0..n {
            i += 1;
            trail.append(&event(trail, i)).expect("append");
        }
        seals.push(trail.checkpoint().await.expect("checkpoint"));
    }
    seals
}

/// The usual trail: 7 entries in three commands (checkpoints at 2, 5, 7).
async fn written() -> Fixture {
    let f = fixture();
    let mut trail = Trail::open(&f.cfg).expect("open");
    commands(&mut trail, &[2, 3, 2]).await;
    f
}

fn trail_lines(f: &Fixture) -> Vec<String> {
    read_lines(&f.cfg.trail_path())
}

fn read_lines(p: &Path) -> Vec<String> {
    fs::read_to_string(p)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(p: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    fs::write(p, text).expect("tamper");
}

async fn verdict_with(f: &Fixture, anchors: Vec<Anchor>) -> Verdict {
    let key = f.cfg.load_public_key().expect("public key");
    let ev = audit::gather(&f.cfg, None, anchors).await.expect("gather");
    audit::verify(&ev, &key, &f.cfg.origin)
}

async fn verdict(f: &Fixture) -> Verdict {
    verdict_with(f, Vec::new()).await
}

/// The first break, which must exist.
async fn broken(f: &Fixture) -> audit::Break {
    let v = verdict(f).await;
    assert!(!v.ok, "tampering not detected: {v:?}");
    v.first_break.expect("a break")
}

#[tokio::test]
async fn an_untouched_trail_verifies() {
    let f = written().await;
    let v = verdict(&f).await;
    assert!(v.ok, "{:?}", v.first_break);
    assert_eq!((v.entries, v.checkpoints), (7, 3));
    let latest = v.latest.expect("latest checkpoint");
    assert_eq!(latest.size, 7);
    let leaves: Vec<Digest> = trail_lines(&f)
        .iter()
        .map(|l| leaf_hash(l.as_bytes()))
        .collect();
    assert_eq!(latest.root, audit::root(&leaves));
    // Each line carries the previous leaf, from zeros.
    let prevs: Vec<String> = trail_lines(&f)
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["prev"].to_string())
        .collect();
    assert_eq!(prevs[0], format!("\"{}\"", Digest::ZERO.hex()));
    assert_eq!(prevs[1], format!("\"{}\"", leaves[0].hex()));
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    assert!(lines[2].contains("\"pg\":3"));
    lines[2] = lines[2].replace("\"pg\":3", "\"pg\":0");
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!(
        (b.kind, b.seq, b.line),
        (BreakKind::EntryAltered, Some(3), Some(3))
    );
    assert_eq!(b.message, "entry 3 altered (line 3 of trail.jsonl)");
}

#[tokio::test]
async fn an_edited_last_entry_is_named_by_its_checkpoint() {
    // No successor points to the last entry: its checkpoint does. When that
    // command wrote one entry, the entry is named; when it wrote more, the
    // edit cannot be told from a rewrite of the command's entries.
    let f = fixture();
    let mut trail = Trail::open(&f.cfg).expect("open");
    commands(&mut trail, &[2, 3, 1]).await;
    let mut lines = trail_lines(&f);
    lines[5] = lines[5].replace("\"outcome\":\"ok\"", "\"outcome\":\"refused\"");
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!(
        (b.kind, b.seq, b.line),
        (BreakKind::EntryAltered, Some(6), Some(6))
    );

    let f = written().await;
    let mut lines = trail_lines(&f);
    lines[6] = lines[6].replace("\"outcome\":\"ok\"", "\"outcome\":\"refused\"");
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.seq), (BreakKind::Rewritten, Some(6)));
    assert!(b.message.contains("entries 6..=7"), "{}", b.message);
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    lines.remove(3);
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!(
        (b.kind, b.seq, b.line),
        (BreakKind::EntryRemoved, Some(4), Some(4))
    );
}

#[tokio::test]
async fn two_swapped_entries_are_named() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    lines.swap(2, 3);
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!(
        (b.kind, b.seq, b.line),
        (BreakKind::EntriesReordered, Some(4), Some(3))
    );
}

#[tokio::test]
async fn an_inserted_entry_is_named() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    // A forger who knows the format: a plausible entry 4 chained onto 3.
    let mut forged: serde_json::Value = serde_json::from_str(&lines[3]).expect("json");
    forged["ticket"] = "RGPD-999".into();
    forged["prev"] = leaf_hash(lines[2].as_bytes()).hex().into();
    lines.insert(3, forged.to_string());
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.line), (BreakKind::EntryInserted, Some(4)));
}

#[tokio::test]
async fn a_truncated_tail_is_caught_by_the_checkpoint() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    lines.truncate(5);
    write_lines(&f.cfg.trail_path(), &lines);
    let b = broken(&f).await;
    assert_eq!(b.kind, BreakKind::TailTruncated);
    assert!(
        b.message.contains("the trail has 5 entries"),
        "{}",
        b.message
    );
}

#[tokio::test]
async fn a_truncated_head_is_named() {
    let f = written().await;
    let lines = trail_lines(&f);
    write_lines(&f.cfg.trail_path(), &lines[2..]);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.seq), (BreakKind::HeadTruncated, Some(1)));
}

/// Rebuild the chain over altered entries, every `prev` recomputed.
fn rechain(lines: &[String], alter: impl Fn(&mut serde_json::Value)) -> Vec<String> {
    let mut prev = Digest::ZERO;
    lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json");
            alter(&mut v);
            v["prev"] = prev.hex().into();
            let s = v.to_string();
            prev = leaf_hash(s.as_bytes());
            s
        })
        .collect()
}

#[tokio::test]
async fn a_rewritten_chain_under_the_old_checkpoints_is_caught() {
    let f = written().await;
    let lines = trail_lines(&f);
    // Entry 2 removed and the rest renumbered and re-chained: a fresh,
    // internally sound chain.
    let mut kept = lines.clone();
    kept.remove(1);
    let seq = std::cell::Cell::new(0);
    let fresh = rechain(&kept, |v| {
        seq.set(seq.get() + 1);
        v["seq"] = seq.get().into();
    });
    write_lines(&f.cfg.trail_path(), &fresh);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.seq), (BreakKind::Rewritten, Some(1)));
    assert!(
        b.message.contains("entries 1..=2 no longer match"),
        "{}",
        b.message
    );
    // With the chain alone it would have passed: the checkpoint caught it.
    fs::remove_file(f.cfg.checkpoints_path()).expect("rm");
    assert_eq!(broken(&f).await.kind, BreakKind::CheckpointMissing);
}

#[tokio::test]
async fn a_missing_checkpoint_is_named() {
    let f = written().await;
    let cps = read_lines(&f.cfg.checkpoints_path());
    assert_eq!(cps.len(), 3);
    write_lines(&f.cfg.checkpoints_path(), &cps[..2]);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.seq), (BreakKind::CheckpointMissing, Some(6)));
    assert!(b.message.contains("entries 6..=7"), "{}", b.message);

    fs::remove_file(f.cfg.checkpoints_path()).expect("rm");
    let b = broken(&f).await;
    assert_eq!(b.kind, BreakKind::CheckpointMissing);
    assert!(b.message.contains("no signed checkpoint"), "{}", b.message);
}

#[tokio::test]
async fn a_badly_signed_checkpoint_is_named() {
    let f = written().await;
    let mut cps = read_lines(&f.cfg.checkpoints_path());
    let mut cp: serde_json::Value = serde_json::from_str(&cps[1]).expect("json");
    let sig = cp["signature"].as_str().expect("signature").to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    cp["signature"] = format!("{flipped}{}", &sig[1..]).into();
    cps[1] = cp.to_string();
    write_lines(&f.cfg.checkpoints_path(), &cps);
    let b = broken(&f).await;
    assert_eq!(
        (b.kind, b.store, b.line),
        (BreakKind::SignatureInvalid, Store::Checkpoints, Some(2))
    );
}

#[tokio::test]
async fn a_checkpoint_signed_with_another_key_is_refused() {
    let f = written().await;
    // A forger with their own keys signs the trail as it is.
    let forger = fixture();
    fs::copy(f.cfg.trail_path(), forger.cfg.trail_path()).expect("copy");
    let mut theirs = Trail::open(&forger.cfg).expect("open");
    theirs.checkpoint().await.expect("their checkpoint");
    let mut cps = read_lines(&f.cfg.checkpoints_path());
    cps.extend(read_lines(&forger.cfg.checkpoints_path()));
    write_lines(&f.cfg.checkpoints_path(), &cps);
    let b = broken(&f).await;
    assert_eq!((b.kind, b.line), (BreakKind::SignatureInvalid, Some(4)));
    assert!(b.message.contains("another key"), "{}", b.message);
}

#[tokio::test]
async fn a_printed_checkpoint_catches_a_consistent_truncation() {
    let f = written().await;
    let latest = verdict(&f).await.latest.expect("latest");
    // Both files cut back to the second command: locally consistent.
    write_lines(&f.cfg.trail_path(), &trail_lines(&f)[..5]);
    write_lines(
        &f.cfg.checkpoints_path(),
        &read_lines(&f.cfg.checkpoints_path())[..2],
    );
    assert!(verdict(&f).await.ok, "the files alone cannot tell");
    let printed: Anchor = latest.anchor().to_string().parse().expect("anchor");
    let v = verdict_with(&f, vec![printed]).await;
    let b = v.first_break.expect("a break");
    assert_eq!((b.kind, b.store), (BreakKind::TailTruncated, Store::Anchor));
}

#[tokio::test]
async fn a_broken_trail_is_not_signed() {
    let f = written().await;
    let mut lines = trail_lines(&f);
    lines[1] = lines[1].replace("RGPD-", "RGPX-");
    write_lines(&f.cfg.trail_path(), &lines);
    let before = fs::read(f.cfg.checkpoints_path()).expect("read");
    let mut trail = Trail::open(&f.cfg).expect("open");
    trail.append(&event(&trail, 8)).expect("append still works");
    let err = trail.checkpoint().await.expect_err("signed a broken trail");
    assert!(format!("{err:#}").contains("entry 2 altered"), "{err:#}");
    assert_eq!(fs::read(f.cfg.checkpoints_path()).expect("read"), before);
}

#[tokio::test]
async fn a_checkpoint_is_not_signed_twice_for_the_same_trail() {
    let f = written().await;
    let mut trail = Trail::open(&f.cfg).expect("open");
    let again = trail.checkpoint().await.expect("checkpoint");
    assert!(!again.signed);
    assert_eq!(again.anchoring, Anchoring::FileOnly);
    assert_eq!(read_lines(&f.cfg.checkpoints_path()).len(), 3);
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn files_are_private_and_keys_kept_apart() {
    let f = written().await;
    assert_eq!(mode(&f.cfg.dir), 0o700);
    assert_eq!(mode(&f.cfg.trail_path()), 0o600);
    assert_eq!(mode(&f.cfg.checkpoints_path()), 0o600);
    assert_eq!(mode(&f.keys.join("hmac.key")), 0o600);
    assert_eq!(mode(&f.keys.join("signing.key")), 0o600);

    fs::set_permissions(f.cfg.trail_path(), fs::Permissions::from_mode(0o644)).expect("chmod");
    let trail = Trail::open(&f.cfg).expect("open");
    let err = trail
        .append(&event(&trail, 1))
        .expect_err("appended to a world-readable trail");
    assert!(format!("{err:#}").contains("chmod 600"), "{err:#}");

    fs::set_permissions(&f.cfg.dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = Trail::open(&f.cfg).expect_err("opened a world-readable directory");
    assert!(format!("{err:#}").contains("chmod 700"), "{err:#}");
    fs::set_permissions(&f.cfg.dir, fs::Permissions::from_mode(0o700)).expect("chmod");

    let inside = AuditConfig::in_dirs(&f.cfg.dir, &f.cfg.dir.join("keys"));
    inside.prepare().expect("keys inside the trail's directory");
    let err = Trail::open(&inside).expect_err("keys inside the trail accepted");
    assert!(
        format!("{err:#}").contains("apart from the trail"),
        "{err:#}"
    );
}

/// Every way the two identifiers could appear in a file.
fn assert_no_identifier(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    for needle in [
        "jane",
        "doe",
        "example.org",
        "0612345678",
        "612345678",
        "06 12 34 56 78",
        "+33612345678",
    ] {
        assert!(!text.contains(needle), "{what} holds {needle:?}");
    }
}

#[tokio::test]
async fn no_identifier_is_written_anywhere() {
    let f = written().await;
    assert_no_identifier("trail.jsonl", &fs::read(f.cfg.trail_path()).expect("read"));
    assert_no_identifier(
        "checkpoints.jsonl",
        &fs::read(f.cfg.checkpoints_path()).expect("read"),
    );
    // The person is findable again, by their identifier written any way.
    let trail = Trail::open(&f.cfg).expect("open");
    let records = audit::read_records(&f.cfg.dir).expect("records").0;
    let jane = trail.subject("email", " jane.doe@EXAMPLE.org");
    assert_eq!(
        records
            .iter()
            .filter(|r| r.event.subject.as_ref() == Some(&jane))
            .count(),
        3
    );
    let phone = trail.subject("phone", "+33 6 12 34 56 78");
    assert_eq!(
        records
            .iter()
            .filter(|r| r.event.subject.as_ref() == Some(&phone))
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_keep_one_chain() {
    let f = fixture();
    let cfg = f.cfg.clone();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let cfg = cfg.clone();
            tokio::spawn(async move {
                // Each writer has its own trail, as another process would.
                let mut trail = Trail::open(&cfg).expect("open");
                for i in 0..25 {
                    trail.append(&event(&trail, w * 100 + i)).expect("append");
                    if i % 10 == 9 {
                        trail.checkpoint().await.expect("checkpoint");
                    }
                }
                trail.checkpoint().await.expect("checkpoint");
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let v = verdict(&f).await;
    assert!(v.ok, "{:?}", v.first_break);
    assert_eq!(v.entries, 100);
    let seqs: Vec<u64> = audit::read_records(&f.cfg.dir)
        .expect("records")
        .0
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
}

// ── The command line ────────────────────────────────────────────────────

fn oubli(f: &Fixture) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG")
        .env_remove("OUBLI_AUDIT_PG_URL")
        .env_remove("OUBLI_AUDIT_HMAC_KEY")
        .env_remove("OUBLI_AUDIT_SIGNING_KEY")
        .env_remove("OUBLI_AUDIT_PUBLIC_KEY")
        .env_remove("OUBLI_AUDIT_ORIGIN")
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .env("OUBLI_AUDIT_DIR", &f.cfg.dir)
        .env("OUBLI_AUDIT_HMAC_KEY_FILE", f.keys.join("hmac.key"))
        .env("OUBLI_AUDIT_SIGNING_KEY_FILE", f.keys.join("signing.key"))
        .env("OUBLI_AUDIT_PUBLIC_KEY_FILE", f.keys.join("signing.pub"))
        .current_dir(std::env::temp_dir());
    c
}

fn run(c: &mut Command) -> (Option<i32>, String, String) {
    let out = c.output().expect("run oubli");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn audit_verify_exit_codes_say_intact_broken_or_error() {
    let f = written().await;
    let (code, out, _) = run(oubli(&f).args(["audit", "verify"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("7 entries, 3 signed checkpoints") && out.ends_with("intact\n"),
        "{out}"
    );
    assert!(out.contains("latest: audit checkpoint 7:"), "{out}");

    let mut lines = trail_lines(&f);
    lines[2] = lines[2].replace("\"pg\":3", "\"pg\":9");
    write_lines(&f.cfg.trail_path(), &lines);
    let (code, out, _) = run(oubli(&f).args(["audit", "verify"]));
    assert_eq!(code, Some(1));
    assert!(
        out.contains("BROKEN (entry_altered): entry 3 altered (line 3 of trail.jsonl)"),
        "{out}"
    );
    let (code, out, _) = run(oubli(&f).args(["audit", "verify", "--format", "json"]));
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["verdict"]["first_break"]["kind"], "entry_altered");
    assert_eq!(json["verdict"]["first_break"]["line"], 3);

    let (code, _, err) = run(oubli(&f).args(["audit", "verify", "--dir", "/nonexistent/audit"]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no audit trail at /nonexistent/audit"),
        "{err}"
    );
    let (code, _, _) = run(oubli(&f).args(["audit", "verify", "--anchor", "seven:abc"]));
    assert_eq!(code, Some(2));
}

#[tokio::test]
async fn audit_show_filters_and_finds_one_person_without_printing_them() {
    let f = written().await;
    let (code, out, _) = run(oubli(&f).args(["audit", "show"]));
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 7, "{out}");
    let (_, out, _) = run(oubli(&f).args(["audit", "show", "--kind", "export"]));
    assert_eq!(out.lines().count(), 2, "{out}"); // entries 3 and 6
    let (_, out, _) = run(oubli(&f).args(["audit", "show", "--ticket", "RGPD-101"]));
    assert_eq!(out.lines().count(), 4, "{out}");
    let (_, out, _) = run(oubli(&f).args([
        "audit",
        "show",
        "--since",
        "2000-01-01",
        "--until",
        "2000-12-31",
    ]));
    assert_eq!(out.trim(), "no entries");

    let (code, out, err) = run(oubli(&f).args([
        "audit",
        "show",
        "--subject",
        "JANE.DOE@example.org",
        "--format",
        "json",
    ]));
    assert_eq!(code, Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let seqs: Vec<u64> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["seq"].as_u64())
        .collect();
    assert_eq!(seqs, vec![2, 4, 6]);
    assert_no_identifier("audit show's output", format!("{out}{err}").as_bytes());

    let mut c = oubli(&f);
    c.args(["audit", "show", "--subject", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"0612345678\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);

    // Without the HMAC key a person cannot be looked for, and the message
    // does not repeat who was asked for.
    fs::remove_file(f.keys.join("hmac.key")).expect("rm");
    let (code, _, err) = run(oubli(&f).args(["audit", "show", "--subject", EMAIL]));
    assert_eq!(code, Some(2));
    assert_no_identifier("the error", err.as_bytes());
}

#[test]
fn audit_init_creates_private_keys_and_never_overwrites_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = Fixture {
        cfg: AuditConfig::in_dirs(&tmp.path().join("a"), &tmp.path().join("k")),
        keys: tmp.path().join("k"),
        _tmp: tmp,
    };
    let (code, out, err) = run(oubli(&f).args(["audit", "init"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("created") && out.contains("public key"),
        "{out}"
    );
    assert_eq!(mode(&f.cfg.dir), 0o700);
    assert_eq!(mode(&f.keys.join("signing.key")), 0o600);
    let key = fs::read(f.keys.join("signing.key")).expect("key");
    let (code, out, _) = run(oubli(&f).args(["audit", "init"]));
    assert_eq!(code, Some(0));
    assert!(out.contains("none was changed"), "{out}");
    assert_eq!(fs::read(f.keys.join("signing.key")).expect("key"), key);
}

// ── The Postgres anchor ─────────────────────────────────────────────────

/// A trail anchored in a fresh schema of `db`.
async fn anchored(db: &TestPg, f: &Fixture) -> Trail {
    let admin = db.client().await;
    audit::pg::install(&admin, None)
        .await
        .expect("install the schema");
    audit::pg::install(&admin, None)
        .await
        .expect("install it again (idempotent)");
    Trail::open(&f.cfg)
        .expect("open")
        .with_postgres(PgAnchor::new(db.client().await, &f.cfg.origin))
}

async fn verdict_pg(f: &Fixture, pg: &TestPg) -> Verdict {
    let key = f.cfg.load_public_key().expect("public key");
    let mut anchor = PgAnchor::new(pg.client().await, &f.cfg.origin);
    let ev = audit::gather(&f.cfg, Some(&mut anchor), Vec::new())
        .await
        .expect("gather");
    audit::verify(&ev, &key, &f.cfg.origin)
}

#[tokio::test]
async fn the_anchor_holds_a_copy_it_refuses_to_change() {
    let pg = TestPg::create().await;
    let f = fixture();
    let mut trail = anchored(&pg, &f).await;
    let seals = commands(&mut trail, &[2, 3]).await;
    assert_eq!(
        seals[1].anchoring,
        Anchoring::Anchored {
            entries: 3,
            checkpoints: 1
        }
    );
    let v = verdict_pg(&f, &pg).await;
    assert!(v.ok, "{:?}", v.first_break);
    let counts = v.postgres.expect("postgres counts");
    assert_eq!((counts.entries, counts.checkpoints), (Some(5), 2));

    let c = pg.client().await;
    let body: Vec<u8> = c
        .query_one("SELECT body FROM oubli_audit.entries WHERE seq = 3", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(body, trail_lines(&f)[2].as_bytes(), "not the same bytes");
    for refused in [
        "UPDATE oubli_audit.entries SET body = 'x' WHERE seq = 1",
        "DELETE FROM oubli_audit.entries WHERE seq = 5",
        "TRUNCATE oubli_audit.entries",
        "UPDATE oubli_audit.checkpoints SET size = 1",
        "DELETE FROM oubli_audit.checkpoints",
        "TRUNCATE oubli_audit.checkpoints",
    ] {
        let err = c.batch_execute(refused).await.expect_err(refused);
        assert!(
            format!("{err:?}").contains("append-only"),
            "{refused}: {err:?}"
        );
    }
    assert!(verdict_pg(&f, &pg).await.ok);
    let rows: i64 = c
        .query_one("SELECT count(*) FROM oubli_audit.entries", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 5);
    let copy = c
        .query("SELECT body FROM oubli_audit.entries", &[])
        .await
        .expect("rows");
    for row in copy {
        assert_no_identifier("the Postgres copy", row.get::<_, &[u8]>(0));
    }
}

#[tokio::test]
async fn the_anchor_catches_what_the_files_alone_cannot() {
    let pg = TestPg::create().await;
    let f = fixture();
    let mut trail = anchored(&pg, &f).await;
    commands(&mut trail, &[2, 3, 2]).await;

    // Both files cut back consistently: the anchor still has the rest.
    let (lines, cps) = (trail_lines(&f), read_lines(&f.cfg.checkpoints_path()));
    write_lines(&f.cfg.trail_path(), &lines[..5]);
    write_lines(&f.cfg.checkpoints_path(), &cps[..2]);
    assert!(verdict(&f).await.ok, "the files alone cannot tell");
    let b = verdict_pg(&f, &pg).await.first_break.expect("a break");
    assert_eq!(
        (b.kind, b.store),
        (BreakKind::TailTruncated, Store::Postgres)
    );

    // A checkpoint line removed from the file, the trail whole.
    write_lines(&f.cfg.trail_path(), &lines);
    write_lines(&f.cfg.checkpoints_path(), &[cps[0].clone(), cps[2].clone()]);
    let b = verdict_pg(&f, &pg).await.first_break.expect("a break");
    assert_eq!(
        (b.kind, b.store),
        (BreakKind::CheckpointMissing, Store::Checkpoints)
    );

    // A rewrite from entry 4 on: the copy names where it starts.
    write_lines(&f.cfg.checkpoints_path(), &cps);
    let mut head = lines[..3].to_vec();
    let prev = std::cell::Cell::new(leaf_hash(lines[2].as_bytes()));
    for l in &lines[3..] {
        let mut v: serde_json::Value = serde_json::from_str(l).expect("json");
        v["outcome"] = "refused".into();
        v["prev"] = prev.get().hex().into();
        let s = v.to_string();
        prev.set(leaf_hash(s.as_bytes()));
        head.push(s);
    }
    write_lines(&f.cfg.trail_path(), &head);
    let b = verdict_pg(&f, &pg).await.first_break.expect("a break");
    assert_eq!((b.kind, b.seq), (BreakKind::Rewritten, Some(4)));
    assert!(
        b.message.contains("differs from its Postgres copy"),
        "{}",
        b.message
    );
}

#[tokio::test]
async fn an_unreachable_anchor_is_caught_up_at_the_next_checkpoint() {
    let pg = TestPg::create().await;
    let f = fixture();
    // The first command runs with no anchor at all.
    let mut trail = Trail::open(&f.cfg).expect("open");
    commands(&mut trail, &[2]).await;
    let mut trail = anchored(&pg, &f).await;
    let b = verdict_pg(&f, &pg).await.first_break.expect("a break");
    assert_eq!(
        (b.kind, b.store),
        (BreakKind::CheckpointMissing, Store::Postgres)
    );
    let seals = commands(&mut trail, &[1]).await;
    assert_eq!(
        seals[0].anchoring,
        Anchoring::Anchored {
            entries: 3,
            checkpoints: 2
        }
    );
    assert!(verdict_pg(&f, &pg).await.ok);
}

#[tokio::test]
async fn the_writer_role_may_only_select_and_insert() {
    let pg = TestPg::create().await;
    let c = pg.client().await;
    let role = format!("oubli_audit_w_{}", std::process::id());
    c.batch_execute(&format!("CREATE ROLE {role} NOLOGIN"))
        .await
        .expect("role");
    let granted = audit::pg::install(&c, Some(&role)).await;
    let privileges = c
        .query_one(
            "SELECT has_table_privilege($1, 'oubli_audit.entries', 'INSERT'), \
                    has_table_privilege($1, 'oubli_audit.entries', 'SELECT'), \
                    has_table_privilege($1, 'oubli_audit.entries', 'UPDATE'), \
                    has_table_privilege($1, 'oubli_audit.entries', 'DELETE'), \
                    has_table_privilege($1, 'oubli_audit.checkpoints', 'TRUNCATE')",
            &[&role],
        )
        .await
        .map(|r| {
            (
                r.get::<_, bool>(0),
                r.get::<_, bool>(1),
                r.get::<_, bool>(2),
                r.get::<_, bool>(3),
                r.get::<_, bool>(4),
            )
        });
    c.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("drop role");
    granted.expect("grant");
    assert_eq!(
        privileges.expect("privileges"),
        (true, true, false, false, false)
    );
    assert!(audit::pg::install(&c, Some("x\"; DROP TABLE y; --"))
        .await
        .is_err());
}
