//! `oubli init --redis`: proposals for the register from a census — the
//! namespaces that hold personal data in their key names become
//! `[[person.redis]]` patterns when their placeholders are identifiers the
//! person model knows; the others are listed as comments to decide on.

use std::fmt::Write as _;

use super::census::Census;

/// A placeholder of a census pattern, as a person-model identifier.
fn identifier_for(
    placeholder: &str,
    previous_segment: &str,
    identifiers: &[String],
) -> Option<String> {
    let want = match placeholder {
        "{email}" => "email".to_string(),
        "{phone}" => "phone".to_string(),
        // user:{int}:profile → the user's id.
        "{int}" | "{uuid}" => {
            let prev = previous_segment.trim_end_matches('s');
            format!("{prev}_id")
        }
        _ => return None,
    };
    identifiers.iter().find(|i| **i == want).cloned()
}

/// The `[[person.redis]]` entries (and comments) for `census`.
pub fn person_redis_section(census: &Census, identifiers: &[String]) -> String {
    let mut out =
        String::from("# ─── Redis: one person's keys (proposed from a census; review) ─────────\n");
    let mut undecided = Vec::new();
    for n in census.namespaces.iter().filter(|n| n.has_pii()) {
        // Rebuild the pattern with identifiers where we can; other
        // placeholders become `*`.
        let mut pattern = String::new();
        let mut found = false;
        let mut prev = "";
        for (i, seg) in n.pattern.split(':').enumerate() {
            if i > 0 {
                pattern.push(':');
            }
            let is_placeholder = seg.starts_with('{') && seg.ends_with('}');
            match identifier_for(seg, prev, identifiers) {
                Some(id) if is_placeholder => {
                    found = true;
                    let _ = write!(pattern, "{{{id}}}");
                }
                _ if is_placeholder => pattern.push('*'),
                _ => pattern.push_str(seg),
            }
            prev = seg;
        }
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
        if found {
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
}
