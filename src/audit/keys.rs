//! The trail's two secrets, one per purpose: the HMAC key that names people
//! and the Ed25519 key that signs checkpoints. Each is 32 bytes written as
//! 64 hex digits on one line, in a file of its own (mode 0600: a key file
//! that its group or others can read is refused) or in an environment
//! variable. Neither is ever written to the trail, a log or a message.
//! The public key (64 hex digits too) is all `audit verify` needs.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use ring::rand::SecureRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair};

use super::config::KeySource;
use super::{hex, unhex};

/// The checkpoint signing key. `Debug` never shows it.
pub struct SigningKey(Ed25519KeyPair);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public().id())
    }
}

impl SigningKey {
    pub fn from_seed(seed: &[u8]) -> anyhow::Result<SigningKey> {
        Ed25519KeyPair::from_seed_unchecked(seed)
            .map(SigningKey)
            .map_err(|_| anyhow::anyhow!("the audit signing key must be 32 bytes (64 hex digits)"))
    }

    pub fn public(&self) -> PublicKey {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(self.0.public_key().as_ref());
        PublicKey(pk)
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.0.sign(msg).as_ref().to_vec()
    }
}

/// The key that checks checkpoints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id())
    }
}

impl PublicKey {
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        Some(PublicKey(unhex(s.trim())?.try_into().ok()?))
    }

    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 8 bytes of SHA-256 of the key, as checkpoints name it.
    pub fn id(&self) -> String {
        hex(&ring::digest::digest(&ring::digest::SHA256, &self.0).as_ref()[..8])
    }

    pub fn verifies(&self, msg: &[u8], sig: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(msg, sig)
            .is_ok()
    }
}

/// Refuse a key file that is not a regular file or that its group or
/// others may read or write.
fn check_private(path: &Path) -> anyhow::Result<()> {
    let meta = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", path.display());
    }
    super::file::closed(path, &meta, "", 0o600)
}

/// The first line that is neither blank nor a `#` comment, as 32 bytes.
fn parse_key(text: &str, what: &str, from: &str) -> anyhow::Result<[u8; 32]> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    unhex(line)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{what} in {from} is not 64 hex digits"))
}

/// A secret key (HMAC or signing) from its source.
pub(crate) fn read_secret(source: &KeySource, what: &str) -> anyhow::Result<[u8; 32]> {
    match source {
        KeySource::File(path) => {
            check_private(path).with_context(|| what.to_string())?;
            let text = fs::read_to_string(path)
                .with_context(|| format!("{what}: cannot read {}", path.display()))?;
            parse_key(&text, what, &path.display().to_string())
        }
        KeySource::Env { var, value } => parse_key(value.expose(), what, var),
    }
}

/// The public key from its source (any mode: it is not a secret).
pub(crate) fn read_public(source: &KeySource) -> anyhow::Result<PublicKey> {
    let what = "the audit public key";
    let bytes = match source {
        KeySource::File(path) => {
            let text = fs::read_to_string(path).with_context(|| {
                format!(
                    "{what}: cannot read {} (run oubli audit init, or set OUBLI_AUDIT_PUBLIC_KEY_FILE)",
                    path.display()
                )
            })?;
            parse_key(&text, what, &path.display().to_string())?
        }
        KeySource::Env { var, value } => parse_key(value.expose(), what, var)?,
    };
    Ok(PublicKey(bytes))
}

/// Where `audit init` writes the keys.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    pub hmac: PathBuf,
    pub signing: PathBuf,
    pub public: PathBuf,
}

/// Create whichever of the three key files is missing (never overwrite
/// one): the secrets mode 0600, the public key 0644, each directory made
/// here 0700. Returns the files created.
pub fn generate_keys(files: &KeyFiles) -> anyhow::Result<Vec<PathBuf>> {
    let rng = ring::rand::SystemRandom::new();
    let mut created = Vec::new();
    let fresh = |what: &str| -> anyhow::Result<[u8; 32]> {
        let mut k = [0u8; 32];
        rng.fill(&mut k)
            .map_err(|_| anyhow::anyhow!("no randomness for the {what}"))?;
        Ok(k)
    };
    if !files.hmac.exists() {
        write_key(
            &files.hmac,
            &fresh("HMAC key")?,
            0o600,
            "oubli audit HMAC key",
        )?;
        created.push(files.hmac.clone());
    }
    let signing = if files.signing.exists() {
        SigningKey::from_seed(&read_secret(
            &KeySource::File(files.signing.clone()),
            "the audit signing key",
        )?)?
    } else {
        let seed = fresh("signing key")?;
        write_key(
            &files.signing,
            &seed,
            0o600,
            "oubli audit signing key (Ed25519 seed)",
        )?;
        created.push(files.signing.clone());
        SigningKey::from_seed(&seed)?
    };
    if !files.public.exists() {
        let public = signing.public();
        write_key(
            &files.public,
            &public.0,
            0o644,
            "oubli audit public key (Ed25519)",
        )?;
        created.push(files.public.clone());
    }
    Ok(created)
}

fn write_key(path: &Path, key: &[u8], mode: u32, comment: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(f, "# {comment}\n{}", hex(key))
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn signatures_check_and_ids_are_stable() {
        let key = SigningKey::from_seed(&[3; 32]).expect("seed");
        let sig = key.sign(b"hello");
        assert!(key.public().verifies(b"hello", &sig));
        assert!(!key.public().verifies(b"hellO", &sig));
        let other = SigningKey::from_seed(&[4; 32]).expect("seed");
        assert!(!other.public().verifies(b"hello", &sig));
        assert_eq!(key.public().id().len(), 16);
        assert_eq!(PublicKey::from_hex(&key.public().hex()), Some(key.public()));
        assert!(!format!("{key:?}").contains(&hex(&[3; 32])));
    }

    #[test]
    fn key_files_are_private_and_refused_when_they_are_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = KeyFiles {
            hmac: dir.path().join("k/hmac.key"),
            signing: dir.path().join("k/signing.key"),
            public: dir.path().join("k/signing.pub"),
        };
        let created = generate_keys(&files).expect("generate");
        assert_eq!(created.len(), 3);
        assert!(
            generate_keys(&files).expect("again").is_empty(),
            "overwrote a key"
        );
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode(&files.hmac), Some(0o600));
        assert_eq!(mode(&files.signing), Some(0o600));
        assert_eq!(mode(&dir.path().join("k")), Some(0o700));
        let src = KeySource::File(files.signing.clone());
        let seed = read_secret(&src, "signing").expect("read");
        let public = read_public(&KeySource::File(files.public.clone())).expect("public");
        assert_eq!(SigningKey::from_seed(&seed).expect("seed").public(), public);
        fs::set_permissions(&files.signing, fs::Permissions::from_mode(0o640)).expect("chmod");
        let err = read_secret(&src, "signing").expect_err("group-readable key accepted");
        assert!(format!("{err:#}").contains("chmod 600"), "{err:#}");
    }
}
