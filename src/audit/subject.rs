//! The person as the trail names them: `HMAC-SHA256(key, "oubli-subject/v1"
//! 0x00 kind 0x00 normalised identifier)`. Still pseudonymous personal data
//! in law, so the key is kept apart from the trail and used for nothing else.
//! The identifier is normalised first so that the same person always gets
//! the same hash: e-mails trimmed and lowercased, phones to E.164 (French
//! national formats, overseas departments included), anything else trimmed.

use std::fmt;

use ring::hmac;

use super::{Digest, Subject};

/// The key of the subject hash. `Debug` never shows it.
pub struct SubjectKey(hmac::Key);

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectKey(…)")
    }
}

impl SubjectKey {
    /// At least 32 bytes: the output's size, as RFC 2104 advises.
    pub fn from_bytes(key: &[u8]) -> anyhow::Result<SubjectKey> {
        anyhow::ensure!(
            key.len() >= 32,
            "the audit HMAC key is too short ({} bytes; 32 or more are needed)",
            key.len()
        );
        Ok(SubjectKey(hmac::Key::new(hmac::HMAC_SHA256, key)))
    }

    /// The keyed hash of `identifier` read as `kind` (`email`, `phone`, or
    /// any other name of the register's person model).
    pub fn subject(&self, kind: &str, identifier: &str) -> Subject {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(b"oubli-subject/v1\0");
        ctx.update(kind.as_bytes());
        ctx.update(b"\0");
        ctx.update(normalise(kind, identifier).as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        Subject {
            kind: kind.to_string(),
            hmac: Digest(out),
        }
    }
}

/// The identifier as it is hashed.
pub fn normalise(kind: &str, identifier: &str) -> String {
    match kind {
        "email" => normalise_email(identifier),
        "phone" => normalise_phone(identifier),
        _ => identifier.trim().to_string(),
    }
}

/// Trimmed and lowercased (the local part too: no provider oubli serves
/// tells `Jane@` from `jane@`).
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Overseas departments and collectivities dialled from France with a
/// national `0` number but reached abroad through their own country code:
/// `(national prefix without the 0, country code)`.
const OVERSEAS: [(&str, &str); 14] = [
    ("262", "262"), // La Réunion, fixed
    ("263", "262"),
    ("692", "262"), // La Réunion, mobile
    ("693", "262"),
    ("269", "262"), // Mayotte, fixed
    ("639", "262"), // Mayotte, mobile
    ("590", "590"), // Guadeloupe, Saint-Barthélemy, Saint-Martin, fixed
    ("690", "590"), // … mobile
    ("691", "590"),
    ("594", "594"), // Guyane, fixed
    ("694", "594"), // Guyane, mobile
    ("596", "596"), // Martinique, fixed
    ("696", "596"), // Martinique, mobile
    ("697", "596"),
];

/// E.164 (`+33612345678`) from the ways a French number is written:
/// `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78`,
/// `+33 (0)6 12 34 56 78`, `0033 6…`, and overseas numbers (`0692 …`,
/// `+262 692 …`, even `+33 692 …`) to their own country code. Other
/// international numbers keep their `+`; text that is not a phone number
/// comes back trimmed, so it still hashes the same way every time.
pub fn normalise_phone(s: &str) -> String {
    let t = s.trim().replace("(0)", "");
    let plus = t.starts_with('+');
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let separators_only = t
        .chars()
        .all(|c| c.is_ascii_digit() || " .-/()+\u{a0}".contains(c));
    if digits.is_empty() || !separators_only {
        return s.trim().to_string();
    }
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let french_national = match international {
        Some(rest) => match rest.strip_prefix("33") {
            Some(n) => n.strip_prefix('0').unwrap_or(n).to_string(),
            None => return format!("+{rest}"),
        },
        None => match digits.strip_prefix('0') {
            Some(n) if n.len() == 9 => n.to_string(),
            _ => return digits,
        },
    };
    let country = OVERSEAS
        .iter()
        .find(|(prefix, _)| french_national.len() == 9 && french_national.starts_with(prefix))
        .map_or("33", |(_, cc)| cc);
    format!("+{country}{french_national}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_french_mobile_written_every_way_is_one_number() {
        for s in [
            "0612345678",
            "06 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            " +33 6 12 34 56 78 ",
            "+33 (0)6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            "+330612345678",
        ] {
            assert_eq!(normalise_phone(s), "+33612345678", "{s:?}");
        }
    }

    #[test]
    fn overseas_numbers_take_their_own_country_code() {
        for (s, want) in [
            ("0692 12 34 56", "+262692123456"),
            ("+262 692 12 34 56", "+262692123456"),
            ("+33 692 12 34 56", "+262692123456"),
            ("02 62 12 34 56", "+262262123456"),
            ("0639 12 34 56", "+262639123456"),
            ("0590 12 34 56", "+590590123456"),
            ("0696 12 34 56", "+596696123456"),
            ("0694 12 34 56", "+594694123456"),
        ] {
            assert_eq!(normalise_phone(s), want, "{s:?}");
        }
    }

    #[test]
    fn other_numbers_and_non_numbers_are_kept_stable() {
        assert_eq!(normalise_phone("+44 20 7946 0958"), "+442079460958");
        assert_eq!(normalise_phone("0044 20 7946 0958"), "+442079460958");
        assert_eq!(normalise_phone("12345"), "12345");
        assert_eq!(normalise_phone("  not a phone "), "not a phone");
    }

    #[test]
    fn the_same_person_gets_the_same_hash_and_kinds_are_kept_apart() {
        let key = SubjectKey::from_bytes(&[7; 32]).expect("32 bytes");
        let a = key.subject("email", " Jane.Doe@Example.FR ");
        let b = key.subject("email", "jane.doe@example.fr");
        assert_eq!(a, b);
        assert_eq!(
            key.subject("phone", "06 12 34 56 78"),
            key.subject("phone", "+33612345678")
        );
        assert_ne!(
            key.subject("user_id", "42").hmac,
            key.subject("account", "42").hmac
        );
        let other = SubjectKey::from_bytes(&[8; 32]).expect("32 bytes");
        assert_ne!(other.subject("email", "jane.doe@example.fr").hmac, a.hmac);
        assert!(SubjectKey::from_bytes(&[1; 16]).is_err());
        assert_eq!(format!("{key:?}"), "SubjectKey(…)");
    }
}
