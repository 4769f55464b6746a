//! The keyspace browser rendered from fixed state: the namespace table, a
//! namespace's keys with personal data masked in their names, and a value
//! masked, then revealed; the namespace tree. At 80x24 and 120x40.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Local, TimeZone};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use oubli::pii::Kind;
use oubli::redis::census::{Census, Namespace};
use oubli::redis::values::{
    element_lines, string_lines, Element, Extent, KeyPage, KeyRow, ValueLine, ValueView,
};
use oubli::tui::browser::{BrowserEffect, CensusState, RedisView};
use oubli::tui::render::render;
use oubli::tui::state::{AppState, BgMsg, Effect};
use oubli::tui::theme::Theme;

fn ns(
    pattern: &str,
    keys: u64,
    bytes: u64,
    no_ttl: u64,
    beyond: u64,
    key_pii: &[Kind],
    value_pii: &[Kind],
) -> Namespace {
    Namespace {
        pattern: pattern.into(),
        keys,
        bytes,
        no_ttl,
        ttl_beyond_retention: beyond,
        key_pii: key_pii.iter().map(|k| (*k, keys)).collect(),
        value_pii: value_pii
            .iter()
            .map(|k| (*k, 3))
            .collect::<BTreeMap<_, _>>(),
        ..Namespace::default()
    }
}

fn state() -> AppState {
    with_census(census())
}

/// The demo register's console, on the Redis pane, showing `census` as
/// finished at 09:30.
fn with_census(census: Census) -> AppState {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let loaded = oubli::register::load_file(&path).unwrap();
    let mut s = AppState::new(&loaded, false, Instant::now());
    s.register_path = "config/demo.toml".into();
    s.browser.set_census(CensusState::Done {
        census,
        at: Local.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap(),
    });
    s.focus = oubli::tui::action::PaneId::Redis;
    s
}

fn census() -> Census {
    Census {
        node: "redis://127.0.0.1:16379/0".into(),
        dbsize: 46_516,
        scanned: 46_516,
        elapsed_ms: 2_700,
        complete: true,
        namespaces: vec![
            ns(
                "rdv:sessions:{hex}",
                16_931,
                3_900_000,
                0,
                0,
                &[],
                &[Kind::Email, Kind::IpAddress],
            ),
            ns(
                "user:{int}:profile",
                7_467,
                1_700_000,
                5_227,
                0,
                &[],
                &[Kind::Email, Kind::Phone, Kind::PostalAddress],
            ),
            ns(
                "cache:api-adresse:{address}",
                3_982,
                1_036_000,
                0,
                3_982,
                &[Kind::PostalAddress],
                &[],
            ),
            ns(
                "app:production:user_session_domain:{email}",
                2_987,
                435_000,
                2_987,
                0,
                &[Kind::Email],
                &[],
            ),
            ns(
                "rate_limit:{ip}",
                1_991,
                168_000,
                1_991,
                0,
                &[Kind::IpAddress],
                &[],
            ),
            ns("stat:processed", 1, 56, 1, 0, &[], &[]),
        ],
        ..Census::default()
    }
}

fn draw(s: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, &Theme::builtin("dark").unwrap(), f))
        .unwrap();
    t.backend().to_string()
}

fn press(s: &mut AppState, code: KeyCode) -> Vec<Effect> {
    s.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        .1
}

#[test]
fn namespaces_keys_and_a_masked_value() {
    let mut s = state();
    let screen = draw(&s, 120, 40);
    assert!(
        screen.contains("census 09:30:00: 46,516 keys in 2.7s · 6 namespaces"),
        "{screen}"
    );
    insta::assert_snapshot!("namespaces_120x40", screen);

    // Sorted by personal data, filtered to sessions by e-mail, then opened.
    press(&mut s, KeyCode::Char('s'));
    press(&mut s, KeyCode::Char('/'));
    for c in "domain".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.browser.namespaces().len(), 1);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Browser(BrowserEffect::LoadKeys {
            glob: b"app:production:user_session_domain:*".to_vec(),
            cursor: 0
        })]
    );
    let key = b"app:production:user_session_domain:jeanne.martin@example.fr".to_vec();
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Keys {
        gen,
        result: Ok(KeyPage {
            rows: vec![KeyRow {
                key: key.clone(),
                ty: "string".into(),
                pttl_ms: -1,
                hits: vec![(Kind::Email, 35..59)],
            }],
            next_cursor: 0,
        }),
    });
    let screen = draw(&s, 80, 24);
    assert!(
        !screen.contains("jeanne.martin"),
        "a key name shown unmasked:\n{screen}"
    );
    assert!(screen.contains("j***@e***.fr"), "{screen}");
    insta::assert_snapshot!("keys_80x24", screen);

    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Browser(BrowserEffect::LoadValue { key })]);
    let text = r#"{"email": "jeanne.martin@example.fr", "phone": "06 12 34 56 78"}"#.to_string();
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Value {
        gen,
        result: Ok(ValueView {
            ty: "hash".into(),
            pttl_ms: -1,
            length: Some(2),
            encoding: "hash".into(),
            lines: vec![
                ValueLine {
                    label: Some("email".into()),
                    text: "jeanne.martin@example.fr".into(),
                    hits: vec![(Kind::Email, 0..24)],
                    ..ValueLine::default()
                },
                ValueLine {
                    label: Some("profile".into()),
                    text: text.clone(),
                    hits: vec![(Kind::Email, 11..35), (Kind::Phone, 48..62)],
                    ..ValueLine::default()
                },
            ],
            truncated: false,
            next: None,
        }),
    });
    let screen = draw(&s, 120, 40);
    assert!(
        !screen.contains("jeanne.martin") && !screen.contains("12 34 56"),
        "{screen}"
    );
    assert!(screen.contains("masked · R to reveal"));
    insta::assert_snapshot!("value_masked_120x40", screen);

    let fx = press(&mut s, KeyCode::Char('R'));
    assert_eq!(
        fx,
        vec![Effect::Browser(BrowserEffect::Revealed {
            pattern: "app:production:user_session_domain:{email}".into()
        })]
    );
    let screen = draw(&s, 120, 40);
    assert!(screen.contains("jeanne.martin@example.fr") && screen.contains("REVEALED (audited)"));
    // Back to the keys, then the namespaces.
    press(&mut s, KeyCode::Esc);
    assert!(matches!(s.browser.view, RedisView::Keys(_)));
    press(&mut s, KeyCode::Esc);
    assert!(matches!(s.browser.view, RedisView::Namespaces));
}

/// The expiry shown is when the value was read plus its TTL: it does not
/// move with the clock of each frame (it was `now + TTL`, read while drawing).
#[test]
fn a_value_expires_at_a_fixed_time() {
    let mut s = state();
    press(&mut s, KeyCode::Enter);
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Keys {
        gen,
        result: Ok(KeyPage {
            rows: vec![KeyRow {
                key: b"rdv:sessions:ab12".to_vec(),
                ty: "string".into(),
                pttl_ms: 5_400_000,
                hits: vec![],
            }],
            next_cursor: 0,
        }),
    });
    press(&mut s, KeyCode::Enter);
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Value {
        gen,
        result: Ok(ValueView {
            ty: "string".into(),
            pttl_ms: 5_400_000,
            length: Some(2),
            encoding: "embstr".into(),
            lines: vec![ValueLine {
                label: None,
                text: "ok".into(),
                hits: vec![],
                ..ValueLine::default()
            }],
            truncated: false,
            next: None,
        }),
    });
    let RedisView::Value(v) = &mut s.browser.view else {
        panic!("the value is not open");
    };
    v.1.read_at = Local.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap();
    press(&mut s, KeyCode::Char('z'));
    let screen = draw(&s, 120, 40);
    assert!(
        screen.contains("TTL 1h 30m (expires 2026-11-21 11:00)"),
        "{screen}"
    );
}

/// The screen's text, and no cell holding a control character.
fn draw_checked(s: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, &Theme::builtin("dark").unwrap(), f))
        .unwrap();
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "a control character reached the terminal: {:?}",
            cell.symbol()
        );
    }
    t.backend().to_string()
}

fn key_row(key: &[u8], ty: &str) -> KeyRow {
    KeyRow {
        key: key.to_vec(),
        ty: ty.into(),
        pttl_ms: -1,
        hits: oubli::pii::keys::key_hits(key, b":")
            .into_iter()
            .map(|h| (h.kind, h.span))
            .collect(),
    }
}

/// Opens the first namespace and, in it, `rows`; then the first row's
/// value, `view`.
fn open_value(s: &mut AppState, rows: Vec<KeyRow>, view: ValueView) {
    press(s, KeyCode::Enter);
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Keys {
        gen,
        result: Ok(KeyPage {
            rows,
            next_cursor: 0,
        }),
    });
    press(s, KeyCode::Enter);
    let gen = s.browser.gen;
    s.on_bg(BgMsg::Value {
        gen,
        result: Ok(view),
    });
}

fn view(ty: &str, encoding: &str, lines: Vec<ValueLine>) -> ValueView {
    ValueView {
        ty: ty.into(),
        pttl_ms: -1,
        length: Some(lines.len() as u64),
        encoding: encoding.into(),
        lines,
        truncated: false,
        next: None,
    }
}

/// Issue 12: key names, field names, stream ids and fields, and values
/// with terminal controls are shown as escapes (`\x1b`, `\r`), masked or
/// revealed; no cell of the screen ever holds a control character.
#[test]
fn store_strings_never_reach_the_terminal_raw() {
    let mut s = state();
    let title = b"bad:term:\x1b]0;PWNED\x07\x1b[2J\x1b[H".to_vec();
    let spoof = b"visible harmless text\rSPOOFED".to_vec();
    let items = vec![
        Element {
            id: Some("1-0".into()),
            field: Some(b"f\x1b[2J".to_vec()),
            bytes: b"plain jane@example.fr".to_vec(),
            ..Element::default()
        },
        Element {
            id: Some("2-0".into()),
            field: Some(b"\x9b31m".to_vec()),
            bytes: b"text\rSPOOFED\tand a tab".to_vec(),
            ..Element::default()
        },
        Element {
            id: Some("3-0".into()),
            field: Some(b"raw".to_vec()),
            bytes: b"v\x1b]0;X\x07".to_vec(),
            ..Element::default()
        },
    ];
    let lines = element_lines(&items, 1024);
    let v = view("stream", "stream", lines);
    open_value(
        &mut s,
        vec![key_row(&title, "stream"), key_row(&spoof, "string")],
        v,
    );
    let screen = draw_checked(&s, 120, 40);
    assert!(
        screen.contains("key bad:term:\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[H"),
        "{screen}"
    );
    assert!(screen.contains("1-0 f\\x1b[2J"), "{screen}");
    assert!(screen.contains("2-0 \\x9b31m"), "{screen}");
    assert!(screen.contains("text\\rSPOOFED\\tand a tab"), "{screen}");
    // Controls other than line breaks and tabs make a value binary: a dump.
    assert!(
        screen.contains("3-0 raw 00000000  76 1b 5d 30 3b 58 07"),
        "{screen}"
    );
    assert!(!screen.contains("jane@"), "{screen}");
    press(&mut s, KeyCode::Char('R'));
    let screen = draw_checked(&s, 120, 40);
    assert!(screen.contains("plain jane@example.fr"), "{screen}");
    // The key list: both names visible, escaped.
    press(&mut s, KeyCode::Esc);
    let screen = draw_checked(&s, 120, 40);
    assert!(screen.contains("bad:term:\\x1b]0;PWNED"), "{screen}");
    assert!(
        screen.contains("visible harmless text\\rSPOOFED"),
        "{screen}"
    );
}

/// Issue 12: the hex view of `"\xff\xfe\xc3\x28 jane.doe@example.com"`
/// masks the address in the hex columns and the ASCII gutter, on both
/// lines it is cut across; revealed, it shows both.
#[test]
fn the_hex_view_masks_what_it_labels_masked() {
    let mut s = state();
    let value = b"\xff\xfe\xc3\x28 jane.doe@example.com";
    let (encoding, lines) = string_lines(value, 1024);
    let mut v = view("string", &encoding, lines);
    v.length = Some(value.len() as u64);
    open_value(&mut s, vec![key_row(b"utf8val", "string")], v);
    // Zoomed, so that the whole dump, gutter included, is on screen.
    press(&mut s, KeyCode::Char('z'));
    let screen = draw_checked(&s, 80, 24);
    assert!(
        screen.contains("masked · R to reveal · string · hex"),
        "{screen}"
    );
    for clear in ["jane", "ample", "6a 61", "2e 63 6f"] {
        assert!(!screen.contains(clear), "{clear:?} in clear:\n{screen}");
    }
    insta::assert_snapshot!("hex_masked_80x24", screen);
    press(&mut s, KeyCode::Char('R'));
    let screen = draw_checked(&s, 80, 24);
    assert!(
        screen.contains("jane.doe@ex") && screen.contains("ample.com"),
        "{screen}"
    );
}

/// Elements cut at the element budget say how big they are; a hash value
/// too big for a page says it was not read.
#[test]
fn cut_and_unread_elements_say_their_size() {
    let mut s = state();
    let items = vec![
        Element {
            field: Some(b"blob".to_vec()),
            extent: Extent::NotRead { stored: 20 << 20 },
            ..Element::default()
        },
        Element {
            field: Some(b"note".to_vec()),
            bytes: b"first bytes".to_vec(),
            extent: Extent::Cut { stored: 3 << 20 },
            ..Element::default()
        },
    ];
    let v = view("hash", "hash", element_lines(&items, 1024));
    open_value(&mut s, vec![key_row(b"big:hash", "hash")], v);
    let screen = draw_checked(&s, 120, 40);
    assert!(
        screen.contains("blob (20 MiB, not read: larger than a page)"),
        "{screen}"
    );
    assert!(
        screen.contains("note first bytes … (cut: 3.0 MiB in all)"),
        "{screen}"
    );
}

#[test]
fn stale_key_pages_are_dropped() {
    let mut s = state();
    press(&mut s, KeyCode::Enter);
    let old = s.browser.gen;
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Enter);
    assert!(!s.on_bg(BgMsg::Keys {
        gen: old,
        result: Ok(KeyPage {
            rows: vec![],
            next_cursor: 0
        })
    }));
}

#[test]
fn changes_need_write_mode_and_a_typed_confirmation() {
    use oubli::tui::browser::Remediation;
    let mut s = state();
    // Read-only: the dangerous key is refused, nothing opens.
    assert!(press(&mut s, KeyCode::Char('D')).is_empty());
    assert!(matches!(s.overlay, oubli::tui::state::Overlay::None));
    assert!(s.flash.as_ref().is_some_and(|f| f.0.contains("read-only")));

    s.write_mode = true;
    // The first namespace by keys is rdv:sessions:{hex}; T uses the 7-day retention.
    assert!(press(&mut s, KeyCode::Char('T')).is_empty());
    let screen = draw(&s, 120, 40);
    assert!(
        screen.contains("WRITE: give the keys of rdv:sessions:{hex}"),
        "{screen}"
    );
    insta::assert_snapshot!("confirm_120x40", screen);
    for c in "rdv:sessions".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "a partial confirmation does nothing"
    );
    for c in ":{hex}".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Browser(BrowserEffect::Remediate(
            Remediation::ExpireNamespace {
                pattern: "rdv:sessions:{hex}".into(),
                ttl_secs: 7 * 86_400,
                keys: 0
            }
        ))]
    );
    let gen = s.browser.changing.as_ref().map(|c| c.gen).unwrap();

    // While it runs: no second change; the hint bar says what runs and
    // that Esc stops it, and help lists that key in write mode.
    s.flash = None;
    assert!(press(&mut s, KeyCode::Char('D')).is_empty());
    assert!(matches!(s.overlay, oubli::tui::state::Overlay::None));
    assert!(s
        .flash
        .take()
        .is_some_and(|f| f.0.contains("a change is under way")));
    let screen = draw(&s, 120, 40);
    let hints = screen.lines().nth(39).unwrap();
    assert!(
        hints.contains("changing rdv:sessions:{hex}…") && hints.contains("Esc stop the change"),
        "{hints}"
    );
    press(&mut s, KeyCode::Char('?'));
    for _ in 0..10 {
        press(&mut s, KeyCode::Down);
    }
    let help = draw(&s, 120, 40);
    assert!(
        help.contains("While a change to Redis runs") && help.contains("stop the change"),
        "{help}"
    );
    press(&mut s, KeyCode::Esc);

    // Esc stops it (once); the loop gets the stop, not a step back.
    assert_eq!(
        press(&mut s, KeyCode::Esc),
        vec![Effect::Browser(BrowserEffect::StopChange)]
    );
    assert!(matches!(s.browser.view, RedisView::Namespaces));
    assert!(s.browser.changing.as_ref().is_some_and(|c| c.stopping));
    assert!(press(&mut s, KeyCode::Esc).is_empty(), "asked to stop once");
    // A result of another change is stale; this one's says what it changed.
    let report = |complete| oubli::redis::actions::Report {
        action: "expire 604800s".into(),
        pattern: "rdv:sessions:{hex}".into(),
        scanned: 300,
        changed: 120,
        unchanged: 180,
        complete,
        elapsed_ms: 40,
        ..Default::default()
    };
    assert!(!s.on_bg(BgMsg::Remediated {
        gen: gen + 1,
        result: Ok(report(true))
    }));
    assert!(s.browser.changing.is_some());
    assert!(s.on_bg(BgMsg::Remediated {
        gen,
        result: Ok(report(false))
    }));
    assert!(s.browser.changing.is_none());
    let flash = s.flash.as_ref().map(|f| f.0.as_str()).unwrap_or("");
    assert_eq!(
        flash,
        "expire 604800s on rdv:sessions:{hex}: 120 keys changed of 300 in the namespace \
         (0 of others left alone) (stopped: the rest is unchanged)"
    );
    assert!(s.browser.recount, "counted again after a change");

    // Esc cancels a confirmation without a change.
    press(&mut s, KeyCode::Char('D'));
    assert!(matches!(s.overlay, oubli::tui::state::Overlay::Confirm(_)));
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(matches!(s.overlay, oubli::tui::state::Overlay::None));
    assert!(s.browser.changing.is_none());
}

/// Patterns that share a prefix fold into folders with their totals;
/// single chains (`app:production:…`) stay one line; left / right and
/// Enter close and open a folder; a change asks for a namespace, not a folder.
#[test]
fn the_namespace_tree_folds_shared_prefixes() {
    let mut census = census();
    census.namespaces.extend([
        ns("user:{int}:notifications", 999, 80_000, 999, 0, &[], &[]),
        ns(
            "user:{int}:rdvs",
            500,
            40_000,
            0,
            0,
            &[],
            &[Kind::PersonName],
        ),
        ns("stat:failed", 1, 56, 1, 0, &[], &[]),
    ]);
    let mut s = with_census(census);
    let screen = draw(&s, 120, 40);
    insta::assert_snapshot!("tree_120x40", screen);
    let rows = s.browser.tree();
    let labels: Vec<(usize, &str)> = rows.iter().map(|r| (r.depth, r.label.as_str())).collect();
    assert_eq!(
        labels,
        vec![
            (0, "rdv:sessions:{hex}"),
            (0, "user:{int}:"),
            (1, "profile"),
            (1, "notifications"),
            (1, "rdvs"),
            (0, "cache:api-adresse:{address}"),
            (0, "app:production:user_session_domain:{email}"),
            (0, "rate_limit:{ip}"),
            (0, "stat:"),
            (1, "failed"),
            (1, "processed"),
        ]
    );
    // The folder adds up its namespaces.
    assert_eq!(rows[1].totals.keys, 7_467 + 999 + 500);
    assert_eq!(rows[1].totals.no_ttl, 5_227 + 999);
    assert_eq!(rows[1].totals.pii_kinds().count(), 4);

    // On the folder: T asks for a namespace; Left closes it, Right opens it.
    press(&mut s, KeyCode::Down);
    assert_eq!(
        s.browser.remediation(false, Some(3600)).unwrap_err(),
        "a folder holds several namespaces: select one"
    );
    press(&mut s, KeyCode::Left);
    assert_eq!(s.browser.tree().len(), 8);
    // At 80x24 the pane is zoomed (z) to read the tree.
    press(&mut s, KeyCode::Char('z'));
    let screen = draw(&s, 80, 24);
    press(&mut s, KeyCode::Char('z'));
    assert!(screen.contains("▸ user:{int}: (3)"), "{screen}");
    insta::assert_snapshot!("tree_closed_80x24", screen);
    press(&mut s, KeyCode::Right);
    assert_eq!(s.browser.tree().len(), 11);
    // Enter on a folder closes it too, and opens nothing.
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert_eq!(s.browser.tree().len(), 8);
    press(&mut s, KeyCode::Enter);
    // A namespace in it opens its keys; Left from there goes to the folder.
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Left);
    assert_eq!(s.browser.ns_cursor.selected, 1);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Browser(BrowserEffect::LoadKeys {
            glob: b"user:*:notifications".to_vec(),
            cursor: 0
        })]
    );
}

#[test]
fn a_kind_word_filters_and_the_namespace_detail_lists_every_kind() {
    let mut s = state();
    // `email` keeps the namespaces where e-mails were found, in names or
    // values, not only the patterns holding the text.
    press(&mut s, KeyCode::Char('/'));
    for c in "email".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    press(&mut s, KeyCode::Enter);
    let screen = draw(&s, 80, 24);
    assert!(screen.contains("filter \"email\""), "{screen}");
    assert!(screen.contains("rdv:sessions:{hex}"), "{screen}");
    assert!(screen.contains("user:{int}:profile"), "{screen}");
    assert!(!screen.contains("rate_limit:{ip}"), "{screen}");
    // Reopening `/` shows the filter in force, in the Redis words.
    press(&mut s, KeyCode::Char('/'));
    let screen = draw(&s, 80, 24);
    assert!(screen.contains("/ filter namespaces"), "{screen}");
    match &s.overlay {
        oubli::tui::state::Overlay::Search(input) => assert_eq!(input.lines(), ["email"]),
        _ => panic!("the search is not open"),
    }
    press(&mut s, KeyCode::Esc);
    // `i`: the whole list of kinds, which the table's column cuts.
    let mut rich = census();
    rich.namespaces[1].value_pii.extend([
        (Kind::PersonName, 2),
        (Kind::DateOfBirth, 1),
        (Kind::Iban, 1),
    ]);
    rich.namespaces[1]
        .examples
        .insert(Kind::Email, "j***@e***.fr".into());
    rich.namespaces[1].ttl_histogram = [5_227, 0, 1_000, 1_240, 0, 0, 0];
    rich.namespaces[1].sampled = 200;
    rich.namespaces[1].types.insert("hash".into(), 7_467);
    let mut s = with_census(rich);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('i'));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&s, w, h);
        for kind in [
            "email",
            "phone",
            "postal_address",
            "person_name",
            "date_of_birth",
            "iban",
        ] {
            assert!(screen.contains(kind), "{kind} missing: {screen}");
        }
        assert!(screen.contains("j***@e***.fr"), "{screen}");
        assert!(screen.contains("no TTL: 5,227 (70%)"), "{screen}");
        assert!(screen.contains("<1d 1,000"), "{screen}");
        assert!(screen.contains("› user:{int}:profile"), "{screen}");
        insta::assert_snapshot!(format!("namespace_detail_{w}x{h}"), screen);
    }
    // Esc closes the detail, back to the list.
    press(&mut s, KeyCode::Esc);
    assert!(!s.browser.detail);
}

#[test]
fn the_namespace_table_is_readable_at_every_width_without_zoom() {
    let s = state();
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let screen = draw(&s, w, h);
        // Names keep at least 24 columns: the longest pattern shows that far.
        assert!(
            screen.contains("app:production:user_sess"),
            "{w}x{h}: {screen}"
        );
        // The kinds column is not cut for these (the detail shows them all).
        assert!(screen.contains("addr email phone"), "{w}x{h}: {screen}");
        if w == 200 {
            insta::assert_snapshot!("namespaces_200x50", screen);
        }
    }
}
