//! Serialised formats that cache stores and session stores write: msgpack,
//! PHP `serialize()`, Ruby Marshal, Java serialisation, Python pickle.
//!
//! Each walker reads a byte slice and hands every string (and every integer,
//! which may be a phone number) to a *sink* with the path and the name that
//! give it context, as [`super::value`] does for JSON. Nothing here scans:
//! the caller decides how a leaf is read (UTF-8, nested JSON, gzip, …).
//!
//! Bounds on hostile input: every length is checked against the bytes left
//! before anything is taken (a header claiming 4 GiB fails at once, nothing
//! is allocated from a length), every loop iteration consumes at least one
//! byte, nesting stops at [`MAX_NEST`], and paths are one buffer pushed and
//! truncated as the walk goes (key segments capped at [`MAX_SEGMENT`]).
//!
//! msgpack and PHP have no magic: they are recognised by parsing the whole
//! value exactly, once without a sink and then with it. Ruby Marshal, Java
//! and pickle start with a magic; what was read before a value is cut short
//! is still reported (values are sampled with caps upstream).

use std::fmt::Write as _;

/// How deep maps, arrays and objects may nest before a walk gives up.
const MAX_NEST: usize = 64;

/// Key segments in paths are cut to this many bytes (a 1 MB key would
/// otherwise be copied into the path of every hit under it).
pub(super) const MAX_SEGMENT: usize = 128;

/// One leaf of a serialised value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leaf<'a> {
    /// A string or byte string, as stored (not necessarily UTF-8).
    Str(&'a [u8]),
    /// An integer: a phone stored as a number is only found by its name.
    Int(i128),
}

/// Receives `(path, context, in_key, leaf)`: `context` is the name of the
/// field the leaf is the value of; `in_key` says the leaf *is* that name.
pub(super) type Sink<'s, 'a> = dyn FnMut(&str, Option<&'a [u8]>, bool, Leaf<'a>) + 's;

/// `.key` on a path, the key cut to [`MAX_SEGMENT`] bytes.
pub(super) fn push_key(path: &mut String, key: &str) {
    path.push('.');
    if key.len() <= MAX_SEGMENT {
        path.push_str(key);
    } else {
        let mut end = MAX_SEGMENT;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        path.push_str(&key[..end]);
        path.push('…');
    }
}

fn push_key_bytes(path: &mut String, key: &[u8]) {
    let cut = &key[..key.len().min(MAX_SEGMENT + 4)];
    push_key(path, &String::from_utf8_lossy(cut));
}

fn push_index(path: &mut String, i: impl std::fmt::Display) {
    let _ = write!(path, "[{i}]");
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn u8(&mut self) -> Option<u8> {
        let c = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn take_u64(&mut self, n: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(n).ok()?)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.u8()? == c).then_some(())
    }

    /// The bytes before the next `c` (within `max` bytes), consuming `c`.
    fn until(&mut self, c: u8, max: usize) -> Option<&'a [u8]> {
        let rest = self.b.get(self.pos..)?;
        let i = memchr::memchr(c, &rest[..rest.len().min(max)])?;
        self.pos += i + 1;
        Some(&rest[..i])
    }
}

fn noop<'a>() -> impl FnMut(&str, Option<&'a [u8]>, bool, Leaf<'a>) {
    |_, _, _, _| {}
}

// ---------------------------------------------------------------- msgpack

/// A msgpack map or array that spans the whole value, exactly, with a
/// string in it (a few random bytes can be an array of small integers).
pub(super) fn is_msgpack(b: &[u8]) -> bool {
    let mut strings = 0usize;
    let mut count = |_: &str, _: Option<&[u8]>, _: bool, leaf: Leaf<'_>| {
        strings += usize::from(matches!(leaf, Leaf::Str(_)));
    };
    b.len() >= 2
        && matches!(b[0], 0x80..=0x9f | 0xdc..=0xdf)
        && walk_msgpack(b, &mut String::from("$"), &mut count).is_some()
        && strings > 0
}

/// Walks a msgpack value that must span all of `b`.
pub(super) fn walk_msgpack<'a>(
    b: &'a [u8],
    path: &mut String,
    sink: &mut Sink<'_, 'a>,
) -> Option<()> {
    let mut r = Reader::new(b);
    mp_value(&mut r, path, None, 0, sink)?;
    r.done().then_some(())
}

/// What a msgpack map key was.
enum MpKey<'a> {
    Str(&'a [u8]),
    Int(i128),
    Other,
}

fn mp_int(r: &mut Reader<'_>, t: u8) -> Option<Option<i128>> {
    Some(Some(match t {
        0x00..=0x7f => i128::from(t),
        0xe0..=0xff => i128::from(t as i8),
        0xcc => i128::from(r.u8()?),
        0xcd => i128::from(u16::from_be_bytes(r.array()?)),
        0xce => i128::from(u32::from_be_bytes(r.array()?)),
        0xcf => i128::from(u64::from_be_bytes(r.array()?)),
        0xd0 => i128::from(i8::from_be_bytes(r.array()?)),
        0xd1 => i128::from(i16::from_be_bytes(r.array()?)),
        0xd2 => i128::from(i32::from_be_bytes(r.array()?)),
        0xd3 => i128::from(i64::from_be_bytes(r.array()?)),
        _ => return Some(None),
    }))
}

/// The string or binary payload for type byte `t`, `None` inside when `t`
/// is not a string type.
fn mp_str<'a>(r: &mut Reader<'a>, t: u8) -> Option<Option<&'a [u8]>> {
    let n = match t {
        0xa0..=0xbf => u64::from(t & 0x1f),
        0xc4 | 0xd9 => u64::from(r.u8()?),
        0xc5 | 0xda => u64::from(u16::from_be_bytes(r.array()?)),
        0xc6 | 0xdb => u64::from(u32::from_be_bytes(r.array()?)),
        _ => return Some(None),
    };
    Some(Some(r.take_u64(n)?))
}

fn mp_value<'a>(
    r: &mut Reader<'a>,
    path: &mut String,
    ctx: Option<&'a [u8]>,
    depth: usize,
    sink: &mut Sink<'_, 'a>,
) -> Option<()> {
    if depth > MAX_NEST {
        return None;
    }
    let t = r.u8()?;
    if let Some(s) = mp_str(r, t)? {
        sink(path, ctx, false, Leaf::Str(s));
        return Some(());
    }
    if let Some(n) = mp_int(r, t)? {
        sink(path, ctx, false, Leaf::Int(n));
        return Some(());
    }
    match t {
        0xc0 | 0xc2 | 0xc3 => {}
        0xca => {
            r.take(4)?;
        }
        0xcb => {
            r.take(8)?;
        }
        // ext: type byte then data (timestamps and application types).
        0xd4..=0xd8 => {
            r.take(1 + (1usize << (t - 0xd4)))?;
        }
        0xc7 => {
            let n = r.u8()?;
            r.take(1 + usize::from(n))?;
        }
        0xc8 => {
            let n = u16::from_be_bytes(r.array()?);
            r.take(1 + usize::from(n))?;
        }
        0xc9 => {
            let n = u32::from_be_bytes(r.array()?);
            r.take_u64(1 + u64::from(n))?;
        }
        0x90..=0x9f | 0xdc | 0xdd => {
            let n = match t {
                0xdc => u32::from(u16::from_be_bytes(r.array()?)),
                0xdd => u32::from_be_bytes(r.array()?),
                _ => u32::from(t & 0x0f),
            };
            for i in 0..n {
                let len = path.len();
                push_index(path, i);
                let ok = mp_value(r, path, ctx, depth + 1, sink);
                path.truncate(len);
                ok?;
            }
        }
        0x80..=0x8f | 0xde | 0xdf => {
            let n = match t {
                0xde => u32::from(u16::from_be_bytes(r.array()?)),
                0xdf => u32::from_be_bytes(r.array()?),
                _ => u32::from(t & 0x0f),
            };
            for _ in 0..n {
                let kt = r.u8()?;
                let key = if let Some(s) = mp_str(r, kt)? {
                    MpKey::Str(s)
                } else if let Some(i) = mp_int(r, kt)? {
                    MpKey::Int(i)
                } else {
                    // A map or array as a key: walked for its bytes only.
                    r.pos -= 1;
                    mp_value(r, &mut String::new(), None, depth + 1, &mut noop())?;
                    MpKey::Other
                };
                let len = path.len();
                let ctx = match key {
                    MpKey::Str(k) => {
                        push_key_bytes(path, k);
                        sink(path, None, true, Leaf::Str(k));
                        Some(k)
                    }
                    MpKey::Int(i) => {
                        push_index(path, i);
                        None
                    }
                    MpKey::Other => {
                        push_index(path, '?');
                        None
                    }
                };
                let ok = mp_value(r, path, ctx, depth + 1, sink);
                path.truncate(len);
                ok?;
            }
        }
        // 0xc1 is never used.
        _ => return None,
    }
    Some(())
}

// ---------------------------------------------------------- PHP serialize

/// A PHP `serialize()` array, object or string that spans the whole value
/// (trailing whitespace allowed).
pub(super) fn is_php(b: &[u8]) -> bool {
    matches!(b, [b'a' | b'O' | b'C' | b's', b':', b'0'..=b'9', ..])
        && walk_php(b, &mut String::from("$"), &mut noop()).is_some()
}

pub(super) fn walk_php<'a>(b: &'a [u8], path: &mut String, sink: &mut Sink<'_, 'a>) -> Option<()> {
    let mut r = Reader::new(b);
    php_value(&mut r, path, None, 0, sink)?;
    let rest = b.get(r.pos..)?;
    rest.iter().all(u8::is_ascii_whitespace).then_some(())
}

/// A decimal length or count, up to `end`.
fn php_len(r: &mut Reader<'_>, end: u8) -> Option<usize> {
    let d = r.until(end, 21)?;
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// `LEN:"bytes"`
fn php_str<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let n = php_len(r, b':')?;
    r.expect(b'"')?;
    let s = r.take(n)?;
    r.expect(b'"')?;
    Some(s)
}

fn php_int(d: &[u8]) -> Option<i128> {
    std::str::from_utf8(d).ok()?.parse().ok()
}

fn php_value<'a>(
    r: &mut Reader<'a>,
    path: &mut String,
    ctx: Option<&'a [u8]>,
    depth: usize,
    sink: &mut Sink<'_, 'a>,
) -> Option<()> {
    if depth > MAX_NEST {
        return None;
    }
    let t = r.u8()?;
    if t == b'N' {
        return r.expect(b';');
    }
    r.expect(b':')?;
    match t {
        b'i' => {
            let n = php_int(r.until(b';', 41)?)?;
            sink(path, ctx, false, Leaf::Int(n));
        }
        b'b' | b'd' | b'r' | b'R' => {
            r.until(b';', 64)?;
        }
        b's' => {
            let s = php_str(r)?;
            r.expect(b';')?;
            sink(path, ctx, false, Leaf::Str(s));
        }
        b'E' => {
            php_str(r)?;
            r.expect(b';')?;
        }
        b'a' | b'O' => {
            if t == b'O' {
                php_str(r)?; // the class name
                r.expect(b':')?;
            }
            let n = php_len(r, b':')?;
            r.expect(b'{')?;
            for _ in 0..n {
                let len = path.len();
                let ok = php_pair(r, path, depth, sink);
                path.truncate(len);
                ok?;
            }
            r.expect(b'}')?;
        }
        // A class's own serialize(): often serialize() again, left to the
        // caller to recognise.
        b'C' => {
            php_str(r)?;
            r.expect(b':')?;
            let n = php_len(r, b':')?;
            r.expect(b'{')?;
            let data = r.take(n)?;
            r.expect(b'}')?;
            sink(path, ctx, false, Leaf::Str(data));
        }
        _ => return None,
    }
    Some(())
}

fn php_pair<'a>(
    r: &mut Reader<'a>,
    path: &mut String,
    depth: usize,
    sink: &mut Sink<'_, 'a>,
) -> Option<()> {
    let t = r.u8()?;
    r.expect(b':')?;
    let ctx = match t {
        b'i' => {
            let n = php_int(r.until(b';', 41)?)?;
            push_index(path, n);
            None
        }
        b's' => {
            let mut k = php_str(r)?;
            r.expect(b';')?;
            // Private and protected properties: "\0Class\0name", "\0*\0name".
            if let Some(i) = memchr::memrchr(0, k) {
                k = &k[i + 1..];
            }
            push_key_bytes(path, k);
            sink(path, None, true, Leaf::Str(k));
            Some(k)
        }
        _ => return None,
    };
    php_value(r, path, ctx, depth + 1, sink)
}

// ------------------------------------------------------------ Ruby Marshal

/// Ruby Marshal 4.8 (Rails sessions and cache entries): the magic, then a
/// known type byte.
pub(super) fn is_marshal(b: &[u8]) -> bool {
    matches!(
        b,
        [
            4,
            8,
            b'0' | b'T'
                | b'F'
                | b'i'
                | b'l'
                | b'f'
                | b'"'
                | b':'
                | b'I'
                | b'['
                | b'{'
                | b'}'
                | b'o'
                | b'e'
                | b'C'
                | b'u'
                | b'U'
                | b'/'
                | b'c'
                | b'm'
                | b'M'
                | b'S'
                | b'd',
            ..
        ]
    )
}

/// Walks a Marshal value; `None` when it stopped early (what was read
/// before was still given to the sink).
pub(super) fn walk_marshal<'a>(
    b: &'a [u8],
    path: &mut String,
    sink: &mut Sink<'_, 'a>,
) -> Option<()> {
    let mut m = Marshal {
        r: Reader::new(b.get(2..)?),
        symbols: Vec::new(),
    };
    m.value(path, None, 0, sink).map(drop)
}

struct Marshal<'a> {
    r: Reader<'a>,
    symbols: Vec<&'a [u8]>,
}

impl<'a> Marshal<'a> {
    /// Ruby's packed integer (`w_long`).
    fn long(&mut self) -> Option<i64> {
        let c = self.r.u8()? as i8;
        Some(match c {
            0 => 0,
            5..=127 => i64::from(c) - 5,
            -128..=-5 => i64::from(c) + 5,
            1..=4 => {
                let mut x = 0i64;
                for i in 0..c {
                    x |= i64::from(self.r.u8()?) << (8 * i);
                }
                x
            }
            _ => {
                let mut x = -1i64;
                for i in 0..-c {
                    x &= !(0xff << (8 * i));
                    x |= i64::from(self.r.u8()?) << (8 * i);
                }
                x
            }
        })
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.long()?).ok()
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.len()?;
        self.r.take(n)
    }

    /// A symbol: new (`:`), a link to an earlier one (`;`), or one with an
    /// encoding (`I:` … ivars). The flag is true for a link.
    fn symbol_linked(&mut self, depth: usize) -> Option<(&'a [u8], bool)> {
        if depth > MAX_NEST {
            return None;
        }
        match self.r.u8()? {
            b':' => {
                let s = self.bytes()?;
                self.symbols.push(s);
                Some((s, false))
            }
            b';' => {
                let i = self.len()?;
                Some((*self.symbols.get(i)?, true))
            }
            b'I' => {
                let s = self.symbol_linked(depth + 1)?;
                self.ivars(&mut String::new(), depth + 1, &mut noop())?;
                Some(s)
            }
            _ => None,
        }
    }

    fn symbol(&mut self, depth: usize) -> Option<&'a [u8]> {
        self.symbol_linked(depth).map(|(s, _)| s)
    }

    /// `count (symbol value)*`: instance variables, struct members.
    fn ivars(&mut self, path: &mut String, depth: usize, sink: &mut Sink<'_, 'a>) -> Option<()> {
        let n = self.len()?;
        for _ in 0..n {
            let name = self.symbol(depth + 1)?;
            let name = name.strip_prefix(b"@").unwrap_or(name);
            let len = path.len();
            push_key_bytes(path, name);
            let ok = self.value(path, Some(name), depth + 1, sink);
            path.truncate(len);
            ok?;
        }
        Some(())
    }

    /// Reads one value; returns its text when it is a string or symbol
    /// (so a hash key can name the value after it), and whether it was a
    /// link to a symbol read before.
    fn value(
        &mut self,
        path: &mut String,
        ctx: Option<&'a [u8]>,
        depth: usize,
        sink: &mut Sink<'_, 'a>,
    ) -> Option<Option<(&'a [u8], bool)>> {
        if depth > MAX_NEST {
            return None;
        }
        let t = self.r.u8()?;
        match t {
            b'0' | b'T' | b'F' => {}
            b'i' => {
                let n = self.long()?;
                sink(path, ctx, false, Leaf::Int(i128::from(n)));
            }
            b'l' => {
                self.r.u8()?; // sign
                let shorts = self.len()?;
                self.r.take(shorts.checked_mul(2)?)?;
            }
            b'f' | b'c' | b'm' | b'M' => {
                self.bytes()?;
            }
            b'/' => {
                self.bytes()?;
                self.r.u8()?; // options
            }
            b'"' => {
                let s = self.bytes()?;
                sink(path, ctx, false, Leaf::Str(s));
                return Some(Some((s, false)));
            }
            // A link names a symbol already read: it gives context, but is
            // not handed out again (a million links to one long symbol
            // would be a million scans of it).
            b':' | b';' => {
                self.r.pos -= 1;
                let (s, linked) = self.symbol_linked(depth + 1)?;
                if !linked {
                    sink(path, ctx, false, Leaf::Str(s));
                }
                return Some(Some((s, linked)));
            }
            b'@' => {
                self.long()?;
            }
            // A value with instance variables: a String's encoding
            // (`E: true`), nothing to scan.
            b'I' => {
                let s = self.value(path, ctx, depth + 1, sink)?;
                self.ivars(&mut String::new(), depth, &mut noop())?;
                return Some(s);
            }
            b'[' => {
                let n = self.len()?;
                for i in 0..n {
                    let len = path.len();
                    push_index(path, i);
                    let ok = self.value(path, ctx, depth + 1, sink);
                    path.truncate(len);
                    ok?;
                }
            }
            b'{' | b'}' => {
                let n = self.len()?;
                for i in 0..n {
                    // The key is read first, reported as a key once known
                    // (a symbol key only where the symbol is first written).
                    let key = self.value(&mut String::new(), None, depth + 1, &mut noop())?;
                    let len = path.len();
                    if let Some((k, linked)) = key {
                        push_key_bytes(path, k);
                        if !linked {
                            sink(path, None, true, Leaf::Str(k));
                        }
                    } else {
                        push_index(path, i);
                    }
                    let ok = self.value(path, key.map(|(k, _)| k), depth + 1, sink);
                    path.truncate(len);
                    ok?;
                }
                if t == b'}' {
                    self.value(&mut String::new(), None, depth + 1, &mut noop())?;
                }
            }
            b'o' | b'S' => {
                self.symbol(depth + 1)?; // class
                self.ivars(path, depth, sink)?;
            }
            // extended, user class (HashWithIndifferentAccess), user
            // marshal, data: a class name, then the value.
            b'e' | b'C' | b'U' | b'd' => {
                self.symbol(depth + 1)?;
                return self.value(path, ctx, depth + 1, sink);
            }
            // _dump: a class name and its bytes, whatever they are.
            b'u' => {
                self.symbol(depth + 1)?;
                let s = self.bytes()?;
                sink(path, ctx, false, Leaf::Str(s));
            }
            _ => return None,
        }
        Some(None)
    }
}

// ------------------------------------------------------ Java serialisation

/// Java object serialisation stream: `AC ED 00 05`.
pub(super) fn is_java(b: &[u8]) -> bool {
    b.starts_with(&[0xac, 0xed, 0x00, 0x05])
}

/// A short name: a plausible map key or field name.
fn is_name(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s[0].is_ascii_alphabetic()
        && s.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// Printable UTF-8 (tab and line breaks allowed).
fn is_text(s: &[u8]) -> bool {
    std::str::from_utf8(s).is_ok_and(|t| {
        !t.is_empty()
            && t.chars()
                .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    })
}

/// Pairs strings read one after the other: a short name immediately
/// followed by another string is taken as its key (a `HashMap<String, _>`
/// writes key and value back to back; Python dicts are paired by the
/// caller). Unpaired strings are `$[n]`, the n-th string of the value.
struct Pairer<'a> {
    pending: Option<(&'a [u8], usize)>,
    n: usize,
}

impl<'a> Pairer<'a> {
    fn plain(&mut self, path: &mut String, s: &'a [u8], sink: &mut Sink<'_, 'a>) {
        let len = path.len();
        push_index(path, self.n);
        sink(path, None, false, Leaf::Str(s));
        path.truncate(len);
        self.n += 1;
    }

    fn pair(&mut self, path: &mut String, k: &'a [u8], v: &'a [u8], sink: &mut Sink<'_, 'a>) {
        let len = path.len();
        push_key_bytes(path, k);
        sink(path, None, true, Leaf::Str(k));
        sink(path, Some(k), false, Leaf::Str(v));
        path.truncate(len);
        self.n += 2;
    }

    /// A string at `start..end` of the stream.
    fn push(
        &mut self,
        path: &mut String,
        s: &'a [u8],
        start: usize,
        end: usize,
        sink: &mut Sink<'_, 'a>,
    ) {
        match self.pending.take() {
            Some((k, k_end)) if k_end == start && is_name(k) => self.pair(path, k, s, sink),
            Some((k, _)) => {
                self.plain(path, k, sink);
                self.pending = Some((s, end));
            }
            None => self.pending = Some((s, end)),
        }
    }

    fn finish(&mut self, path: &mut String, sink: &mut Sink<'_, 'a>) {
        if let Some((k, _)) = self.pending.take() {
            self.plain(path, k, sink);
        }
    }
}

/// The strings of a Java stream: `TC_STRING` (0x74, u16 length) and
/// `TC_LONGSTRING` (0x7C, u64 length) whose bytes are printable UTF-8,
/// found like `strings(1)` would but without the length bytes.
pub(super) fn walk_java<'a>(b: &'a [u8], path: &mut String, sink: &mut Sink<'_, 'a>) {
    let mut p = Pairer {
        pending: None,
        n: 0,
    };
    // Candidates that fail are checked again from the next byte: bytes
    // checked are capped so that a stream of them stays linear.
    let mut budget = b.len().saturating_mul(4).saturating_add(1 << 16);
    let mut i = 4;
    while i < b.len() {
        let found = match b[i] {
            0x74 => b
                .get(i + 1..i + 3)
                .map(|l| (3, u64::from(u16::from_be_bytes([l[0], l[1]])))),
            0x7c => b
                .get(i + 1..i + 9)
                .and_then(|l| Some((9, u64::from_be_bytes(l.try_into().ok()?)))),
            _ => None,
        };
        if let Some((head, n)) = found {
            let start = i + head;
            let s = usize::try_from(n)
                .ok()
                .and_then(|n| start.checked_add(n))
                .and_then(|end| b.get(start..end));
            let s = s.filter(|s| {
                budget = budget.saturating_sub(s.len());
                budget > 0 && is_text(s)
            });
            if budget == 0 {
                break;
            }
            if let Some(s) = s {
                p.push(path, s, i, start + s.len(), sink);
                i = start + s.len();
                continue;
            }
        }
        i += 1;
    }
    p.finish(path, sink);
}

// ----------------------------------------------------------- Python pickle

/// Pickle protocol 2 to 5 (`\x80` then the protocol number).
pub(super) fn is_pickle(b: &[u8]) -> bool {
    matches!(b, [0x80, 2..=5, _, ..])
}

#[derive(Clone, Copy)]
enum Slot {
    Mark,
    Str(usize),
    Other,
}

/// One string of a pickle, and what a dict made of it.
struct PStr<'a> {
    bytes: &'a [u8],
    /// The dict key this string is the value of.
    key: Option<usize>,
    is_key: bool,
}

/// Runs the pickle's opcodes over a model of its stack that only knows
/// strings, marks and "something else", enough to pair dict keys and
/// values (`SETITEM`, `SETITEMS`, `DICT`). Stops at `STOP`, at an unknown
/// opcode or at the end of the bytes; then gives every string to the sink,
/// in order: a dict's string key and value at `$.key`, others at `$[n]`.
pub(super) fn walk_pickle<'a>(b: &'a [u8], path: &mut String, sink: &mut Sink<'_, 'a>) {
    let mut strs: Vec<PStr<'a>> = Vec::new();
    let _ = pickle_run(b, &mut strs);
    for (n, s) in strs.iter().enumerate() {
        let len = path.len();
        if s.is_key {
            push_key_bytes(path, s.bytes);
            sink(path, None, true, Leaf::Str(s.bytes));
        } else if let Some(k) = s.key.and_then(|k| strs.get(k)) {
            push_key_bytes(path, k.bytes);
            sink(path, Some(k.bytes), false, Leaf::Str(s.bytes));
        } else {
            push_index(path, n);
            sink(path, None, false, Leaf::Str(s.bytes));
        }
        path.truncate(len);
    }
}

fn pickle_run<'a>(b: &'a [u8], strs: &mut Vec<PStr<'a>>) -> Option<()> {
    fn pop(st: &mut Vec<Slot>) -> Option<Slot> {
        st.pop().filter(|s| !matches!(s, Slot::Mark))
    }
    fn pop_mark(st: &mut Vec<Slot>) -> Option<Vec<Slot>> {
        let m = st.iter().rposition(|s| matches!(s, Slot::Mark))?;
        let items = st.split_off(m + 1);
        st.pop();
        Some(items)
    }
    fn pair(strs: &mut [PStr<'_>], k: Slot, v: Slot) {
        if let (Slot::Str(k), v) = (k, v) {
            if let Some(s) = strs.get_mut(k) {
                s.is_key = true;
            }
            if let Slot::Str(v) = v {
                if let Some(s) = strs.get_mut(v) {
                    s.key = Some(k);
                }
            }
        }
    }
    let mut r = Reader::new(b);
    let mut st: Vec<Slot> = Vec::new();
    let line = |r: &mut Reader<'a>| r.until(b'\n', usize::MAX);
    loop {
        let op = r.u8()?;
        let mut push_str = |s: &'a [u8], st: &mut Vec<Slot>| {
            st.push(Slot::Str(strs.len()));
            strs.push(PStr {
                bytes: s,
                key: None,
                is_key: false,
            });
        };
        match op {
            b'.' => return Some(()),
            b'(' => st.push(Slot::Mark),
            b'0' => {
                pop(&mut st)?;
            }
            b'1' => {
                pop_mark(&mut st)?;
            }
            b'2' => {
                st.last()?;
                st.push(Slot::Other);
            }
            b'F' | b'I' | b'L' | b'P' | b'g' => {
                line(&mut r)?;
                st.push(Slot::Other);
            }
            b'p' => {
                line(&mut r)?;
            }
            // STRING: a quoted repr; UNICODE: raw-unicode-escape.
            b'S' | b'V' => {
                let l = line(&mut r)?;
                let l = match l {
                    [q @ (b'\'' | b'"'), inner @ .., e] if q == e => inner,
                    _ => l,
                };
                push_str(l, &mut st);
            }
            b'J' | b'j' => {
                r.take(4)?;
                st.push(Slot::Other);
            }
            b'K' | b'h' | 0x82 => {
                r.take(1)?;
                st.push(Slot::Other);
            }
            b'M' | 0x83 => {
                r.take(2)?;
                st.push(Slot::Other);
            }
            0x84 => {
                r.take(4)?;
                st.push(Slot::Other);
            }
            b'G' => {
                r.take(8)?;
                st.push(Slot::Other);
            }
            b'q' => {
                r.take(1)?;
            }
            b'r' => {
                r.take(4)?;
            }
            0x80 => {
                r.take(1)?;
            }
            0x95 => {
                r.take(8)?;
            }
            0x94 | 0x98 => {}
            b'N' | 0x88 | 0x89 | b')' | b']' | b'}' | 0x8f | 0x97 => st.push(Slot::Other),
            b'T' | b'X' | b'B' => {
                let n = u32::from_le_bytes(r.array()?);
                let s = r.take_u64(u64::from(n))?;
                push_str(s, &mut st);
            }
            b'U' | b'C' | 0x8c => {
                let n = r.u8()?;
                let s = r.take(usize::from(n))?;
                push_str(s, &mut st);
            }
            0x8d | 0x8e | 0x96 => {
                let n = u64::from_le_bytes(r.array()?);
                let s = r.take_u64(n)?;
                push_str(s, &mut st);
            }
            0x8a => {
                let n = r.u8()?;
                r.take(usize::from(n))?;
                st.push(Slot::Other);
            }
            0x8b => {
                let n = u32::from_le_bytes(r.array()?);
                r.take_u64(u64::from(n))?;
                st.push(Slot::Other);
            }
            // APPEND, BUILD
            b'a' | b'b' => {
                pop(&mut st)?;
            }
            // BINPERSID, TUPLE1
            b'Q' | 0x85 => {
                pop(&mut st)?;
                st.push(Slot::Other);
            }
            // REDUCE, NEWOBJ, TUPLE2, STACK_GLOBAL
            b'R' | 0x81 | 0x86 | 0x93 => {
                pop(&mut st)?;
                pop(&mut st)?;
                st.push(Slot::Other);
            }
            // NEWOBJ_EX, TUPLE3
            0x92 | 0x87 => {
                pop(&mut st)?;
                pop(&mut st)?;
                pop(&mut st)?;
                st.push(Slot::Other);
            }
            b'c' => {
                line(&mut r)?;
                line(&mut r)?;
                st.push(Slot::Other);
            }
            b'i' => {
                line(&mut r)?;
                line(&mut r)?;
                pop_mark(&mut st)?;
                st.push(Slot::Other);
            }
            // APPENDS, ADDITEMS
            b'e' | 0x90 => {
                pop_mark(&mut st)?;
            }
            // LIST, TUPLE, OBJ, FROZENSET
            b'l' | b't' | b'o' | 0x91 => {
                pop_mark(&mut st)?;
                st.push(Slot::Other);
            }
            b's' => {
                let v = pop(&mut st)?;
                let k = pop(&mut st)?;
                pair(strs, k, v);
            }
            // SETITEMS, DICT
            b'u' | b'd' => {
                let items = pop_mark(&mut st)?;
                for kv in items.chunks_exact(2) {
                    pair(strs, kv[0], kv[1]);
                }
                if op == b'd' {
                    st.push(Slot::Other);
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (path, context, in_key, leaf as text) of every leaf.
    /// The value leaves (not keys) of `leaves`: path, context, text.
    fn values_of(
        got: &[(String, Option<String>, bool, String)],
    ) -> Vec<(&str, Option<&str>, &str)> {
        got.iter()
            .filter(|l| !l.2)
            .map(|l| (l.0.as_str(), l.1.as_deref(), l.3.as_str()))
            .collect()
    }

    fn leaves<'a>(
        walk: impl FnOnce(&mut String, &mut Sink<'_, 'a>),
    ) -> Vec<(String, Option<String>, bool, String)> {
        let mut out = Vec::new();
        let mut sink = |p: &str, c: Option<&[u8]>, k: bool, l: Leaf<'_>| {
            let text = match l {
                Leaf::Str(s) => String::from_utf8_lossy(s).into_owned(),
                Leaf::Int(n) => n.to_string(),
            };
            out.push((
                p.to_string(),
                c.map(|c| String::from_utf8_lossy(c).into_owned()),
                k,
                text,
            ));
        };
        walk(&mut String::from("$"), &mut sink);
        out
    }

    #[test]
    fn php_paths_and_private_properties() {
        let b = br#"a:2:{s:4:"user";O:4:"User":2:{s:11:"\0User\0email";s:9:"jane@x.fr";s:3:"age";i:42;}i:0;s:2:"ok";}"#;
        let b = String::from_utf8_lossy(b).replace("\\0", "\0");
        let b = b.as_bytes();
        assert!(is_php(b));
        let got = leaves(|p, s| {
            walk_php(b, p, s).unwrap();
        });
        let values = values_of(&got);
        assert_eq!(
            values,
            [
                ("$.user.email", Some("email"), "jane@x.fr"),
                ("$.user.age", Some("age"), "42"),
                ("$[0]", None, "ok"),
            ]
        );
        assert!(!is_php(b"a:2:{s:4:\"user\";}"));
        assert!(!is_php(b"s:99999999999999999999999:\"x\";"));
    }

    #[test]
    fn marshal_symlinks_and_objects() {
        // {:email => "a@b.fr", :tel => 612345678}, then an object whose
        // ivar reuses the :email symbol through a link (;\x00).
        let b = b"\x04\x08[\x07{\x07:\x0aemailI\"\x0ba@b.fr\x06:\x06ET:\x08teli\x04\x4e\x61\xbc\x00o:\x09User\x06;\x00\"\x0bc@d.fr";
        let got = leaves(|p, s| {
            walk_marshal(b, p, s).unwrap();
        });
        let values = values_of(&got);
        assert_eq!(
            values,
            [
                ("$[0].email", Some("email"), "a@b.fr"),
                ("$[0].tel", Some("tel"), "12345678"),
                ("$[1].email", Some("email"), "c@d.fr"),
            ]
        );
    }

    #[test]
    fn huge_lengths_fail_without_allocating() {
        // Claimed lengths of 4 GiB and more with a few bytes behind them.
        assert!(!is_msgpack(b"\xdf\xff\xff\xff\xff\xa1a"));
        assert!(!is_msgpack(b"\x91\xdb\xff\xff\xff\xffabc"));
        assert!(walk_marshal(
            b"\x04\x08\"\x04\xff\xff\xff\x7fabc",
            &mut String::new(),
            &mut noop()
        )
        .is_none());
        let mut p = String::new();
        walk_pickle(
            b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xffabc",
            &mut p,
            &mut noop(),
        );
        walk_java(
            b"\xac\xed\x00\x05\x7c\xff\xff\xff\xff\xff\xff\xff\xff",
            &mut p,
            &mut noop(),
        );
        // Deep nesting stops at MAX_NEST.
        let deep = [0x91u8; 10_000];
        assert!(!is_msgpack(&deep));
        let mut deep = b"\x04\x08".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 10_000).flat_map(|c| [c, 6]));
        assert!(walk_marshal(&deep, &mut p, &mut noop()).is_none());
    }
}
