//! Key patterns: the one grammar of the `{placeholder}` notation, for the
//! two families of patterns that share it.
//!
//! - A **census namespace** (`user:{int}:profile`, `user:{{int}}:cart`),
//!   written by [`crate::pii::keys::pattern`]: `{` lowercase letters `}` is
//!   a placeholder; every other byte is the key's own, braces of a Redis
//!   Cluster hash tag and glob characters (`*?[]\`) included. `{other}`
//!   ([`BUCKET`]) is no namespace but the census's bucket for what did not
//!   fit: no key belongs to it and no action may target it.
//! - A **person pattern** of the register (`app:*:user_session_domain:{email}`):
//!   `*` and `?` are glob wildcards, `\` makes the next character literal,
//!   `{identifier}` (ASCII letters, digits, `_`, `-`) names a person
//!   identifier that [`KeyPattern::fill`] replaces with its value. Other
//!   braces are literal (`user:{{user_id}}:cart` keeps its hash tag).
//!
//! A pattern gives its segments ([`KeyPattern::segments`]), the names of
//! its placeholders, a `SCAN MATCH` glob ([`KeyPattern::glob`]: every
//! placeholder is `*`, literal glob characters escaped), that glob with
//! values filled in ([`KeyPattern::fill`], the values' glob characters
//! escaped) and whether a key belongs to it ([`KeyPattern::belongs`]). A
//! glob finds a superset of a pattern's keys; `belongs` is the exact test
//! to make before acting on a key.
//!
//! ```
//! use oubli::keypattern::{glob_match, KeyPattern};
//! let ns = KeyPattern::namespace("user:{int}:cart");
//! assert_eq!(ns.glob(), b"user:*:cart");
//! assert!(ns.belongs(b"user:42:cart", b":"));
//! assert!(glob_match(&ns.glob(), b"user:a:b:cart"));
//! assert!(!ns.belongs(b"user:a:b:cart", b":"));
//!
//! let person = KeyPattern::person("app:*:session:{email}");
//! let values = |name: &str| (name == "email").then_some(&b"j*@x.fr"[..]);
//! assert_eq!(person.fill(values), b"app:*:session:j\\*@x.fr");
//! ```

/// The census's bucket for the namespaces past its limit: not a namespace.
pub const BUCKET: &str = "{other}";

/// Which grammar a pattern is read with (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A census namespace: placeholders of lowercase letters, nothing else.
    Namespace,
    /// A register person pattern: placeholders naming identifiers, `*` and
    /// `?` wildcards, `\` escapes.
    Person,
}

/// A piece of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Bytes the key holds as they are.
    Literal(&'a str),
    /// `{name}`: one value, never across a delimiter.
    Placeholder(&'a str),
    /// `*` or `?` (person patterns only).
    Wildcard(Wildcard),
}

/// A person pattern's glob wildcards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wildcard {
    /// `*`: any bytes, none at all included.
    Any,
    /// `?`: one byte.
    One,
}

/// The placeholder `s` starts with, if it starts with one: its name and
/// its length in bytes (braces included).
pub fn placeholder_at(s: &str, family: Family) -> Option<(&str, usize)> {
    let rest = s.strip_prefix('{')?;
    let n = rest.bytes().take_while(|&b| name_byte(b, family)).count();
    (n > 0 && rest.as_bytes().get(n) == Some(&b'}')).then(|| (&rest[..n], n + 2))
}

fn name_byte(b: u8, family: Family) -> bool {
    match family {
        Family::Namespace => b.is_ascii_lowercase(),
        Family::Person => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
    }
}

/// The segments of `pattern`, read as `family`.
pub fn segments(pattern: &str, family: Family) -> Segments<'_> {
    Segments {
        rest: pattern,
        family,
    }
}

/// The names of the placeholders of `pattern`, in order.
pub fn placeholders(pattern: &str, family: Family) -> impl Iterator<Item = &str> {
    segments(pattern, family).filter_map(|s| match s {
        Segment::Placeholder(name) => Some(name),
        _ => None,
    })
}

/// The iterator of [`segments`].
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    rest: &'a str,
    family: Family,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        let s = self.rest;
        let first = *s.as_bytes().first()?;
        if let Some((name, len)) = placeholder_at(s, self.family) {
            self.rest = &s[len..];
            return Some(Segment::Placeholder(name));
        }
        let person = self.family == Family::Person;
        if person {
            let wild = match first {
                b'*' => Some(Wildcard::Any),
                b'?' => Some(Wildcard::One),
                _ => None,
            };
            if let Some(w) = wild {
                self.rest = &s[1..];
                return Some(Segment::Wildcard(w));
            }
            if first == b'\\' {
                if let Some(c) = s[1..].chars().next() {
                    let end = 1 + c.len_utf8();
                    self.rest = &s[end..];
                    return Some(Segment::Literal(&s[1..end]));
                }
            }
        }
        // A run of literal bytes, up to what may start something else
        // (ASCII bytes, so the cut is a character boundary).
        let end = s
            .bytes()
            .skip(1)
            .position(|b| b == b'{' || (person && matches!(b, b'*' | b'?' | b'\\')))
            .map_or(s.len(), |i| i + 1);
        self.rest = &s[end..];
        Some(Segment::Literal(&s[..end]))
    }
}

/// A pattern of either family, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPattern<'a> {
    text: &'a str,
    family: Family,
}

impl<'a> KeyPattern<'a> {
    /// A census namespace (`user:{int}:profile`).
    pub fn namespace(text: &'a str) -> KeyPattern<'a> {
        KeyPattern {
            text,
            family: Family::Namespace,
        }
    }

    /// A register person pattern (`app:*:session:{email}`).
    pub fn person(text: &'a str) -> KeyPattern<'a> {
        KeyPattern {
            text,
            family: Family::Person,
        }
    }

    pub fn as_str(&self) -> &'a str {
        self.text
    }

    pub fn family(&self) -> Family {
        self.family
    }

    pub fn segments(&self) -> Segments<'a> {
        segments(self.text, self.family)
    }

    /// The names of its placeholders, in order (`{{email}}` names `email`).
    pub fn placeholders(&self) -> impl Iterator<Item = &'a str> {
        placeholders(self.text, self.family)
    }

    /// The census's `{other}` bucket: no namespace, nothing to act on.
    pub fn is_bucket(&self) -> bool {
        self.family == Family::Namespace && self.text == BUCKET
    }

    /// The `SCAN MATCH` glob: each placeholder `*`, wildcards as they are,
    /// the glob characters of literal text escaped.
    pub fn glob(&self) -> Vec<u8> {
        self.fill(|_| None)
    }

    /// The glob with the placeholders that have a value replaced by it,
    /// its glob characters (`*?[]\`) escaped; the others are `*`.
    pub fn fill<'v>(&self, value: impl Fn(&str) -> Option<&'v [u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len());
        // `**` is `*`: one star keeps the match linear.
        let star = |out: &mut Vec<u8>| {
            if out.last() != Some(&b'*') || out.ends_with(b"\\*") {
                out.push(b'*');
            }
        };
        for seg in self.segments() {
            match seg {
                Segment::Literal(l) => push_escaped(&mut out, l.as_bytes()),
                Segment::Placeholder(name) => match value(name) {
                    Some(v) => push_escaped(&mut out, v),
                    None => star(&mut out),
                },
                Segment::Wildcard(Wildcard::Any) => star(&mut out),
                Segment::Wildcard(Wildcard::One) => out.push(b'?'),
            }
        }
        out
    }

    /// Whether `key` is one of the pattern's keys, with the census's
    /// `delimiters` (empty: `:`). A namespace's keys are those that fold
    /// to it exactly (`pii::keys::pattern(key) == pattern`), so a key of
    /// another namespace that its glob matches (`user:a:b:cart` for
    /// `user:{int}:cart`) does not belong, and none belongs to
    /// [`BUCKET`] but a key of that very name. A person pattern matches as
    /// its glob does, except that a placeholder stands for one or more
    /// bytes and never crosses a delimiter.
    pub fn belongs(&self, key: &[u8], delimiters: &[u8]) -> bool {
        match self.family {
            Family::Namespace => crate::pii::keys::pattern(key, delimiters) == self.text,
            Family::Person => person_match(self.segments(), key, delimiters),
        }
    }
}

/// `bytes` with the glob characters escaped.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// [`KeyPattern::belongs`] for a person pattern: the key positions each
/// segment can end at, segment after segment (linear in the key per
/// segment, but for literals after a `*`).
fn person_match(segs: Segments<'_>, key: &[u8], delimiters: &[u8]) -> bool {
    let delims = if delimiters.is_empty() {
        crate::pii::keys::DEFAULT_DELIMITERS
    } else {
        delimiters
    };
    let n = key.len();
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    let mut next = vec![false; n + 1];
    for seg in segs {
        next.fill(false);
        match seg {
            Segment::Literal(l) => {
                let l = l.as_bytes();
                for i in (0..=n).filter(|&i| reach[i]) {
                    if key[i..].starts_with(l) {
                        next[i + l.len()] = true;
                    }
                }
            }
            Segment::Wildcard(Wildcard::One) => {
                for i in (0..n).filter(|&i| reach[i]) {
                    next[i + 1] = true;
                }
            }
            Segment::Wildcard(Wildcard::Any) => {
                if let Some(first) = reach.iter().position(|&r| r) {
                    next[first..].fill(true);
                }
            }
            Segment::Placeholder(_) => {
                // next[j + 1]: some reachable i <= j with no delimiter in key[i..=j].
                let mut open = false;
                for j in 0..n {
                    open |= reach[j];
                    if delims.contains(&key[j]) {
                        open = false;
                    } else if open {
                        next[j + 1] = true;
                    }
                }
            }
        }
        std::mem::swap(&mut reach, &mut next);
        if !reach.contains(&true) {
            return false;
        }
    }
    reach[n]
}

/// A Redis glob (`*`, `?`, `[…]` classes with `^` and ranges, `\x`)
/// matched against a key as `SCAN MATCH` does, in O(len²) at worst (the
/// classic two-pointer walk with one backtrack point).
pub fn glob_match(pattern: &[u8], key: &[u8]) -> bool {
    let (mut p, mut k) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while k < key.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, k));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => class_match(pattern, p, key[k]),
            Some(b'\\') if p + 1 < pattern.len() => (pattern[p + 1] == key[k]).then_some(p + 2),
            Some(&c) => (c == key[k]).then_some(p + 1),
            None => None,
        };
        match (step, star) {
            (Some(np), _) => {
                p = np;
                k += 1;
            }
            (None, Some((sp, sk))) => {
                p = sp + 1;
                k = sk + 1;
                star = Some((sp, sk + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// The class at `pattern[p] == b'['` against `b`: where the pattern goes
/// on when it matches. As Redis reads it: `\` escapes, `a-z` is a range
/// (either way round), `^` first negates, an unclosed class ends with the
/// pattern.
fn class_match(pattern: &[u8], p: usize, b: u8) -> Option<usize> {
    let mut i = p + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    loop {
        match pattern.get(i) {
            None => break,
            Some(b']') => {
                i += 1;
                break;
            }
            Some(b'\\') if i + 1 < pattern.len() => {
                hit |= pattern[i + 1] == b;
                i += 2;
            }
            Some(&lo) if pattern.get(i + 1) == Some(&b'-') && i + 2 < pattern.len() => {
                let hi = pattern[i + 2];
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
                hit |= (lo..=hi).contains(&b);
                i += 3;
            }
            Some(&c) => {
                hit |= c == b;
                i += 1;
            }
        }
    }
    (hit != negate).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str, f: Family) -> Vec<Segment<'_>> {
        segments(p, f).collect()
    }

    #[test]
    fn namespaces_parse_placeholders_and_keep_other_braces() {
        use Segment::*;
        assert_eq!(
            segs("user:{{int}}:cart", Family::Namespace),
            [
                Literal("user:"),
                Literal("{"),
                Placeholder("int"),
                Literal("}:cart")
            ]
        );
        assert_eq!(
            segs("a*b:{Int}:{}", Family::Namespace),
            [Literal("a*b:"), Literal("{Int}:"), Literal("{}")]
        );
        assert_eq!(
            KeyPattern::namespace("{user:{int}}:x").glob(),
            b"{user:*}:x"
        );
        assert_eq!(KeyPattern::namespace("a*b:{email}").glob(), b"a\\*b:*");
        assert_eq!(
            KeyPattern::namespace("q\\[x]?:{int}{hex}").glob(),
            b"q\\\\\\[x\\]\\?:*"
        );
    }

    #[test]
    fn person_patterns_have_wildcards_escapes_and_identifiers() {
        use Segment::*;
        let p = KeyPattern::person("app:*:s\\*:{user_id}:{{email}}?");
        assert_eq!(
            p.segments().collect::<Vec<_>>(),
            [
                Literal("app:"),
                Wildcard(self::Wildcard::Any),
                Literal(":s"),
                Literal("*"),
                Literal(":"),
                Placeholder("user_id"),
                Literal(":"),
                Literal("{"),
                Placeholder("email"),
                Literal("}"),
                Wildcard(self::Wildcard::One),
            ]
        );
        assert_eq!(p.placeholders().collect::<Vec<_>>(), ["user_id", "email"]);
        assert_eq!(p.glob(), b"app:*:s\\*:*:{*}?");
        let v = |n: &str| (n == "email").then_some(&b"a?b[c]\\d*"[..]);
        assert_eq!(p.fill(v), b"app:*:s\\*:*:{a\\?b\\[c\\]\\\\d\\*}?");
        assert!(KeyPattern::person("plain:*")
            .placeholders()
            .next()
            .is_none());
    }

    #[test]
    fn person_keys_belong_without_crossing_delimiters() {
        let p = KeyPattern::person("user:{user_id}:*");
        assert!(p.belongs(b"user:42:cart", b":"));
        assert!(p.belongs(b"user:42:cart:items", b":"));
        assert!(
            !p.belongs(b"user::cart", b":"),
            "a placeholder holds a value"
        );
        assert!(!p.belongs(b"user:42", b":"));
        let p = KeyPattern::person("otp:{phone}");
        assert!(p.belongs(b"otp:0612345678", b""));
        assert!(!p.belongs(b"otp:06:12", b":"));
        assert!(p.belongs(b"otp:06:12", b"/"));
        let p = KeyPattern::person("a?{x}\\*");
        assert!(p.belongs(b"abc*", b":"));
        assert!(!p.belongs(b"abcd", b":"));
    }

    #[test]
    fn the_bucket_is_no_namespace() {
        assert!(KeyPattern::namespace(BUCKET).is_bucket());
        assert!(!KeyPattern::person(BUCKET).is_bucket());
        assert!(!KeyPattern::namespace(BUCKET).belongs(b"user:42", b":"));
    }

    #[test]
    fn globs_match_like_redis() {
        let long = b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax";
        for (glob, key, want) in [
            (
                &b"app:*:user_session_domain:*"[..],
                &b"app:production:user_session_domain:a@b.fr"[..],
                true,
            ),
            (b"otp:*", b"otp:0612345678", true),
            (b"otp:*", b"xotp:1", false),
            (b"u?er", b"user", true),
            (b"a\\*b", b"a*b", true),
            (b"a\\*b", b"axb", false),
            (b"**********x", long, true),
            (b"h[ae]llo", b"hello", true),
            (b"h[^e]llo", b"hello", false),
            (b"h[a-b]llo", b"hbllo", true),
            (b"h[z-a]llo", b"hbllo", true),
            (b"x\\[y\\]", b"x[y]", true),
            (b"x\\[y\\]", b"xy", false),
            (b"*[\\]]", b"a]", true),
        ] {
            let shown = String::from_utf8_lossy(glob);
            assert_eq!(glob_match(glob, key), want, "{shown}");
        }
    }
}
