//! Names as evidence: field, column, JSON key and key-segment names, and the
//! shipped first-name list (`data/first_names.txt`).

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Serialize;

use super::{Category, Kind};

/// What a field or column name alone says about its values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NameClass {
    pub kind: Kind,
    pub category: Category,
    /// 0.0..=1.0: how sure the name alone makes us.
    pub confidence: f32,
}

static FIRST_NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../data/first_names.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
});

/// Whether `word` (any case) is in the shipped first-name list.
pub fn is_first_name(word: &str) -> bool {
    if word.len() < 2 || word.len() > 24 {
        return false;
    }
    if word.is_ascii() {
        // The same lowercase, without allocating (key segments, words).
        let mut buf = [0u8; 24];
        let lower = &mut buf[..word.len()];
        lower.copy_from_slice(word.as_bytes());
        lower.make_ascii_lowercase();
        return std::str::from_utf8(lower).is_ok_and(|w| FIRST_NAMES.contains(w));
    }
    FIRST_NAMES.contains(&word.to_lowercase())
}

/// Splits a name into lowercase ASCII-folded tokens: on anything not
/// alphanumeric and on camelCase boundaries (`firstName` → `first`, `name`).
pub(crate) fn tokens(name: &str) -> Vec<String> {
    struct All {
        out: Vec<String>,
        cur: String,
    }
    impl TokenSink for All {
        fn push(&mut self, c: char) {
            self.cur.push(c);
        }
        fn end(&mut self) {
            if !self.cur.is_empty() {
                self.out.push(std::mem::take(&mut self.cur));
            }
        }
    }
    let mut all = All {
        out: Vec::new(),
        cur: String::new(),
    };
    split_tokens(name, &mut all);
    all.out
}

/// Where [`split_tokens`] puts the folded characters of each token.
trait TokenSink {
    fn push(&mut self, c: char);
    /// Ends the current token (nothing when it is empty).
    fn end(&mut self);
}

/// The one tokenizer behind [`tokens`] and [`LastTokens`].
fn split_tokens(name: &str, sink: &mut impl TokenSink) {
    let b = name.as_bytes();
    let mut prev_lower = false;
    let mut cur_empty = true;
    let (mut i, mut chars) = (0, 0);
    while chars < 128 {
        let Some(&byte) = b.get(i) else { break };
        chars += 1;
        if byte.is_ascii() {
            // The same tests as below, on ASCII (most names and text).
            i += 1;
            if byte.is_ascii_alphanumeric() {
                if byte.is_ascii_uppercase() && prev_lower && !cur_empty {
                    sink.end();
                }
                prev_lower = byte.is_ascii_lowercase() || byte.is_ascii_digit();
                sink.push(char::from(byte.to_ascii_lowercase()));
                cur_empty = false;
            } else {
                prev_lower = false;
                sink.end();
                cur_empty = true;
            }
            continue;
        }
        // `i` is on a character boundary: only whole characters are skipped.
        let Some(c) = name.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur_empty {
                sink.end();
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            for l in c.to_lowercase() {
                sink.push(fold(l));
                cur_empty = false;
            }
        } else {
            prev_lower = false;
            sink.end();
            cur_empty = true;
        }
    }
    sink.end();
}

/// The last three of [`tokens`] of a text of at most [`LastTokens::MAX_TEXT`]
/// bytes, without allocating (run for every candidate hit).
pub(crate) struct LastTokens {
    /// The folded tokens, one after the other: a character of the text
    /// folds to at most 3 characters of at most 4 bytes.
    buf: [u8; LastTokens::MAX_TEXT * 12],
    len: usize,
    /// Start of the token being read.
    cur: usize,
    /// The last three tokens' spans in `buf`, oldest first.
    spans: [(usize, usize); 3],
    n: usize,
}

impl TokenSink for LastTokens {
    fn push(&mut self, c: char) {
        // Never more than the bound above; checked all the same.
        if let Ok(byte) = u8::try_from(c) {
            if byte.is_ascii() {
                if let Some(dst) = self.buf.get_mut(self.len) {
                    *dst = byte;
                    self.len += 1;
                }
                return;
            }
        }
        let end = self.len + c.len_utf8();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            c.encode_utf8(dst);
            self.len = end;
        }
    }
    fn end(&mut self) {
        if self.len == self.cur {
            return;
        }
        let span = (self.cur, self.len);
        if self.n == 3 {
            self.spans = [self.spans[1], self.spans[2], span];
        } else {
            self.spans[self.n] = span;
            self.n += 1;
        }
        self.cur = self.len;
    }
}

impl Default for LastTokens {
    /// No tokens.
    fn default() -> LastTokens {
        LastTokens {
            buf: [0; LastTokens::MAX_TEXT * 12],
            len: 0,
            cur: 0,
            spans: [(0, 0); 3],
            n: 0,
        }
    }
}

impl LastTokens {
    pub(crate) const MAX_TEXT: usize = 32;

    /// The last three tokens of `text`, which must be at most
    /// [`LastTokens::MAX_TEXT`] bytes long (longer, a token may be cut).
    pub(crate) fn of(text: &str) -> LastTokens {
        debug_assert!(text.len() <= LastTokens::MAX_TEXT);
        let mut t = LastTokens::default();
        split_tokens(text, &mut t);
        t
    }

    /// The kept tokens, oldest first (at most three).
    pub(crate) fn words(&self) -> ([&str; 3], usize) {
        let mut out = [""; 3];
        for (o, &(a, z)) in out.iter_mut().zip(&self.spans[..self.n]) {
            // Whole characters were written: always valid UTF-8.
            *o = std::str::from_utf8(&self.buf[a..z]).unwrap_or("");
        }
        (out, self.n)
    }
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        other => other,
    }
}

/// Tokens that turn "name" into something that is not a person's name.
const NOT_A_PERSON: &[&str] = &[
    "org",
    "organisation",
    "organization",
    "company",
    "entreprise",
    "societe",
    "product",
    "produit",
    "file",
    "filename",
    "table",
    "service",
    "host",
    "hostname",
    "app",
    "event",
    "category",
    "type",
    "kind",
    "method",
    "class",
    "model",
    "job",
    "queue",
    "domain",
    "key",
    "bucket",
    "index",
    "column",
    "schema",
    "database",
    "db",
    "field",
    "tag",
    "label",
    "lieu",
    "place",
    "street",
    "rue",
    "voie",
    "city",
    "ville",
    "commune",
    "country",
    "pays",
    "department",
    "departement",
    "team",
    "role",
    "group",
    "site",
    "brand",
    "motif",
    "reason",
    "template",
    "action",
    "controller",
    "worker",
    "channel",
    "stream",
    "metric",
    "feature",
    "flag",
    "version",
];

/// Classifies a field, column, JSON key or key segment by its name alone:
/// `classify_name("phone_number")` → phone, `classify_name("prenom")` →
/// person name, `classify_name("id")` → `None`.
pub fn classify_name(name: &str) -> Option<NameClass> {
    classify_tokens(&tokens(name))
}

/// Rank (lower wins), kind and confidence a single token gives.
fn token_class(t: &str) -> Option<(u8, Kind, f32)> {
    Some(match t {
        "password" | "passwd" | "pwd" | "secret" | "apikey" | "jwt" | "bearer"
        | "authorization" | "otp" | "credentials" => (0, Kind::Secret, 0.85),
        "token" => (1, Kind::Secret, 0.75),
        "email" | "mail" | "courriel" | "emails" => (2, Kind::Email, 0.9),
        "phone" | "tel" | "telephone" | "mobile" | "portable" | "msisdn" | "gsm" | "fax"
        | "cellphone" | "phones" => (3, Kind::Phone, 0.9),
        "iban" | "rib" => (4, Kind::Iban, 0.9),
        "nir" | "ssn" | "insee" | "secu" => (5, Kind::Nir, 0.9),
        "siret" => (6, Kind::Siret, 0.8),
        "siren" => (7, Kind::Siren, 0.8),
        "pan" | "cb" => (8, Kind::PaymentCard, 0.8),
        "birth" | "birthdate" | "birthday" | "naissance" | "dob" | "ddn" => {
            (9, Kind::DateOfBirth, 0.9)
        }
        "ip" | "ipv4" | "ipv6" => (10, Kind::IpAddress, 0.85),
        "lat" | "lng" | "lon" | "latitude" | "longitude" | "geo" => (11, Kind::Geolocation, 0.7),
        "address" | "adresse" | "addr" | "street" | "rue" | "zip" | "zipcode" | "postcode" => {
            (12, Kind::PostalAddress, 0.8)
        }
        "city" | "ville" | "commune" | "town" => (13, Kind::PostalAddress, 0.6),
        "prenom" | "prenoms" | "firstname" | "lastname" | "surname" | "fullname" | "nom"
        | "patronyme" | "forename" => (14, Kind::PersonName, 0.85),
        "name" | "author" | "contact" | "beneficiary" | "holder" => (15, Kind::PersonName, 0.6),
        "notes" | "note" | "comment" | "comments" | "commentaire" | "commentaires" | "message"
        | "messages" | "msg" | "description" | "context" | "contexte" | "remarque"
        | "remarques" | "observation" | "observations" | "body" | "text" | "texte" | "content"
        | "details" | "bio" | "about" | "memo" => (16, Kind::FreeText, 0.6),
        "userid" | "uid" | "username" | "login" | "cookie" => (17, Kind::OnlineId, 0.6),
        _ => return None,
    })
}

/// Rank, kind and confidence of a two-token compound ("first_name").
fn pair_class(a: &str, b: &str) -> Option<(u8, Kind, f32)> {
    Some(match (a, b) {
        ("api", "key") | ("private", "key") => (0, Kind::Secret, 0.85),
        ("e", "mail") => (2, Kind::Email, 0.9),
        ("securite", "sociale") | ("social", "security") => (5, Kind::Nir, 0.9),
        ("card", "number") | ("credit", "card") => (8, Kind::PaymentCard, 0.8),
        ("remote", "addr") | ("forwarded", "for") => (10, Kind::IpAddress, 0.85),
        ("postal", "code") | ("code", "postal") => (12, Kind::PostalAddress, 0.8),
        (
            "first" | "last" | "given" | "family" | "full" | "maiden" | "display" | "birth",
            "name",
        ) => (14, Kind::PersonName, 0.85),
        ("user" | "customer" | "account" | "session" | "device", "id") => (17, Kind::OnlineId, 0.6),
        _ => return None,
    })
}

pub(crate) fn classify_tokens<T: AsRef<str>>(toks: &[T]) -> Option<NameClass> {
    let mut best: Option<(u8, Kind, f32)> = None;
    let mut consider = |c: Option<(u8, Kind, f32)>| {
        if let Some(c) = c {
            if best.is_none_or(|b| c.0 < b.0) {
                best = Some(c);
            }
        }
    };
    for (i, t) in toks.iter().enumerate() {
        let t = t.as_ref();
        let next = toks.get(i + 1).map(AsRef::as_ref);
        consider(token_class(t));
        if let Some(next) = next {
            consider(pair_class(t, next));
        }
        if t == "mot" && next == Some("de") {
            consider(Some((0, Kind::Secret, 0.85)));
        }
    }
    let (_, kind, confidence) = best?;
    if kind == Kind::PersonName && toks.iter().any(|t| NOT_A_PERSON.contains(&t.as_ref())) {
        return None;
    }
    Some(NameClass {
        kind,
        category: kind.category(),
        confidence,
    })
}

/// Names that make a value *less* likely to be personal data: ids, order
/// numbers, versions, timestamps, hashes, counters.
#[cfg(test)]
pub(crate) fn is_negative_context(name: &str) -> bool {
    let toks = tokens(name);
    classify_tokens(&toks).is_none() && negative_tokens(&toks)
}

pub(crate) fn negative_tokens<T: AsRef<str>>(toks: &[T]) -> bool {
    toks.iter().any(|t| {
        matches!(
            t.as_ref(),
            "id" | "ids"
                | "uuid"
                | "guid"
                | "order"
                | "commande"
                | "ref"
                | "dossier"
                | "rdv"
                | "ticket"
                | "transaction"
                | "reference"
                | "invoice"
                | "facture"
                | "version"
                | "ver"
                | "build"
                | "release"
                | "ts"
                | "timestamp"
                | "time"
                | "created"
                | "updated"
                | "at"
                | "date"
                | "hash"
                | "digest"
                | "sha"
                | "md5"
                | "checksum"
                | "count"
                | "counter"
                | "amount"
                | "montant"
                | "price"
                | "prix"
                | "total"
                | "size"
                | "sku"
                | "ean"
                | "isbn"
                | "tracking"
                | "colis"
                | "serial"
                | "seq"
                | "nonce"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(n: &str) -> Option<Kind> {
        classify_name(n).map(|c| c.kind)
    }

    #[test]
    fn names_classify() {
        assert_eq!(kind("phone_number"), Some(Kind::Phone));
        assert_eq!(kind("phoneNumber"), Some(Kind::Phone));
        assert_eq!(kind("tel"), Some(Kind::Phone));
        assert_eq!(kind("email"), Some(Kind::Email));
        assert_eq!(kind("user_email"), Some(Kind::Email));
        assert_eq!(kind("prénom"), Some(Kind::PersonName));
        assert_eq!(kind("first_name"), Some(Kind::PersonName));
        assert_eq!(kind("lastName"), Some(Kind::PersonName));
        assert_eq!(kind("nom"), Some(Kind::PersonName));
        assert_eq!(kind("organisation_name"), None);
        assert_eq!(kind("date_naissance"), Some(Kind::DateOfBirth));
        assert_eq!(kind("birth_date"), Some(Kind::DateOfBirth));
        assert_eq!(kind("remote_ip"), Some(Kind::IpAddress));
        assert_eq!(kind("adresse"), Some(Kind::PostalAddress));
        assert_eq!(kind("encrypted_password"), Some(Kind::Secret));
        assert_eq!(kind("notes"), Some(Kind::FreeText));
        assert_eq!(kind("context"), Some(Kind::FreeText));
        assert_eq!(kind("nir"), Some(Kind::Nir));
        assert_eq!(kind("iban"), Some(Kind::Iban));
        assert_eq!(kind("user_id"), Some(Kind::OnlineId));
        assert_eq!(kind("id"), None);
        assert_eq!(kind("created_at"), None);
        assert_eq!(kind(""), None);
        assert_eq!(kind("zip"), Some(Kind::PostalAddress));
        assert_eq!(
            classify_name("phone").map(|c| c.category),
            Some(Category::Contact)
        );
    }

    #[test]
    fn negative_contexts() {
        assert!(is_negative_context("order_id"));
        assert!(is_negative_context("version"));
        assert!(!is_negative_context("phone"));
        assert!(!is_negative_context("user_id"));
    }

    #[test]
    fn last_tokens_are_the_last_three_tokens() {
        for s in [
            "",
            " ",
            "Tél : ",
            "commande n° ",
            "order_id=",
            "firstName lastName",
            "phoneNumber: ",
            "ÉCOLE Île-de-France",
            "x\u{130}y İ İİ",
            "ß straße STRASSE",
            "a1B2c3D4 e5F6",
            "\u{1F600}mail\u{1F600}",
            "n° SIRET",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}",
        ] {
            assert!(s.len() <= LastTokens::MAX_TEXT, "{s}");
            let all = tokens(s);
            let want: Vec<&str> = all[all.len().saturating_sub(3)..]
                .iter()
                .map(String::as_str)
                .collect();
            let last = LastTokens::of(s);
            let (got, n) = last.words();
            assert_eq!(&got[..n], want.as_slice(), "{s}");
        }
    }

    #[test]
    fn first_names() {
        assert!(is_first_name("Camille"));
        assert!(is_first_name("JEAN"));
        assert!(is_first_name("Hélène"));
        assert!(!is_first_name("Paris"));
        assert!(!is_first_name(""));
    }
}
