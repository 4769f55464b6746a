//! The one masking function, used on screen and in reports.

use std::net::Ipv6Addr;

use super::Kind;

/// The masked form of `text`, the matched text of a hit of `kind`:
/// `j***@e***.fr`, `+33 6 ** ** ** 78`, `203.0.113.*`, `2001:db8:85a3::*`,
/// `FR76 **** … 1234`, `**** **** **** 1234`, `J*** D***`,
/// `** rue *** 75*** ***`, `$2b$12$***`. Never panics; never returns `text`
/// itself for a non-empty input, nor all of its letters and digits.
pub fn mask(kind: Kind, text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let masked = mask_kind(kind, text);
    // Text that is not of the expected shape (no digits for a phone…)
    // would come out unchanged: never show it.
    if masked == text {
        return "***".to_string();
    }
    // A short value can come out with every letter and digit still there
    // ("-0.5" → "-0.5***", "a@b.fr" → "a***@b***.fr"): keep only the
    // punctuation. A free text's mask holds only its length.
    if kind != Kind::FreeText && shows_everything(text, &masked) {
        return only_punctuation(&masked);
    }
    masked
}

fn mask_kind(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Email => mask_email(text),
        Kind::Phone => mask_phone(text),
        Kind::IpAddress => mask_ip(text),
        Kind::Iban => mask_iban(text),
        Kind::PaymentCard => {
            let d: Vec<char> = text.chars().filter(char::is_ascii_digit).collect();
            // The last four of a real card number (12 to 19 digits), as on a
            // receipt; nothing of a shorter one.
            let last: String = if d.len() >= 12 {
                d[d.len() - 4..].iter().collect()
            } else {
                "****".to_string()
            };
            format!("**** **** **** {last}")
        }
        Kind::Nir => {
            let first = text.chars().next().unwrap_or('*');
            format!("{first} ** ** ** *** *** **")
        }
        Kind::Siren | Kind::Siret => keep_digits(text, 3),
        Kind::PostalAddress => mask_address(text),
        Kind::DateOfBirth => mask_all_but_shape(text),
        Kind::PersonName => mask_words(text),
        Kind::Secret => mask_secret(text),
        Kind::FreeText => format!("[text, {} chars]", text.chars().count()),
        Kind::OnlineId => {
            let head: String = text.chars().take(2).collect();
            if text.chars().count() > 4 {
                format!("{head}***")
            } else {
                "***".to_string()
            }
        }
        Kind::Geolocation => mask_geolocation(text),
    }
}

/// The letters and digits of `s`, lowercased.
fn alnums(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether every letter and digit of `text` is still in `masked`, in order
/// (case aside).
fn shows_everything(text: &str, masked: &str) -> bool {
    let wanted = alnums(text);
    if wanted.is_empty() {
        return false;
    }
    let mut shown = alnums(masked).into_iter();
    wanted.iter().all(|w| shown.any(|s| s == *w))
}

/// `masked` with every run of letters, digits and '*' replaced by `***`.
fn only_punctuation(masked: &str) -> String {
    let mut out = String::with_capacity(masked.len());
    let mut in_run = false;
    for c in masked.chars() {
        if c.is_alphanumeric() || c == '*' {
            if !in_run {
                out.push_str("***");
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// The first character and `***` when it is a letter or digit; `***` alone
/// otherwise.
fn initial(s: &str) -> String {
    match s.chars().next() {
        Some(c) if c.is_alphanumeric() => format!("{c}***"),
        Some(_) | None => "***".to_string(),
    }
}

/// First character of the local part and of the domain name; the top-level
/// domain when it looks like one (2 to 6 ASCII letters: `fr`, `com`,
/// `museum`), shared by too many people to say anything.
fn mask_email(text: &str) -> String {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return initial(text);
    };
    let (name, tld) = match domain.rsplit_once('.') {
        Some((name, tld)) => (name, Some(tld)),
        None => (domain, None),
    };
    match tld {
        Some(tld)
            if (2..=6).contains(&tld.len()) && tld.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            format!("{}@{}.{tld}", initial(local), initial(name))
        }
        Some(_) => format!("{}@{}.***", initial(local), initial(name)),
        None => format!("{}@{}", initial(local), initial(name)),
    }
}

/// Length of the E.164 country code at the start of `d` (digits after `+`
/// or `00`). Country codes form a prefix code: `1` and `7` have one digit,
/// the 2-digit ones are listed, every other one has three.
fn country_code_len(d: &[u8]) -> usize {
    let len = match d {
        [b'1' | b'7', ..] => 1,
        [a, b, ..] => {
            let cc = (a - b'0') * 10 + (b - b'0');
            let two = matches!(
                cc,
                20 | 27
                    | 30..=34
                    | 36
                    | 39
                    | 40
                    | 41
                    | 43..=49
                    | 51..=58
                    | 60..=66
                    | 81
                    | 82
                    | 84
                    | 86
                    | 90..=95
                    | 98
            );
            if two {
                2
            } else {
                3
            }
        }
        _ => 3,
    };
    len.min(d.len())
}

/// Keeps the international prefix and country code (`+33`, `0033`, `+1`),
/// for French numbers the first national digit (`06`, `+33 6`: mobile or
/// region), and the last two digits; every other digit becomes '*',
/// separators and a `(0)` trunk prefix stay, letters are hidden. At least
/// four digits are always hidden: for a short number the last two, then the
/// prefix, are hidden too.
fn mask_phone(text: &str) -> String {
    const TRUNK: &str = "(0)";
    // The digits that count (not the "(0)" shown as it is).
    let mut digits: Vec<u8> = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if text[i..].starts_with(TRUNK) {
            i += TRUNK.len();
            continue;
        }
        if c.is_ascii_digit() {
            digits.push(c as u8);
        }
        i += c.len_utf8();
    }
    let n = digits.len();
    let international = |skip: usize| {
        let rest = digits.get(skip..).unwrap_or(&[]);
        let cc = country_code_len(rest);
        let national = usize::from(rest.starts_with(b"33"));
        skip + cc + national
    };
    let mut head = if text.starts_with('+') {
        international(0)
    } else if text.starts_with("00") {
        international(2)
    } else if text.starts_with('0') {
        2
    } else {
        0
    };
    let mut tail = 2;
    if n < head + tail + 4 {
        tail = 0;
    }
    if n < head + 4 {
        head = 0;
    }
    let mut out = String::with_capacity(text.len());
    let mut seen = 0usize;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if text[i..].starts_with(TRUNK) {
            out.push_str(TRUNK);
            i += TRUNK.len();
            continue;
        }
        if c.is_ascii_digit() {
            seen += 1;
            let keep = seen <= head || seen + tail > n;
            out.push(if keep { c } else { '*' });
        } else if c.is_alphanumeric() {
            out.push('*');
        } else {
            out.push(c);
        }
        i += c.len_utf8();
    }
    out
}

/// IPv4: the /24 network (`203.0.113.*`), like most analytics tools.
/// IPv6: the /48 site prefix (`2001:db8:85a3::*`), the last 80 bits hidden
/// (a /64 is often one household); an IPv4 inside an IPv6 address
/// (`::ffff:203.0.113.7`, `64:ff9b::203.0.113.7`) is masked as an IPv4.
fn mask_ip(text: &str) -> String {
    if !text.contains(':') {
        return match ipv4_parts(text) {
            Some([a, b, c, _]) => format!("{a}.{b}.{c}.*"),
            None => only_punctuation(text),
        };
    }
    // A zone ("%eth0") or brackets are not part of the address.
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    let bare = bare.split_once('%').map_or(bare, |(addr, _zone)| addr);
    let Ok(addr) = bare.parse::<Ipv6Addr>() else {
        return only_punctuation(text);
    };
    let s = addr.segments();
    let dotted = bare.contains('.');
    let embedded_prefix = match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some("::ffff:"),
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some("::ffff:0:"),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some("64:ff9b::"),
        [0, 0, 0, 0, 0, 0, _, _] if dotted => Some("::"),
        _ => None,
    };
    if let Some(prefix) = embedded_prefix {
        let [.., a, b, c, _] = addr.octets();
        return format!("{prefix}{a}.{b}.{c}.*");
    }
    let site = Ipv6Addr::from(u128::from(addr) & !((1u128 << 80) - 1));
    // The last five groups are zero: the compressed form ends in "::".
    format!("{site}*")
}

/// The four octets of a dotted IPv4 address, as written (leading zeros
/// allowed).
fn ipv4_parts(text: &str) -> Option<[&str; 4]> {
    let mut parts = text.split('.');
    let mut out = [""; 4];
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p;
    }
    parts.next().is_none().then_some(out)
}

/// Country, check digits and last four characters of an IBAN (15 to 34
/// characters); nothing of a shorter text.
fn mask_iban(text: &str) -> String {
    let compact: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 15 {
        return "****".to_string();
    }
    let head: String = compact[..4].iter().collect();
    let tail: String = compact[compact.len() - 4..].iter().collect();
    format!("{head} **** … {tail}")
}

/// The first `head` digits of a number of 9 digits or more (a SIREN's
/// first digits say little); every other letter or digit becomes '*'.
fn keep_digits(text: &str, head: usize) -> String {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let head = if digits >= 9 { head } else { 0 };
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= head {
                    c
                } else {
                    '*'
                }
            } else if c.is_alphanumeric() {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// Every digit becomes '*' (the shape `****-**-**` stays), every word
/// (`mai`, `September`) becomes `***`.
fn mask_all_but_shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            out.push('*');
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                out.push_str("***");
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

/// The initial of each name (`J*** D***`, `M***-C***`); a part that does
/// not start with a letter is hidden whole.
fn mask_words(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.split('-')
                .map(|part| match part.chars().next() {
                    Some(c) if c.is_alphabetic() => format!("{c}***"),
                    _ if part.chars().any(char::is_alphanumeric) => "***".to_string(),
                    _ => part.to_string(),
                })
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Modular-crypt identifiers (`$id$…`) a mask shows: Argon2, PBKDF2,
/// scrypt (`7`), MD5-crypt (`1`), SHA-crypt (`5`, `6`), yescrypt (`y`, `gy`);
/// bcrypt (`2a`, `2b`…) is shown with its cost.
const CRYPT_IDS: &[&str] = &[
    "argon2id",
    "argon2i",
    "argon2d",
    "pbkdf2",
    "pbkdf2-sha1",
    "pbkdf2-sha256",
    "pbkdf2-sha512",
    "scrypt",
    "1",
    "5",
    "6",
    "7",
    "y",
    "gy",
];

/// Prefixes that name a secret's scheme or issuer, not part of the secret:
/// Django hashers, GitHub, GitLab, Slack, Stripe, AWS, Google, OpenAI,
/// SendGrid, npm tokens and a JWT's header (`eyJ` is `{"` in base64).
/// Longest first where one starts another.
const SECRET_PREFIXES: &[&str] = &[
    "pbkdf2_sha256$",
    "pbkdf2_sha512$",
    "pbkdf2_sha1$",
    "bcrypt_sha256$",
    "bcrypt$",
    "argon2$",
    "scrypt$",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "glpat-",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxr-",
    "xoxo-",
    "xoxs-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "sk-proj-",
    "sk-",
    "AKIA",
    "AIza",
    "SG.",
    "npm_",
    "eyJ",
];

/// HTTP authorisation schemes followed by a credential.
const AUTH_SCHEMES: &[&str] = &["bearer", "token", "basic"];

/// Only the recognised scheme (`$2b$12$***`, `$argon2id$***`, `ghp_***`,
/// `eyJ***`, `Bearer ***`), never a character of the secret itself; `***`
/// for anything else (a password in clear).
fn mask_secret(text: &str) -> String {
    if let Some(rest) = text.strip_prefix('$') {
        let mut fields = rest.split('$');
        let id = fields.next().unwrap_or("");
        if matches!(id, "2" | "2a" | "2b" | "2x" | "2y") {
            // bcrypt: the cost (two digits) is a parameter, not the hash.
            return match fields.next() {
                Some(cost) if cost.len() == 2 && cost.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("${id}${cost}$***")
                }
                _ => format!("${id}$***"),
            };
        }
        if CRYPT_IDS.contains(&id) {
            return format!("${id}$***");
        }
        return "***".to_string();
    }
    if let Some(p) = SECRET_PREFIXES.iter().find(|p| text.starts_with(**p)) {
        return format!("{p}***");
    }
    if let Some((scheme, credential)) = text.split_once(' ') {
        if AUTH_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())
            && !credential.trim().is_empty()
        {
            return format!("{scheme} ***");
        }
    }
    "***".to_string()
}

/// Each number keeps its sign and whole degrees (≤ 3 digits), and its first
/// decimal only when three or more follow it hidden (`48.8566` → `48.8***`,
/// `-0.5` → `-0.***`: never finer than a tenth of a degree, ~11 km); words
/// become `***`.
fn mask_geolocation(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digit_run = |from: usize| {
        let mut to = from;
        while chars.get(to).is_some_and(char::is_ascii_digit) {
            to += 1;
        }
        to
    };
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() {
            let int_end = digit_run(i);
            let has_frac = chars.get(int_end) == Some(&'.')
                && chars.get(int_end + 1).is_some_and(char::is_ascii_digit);
            if !has_frac {
                out.push_str("***");
                i = int_end;
                continue;
            }
            let frac_end = digit_run(int_end + 1);
            if int_end - i <= 3 {
                out.extend(&chars[i..=int_end]);
                if frac_end - (int_end + 1) >= 4 {
                    out.push(chars[int_end + 1]);
                }
                out.push_str("***");
            } else {
                out.push_str("***.***");
            }
            i = frac_end;
        } else if c.is_alphanumeric() {
            out.push_str("***");
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() && !c.is_ascii_digit())
            {
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Street types (as written, lowercased) and how a mask shows them: the
/// spellings the detector accepts (`src/pii/text.rs`), accents restored.
const STREET_TYPES: &[(&str, &str)] = &[
    ("rue", "rue"),
    ("avenue", "avenue"),
    ("av", "avenue"),
    ("bd", "boulevard"),
    ("boulevard", "boulevard"),
    ("blvd", "boulevard"),
    ("place", "place"),
    ("pl", "place"),
    ("chemin", "chemin"),
    ("allée", "allée"),
    ("allee", "allée"),
    ("impasse", "impasse"),
    ("route", "route"),
    ("rte", "route"),
    ("quai", "quai"),
    ("cours", "cours"),
    ("square", "square"),
    ("passage", "passage"),
    ("faubourg", "faubourg"),
    ("fg", "faubourg"),
    ("voie", "voie"),
    ("villa", "villa"),
    ("cité", "cité"),
    ("cite", "cité"),
    ("hameau", "hameau"),
    ("résidence", "résidence"),
    ("residence", "résidence"),
    ("sentier", "sentier"),
    ("esplanade", "esplanade"),
    ("promenade", "promenade"),
    ("chaussée", "chaussée"),
    ("chaussee", "chaussée"),
    ("lotissement", "lotissement"),
    ("lieu-dit", "lieu-dit"),
    ("rond-point", "rond-point"),
    ("parvis", "parvis"),
    ("montée", "montée"),
    ("montee", "montée"),
    ("traverse", "traverse"),
    ("ruelle", "ruelle"),
    ("mail", "mail"),
    ("street", "street"),
    ("st", "street"),
    ("road", "road"),
    ("rd", "road"),
    ("lane", "lane"),
    ("drive", "drive"),
];

/// The street type (first one only, in its full spelling) and the
/// postcode's département (`75***`, `971***`); street numbers become `**`,
/// every run of other words (street name, particles, town) one `***`:
/// `12 rue de la Paix 75002 Paris` → `** rue *** 75*** ***`.
fn mask_address(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut typed = false;
    let mut last_hidden_word = false;
    let mut after_number = false;
    for w in text.split_whitespace() {
        let bare = w.trim_end_matches([',', '.', ';']);
        let comma = if w.ends_with(',') { "," } else { "" };
        let lower = bare.to_lowercase();
        let is_number = bare.starts_with(|c: char| c.is_ascii_digit());
        if bare.len() == 5 && bare.bytes().all(|b| b.is_ascii_digit()) {
            let dept = if bare.starts_with("97") || bare.starts_with("98") {
                &bare[..3]
            } else {
                &bare[..2]
            };
            out.push(format!("{dept}***{comma}"));
            last_hidden_word = false;
        } else if is_number {
            out.push(format!("**{comma}"));
            last_hidden_word = false;
            after_number = true;
            continue;
        } else if after_number
            && (matches!(lower.as_str(), "bis" | "ter" | "quater")
                || (bare.len() == 1 && bare.bytes().all(|b| b.is_ascii_alphabetic())))
        {
            // "12 bis", "3 B": part of the street number.
            if let Some(last) = out.last_mut() {
                *last = format!("**{comma}");
            }
        } else if let Some((_, shown)) = STREET_TYPES
            .iter()
            .find(|(written, _)| !typed && *written == lower)
        {
            typed = true;
            out.push(format!("{shown}{comma}"));
            last_hidden_word = false;
        } else if last_hidden_word {
            if let Some(last) = out.last_mut() {
                *last = format!("***{comma}");
            }
        } else {
            out.push(format!("***{comma}"));
            last_hidden_word = true;
        }
        after_number = false;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every street type the detector accepts has its spelling here.
    #[test]
    fn street_types_follow_the_detector() {
        for t in super::super::text::STREET_TYPES.split('|') {
            assert!(
                STREET_TYPES.iter().any(|(written, _)| *written == t),
                "{t} is missing from mask::STREET_TYPES"
            );
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask(Kind::Email, "jane@example.fr"), "j***@e***.fr");
        assert_eq!(
            mask(Kind::Email, "jean.dupont@mail.example.com"),
            "j***@m***.com"
        );
        assert_eq!(mask(Kind::Phone, "+33 6 12 34 56 78"), "+33 6 ** ** ** 78");
        assert_eq!(mask(Kind::Phone, "06 12 34 56 78"), "06 ** ** ** 78");
        assert_eq!(mask(Kind::Phone, "0612345678"), "06******78");
        assert_eq!(
            mask(Kind::Phone, "+33 (0)6 12 34 56 78"),
            "+33 (0)6 ** ** ** 78"
        );
        assert_eq!(mask(Kind::IpAddress, "203.0.113.7"), "203.0.113.*");
        assert_eq!(mask(Kind::IpAddress, "2001:db8::1"), "2001:db8::*");
        assert_eq!(
            mask(Kind::Iban, "FR76 3000 6000 0112 3456 7890 189"),
            "FR76 **** … 0189"
        );
        assert_eq!(
            mask(Kind::PaymentCard, "4970 1000 0000 0063"),
            "**** **** **** 0063"
        );
        assert_eq!(mask(Kind::PersonName, "Jean Dupont"), "J*** D***");
        assert_eq!(mask(Kind::PersonName, "Marie-Claire"), "M***-C***");
        assert_eq!(
            mask(Kind::Nir, "1 85 05 78 006 084 91"),
            "1 ** ** ** *** *** **"
        );
        assert_eq!(mask(Kind::Siret, "732 829 320 00074"), "732 *** *** *****");
        assert_eq!(
            mask(Kind::PostalAddress, "12 rue de la Paix 75002 Paris"),
            "** rue *** 75*** ***"
        );
        assert_eq!(mask(Kind::DateOfBirth, "1985-05-12"), "****-**-**");
        assert_eq!(
            mask(Kind::Secret, "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            "ghp_***"
        );
        assert_eq!(
            mask(Kind::FreeText, "Appelle-moi demain"),
            "[text, 18 chars]"
        );
        assert_eq!(mask(Kind::Email, ""), "");
        assert_eq!(mask(Kind::PaymentCard, "é"), "**** **** **** ****");
    }

    #[test]
    fn an_ipv4_inside_an_ipv6_is_masked_as_an_ipv4() {
        for (ip, masked) in [
            ("::ffff:203.0.113.7", "::ffff:203.0.113.*"),
            ("::FFFF:203.0.113.7", "::ffff:203.0.113.*"),
            ("::ffff:cb00:7107", "::ffff:203.0.113.*"),
            ("64:ff9b::203.0.113.7", "64:ff9b::203.0.113.*"),
            ("64:ff9b::cb00:7107", "64:ff9b::203.0.113.*"),
            ("::203.0.113.7", "::203.0.113.*"),
            ("::ffff:0:203.0.113.7", "::ffff:0:203.0.113.*"),
        ] {
            assert_eq!(mask(Kind::IpAddress, ip), masked, "{ip}");
        }
    }

    #[test]
    fn an_ipv6_keeps_its_shape_and_site_prefix() {
        for (ip, masked) in [
            ("fe80::1", "fe80::*"),
            ("fe80::1%eth0", "fe80::*"),
            ("::1", "::*"),
            ("::", "::*"),
            ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::*"),
            (
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                "2001:db8:85a3::*",
            ),
            ("2a01:cb00:1:2::1", "2a01:cb00:1::*"),
            ("[2001:db8::1]", "2001:db8::*"),
            // Not an address: nothing of it is shown.
            ("fe80::zz", "***::***"),
            ("10:30", "***:***"),
        ] {
            assert_eq!(mask(Kind::IpAddress, ip), masked, "{ip}");
        }
        assert_eq!(mask(Kind::IpAddress, "010.000.113.007"), "010.000.113.*");
        assert_eq!(mask(Kind::IpAddress, "hello.world"), "***.***");
    }

    #[test]
    fn phones_keep_the_country_code_and_the_last_two_digits() {
        for (phone, masked) in [
            ("+1 (415) 555-2671", "+1 (***) ***-**71"),
            ("+14155552671", "+1********71"),
            ("+44 20 7946 0958", "+44 ** **** **58"),
            ("+442079460958", "+44********58"),
            ("+351 912 345 678", "+351 *** *** *78"),
            ("0033 6 12 34 56 78", "0033 6 ** ** ** 78"),
            ("+33612345678", "+336******78"),
            ("+33 (0)1 23 45 67 89", "+33 (0)1 ** ** ** 89"),
            ("(0)6 12 34 56 78", "(0)* ** ** ** 78"),
            ("612345678", "*******78"),
            // Too short to show both ends: at least four digits hidden.
            ("+33 6 12 34", "+33 6 ** **"),
            ("+33 6 12", "+** * **"),
            ("06 12 ext", "** ** ***"),
        ] {
            assert_eq!(mask(Kind::Phone, phone), masked, "{phone}");
        }
    }

    #[test]
    fn addresses_show_the_street_type_and_the_departement_only() {
        for (address, masked) in [
            ("7 allée des Roses", "** allée ***"),
            ("7 allee des Roses", "** allée ***"),
            ("7 ALLÉE DES ROSES", "** allée ***"),
            ("4 cité Fleurie", "** cité ***"),
            ("12 bis rue du Port à Marseille", "** rue ***"),
            (
                "12bis, av. Jean Jaurès, 97100 Basse-Terre",
                "**, avenue ***, 971*** ***",
            ),
            (
                "3 B place de la Mairie 20000 Ajaccio",
                "** place *** 20*** ***",
            ),
            (
                "1 rue de la Place 75002 Paris CEDEX 02",
                "** rue *** 75*** *** **",
            ),
        ] {
            assert_eq!(mask(Kind::PostalAddress, address), masked, "{address}");
        }
    }

    #[test]
    fn short_values_are_never_shown_whole() {
        for (kind, value, masked) in [
            (Kind::Geolocation, "-0.5", "-0.***"),
            (Kind::Geolocation, "48.8566", "48.8***"),
            (Kind::Geolocation, "48.8566, 2.3522", "48.8***, 2.3***"),
            (Kind::Geolocation, "2.35", "2.***"),
            (Kind::Geolocation, "48", "***"),
            (Kind::Geolocation, "652381.25", "***.***"),
            (Kind::Geolocation, "Paris", "***"),
            (Kind::Email, "a@b.fr", "***@***.***"),
            (Kind::Email, "jo@example.technology", "j***@e***.***"),
            (Kind::PersonName, "J", "***"),
            (Kind::PersonName, "Li", "L***"),
            (Kind::PersonName, "Jean 1234567", "J*** ***"),
            (Kind::Nir, "1", "*** *** *** *** *** *** ***"),
            (Kind::Siren, "1234", "****"),
            (Kind::Siren, "732829320", "732******"),
            (Kind::Siret, "ABCDEFGHIJ", "**********"),
            (Kind::Iban, "ABCDEFGH", "****"),
            (Kind::PaymentCard, "1234", "**** **** **** ****"),
            (Kind::DateOfBirth, "12 mai 1985", "** *** ****"),
            (Kind::DateOfBirth, "born 1985", "*** ****"),
            (Kind::OnlineId, "abc", "***"),
            (Kind::OnlineId, "u-12345", "u-***"),
            (Kind::PostalAddress, "rue", "***"),
        ] {
            assert_eq!(mask(kind, value), masked, "{kind} {value}");
        }
    }

    #[test]
    fn secrets_show_their_scheme_only() {
        for (secret, masked) in [
            ("correct horse battery staple", "***"),
            ("Tr0ub4dor&3-long-password!", "***"),
            (
                "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
                "$2b$12$***",
            ),
            (
                "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                "$argon2id$***",
            ),
            ("$6$rounds=5000$salt$hash", "$6$***"),
            ("$unknown$abcdefghijklmnop", "***"),
            ("pbkdf2_sha256$600000$salt$hash=", "pbkdf2_sha256$***"),
            (
                "github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz",
                "github_pat_***",
            ),
            ("glpat-abcdefghijklmnopqrst", "glpat-***"),
            ("xoxb-1234567890-abcdef", "xoxb-***"),
            ("sk_live_abcdefghijklmnop", "sk_live_***"),
            ("sk-proj-abcdefghijklmnopqrstuvwxyz012345", "sk-proj-***"),
            ("AKIAIOSFODNN7EXAMPLE", "AKIA***"),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJ***"),
            ("Bearer abcdefghijklmnopqrstuvwxyz", "Bearer ***"),
            ("token abcdefghijklmnopqrstuvwxyz", "token ***"),
        ] {
            assert_eq!(mask(Kind::Secret, secret), masked, "{secret}");
        }
    }
}
