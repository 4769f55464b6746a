//! What a finding is: a stable kind, a severity, what it is about, and one
//! sentence. Every store's checks (the register's lint, the census,
//! Postgres, later posture and rights) produce these; both faces show them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    #[default]
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// A flow, as findings name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FlowRef {
    pub from: String,
    pub to: String,
}

/// A Redis namespace a finding is about: its pattern (placeholders only, no
/// personal data), how many keys and bytes, and one masked example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct NamespaceRef {
    pub pattern: String,
    pub keys: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Finding {
    /// snake_case, stable: `unknown_retention`, `missing_justification`,
    /// `external_without_justification`, `no_expiry`, `copy_outlives_source`,
    /// `undeclared_node`, `orphan_storage`, `flow_gap`, `retention_contradicted`,
    /// and the live kinds (README, Findings).
    pub kind: &'static str,
    pub severity: Severity,
    /// The node the finding is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowRef>,
    /// For findings of the keyspace census.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<NamespaceRef>,
    /// For Postgres findings: the table, qualified as oubli prints it
    /// (`receipts`, `audit.events`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    pub message: String,
}
