//! What one entry says. A writer gives an [`Event`]; the trail adds the
//! sequence number, the time, who, the tool's version and the previous leaf,
//! and writes the [`Record`] as one canonical JSON line (fields in the order
//! below, no spaces, every field present).
//!
//! Nothing here may hold personal data: the person is a keyed hash, the
//! free-text fields (ticket, target) are checked against a strict shape and
//! the PII detector, and refused — without being echoed — if they look like
//! an e-mail, a phone number or any other personal value.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::{Digest, Seq};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One person's data looked up (Art. 15 preparation, incident search).
    Lookup,
    /// A masked value shown in clear on screen.
    Reveal,
    /// A report or a portable copy written (Art. 15, Art. 20).
    Export,
    /// Data erased (Art. 17).
    Erase,
    /// Processing restricted (Art. 18).
    Restrict,
    /// Data rectified (Art. 16).
    Rectify,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Lookup,
        Kind::Reveal,
        Kind::Export,
        Kind::Erase,
        Kind::Restrict,
        Kind::Rectify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lookup => "lookup",
            Kind::Reveal => "reveal",
            Kind::Export => "export",
            Kind::Erase => "erase",
            Kind::Restrict => "restrict",
            Kind::Rectify => "rectify",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done as planned.
    Ok,
    /// Done for some storages, not all (the counts say which).
    Partial,
    /// Tried and failed.
    Failed,
    /// Not done: refused by the operator, the mode or a check.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
        }
    }
}

/// The person, as a keyed hash of their normalised identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The identifier's kind as the register's person model names it
    /// (`email`, `phone`, `user_id`, …). Part of the hashed input.
    pub kind: String,
    /// `HMAC-SHA256(key, "oubli-subject/v1" 0x00 kind 0x00 normalised)`.
    pub hmac: Digest,
}

/// What a writer records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub kind: Kind,
    /// The request's ticket id (letters, digits and `._:/#-`, at most 64).
    pub ticket: Option<String>,
    /// The GDPR article acted on (15, 16, 17, 18, 20, 21), if any.
    pub article: Option<u16>,
    pub subject: Option<Subject>,
    /// What was acted on, as the register or the census names it (a
    /// storage id, a namespace pattern such as `otp:{phone}`, a table) —
    /// never a key, a row or a value.
    pub target: Option<String>,
    /// Items found or changed, per storage id of the register.
    pub counts: BTreeMap<String, u64>,
    pub outcome: Outcome,
}

impl Event {
    pub fn new(kind: Kind, outcome: Outcome) -> Event {
        Event {
            kind,
            ticket: None,
            article: None,
            subject: None,
            target: None,
            counts: BTreeMap::new(),
            outcome,
        }
    }

    pub fn ticket(mut self, ticket: impl Into<String>) -> Event {
        self.ticket = Some(ticket.into());
        self
    }

    pub fn article(mut self, article: u16) -> Event {
        self.article = Some(article);
        self
    }

    pub fn subject(mut self, subject: Subject) -> Event {
        self.subject = Some(subject);
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Event {
        self.target = Some(target.into());
        self
    }

    pub fn count(mut self, storage: impl Into<String>, n: u64) -> Event {
        self.counts.insert(storage.into(), n);
        self
    }

    /// Refuse anything that could carry personal data into the trail. The
    /// messages name the field, never its value.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(t) = &self.ticket {
            let shape = |c: char| c.is_ascii_alphanumeric() || "._:/#-".contains(c);
            if t.is_empty() || t.len() > 64 || !t.chars().all(shape) {
                bail!("audit: the ticket id must be 1 to 64 letters, digits or ._:/#- characters");
            }
            if looks_personal(t) {
                bail!("audit: the ticket id looks like personal data (an e-mail, a phone number…); use the ticket's number");
            }
        }
        if let Some(t) = &self.target {
            if t.is_empty() || t.len() > 200 || t.chars().any(|c| c.is_control()) {
                bail!("audit: the target must be 1 to 200 printable characters");
            }
            if looks_personal(t) {
                bail!("audit: the target looks like personal data; name a storage, a namespace pattern or a table, never a key or a value");
            }
        }
        for storage in self.counts.keys() {
            if !is_name(storage, 64, |c| {
                c.is_ascii_alphanumeric() || "._-".contains(c)
            }) {
                bail!("audit: a count's storage must be a register id (letters, digits, ._-)");
            }
        }
        if let Some(s) = &self.subject {
            if !is_name(&s.kind, 32, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
            }) {
                bail!("audit: the subject's identifier kind must be a name such as email, phone or user_id");
            }
        }
        Ok(())
    }
}

fn is_name(s: &str, max: usize, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(ok)
}

/// Personal data by the detector's reading, in the text, in it read as a
/// Redis key (namespace placeholders such as `{email}` are not data), or in
/// any of its pieces between separators (`T-0612345678` hides a phone).
fn looks_personal(s: &str) -> bool {
    let hit = |t: &str| {
        !crate::pii::Detector::global().scan_text(t, None).is_empty()
            || !crate::pii::keys::key_hits(t.as_bytes(), b":").is_empty()
    };
    hit(s)
        || s.split(['-', '_', '.', '/', ':', '#', ' '])
            .any(|p| !p.is_empty() && hit(p))
}

/// Who did it: the OS account and, over SSH, where from. Never an e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// The account name (a domain after `@` or before `\` is dropped).
    pub user: String,
    pub uid: u32,
    /// `SUDO_USER`, when run through sudo as another account.
    pub sudo_user: Option<String>,
    /// The SSH client, `address port`, from `SSH_CONNECTION`.
    pub ssh: Option<String>,
}

impl Who {
    /// The account this process runs as, and its SSH origin.
    pub fn current() -> Who {
        let uid = effective_uid();
        let user = account_name(uid)
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .and_then(|n| account(&n))
            .unwrap_or_else(|| format!("uid-{uid}"));
        let sudo_user = std::env::var("SUDO_USER")
            .ok()
            .and_then(|n| account(&n))
            .filter(|n| *n != user);
        let ssh = std::env::var("SSH_CONNECTION")
            .ok()
            .and_then(|s| ssh_origin(&s));
        Who {
            user,
            uid,
            sudo_user,
            ssh,
        }
    }
}

/// An account name as the trail keeps it: no domain (`alice@corp.example`
/// and `CORP\alice` are `alice`), only `[A-Za-z0-9._$-]`, at most 64.
pub(crate) fn account(name: &str) -> Option<String> {
    let name = name.split('@').next().unwrap_or_default();
    let name = name.rsplit('\\').next().unwrap_or_default();
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._$-".contains(*c))
        .take(64)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

/// `SSH_CONNECTION` is `client_address client_port server_address
/// server_port`; the trail keeps the client's address and port, checked.
pub(crate) fn ssh_origin(var: &str) -> Option<String> {
    let mut it = var.split_whitespace();
    let addr: std::net::IpAddr = it.next()?.parse().ok()?;
    let port: u16 = it.next()?.parse().ok()?;
    Some(format!("{addr} {port}"))
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The passwd entry's name for `uid` (NSS, so LDAP accounts too).
fn account_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value of this plain C struct.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to a live local of the right type and size;
    // getpwuid_r writes only into `pwd` and `buf` (of length `buf.len()`).
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

/// One line of the trail: the event between who/when and the chain. The
/// event's fields are written inline, in their order, so the line reads
/// `seq, time, who, kind, ticket, article, subject, target, counts,
/// outcome, tool, prev`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: Seq,
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    pub who: Who,
    #[serde(flatten)]
    pub event: Event,
    /// `oubli <version>`.
    pub tool: String,
    /// The leaf hash of the previous line (zeros for the first).
    pub prev: Digest,
}

impl Record {
    pub(crate) fn new(seq: Seq, prev: Digest, event: &Event, who: Who) -> Record {
        Record {
            seq,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            who,
            event: event.clone(),
            tool: concat!("oubli ", env!("CARGO_PKG_VERSION")).to_string(),
            prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_never_keep_a_domain() {
        assert_eq!(account("alice@corp.example").as_deref(), Some("alice"));
        assert_eq!(account("CORP\\bob").as_deref(), Some("bob"));
        assert_eq!(account("svc-oubli").as_deref(), Some("svc-oubli"));
        assert_eq!(account("@"), None);
        assert_eq!(account("a\u{1b}[2Jb").as_deref(), Some("a2Jb"));
    }

    #[test]
    fn ssh_origin_is_parsed_not_copied() {
        assert_eq!(
            ssh_origin("203.0.113.7 52144 10.0.0.1 22").as_deref(),
            Some("203.0.113.7 52144")
        );
        assert_eq!(
            ssh_origin("2001:db8::1 2222 ::1 22").as_deref(),
            Some("2001:db8::1 2222")
        );
        assert_eq!(ssh_origin("jane@example.org 22 x 22"), None);
        assert_eq!(ssh_origin(""), None);
    }

    #[test]
    fn personal_data_in_free_text_is_refused_without_being_echoed() {
        for ticket in [
            "RGPD-2026-0042",
            "INC0012345",
            "JIRA-1234",
            "T-20260312",
            "#4521",
        ] {
            let ok = Event::new(Kind::Lookup, Outcome::Ok)
                .ticket(ticket)
                .target("otp:{phone}")
                .count("redis", 3);
            assert!(ok.check().is_ok(), "{ticket} refused");
        }
        let reveal = Event::new(Kind::Reveal, Outcome::Ok).target("users.email");
        assert!(reveal.check().is_ok());
        for bad in [
            Event::new(Kind::Lookup, Outcome::Ok).ticket("jane.doe@example.org"),
            Event::new(Kind::Lookup, Outcome::Ok).ticket("T-0612345678"),
            Event::new(Kind::Reveal, Outcome::Ok).target("session:jane.doe@example.org"),
            Event::new(Kind::Reveal, Outcome::Ok).target("otp:+33612345678"),
            Event::new(Kind::Lookup, Outcome::Ok).count("jane@x.fr", 1),
        ] {
            let err = bad.check().expect_err("personal data accepted").to_string();
            assert!(!err.contains("jane") && !err.contains("612345678"), "{err}");
        }
    }

    #[test]
    fn a_record_is_one_line_in_a_fixed_order_and_reads_back() {
        let who = Who {
            user: "alice".into(),
            uid: 1001,
            sudo_user: None,
            ssh: Some("203.0.113.7 52144".into()),
        };
        let ev = Event::new(Kind::Erase, Outcome::Ok)
            .ticket("RGPD-42")
            .article(17)
            .count("pg", 4);
        let r = Record::new(3, Digest::ZERO, &ev, who);
        let line = serde_json::to_string(&r).expect("encode");
        let keys: Vec<&str> = line
            .match_indices("\":")
            .map(|(i, _)| line[..i].rsplit('"').next().unwrap_or_default())
            .filter(|k| !["user", "uid", "sudo_user", "ssh", "pg"].contains(k))
            .collect();
        assert_eq!(
            keys,
            [
                "seq", "time", "who", "kind", "ticket", "article", "subject", "target", "counts",
                "outcome", "tool", "prev"
            ]
        );
        assert!(!line.contains(' ') || line.contains("203.0.113.7 52144"));
        assert_eq!(serde_json::from_str::<Record>(&line).expect("decode"), r);
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).ok(),
                Some(format!("\"{}\"", k.as_str()))
            );
        }
    }
}
