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
    let toks = tokens(name);
    if toks.is_empty() {
        return None;
    }
    let has = |w: &str| toks.iter().any(|t| t == w);
    let joined = toks.join("_");
    let class = |kind: Kind, confidence: f32| {
        Some(NameClass {
            kind,
            category: kind.category(),
            confidence,
        })
    };

    // Credentials first: "password_digest", "api_key", "reset_token".
    if has("password")
        || has("passwd")
        || has("pwd")
        || joined.contains("mot_de_passe")
        || has("secret")
        || has("apikey")
        || joined.contains("api_key")
        || has("jwt")
        || has("bearer")
        || has("authorization")
        || has("otp")
        || joined.contains("private_key")
        || has("credentials")
    {
        return class(Kind::Secret, 0.85);
    }
    if has("token") {
        return class(Kind::Secret, 0.75);
    }
    if has("email") || has("mail") || has("courriel") || joined.contains("e_mail") || has("emails")
    {
        return class(Kind::Email, 0.9);
    }
    if has("phone")
        || has("tel")
        || has("telephone")
        || has("mobile")
        || has("portable")
        || has("msisdn")
        || has("gsm")
        || has("fax")
        || has("cellphone")
        || has("phones")
    {
        return class(Kind::Phone, 0.9);
    }
    if has("iban") || has("rib") || has("bic_iban") {
        return class(Kind::Iban, 0.9);
    }
    if has("nir")
        || has("ssn")
        || has("insee")
        || has("secu")
        || joined.contains("securite_sociale")
        || joined.contains("social_security")
    {
        return class(Kind::Nir, 0.9);
    }
    if has("siret") {
        return class(Kind::Siret, 0.8);
    }
    if has("siren") {
        return class(Kind::Siren, 0.8);
    }
    if has("pan") || joined.contains("card_number") || has("cb") || joined.contains("credit_card")
    {
        return class(Kind::PaymentCard, 0.8);
    }
    if has("birth")
        || has("birthdate")
        || has("birthday")
        || has("naissance")
        || has("dob")
        || has("ddn")
        || has("birthdate")
    {
        return class(Kind::DateOfBirth, 0.9);
    }
    if has("ip")
        || has("ipv4")
        || has("ipv6")
        || joined.contains("remote_addr")
        || joined.contains("forwarded_for")
    {
        return class(Kind::IpAddress, 0.85);
    }
    if has("lat") || has("lng") || has("lon") || has("latitude") || has("longitude") || has("geo")
    {
        return class(Kind::Geolocation, 0.7);
    }
    if has("address")
        || has("adresse")
        || has("addr")
        || has("street")
        || has("rue")
        || has("zip")
        || has("zipcode")
        || joined.contains("postal_code")
        || joined.contains("code_postal")
        || has("postcode")
    {
        return class(Kind::PostalAddress, 0.8);
    }
    if has("city") || has("ville") || has("commune") || has("town") {
        return class(Kind::PostalAddress, 0.6);
    }
    let person = [
        "prenom",
        "prenoms",
        "firstname",
        "lastname",
        "surname",
        "fullname",
        "nom",
        "patronyme",
        "forename",
    ];
    if person.iter().any(|w| has(w))
        || joined.contains("first_name")
        || joined.contains("last_name")
        || joined.contains("given_name")
        || joined.contains("family_name")
        || joined.contains("full_name")
        || joined.contains("maiden_name")
        || joined.contains("display_name")
        || joined.contains("birth_name")
    {
        if toks.iter().any(|t| NOT_A_PERSON.contains(&t.as_str())) {
            return None;
        }
        return class(Kind::PersonName, 0.85);
    }
    if has("name") || has("author") || has("contact") || has("beneficiary") || has("holder") {
        if toks.iter().any(|t| NOT_A_PERSON.contains(&t.as_str())) {
            return None;
        }
        return class(Kind::PersonName, 0.6);
    }
    let free = [
        "notes",
        "note",
        "comment",
        "comments",
        "commentaire",
        "commentaires",
        "message",
        "messages",
        "msg",
        "description",
        "context",
        "contexte",
        "remarque",
        "remarques",
        "observation",
        "observations",
        "body",
        "text",
        "texte",
        "content",
        "details",
        "bio",
        "about",
        "memo",
    ];
    if free.iter().any(|w| has(w)) {
        return class(Kind::FreeText, 0.6);
    }
    if joined.contains("user_id")
        || joined.contains("customer_id")
        || joined.contains("account_id")
        || joined.contains("session_id")
        || joined.contains("device_id")
        || has("userid")
        || has("uid")
        || has("username")
        || has("login")
        || has("cookie")
    {
        return class(Kind::OnlineId, 0.6);
    }
    None
}

/// Names that make a value *less* likely to be personal data: ids, order
/// numbers, versions, timestamps, hashes, counters.
pub(crate) fn is_negative_context(name: &str) -> bool {
    if classify_name(name).is_some() {
        return false;
    }
    tokens(name).iter().any(|t| {
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
                | "ticket_id"
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
