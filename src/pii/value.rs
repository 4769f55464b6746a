//! Structured values: JSON, URL-encoded, gzip/zlib, binary.

use std::io::Read;

use serde::Serialize;

use super::{Detector, Hit};

/// Decompressed values are read up to this many bytes; the rest is ignored
/// (a zip bomb costs at most this much memory).
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
    /// Not text: not scanned, not mis-read.
    Binary,
    Empty,
}

/// One hit inside a field of a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldHit {
    /// Where: `""` for the whole value, `$.user.email`, `$.items[2].phone`
    /// for JSON, the parameter name for URL-encoded values.
    pub path: String,
    /// The hit was in the field's *name* (a JSON object key), not its value.
    pub in_key: bool,
    /// Span into the decoded text of that field (or key).
    pub hit: Hit,
    /// The hit, masked ([`crate::pii::mask`]): safe to show and to keep.
    pub masked: String,
}

/// The result of [`Detector::scan_value`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueScan {
    /// The outermost encoding (Gzip/Zlib when compressed).
    pub encoding: Encoding,
    /// The encoding found inside a compressed value.
    pub inner: Option<Encoding>,
    pub hits: Vec<FieldHit>,
}

pub(crate) fn scan_value(det: &Detector, bytes: &[u8], context: Option<&str>) -> ValueScan {
    let mut hits = Vec::new();
    let (encoding, inner) = scan_into(det, bytes, context, "", 0, &mut hits);
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
    out: &mut Vec<FieldHit>,
) -> (Encoding, Option<Encoding>) {
    if bytes.is_empty() {
        return (Encoding::Empty, None);
    }
    if depth < MAX_DEPTH {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            if let Some(plain) = inflate(flate2::read::GzDecoder::new(bytes)) {
                let (inner, _) = scan_into(det, &plain, context, path, depth + 1, out);
                return (Encoding::Gzip, Some(inner));
            }
        }
        if is_zlib_header(bytes) {
            if let Some(plain) = inflate(flate2::read::ZlibDecoder::new(bytes)) {
                let (inner, _) = scan_into(det, &plain, context, path, depth + 1, out);
                return (Encoding::Zlib, Some(inner));
            }
        }
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Encoding::Binary, None);
    };
    if looks_binary(text) {
        return (Encoding::Binary, None);
    }
    let trimmed = text.trim_start();
    if depth < MAX_DEPTH && (trimmed.starts_with('{') || trimmed.starts_with('[')) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let root = if path.is_empty() { "$" } else { path };
            walk_json(det, &v, context, root, depth, out);
            return (Encoding::Json, None);
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

fn inflate<R: Read>(r: R) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    match r.take(MAX_DECOMPRESSED).read_to_end(&mut buf) {
        Ok(_) => Some(buf),
        // A truncated stream still gives what was read (values are read
        // with caps upstream); garbage gives nothing.
        Err(_) if !buf.is_empty() => Some(buf),
        Err(_) => None,
    }
}

fn is_zlib_header(b: &[u8]) -> bool {
    b.len() >= 2
        && b[0] & 0x0f == 8
        && (b[0] >> 4) <= 7
        && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
}

/// Control characters other than tab/newline/CR in more than 1% of the
/// first 4 KiB: a binary blob that happens to be valid UTF-8.
fn looks_binary(text: &str) -> bool {
    let sample = &text.as_bytes()[..text.len().min(4096)];
    let ctrl = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || b == 0x7f)
        .count();
    ctrl * 100 > sample.len()
}

fn looks_urlencoded(text: &str) -> bool {
    text.len() >= 3
        && text.contains('=')
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

fn walk_json(
    det: &Detector,
    v: &serde_json::Value,
    context: Option<&str>,
    path: &str,
    depth: usize,
    out: &mut Vec<FieldHit>,
) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            // serde_json's map is ordered by key: deterministic output.
            for (k, child) in map {
                let p = format!("{path}.{k}");
                // A key can itself be personal data ({"jane@x.fr": …}).
                push_hits(det, k, None, &p, true, out);
                walk_json(det, child, Some(k), &p, depth, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk_json(det, child, context, &format!("{path}[{i}]"), depth, out);
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
