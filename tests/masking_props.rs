//! Property test of masking on screen (issue 12): random values holding
//! planted e-mail addresses, phone numbers, IP addresses and IBANs — as
//! text, JSON, binary (a hex dump) and as the elements and field names of
//! every Redis type, in key names too — go through the functions the
//! value reader builds its lines with and are drawn by the real Redis
//! pane on a test terminal. While masked, no tell-tale run of a planted
//! identifier is on screen: not in the text, not in a dump's ASCII gutter
//! (its lines joined), not in its hex columns (decoded back); once
//! revealed, each is there in clear. No cell ever holds a control
//! character.

use std::time::Instant;

use oubli::pii::{mask, Kind};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use oubli::redis::values::{element_lines, masked, string_lines, Element, KeyRow, ValueView};
use oubli::tui::browser::{KeysView, RedisView, ValueState};
use oubli::tui::state::AppState;
use oubli::tui::theme::Theme;

/// An identifier planted in a value.
#[derive(Debug, Clone)]
enum Planted {
    Email {
        local: String,
        domain: String,
    },
    /// French mobile number: the eight digits after `06`, from 8 and 9 so
    /// that no other text on screen (sizes, offsets, hex) can hold them.
    Phone {
        digits: String,
        spaced: bool,
    },
    Ip([u8; 4]),
    /// French IBAN: 23 digits 8 and 9 after the check digits (no other text
    /// on screen, a port or an offset, can hold a run of them).
    Iban {
        bban: String,
    },
}

impl Planted {
    fn text(&self) -> String {
        match self {
            Planted::Email { local, domain } => format!("{local}@{domain}.fr"),
            Planted::Phone {
                digits,
                spaced: false,
            } => format!("06{digits}"),
            Planted::Phone {
                digits,
                spaced: true,
            } => {
                let pairs: Vec<&str> = (0..4).map(|i| &digits[2 * i..2 * i + 2]).collect();
                format!("06 {}", pairs.join(" "))
            }
            Planted::Ip([a, b, c, d]) => format!("{a}.{b}.{c}.{d}"),
            Planted::Iban { bban } => {
                let compact = format!("FR{:02}{bban}", iban_check(bban));
                compact
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Planted::Email { .. } => Kind::Email,
            Planted::Phone { .. } => Kind::Phone,
            Planted::Ip(_) => Kind::IpAddress,
            Planted::Iban { .. } => Kind::Iban,
        }
    }

    /// What the masked form must never show: runs of the parts the mask
    /// hides (an e-mail's local part and domain name, a phone number's
    /// middle digits, an address's last two numbers, an IBAN's middle).
    fn tell_tales(&self) -> Vec<String> {
        let text = self.text();
        match self {
            Planted::Email { local, domain } => windows(local, 4)
                .into_iter()
                .chain(windows(domain, 4))
                .collect(),
            Planted::Phone { spaced: false, .. } => windows(&text[2..8], 4),
            Planted::Phone { spaced: true, .. } => windows(&text[3..11], 4)
                .into_iter()
                .filter(|w| w.chars().filter(char::is_ascii_digit).count() >= 3)
                .collect(),
            Planted::Ip([_, _, c, d]) => vec![format!(".{c}.{d}")],
            Planted::Iban { .. } => text.split(' ').skip(1).take(4).map(String::from).collect(),
        }
    }
}

fn windows(s: &str, n: usize) -> Vec<String> {
    let c: Vec<char> = s.chars().collect();
    c.windows(n).map(|w| w.iter().collect()).collect()
}

/// The IBAN check digits of a French BBAN (ISO 13616, mod 97).
fn iban_check(bban: &str) -> u32 {
    let digits = format!("{bban}152700"); // F = 15, R = 27, then "00"
    let rem = digits
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    98 - rem
}

fn planted() -> impl Strategy<Value = Planted> {
    let consonants = "[bcdfghjklmnpqrstvwxz]{7,10}";
    prop_oneof![
        (consonants, "[bcdfghjklmnpqrstvwxz]{6,9}")
            .prop_map(|(local, domain)| Planted::Email { local, domain }),
        ("[89]{8}", any::<bool>()).prop_map(|(digits, spaced)| Planted::Phone { digits, spaced }),
        (11u8..=99, 1u8..=254, 1u8..=254, 1u8..=254)
            .prop_map(|(a, b, c, d)| Planted::Ip([a, b, c, d])),
        "[89]{23}".prop_map(|bban| Planted::Iban { bban }),
    ]
}

const WORDS: &[&str] = &["lorem", "ipsum", "dolor", "amet", "voila", "merci", "note"];

fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..3).prop_map(|w| w.join(" "))
}

/// How a value holds its identifier.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Text,
    Json,
    /// Bytes that are not text first (0xff at least), then the text.
    Binary,
}

#[derive(Debug, Clone)]
struct Value {
    shape: Shape,
    planted: Planted,
    before: String,
    after: String,
    prefix: Vec<u8>,
}

impl Value {
    fn bytes(&self) -> Vec<u8> {
        let p = self.planted.text();
        let (b, a) = (&self.before, &self.after);
        match self.shape {
            Shape::Text => format!("{b} {p} {a}").into_bytes(),
            Shape::Json => {
                serde_json::json!({ "note": format!("{b} {p}"), "more": { "n": 1, "v": a } })
                    .to_string()
                    .into_bytes()
            }
            Shape::Binary => {
                let mut out = self.prefix.clone();
                out.push(0xff);
                out.extend(format!(" {p} {a}").into_bytes());
                out
            }
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    // Not-text bytes whose hex (a0-ff, 00-1f) and gutter (`.`) can show
    // no digit 8 or 9 nor any letter of a tell-tale.
    let byte = prop_oneof![0xa0u8..=0xff, 0x00u8..=0x08, 0x0eu8..=0x1f];
    (
        prop_oneof![Just(Shape::Text), Just(Shape::Json), Just(Shape::Binary)],
        planted(),
        filler(),
        filler(),
        prop::collection::vec(byte, 0..12),
    )
        .prop_map(|(shape, planted, before, after, prefix)| Value {
            shape,
            planted,
            before,
            after,
            prefix,
        })
}

/// A key of one Redis type, and the identifiers it holds.
#[derive(Debug, Clone)]
struct Case {
    ty: &'static str,
    /// Values (one for a string), each with a field name that may hold an
    /// identifier of its own.
    elements: Vec<(Value, Option<Planted>)>,
    key_planted: Option<Planted>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(&["string", "hash", "list", "set", "zset", "stream"][..]),
        prop::collection::vec((value(), prop::option::of(planted())), 1..4),
        prop::option::of(planted()),
    )
        .prop_map(|(ty, mut elements, key_planted)| {
            if ty == "string" {
                elements.truncate(1);
            }
            if !matches!(ty, "hash" | "stream") {
                for e in &mut elements {
                    e.1 = None;
                }
            }
            Case {
                ty,
                elements,
                key_planted,
            }
        })
}

impl Case {
    fn key(&self) -> Vec<u8> {
        match &self.key_planted {
            Some(p) => format!("app:user:{}:profile", p.text()).into_bytes(),
            None => b"app:user:42:profile".to_vec(),
        }
    }

    /// What the reader would have built for this key.
    fn view(&self) -> ValueView {
        let mut view = ValueView {
            ty: self.ty.into(),
            pttl_ms: -1,
            length: Some(self.elements.len() as u64),
            encoding: self.ty.into(),
            lines: Vec::new(),
            truncated: false,
            next: None,
        };
        if self.ty == "string" {
            let bytes = self.elements[0].0.bytes();
            let (encoding, lines) = string_lines(&bytes, 1 << 16);
            view.length = Some(bytes.len() as u64);
            view.encoding = encoding;
            view.lines = lines;
            return view;
        }
        let items: Vec<Element> = self
            .elements
            .iter()
            .enumerate()
            .map(|(i, (v, field))| Element {
                id: match self.ty {
                    "list" | "zset" => Some(i.to_string()),
                    "stream" => Some(format!("{i}-0")),
                    _ => None,
                },
                field: match (self.ty, field) {
                    ("hash" | "stream", Some(p)) => Some(p.text().into_bytes()),
                    ("hash", None) => Some(format!("field{i}").into_bytes()),
                    ("stream", None) => Some(b"payload".to_vec()),
                    _ => None,
                },
                bytes: v.bytes(),
                ..Element::default()
            })
            .collect();
        view.lines = element_lines(&items, 1 << 14);
        view
    }

    /// The tell-tales of every identifier (and whose), but those a mask
    /// itself shows (an IBAN's last four equal to a run of another).
    fn tell_tales(&self) -> Vec<(String, String)> {
        let masks: Vec<String> = self
            .planted()
            .iter()
            .map(|(p, _, _)| mask(p.kind(), &p.text()))
            .collect();
        self.planted()
            .iter()
            .flat_map(|(p, _, _)| p.tell_tales().into_iter().map(|t| (t, p.text())))
            .filter(|(t, _)| !masks.iter().any(|m| m.contains(t.as_str())))
            .collect()
    }

    /// Every identifier, and whether it is in the value (shown on reveal)
    /// and in a dump.
    fn planted(&self) -> Vec<(&Planted, bool, bool)> {
        let mut out = Vec::new();
        for (v, field) in &self.elements {
            out.push((&v.planted, true, matches!(v.shape, Shape::Binary)));
            if let Some(f) = field {
                // A label is cut to 24 columns on screen (a stream's
                // starts with its id): a longer one is checked masked only.
                out.push((f, self.ty == "hash" && f.text().len() < 24, false));
            }
        }
        if let Some(k) = &self.key_planted {
            out.push((k, false, false));
        }
        out
    }
}

fn app() -> AppState {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let loaded = oubli::register::load_file(&path).unwrap();
    let mut s = AppState::new(&loaded, false, Instant::now());
    s.focus = oubli::tui::action::PaneId::Redis;
    s.zoom = true;
    s
}

fn key_row(key: &[u8]) -> KeyRow {
    KeyRow {
        key: key.to_vec(),
        ty: "hash".into(),
        pttl_ms: -1,
        hits: oubli::pii::keys::key_hits(key, b":")
            .into_iter()
            .map(|h| (h.kind, h.span))
            .collect(),
    }
}

fn keys_view(rows: Vec<KeyRow>) -> KeysView {
    let mut k = KeysView::new(
        "app:user:{email}:profile".into(),
        b"app:user:*:profile".to_vec(),
    );
    k.rows = rows;
    k.loading = false;
    k
}

/// The screen's rows, and no cell holding a control character.
fn draw(s: &AppState) -> Result<Vec<String>, TestCaseError> {
    let mut t = Terminal::new(TestBackend::new(400, 60)).unwrap();
    t.draw(|f| oubli::tui::render::render(s, &Theme::builtin("dark").unwrap(), f))
        .unwrap();
    let buf = t.backend().buffer();
    for cell in buf.content() {
        prop_assert!(
            !cell.symbol().chars().any(char::is_control),
            "a control character on screen: {:?}",
            cell.symbol()
        );
    }
    let w = usize::from(buf.area.width);
    Ok(buf
        .content()
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect())
        .collect())
}

/// The dump lines on screen, read back: their gutters joined, and their
/// hex columns decoded (`*` for a masked byte), in order.
fn dumps(rows: &[String]) -> (String, String) {
    let line =
        regex::Regex::new(r"[0-9a-f]{8}  ((?:[0-9a-f*]{2} ){0,15}[0-9a-f*]{2}) *  ").unwrap();
    let (mut gutter, mut hex) = (String::new(), String::new());
    for row in rows {
        for m in line.captures_iter(row) {
            let pairs: Vec<&str> = m[1].split(' ').collect();
            // The gutter starts 59 columns after the offset (8, 2, 47, 2).
            let at = m.get(0).map_or(0, |g| g.start()) + 59;
            gutter.extend(row.get(at..).unwrap_or("").chars().take(pairs.len()));
            for p in pairs {
                hex.push(match u8::from_str_radix(p, 16) {
                    Ok(b) if (0x20..0x7f).contains(&b) => b as char,
                    Ok(_) => '.',
                    Err(_) => '*',
                });
            }
        }
    }
    (gutter, hex)
}

fn press(s: &mut AppState, c: char) {
    s.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn no_planted_identifier_is_shown_while_masked(case in case()) {
        let key = case.key();
        let row = key_row(&key);
        let mut s = app();

        // The key list.
        s.browser.view = RedisView::Keys(keys_view(vec![row.clone()]));
        let screen = draw(&s)?.join("\n");
        for (t, of) in case.tell_tales() {
            prop_assert!(!screen.contains(&t), "{t:?} of {of:?} in the key list:\n{screen}");
        }

        // The value, masked.
        let text = String::from_utf8_lossy(&key).into_owned();
        s.browser.view = RedisView::Value(Box::new((
            keys_view(vec![row.clone()]),
            ValueState {
                key: key.clone(),
                key_masked: masked(&text, &row.hits),
                view: Some(case.view()),
                error: None,
                revealed: false,
                scroll: Default::default(),
                loading_more: false,
                read_at: chrono::Local::now(),
            },
        )));
        let rows = draw(&s)?;
        let screen = rows.join("\n");
        let (gutter, hex) = dumps(&rows);
        prop_assert!(screen.contains("masked · R to reveal"));
        for (t, of) in case.tell_tales() {
            for (what, shown) in [("screen", &screen), ("gutter", &gutter), ("hex", &hex)] {
                prop_assert!(
                    !shown.contains(&t),
                    "{t:?} of {of:?} in the {what} while masked:\n{screen}"
                );
            }
        }

        // Revealed: every identifier of the value is there.
        press(&mut s, 'R');
        let rows = draw(&s)?;
        let screen = rows.join("\n");
        let (gutter, _) = dumps(&rows);
        prop_assert!(screen.contains("REVEALED (audited)"));
        for (p, in_value, dump) in case.planted() {
            if in_value {
                let shown = if dump { &gutter } else { &screen };
                prop_assert!(shown.contains(&p.text()), "{:?} not shown once revealed:\n{screen}", p.text());
            }
        }
    }
}
