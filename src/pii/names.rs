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
    FIRST_NAMES.contains(&word.to_lowercase())
}

/// Splits a name into lowercase ASCII-folded tokens: on anything not
/// alphanumeric and on camelCase boundaries (`firstName` → `first`, `name`).
pub(crate) fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars().take(128) {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            for l in c.to_lowercase() {
                cur.push(fold(l));
            }
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
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

pub(crate) fn classify_tokens(toks: &[String]) -> Option<NameClass> {
    let mut best: Option<(u8, Kind, f32)> = None;
    let mut consider = |c: Option<(u8, Kind, f32)>| {
        if let Some(c) = c {
            if best.is_none_or(|b| c.0 < b.0) {
                best = Some(c);
            }
        }
    };
    for (i, t) in toks.iter().enumerate() {
        consider(token_class(t));
        if let Some(next) = toks.get(i + 1) {
            consider(pair_class(t, next));
        }
        if t == "mot" && toks.get(i + 1).is_some_and(|x| x == "de") {
            consider(Some((0, Kind::Secret, 0.85)));
        }
    }
    let (_, kind, confidence) = best?;
    if kind == Kind::PersonName && toks.iter().any(|t| NOT_A_PERSON.contains(&t.as_str())) {
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

pub(crate) fn negative_tokens(toks: &[String]) -> bool {
    toks.iter().any(|t| {
        matches!(
            t.as_str(),
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
    fn first_names() {
        assert!(is_first_name("Camille"));
        assert!(is_first_name("JEAN"));
        assert!(is_first_name("Hélène"));
        assert!(!is_first_name("Paris"));
        assert!(!is_first_name(""));
    }
}
