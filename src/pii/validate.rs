//! Check digits and structural validators. Every function takes the text as
//! found (separators allowed where the format allows them) and never panics.

/// The ASCII digits of `s`, or `None` when `s` holds anything but digits and
/// the separators ` `, `.`, `-`.
fn digits_only(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'0'..=b'9' => out.push(b - b'0'),
            b' ' | b'.' | b'-' => {}
            _ => return None,
        }
    }
    Some(out)
}

fn luhn_digits(d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Luhn (mod 10) check over the digits of `s` (spaces, dots, dashes ignored).
pub fn luhn_valid(s: &str) -> bool {
    digits_only(s).is_some_and(|d| d.len() >= 2 && luhn_digits(&d))
}

/// SIREN: 9 digits, Luhn.
pub fn siren_valid(s: &str) -> bool {
    digits_only(s).is_some_and(|d| d.len() == 9 && luhn_digits(&d))
}

/// SIRET: 14 digits, Luhn — or La Poste's establishments (SIREN 356000000),
/// whose digits sum to a multiple of 5 instead.
pub fn siret_valid(s: &str) -> bool {
    let Some(d) = digits_only(s) else {
        return false;
    };
    if d.len() != 14 {
        return false;
    }
    if d[..9] == [3, 5, 6, 0, 0, 0, 0, 0, 0] {
        let sum: u32 = d.iter().map(|&x| u32::from(x)).sum();
        return sum.is_multiple_of(5) || luhn_digits(&d);
    }
    luhn_digits(&d)
}

/// Whether `code` (two letters, either case) is a country that issues
/// IBANs: the SWIFT IBAN registry, the French overseas codes some banks
/// print, and the countries with national IBAN formats (Africa, Iran).
pub fn iban_country(code: &[u8]) -> bool {
    const CODES: &str = "AD AE AL AO AT AZ BA BE BF BG BH BI BJ BL BR BY CF CG CH CI CM CR CV CY CZ \
        DE DJ DK DO DZ EE EG ES FI FK FO FR GA GB GE GF GI GL GP GQ GR GT GW HN HR HU IE IL IQ IR IS \
        IT JO KM KW KZ LB LC LI LT LU LV LY MA MC MD ME MF MG MK ML MN MQ MR MT MU MZ NC NE NI NL NO \
        OM PF PK PL PM PS PT QA RE RO RS RU SA SC SD SE SI SK SM SN SO ST SV TD TF TG TL TN TR UA VA \
        VG WF XK YE YT";
    // For each first letter, the second letters that follow it (bit 0: A).
    const TABLE: [u32; 26] = {
        let c = CODES.as_bytes();
        let mut out = [0u32; 26];
        let mut i = 0;
        while i + 1 < c.len() {
            if c[i].is_ascii_uppercase() && c[i + 1].is_ascii_uppercase() {
                out[(c[i] - b'A') as usize] |= 1 << (c[i + 1] - b'A');
                i += 2;
            } else {
                i += 1;
            }
        }
        out
    };
    let &[a, b] = code else { return false };
    if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
        return false;
    }
    let (a, b) = (a.to_ascii_uppercase() - b'A', b.to_ascii_uppercase() - b'A');
    TABLE[usize::from(a)] & (1 << b) != 0
}

/// The IBANs of codes outside the SWIFT registry that banks print: the
/// French overseas territories (France's format, 27 characters), Pakistan
/// (in the registry, missing from `iban_validate` 5.0.1), and the national
/// formats of Africa, Iran and Honduras, as their central banks publish
/// them. Each with its length and the structure of its BBAN: counts of
/// digits (`n`), letters (`a`) or either (`c`).
const NATIONAL_IBANS: &[(&str, usize, &str)] = &[
    ("BL", 27, "10n11c2n"),
    ("GF", 27, "10n11c2n"),
    ("GP", 27, "10n11c2n"),
    ("MF", 27, "10n11c2n"),
    ("MQ", 27, "10n11c2n"),
    ("NC", 27, "10n11c2n"),
    ("PF", 27, "10n11c2n"),
    ("PM", 27, "10n11c2n"),
    ("RE", 27, "10n11c2n"),
    ("TF", 27, "10n11c2n"),
    ("WF", 27, "10n11c2n"),
    ("YT", 27, "10n11c2n"),
    ("PK", 24, "4a16c"),
    ("AO", 25, "21n"),
    ("BF", 28, "2c22n"),
    ("BJ", 28, "2c22n"),
    ("CF", 27, "23n"),
    ("CG", 27, "23n"),
    ("CI", 28, "2c22n"),
    ("CM", 27, "23n"),
    ("CV", 25, "21n"),
    ("DZ", 26, "22n"),
    ("GA", 27, "23n"),
    ("GQ", 27, "23n"),
    ("GW", 25, "2c19n"),
    ("HN", 28, "4a20n"),
    ("IR", 26, "22n"),
    ("KM", 27, "23n"),
    ("MA", 28, "24n"),
    ("MG", 27, "23n"),
    ("ML", 28, "2c22n"),
    ("MZ", 25, "21n"),
    ("NE", 28, "2c22n"),
    ("SN", 28, "2c22n"),
    ("TD", 27, "23n"),
    ("TG", 28, "2c22n"),
];

/// Whether `bban` (uppercase) follows `shape` (see [`NATIONAL_IBANS`]) to
/// its last character.
fn bban_fits(bban: &[u8], shape: &str) -> bool {
    let mut rest = bban;
    let mut count = 0usize;
    for c in shape.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let Some((head, tail)) = rest.split_at_checked(count) else {
            return false;
        };
        let fits = |b: &u8| match c {
            b'n' => b.is_ascii_digit(),
            b'a' => b.is_ascii_uppercase(),
            _ => b.is_ascii_digit() || b.is_ascii_uppercase(),
        };
        if !head.iter().all(fits) {
            return false;
        }
        (rest, count) = (tail, 0);
    }
    rest.is_empty()
}

/// Groups of four characters, each but the first after one space or dash,
/// the last of one to four: an IBAN as printed ("BF42 BF08 4010 …").
fn printed_in_fours(s: &str) -> bool {
    let groups: Vec<&str> = s.split([' ', '-']).collect();
    let Some((last, full)) = groups.split_last() else {
        return false;
    };
    !full.is_empty() && full.iter().all(|g| g.len() == 4) && (1..=4).contains(&last.len())
}

/// How many characters a national format's BBAN starts with that may be
/// letters: the bank code of the West African formats ("BF08…").
fn bank_code_letters(shape: &str) -> usize {
    let digits = shape.bytes().take_while(u8::is_ascii_digit).count();
    match shape.as_bytes().get(digits) {
        Some(b'a' | b'c') => shape[..digits].parse().unwrap_or(0),
        _ => 0,
    }
}

/// IBAN: a country that has IBANs, two check digits (not 00 or 01), and a
/// BBAN of that country's length and structure (the SWIFT registry, through
/// `iban_validate`, else [`NATIONAL_IBANS`]); mod-97 of the rearranged
/// number equals 1. Either case; spaces or dashes between groups.
///
/// A run of hexadecimal digits with a letter after its check digits is
/// never an IBAN unless printed in groups of four: that is a hash, a token
/// or a session id ("de12f3…", "ad12…" would otherwise pass one time in 97
/// where the country's BBAN allows letters). The IBANs made only of hex
/// digits have digits there (DE, BE, BA, AE, CF: "DE89370400440532013000")
/// or the letters of a national bank code ("BF42BF08…"), and stay IBANs.
pub fn iban_valid(s: &str) -> bool {
    let compact: Vec<u8> = s.bytes().filter(|b| !matches!(b, b' ' | b'-')).collect();
    if !(15..=34).contains(&compact.len()) || !compact.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let upper: String = compact
        .iter()
        .map(|b| char::from(b.to_ascii_uppercase()))
        .collect();
    let national = NATIONAL_IBANS
        .iter()
        .find(|(code, _, _)| upper.starts_with(code));
    if compact.iter().all(u8::is_ascii_hexdigit) && !printed_in_fours(s) {
        let bank = 4..4 + national.map_or(0, |(_, _, shape)| bank_code_letters(shape));
        let letter_after_check = compact
            .iter()
            .enumerate()
            .skip(2)
            .any(|(i, b)| b.is_ascii_alphabetic() && !bank.contains(&i));
        if letter_after_check {
            return false;
        }
    }
    match upper.parse::<iban::Iban>() {
        Ok(_) => true,
        // The check digits and mod-97 hold; the registry does not know the
        // country.
        Err(iban::ParseIbanError::UnknownCountry(_)) => national.is_some_and(|(_, len, shape)| {
            upper.len() == *len && bban_fits(&upper.as_bytes()[4..], shape)
        }),
        Err(_) => false,
    }
}

/// French NIR: 15 characters (spaces allowed): sex 1/2 (3/4/7/8 for
/// temporary numbers), year, month (01-12, 20-42, 50-99), department
/// (digits, or 2A/2B for Corsica), commune, order, and a key equal to
/// `97 - (first 13 digits mod 97)`, 2A counted as 19 and 2B as 18.
pub fn nir_valid(s: &str) -> bool {
    let compact: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if compact.len() != 15 {
        return false;
    }
    if !matches!(compact[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let mut n: u64 = 0;
    for (i, &b) in compact[..13].iter().enumerate() {
        let v = match (i, b) {
            (_, b'0'..=b'9') => u64::from(b - b'0'),
            // Corsica: "2A" → 19, "2B" → 18 (positions 5–6).
            (6, b'A') if compact[5] == b'2' => 9,
            (6, b'B') if compact[5] == b'2' => 8,
            _ => return false,
        };
        n = n * 10 + v;
    }
    if matches!(compact[6], b'A' | b'B') {
        // "2A" was read as 29 / "2B" as 28: take 10 off the department.
        n -= 10_000_000;
    }
    let month = u32::from(compact[3] - b'0') * 10 + u32::from(compact[4] - b'0');
    if !(matches!(month, 1..=12 | 20..=42 | 50..=99)) {
        return false;
    }
    let (Some(k1), Some(k2)) = (
        compact[13].is_ascii_digit().then(|| compact[13] - b'0'),
        compact[14].is_ascii_digit().then(|| compact[14] - b'0'),
    ) else {
        return false;
    };
    let key = u64::from(k1) * 10 + u64::from(k2);
    key == 97 - (n % 97)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_countries() {
        assert!(iban_country(b"FR") && iban_country(b"fr") && iban_country(b"De"));
        assert!(iban_country(b"YT") && iban_country(b"XK"));
        assert!(!iban_country(b"ab") && !iban_country(b"ZZ") && !iban_country(b"F1"));
        assert!(!iban_country(b"F") && !iban_country(b"FRA"));
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(luhn_valid("4970-1000-0000-0063"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
        assert!(!luhn_valid("4111x1111"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn siren_siret() {
        assert!(siren_valid("732 829 320"));
        assert!(siren_valid("552100554"));
        assert!(!siren_valid("732829321"));
        assert!(siret_valid("73282932000074"));
        assert!(siret_valid("732 829 320 00074"));
        assert!(!siret_valid("73282932000075"));
        // La Poste: sum of digits a multiple of 5.
        assert!(siret_valid("35600000000048"));
        assert!(!siret_valid("35600000000049"));
        assert!(!siret_valid("7328293200007"));
    }

    #[test]
    fn iban() {
        assert!(iban_valid("FR7630006000011234567890189"));
        assert!(iban_valid("FR76 3000 6000 0112 3456 7890 189"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("BE68539007547034"));
        assert!(!iban_valid("FR7630006000011234567890188"));
        assert!(!iban_valid("FR763000600001123456789018")); // wrong length
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(!iban_valid("XX"));
        assert!(!iban_valid("FR76 3000 6000 0112 3456 7890 18é"));
        // Lowercase, dashes.
        assert!(iban_valid("fr7630006000011234567890189"));
        assert!(iban_valid("gb82-west-1234-5698-7654-32"));
        // The registry's structure: GB's bank code is four letters.
        assert!(!iban_valid("GB25 1234 1234 5698 7654 32"));
    }

    /// The length and BBAN structure of the country, from the registry: a
    /// code that issues IBANs and a correct mod-97 are not enough.
    #[test]
    fn iban_lengths_and_structures_are_the_registrys() {
        // Valid mod-97 (check digits computed for each), wrong length or
        // structure for the country: AD is 24 long, BA 20, AE 23, and their
        // BBAN digits where the registry says so.
        for (ok, bad) in [
            ("AD1200012030200359100100", "AD11000120302003591001000"),
            ("BA391290079401028494", "BA82129007940102849400"),
            ("AE070331234567890123456", "AE900331234567890123"),
            ("NO9386011117947", "NO8586011117947000"),
        ] {
            assert!(iban_valid(ok), "{ok}");
            assert!(!iban_valid(bad), "{bad}");
        }
        // Codes outside the registry that banks print.
        for ok in [
            "BF42BF0840101300463574000390",
            "bf42bf0840101300463574000390",
            "SN08SN0100152000048500003035",
            "CI93 CI00 8011 1301 1342 9120 0589",
            "DZ580002100001113000000570",
            "PK36SCBL0000001123456702",
            "MA64011519000001205000534921",
            "CM2110003001000500000605306",
            "IR580540105180021273113007",
            "HN88CABF00000000000250005469",
            "AO06004400006729503010102",
            "GF0630006000011234567890189",
            "RE07 3000 6000 0112 3456 7890 189",
        ] {
            assert!(iban_valid(ok), "{ok}");
        }
        // CM is 27 long: one more digit (check digits made right) is not one.
        assert!(!iban_valid("CM91100030010005000006053061"));
    }

    /// Hex that begins like an IBAN ("de…", "ad…", "bf…"): never, unless
    /// printed in groups of four.
    #[test]
    fn hex_runs_are_not_ibans() {
        // Each passes mod-97 and its country's length; only letters in the
        // BBAN make them hex hashes.
        for hex in [
            "ad54000120302003591e0100",
            "AD54000120302003591E0100",
            "bf68bf084010130046357400039e",
        ] {
            assert!(!iban_valid(hex), "{hex}");
        }
        assert!(iban_valid("AD54 0001 2030 2003 591E 0100"));
        // A hex id of a length no hex-lettered country has.
        assert!(!iban_valid("de893704004405320130000000000000"));
        // Hex made of digits after the country is a German IBAN.
        assert!(iban_valid("de89370400440532013000"));
    }

    /// Every code of the table is one the registry (the crate) does not
    /// know, one the pre-scan looks for, and its structure adds up.
    #[test]
    fn the_national_table_is_consistent() {
        for (code, len, shape) in NATIONAL_IBANS {
            assert!(iban_country(code.as_bytes()), "{code}");
            let zeros = format!("{code}00{}", "0".repeat(len - 4));
            assert!(
                matches!(
                    zeros.parse::<iban::Iban>(),
                    Err(iban::ParseIbanError::UnknownCountry(_))
                        | Err(iban::ParseIbanError::InvalidBaseIban { .. })
                ),
                "{code}"
            );
            let sum: usize = shape
                .split(|c: char| c.is_ascii_alphabetic())
                .filter_map(|n| n.parse::<usize>().ok())
                .sum();
            assert_eq!(sum + 4, *len, "{code}");
        }
    }

    #[test]
    fn nir() {
        assert!(nir_valid("185057800608491"));
        assert!(nir_valid("1 85 05 78 006 084 91"));
        assert!(!nir_valid("185057800608436"));
        // Corsica 2A and 2B.
        assert!(nir_valid("2 69 05 2A 004 016 24"));
        assert!(nir_valid("1 78 11 2B 033 001 65"));
        assert!(!nir_valid("2 69 05 2A 004 016 25"));
        assert!(!nir_valid("2 69 05 2C 004 016 24"));
        // Bad month.
        assert!(!nir_valid("185157800608491"));
        assert!(!nir_valid("585057800608491"));
        assert!(!nir_valid("18505780060849"));
    }
}
