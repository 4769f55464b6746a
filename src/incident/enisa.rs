//! Severity of a personal data breach by ENISA's method (Recommendations
//! for a methodology of the assessment of severity of personal data
//! breaches, 2013): **SE = DPC × EI + CB**, each factor kept with the
//! reason it got its value.
//!
//! - DPC, the data processing context: 1 simple data, 2 behavioural, 3
//!   financial, 4 sensitive (Art. 9), from the kinds found in what was
//!   exposed and the categories the register declares; raised by one (at
//!   most to 4) when credentials were exposed (they open the accounts, and
//!   so everything else the service holds).
//! - EI, ease of identification: 0.25 negligible, 0.5 limited, 0.75
//!   significant, 1 maximum, from the identifiers exposed.
//! - CB, circumstances: loss of confidentiality, integrity, availability
//!   each 0 to 0.5, malicious intent 0.5.
//! - Bands: SE < 2 low, < 3 medium, < 4 high, ≥ 4 very high.

use serde::{Deserialize, Serialize};

use crate::pii::Kind;

/// Who could see the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidentiality {
    /// Not lost.
    #[default]
    None,
    /// Seen by known recipients (a misdirected e-mail, a partner).
    Known,
    /// Seen by unknown recipients, or published.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    #[default]
    None,
    /// Altered, and it can be restored.
    Recoverable,
    /// Altered, and it cannot be restored.
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    None,
    /// Unavailable for a while.
    Temporary,
    /// Gone for good.
    Permanent,
}

/// What happened, as the team knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Circumstances {
    pub confidentiality: Confidentiality,
    pub integrity: Integrity,
    pub availability: Availability,
    pub malicious: bool,
}

/// A factor's value and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub value: f64,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
            Band::VeryHigh => "very high",
        }
    }
}

/// The score and its rationale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub dpc: Factor,
    pub ei: Factor,
    pub cb: Factor,
    /// DPC × EI + CB.
    pub score: f64,
    pub band: Band,
}

/// Words of a register's categories that mean Art. 9 data.
const SPECIAL: &[&str] = &[
    "health",
    "santé",
    "sante",
    "medical",
    "médical",
    "religio",
    "ethnic",
    "racial",
    "political",
    "politique",
    "union",
    "syndic",
    "sexual",
    "sexuel",
    "biometric",
    "biométrique",
    "genetic",
    "génétique",
];

/// Whether a declared category names Art. 9 data.
pub fn special_category(category: &str) -> bool {
    let c = category.to_lowercase();
    SPECIAL.iter().any(|w| c.contains(w))
}

fn kinds_list(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// DPC from the kinds found and the categories declared.
pub fn dpc(kinds: &[Kind], categories: &[String]) -> Factor {
    let special: Vec<&String> = categories.iter().filter(|c| special_category(c)).collect();
    let financial: Vec<Kind> = kinds
        .iter()
        .copied()
        .filter(|k| matches!(k, Kind::Iban | Kind::PaymentCard | Kind::Nir))
        .collect();
    let behavioural: Vec<Kind> = kinds
        .iter()
        .copied()
        .filter(|k| matches!(k, Kind::Geolocation | Kind::IpAddress | Kind::FreeText))
        .collect();
    let (mut value, mut why) = if !special.is_empty() {
        (
            4.0,
            format!(
                "sensitive data (Art. 9): the register declares {}",
                special
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else if !financial.is_empty() {
        (
            3.0,
            format!(
                "financial or national-identifier data: {}",
                kinds_list(&financial)
            ),
        )
    } else if !behavioural.is_empty() {
        (
            2.0,
            format!(
                "behavioural data (where, when, what was written): {}",
                kinds_list(&behavioural)
            ),
        )
    } else {
        (
            1.0,
            if kinds.is_empty() {
                "simple data: no kind of personal data detected in what was exposed".to_string()
            } else {
                format!("simple data: {}", kinds_list(kinds))
            },
        )
    };
    if kinds.contains(&Kind::Secret) && value < 4.0 {
        value += 1.0;
        why.push_str("; raised by 1: credentials or tokens were exposed, which open the accounts");
    }
    Factor { value, why }
}

/// EI from the identifiers exposed.
pub fn ei(kinds: &[Kind]) -> Factor {
    let has = |k: Kind| kinds.contains(&k);
    let direct = has(Kind::Nir)
        || (has(Kind::PersonName)
            && (has(Kind::PostalAddress) || has(Kind::DateOfBirth) || has(Kind::Phone)));
    let (value, why) = if direct {
        (
            1.0,
            "maximum: a national number, or a name with an address, a birth date or a phone number, identifies the person directly",
        )
    } else if has(Kind::Email) || has(Kind::Phone) || has(Kind::PersonName) {
        (
            0.75,
            "significant: an e-mail address, a phone number or a name leads to the person",
        )
    } else if has(Kind::OnlineId) || has(Kind::IpAddress) || has(Kind::PostalAddress) {
        (
            0.5,
            "limited: account ids, IP or postal addresses identify a person only with other data",
        )
    } else {
        (
            0.25,
            "negligible: no identifier of a person was found in what was exposed",
        )
    };
    Factor {
        value,
        why: why.to_string(),
    }
}

/// CB from the circumstances.
pub fn cb(c: &Circumstances) -> Factor {
    let mut parts = Vec::new();
    let mut value = 0.0;
    match c.confidentiality {
        Confidentiality::None => {}
        Confidentiality::Known => {
            value += 0.25;
            parts.push("confidentiality lost to known recipients (+0.25)");
        }
        Confidentiality::Unknown => {
            value += 0.5;
            parts.push("confidentiality lost to unknown recipients or the public (+0.5)");
        }
    }
    match c.integrity {
        Integrity::None => {}
        Integrity::Recoverable => {
            value += 0.25;
            parts.push("integrity lost, the data can be restored (+0.25)");
        }
        Integrity::Lost => {
            value += 0.5;
            parts.push("integrity lost, the data cannot be restored (+0.5)");
        }
    }
    match c.availability {
        Availability::None => {}
        Availability::Temporary => {
            value += 0.25;
            parts.push("availability lost for a while (+0.25)");
        }
        Availability::Permanent => {
            value += 0.5;
            parts.push("availability lost for good (+0.5)");
        }
    }
    if c.malicious {
        value += 0.5;
        parts.push("malicious intent (+0.5)");
    }
    Factor {
        value,
        why: if parts.is_empty() {
            "no loss of confidentiality, integrity or availability declared".into()
        } else {
            parts.join("; ")
        },
    }
}

pub fn band(score: f64) -> Band {
    if score < 2.0 {
        Band::Low
    } else if score < 3.0 {
        Band::Medium
    } else if score < 4.0 {
        Band::High
    } else {
        Band::VeryHigh
    }
}

/// The severity of a breach that exposed `kinds` (and storages declaring
/// `categories`) in `circumstances`.
pub fn assess(kinds: &[Kind], categories: &[String], circumstances: &Circumstances) -> Severity {
    let dpc = dpc(kinds, categories);
    let ei = ei(kinds);
    let cb = cb(circumstances);
    let score = ((dpc.value * ei.value + cb.value) * 100.0).round() / 100.0;
    Severity {
        band: band(score),
        dpc,
        ei,
        cb,
        score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three scenarios of docs/incidents.md, with their arithmetic.
    #[test]
    fn documented_scenarios() {
        // 1. A newsletter list (e-mails) sent by mistake to one partner.
        let s = assess(
            &[Kind::Email],
            &[],
            &Circumstances {
                confidentiality: Confidentiality::Known,
                ..Default::default()
            },
        );
        assert_eq!((s.dpc.value, s.ei.value, s.cb.value), (1.0, 0.75, 0.25));
        assert_eq!((s.score, s.band), (1.0, Band::Low));

        // 2. A session cache (e-mails, IPs, password reset tokens) read
        //    from the internet by an intruder.
        let s = assess(
            &[Kind::Email, Kind::IpAddress, Kind::Secret],
            &[],
            &Circumstances {
                confidentiality: Confidentiality::Unknown,
                malicious: true,
                ..Default::default()
            },
        );
        assert_eq!((s.dpc.value, s.ei.value, s.cb.value), (3.0, 0.75, 1.0));
        assert_eq!((s.score, s.band), (3.25, Band::High));
        assert!(s.dpc.why.contains("credentials"), "{}", s.dpc.why);

        // 3. Ransomware on the appointments database: names, addresses,
        //    birth dates and health notes, encrypted, backups gone.
        let s = assess(
            &[
                Kind::PersonName,
                Kind::PostalAddress,
                Kind::DateOfBirth,
                Kind::FreeText,
            ],
            &["health".to_string(), "contact".to_string()],
            &Circumstances {
                confidentiality: Confidentiality::Unknown,
                integrity: Integrity::None,
                availability: Availability::Permanent,
                malicious: true,
            },
        );
        assert_eq!((s.dpc.value, s.ei.value, s.cb.value), (4.0, 1.0, 1.5));
        assert_eq!((s.score, s.band), (5.5, Band::VeryHigh));
        assert!(s.dpc.why.contains("health"));
    }

    #[test]
    fn bands_at_their_edges() {
        assert_eq!(band(1.99), Band::Low);
        assert_eq!(band(2.0), Band::Medium);
        assert_eq!(band(3.0), Band::High);
        assert_eq!(band(4.0), Band::VeryHigh);
    }
}
