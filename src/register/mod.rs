//! The register: the data map as code. See README "The register" for the
//! schema, and `config/example.toml` for the reference data map.

pub mod export;
pub mod lint;
pub mod load;
pub mod model;
pub mod redact;
pub mod retention;
pub mod settings;

pub use load::{
    load_file, load_file_with, load_str, load_str_with, ConfigError, ConfigErrors, LoadOptions,
    Loaded, ResolvedConnection, SecretUrl,
};
pub use model::{
    ColumnStrategy, Connection, ConnectionKind, Erase, Flow, Header, Link, PersonKeys, PersonModel,
    PersonTable, Register, Storage, StorageKind,
};
pub use redact::redact_url;
pub use retention::{Period, Retention, Unit};
