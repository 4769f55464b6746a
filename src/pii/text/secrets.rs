//! Secrets in text: password hashes, API and bearer tokens, JWTs, private
//! keys, and the values of credential assignments ("password=…").

use std::ops::Range;

use super::super::{Hit, Kind};
use super::TextDetector;

/// Password hashes, API tokens, bearer tokens, JWTs.
pub(super) const SECRET: &str = concat!(
    r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}",
    r"|\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+",
    r"|pbkdf2_sha(?:1|256|512)\$[0-9]+\$[A-Za-z0-9./+]+\$[A-Za-z0-9+/=]+",
    r"|\$pbkdf2(?:-sha(?:1|256|512))?\$[0-9]+\$[A-Za-z0-9./+]+\$[A-Za-z0-9./+=]+",
    r"|\$[56]\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}",
    r"|\$scrypt\$[^\s$]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+",
    r"|(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abpros]-[A-Za-z0-9\-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|sk-(?:proj-)?[A-Za-z0-9_\-]{32,}|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|npm_[A-Za-z0-9]{36})",
    r"|(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    r"|(?-u:\b)(?:Bearer|bearer|BEARER|Token|token)[ ]+[A-Za-z0-9\-._~+/]{16,}=*",
    // HTTP basic credentials, md5crypt, PEM private keys.
    r"|(?-u:\b)Basic[ ]+[A-Za-z0-9+/]{8,}={0,2}",
    r"|\$1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}",
    r"|-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----(?:[A-Za-z0-9+/=:,\-\s]{0,8192}-----END [A-Z ]{0,20}PRIVATE KEY-----)?",
);

/// Labels of a credential written as an assignment (each ends with one
/// of the trigrams `credential_label_before` checks first) ("password=…",
/// "\"api_key\": \"…\"", "token: …", "\"password\"=>\"…\""), in any case.
const CREDENTIAL_LABELS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "mot_de_passe",
    "motdepasse",
    "mdp",
    "secret",
    "client_secret",
    "api_key",
    "api-key",
    "apikey",
    "x-api-key",
    "access_token",
    "access-token",
    "auth_token",
    "auth-token",
    "refresh_token",
    "token",
    "private_key",
    "secret_access_key",
    "aws_secret_access_key",
];

/// The length in bytes of the shortest text `pattern` can match.
pub(super) fn min_len(pattern: &str) -> usize {
    regex_automata::util::syntax::parse(pattern)
        .ok()
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0)
}

impl TextDetector {
    pub(super) fn secrets(&self, text: &str, hits: &mut Vec<Hit>) {
        for m in self.secret.find_iter(text) {
            hits.push(Hit::new(Kind::Secret, 0.95, m.range()));
        }
        // Assignments need their separator.
        if memchr::memchr2(b'=', b':', text.as_bytes()).is_none() {
            return;
        }
        // Each '=' or ':' whose word before is a credential's label.
        let b = text.as_bytes();
        for sep in memchr::memchr2_iter(b'=', b':', b) {
            if !credential_label_before(b, sep) {
                continue;
            }
            if let Some(value) = credential_value(text, assigned_at(b, sep)) {
                hits.push(Hit::new(Kind::Secret, 0.85, value));
            }
        }
    }
}

/// Whether the word before the separator at `sep` (after at most four
/// spaces and a quote) is a credential's label, alone or ending a longer
/// name ("db_password", "remember_token", "X-Api-Key").
#[inline]
fn credential_label_before(b: &[u8], sep: usize) -> bool {
    let mut end = sep;
    let mut spaces = 0;
    while spaces < 4 && end > 0 && b[end - 1] == b' ' {
        end -= 1;
        spaces += 1;
    }
    if end > 0 && matches!(b[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    // Every label ends with one of these three letters (lowercase): most
    // separators stop here.
    let Some(&[x, y, z]) = b.get(end.saturating_sub(3)..end) else {
        return false;
    };
    if !matches!(
        [x | 0x20, y | 0x20, z | 0x20],
        [b'o', b'r', b'd']
            | [b's', b'w', b'd']
            | [b'p', b'w', b'd']
            | [b'a', b's', b's']
            | [b's', b's', b'e']
            | [b'm', b'd', b'p']
            | [b'r', b'e', b't']
            | [b'k', b'e', b'y']
            | [b'k', b'e', b'n']
    ) {
        return false;
    }
    let mut word = [0u8; 32];
    let mut n = 0;
    while n < word.len()
        && end > n
        && (b[end - 1 - n].is_ascii_alphanumeric() || matches!(b[end - 1 - n], b'_' | b'-'))
    {
        word[word.len() - 1 - n] = b[end - 1 - n].to_ascii_lowercase();
        n += 1;
    }
    let word = &word[word.len() - n..];
    CREDENTIAL_LABELS.iter().any(|label| {
        word.ends_with(label.as_bytes())
            && (word.len() == label.len()
                || matches!(word[word.len() - label.len() - 1], b'_' | b'-'))
    })
}

/// Where the value starts after the separator at `sep`: `=`, `:` or
/// `=>`, at most four spaces and an optional quote.
fn assigned_at(b: &[u8], sep: usize) -> usize {
    let mut i = sep + 1;
    if b[sep] == b'=' && b.get(i) == Some(&b'>') {
        i += 1;
    }
    let mut spaces = 0;
    while spaces < 4 && b.get(i) == Some(&b' ') {
        i += 1;
        spaces += 1;
    }
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i
}

/// The value of a credential assignment starting at `at`, unless it is
/// empty, too short to be one, or a placeholder ("[FILTERED]", "null",
/// "***", "${DB_PASSWORD}", "%s").
fn credential_value(text: &str, at: usize) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let len = b[at..]
        .iter()
        .take_while(|c| {
            !c.is_ascii_whitespace()
                && !matches!(c, b'"' | b'\'' | b'&' | b',' | b';' | b'}' | b')' | b']')
        })
        .count();
    let v = &text[at..at + len];
    let lower = v.to_ascii_lowercase();
    let placeholder = matches!(
        lower.as_str(),
        "null"
            | "nil"
            | "none"
            | "undefined"
            | "true"
            | "false"
            | "filtered"
            | "redacted"
            | "hidden"
            | "masked"
            | "password"
            | "secret"
            | "required"
            | "optional"
    ) || v.starts_with(['[', '<', '$', '%', '{', '/', '*'])
        || v.bytes().all(|c| c == v.as_bytes()[0]);
    ((6..=512).contains(&len) && !placeholder).then(|| at..at + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_secret() {
        assert_eq!(min_len("ab[0-9]{3}"), 5);
        // "$scrypt$" and three one-byte fields.
        assert_eq!(min_len(SECRET), 13);
    }
}
