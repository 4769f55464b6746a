//! RFC 6962 hashing: `leaf = SHA-256(0x00 ‖ entry)`, `node = SHA-256(0x01 ‖
//! left ‖ right)`, the tree split at the largest power of two below its size.
//! A [`Frontier`] keeps the roots of the perfect subtrees of the leaves seen
//! so far, so the root at every checkpoint's size costs O(log n) on one pass.

use ring::digest::{Context, SHA256};

use super::Digest;

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut ctx = Context::new(&SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Digest(out)
}

/// The leaf hash of one entry (its bytes without the newline).
pub fn leaf_hash(entry: &[u8]) -> Digest {
    sha256(&[&[0x00], entry])
}

fn node(left: &Digest, right: &Digest) -> Digest {
    sha256(&[&[0x01], &left.0, &right.0])
}

/// The perfect subtrees of the leaves pushed so far, largest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frontier {
    stack: Vec<(u64, Digest)>,
    size: u64,
}

impl Frontier {
    pub(crate) fn push(&mut self, leaf: Digest) {
        let mut carry = (1u64, leaf);
        while let Some(&(size, top)) = self.stack.last() {
            if size != carry.0 {
                break;
            }
            self.stack.pop();
            carry = (size * 2, node(&top, &carry.1));
        }
        self.stack.push(carry);
        self.size += 1;
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The tree head of the leaves pushed so far.
    pub(crate) fn root(&self) -> Digest {
        let mut it = self.stack.iter().rev();
        let Some(&(_, last)) = it.next() else {
            return sha256(&[]);
        };
        it.fold(last, |right, (_, left)| node(left, &right))
    }
}

/// The tree head of `leaves`.
pub fn root(leaves: &[Digest]) -> Digest {
    let mut f = Frontier::default();
    for l in leaves {
        f.push(*l);
    }
    f.root()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference leaves and tree heads of the Certificate Transparency
    /// test suite (RFC 6962), sizes 0 to 8.
    const CT_LEAVES: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn tree_heads_match_rfc_6962_reference_values() {
        let leaves: Vec<Digest> = CT_LEAVES.iter().map(|l| leaf_hash(l)).collect();
        for (n, want) in CT_ROOTS.iter().enumerate() {
            assert_eq!(root(&leaves[..n]).hex(), *want, "size {n}");
        }
    }

    /// The recursive definition, word for word.
    fn mth(leaves: &[Digest]) -> Digest {
        match leaves.len() {
            0 => sha256(&[]),
            1 => leaves[0],
            n => {
                // The largest power of two below n.
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn the_frontier_agrees_with_the_recursive_definition_at_every_size() {
        let leaves: Vec<Digest> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::default();
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.size(), i as u64 + 1);
            assert_eq!(f.root(), mth(&leaves[..=i]), "size {}", i + 1);
        }
    }
}
