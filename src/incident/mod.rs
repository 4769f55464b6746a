//! The breach worksheet (Art. 33, 34): what was exposed, how many people
//! and records, which categories of data (special categories and
//! credentials flagged), the severity by ENISA's method with the reason of
//! each factor ([`enisa`]), the 72-hour clock from the time the team became
//! aware, the notifications made (initial, complementary), and the drafts:
//! the notification to the authority with the fields Art. 33(3) and the
//! CNIL's form ask for, and the letter to the people when Art. 34 requires
//! one.
//!
//! People are counted as distinct persons through the person graph (the
//! person table's keys reached from each exposed table), never as rows.
//! The worksheet holds counts, kinds and categories: no value. It is kept
//! as JSON and Markdown, mode 0600 ([`store`]). No terminal code here.

pub mod count;
pub mod draft;
pub mod enisa;
pub mod store;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::pii::Kind;

/// Hours the controller has to notify the authority (Art. 33(1)).
pub const NOTIFY_WITHIN_HOURS: i64 = 72;

/// One thing that was exposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exposure {
    /// A Postgres table (as the register and `classify` name it).
    Table { table: String },
    /// A Redis namespace pattern of the census (`user:{int}:profile`).
    Namespace { pattern: String },
    /// A storage of the register as a whole (a backup, a log, a partner).
    Storage { id: String },
    /// A leaked file (an RDB, a pg_dump, a CSV), read by `scan file`.
    File { path: String },
}

impl std::str::FromStr for Exposure {
    type Err = String;
    /// `table:users`, `namespace:user:{int}:profile`, `storage:backups`,
    /// `file:/tmp/leak.csv`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| {
            format!("{s:?}: expected table:NAME, namespace:PATTERN, storage:ID or file:PATH")
        })?;
        if rest.is_empty() {
            return Err(format!("{s:?}: nothing after {kind}:"));
        }
        let rest = rest.to_string();
        Ok(match kind {
            "table" => Exposure::Table { table: rest },
            "namespace" | "ns" => Exposure::Namespace { pattern: rest },
            "storage" => Exposure::Storage { id: rest },
            "file" => Exposure::File { path: rest },
            other => {
                return Err(format!(
                    "{other:?}: expected table, namespace, storage or file before the colon"
                ))
            }
        })
    }
}

impl std::fmt::Display for Exposure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exposure::Table { table } => write!(f, "table {table}"),
            Exposure::Namespace { pattern } => write!(f, "namespace {pattern}"),
            Exposure::Storage { id } => write!(f, "storage {id}"),
            Exposure::File { path } => write!(f, "file {path}"),
        }
    }
}

/// What one exposure holds, as counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    pub what: String,
    /// Rows, keys or lines; `None` when it cannot be counted from here (a
    /// partner's copy, a backup nobody can read).
    pub records: Option<u64>,
    /// Distinct people reached from it through the person graph; `None`
    /// when they cannot be told apart from here.
    pub people: Option<u64>,
    pub kinds: Vec<Kind>,
    /// Categories the register declares for it (or the classifier found).
    pub categories: Vec<String>,
    /// How it was counted, or why it was not.
    pub how: String,
}

/// Where the breach came from (the CNIL's form asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Unknown,
    Internal,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The first notification (Art. 33(1)); in phases when the extent is
    /// not known yet (Art. 33(4)).
    Initial,
    Complementary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub at: DateTime<Utc>,
    /// The authority's reference for the case, when it gave one.
    pub reference: Option<String>,
}

/// The worksheet of one breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `YYYYMMDD-HHMM-xxxx`: sortable, not secret.
    pub id: String,
    pub title: String,
    /// When the team became aware: the 72 hours run from here.
    pub aware_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub ongoing: bool,
    pub origin: Origin,
    /// The window during which data was exposed, when known.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub exposed: Vec<Counted>,
    pub circumstances: enisa::Circumstances,
    pub severity: enisa::Severity,
    /// Totals over the exposures: people is the number of distinct people
    /// where the person graph reaches every exposure, else a lower bound.
    pub people: u64,
    pub people_exact: bool,
    pub records: u64,
    pub kinds: Vec<Kind>,
    pub categories: Vec<String>,
    pub special_categories: bool,
    pub credentials: bool,
    /// Art. 34(3)(a): the data was unintelligible to whoever got it
    /// (encrypted with a key that was not exposed).
    pub encrypted: bool,
    pub notifications: Vec<Notification>,
    pub measures_taken: Vec<String>,
    pub measures_proposed: Vec<String>,
    pub consequences: Vec<String>,
    pub contact: String,
    pub controller: String,
    pub processors: Vec<String>,
    pub delay_reason: Option<String>,
}

/// Where the 72 hours stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub deadline: DateTime<Utc>,
    /// Minutes left (negative when past).
    pub minutes_left: i64,
    pub notified: bool,
    /// Notified after the deadline, or not notified and past it: the
    /// notification must give the reasons for the delay (Art. 33(1)).
    pub late: bool,
}

impl Incident {
    pub fn deadline(&self) -> DateTime<Utc> {
        self.aware_at + Duration::hours(NOTIFY_WITHIN_HOURS)
    }

    pub fn clock(&self, now: DateTime<Utc>) -> Clock {
        let deadline = self.deadline();
        let first = self
            .notifications
            .iter()
            .filter(|n| n.kind == NotificationKind::Initial)
            .map(|n| n.at)
            .min();
        Clock {
            deadline,
            minutes_left: (deadline - now).num_minutes(),
            notified: first.is_some(),
            late: match first {
                Some(at) => at > deadline,
                None => now > deadline,
            },
        }
    }

    /// Art. 34: the people must be told when the breach is likely to result
    /// in a high risk to them, unless the data was unintelligible to whoever
    /// got it. Returns the decision and its reason.
    pub fn people_must_be_told(&self) -> (bool, String) {
        if self.encrypted {
            return (
                false,
                "Art. 34(3)(a): the data was encrypted and the key was not exposed".into(),
            );
        }
        if self.severity.band >= enisa::Band::High {
            (
                true,
                format!(
                    "the severity is {} (ENISA score {}): a high risk to the people (Art. 34(1))",
                    self.severity.band.as_str(),
                    self.severity.score
                ),
            )
        } else {
            (
                false,
                format!(
                    "the severity is {} (ENISA score {}): not a high risk; document the decision",
                    self.severity.band.as_str(),
                    self.severity.score
                ),
            )
        }
    }
}

/// What a new worksheet starts from.
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub title: String,
    pub aware_at: Option<DateTime<Utc>>,
    pub ongoing: bool,
    pub origin: Origin,
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub circumstances: enisa::Circumstances,
    pub encrypted: bool,
    pub measures_taken: Vec<String>,
    pub measures_proposed: Vec<String>,
    pub consequences: Vec<String>,
}

/// A worksheet from what was counted. `people` (from [`count`]) is the
/// number of distinct people over the exposures the graph reaches.
pub fn assemble(
    new: NewIncident,
    exposed: Vec<Counted>,
    people: count::People,
    register: &crate::register::Register,
    now: DateTime<Utc>,
) -> Incident {
    let mut kinds: Vec<Kind> = exposed.iter().flat_map(|c| c.kinds.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let mut categories: Vec<String> = exposed.iter().flat_map(|c| c.categories.clone()).collect();
    categories.sort();
    categories.dedup();
    let severity = enisa::assess(&kinds, &categories, &new.circumstances);
    let records = exposed.iter().filter_map(|c| c.records).sum();
    let suffix: u16 = rand::random();
    let aware_at = new.aware_at.unwrap_or(now);
    Incident {
        id: format!("{}-{suffix:04x}", now.format("%Y%m%d-%H%M")),
        title: new.title,
        aware_at,
        created_at: now,
        ongoing: new.ongoing,
        origin: new.origin,
        window: new.window,
        special_categories: categories.iter().any(|c| enisa::special_category(c)),
        credentials: kinds.contains(&Kind::Secret),
        people: people.distinct,
        people_exact: people.exact,
        records,
        kinds,
        categories,
        exposed,
        circumstances: new.circumstances,
        severity,
        encrypted: new.encrypted,
        notifications: Vec::new(),
        measures_taken: new.measures_taken,
        measures_proposed: new.measures_proposed,
        consequences: new.consequences,
        contact: register
            .register
            .dpo
            .clone()
            .unwrap_or_else(|| register.register.contact.clone()),
        controller: register.register.controller.clone(),
        processors: Vec::new(),
        delay_reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposures_parse_or_say_what_is_expected() {
        assert_eq!(
            "namespace:user:{int}:profile".parse::<Exposure>(),
            Ok(Exposure::Namespace {
                pattern: "user:{int}:profile".into()
            })
        );
        assert!("users"
            .parse::<Exposure>()
            .unwrap_err()
            .contains("table:NAME"));
        assert!("disk:x".parse::<Exposure>().is_err());
        assert!("table:".parse::<Exposure>().is_err());
    }
}
