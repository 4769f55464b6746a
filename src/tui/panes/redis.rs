//! The Redis pane: the server at a glance, then the keyspace browser — the
//! census's namespaces (keys, memory, TTL health, personal data), a
//! namespace's keys, and one key's value with personal data masked until
//! revealed.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::redis::values::{mask_part, mask_parts, masked, masked_key, Extent, ValueLine};
use crate::show::{counted, printable, ttl_text};
use crate::tui::browser::{CensusState, KeysView, NsRowKind, RedisView, ValueState};
use crate::tui::state::{AppState, Remote};
use crate::tui::theme::Theme;
use crate::tui::widgets::{bytes, count, fit, fit_tail, remote_status, spread};

/// Short names of the kinds of personal data of a namespace.
/// Short labels of the kinds of personal data, sorted: `addr email ip`.
fn pii_badges(kinds: impl Iterator<Item = crate::pii::Kind>) -> String {
    let mut labels: Vec<&str> = kinds.map(crate::pii::Kind::short).collect();
    labels.sort_unstable();
    labels.dedup();
    labels.join(" ")
}

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    if state.redis.is_empty() {
        super::no_connection(frame, area, theme, "Redis", "redis", "--redis");
        return;
    }
    let width = usize::from(area.width);
    let mut head: Vec<Line<'static>> = Vec::new();
    for c in &state.redis {
        head.push(super::conn_title(&c.name, &c.url, width, theme));
        head.extend(remote_status(&c.remote, state.now, theme, width));
        let Some((o, at)) = c.remote.data() else {
            continue;
        };
        let text = if matches!(c.remote, Remote::Failed { .. }) {
            theme.muted
        } else {
            theme.text
        };
        head.push(Line::styled(
            fit(
                &printable(&format!(
                    "Redis {} {} {} · {} · {} clients · {} ops/s · {}",
                    o.version,
                    o.mode,
                    o.role,
                    bytes(o.used_memory),
                    o.connected_clients,
                    o.ops_per_sec,
                    at.format("%H:%M:%S")
                )),
                width,
            ),
            text,
        ));
        for d in &o.dbs {
            let share = d.share_without_ttl();
            head.push(spread(
                vec![Span::styled(
                    format!("db{} {} keys", d.db, count(d.keys)),
                    text,
                )],
                vec![Span::styled(
                    format!("{:.1}% no TTL", share * 100.0),
                    if share > 0.0 { theme.warn } else { theme.ok },
                )],
                width,
            ));
        }
    }
    head.push(census_line(state, theme, width));
    let b = &state.browser;
    if let (RedisView::Namespaces, true, Some(ns)) = (&b.view, b.detail, b.selected_namespace()) {
        head.extend(detail(state, ns, theme, width));
        let rows = |_| Line::default();
        let cursor = crate::tui::state::Cursor::default();
        super::head_then_rows(frame, area, head, 0, rows, &cursor, focused, theme);
        return;
    }
    let (title, len, row, cursor) = match &b.view {
        RedisView::Namespaces => namespaces(state, theme, width),
        RedisView::Keys(k) => keys(k, theme, width),
        RedisView::Value(v) => value(&v.0, &v.1, theme, width, &mut head),
    };
    head.push(title);
    super::head_then_rows(frame, area, head, len, row, &cursor, focused, theme);
}

fn census_line(state: &AppState, theme: &Theme, width: usize) -> Line<'static> {
    let b = &state.browser;
    // The age of the last census. (The wall clock is read here until the
    // loop passes one in the state, as it does `now`.)
    let last = b.last.as_ref().map(|p| p.describe(chrono::Utc::now()));
    // When the table below shows the last census, the line says so.
    let below = |text: String| match &last {
        Some(l)
            if b.shown()
                .is_some_and(|c| b.last.as_ref().is_some_and(|p| std::ptr::eq(c, &p.census))) =>
        {
            format!("{text} · below: the last census, {l}")
        }
        _ => text,
    };
    let text = match &b.census {
        CensusState::Idle => match (&b.last, &last) {
            (Some(p), Some(l)) => (
                format!(
                    "last census: {} keys, {l} · c to run again",
                    count(p.census.scanned)
                ),
                theme.muted,
            ),
            _ => ("no census yet · c to count every key".into(), theme.muted),
        },
        CensusState::Running { progress } => {
            let (done, total, paused) = progress
                .as_ref()
                .map_or((0, 0, false), |p| (p.scanned, p.dbsize, p.paused));
            let fault = progress.as_ref().and_then(|p| p.fault.as_deref());
            let pct = if total == 0 {
                0
            } else {
                (done * 100 / total.max(1)).min(100)
            };
            let bar_w = 10usize;
            let filled = (pct as usize * bar_w / 100).min(bar_w);
            (
                below(format!(
                    "census {}{} {pct}% {}/{} keys{}",
                    "█".repeat(filled),
                    "░".repeat(bar_w - filled),
                    count(done),
                    count(total),
                    match (fault, paused) {
                        (Some(f), _) => format!(" · waiting out a fault: {f}"),
                        (None, true) => " · paused: server busy".into(),
                        (None, false) => String::new(),
                    }
                )),
                if paused || fault.is_some() {
                    theme.warn
                } else {
                    theme.key
                },
            )
        }
        CensusState::Done { census, at } if !census.complete => (
            format!(
                "census {} stopped: {} · {} of {} keys counted · c to run again",
                at.format("%H:%M:%S"),
                census.stopped.as_deref().unwrap_or("incomplete"),
                count(census.scanned),
                count(census.dbsize),
            ),
            theme.error,
        ),
        CensusState::Done { census, at } if !b.changes.is_empty() => (
            format!(
                "census {}: {} since the last: {}",
                at.format("%H:%M:%S"),
                counted(b.changes.len() as u64, "change", None),
                b.changes.join("; ")
            ),
            theme.warn,
        ),
        CensusState::Done { census, at } => (
            format!(
                "census {}: {} keys in {:.1}s · {} namespaces{}",
                at.format("%H:%M:%S"),
                count(census.scanned),
                census.elapsed_ms as f64 / 1000.0,
                census.namespaces.len(),
                if census.warnings.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", census.warnings.join("; "))
                }
            ),
            if census.warnings.is_empty() {
                theme.ok
            } else {
                theme.warn
            },
        ),
        CensusState::Failed { error } => (
            below(format!("census failed: {error} · c to retry")),
            theme.error,
        ),
    };
    // Patterns and errors come from the store: printable.
    Line::styled(fit(&printable(&text.0), width), text.1)
}

/// The namespace detail (`i`): its size and types, its TTLs (with a
/// histogram), every kind of personal data found in key names and values
/// with a masked example, the value fields that held them, and the findings
/// about it. One item per line, cut to the width, never wrapped.
pub fn detail(
    state: &AppState,
    ns: &crate::redis::census::Namespace,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    use crate::redis::census::TTL_BUCKETS;
    let line = |text: String, style| Line::styled(fit(&printable(&text), width), style);
    let mut out = vec![line(
        format!("namespace {}", ns.pattern),
        theme.title_focused,
    )];
    let types: Vec<String> = ns
        .types
        .iter()
        .map(|(t, n)| format!("{t} {}", count(*n)))
        .collect();
    out.push(line(
        format!(
            "{} · {} · {}",
            counted(ns.keys, "key", None),
            bytes(ns.bytes),
            if types.is_empty() {
                "types unknown".to_string()
            } else {
                types.join(" · ")
            }
        ),
        theme.text,
    ));
    let pct = |n: u64| (n * 100).checked_div(ns.keys).unwrap_or(0);
    let retention = match state.browsed_retention_secs() {
        Some(_) => format!(
            "{} beyond the retention ({}%)",
            count(ns.ttl_beyond_retention),
            pct(ns.ttl_beyond_retention)
        ),
        None => "the register gives this storage no limited retention".to_string(),
    };
    out.push(line(
        format!(
            "no TTL: {} ({}%) · {retention}",
            count(ns.no_ttl),
            pct(ns.no_ttl)
        ),
        if ns.no_ttl > 0 { theme.warn } else { theme.ok },
    ));
    // The histogram: a bar per bucket, then the buckets that hold keys.
    let max = ns.ttl_histogram.iter().copied().max().unwrap_or(0).max(1);
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let bars: String = ns
        .ttl_histogram
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BARS[((n * 7) / max) as usize]
            }
        })
        .collect();
    let held: Vec<String> = TTL_BUCKETS
        .iter()
        .zip(ns.ttl_histogram)
        .filter(|(_, n)| *n > 0)
        .map(|(b, n)| format!("{b} {}", count(n)))
        .collect();
    out.push(Line::from(vec![
        Span::styled("TTL [", theme.muted),
        Span::styled(bars, theme.key),
        Span::styled(
            fit(&format!("] {}", held.join(" · ")), width.saturating_sub(12)),
            theme.muted,
        ),
    ]));
    let kinds: Vec<crate::pii::Kind> = crate::pii::Kind::ALL
        .into_iter()
        .filter(|k| ns.key_pii.contains_key(k) || ns.value_pii.contains_key(k))
        .collect();
    if kinds.is_empty() {
        out.push(line(
            format!(
                "no personal data found in key names, nor in the {} sampled",
                counted(ns.sampled, "value", None)
            ),
            theme.ok,
        ));
    } else {
        out.push(line(
            format!(
                "personal data · in names (keys) · in values (of {} sampled) · example",
                count(ns.sampled)
            ),
            theme.title,
        ));
        for k in kinds {
            let n = |m: &std::collections::BTreeMap<crate::pii::Kind, u64>| {
                m.get(&k).map_or("—".to_string(), |n| count(*n))
            };
            let example = ns.examples.get(&k).map_or("", String::as_str);
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", k.as_str()), theme.pii),
                Span::styled(
                    fit(
                        &format!(
                            "{:>9} {:>9}  {}",
                            n(&ns.key_pii),
                            n(&ns.value_pii),
                            printable(example)
                        ),
                        width.saturating_sub(17),
                    ),
                    theme.masked,
                ),
            ]));
        }
    }
    if !ns.value_fields.is_empty() {
        out.push(line(
            format!("in value fields: {}", ns.value_fields.join(", ")),
            theme.text,
        ));
    }
    let about: Vec<&crate::check::Finding> = state
        .findings
        .iter()
        .filter(|f| {
            f.namespace
                .as_ref()
                .is_some_and(|n| n.pattern == ns.pattern)
        })
        .collect();
    out.push(line(
        match about.len() {
            0 => "no finding about this namespace".to_string(),
            n => counted(n as u64, "finding", None),
        },
        theme.title,
    ));
    for f in about {
        out.push(Line::from(vec![
            Span::styled(
                format!("  {:<7}", f.severity.as_str()),
                super::findings::severity_style(f.severity, theme),
            ),
            Span::styled(
                fit(
                    &printable(&format!("{}: {}", f.kind, f.message)),
                    width.saturating_sub(9),
                ),
                theme.text,
            ),
        ]));
    }
    out.push(line(
        "Enter its keys · j/k the next namespace · i or Esc back to the list".into(),
        theme.muted,
    ));
    out
}

/// A view: its title line, how many rows, the row maker (only rows on
/// screen are made), and its cursor.
type View<'a> = (
    Line<'static>,
    usize,
    Box<dyn FnMut(usize) -> Line<'static> + 'a>,
    crate::tui::state::Cursor,
);

fn namespaces<'a>(state: &'a AppState, theme: &'a Theme, width: usize) -> View<'a> {
    let b = &state.browser;
    let rows = b.tree();
    // pattern | keys | memory | no TTL | >ret | pii; a narrow pane keeps
    // the pattern readable and drops memory and >ret.
    let narrow = width < 70;
    // Without a limited retention, "beyond retention" means nothing: `—`.
    let has_retention = state.browsed_retention_secs().is_some();
    let right_w = if narrow { 8 + 7 } else { 8 + 9 + 7 + 7 };
    // The kinds get up to two fifths of what the numbers leave (their
    // whole list is in the detail, `i`).
    let rest = width.saturating_sub(right_w + 2);
    let pii_w = (rest * 2 / 5).clamp(5, 40);
    let pat_w = rest.saturating_sub(pii_w).max(8);
    let header = if narrow {
        format!(
            "{:<pat_w$} {:>7} {:>6} {}",
            fit(&format!("namespace · by {}", b.sort.name()), pat_w),
            "keys",
            "noTTL",
            "pii"
        )
    } else {
        format!(
            "{:<pat_w$} {:>7} {:>8} {:>6} {:>6} {}",
            // The filter in force is in the view's title.
            fit(&format!("namespace · by {}", b.sort.name()), pat_w),
            "keys",
            "memory",
            "noTTL",
            ">ret",
            "pii"
        )
    };
    let len = rows.len();
    let row = move |i: usize| {
        let r = &rows[i];
        let t = &r.totals;
        let no_ttl = (t.no_ttl * 100).checked_div(t.keys).unwrap_or(0);
        let beyond = (t.ttl_beyond_retention * 100)
            .checked_div(t.keys)
            .unwrap_or(0);
        let warn = |v: u64| if v > 0 { theme.warn } else { theme.muted };
        let indent = "  ".repeat(r.depth.min(8));
        let label = printable(&r.label);
        let (name, style) = match &r.kind {
            NsRowKind::Folder { open, .. } => (
                format!(
                    "{indent}{} {} ({})",
                    if *open { "▾" } else { "▸" },
                    label,
                    t.namespaces
                ),
                theme.title,
            ),
            NsRowKind::Leaf(_) => (format!("{indent}{label}"), theme.text),
        };
        let mut spans = vec![
            Span::styled(format!("{:<pat_w$} ", fit(&name, pat_w)), style),
            Span::styled(format!("{:>7} ", compact(t.keys)), theme.text),
        ];
        if !narrow {
            spans.push(Span::styled(format!("{:>8} ", bytes(t.bytes)), theme.muted));
        }
        spans.push(Span::styled(format!("{:>5}% ", no_ttl), warn(no_ttl)));
        if !narrow {
            spans.push(if has_retention {
                Span::styled(format!("{:>5}% ", beyond), warn(beyond))
            } else {
                Span::styled(format!("{:>6} ", "—"), theme.muted)
            });
        }
        spans.push(Span::styled(
            fit(&pii_badges(t.pii_kinds()), pii_w),
            theme.pii,
        ));
        Line::from(spans)
    };
    (
        Line::styled(fit(&header, width), theme.title),
        len,
        Box::new(row),
        b.ns_cursor,
    )
}

/// `12k`, `1.2M`: short counts for narrow columns.
fn compact(n: u64) -> String {
    match n {
        n if n < 100_000 => count(n),
        n if n < 10_000_000 => format!("{:.0}k", n as f64 / 1000.0),
        n => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn keys<'a>(k: &'a KeysView, theme: &'a Theme, width: usize) -> View<'a> {
    let read = counted(k.rows.len() as u64, "key", None);
    let status = if let Some(e) = &k.error {
        format!("error: {}", printable(e))
    } else if let Some(vs) = &k.value_search {
        // Never the text searched for: it may be a person's.
        match (&vs.result, &vs.error) {
            (_, Some(e)) => format!("value search failed: {}", printable(e)),
            (Some(r), None) => format!(
                "{} in the values of {} read{}",
                counted(r.rows.len() as u64, "match", Some("matches")),
                counted(r.read as u64, "key", None),
                if r.stopped {
                    " (stopped)"
                } else if r.complete {
                    ""
                } else {
                    " (the first ones)"
                }
            ),
            (None, None) => "searching the values…".to_string(),
        }
    } else if crate::tui::browser::value_query(&k.filter).is_some() {
        "Enter to search the values".to_string()
    } else if k.shown.is_some() {
        let more = if k.loading {
            ", searching…"
        } else if k.complete() {
            ""
        } else {
            ", more as you scroll"
        };
        let matches = counted(k.len() as u64, "match", Some("matches"));
        format!("{matches} of {read} read{more}")
    } else if k.loading {
        format!("{read}, loading…")
    } else if k.complete() {
        read
    } else {
        format!("{read} so far (more as you scroll)")
    };
    let title = spread(
        vec![Span::styled(
            fit(
                &printable(&k.pattern),
                width.saturating_sub(status.len() + 1),
            ),
            theme.title_focused,
        )],
        vec![Span::styled(
            status,
            if k.error.is_some() {
                theme.error
            } else {
                theme.muted
            },
        )],
        width,
    );
    let row = move |i: usize| {
        let Some(r) = k.row(i) else {
            return Line::default();
        };
        {
            let name = masked_key(&r.key, &r.hits);
            let right = format!("{:>6} {:>8}", printable(&r.ty), ttl_text(r.pttl_ms));
            spread(
                vec![Span::styled(
                    fit_tail(&name, width.saturating_sub(right.len() + 1)),
                    if r.hits.is_empty() {
                        theme.text
                    } else {
                        theme.masked
                    },
                )],
                vec![Span::styled(
                    right,
                    if r.pttl_ms < 0 {
                        theme.warn
                    } else {
                        theme.muted
                    },
                )],
                width,
            )
        }
    };
    (title, k.len(), Box::new(row), k.cursor)
}

/// The value view: the key's name and what is known of it in the head,
/// then one row per line of the value, made only for the rows on screen.
/// Every part from the store is masked first (unless revealed), then made
/// printable, then cut to the pane.
fn value<'a>(
    keys: &'a KeysView,
    v: &'a ValueState,
    theme: &'a Theme,
    width: usize,
    head: &mut Vec<Line<'static>>,
) -> View<'a> {
    // The key's name from its bytes and spans when the list still has it.
    let name = keys.rows.iter().find(|r| r.key == v.key).map_or_else(
        || printable(&v.key_masked).into_owned(),
        |r| masked_key(&r.key, &r.hits),
    );
    head.push(Line::styled(
        fit(&format!("key {name}"), width),
        theme.title_focused,
    ));
    let Some(view) = &v.view else {
        let msg = v
            .error
            .as_ref()
            .map_or(("loading…".to_string(), theme.muted), |e| {
                (format!("error: {}", printable(e)), theme.error)
            });
        return (
            Line::styled(fit(&msg.0, width), msg.1),
            0,
            Box::new(|_| Line::default()),
            v.scroll,
        );
    };
    let expiry = if view.pttl_ms >= 0 {
        let at = v.read_at + chrono::Duration::milliseconds(view.pttl_ms);
        format!(
            "TTL {} (expires {})",
            ttl_text(view.pttl_ms),
            at.format("%Y-%m-%d %H:%M")
        )
    } else {
        "no TTL: never expires".into()
    };
    let size = view.length.map_or(String::new(), |l| {
        if view.ty == "string" {
            format!(" · {}", bytes(l))
        } else {
            format!(" · {} elements", count(l))
        }
    });
    // The masking state first: it must never be cut off.
    let encoding = if view.encoding == view.ty {
        String::new()
    } else {
        format!(" · {}", printable(&view.encoding))
    };
    let title = Line::from(vec![
        Span::styled(
            if v.revealed {
                "REVEALED (audited) · R to mask · "
            } else {
                "masked · R to reveal · "
            },
            if v.revealed {
                theme.dangerous
            } else {
                theme.muted
            },
        ),
        Span::styled(
            format!("{}{encoding}{size} · {expiry}", printable(&view.ty)),
            if view.pttl_ms < 0 {
                theme.warn
            } else {
                theme.muted
            },
        ),
    ]);
    let len = view.lines.len() + usize::from(view.truncated);
    let row = move |i: usize| match view.lines.get(i) {
        Some(l) => value_row(l, v.revealed, theme, width),
        None => Line::styled("… (more: read is bounded)", theme.muted),
    };
    (title, len, Box::new(row), v.scroll)
}

/// One line of a value: its label (masked, printable, cut to 24
/// columns), its text (masked, printable, cut to the pane) and, when it
/// shows less than the element, how much is stored.
fn value_row(l: &ValueLine, revealed: bool, theme: &Theme, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(label) = &l.label {
        let shown = if revealed {
            label.clone()
        } else {
            masked(label, &l.label_hits)
        };
        spans.push(Span::styled(
            format!("{} ", fit(&printable(&shown), 24)),
            if l.label_hits.is_empty() {
                theme.key
            } else {
                theme.pii
            },
        ));
    }
    spans.extend(highlighted(
        &l.text, &l.hits, l.dump, revealed, theme, width,
    ));
    match l.extent {
        Extent::Whole => {}
        Extent::Cut { stored } => spans.push(Span::styled(
            format!(" … (cut: {} in all)", bytes(stored)),
            theme.muted,
        )),
        Extent::NotRead { stored } => spans.push(Span::styled(
            format!("({}, not read: larger than a page)", bytes(stored)),
            theme.muted,
        )),
    }
    Line::from(spans)
}

/// The text with each personal span masked (or shown, when revealed) in
/// the PII style, every part made printable, and no more characters than
/// `width` (the rest would be cut by the pane anyway).
fn highlighted(
    text: &str,
    hits: &[(crate::pii::Kind, std::ops::Range<usize>)],
    dump: bool,
    revealed: bool,
    theme: &Theme,
    width: usize,
) -> Vec<Span<'static>> {
    let mut left = width;
    let mut spans = Vec::new();
    for (part, kind) in mask_parts(text, hits) {
        if left == 0 {
            break;
        }
        let (shown, style) = match kind {
            None => (printable(part).into_owned(), theme.text),
            Some(_) if revealed => (printable(part).into_owned(), theme.pii),
            Some(k) => (printable(&mask_part(k, part, dump)).into_owned(), theme.pii),
        };
        let shown: String = shown.chars().take(left).collect();
        left -= shown.chars().count();
        spans.push(Span::styled(shown, style));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_like_durations() {
        assert_eq!(ttl_text(-1), "no TTL");
        assert_eq!(ttl_text(42_000), "42s");
        assert_eq!(ttl_text(600_000), "10m 0s");
        assert_eq!(ttl_text(2 * 86_400_000 + 3_600_000), "2d 1h");
    }
}
