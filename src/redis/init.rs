//! `oubli init --redis`: proposals for the register from a census — the
//! namespaces that hold personal data in their key names become
//! `[[person.redis]]` patterns when their placeholders are identifiers the
//! person model knows; the others are listed as comments to decide on.

use std::fmt::Write as _;

use super::census::Census;
use crate::keypattern::{placeholder_at, Family, KeyPattern, Segment};

/// A placeholder of a census pattern, as a person-model identifier: the
/// word before it names whose (`user:{int}` → `user_id`).
fn identifier_for(placeholder: &str, word_before: &str, identifiers: &[String]) -> Option<String> {
    let want = match placeholder {
        "email" | "phone" => placeholder.to_string(),
        // user:{int}:profile → the user's id.
        "int" | "uuid" => {
            let prev = word_before.trim_end_matches('s');
            format!("{prev}_id")
        }
        _ => return None,
    };
    identifiers.iter().find(|i| **i == want).cloned()
}

/// The last word of `literal` (letters, digits, `_`), past what ends it
/// (`user:{` → `user`).
fn last_word(literal: &str) -> &str {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let trimmed = literal.trim_end_matches(|c| !word(c));
    let start = trimmed.rfind(|c| !word(c)).map_or(0, |i| {
        i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
    });
    &trimmed[start..]
}

/// `literal` as the literal text of a person pattern: its wildcards and
/// escapes escaped, and any brace that would start a placeholder there.
fn person_literal(literal: &str, out: &mut String) {
    for (i, c) in literal.char_indices() {
        let opens = c == '{' && placeholder_at(&literal[i..], Family::Person).is_some();
        if matches!(c, '*' | '?' | '\\') || opens {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The census namespace `pattern` as a person pattern: placeholders that
/// are identifiers named, the others `*`; `None` when none is.
fn person_pattern(pattern: &str, identifiers: &[String]) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut found = false;
    let mut word = "";
    for seg in KeyPattern::namespace(pattern).segments() {
        match seg {
            Segment::Literal(l) => {
                person_literal(l, &mut out);
                if !last_word(l).is_empty() {
                    word = last_word(l);
                }
            }
            Segment::Placeholder(name) => {
                match identifier_for(name, word, identifiers) {
                    Some(id) => {
                        found = true;
                        let _ = write!(out, "{{{id}}}");
                    }
                    None => out.push('*'),
                }
                word = "";
            }
            // A namespace has none.
            Segment::Wildcard(_) => out.push('*'),
        }
    }
    found.then_some(out)
}

/// The `[[person.redis]]` entries (and comments) for `census`.
pub fn person_redis_section(census: &Census, identifiers: &[String]) -> String {
    let mut out =
        String::from("# ─── Redis: one person's keys (proposed from a census; review) ─────────\n");
    let mut undecided = Vec::new();
    for n in census.namespaces.iter().filter(|n| n.has_pii()) {
        // The pattern with identifiers where we can; other placeholders
        // become `*`.
        let pattern = person_pattern(&n.pattern, identifiers);
        let mut kinds: Vec<&str> = n
            .key_pii
            .keys()
            .chain(n.value_pii.keys())
            .map(|k| k.as_str())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let no_ttl = if n.no_ttl > 0 {
            format!(", {} without TTL", n.no_ttl)
        } else {
            String::new()
        };
        if let Some(pattern) = pattern {
            let _ = writeln!(
                out,
                "[[person.redis]]               # {} keys: {}{no_ttl}\npattern = {:?}\nerase = \"unlink\"\n",
                n.keys,
                kinds.join(", "),
                pattern
            );
        } else {
            undecided.push(format!(
                "#   {} ({} keys: {}{no_ttl})",
                n.pattern,
                n.keys,
                kinds.join(", ")
            ));
        }
    }
    if !undecided.is_empty() {
        out.push_str("# These namespaces hold personal data but their names do not say whose:\n");
        out.push_str("# find one person's keys another way (a hash field: `fields = { email = \"email\" }`)\n");
        out.push_str("# or give them a short TTL.\n");
        for u in undecided {
            out.push_str(&u);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::Kind;
    use crate::redis::census::Namespace;

    fn ns(p: &str, k: Kind) -> Namespace {
        let mut n = Namespace {
            pattern: p.into(),
            keys: 5,
            no_ttl: 5,
            ..Namespace::default()
        };
        n.key_pii.insert(k, 5);
        n
    }

    #[test]
    fn proposes_patterns_with_known_identifiers_only() {
        let c = Census {
            namespaces: vec![
                ns("app:production:user_session_domain:{email}", Kind::Email),
                ns("user:{int}:profile", Kind::Email),
                ns("rate_limit:{ip}", Kind::IpAddress),
            ],
            ..Census::default()
        };
        let ids = vec!["email".to_string(), "user_id".to_string()];
        let s = person_redis_section(&c, &ids);
        assert!(
            s.contains("pattern = \"app:production:user_session_domain:{email}\""),
            "{s}"
        );
        assert!(s.contains("pattern = \"user:{user_id}:profile\""), "{s}");
        assert!(
            s.contains("#   rate_limit:{ip} (5 keys: ip_address, 5 without TTL)"),
            "{s}"
        );
    }

    #[test]
    fn hash_tags_keep_their_identifiers() {
        let ids = ["email".to_string(), "user_id".to_string()];
        for (ns, want) in [
            ("user:{{email}}:cart", "user:{{email}}:cart"),
            ("{user:{int}}:profile", "{user:{user_id}}:profile"),
            ("users:{int}:x:{hex}", "users:{user_id}:x:*"),
            // Glob characters of the key are no wildcards of the proposal.
            ("a*b?:{email}:\\x", "a\\*b\\?:{email}:\\\\x"),
        ] {
            assert_eq!(person_pattern(ns, &ids).as_deref(), Some(want), "{ns}");
        }
        assert_eq!(person_pattern("rate_limit:{ip}", &ids), None);
    }
}
