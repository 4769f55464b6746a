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

/// Expected IBAN length for common countries; `None` for others (then any
/// length 15..=34 is accepted).
fn iban_length(country: &[u8]) -> Option<usize> {
    Some(match country {
        b"FR" | b"MC" | b"IT" | b"SM" => 27,
        b"DE" => 22,
        b"BE" => 16,
        b"ES" => 24,
        b"PT" => 25,
        b"NL" => 18,
        b"LU" => 20,
        b"CH" | b"LI" => 21,
        b"GB" | b"IE" => 22,
        b"AT" => 20,
        b"PL" => 28,
        b"SE" => 24,
        b"DK" | b"FI" => 18,
        b"NO" => 15,
        b"GR" => 27,
        b"RO" => 24,
        b"CZ" | b"SK" => 24,
        b"HU" => 28,
        b"MA" => 28,
        b"TN" => 24,
        _ => return None,
    })
}

/// IBAN: country code, two check digits, BBAN; length for the country when
/// known; mod-97 of the rearranged number equals 1. Spaces allowed.
pub fn iban_valid(s: &str) -> bool {
    let compact: Vec<u8> = s
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'-'))
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    if !iban_country(&compact[..2])
        || !compact[2..4].iter().all(u8::is_ascii_digit)
        || !compact.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    if let Some(len) = iban_length(&compact[..2]) {
        if compact.len() != len {
            return false;
        }
    }
    let mut rem: u32 = 0;
    for &b in compact[4..].iter().chain(compact[..4].iter()) {
        if b.is_ascii_digit() {
            rem = (rem * 10 + u32::from(b - b'0')) % 97;
        } else {
            let v = u32::from(b - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
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
