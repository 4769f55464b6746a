//! The audit trail: who looked up, revealed, exported or erased whose data,
//! when, under which ticket, with what result — stored outside Redis, with
//! no personal data in it, and able to prove it was not rewritten.
//!
//! - [`Trail::append`] writes one [`Event`] as one canonical JSON line to
//!   `trail.jsonl` (opened `O_APPEND`, exclusive `flock`, `fsync`; mode 0600
//!   in a 0700 directory). Each line carries the previous line's leaf hash,
//!   `leaf = SHA-256(0x00 ‖ line)`.
//! - [`Trail::checkpoint`], after every command that wrote entries, signs
//!   (Ed25519, key kept apart from the trail) the size and the RFC 6962
//!   Merkle root of the trail, appends the checkpoint to `checkpoints.jsonl`
//!   and, when a Postgres anchor is configured, mirrors the entries and the
//!   checkpoints into the `oubli_audit` schema there ([`pg`]), where the
//!   writer can only `INSERT`.
//! - [`verify`] names the first break ([`BreakKind`]): an entry altered,
//!   removed, inserted or reordered, the head or the tail truncated, the
//!   trail rewritten, a checkpoint missing or badly signed.
//! - The person is named by [`SubjectKey::subject`]:
//!   `HMAC-SHA256(key, kind ‖ normalised identifier)`, never the identifier.
//!
//! Settings come from the environment for now ([`AuditConfig::from_env`]);
//! docs/audit.md lists them and the file formats.

mod checkpoint;
mod config;
mod entry;
mod file;
mod keys;
mod merkle;
pub mod pg;
mod subject;
mod trail;
mod verify;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use checkpoint::{Anchor, Checkpoint};
pub use config::{AuditConfig, KeySource, Secret, DEFAULT_ORIGIN};
pub use entry::{Event, Kind, Outcome, Record, Subject, Who};
pub use file::{CHECKPOINTS_FILE, TRAIL_FILE};
pub use keys::{generate_keys, KeyFiles, PublicKey, SigningKey};
pub use merkle::{leaf_hash, root};
pub use pg::PgAnchor;
pub use subject::{normalise, normalise_email, normalise_phone, SubjectKey};
pub use trail::{read_records, Anchoring, Sealed, Trail};
pub use verify::{gather, verify, Break, BreakKind, Evidence, PgEvidence, PgRow, Store, Verdict};

/// An entry's position in the trail, from 1.
pub type Seq = u64;

/// A SHA-256 (or HMAC-SHA256) value, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The `prev` of the first entry.
    pub const ZERO: Digest = Digest([0; 32]);

    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<Digest> {
        let bytes = unhex(s)?;
        Some(Digest(bytes.try_into().ok()?))
    }

    /// The first 12 hex digits, for narrow columns.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Hex (either case) to bytes; `None` on an odd length or a non-hex digit.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let d = Digest([0xab; 32]);
        assert_eq!(Digest::from_hex(&d.hex()), Some(d));
        assert_eq!(Digest::from_hex(&d.hex().to_uppercase()), Some(d));
        assert_eq!(Digest::from_hex("abc"), None);
        assert_eq!(Digest::from_hex(&"zz".repeat(32)), None);
        assert_eq!(Digest::from_hex(&"00".repeat(31)), None);
        assert_eq!(hex(&[0x00, 0x0f, 0xf0]), "000ff0");
    }
}
