//! Retention periods as the register states them: `"7 days"`, `"~2 hours"`,
//! `"12 months"`, `"unknown"`, `"none"` (kept with no expiry).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A unit of time as people write it in a data map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    /// Length in seconds; months and years are the Gregorian averages.
    pub fn seconds(self) -> u64 {
        match self {
            Unit::Second => 1,
            Unit::Minute => 60,
            Unit::Hour => 3_600,
            Unit::Day => 86_400,
            Unit::Week => 7 * 86_400,
            Unit::Month => 2_629_746, // 365.2425 days / 12
            Unit::Year => 31_556_952, // 365.2425 days
        }
    }

    fn name(self, plural: bool) -> &'static str {
        match (self, plural) {
            (Unit::Second, false) => "second",
            (Unit::Second, true) => "seconds",
            (Unit::Minute, false) => "minute",
            (Unit::Minute, true) => "minutes",
            (Unit::Hour, false) => "hour",
            (Unit::Hour, true) => "hours",
            (Unit::Day, false) => "day",
            (Unit::Day, true) => "days",
            (Unit::Week, false) => "week",
            (Unit::Week, true) => "weeks",
            (Unit::Month, false) => "month",
            (Unit::Month, true) => "months",
            (Unit::Year, false) => "year",
            (Unit::Year, true) => "years",
        }
    }

    fn parse(word: &str) -> Option<Unit> {
        // English and French, singular and plural, and the usual abbreviations.
        Some(match word {
            "s" | "sec" | "secs" | "second" | "seconds" | "seconde" | "secondes" => Unit::Second,
            "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" | "heure" | "heures" => Unit::Hour,
            "d" | "day" | "days" | "jour" | "jours" | "j" => Unit::Day,
            "w" | "wk" | "week" | "weeks" | "semaine" | "semaines" => Unit::Week,
            "mo" | "month" | "months" | "mois" => Unit::Month,
            "y" | "yr" | "yrs" | "year" | "years" | "an" | "ans" | "année" | "années" => {
                Unit::Year
            }
            _ => return None,
        })
    }
}

/// A bounded retention: an amount of a unit, possibly approximate (`~2 hours`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub amount: u32,
    pub unit: Unit,
    pub approximate: bool,
}

impl Period {
    pub fn seconds(&self) -> u64 {
        u64::from(self.amount) * self.unit.seconds()
    }

    pub fn as_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds())
    }
}

/// How long personal data is kept in a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retention {
    /// Nobody has written it down: a gap in the register.
    Unknown,
    /// Kept with no expiry (e.g. manual backups): a gap too.
    NoExpiry,
    /// Kept at most this long.
    Limited(Period),
}

impl Retention {
    pub fn period(&self) -> Option<&Period> {
        match self {
            Retention::Limited(p) => Some(p),
            _ => None,
        }
    }

    /// Seconds, with `NoExpiry` as the longest and `Unknown` as nothing.
    pub fn seconds(&self) -> Option<u64> {
        match self {
            Retention::Unknown => None,
            Retention::NoExpiry => Some(u64::MAX),
            Retention::Limited(p) => Some(p.seconds()),
        }
    }

    /// The longer of two retentions; `Unknown` wins over everything because
    /// nothing can be promised about it.
    pub fn longest(self, other: Retention) -> Retention {
        match (self.seconds(), other.seconds()) {
            (None, _) | (_, None) => Retention::Unknown,
            (Some(a), Some(b)) => {
                if a >= b {
                    self
                } else {
                    other
                }
            }
        }
    }
}

/// Why a retention string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionError(pub String);

impl fmt::Display for RetentionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid retention {:?}: expected a duration such as \"7 days\", \"~2 hours\", \"12 months\", \"2 years\", or \"unknown\" or \"none\" (kept with no expiry)",
            self.0
        )
    }
}

impl std::error::Error for RetentionError {}

impl FromStr for Retention {
    type Err = RetentionError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let err = || RetentionError(raw.to_string());
        let text = raw.trim().to_lowercase();
        match text.as_str() {
            "unknown" | "?" | "inconnue" | "inconnu" => return Ok(Retention::Unknown),
            "none" | "never" | "no expiry" | "forever" | "indefinite" | "aucune" => {
                return Ok(Retention::NoExpiry)
            }
            _ => {}
        }
        let (approximate, rest) = ["~", "about ", "approx. ", "approximately ", "environ "]
            .iter()
            .find_map(|p| text.strip_prefix(p).map(|r| (true, r)))
            .unwrap_or((false, text.as_str()));
        let rest = rest
            .strip_prefix("up to ")
            .or_else(|| rest.strip_prefix("jusqu'à "))
            .unwrap_or(rest)
            .trim();
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(err());
        }
        let amount: u32 = rest[..digits_end].parse().map_err(|_| err())?;
        let unit = Unit::parse(rest[digits_end..].trim()).ok_or_else(err)?;
        if amount == 0 {
            return Err(err());
        }
        Ok(Retention::Limited(Period {
            amount,
            unit,
            approximate,
        }))
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Unknown => f.write_str("unknown"),
            Retention::NoExpiry => f.write_str("no expiry"),
            Retention::Limited(p) => write!(
                f,
                "{}{} {}",
                if p.approximate { "~" } else { "" },
                p.amount,
                p.unit.name(p.amount != 1)
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Retention {
        s.parse().expect(s)
    }

    #[test]
    fn reads_what_data_maps_say() {
        assert_eq!(p("7 days").to_string(), "7 days");
        assert_eq!(p("1 day").to_string(), "1 day");
        assert_eq!(p("~2 hours").to_string(), "~2 hours");
        assert_eq!(p("about 2 hours").to_string(), "~2 hours");
        assert_eq!(p("up to 2 years").to_string(), "2 years");
        assert_eq!(p("12 months").to_string(), "12 months");
        assert_eq!(p("12mo").to_string(), "12 months");
        assert_eq!(p("6 mois").to_string(), "6 months");
        assert_eq!(p("1 an").to_string(), "1 year");
        assert_eq!(p("Unknown"), Retention::Unknown);
        assert_eq!(p("none"), Retention::NoExpiry);
        assert_eq!(p("no expiry"), Retention::NoExpiry);
    }

    #[test]
    fn rejects_what_it_cannot_promise() {
        for bad in [
            "7 dayz",
            "",
            "days",
            "0 days",
            "7",
            "-1 day",
            "1.5 years",
            "x days",
        ] {
            let e = bad.parse::<Retention>().unwrap_err();
            assert!(e.to_string().contains("invalid retention"), "{bad}: {e}");
        }
    }

    #[test]
    fn compares_lengths() {
        assert_eq!(p("7 days").seconds(), Some(7 * 86_400));
        assert!(p("12 months").seconds() > p("364 days").seconds());
        assert_eq!(p("7 days").longest(p("1 year")), p("1 year"));
        assert_eq!(p("7 days").longest(p("none")), Retention::NoExpiry);
        assert_eq!(p("7 days").longest(p("unknown")), Retention::Unknown);
    }
}
