//! Tables in a file: a `pg_dump` (plain SQL, or the custom and directory
//! formats through `pg_restore`), or a CSV export. Every value of every
//! column is searched by the detector, with the column's name as context;
//! per table and column: rows, values holding each kind, a masked example,
//! and what the column's name alone suggests.
//!
//! Plain dumps are read as `pg_dump` writes them: `COPY … FROM stdin;`
//! blocks in the text format (`\N`, backslash escapes), and `INSERT INTO`
//! statements (`--inserts`, `--column-inserts`, one statement per line,
//! several rows each). A custom-format (`-Fc`) or directory-format (`-Fd`)
//! dump is turned into that text by `pg_restore --data-only -f -` (no
//! server needed), which is the format's own reader.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::rdb::FileProgress;
use crate::pii::{Detector, Kind};

/// Bytes of one value the detector reads.
pub const VALUE_BYTES: usize = 256 * 1024;

/// What a dump or a CSV file holds, by table and column.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DumpReport {
    pub file: String,
    pub file_bytes: u64,
    /// `pg_dump (plain)`, `pg_dump (custom, through pg_restore)`, `csv`.
    pub format: String,
    pub tables: Vec<TableReport>,
    pub rows: u64,
    pub values: u64,
    pub elapsed_ms: u64,
    pub complete: bool,
    pub stopped: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TableReport {
    /// As the dump names it (`public.users`), printable.
    pub table: String,
    pub rows: u64,
    pub columns: Vec<ColumnReport>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnReport {
    pub name: String,
    /// Values that are not NULL (or empty, in a CSV).
    pub values: u64,
    /// Values holding each kind.
    pub pii: BTreeMap<Kind, u64>,
    /// One masked example per kind.
    pub examples: BTreeMap<Kind, String>,
    /// What the column's name alone says (`email`, `person name`, …).
    pub by_name: Option<String>,
}

impl ColumnReport {
    fn new(name: &str) -> ColumnReport {
        ColumnReport {
            name: crate::show::printable(name).into_owned(),
            by_name: crate::pii::classify_name(name).map(|c| c.kind.as_str().to_string()),
            ..ColumnReport::default()
        }
    }
}

impl TableReport {
    /// Columns holding personal data, by their values or their name.
    pub fn personal(&self) -> impl Iterator<Item = &ColumnReport> {
        self.columns
            .iter()
            .filter(|c| !c.pii.is_empty() || c.by_name.is_some())
    }
}

struct Tables {
    detector: &'static Detector,
    tables: Vec<TableReport>,
    index: BTreeMap<String, usize>,
    rows: u64,
    values: u64,
}

impl Tables {
    fn new() -> Tables {
        Tables {
            detector: Detector::global(),
            tables: Vec::new(),
            index: BTreeMap::new(),
            rows: 0,
            values: 0,
        }
    }

    /// The table named `name` with `columns` (added if new).
    fn table(&mut self, name: &str, columns: &[String]) -> usize {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.tables.push(TableReport {
                    table: crate::show::printable(name).into_owned(),
                    ..TableReport::default()
                });
                self.index.insert(name.to_string(), self.tables.len() - 1);
                self.tables.len() - 1
            }
        };
        let t = &mut self.tables[i];
        while t.columns.len() < columns.len() {
            let n = t.columns.len();
            t.columns.push(ColumnReport::new(&columns[n]));
        }
        i
    }

    /// One row of table `t`: `None` for NULL.
    fn row(&mut self, t: usize, values: &[Option<&str>]) {
        self.rows += 1;
        let table = &mut self.tables[t];
        table.rows += 1;
        while table.columns.len() < values.len() {
            let n = table.columns.len();
            table
                .columns
                .push(ColumnReport::new(&format!("${}", n + 1)));
        }
        for (c, v) in table.columns.iter_mut().zip(values) {
            let Some(v) = v else { continue };
            if v.is_empty() {
                continue;
            }
            c.values += 1;
            self.values += 1;
            let v = cut(v, VALUE_BYTES);
            let scan = self.detector.scan_value(v.as_bytes(), Some(&c.name));
            let mut here: Vec<Kind> = Vec::new();
            for fh in scan.hits {
                if !here.contains(&fh.hit.kind) {
                    here.push(fh.hit.kind);
                }
                c.examples
                    .entry(fh.hit.kind)
                    .or_insert_with(|| crate::show::printable(&fh.masked).into_owned());
            }
            for k in here {
                *c.pii.entry(k).or_default() += 1;
            }
        }
    }
}

/// `s` cut to at most `n` bytes, at a character boundary.
fn cut(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// How a file of tables is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    PlainDump,
    /// `-Fc` or `-Fd`: read through `pg_restore`.
    ArchiveDump,
    Csv,
}

/// Read the file at `path` in `format`.
pub fn scan(
    path: &Path,
    format: TableFormat,
    cancel: &CancellationToken,
    mut progress: impl FnMut(FileProgress),
) -> anyhow::Result<DumpReport> {
    let started = Instant::now();
    let name = super::shown_name(path);
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut tables = Tables::new();
    let mut report = DumpReport {
        file: name.clone(),
        file_bytes,
        complete: true,
        ..DumpReport::default()
    };
    let outcome = match format {
        TableFormat::Csv => {
            report.format = "csv".into();
            let file = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("{name}: cannot open: {e}"))?;
            read_csv(path, file, &mut tables, cancel, &mut progress, file_bytes)
        }
        TableFormat::PlainDump => {
            report.format = "pg_dump (plain)".into();
            let file = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("{name}: cannot open: {e}"))?;
            read_plain(
                std::io::BufReader::with_capacity(256 * 1024, file),
                &mut tables,
                cancel,
                &mut progress,
                file_bytes,
            )
        }
        TableFormat::ArchiveDump => {
            report.format = "pg_dump (archive, read by pg_restore)".into();
            let mut child = std::process::Command::new("pg_restore")
                .args(["--data-only", "--file=-"])
                .arg(path)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{name}: a custom or directory pg_dump is read by pg_restore, which did not start ({e}); install the PostgreSQL client (Debian: postgresql-client)"
                    )
                })?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| anyhow::anyhow!("pg_restore gave no output"))?;
            let mut stderr = child.stderr.take();
            let read = read_plain(
                std::io::BufReader::with_capacity(256 * 1024, stdout),
                &mut tables,
                cancel,
                &mut progress,
                0,
            );
            if read.is_err() || cancel.is_cancelled() {
                let _ = child.kill();
            }
            let status = child.wait()?;
            let mut err = String::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(4096).read_to_string(&mut err);
            }
            match read {
                Ok(()) if !status.success() && !cancel.is_cancelled() => Err(anyhow::anyhow!(
                    "pg_restore failed ({status}): {}",
                    crate::show::fit(&crate::show::printable(err.trim()), 200)
                )),
                other => other,
            }
        }
    };
    if let Err(e) = outcome {
        if tables.rows == 0 && tables.tables.is_empty() {
            return Err(e);
        }
        report.complete = false;
        report.stopped = Some(format!("{e:#}"));
    }
    if cancel.is_cancelled() {
        report.complete = false;
        report.stopped = Some("cancelled".into());
    }
    report.rows = tables.rows;
    report.values = tables.values;
    report.tables = tables.tables;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// What the first bytes of a file say it is.
pub fn sniff_table_format(head: &[u8]) -> Option<TableFormat> {
    if head.starts_with(b"PGDMP") {
        return Some(TableFormat::ArchiveDump);
    }
    let text = String::from_utf8_lossy(head);
    if text.contains("PostgreSQL database dump")
        || text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("COPY ") || l.starts_with("INSERT INTO ") || l.starts_with("SET ")
        })
    {
        return Some(TableFormat::PlainDump);
    }
    None
}

fn read_csv(
    path: &Path,
    file: std::fs::File,
    tables: &mut Tables,
    cancel: &CancellationToken,
    progress: &mut impl FnMut(FileProgress),
    file_bytes: u64,
) -> anyhow::Result<()> {
    let mut buffered = std::io::BufReader::new(file);
    // The delimiter that the header line holds most of.
    let delimiter = {
        let head = buffered.fill_buf()?;
        let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        [b',', b';', b'\t', b'|']
            .into_iter()
            .max_by_key(|d| line.iter().filter(|b| *b == d).count())
            .unwrap_or(b',')
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(buffered);
    let headers: Vec<String> = reader
        .byte_headers()?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let table = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".into());
    let t = tables.table(&table, &headers);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "the CSV does not parse at line {}: {}",
                    e.position().map_or(0, |p| p.line()),
                    csv_error_kind(&e)
                ))
            }
        }
        let fields: Vec<std::borrow::Cow<'_, str>> =
            record.iter().map(String::from_utf8_lossy).collect();
        let values: Vec<Option<&str>> = fields.iter().map(|f| Some(f.as_ref())).collect();
        tables.row(t, &values);
        if tables.rows.is_multiple_of(4096) {
            progress(FileProgress {
                bytes_read: record.position().map_or(0, |p| p.byte()),
                file_bytes,
                records: tables.rows,
            });
            if cancel.is_cancelled() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The kind of a CSV error, without the field that caused it.
fn csv_error_kind(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::Io(_) => "read error",
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => "rows of unequal lengths",
        _ => "malformed record",
    }
}

/// `COPY public.users (id, email) FROM stdin;` → (`public.users`, columns).
fn copy_header(line: &str) -> Option<(String, Vec<String>)> {
    let rest = line.strip_prefix("COPY ")?;
    let rest = rest.trim_end().strip_suffix("FROM stdin;")?.trim_end();
    let (table, cols) = match rest.find(" (") {
        Some(i) => {
            let cols = rest[i + 2..].trim_end().strip_suffix(')')?;
            (&rest[..i], split_idents(cols))
        }
        None => (rest, Vec::new()),
    };
    Some((unquote_ident_path(table), cols))
}

/// `a, "B c", d` → `["a", "B c", "d"]`.
fn split_idents(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// `public."My table"` → `public.My table`.
fn unquote_ident_path(s: &str) -> String {
    split_idents(&s.replace('.', ",")).join(".")
}

/// One field of the COPY text format: `\N` is NULL, backslash escapes
/// decoded (`\t`, `\n`, `\\`, octal, `\x` hex).
fn copy_field(raw: &str) -> Option<String> {
    if raw == "\\N" {
        return None;
    }
    if !raw.contains('\\') {
        return Some(raw.to_string());
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'x' => {
                let hex: Vec<u8> = b[i..]
                    .iter()
                    .take(2)
                    .take_while(|d| d.is_ascii_hexdigit())
                    .copied()
                    .collect();
                i += hex.len();
                let v = std::str::from_utf8(&hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(v.unwrap_or(b'x'));
            }
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            other => out.push(other),
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `INSERT INTO public.users (id, email) VALUES (1, 'a'), (2, 'b');` →
/// table, columns (empty when the statement names none), rows.
type Insert = (String, Vec<String>, Vec<Vec<Option<String>>>);

fn insert_statement(line: &str) -> Option<Insert> {
    let rest = line.strip_prefix("INSERT INTO ")?;
    let values_at = find_outside_quotes(rest, " VALUES ")?;
    let head = rest[..values_at].trim();
    // `(columns)`, then perhaps `OVERRIDING SYSTEM VALUE` (identity columns).
    let (table, cols) = match head.find(" (") {
        Some(i) => {
            let inner = &head[i + 2..];
            let close = find_outside_quotes(inner, ")")?;
            (&head[..i], split_idents(&inner[..close]))
        }
        None => (head.split(' ').next().unwrap_or(head), Vec::new()),
    };
    let rows = sql_rows(&rest[values_at + " VALUES ".len()..])?;
    Some((unquote_ident_path(table), cols, rows))
}

/// Where `needle` first appears outside `'…'` and `"…"`.
fn find_outside_quotes(s: &str, needle: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        match quote {
            Some(q) if b[i] == q => quote = None,
            Some(_) => {}
            None if b[i] == b'\'' || b[i] == b'"' => quote = Some(b[i]),
            None if b[i..].starts_with(needle.as_bytes()) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// `(1, 'O''Brien', NULL), (2, E'a\nb', 3.5);` → rows of literals.
fn sql_rows(s: &str) -> Option<Vec<Vec<Option<String>>>> {
    let b = s.as_bytes();
    let mut rows = Vec::new();
    let mut row: Vec<Option<String>> = Vec::new();
    let mut i = 0;
    let mut depth = 0;
    while i < b.len() {
        match b[i] {
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    rows.push(std::mem::take(&mut row));
                }
                i += 1;
            }
            b',' | b' ' | b';' | b'\n' | b'\r' | b'\t' => i += 1,
            _ if depth == 0 => return None,
            b'\'' | b'E' | b'e' if b[i] == b'\'' || b.get(i + 1) == Some(&b'\'') => {
                let escapes = b[i] != b'\'';
                if escapes {
                    i += 1;
                }
                i += 1;
                let mut out = Vec::new();
                loop {
                    match b.get(i)? {
                        b'\'' if b.get(i + 1) == Some(&b'\'') => {
                            out.push(b'\'');
                            i += 2;
                        }
                        b'\'' => {
                            i += 1;
                            break;
                        }
                        b'\\' if escapes => {
                            let c = *b.get(i + 1)?;
                            out.push(match c {
                                b'n' => b'\n',
                                b't' => b'\t',
                                b'r' => b'\r',
                                c => c,
                            });
                            i += 2;
                        }
                        &c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                // A cast after the literal (`'…'::jsonb`) is skipped.
                row.push(Some(String::from_utf8_lossy(&out).into_owned()));
                while i < b.len() && !matches!(b[i], b',' | b')') {
                    i += 1;
                }
            }
            _ => {
                let start = i;
                let mut inner = 0;
                while i < b.len() && !(inner == 0 && matches!(b[i], b',' | b')')) {
                    match b[i] {
                        b'(' => inner += 1,
                        b')' => inner -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                let lit = String::from_utf8_lossy(&b[start..i]);
                let lit = lit.trim();
                row.push((!lit.eq_ignore_ascii_case("NULL")).then(|| lit.to_string()));
            }
        }
    }
    Some(rows)
}

fn read_plain(
    mut input: impl BufRead,
    tables: &mut Tables,
    cancel: &CancellationToken,
    progress: &mut impl FnMut(FileProgress),
    file_bytes: u64,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    let mut read = 0u64;
    let mut copying: Option<usize> = None;
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        lineno += 1;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        match copying {
            Some(_) if text == "\\." => copying = None,
            Some(t) => {
                let fields: Vec<Option<String>> = text.split('\t').map(copy_field).collect();
                let values: Vec<Option<&str>> = fields.iter().map(|f| f.as_deref()).collect();
                tables.row(t, &values);
            }
            None => {
                if let Some((table, cols)) = copy_header(text) {
                    copying = Some(tables.table(&table, &cols));
                } else if text.starts_with("INSERT INTO ") {
                    // A literal may hold newlines: the statement goes on
                    // until its quotes close (pg_dump doubles a quote
                    // inside a literal, so an odd count means still open).
                    let mut statement = text.to_string();
                    while statement.bytes().filter(|&b| b == b'\'').count() % 2 == 1 {
                        line.clear();
                        let n = input.read_until(b'\n', &mut line)?;
                        if n == 0 {
                            anyhow::bail!(
                                "the dump ends inside an INSERT statement (truncated file)"
                            );
                        }
                        read += n as u64;
                        lineno += 1;
                        statement.push('\n');
                        statement.push_str(
                            String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']),
                        );
                        if statement.len() > 64 * 1024 * 1024 {
                            anyhow::bail!(
                                "an INSERT statement longer than 64 MiB at line {lineno}"
                            );
                        }
                    }
                    match insert_statement(statement.trim_end()) {
                        Some((table, cols, rows)) => {
                            let t = tables.table(&table, &cols);
                            for r in rows {
                                let values: Vec<Option<&str>> =
                                    r.iter().map(|f| f.as_deref()).collect();
                                tables.row(t, &values);
                            }
                        }
                        None => {
                            tracing::warn!(line = lineno, "an INSERT statement oubli cannot read")
                        }
                    }
                }
            }
        }
        if lineno.is_multiple_of(4096) {
            progress(FileProgress {
                bytes_read: read,
                file_bytes,
                records: tables.rows,
            });
            if cancel.is_cancelled() {
                return Ok(());
            }
        }
    }
    if copying.is_some() {
        anyhow::bail!("the dump ends inside a COPY block (truncated file)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_headers_and_fields() {
        assert_eq!(
            copy_header("COPY public.users (id, email, \"Full name\") FROM stdin;"),
            Some((
                "public.users".to_string(),
                vec!["id".into(), "email".into(), "Full name".into()]
            ))
        );
        assert_eq!(copy_field("\\N"), None);
        assert_eq!(copy_field("a\\tb\\nc\\\\d").as_deref(), Some("a\tb\nc\\d"));
        assert_eq!(copy_field("\\101\\x42").as_deref(), Some("AB"));
    }

    #[test]
    fn insert_statements_with_quotes_casts_and_nulls() {
        let (t, cols, rows) = insert_statement(
            "INSERT INTO public.notes (id, body, meta) VALUES (1, 'O''Brien, VALUES (x)', NULL), (2, E'a\\nb', '{\"a\":1}'::jsonb);",
        )
        .unwrap();
        assert_eq!(t, "public.notes");
        assert_eq!(cols, vec!["id", "body", "meta"]);
        assert_eq!(
            rows,
            vec![
                vec![
                    Some("1".to_string()),
                    Some("O'Brien, VALUES (x)".to_string()),
                    None
                ],
                vec![
                    Some("2".to_string()),
                    Some("a\nb".to_string()),
                    Some("{\"a\":1}".to_string())
                ],
            ]
        );
    }

    #[test]
    fn identity_columns_inserted_with_overriding() {
        let (t, cols, rows) = insert_statement(
            "INSERT INTO public.users (id, email) OVERRIDING SYSTEM VALUE VALUES (2, 'a@b.fr');",
        )
        .unwrap();
        assert_eq!((t.as_str(), cols.len(), rows.len()), ("public.users", 2, 1));
    }

    #[test]
    fn file_formats_are_told_by_their_first_bytes() {
        assert_eq!(
            sniff_table_format(b"PGDMP\x01\x0e"),
            Some(TableFormat::ArchiveDump)
        );
        assert_eq!(
            sniff_table_format(b"--\n-- PostgreSQL database dump\n--\n"),
            Some(TableFormat::PlainDump)
        );
        assert_eq!(sniff_table_format(b"id,email\n1,a@b.fr\n"), None);
    }
}
