//! Structured values: JSON, URL-encoded, gzip/zlib/raw deflate, base64,
//! msgpack, PHP `serialize()`, Ruby Marshal, Java serialisation, pickle,
//! Latin-1 and UTF-16 text, binary.
//!
//! A value is read from the outside in, one *layer* at a time: a layer
//! announced by a magic (gzip, zlib, Marshal, Java, pickle, a UTF-16 BOM) is
//! always opened; one that is only guessed (base64, raw deflate) is kept
//! only when what it holds is recognisably not noise. Spans always refer to
//! the decoded text of the field they were found in; the layers are named
//! by [`ValueScan::encoding`] and [`ValueScan::inner`].

use std::borrow::Cow;
use std::io::Read;

use base64::Engine as _;
use serde::Serialize;

use super::serial::{self, Leaf, Sink};
use super::{Detector, Hit};

/// Decompressed values are read up to this many bytes; the rest is ignored
/// (a zip bomb costs at most this much memory). The cap is for the whole
/// value: a msgpack array of a thousand small gzip bombs shares it.
pub const MAX_DECOMPRESSED: u64 = 8 << 20;

/// How nested JSON-in-JSON / compressed-in-compressed may go.
const MAX_DEPTH: usize = 4;

/// How the raw value was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Text,
    Json,
    UrlEncoded,
    /// gzip, then the inner encoding's fields.
    Gzip,
    /// zlib, then the inner encoding's fields.
    Zlib,
    /// Raw deflate (no header), then the inner encoding's fields.
    Deflate,
    /// The whole value is base64 of something recognisable (JSON, gzip,
    /// text, a serialised format), named by `inner`.
    Base64,
    /// Not valid UTF-8 but Latin-1 text (read as Windows-1252, its
    /// superset), then the inner encoding's fields.
    Latin1,
    /// UTF-16, little-endian (a BOM or every other byte zero).
    #[serde(rename = "utf16le")]
    Utf16Le,
    /// UTF-16, big-endian.
    #[serde(rename = "utf16be")]
    Utf16Be,
    /// MessagePack: map keys name their values, as JSON keys do.
    Msgpack,
    /// PHP `serialize()` (Laravel and Symfony sessions and caches).
    PhpSerialized,
    /// Ruby Marshal (Rails sessions and cache store).
    RubyMarshal,
    /// Java object serialisation: its strings are scanned.
    JavaSerialized,
    /// Python pickle, protocol 2 or later.
    Pickle,
    /// Not text: not scanned, not mis-read.
    Binary,
    Empty,
}

impl Encoding {
    /// The name in JSON output (snake_case, as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Text => "text",
            Encoding::Json => "json",
            Encoding::UrlEncoded => "url_encoded",
            Encoding::Gzip => "gzip",
            Encoding::Zlib => "zlib",
            Encoding::Deflate => "deflate",
            Encoding::Base64 => "base64",
            Encoding::Latin1 => "latin1",
            Encoding::Utf16Le => "utf16le",
            Encoding::Utf16Be => "utf16be",
            Encoding::Msgpack => "msgpack",
            Encoding::PhpSerialized => "php_serialized",
            Encoding::RubyMarshal => "ruby_marshal",
            Encoding::JavaSerialized => "java_serialized",
            Encoding::Pickle => "pickle",
            Encoding::Binary => "binary",
            Encoding::Empty => "empty",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One hit inside a field of a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldHit {
    /// Where: `""` for the whole value, `$.user.email`, `$.items[2].phone`
    /// for JSON, msgpack, PHP and Ruby Marshal (hash keys, object instance
    /// variables), the parameter name for URL-encoded values. In Java and
    /// pickle values, `$.key` for a string paired with the name before it,
    /// `$[n]` for the n-th string otherwise. Layers (gzip, base64, …) add
    /// nothing to the path: `encoding` and `inner` name them.
    pub path: String,
    /// The hit was in the field's *name* (a JSON object key), not its value.
    pub in_key: bool,
    /// Span into the decoded text of that field (or key): after gzip,
    /// base64, Latin-1 or UTF-16 decoding, in the UTF-8 text that came out.
    pub hit: Hit,
    /// The hit, masked ([`crate::pii::mask`]): safe to show and to keep.
    pub masked: String,
}

/// The result of [`Detector::scan_value`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueScan {
    /// The outermost encoding (Gzip, Base64, Latin1, … when it is a layer
    /// over something else).
    pub encoding: Encoding,
    /// The encoding found inside a layer (gzip, zlib, deflate, base64,
    /// Latin-1, UTF-16).
    pub inner: Option<Encoding>,
    pub hits: Vec<FieldHit>,
}

pub(crate) fn scan_value(det: &Detector, bytes: &[u8], context: Option<&str>) -> ValueScan {
    let mut hits = Vec::new();
    let mut budget = MAX_DECOMPRESSED;
    let (encoding, inner) = scan_into(det, bytes, context, "", 0, &mut budget, &mut hits);
    ValueScan {
        encoding,
        inner,
        hits,
    }
}

fn scan_into(
    det: &Detector,
    bytes: &[u8],
    context: Option<&str>,
    path: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<FieldHit>,
) -> (Encoding, Option<Encoding>) {
    if bytes.is_empty() {
        return (Encoding::Empty, None);
    }
    if known_binary(bytes) {
        return (Encoding::Binary, None);
    }
    if depth < MAX_DEPTH {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            if let Some(plain) = inflate(flate2::read::GzDecoder::new(bytes), budget) {
                let (inner, _) = scan_into(det, &plain, context, path, depth + 1, budget, out);
                return (Encoding::Gzip, Some(inner));
            }
        }
        if is_zlib_header(bytes) {
            if let Some(plain) = inflate(flate2::read::ZlibDecoder::new(bytes), budget) {
                let (inner, _) = scan_into(det, &plain, context, path, depth + 1, budget, out);
                return (Encoding::Zlib, Some(inner));
            }
        }
        if let Some(enc) = scan_serialised(det, bytes, context, path, depth, budget, out) {
            return (enc, None);
        }
        if let Some((enc, text)) = utf16_text(bytes) {
            let (inner, _) = scan_into(det, text.as_bytes(), context, path, depth + 1, budget, out);
            return (enc, Some(inner));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(clean) = clean_controls(text) {
            return scan_text_value(det, &clean, context, path, depth, budget, out);
        }
    }
    if depth < MAX_DEPTH {
        if let Some(text) = latin1_text(bytes) {
            let (inner, _) = scan_into(det, text.as_bytes(), context, path, depth + 1, budget, out);
            return (Encoding::Latin1, Some(inner));
        }
        if let Some(plain) = inflate_raw(bytes, budget) {
            if let Some(inner) = scan_guessed(det, &plain, context, path, depth, budget, out) {
                return (Encoding::Deflate, Some(inner));
            }
        }
    }
    (Encoding::Binary, None)
}

/// Text (control bytes already blanked): base64, JSON, URL-encoded, plain.
fn scan_text_value(
    det: &Detector,
    text: &str,
    context: Option<&str>,
    path: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<FieldHit>,
) -> (Encoding, Option<Encoding>) {
    let trimmed = text.trim_start();
    if depth < MAX_DEPTH {
        if let Some(decoded) = base64_payload(text) {
            if let Some(inner) = scan_guessed(det, &decoded, context, path, depth, budget, out) {
                return (Encoding::Base64, Some(inner));
            }
        }
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                let mut root = if path.is_empty() { "$" } else { path }.to_string();
                walk_json(det, &v, context, &mut root, depth, out);
                return (Encoding::Json, None);
            }
        }
    }
    if looks_urlencoded(text) {
        for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
            let p = join_path(path, &k);
            push_hits(det, &v, Some(&k), &p, false, out);
        }
        return (Encoding::UrlEncoded, None);
    }
    push_hits(det, text, context, path, false, out);
    (Encoding::Text, None)
}

/// The content of a layer that was guessed, not announced by a magic
/// (base64, raw deflate): kept, and its hits with it, only when it is
/// recognisably something — not binary, not text that is mostly noise.
fn scan_guessed(
    det: &Detector,
    decoded: &[u8],
    context: Option<&str>,
    path: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<FieldHit>,
) -> Option<Encoding> {
    let mut hits = Vec::new();
    let (inner, _) = scan_into(det, decoded, context, path, depth + 1, budget, &mut hits);
    let keep = match inner {
        Encoding::Binary
        | Encoding::Empty
        | Encoding::Latin1
        | Encoding::Utf16Le
        | Encoding::Utf16Be
        | Encoding::Deflate => false,
        Encoding::Text | Encoding::UrlEncoded => plausible_text(decoded),
        _ => true,
    };
    keep.then(|| {
        out.append(&mut hits);
        inner
    })
}

/// Serialised formats, each recognised by its magic or, for msgpack and
/// PHP, by parsing the whole value exactly.
fn scan_serialised(
    det: &Detector,
    bytes: &[u8],
    context: Option<&str>,
    path: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<FieldHit>,
) -> Option<Encoding> {
    let enc = if serial::is_marshal(bytes) {
        Encoding::RubyMarshal
    } else if serial::is_java(bytes) {
        Encoding::JavaSerialized
    } else if serial::is_pickle(bytes) {
        Encoding::Pickle
    } else if serial::is_msgpack(bytes) {
        Encoding::Msgpack
    } else if serial::is_php(bytes) {
        Encoding::PhpSerialized
    } else {
        return None;
    };
    let mut root = if path.is_empty() { "$" } else { path }.to_string();
    let mut sink = |p: &str, name: Option<&[u8]>, in_key: bool, leaf: Leaf<'_>| {
        // A name is a field name: a long one is cut (it is read for every
        // value it names).
        let name = name.map(|n| String::from_utf8_lossy(&n[..n.len().min(serial::MAX_SEGMENT)]));
        let ctx = name.as_deref().or(context);
        match leaf {
            Leaf::Str(s) if in_key => {
                push_hits(det, &String::from_utf8_lossy(s), None, p, true, out)
            }
            // A string may itself be JSON, gzip, PHP (Laravel serialises
            // twice), Latin-1…
            Leaf::Str(s) => {
                scan_into(det, s, ctx, p, depth + 1, budget, out);
            }
            // Phones and ids stored as numbers: only the name can tell.
            Leaf::Int(n) => {
                if ctx.is_some() {
                    push_hits(det, &n.to_string(), ctx, p, false, out);
                }
            }
        }
    };
    let sink: &mut Sink<'_, '_> = &mut sink;
    // Marshal and msgpack/PHP report what they read before a cut-off value
    // ends; the result is the same whether or not they reach the end.
    match enc {
        Encoding::RubyMarshal => {
            let _ = serial::walk_marshal(bytes, &mut root, sink);
        }
        Encoding::JavaSerialized => serial::walk_java(bytes, &mut root, sink),
        Encoding::Pickle => serial::walk_pickle(bytes, &mut root, sink),
        Encoding::Msgpack => {
            let _ = serial::walk_msgpack(bytes, &mut root, sink);
        }
        _ => {
            let _ = serial::walk_php(bytes, &mut root, sink);
        }
    }
    Some(enc)
}

/// Reads a decompressor up to what is left of the value's `budget`.
fn inflate<R: Read>(r: R, budget: &mut u64) -> Option<Vec<u8>> {
    if *budget == 0 {
        return None;
    }
    let mut buf = Vec::new();
    let res = r.take(*budget).read_to_end(&mut buf);
    *budget = budget.saturating_sub(buf.len() as u64);
    match res {
        Ok(_) => Some(buf),
        // A truncated stream still gives what was read (values are read
        // with caps upstream); garbage gives nothing.
        Err(_) if !buf.is_empty() => Some(buf),
        Err(_) => None,
    }
}

/// Raw deflate (no header, so no magic): kept only when the stream ends
/// exactly at the end of the value (or fills [`MAX_DECOMPRESSED`]) and its
/// first KiB looks like text. Garbage fails within a few bytes; the text
/// check stops a stream of noise before it grows.
fn inflate_raw(b: &[u8], budget: &mut u64) -> Option<Vec<u8>> {
    let out = inflate_raw_capped(b, usize::try_from(*budget).ok()?)?;
    *budget = budget.saturating_sub(out.len() as u64);
    Some(out)
}

fn inflate_raw_capped(b: &[u8], cap: usize) -> Option<Vec<u8>> {
    const CHECK_AT: usize = 1024;
    if cap == 0 {
        return None;
    }
    let mut d = flate2::Decompress::new(false);
    let mut out: Vec<u8> = Vec::with_capacity(CHECK_AT);
    let mut checked = false;
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        let rest = b.get(usize::try_from(in0).ok()?..)?;
        let status = d
            .decompress_vec(rest, &mut out, flate2::FlushDecompress::Finish)
            .ok()?;
        if !checked && (out.len() >= CHECK_AT || status == flate2::Status::StreamEnd) {
            if !text_prefix(&out) {
                return None;
            }
            checked = true;
        }
        if status == flate2::Status::StreamEnd {
            break;
        }
        if out.len() >= cap {
            return Some(out);
        }
        if out.len() == out.capacity() {
            out.reserve_exact(out.len().min(cap - out.len()));
        } else if d.total_in() == in0 && d.total_out() == out0 {
            // The input ended before the stream did, or no progress.
            return None;
        }
    }
    (usize::try_from(d.total_in()).ok()? == b.len() && out.len() >= 8).then_some(out)
}

/// No control bytes but tab and line breaks, and UTF-8 (a character cut at
/// the end of `b` allowed).
fn text_prefix(b: &[u8]) -> bool {
    let ok_utf8 = match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    ok_utf8
        && !b
            .iter()
            .any(|&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') || c == 0x7f)
}

fn is_zlib_header(b: &[u8]) -> bool {
    b.len() >= 2
        && b[0] & 0x0f == 8
        && (b[0] >> 4) <= 7
        && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
}

/// Media, archives and executables, by their magic: binary at once, never
/// tried as text, Latin-1 or deflate.
fn known_binary(b: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff", // JPEG
        b"GIF87a",
        b"GIF89a",
        b"%PDF-",
        b"PK\x03\x04", // zip, docx, xlsx, jar
        b"RIFF",       // webp, wav, avi
        b"\x7fELF",
        b"\x28\xb5\x2f\xfd",   // zstd
        b"\xfd7zXZ\x00",       // xz
        b"7z\xbc\xaf\x27\x1c", // 7-zip
        b"OggS",
        b"II*\x00", // TIFF
        b"MM\x00*",
        b"\x00asm",
        b"SQLite format 3\x00",
        b"wOFF",
        b"wOF2",
    ];
    MAGIC.iter().any(|m| b.starts_with(m))
        || b.get(4..8) == Some(b"ftyp") // MP4, MOV, HEIC
        || (b.starts_with(b"BZh") && b.get(4..10) == Some(b"1AY&SY")) // bzip2
}

fn is_control(c: u8) -> bool {
    c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') || c == 0x7f
}

/// Text with a few control bytes is still text: ANSI escape sequences (a
/// coloured log line), a NUL terminator or padding, a stray control byte.
/// They are blanked to spaces, byte for byte, so spans still match the
/// raw value. `None` when control bytes are more than 1% of the text (and
/// more than two, or more than one in eight bytes): a binary blob that
/// happens to be valid UTF-8.
fn clean_controls(text: &str) -> Option<Cow<'_, str>> {
    let b = text.as_bytes();
    if !b.iter().any(|&c| is_control(c)) {
        return Some(Cow::Borrowed(text));
    }
    let body = b.len() - b.iter().rev().take_while(|&&c| c == 0).count();
    if body == 0 {
        return None;
    }
    // More than this many control bytes is binary: 1% of the text, or
    // two when they are no more than one byte in eight.
    let limit = if body >= 16 {
        (body / 100).max(2)
    } else {
        usize::from(body >= 8)
    };
    let mut out = b.to_vec();
    let mut ctrl = 0usize;
    let mut i = 0;
    while i < body {
        let c = b[i];
        if c == 0x1b {
            if let Some(end) = ansi_end(b, i) {
                out[i..end].fill(b' ');
                i = end;
                continue;
            }
        }
        if is_control(c) {
            ctrl += 1;
            out[i] = b' ';
            if ctrl > limit {
                return None;
            }
        }
        i += 1;
    }
    out[body..].fill(b' ');
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// The end of the ANSI escape sequence starting at `b[i]` (ESC): CSI
/// (`ESC [ … m`), OSC (`ESC ] … BEL` or `ESC ] … ESC \`), or a
/// two-byte escape.
fn ansi_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i + 1)? {
        b'[' => {
            let mut j = i + 2;
            while b.get(j).is_some_and(|c| (0x30..=0x3f).contains(c)) {
                j += 1;
            }
            while b.get(j).is_some_and(|c| (0x20..=0x2f).contains(c)) {
                j += 1;
            }
            b.get(j)
                .is_some_and(|c| (0x40..=0x7e).contains(c))
                .then_some(j + 1)
        }
        b']' => {
            let rest = b.get(i + 2..)?;
            let rest = &rest[..rest.len().min(512)];
            let bel = memchr::memchr(0x07, rest).map(|k| k + 1);
            let st = memchr::memmem::find(rest, b"\x1b\\").map(|k| k + 2);
            let k = match (bel, st) {
                (Some(a), Some(s)) => a.min(s),
                (a, s) => a.or(s)?,
            };
            Some(i + 2 + k)
        }
        0x40..=0x5f => Some(i + 2),
        _ => None,
    }
}

/// Decoded text worth believing: UTF-8, no control characters or
/// replacement characters, a letter, and mostly printable.
fn plausible_text(b: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(b) else {
        return false;
    };
    let (mut n, mut good, mut letters) = (0usize, 0usize, 0usize);
    for c in t.chars() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') || c == '\u{fffd}' {
            return false;
        }
        n += 1;
        if c.is_ascii_graphic() || c.is_whitespace() || c.is_alphanumeric() {
            good += 1;
        }
        if c.is_ascii_alphabetic() {
            letters += 1;
        }
    }
    n >= 4 && letters > 0 && good * 4 >= n * 3
}

/// The bytes of a value that is base64 and nothing else: 16 to ~11 MB of
/// the standard or URL-safe alphabet (lines wrapped as Ruby's `encode64`
/// and MIME do are joined), padding optional, not only hex digits (ids and
/// digests are hex).
fn base64_payload(text: &str) -> Option<Vec<u8>> {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireNone);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

    let t = text.trim();
    if t.len() < 16 || t.len() as u64 > MAX_DECOMPRESSED / 3 * 4 + 4 {
        return None;
    }
    let compact: Cow<'_, str> = if t.contains(['\n', '\r']) {
        Cow::Owned(t.chars().filter(|c| !matches!(c, '\n' | '\r')).collect())
    } else {
        Cow::Borrowed(t)
    };
    let body = compact.trim_end_matches('=');
    if compact.len() - body.len() > 2 || body.len() < 16 {
        return None;
    }
    let standard = body
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/');
    let url_safe = !standard
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    if !(standard || url_safe) || body.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let engine = if standard { &STANDARD } else { &URL_SAFE };
    engine.decode(body).ok()
}

/// Windows-1252 for 0x80..=0x9F (Latin-1's C1 controls there are never
/// text); U+FFFD for the five bytes it leaves undefined.
const CP1252: [char; 32] = [
    '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
    '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}',
    'ž', 'Ÿ',
];

/// Latin-1 (Windows-1252) text that is not valid UTF-8, told from noise
/// by its shape: no control bytes but tab and line breaks (NUL padding at
/// the end allowed); every non-ASCII byte a letter (`À`..`ÿ`) or common
/// punctuation (`«`, `°`, `€`, `’`, `…`), at most a third of the bytes and
/// at most three in a row (accented letters sit between plain ones); half
/// the bytes letters; six bytes or more. Random bytes fail at once.
fn latin1_text(b: &[u8]) -> Option<String> {
    let body = &b[..b.len() - b.iter().rev().take_while(|&&c| c == 0).count()];
    let (mut letters, mut high, mut run) = (0usize, 0usize, 0usize);
    for &c in body {
        match c {
            _ if is_control(c) => return None,
            0x00..=0x7f => {
                run = 0;
                letters += usize::from(c.is_ascii_alphabetic());
            }
            0xd7 | 0xf7 => return None,
            0x80..=0x9f if CP1252[usize::from(c - 0x80)] == '\u{fffd}' => return None,
            _ => {
                run += 1;
                high += 1;
                letters += usize::from(c >= 0xc0);
                if run > 3 {
                    return None;
                }
            }
        }
    }
    if body.len() < 6 || high * 3 > body.len() || letters * 2 < body.len() {
        return None;
    }
    Some(
        body.iter()
            .map(|&c| match c {
                0x80..=0x9f => CP1252[usize::from(c - 0x80)],
                _ => char::from(c),
            })
            .collect(),
    )
}

/// UTF-16 text: a byte-order mark, or at least 8 bytes of which 90% of the
/// odd (little-endian) or even (big-endian) ones are zero and few of the
/// others. Kept only when the decoded text is plausible.
fn utf16_text(b: &[u8]) -> Option<(Encoding, String)> {
    let (le, body) = match b {
        [0xff, 0xfe, rest @ ..] => (true, rest),
        [0xfe, 0xff, rest @ ..] => (false, rest),
        _ => {
            if b.len() < 8 || !b.len().is_multiple_of(2) {
                return None;
            }
            let sample = &b[..b.len().min(1024)];
            let half = sample.len() / 2;
            let zeros = |start: usize| {
                sample
                    .iter()
                    .skip(start)
                    .step_by(2)
                    .filter(|&&c| c == 0)
                    .count()
            };
            let (even, odd) = (zeros(0), zeros(1));
            if odd * 10 >= half * 9 && even * 10 <= half {
                (true, b)
            } else if even * 10 >= half * 9 && odd * 10 <= half {
                (false, b)
            } else {
                return None;
            }
        }
    };
    if !body.len().is_multiple_of(2) {
        return None;
    }
    let units = body.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{fffd}'))
        .collect();
    let text = text.trim_end_matches('\0');
    let enc = if le {
        Encoding::Utf16Le
    } else {
        Encoding::Utf16Be
    };
    plausible_text(text.as_bytes()).then(|| (enc, text.to_string()))
}

/// `k=v&k=v`; not a lone word ending in `=` (base64 padding).
fn looks_urlencoded(text: &str) -> bool {
    let padding_only = |(_, v): (&str, &str)| v.bytes().all(|c| c == b'=');
    text.len() >= 3
        && (text.contains('&') || text.split_once('=').is_some_and(|kv| !padding_only(kv)))
        && !text.contains([' ', '\n', '"', '{', '<'])
        && text
            .split('&')
            .all(|pair| pair.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
}

fn join_path(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

fn push_hits(
    det: &Detector,
    text: &str,
    context: Option<&str>,
    path: &str,
    in_key: bool,
    out: &mut Vec<FieldHit>,
) {
    for hit in det.scan_text(text, context) {
        let masked = hit.masked(text);
        out.push(FieldHit {
            path: path.to_string(),
            in_key,
            hit,
            masked,
        });
    }
}

/// `path` is one buffer, pushed and truncated as the walk goes: a path is
/// copied only for a hit, not for every node.
fn walk_json(
    det: &Detector,
    v: &serde_json::Value,
    context: Option<&str>,
    path: &mut String,
    depth: usize,
    out: &mut Vec<FieldHit>,
) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            // serde_json's map is ordered by key: deterministic output.
            for (k, child) in map {
                let len = path.len();
                serial::push_key(path, k);
                // A key can itself be personal data ({"jane@x.fr": …}).
                push_hits(det, k, None, path, true, out);
                walk_json(det, child, Some(k), path, depth, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_json(det, child, context, path, depth, out);
                path.truncate(len);
            }
        }
        Value::String(s) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('[')) && depth + 1 < MAX_DEPTH {
                if let Ok(inner) = serde_json::from_str::<Value>(s) {
                    walk_json(det, &inner, context, path, depth + 1, out);
                    return;
                }
            }
            push_hits(det, s, context, path, false, out);
        }
        Value::Number(n) => {
            // Phones and ids stored as numbers: only the name can tell.
            if context.is_some() {
                push_hits(det, &n.to_string(), context, path, false, out);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::Kind;
    use super::*;

    fn scan(b: &[u8]) -> ValueScan {
        Detector::global().scan_value(b, None)
    }

    #[test]
    fn json_paths() {
        let v = br#"{"user":{"email":"jane@example.fr","prenom":"Jane"},"items":[{"tel":"06 12 34 56 78"}]}"#;
        let s = scan(v);
        assert_eq!(s.encoding, Encoding::Json);
        let got: Vec<(&str, Kind)> = s
            .hits
            .iter()
            .map(|h| (h.path.as_str(), h.hit.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("$.items[0].tel", Kind::Phone),
                ("$.user.email", Kind::Email),
                ("$.user.prenom", Kind::PersonName)
            ]
        );
    }

    #[test]
    fn compressed_and_binary() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"email":"jane@example.fr"}"#).unwrap();
        let s = scan(&gz.finish().unwrap());
        assert_eq!(s.encoding, Encoding::Gzip);
        assert_eq!(s.inner, Some(Encoding::Json));
        assert_eq!(s.hits.len(), 1);

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"call 06 12 34 56 78").unwrap();
        let s = scan(&z.finish().unwrap());
        assert_eq!(s.encoding, Encoding::Zlib);
        assert_eq!(s.hits[0].hit.kind, Kind::Phone);

        let s = scan(&[0xff, 0xfe, 0x00, 0x01, b'0', b'6', 0x80]);
        assert_eq!(s.encoding, Encoding::Binary);
        assert!(s.hits.is_empty());
        // A bad gzip stream is binary, not a panic.
        assert_eq!(scan(&[0x1f, 0x8b, 0x08, 0x00]).encoding, Encoding::Binary);
    }

    #[test]
    fn bomb_is_bounded() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b'a'; 1 << 20];
        for _ in 0..32 {
            gz.write_all(&zeros).unwrap();
        }
        let s = scan(&gz.finish().unwrap());
        assert_eq!(s.encoding, Encoding::Gzip);
    }

    /// (encoding, inner, [(path, kind)]) of a scan.
    fn summary(b: &[u8]) -> (Encoding, Option<Encoding>, Vec<(String, Kind)>) {
        let s = scan(b);
        let hits = s
            .hits
            .iter()
            .filter(|h| !h.in_key)
            .map(|h| (h.path.clone(), h.hit.kind))
            .collect();
        (s.encoding, s.inner, hits)
    }

    fn email_at(path: &str) -> Vec<(String, Kind)> {
        vec![(path.to_string(), Kind::Email)]
    }

    const EMAIL: &str = "jean.dupont@gmail.com";

    #[test]
    fn msgpack_keys_name_values() {
        use rmpv::Value;
        let v = Value::Map(vec![
            (
                Value::from("user"),
                Value::Map(vec![
                    (Value::from("email"), Value::from(EMAIL)),
                    (Value::from("tel"), Value::from("06 12 34 56 78")),
                    (Value::from("age"), Value::from(42)),
                ]),
            ),
            (Value::from("tags"), Value::Array(vec![Value::from("rdv")])),
            (
                Value::from("avatar"),
                Value::Binary(vec![0xff, 0xd8, 0xff, 0]),
            ),
        ]);
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &v).unwrap();
        let (enc, inner, hits) = summary(&b);
        assert_eq!((enc, inner), (Encoding::Msgpack, None));
        assert_eq!(
            hits,
            [
                ("$.user.email".to_string(), Kind::Email),
                ("$.user.tel".to_string(), Kind::Phone)
            ]
        );
        // Cut short, it is no longer msgpack (no magic to go by).
        assert_ne!(scan(&b[..b.len() - 3]).encoding, Encoding::Msgpack);
    }

    #[test]
    fn ruby_marshal_hash() {
        // {"email" => "jean.dupont@gmail.com"} as Rails writes a session:
        // UTF-8 strings carry an `E: true` instance variable.
        let b = b"\x04\x08{\x06I\"\x0aemail\x06:\x06ETI\"\x1ajean.dupont@gmail.com\x06;\x00T";
        assert_eq!(
            summary(b),
            (Encoding::RubyMarshal, None, email_at("$.email"))
        );
        // An object's instance variables name their values; a cut-off
        // value still gives what came before the cut.
        let b = b"\x04\x08o:\x09User\x07:\x0b@emailI\"\x1ajean.dupont@gmail.com\x06:\x06ET:\x09@telI\"\x0f06 12 34";
        assert_eq!(
            summary(b),
            (Encoding::RubyMarshal, None, email_at("$.email"))
        );
    }

    #[test]
    fn java_serialised() {
        // `new HashMap<>(Map.of("email", …))` through ObjectOutputStream.
        let map = b"\xac\xed\x00\x05sr\x00\x11java.util.HashMap\x05\x07\xda\xc1\xc3\x16`\xd1\x03\x00\x02F\x00\x0aloadFactorI\x00\x09thresholdxp?@\x00\x00\x00\x00\x00\x0cw\x08\x00\x00\x00\x10\x00\x00\x00\x01t\x00\x05emailt\x00\x15jean.dupont@gmail.comx";
        assert_eq!(
            summary(map),
            (Encoding::JavaSerialized, None, email_at("$.email"))
        );
        // A class with a String field: found, without a name.
        let obj = b"\xac\xed\x00\x05sr\x00\x08Ser$User\x00\x00\x00\x00\x00\x00\x00\x01\x02\x00\x02I\x00\x03ageL\x00\x05emailt\x00\x12Ljava/lang/String;xp\x00\x00\x00*t\x00\x15jean.dupont@gmail.com";
        assert_eq!(
            summary(obj),
            (Encoding::JavaSerialized, None, email_at("$[1]"))
        );
    }

    #[test]
    fn pickle_dicts() {
        // pickle.dumps({'email': …}, protocol=2)
        let b = b"\x80\x02}q\x00X\x05\x00\x00\x00emailq\x01X\x15\x00\x00\x00jean.dupont@gmail.comq\x02s.";
        assert_eq!(summary(b), (Encoding::Pickle, None, email_at("$.email")));
        // protocol=4, nested: {'email': …, 'user': {'tel': '0612345678',
        // 'nom': 'Dupont'}, 'ids': [1, 2]}
        let b = b"\x80\x04\x95`\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x05email\x94\x8c\x15jean.dupont@gmail.com\x94\x8c\x04user\x94}\x94(\x8c\x03tel\x94\x8c\n0612345678\x94\x8c\x03nom\x94\x8c\x06Dupont\x94u\x8c\x03ids\x94]\x94(K\x01K\x02eu.";
        let (enc, _, hits) = summary(b);
        assert_eq!(enc, Encoding::Pickle);
        assert_eq!(
            hits,
            [
                ("$.email".to_string(), Kind::Email),
                ("$.tel".to_string(), Kind::Phone),
                ("$.nom".to_string(), Kind::PersonName)
            ]
        );
    }

    #[test]
    fn php_serialized() {
        let b = br#"a:1:{s:5:"email";s:21:"jean.dupont@gmail.com";}"#;
        assert_eq!(
            summary(b),
            (Encoding::PhpSerialized, None, email_at("$.email"))
        );
        // Laravel stores the session array serialised, then serialised
        // again as a string.
        let inner = r#"a:2:{s:4:"page";s:4:"home";s:5:"email";s:21:"jean.dupont@gmail.com";}"#;
        let outer = format!("s:{}:\"{inner}\";", inner.len());
        assert_eq!(
            summary(outer.as_bytes()),
            (Encoding::PhpSerialized, None, email_at("$.email"))
        );
    }

    #[test]
    fn latin1_and_utf16_text() {
        let latin1 = b"Client : H\xe9l\xe8ne Dupont, jean.dupont@gmail.com";
        let (enc, inner, hits) = summary(latin1);
        assert_eq!((enc, inner), (Encoding::Latin1, Some(Encoding::Text)));
        assert!(hits.contains(&(String::new(), Kind::Email)), "{hits:?}");
        let s = scan(latin1);
        let email = s.hits.iter().find(|h| h.hit.kind == Kind::Email).unwrap();
        // The span is in the decoded (UTF-8) text: 'é' and 'è' take two bytes.
        assert_eq!(email.hit.span, 26..47);

        let text = "Réservation de jean.dupont@gmail.com";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let bom_le = [&[0xff, 0xfe][..], &le].concat();
        let bom_be = [&[0xfe, 0xff][..], &be].concat();
        for (b, enc) in [
            (&le, Encoding::Utf16Le),
            (&bom_le, Encoding::Utf16Le),
            (&be, Encoding::Utf16Be),
            (&bom_be, Encoding::Utf16Be),
        ] {
            assert_eq!(summary(b), (enc, Some(Encoding::Text), email_at("")));
        }
        let json: Vec<u8> = r#"{"email":"jean.dupont@gmail.com"}"#
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            summary(&json),
            (Encoding::Utf16Le, Some(Encoding::Json), email_at("$.email"))
        );
    }

    #[test]
    fn text_with_a_few_control_bytes() {
        let log =
            b"\x1b[1;31mERROR\x1b[0m login failed for jean.dupont@gmail.com\x1b]0;title\x07\r\n";
        let s = scan(log);
        assert_eq!(s.encoding, Encoding::Text);
        assert_eq!(s.hits.len(), 1);
        // Escape sequences are blanked byte for byte: the span is the raw one.
        assert_eq!(&log[s.hits[0].hit.span.clone()], EMAIL.as_bytes());

        assert_eq!(
            summary(b"jean.dupont@gmail.com\0"),
            (Encoding::Text, None, email_at(""))
        );
        assert_eq!(
            summary(b"jean.dupont@gmail.com\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            (Encoding::Text, None, email_at(""))
        );
        assert_eq!(
            summary(b"{\"email\":\"jean.dupont@gmail.com\"}\0"),
            (Encoding::Json, None, email_at("$.email"))
        );
        // Many control bytes: still binary.
        assert_eq!(
            scan(b"a\x01b\x02c\x03d\x04e\x05f\x06").encoding,
            Encoding::Binary
        );
        assert_eq!(scan(b"\0\0\0\0").encoding, Encoding::Binary);
    }

    #[test]
    fn base64_of_json_text_and_gzip() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let json = br#"{"email":"jean.dupont@gmail.com"}"#;
        assert_eq!(
            summary(STANDARD.encode(json).as_bytes()),
            (Encoding::Base64, Some(Encoding::Json), email_at("$.email"))
        );
        assert_eq!(
            summary(URL_SAFE_NO_PAD.encode(json).as_bytes()),
            (Encoding::Base64, Some(Encoding::Json), email_at("$.email"))
        );
        assert_eq!(
            summary(STANDARD.encode(EMAIL).as_bytes()),
            (Encoding::Base64, Some(Encoding::Text), email_at(""))
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(json).unwrap();
        let b64 = STANDARD.encode(gz.finish().unwrap());
        assert_eq!(
            summary(b64.as_bytes()),
            (Encoding::Base64, Some(Encoding::Gzip), email_at("$.email"))
        );
        // Ruby's encode64 wraps lines at 60 characters.
        let long = format!(r#"{{"email":"{EMAIL}","note":"{}"}}"#, "x".repeat(80));
        let wrapped: Vec<String> = STANDARD
            .encode(&long)
            .as_bytes()
            .chunks(60)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let wrapped = wrapped.join("\n") + "\n";
        assert_eq!(summary(wrapped.as_bytes()).0, Encoding::Base64);

        // Random bytes in base64 (a token), hex ids and plain words stay text.
        let token = STANDARD.encode([
            0x9c, 0x01, 0xf3, 0x77, 0x10, 0x88, 0xfe, 0x42, 0x00, 0xc7, 0x3d, 0x91, 0xaa, 0x05,
            0x6e, 0xd2,
        ]);
        assert_eq!(scan(token.as_bytes()).encoding, Encoding::Text);
        assert_eq!(
            scan(b"0123456789abcdef0123456789abcdef").encoding,
            Encoding::Text
        );
        assert_eq!(scan(b"Anticonstitutionnellement").encoding, Encoding::Text);
    }

    #[test]
    fn raw_deflate() {
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(br#"{"user":{"email":"jean.dupont@gmail.com"}}"#)
            .unwrap();
        let b = d.finish().unwrap();
        assert_eq!(
            summary(&b),
            (
                Encoding::Deflate,
                Some(Encoding::Json),
                email_at("$.user.email")
            )
        );
        // Cut short: not kept (nothing says it was deflate).
        assert_eq!(scan(&b[..b.len() - 2]).encoding, Encoding::Binary);
    }

    /// A fixed pseudo-random stream (no dependency on a seeded RNG's output).
    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) as u8
            })
            .collect()
    }

    #[test]
    fn binary_stays_binary() {
        let png = [
            &b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"[..],
            &noise(600, 1),
        ]
        .concat();
        let jpeg = [&b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"[..], &noise(600, 2)].concat();
        // Even with an e-mail in its metadata, an image is not read as text.
        let exif = [&jpeg[..], EMAIL.as_bytes()].concat();
        for b in [&png, &jpeg, &exif] {
            let s = scan(b);
            assert_eq!((s.encoding, s.hits.len()), (Encoding::Binary, 0));
        }
        // A few random bytes can pass for Latin-1 or msgpack (`[1, 2]` is
        // three bytes): no hits, but only longer noise is always binary.
        for seed in 0..200 {
            for n in [3, 16, 64, 512, 4096] {
                let s = scan(&noise(n, seed));
                assert!(s.hits.is_empty(), "seed {seed} len {n}: {s:?}");
                assert!(
                    n < 16 || s.encoding == Encoding::Binary,
                    "seed {seed} len {n}: {:?}",
                    s.encoding
                );
            }
        }
        // Magics with noise behind them: no hits, no panic.
        for magic in [
            &b"\x04\x08"[..],
            b"\xac\xed\x00\x05",
            b"\x80\x04",
            b"\x80\x02",
            b"\xde\xff\xff",
            b"a:9:{",
        ] {
            for seed in 0..50 {
                let b = [magic, &noise(300, seed)].concat();
                assert!(scan(&b).hits.is_empty());
            }
        }
    }

    #[test]
    fn hostile_values_stay_bounded() {
        // Twenty gzip bombs in one msgpack array share one budget.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'a'; 4 << 20]).unwrap();
        let bomb = gz.finish().unwrap();
        let v = rmpv::Value::Array(vec![rmpv::Value::Binary(bomb); 20]);
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &v).unwrap();
        let mut budget = MAX_DECOMPRESSED;
        let mut hits = Vec::new();
        let det = Detector::global();
        let (enc, _) = scan_into(det, &b, None, "", 0, &mut budget, &mut hits);
        assert_eq!((enc, budget), (Encoding::Msgpack, 0));

        // A long symbol linked a thousand times is scanned once.
        let mut m = b"\x04\x08[\x02\xe9\x03:\x02\x10\x27".to_vec();
        let sym = format!("{EMAIL} {}", "x".repeat(10_000 - EMAIL.len() - 1));
        m.extend_from_slice(sym.as_bytes());
        for _ in 0..999 {
            m.extend_from_slice(b";\x00");
        }
        let s = scan(&m);
        assert_eq!(s.encoding, Encoding::RubyMarshal);
        assert_eq!(s.hits.len(), 1);

        // Java string headers that each claim 30 kB of nearly-text.
        let mut j = b"\xac\xed\x00\x05".to_vec();
        for _ in 0..40 {
            j.extend_from_slice(&[b't'; 30_000]);
            j.push(0x01);
        }
        assert_eq!(scan(&j).encoding, Encoding::JavaSerialized);

        // Unterminated OSC sequences: binary, found early.
        assert_eq!(scan(&b"\x1b]".repeat(100_000)).encoding, Encoding::Binary);
    }

    #[test]
    fn urlencoded() {
        let s = scan(b"email=jane%40example.fr&phone=%2B33612345678&page=2");
        assert_eq!(s.encoding, Encoding::UrlEncoded);
        let got: Vec<(&str, Kind)> = s
            .hits
            .iter()
            .map(|h| (h.path.as_str(), h.hit.kind))
            .collect();
        assert_eq!(got, [("email", Kind::Email), ("phone", Kind::Phone)]);
    }
}
