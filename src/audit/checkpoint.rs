//! Signed checkpoints: "this trail (origin) had `size` entries whose RFC
//! 6962 root was `root`, at `time`", signed with Ed25519. The signed text is
//!
//! ```text
//! oubli-audit-checkpoint/v1
//! <origin>
//! <size>
//! <root, 64 hex digits>
//! <time, RFC 3339 UTC>
//! ```
//!
//! (each line ending in `\n`). A checkpoint is stored as one JSON line in
//! `checkpoints.jsonl` and in the Postgres anchor, and printed on reports;
//! its short form `SIZE:ROOT` is an [`Anchor`] that `audit verify --anchor`
//! takes back from a printed report.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, SigningKey};
use super::{hex, unhex, Digest};

const DOMAIN: &str = "oubli-audit-checkpoint/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Digest,
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// The signing key's id ([`PublicKey::id`]).
    pub key: String,
    /// Ed25519 over the signed text, 128 hex digits.
    pub signature: String,
}

fn signed_text(origin: &str, size: u64, root: &Digest, time: &str) -> String {
    format!("{DOMAIN}\n{origin}\n{size}\n{root}\n{time}\n")
}

impl Checkpoint {
    pub(crate) fn sign(key: &SigningKey, origin: &str, size: u64, root: Digest) -> Checkpoint {
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let signature = hex(&key.sign(signed_text(origin, size, &root, &time).as_bytes()));
        Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            time,
            key: key.public().id(),
            signature,
        }
    }

    /// Why this checkpoint does not stand for `origin`'s trail under `key`.
    pub fn check(&self, key: &PublicKey, origin: &str) -> Result<(), String> {
        if self.origin != origin {
            return Err(format!(
                "signed for another trail (origin {:?}, expected {origin:?})",
                crate::show::printable(&self.origin)
            ));
        }
        if self.key != key.id() {
            return Err(format!(
                "signed by another key ({}, expected {})",
                crate::show::printable(&self.key),
                key.id()
            ));
        }
        let text = signed_text(&self.origin, self.size, &self.root, &self.time);
        match unhex(&self.signature) {
            Some(sig) if key.verifies(text.as_bytes(), &sig) => Ok(()),
            _ => Err("its signature does not verify".to_string()),
        }
    }

    /// The JSON line stored in `checkpoints.jsonl` and in Postgres.
    pub fn to_line(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn anchor(&self) -> Anchor {
        Anchor {
            size: self.size,
            root: self.root,
        }
    }
}

/// How a report prints it: enough to check it later, by eye or with
/// `oubli audit verify --anchor SIZE:ROOT`.
impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "audit checkpoint {}:{} ({} entries, {}, origin {}, key {})",
            self.size,
            self.root,
            self.size,
            crate::show::printable(&self.time),
            crate::show::printable(&self.origin),
            crate::show::printable(&self.key)
        )
    }
}

/// A trail's size and root, as printed on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub size: u64,
    pub root: Digest,
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Anchor, String> {
        let (size, root) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| "expected SIZE:ROOT, e.g. 42:3f2a… (64 hex digits)".to_string())?;
        Ok(Anchor {
            size: size
                .parse()
                .map_err(|_| format!("{size:?} is not a number of entries"))?,
            root: Digest::from_hex(root)
                .ok_or_else(|| "the root must be 64 hex digits".to_string())?,
        })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.size, self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_checks_only_for_its_origin_key_and_text() {
        let key = SigningKey::from_seed(&[9; 32]).expect("seed");
        let cp = Checkpoint::sign(&key, "oubli", 3, Digest([1; 32]));
        assert_eq!(cp.check(&key.public(), "oubli"), Ok(()));
        let back: Checkpoint = serde_json::from_str(&cp.to_line()).expect("round trip");
        assert_eq!(back, cp);
        assert!(cp.check(&key.public(), "other").is_err());
        let other = SigningKey::from_seed(&[8; 32]).expect("seed");
        assert!(cp.check(&other.public(), "oubli").is_err());
        for forged in [
            Checkpoint {
                size: 4,
                ..cp.clone()
            },
            Checkpoint {
                root: Digest([2; 32]),
                ..cp.clone()
            },
            Checkpoint {
                time: "2000-01-01T00:00:00.000Z".into(),
                ..cp.clone()
            },
            Checkpoint {
                signature: "00".repeat(64),
                ..cp.clone()
            },
            Checkpoint {
                signature: "zz".into(),
                ..cp.clone()
            },
        ] {
            assert_eq!(
                forged.check(&key.public(), "oubli"),
                Err("its signature does not verify".into())
            );
        }
    }

    #[test]
    fn anchors_parse_back_from_their_printed_form() {
        let a = Anchor {
            size: 42,
            root: Digest([0xcd; 32]),
        };
        assert_eq!(a.to_string().parse::<Anchor>(), Ok(a));
        assert!("42".parse::<Anchor>().is_err());
        assert!("x:00".parse::<Anchor>().is_err());
        assert!("4:abc".parse::<Anchor>().is_err());
    }
}
