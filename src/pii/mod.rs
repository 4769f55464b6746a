//! The personal-data detector: values, field/column names and Redis key names.
//!
//! One engine, no terminal code, used by the Redis census, the Postgres
//! classifier, the lookup wizard and incident search.
//!
//! - [`Detector::scan_text`] finds hits in a UTF-8 text; the optional
//!   *context* is the name around the value (hash field, JSON key, column
//!   name, previous key segment) and raises or lowers confidence.
//! - [`Detector::scan_value`] decodes a raw value first (JSON, URL-encoded,
//!   gzip, zlib, binary) and reports hits per field; **spans refer to the
//!   decoded text of that field**, not to the raw bytes.
//! - [`classify_name`] classifies a field or column by its name alone.
//! - [`keys::pattern`] folds a Redis key into its namespace pattern and
//!   [`keys::key_hits`] finds personal data in the key name itself.
//! - [`mask`] is the one masking function used on screen and in reports.
//!
//! Same input, same output: no randomness, no hash-map iteration order in
//! results. Every regex is from the `regex` crate or `regex-automata`, the
//! engine under it (linear time). No value is ever logged; `Debug` of the
//! types here shows only what a caller put in.

pub mod keys;
mod mask;
mod names;
mod serial;
mod text;
mod validate;
mod value;

use std::ops::Range;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use mask::mask;
pub use names::{classify_name, is_first_name, NameClass};
pub use validate::{iban_valid, luhn_valid, nir_valid, siren_valid, siret_valid};
pub use value::{Encoding, FieldHit, ValueScan, MAX_DECOMPRESSED};

/// Hits below this confidence are not reported.
pub const MIN_CONFIDENCE: f32 = 0.5;

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    IpAddress,
    Iban,
    PaymentCard,
    /// French social-security number (NIR), key checked.
    Nir,
    Siren,
    Siret,
    PostalAddress,
    DateOfBirth,
    PersonName,
    /// Password hashes, API tokens, bearer tokens, JWTs.
    Secret,
    /// Natural-language text likely to hold personal notes.
    FreeText,
    /// User, session, device or account identifiers (from names only).
    OnlineId,
    /// Latitude/longitude (from names only).
    Geolocation,
}

/// The GDPR-facing family of a [`Kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Contact,
    Identity,
    Location,
    OnlineIdentifier,
    Financial,
    NationalId,
    FreeText,
    Credential,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 15] = [
        Kind::Email,
        Kind::Phone,
        Kind::IpAddress,
        Kind::Iban,
        Kind::PaymentCard,
        Kind::Nir,
        Kind::Siren,
        Kind::Siret,
        Kind::PostalAddress,
        Kind::DateOfBirth,
        Kind::PersonName,
        Kind::Secret,
        Kind::FreeText,
        Kind::OnlineId,
        Kind::Geolocation,
    ];

    pub fn category(self) -> Category {
        match self {
            Kind::Email | Kind::Phone => Category::Contact,
            Kind::PersonName | Kind::DateOfBirth => Category::Identity,
            Kind::PostalAddress | Kind::Geolocation => Category::Location,
            Kind::IpAddress | Kind::OnlineId => Category::OnlineIdentifier,
            Kind::Iban | Kind::PaymentCard => Category::Financial,
            Kind::Nir | Kind::Siren | Kind::Siret => Category::NationalId,
            Kind::FreeText => Category::FreeText,
            Kind::Secret => Category::Credential,
        }
    }

    /// The snake_case name, as in JSON output and the test corpus.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::IpAddress => "ip_address",
            Kind::Iban => "iban",
            Kind::PaymentCard => "payment_card",
            Kind::Nir => "nir",
            Kind::Siren => "siren",
            Kind::Siret => "siret",
            Kind::PostalAddress => "postal_address",
            Kind::DateOfBirth => "date_of_birth",
            Kind::PersonName => "person_name",
            Kind::Secret => "secret",
            Kind::FreeText => "free_text",
            Kind::OnlineId => "online_id",
            Kind::Geolocation => "geolocation",
        }
    }

    /// Inverse of [`Kind::as_str`].
    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short label for narrow columns: `email`, `ip`, `addr`, `card`.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::IpAddress => "ip",
            Kind::Iban => "iban",
            Kind::PaymentCard => "card",
            Kind::Nir => "nir",
            Kind::Siren => "siren",
            Kind::Siret => "siret",
            Kind::PostalAddress => "addr",
            Kind::DateOfBirth => "birth",
            Kind::PersonName => "name",
            Kind::Secret => "secret",
            Kind::FreeText => "text",
            Kind::OnlineId => "id",
            Kind::Geolocation => "geo",
        }
    }

    /// The kind a word a person types stands for: its name (`ip_address`),
    /// its short label (`ip`), or a plain word for it (`address`, `mail`,
    /// `password`, `token`…). Case does not matter.
    pub fn from_word(word: &str) -> Option<Kind> {
        let w = word.trim().to_lowercase();
        if let Some(k) = Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == w || k.short() == w)
        {
            return Some(k);
        }
        Some(match w.as_str() {
            "e-mail" | "mail" | "emails" => Kind::Email,
            "tel" | "telephone" | "mobile" | "phones" => Kind::Phone,
            "ipaddress" | "ip-address" => Kind::IpAddress,
            "address" | "postal" | "postcode" => Kind::PostalAddress,
            "dob" | "birthday" | "birthdate" => Kind::DateOfBirth,
            "person" | "firstname" | "lastname" => Kind::PersonName,
            "password" | "token" | "credential" | "jwt" => Kind::Secret,
            "notes" | "freetext" => Kind::FreeText,
            "location" | "gps" => Kind::Geolocation,
            "ssn" | "insee" => Kind::Nir,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Contact => "contact",
            Category::Identity => "identity",
            Category::Location => "location",
            Category::OnlineIdentifier => "online_identifier",
            Category::Financial => "financial",
            Category::NationalId => "national_id",
            Category::FreeText => "free_text",
            Category::Credential => "credential",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding. `span` is a byte range into the text that was scanned (for
/// [`Detector::scan_value`], the decoded text of the field; for
/// [`keys::key_hits`], the raw key bytes). It never holds the value itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: Kind,
    pub category: Category,
    /// 0.0..=1.0
    pub confidence: f32,
    pub span: Range<usize>,
}

impl Hit {
    pub fn new(kind: Kind, confidence: f32, span: Range<usize>) -> Hit {
        Hit {
            kind,
            category: kind.category(),
            confidence: confidence.clamp(0.0, 1.0),
            span,
        }
    }

    /// The masked form of this hit in `source` (the text it was found in);
    /// a fixed placeholder when the span does not fit `source`.
    pub fn masked(&self, source: &str) -> String {
        match source.get(self.span.clone()) {
            Some(s) => mask(self.kind, s),
            None => "***".to_string(),
        }
    }
}

/// The compiled detector. Build it once ([`Detector::global`]); it is
/// `Send + Sync` and scanning takes `&self`.
pub struct Detector {
    text: text::TextDetector,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Detector")
    }
}

static GLOBAL: LazyLock<Detector> = LazyLock::new(Detector::new);

impl Default for Detector {
    fn default() -> Self {
        Detector::new()
    }
}

impl Detector {
    /// Compiles every pattern (a few milliseconds). Prefer [`Detector::global`].
    pub fn new() -> Detector {
        Detector {
            text: text::TextDetector::new(),
        }
    }

    /// The process-wide detector, compiled on first use.
    pub fn global() -> &'static Detector {
        &GLOBAL
    }

    /// Hits in `text`, sorted by span start, overlaps resolved (a
    /// [`Kind::FreeText`] hit may enclose others). `context` is the name
    /// around the value: hash field, JSON key, column, key segment.
    pub fn scan_text(&self, text: &str, context: Option<&str>) -> Vec<Hit> {
        self.text.scan(text, context)
    }

    /// Decodes `bytes` and scans every field with its name as context:
    /// JSON, URL-encoded forms, gzip, zlib and raw deflate, base64 of any of
    /// these, msgpack, PHP `serialize()`, Ruby Marshal, Java serialisation
    /// and pickle, Latin-1 and UTF-16 text; binary is recognised and not
    /// read as text.
    /// Spans in the result refer to the decoded text of each field.
    pub fn scan_value(&self, bytes: &[u8], context: Option<&str>) -> ValueScan {
        value::scan_value(self, bytes, context)
    }
}
