//! Where the trail and its keys live. Read from the environment for now
//! (`AuditConfig::from_env`); a later session moves these settings into the
//! register, where `from_vars` already takes the register's `Env`.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::keys::{generate_keys, read_public, read_secret, KeyFiles, PublicKey, SigningKey};
use super::subject::SubjectKey;
use crate::register::load::{Env, ProcessEnv};
use crate::register::SecretUrl;

/// A key: a file of its own, or an environment variable's value.
#[derive(Clone)]
pub enum KeySource {
    File(PathBuf),
    Env { var: String, value: Secret },
}

/// A key's text; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The key itself, for the key parser only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "File({})", p.display()),
            KeySource::Env { var, .. } => write!(f, "Env({var})"),
        }
    }
}

impl KeySource {
    /// Where the key comes from, for messages.
    pub fn describe(&self) -> String {
        match self {
            KeySource::File(p) => p.display().to_string(),
            KeySource::Env { var, .. } => format!("${var}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Holds `trail.jsonl` and `checkpoints.jsonl` (mode 0700).
    pub dir: PathBuf,
    /// The trail's name in its checkpoints and in the Postgres anchor: one
    /// per trail when several share a key or an anchor database.
    pub origin: String,
    pub hmac_key: KeySource,
    pub signing_key: KeySource,
    pub public_key: KeySource,
    /// The Postgres anchor (`OUBLI_AUDIT_PG_URL`); `None`: file only.
    pub postgres: Option<SecretUrl>,
}

/// The default origin.
pub const DEFAULT_ORIGIN: &str = "oubli";

impl AuditConfig {
    /// The trail in `dir`, its keys in `keys` (`hmac.key`, `signing.key`,
    /// `signing.pub`), no Postgres anchor.
    pub fn in_dirs(dir: &Path, keys: &Path) -> AuditConfig {
        AuditConfig {
            dir: dir.to_path_buf(),
            origin: DEFAULT_ORIGIN.to_string(),
            hmac_key: KeySource::File(keys.join("hmac.key")),
            signing_key: KeySource::File(keys.join("signing.key")),
            public_key: KeySource::File(keys.join("signing.pub")),
            postgres: None,
        }
    }

    /// From the process environment (see docs/audit.md).
    pub fn from_env() -> anyhow::Result<AuditConfig> {
        AuditConfig::from_vars(&ProcessEnv)
    }

    /// `OUBLI_AUDIT_DIR` (default `$XDG_STATE_HOME/oubli/audit`),
    /// `OUBLI_AUDIT_ORIGIN`, `OUBLI_AUDIT_HMAC_KEY[_FILE]`,
    /// `OUBLI_AUDIT_SIGNING_KEY[_FILE]`, `OUBLI_AUDIT_PUBLIC_KEY[_FILE]`
    /// (the files default to `$XDG_CONFIG_HOME/oubli/audit-keys/`),
    /// `OUBLI_AUDIT_PG_URL`.
    pub fn from_vars(env: &dyn Env) -> anyhow::Result<AuditConfig> {
        let set = |name: &str| env.var(name).filter(|v| !v.trim().is_empty());
        let dir = match set("OUBLI_AUDIT_DIR") {
            Some(d) => PathBuf::from(d),
            None => set("OUBLI_STATE_DIR")
                .map(PathBuf::from)
                .or_else(|| dirs::state_dir().map(|d| d.join("oubli")))
                .map(|d| d.join("audit"))
                .context("no place for the audit trail: set OUBLI_AUDIT_DIR")?,
        };
        let keys_dir = || dirs::config_dir().map(|d| d.join("oubli").join("audit-keys"));
        let key = |var: &str, file_var: &str, default: &str| -> anyhow::Result<KeySource> {
            if let Some(value) = set(var) {
                return Ok(KeySource::Env {
                    var: var.to_string(),
                    value: Secret::new(value),
                });
            }
            match set(file_var) {
                Some(f) => Ok(KeySource::File(PathBuf::from(f))),
                None => keys_dir()
                    .map(|d| KeySource::File(d.join(default)))
                    .with_context(|| format!("no place for the audit keys: set {file_var}")),
            }
        };
        let origin = set("OUBLI_AUDIT_ORIGIN").unwrap_or_else(|| DEFAULT_ORIGIN.to_string());
        anyhow::ensure!(
            origin.len() <= 128 && origin.chars().all(|c| c.is_ascii_graphic()),
            "OUBLI_AUDIT_ORIGIN must be 1 to 128 printable ASCII characters without spaces"
        );
        Ok(AuditConfig {
            dir,
            origin,
            hmac_key: key(
                "OUBLI_AUDIT_HMAC_KEY",
                "OUBLI_AUDIT_HMAC_KEY_FILE",
                "hmac.key",
            )?,
            signing_key: key(
                "OUBLI_AUDIT_SIGNING_KEY",
                "OUBLI_AUDIT_SIGNING_KEY_FILE",
                "signing.key",
            )?,
            public_key: key(
                "OUBLI_AUDIT_PUBLIC_KEY",
                "OUBLI_AUDIT_PUBLIC_KEY_FILE",
                "signing.pub",
            )?,
            postgres: set("OUBLI_AUDIT_PG_URL").map(SecretUrl::new),
        })
    }

    /// The key that checks checkpoints: the public key's source, or, when
    /// that file does not exist, the one derived from the signing key.
    pub fn load_public_key(&self) -> anyhow::Result<PublicKey> {
        match &self.public_key {
            KeySource::File(p) if !p.exists() => {
                let seed = read_secret(&self.signing_key, "the audit signing key").with_context(|| {
                    format!("no audit public key at {} (run oubli audit init, or set OUBLI_AUDIT_PUBLIC_KEY_FILE)", p.display())
                })?;
                Ok(SigningKey::from_seed(&seed)?.public())
            }
            source => read_public(source),
        }
    }

    /// The key that names people (for `audit show --subject`).
    pub fn load_subject_key(&self) -> anyhow::Result<SubjectKey> {
        SubjectKey::from_bytes(&read_secret(&self.hmac_key, "the audit HMAC key")?)
    }

    /// Create the trail's directory (0700) and whichever key files are
    /// missing (never overwriting one). Returns the files created.
    pub fn prepare(&self) -> anyhow::Result<Vec<PathBuf>> {
        super::file::ensure_dir(&self.dir)?;
        let file = |s: &KeySource| match s {
            KeySource::File(p) => Some(p.clone()),
            KeySource::Env { .. } => None,
        };
        let (Some(hmac), Some(signing)) = (file(&self.hmac_key), file(&self.signing_key)) else {
            anyhow::bail!("a key is given in the environment: audit init only creates key files");
        };
        let public = file(&self.public_key).unwrap_or_else(|| signing.with_extension("pub"));
        generate_keys(&KeyFiles {
            hmac,
            signing,
            public,
        })
    }

    pub fn trail_path(&self) -> PathBuf {
        self.dir.join(super::TRAIL_FILE)
    }

    pub fn checkpoints_path(&self) -> PathBuf {
        self.dir.join(super::CHECKPOINTS_FILE)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn the_environment_names_every_place_and_keys_stay_hidden() {
        let env: HashMap<String, String> = [
            ("OUBLI_AUDIT_DIR", "/srv/audit"),
            ("OUBLI_AUDIT_HMAC_KEY", "ab".repeat(32).as_str()),
            ("OUBLI_AUDIT_SIGNING_KEY_FILE", "/etc/oubli/signing.key"),
            ("OUBLI_AUDIT_PG_URL", "postgresql://audit:s3cret@db/audit"),
            ("OUBLI_AUDIT_ORIGIN", "booking-prod"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = AuditConfig::from_vars(&env).expect("config");
        assert_eq!(c.trail_path(), PathBuf::from("/srv/audit/trail.jsonl"));
        assert_eq!(c.origin, "booking-prod");
        assert!(
            matches!(&c.signing_key, KeySource::File(p) if p == Path::new("/etc/oubli/signing.key"))
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("abab") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert_eq!(c.hmac_key.describe(), "$OUBLI_AUDIT_HMAC_KEY");

        let bad: HashMap<String, String> =
            [("OUBLI_AUDIT_ORIGIN".to_string(), "two words".to_string())].into();
        assert!(AuditConfig::from_vars(&bad).is_err());
    }
}
