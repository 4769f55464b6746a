//! The register ("data map as code"): what is kept where, for how long and
//! why, how it flows, how to reach the live stores, and how one person's data
//! is found and erased. Field names here are the TOML keys; README documents
//! them and `config/example.toml` uses every one.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::retention::Retention;
use super::settings::{PostgresSettings, RedisSettings, RetrySettings, UiSettings};

/// The whole file, as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub register: Header,
    #[serde(default, rename = "storage")]
    pub storages: Vec<Storage>,
    #[serde(default, rename = "flow")]
    pub flows: Vec<Flow>,
    #[serde(default, rename = "connection")]
    pub connections: BTreeMap<String, Connection>,
    #[serde(default)]
    pub person: Option<PersonModel>,
    /// Settings, laid over the embedded `config/defaults.toml`.
    pub ui: UiSettings,
    pub redis: RedisSettings,
    pub postgres: PostgresSettings,
    pub retry: RetrySettings,
}

impl Register {
    pub fn storage(&self, id: &str) -> Option<&Storage> {
        self.storages.iter().find(|s| s.id() == id)
    }

    /// The storage measured through the connection named `conn`.
    pub fn storage_of_connection(&self, conn: &str) -> Option<&Storage> {
        self.storages
            .iter()
            .find(|s| s.connection_name() == Some(conn))
    }
}

/// Who answers for the register.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub controller: String,
    pub contact: String,
    #[serde(default)]
    pub dpo: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Deployments that share this map (e.g. two brands and a demo).
    #[serde(default)]
    pub deployments: Vec<String>,
}

/// What a node of the map is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    Database,
    Cache,
    Logs,
    Backup,
    External,
    Process,
    Actor,
}

impl StorageKind {
    /// Keeps data at rest (drawn as a cylinder), as opposed to a process or people.
    pub fn is_persistent(self) -> bool {
        !matches!(self, StorageKind::Process | StorageKind::Actor)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Database => "database",
            StorageKind::Cache => "cache",
            StorageKind::Logs => "logs",
            StorageKind::Backup => "backup",
            StorageKind::External => "external",
            StorageKind::Process => "process",
            StorageKind::Actor => "actor",
        }
    }
}

/// One node of the map: a storage, a process or a group of people.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub id: Spanned<String>,
    pub label: String,
    pub kind: Spanned<StorageKind>,
    #[serde(default)]
    pub description: Option<String>,
    /// Inside the hosted perimeter? Defaults to false for `external`, true otherwise.
    #[serde(default)]
    pub inside: Option<bool>,
    /// Required for persistent kinds (write "unknown" if nobody knows).
    #[serde(default)]
    pub retention: Option<Spanned<Retention>>,
    /// Per-kind retentions, e.g. automatic backups 12 months, manual ones none.
    #[serde(default, rename = "variant")]
    pub variants: Vec<RetentionVariant>,
    /// Purpose and legal justification of the processing.
    #[serde(default)]
    pub justification: Option<String>,
    /// Art. 6 legal basis (e.g. "public task", "contract", "consent").
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Categories of personal data kept (e.g. "contact", "identity", "free text").
    #[serde(default)]
    pub categories: Vec<String>,
    /// Categories of people the data is about (ids of actor nodes or free words).
    #[serde(default)]
    pub people: Vec<String>,
    /// Who receives or can read the data.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Transfers outside the EU, and their safeguards; absent means none declared.
    #[serde(default)]
    pub transfers_outside_eu: Option<String>,
    /// Security measures (encryption, access control, ...).
    #[serde(default)]
    pub security: Option<String>,
    /// For a copy (backup, ETL): the id of the storage it copies.
    #[serde(default)]
    pub copy_of: Option<Spanned<String>>,
    /// Name of a `[connection.NAME]` to measure this storage live.
    #[serde(default)]
    pub connection: Option<Spanned<String>>,
}

impl Storage {
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    pub fn kind(&self) -> StorageKind {
        *self.kind.get_ref()
    }

    pub fn is_inside(&self) -> bool {
        self.inside
            .unwrap_or(!matches!(self.kind(), StorageKind::External))
    }

    /// The retention that bounds every copy: the declared one, or the
    /// longest of the variants.
    pub fn effective_retention(&self) -> Option<Retention> {
        let declared = self.retention.as_ref().map(|r| *r.get_ref());
        let variants = self.variants.iter().map(|v| *v.retention.get_ref());
        match declared {
            Some(r) => Some(r),
            None => variants.reduce(Retention::longest),
        }
    }

    pub fn connection_name(&self) -> Option<&str> {
        self.connection.as_ref().map(|c| c.get_ref().as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionVariant {
    pub name: String,
    pub retention: Spanned<Retention>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Personal data flowing from one node to another.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    /// `from` writes to `to` and reads from it (drawn ↔).
    #[serde(default)]
    pub both_ways: bool,
    #[serde(default)]
    pub label: Option<String>,
    /// Categories of data carried.
    #[serde(default)]
    pub data: Vec<String>,
}

impl Flow {
    pub fn from(&self) -> &str {
        self.from.get_ref()
    }
    pub fn to(&self) -> &str {
        self.to.get_ref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    Redis,
    Postgres,
}

/// How to reach a live store. The URL comes from exactly one of `url` (only
/// when it holds no password), `url_env` or `url_file`; a password may come
/// separately from `password_env` or `password_file`. Secrets are never inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub kind: ConnectionKind,
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub url_env: Option<Spanned<String>>,
    #[serde(default)]
    pub url_file: Option<Spanned<String>>,
    /// User name (Redis ACL user or Postgres role) when not in the URL.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    #[serde(default)]
    pub password_file: Option<Spanned<String>>,
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Redis: the URL names one node of a Redis Cluster; scan every primary.
    #[serde(default)]
    pub cluster: bool,
    /// Read from replicas where the store allows it.
    #[serde(default)]
    pub read_from_replicas: bool,
}

/// TLS options (Redis `rediss://`; Postgres `sslmode` in the URL or here).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Postgres: disable | prefer | require | verify-ca | verify-full.
    #[serde(default)]
    pub mode: Option<String>,
    /// PEM file of the CA to trust instead of the system roots.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// PEM client certificate and key, for mutual TLS.
    #[serde(default)]
    pub client_cert_file: Option<String>,
    #[serde(default)]
    pub client_key_file: Option<String>,
}

/// How one person's data is found and erased.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonModel {
    /// The identifiers support staff can look a person up by.
    pub identifiers: Vec<Spanned<String>>,
    #[serde(default)]
    pub postgres: Vec<PersonTable>,
    #[serde(default)]
    pub redis: Vec<PersonKeys>,
}

/// A table holding rows about a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonTable {
    pub table: Spanned<String>,
    #[serde(default)]
    pub schema: Option<String>,
    /// identifier → column that holds it in this table.
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, Spanned<String>>,
    /// `"column -> table.column"`: rows reached through a foreign key.
    #[serde(default)]
    pub link: Option<Spanned<String>>,
    /// Column used to age rows against the storage's retention.
    #[serde(default)]
    pub retention_column: Option<String>,
    /// `"delete"`, `"keep"`, or column → strategy (`null`, `redact`, `hash`,
    /// `keep`, `rewrite:<template with {column}>`).
    pub erase: Spanned<Erase>,
}

/// A link `col -> table.col`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub column: String,
    pub table: String,
    pub target_column: String,
}

impl PersonTable {
    pub fn parsed_link(&self) -> Option<Link> {
        self.link.as_ref().and_then(|l| parse_link(l.get_ref()))
    }
}

pub(crate) fn parse_link(s: &str) -> Option<Link> {
    let (col, target) = s.split_once("->")?;
    let (table, tcol) = target.trim().rsplit_once('.')?;
    let ident = |x: &str| {
        !x.is_empty()
            && x.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    let (col, table, tcol) = (col.trim(), table.trim(), tcol.trim());
    (ident(col) && ident(table) && ident(tcol)).then(|| Link {
        column: col.to_string(),
        table: table.to_string(),
        target_column: tcol.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Erase {
    Whole(String),
    Columns(BTreeMap<String, String>),
}

/// What to do with one column on erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnStrategy {
    Null,
    Redact,
    Hash,
    Keep,
    Rewrite(String),
}

impl std::str::FromStr for ColumnStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "null" => ColumnStrategy::Null,
            "redact" => ColumnStrategy::Redact,
            "hash" => ColumnStrategy::Hash,
            "keep" => ColumnStrategy::Keep,
            _ => match s.strip_prefix("rewrite:") {
                Some(t) if !t.is_empty() => ColumnStrategy::Rewrite(t.to_string()),
                _ => {
                    return Err(format!(
                        "unknown erase strategy {s:?}: expected null, redact, hash, keep or rewrite:<template>"
                    ))
                }
            },
        })
    }
}

/// Redis keys holding a person's data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonKeys {
    /// Glob with `{identifier}` placeholders, e.g. `app:*:user_session_domain:{email}`
    /// (a person pattern of [`crate::keypattern`]: `*` `?` wildcards, `\` escapes).
    pub pattern: Spanned<String>,
    /// Hash fields or JSON keys that hold an identifier: field → identifier.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// `"unlink"` (the key goes) or `"keep"`; or hash field → strategy.
    pub erase: Spanned<Erase>,
}

impl PersonKeys {
    /// The pattern, read as a person pattern.
    pub fn key_pattern(&self) -> crate::keypattern::KeyPattern<'_> {
        crate::keypattern::KeyPattern::person(self.pattern.get_ref())
    }

    /// Identifiers named by `{…}` in the pattern.
    pub fn placeholders(&self) -> Vec<&str> {
        self.key_pattern().placeholders().collect()
    }
}

/// The identifiers a person pattern names (`{{email}}`, a hash tag around
/// a placeholder, names `email`), as [`crate::keypattern`] reads them.
pub(crate) fn placeholders(s: &str) -> Vec<&str> {
    crate::keypattern::KeyPattern::person(s)
        .placeholders()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_parse_or_refuse() {
        assert_eq!(
            parse_link("user_id -> users.id"),
            Some(Link {
                column: "user_id".into(),
                table: "users".into(),
                target_column: "id".into()
            })
        );
        assert_eq!(
            parse_link("public.x -> public.users.id").unwrap().table,
            "public.users"
        );
        assert_eq!(parse_link("user_id users.id"), None);
        assert_eq!(parse_link("user_id -> users"), None);
        assert_eq!(parse_link("a; drop -> users.id"), None);
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(placeholders("app:*:s:{email}"), vec!["email"]);
        assert_eq!(
            placeholders("u:{user_id}:x:{phone}"),
            vec!["user_id", "phone"]
        );
        assert!(placeholders("plain:*").is_empty());
        assert_eq!(placeholders("cart:{{user_id}}:items"), vec!["user_id"]);
    }

    #[test]
    fn strategies() {
        assert_eq!("null".parse::<ColumnStrategy>(), Ok(ColumnStrategy::Null));
        assert_eq!(
            "rewrite:deleted-{id}@invalid".parse::<ColumnStrategy>(),
            Ok(ColumnStrategy::Rewrite("deleted-{id}@invalid".into()))
        );
        assert!("wipe".parse::<ColumnStrategy>().is_err());
        assert!("rewrite:".parse::<ColumnStrategy>().is_err());
    }
}
