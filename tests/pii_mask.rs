//! Property tests of `pii::mask`: for every kind and any input it never
//! panics, never gives the input back, never shows all of its letters and
//! digits, and never copies more than a few of them in a row.

use std::net::{Ipv4Addr, Ipv6Addr};

use oubli::pii::{mask, Kind};
use proptest::prelude::*;

/// The longest run of the input's letters and digits a mask of `kind` may
/// show, and the words it may show whole because they name a scheme or a
/// street type, not a person.
///
/// - 0: a date of birth shows only its shape (`****-**-**`).
/// - 1: a name or a NIR shows one initial.
/// - 2: an online id shows two characters of five or more; a secret only its
///   scheme's parameters (`$2b$12$`, `$6$`), the scheme words being listed.
/// - 3: a SIREN/SIRET's first digits, a postcode's département (`971`),
///   whole degrees of a coordinate (`-180`), a free text's length.
/// - 4: an IBAN's country and check digits and its last four, a card's last
///   four (as on a receipt), an IPv6 group of the /48 prefix (an IPv4 octet
///   is 3).
/// - 5: a phone's international prefix, country code and French first
///   digit written together (`00336`); the last two digits are always
///   apart from them (at least four digits are hidden between).
/// - 6: an e-mail's top-level domain (`museum`), shown only up to 6 letters.
fn allowed(kind: Kind) -> (usize, &'static [&'static str]) {
    match kind {
        Kind::DateOfBirth => (0, &[]),
        Kind::PersonName | Kind::Nir => (1, &[]),
        Kind::OnlineId => (2, &[]),
        Kind::Secret => (2, SECRET_WORDS),
        Kind::Siren | Kind::Siret | Kind::Geolocation => (3, &[]),
        Kind::PostalAddress => (3, STREET_WORDS),
        Kind::FreeText => (3, &["text", "chars"]),
        Kind::Iban | Kind::PaymentCard | Kind::IpAddress => (4, &[]),
        Kind::Phone => (5, &[]),
        Kind::Email => (6, &[]),
    }
}

const SECRET_WORDS: &[&str] = &[
    "argon2id", "argon2i", "argon2d", "argon2", "pbkdf2", "sha1", "sha256", "sha512", "scrypt",
    "bcrypt", "github", "pat", "ghp", "gho", "ghu", "ghs", "ghr", "glpat", "xoxa", "xoxb", "xoxp",
    "xoxr", "xoxo", "xoxs", "sk", "rk", "live", "test", "proj", "akia", "aiza", "sg", "npm", "eyj",
    "bearer", "token", "basic", "gy",
];

const STREET_WORDS: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "place",
    "chemin",
    "allée",
    "impasse",
    "route",
    "quai",
    "cours",
    "square",
    "passage",
    "faubourg",
    "voie",
    "villa",
    "cité",
    "hameau",
    "résidence",
    "sentier",
    "esplanade",
    "promenade",
    "chaussée",
    "lotissement",
    "lieu",
    "dit",
    "rond",
    "point",
    "parvis",
    "montée",
    "traverse",
    "ruelle",
    "mail",
    "street",
    "road",
    "lane",
    "drive",
];

/// The longest run of letters and digits of `output` (outside the allowed
/// words) that also occurs in `input`, case aside.
fn longest_copied_run(input: &str, output: &str, words: &[&str]) -> (usize, String) {
    let input = input.to_lowercase();
    let output = output.to_lowercase();
    let mut best = (0, String::new());
    for run in output.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() || words.contains(&run) {
            continue;
        }
        let chars: Vec<char> = run.chars().collect();
        for start in 0..chars.len() {
            for end in start + best.0 + 1..=chars.len() {
                let piece: String = chars[start..end].iter().collect();
                if !input.contains(&piece) {
                    break;
                }
                best = (end - start, piece);
            }
        }
    }
    best
}

fn alnums(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_subsequence(needle: &[char], hay: &[char]) -> bool {
    let mut hay = hay.iter();
    needle.iter().all(|n| hay.any(|h| h == n))
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

/// Arbitrary text and text shaped like each kind, so every branch of every
/// mask is reached.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[a-zA-Z0-9._%+-]{0,12}@[a-z0-9-]{0,12}(\\.[a-z]{1,10}){0,2}",
        "(\\+|00|0)?[0-9]{0,4}[ ]?(\\(0\\))?[0-9 ().-]{0,16}",
        ipv4().prop_map(|ip| ip.to_string()),
        any::<u128>().prop_map(|ip| Ipv6Addr::from(ip).to_string()),
        (
            prop_oneof![
                Just("::ffff:"),
                Just("64:ff9b::"),
                Just("::"),
                Just("::ffff:0:")
            ],
            ipv4()
        )
            .prop_map(|(p, ip)| format!("{p}{ip}")),
        "[A-Z]{2}[0-9]{2}( ?[0-9A-Z]{4}){2,7}",
        "[0-9]{4}( ?[0-9]{4}){2,4}",
        "[0-9]{1,4}(bis| bis| B)?,? (rue|allée|allee|boulevard|av\\.|impasse|cité|lieu-dit) \
         [A-Za-zéàç' -]{0,20}(,? [0-9]{5} [A-Za-z-]{1,12})?",
        (
            prop_oneof![
                Just("$2b$12$"),
                Just("$argon2id$v=19$"),
                Just("$6$"),
                Just("pbkdf2_sha256$"),
                Just("ghp_"),
                Just("github_pat_"),
                Just("sk-proj-"),
                Just("eyJ"),
                Just("Bearer "),
                Just(""),
            ],
            "[A-Za-z0-9_./$=-]{0,40}"
        )
            .prop_map(|(p, s)| format!("{p}{s}")),
        "-?[0-9]{1,4}(\\.[0-9]{0,8})?(, ?-?[0-9]{1,3}\\.[0-9]{0,8})?",
        "[0-9]{1,2}[/ -]([0-9]{2}|janvier|mai|September)[/ -][0-9]{2,4}",
        "[A-Z][a-zé]{0,10}([ -][A-Z][a-zé]{0,10}){0,2}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_mask_never_shows_the_value(s in input()) {
        let t = s.trim();
        let letters = alnums(t);
        for kind in Kind::ALL {
            let m = mask(kind, &s);
            if letters.len() > 2 {
                prop_assert_ne!(m.as_str(), t, "{} echoed its input", kind);
                // A free text's mask is its length: it may hold any digits.
                if kind != Kind::FreeText {
                    prop_assert!(
                        !is_subsequence(&letters, &alnums(&m)),
                        "{} shows every letter and digit of {:?}: {:?}", kind, t, m
                    );
                }
            }
            let (bound, words) = allowed(kind);
            let (len, run) = longest_copied_run(t, &m, words);
            prop_assert!(
                len <= bound,
                "{} copies {:?} ({} > {}) of {:?} into {:?}", kind, run, len, bound, t, m
            );
        }
    }

    /// An IPv4 address, alone or inside an IPv6 one, loses its last octet.
    #[test]
    fn an_ipv4_keeps_its_network_only(ip in ipv4(), prefix in prop_oneof![
        Just(""), Just("::ffff:"), Just("64:ff9b::"), Just("::"), Just("::ffff:0:")
    ]) {
        let [a, b, c, _] = ip.octets();
        prop_assert_eq!(
            mask(Kind::IpAddress, &format!("{prefix}{ip}")),
            format!("{prefix}{a}.{b}.{c}.*")
        );
    }

    /// An IPv6 address shows its /48 prefix in compressed form, then `*`.
    #[test]
    fn an_ipv6_keeps_its_site_prefix_only(bits in any::<u128>()) {
        let ip = Ipv6Addr::from(bits);
        prop_assume!(ip.to_ipv4_mapped().is_none() && ip.segments()[..6] != [0x64, 0xff9b, 0, 0, 0, 0]);
        prop_assume!(ip.segments()[..6] != [0, 0, 0, 0, 0xffff, 0]);
        let m = mask(Kind::IpAddress, &ip.to_string());
        let prefix = m.strip_suffix('*');
        prop_assert!(prefix.is_some_and(|p| p.ends_with("::")), "{}", m);
        let site: Option<Ipv6Addr> = prefix.and_then(|p| p.parse().ok());
        prop_assert_eq!(site, Some(Ipv6Addr::from(bits >> 80 << 80)));
    }
}
