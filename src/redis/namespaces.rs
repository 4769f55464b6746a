//! The namespaces of a census as both faces ask about them: a filter a
//! person types (`/` in the console, `oubli scan redis --filter`), and what
//! changed between two censuses of the same connection.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::census::{glob_match, Census, Namespace};
use crate::pii::Kind;

/// A namespace filter: words that must all hold. `nottl` (keys without
/// TTL), `beyond` (TTL beyond retention), `pii`, `type:hash` (a Redis
/// type), `re:<regex>`, a glob with `*` or `?`, or plain text contained in
/// the pattern (case-insensitive). Parsed once; an empty filter keeps all.
#[derive(Debug, Clone)]
pub struct NsFilter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    NoTtl,
    Beyond,
    Pii,
    Type(String),
    Regex(Option<regex::Regex>),
    Glob(String),
    Text(String),
}

impl NsFilter {
    pub fn parse(s: &str) -> NsFilter {
        let terms = s
            .split_whitespace()
            .map(|w| match w.to_lowercase().as_str() {
                "nottl" | "no-ttl" => Term::NoTtl,
                "beyond" | ">ret" => Term::Beyond,
                "pii" => Term::Pii,
                l if l.starts_with("type:") => Term::Type(l["type:".len()..].to_string()),
                _ if w.starts_with("re:") => Term::Regex(
                    regex::RegexBuilder::new(&w[3..])
                        .size_limit(1 << 20)
                        .build()
                        .ok(),
                ),
                _ if w.contains('*') || w.contains('?') => Term::Glob(w.to_string()),
                l => Term::Text(l.to_string()),
            })
            .collect();
        NsFilter { terms }
    }

    /// No words: every namespace passes.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, n: &Namespace) -> bool {
        self.terms.iter().all(|t| match t {
            Term::NoTtl => n.no_ttl > 0,
            Term::Beyond => n.ttl_beyond_retention > 0,
            Term::Pii => n.has_pii(),
            Term::Type(ty) => n.types.contains_key(ty),
            // An invalid regex matches nothing rather than everything.
            Term::Regex(re) => re.as_ref().is_some_and(|r| r.is_match(&n.pattern)),
            Term::Glob(g) => glob_match(g.as_bytes(), n.pattern.as_bytes()),
            // A word that names a kind of personal data also matches the
            // namespaces where that kind was found, in names or values.
            Term::Text(t) => {
                n.pattern.to_lowercase().contains(t)
                    || crate::pii::Kind::from_word(t)
                        .is_some_and(|k| n.key_pii.contains_key(&k) || n.value_pii.contains_key(&k))
            }
        })
    }
}

/// One thing that changed between two censuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A namespace the previous census did not see.
    New {
        pattern: String,
        keys: u64,
        /// Kinds of personal data in its names or values.
        pii: Vec<Kind>,
        no_ttl: bool,
    },
    /// Personal data of kinds it did not hold before.
    GainedPii { pattern: String, kinds: Vec<Kind> },
    /// It had no key without TTL before; now it has `no_ttl`.
    LostTtl { pattern: String, no_ttl: u64 },
    /// The previous census saw it; this one does not.
    Gone { pattern: String },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |kinds: &[Kind]| {
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Change::New {
                pattern,
                keys,
                pii,
                no_ttl,
            } => {
                write!(f, "new namespace {pattern} ({keys} keys)")?;
                if !pii.is_empty() {
                    write!(f, " holds {}", names(pii))?;
                }
                if *no_ttl {
                    write!(f, " and has no TTL")?;
                }
                Ok(())
            }
            Change::GainedPii { pattern, kinds } => {
                write!(f, "{pattern} now holds {}", names(kinds))
            }
            Change::LostTtl { pattern, no_ttl } => {
                write!(f, "{pattern} now has {no_ttl} keys without TTL")
            }
            Change::Gone { pattern } => write!(f, "namespace {pattern} is gone"),
        }
    }
}

/// The kinds of personal data of a namespace, in names then values, each once.
fn kinds(n: &Namespace) -> Vec<Kind> {
    let mut seen = BTreeSet::new();
    n.key_pii
        .keys()
        .chain(n.value_pii.keys())
        .copied()
        .filter(|k| seen.insert(*k))
        .collect()
}

/// What changed between two censuses, in the order of the newer one's
/// namespaces: new namespaces (with their personal data and missing TTLs),
/// namespaces that gained personal data or keys without TTL; then the
/// namespaces that disappeared, by pattern.
pub fn diff(before: &Census, after: &Census) -> Vec<Change> {
    let old: BTreeMap<&str, &Namespace> = before
        .namespaces
        .iter()
        .map(|n| (n.pattern.as_str(), n))
        .collect();
    let mut out = Vec::new();
    for n in &after.namespaces {
        let pii = kinds(n);
        let Some(o) = old.get(n.pattern.as_str()) else {
            out.push(Change::New {
                pattern: n.pattern.clone(),
                keys: n.keys,
                pii,
                no_ttl: n.no_ttl > 0,
            });
            continue;
        };
        let had = kinds(o);
        let gained: Vec<Kind> = pii.into_iter().filter(|k| !had.contains(k)).collect();
        if !gained.is_empty() {
            out.push(Change::GainedPii {
                pattern: n.pattern.clone(),
                kinds: gained,
            });
        }
        if o.no_ttl == 0 && n.no_ttl > 0 {
            out.push(Change::LostTtl {
                pattern: n.pattern.clone(),
                no_ttl: n.no_ttl,
            });
        }
    }
    let new: BTreeSet<&str> = after
        .namespaces
        .iter()
        .map(|n| n.pattern.as_str())
        .collect();
    for p in old.keys().filter(|p| !new.contains(*p)) {
        out.push(Change::Gone {
            pattern: p.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(p: &str, no_ttl: u64, pii: bool) -> Namespace {
        let mut n = Namespace {
            pattern: p.into(),
            keys: 10,
            no_ttl,
            ..Namespace::default()
        };
        n.types.insert("hash".into(), 10);
        if pii {
            n.key_pii.insert(Kind::Email, 10);
        }
        n
    }

    #[test]
    fn a_kind_word_finds_the_namespaces_holding_that_kind() {
        // The pattern says nothing of e-mails; the census found some in values.
        let mut held = ns("rdv:session:{uuid}", 0, false);
        held.value_pii.insert(Kind::Email, 4);
        let mut phone = ns("otp:{int}", 0, false);
        phone.key_pii.insert(Kind::Phone, 2);
        let none = ns("stat:processed", 0, false);
        let m = |f: &str, n: &Namespace| NsFilter::parse(f).matches(n);
        for word in ["email", "EMAIL", "mail", "e-mail"] {
            assert!(m(word, &held), "{word}");
            assert!(!m(word, &phone), "{word}");
            assert!(!m(word, &none), "{word}");
        }
        assert!(m("phone", &phone) && m("tel", &phone) && !m("phone", &held));
        // A word that is no kind matches text only.
        assert!(m("sess", &held) && !m("sess", &phone));
        // Words combine: both must hold.
        assert!(!m("email otp", &held) && !m("email otp", &phone));
    }

    #[test]
    fn filters_combine() {
        let a = ns("user:{int}:profile", 3, true);
        let b = ns("stat:processed", 0, false);
        let f = |s: &str| {
            (
                NsFilter::parse(s).matches(&a),
                NsFilter::parse(s).matches(&b),
            )
        };
        assert_eq!(f(""), (true, true));
        assert!(NsFilter::parse(" ").is_empty());
        assert_eq!(f("pii"), (true, false));
        assert_eq!(f("nottl"), (true, false));
        assert_eq!(f("user:*"), (true, false));
        assert_eq!(f("re:^stat"), (false, true));
        assert_eq!(f("re:(["), (false, false));
        assert_eq!(f("type:hash profile"), (true, false));
        assert_eq!(f("type:zset"), (false, false));
        assert_eq!(f("PROFILE"), (true, false));
    }

    #[test]
    fn diffs_say_what_is_new() {
        let before = Census {
            namespaces: vec![ns("a:{int}", 0, false), ns("gone:{int}", 0, false)],
            ..Census::default()
        };
        let after = Census {
            namespaces: vec![ns("a:{int}", 2, true), ns("app:x:{email}", 5, true)],
            ..Census::default()
        };
        let d: Vec<String> = diff(&before, &after)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            d,
            vec![
                "a:{int} now holds email",
                "a:{int} now has 2 keys without TTL",
                "new namespace app:x:{email} (10 keys) holds email and has no TTL",
                "namespace gone:{int} is gone",
            ]
        );
        assert!(diff(&after, &after).is_empty());
    }

    /// A kind found in both the names and the values is named once (it
    /// read "holds email, email").
    #[test]
    fn a_kind_in_names_and_values_is_named_once() {
        let mut n = ns("app:x:{email}", 0, true);
        n.value_pii.insert(Kind::Email, 3);
        n.value_pii.insert(Kind::Phone, 1);
        let after = Census {
            namespaces: vec![n],
            ..Census::default()
        };
        let d = diff(&Census::default(), &after);
        assert_eq!(
            d[0].to_string(),
            "new namespace app:x:{email} (10 keys) holds email, phone"
        );
    }
}
