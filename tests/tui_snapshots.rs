//! The main screen rendered by `render(&AppState, &Theme, &mut Frame)` into
//! ratatui's TestBackend, at 80x24 and 120x40, from the example register
//! and fixed server figures. Review changes with `cargo insta review`.

use std::time::{Duration, Instant};

use chrono::{Local, TimeZone};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use oubli::postgres::{PgOverview, TableStat};
use oubli::redis::{DbStat, RedisOverview};
use oubli::tui::action::PaneId;
use oubli::tui::render::render;
use oubli::tui::state::{AppState, BgMsg, Probe, Remote};
use oubli::tui::theme::Theme;

fn example_state(now: Instant) -> AppState {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    let loaded = oubli::register::load_file(&path).expect("example register");
    let mut state = AppState::new(&loaded, false, now);
    state.register_path = "config/example.toml".into();
    state
}

fn with_data(mut state: AppState) -> AppState {
    let at = Local.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap();
    state.redis[0].remote = Remote::Ready {
        data: RedisOverview {
            version: "7.0.15".into(),
            mode: "standalone".into(),
            role: "master".into(),
            used_memory: 27_262_976,
            connected_clients: 3,
            ops_per_sec: 118,
            dbs: vec![
                DbStat {
                    db: 0,
                    keys: 50_000,
                    expires: 34_210,
                    avg_ttl_ms: 3_600_000,
                },
                DbStat {
                    db: 2,
                    keys: 1_204,
                    expires: 1_204,
                    avg_ttl_ms: 60_000,
                },
            ],
            ..Default::default()
        },
        at,
    };
    let t = |name: &str, rows: i64, bytes: i64| TableStat {
        schema: "public".into(),
        name: name.into(),
        estimated_rows: rows,
        total_bytes: bytes,
    };
    state.postgres[0].remote = Remote::Ready {
        data: PgOverview {
            version: "15.20 (Debian 15.20-0+deb12u1)".into(),
            database: "booking".into(),
            size_bytes: 48_000_000,
            in_recovery: false,
            tables: vec![
                t("versions", 40_000, 14_000_000),
                t("receipts", 30_000, 9_500_000),
                t("participations", 29_973, 4_100_000),
                t("appointments", 20_000, 6_200_000),
                t("users", 10_000, 3_900_000),
                t("agents", 1_000, 300_000),
                t("organisations", 100, 40_000),
                t("webhook_endpoints", 34, 16_384),
            ],
        },
        at,
    };
    state
}

fn draw(state: &AppState, theme: &Theme, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(state, theme, f)).unwrap();
    terminal
}

fn key(state: &mut AppState, code: KeyCode) {
    state.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn main_screen_80x24() {
    let state = with_data(example_state(Instant::now()));
    let theme = Theme::builtin("dark").unwrap();
    insta::assert_snapshot!(draw(&state, &theme, 80, 24).backend());
}

#[test]
fn main_screen_120x40() {
    let state = with_data(example_state(Instant::now()));
    let theme = Theme::builtin("dark").unwrap();
    insta::assert_snapshot!(draw(&state, &theme, 120, 40).backend());
}

#[test]
fn redis_pane_focused_80x24() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char('2'));
    assert_eq!(state.focus, PaneId::Redis);
    let theme = Theme::builtin("dark").unwrap();
    insta::assert_snapshot!(draw(&state, &theme, 80, 24).backend());
}

#[test]
fn loading_and_failed_connections_say_so_and_count_down() {
    let now = Instant::now();
    let mut state = example_state(now);
    state.on_bg(BgMsg::Postgres {
        conn: "main-db".into(),
        gen: 0,
        probe: Probe::Failed {
            error: "cannot connect to Postgres at postgresql://oubli_readonly@127.0.0.1:5432/booking: connection refused".into(),
            retry_in: Duration::from_secs(8),
        },
    });
    state.on_tick(now + Duration::from_millis(2_500));
    let theme = Theme::builtin("dark").unwrap();
    key(&mut state, KeyCode::Char('z'));
    key(&mut state, KeyCode::Char('3'));
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(
        screen.contains("error: cannot connect to Postgres"),
        "{screen}"
    );
    assert!(screen.contains("retrying in 6s"), "{screen}");
    key(&mut state, KeyCode::Char('2'));
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(screen.contains("loading… (2s)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_lists_the_keymap_and_the_mode() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char('?'));
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    for b in oubli::tui::keymap::BINDINGS
        .iter()
        .filter(|b| b.context == oubli::tui::action::Context::Global)
    {
        assert!(
            screen.contains(b.description),
            "help lacks {:?}",
            b.description
        );
    }
    assert!(screen.contains("READ-ONLY: nothing is written"));
    insta::assert_snapshot!(screen);
    key(&mut state, KeyCode::Esc);
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(!screen.contains("Help — Esc to close"));
}

#[test]
fn palette_filters_and_runs_a_command() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char(':'));
    for c in "postg".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(screen.contains("Postgres pane"), "{screen}");
    assert!(!screen.contains("Redis pane"), "{screen}");
    insta::assert_snapshot!(screen);
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.focus, PaneId::Postgres);
    assert!(matches!(state.overlay, oubli::tui::state::Overlay::None));
}

#[test]
fn write_mode_shows_its_banner() {
    let mut state = with_data(example_state(Instant::now()));
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(screen.contains("READ-ONLY") && !screen.contains("WRITE MODE"));
    state.write_mode = true;
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(screen.contains("WRITE MODE") && !screen.contains("READ-ONLY"));
}

#[test]
fn tiny_terminals_get_a_message_not_a_mess() {
    let state = with_data(example_state(Instant::now()));
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 30, 8).backend().to_string();
    assert!(screen.contains("30x8, needs 40x10"), "{screen}");
    // And nothing panics at any small size.
    for w in 0..45 {
        for h in 0..12 {
            draw(&state, &theme, w, h);
        }
    }
}

#[test]
fn selecting_a_node_shows_its_details_and_flows() {
    let mut state = with_data(example_state(Instant::now()));
    // People (4), processes (3), then the first hosted storage: postgres.
    for _ in 0..7 {
        key(&mut state, KeyCode::Down);
    }
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(screen.contains("Main Postgres DB ─"), "{screen}");
    assert!(screen.contains("running the application"));
    assert!(screen.contains("↔ Web interface"));
    assert!(screen.contains("→ Postgres backups"), "{screen}");
    // The live line comes last: it needs a taller screen under the diagram.
    let screen = draw(&state, &theme, 120, 44).backend().to_string();
    assert!(screen.contains("main-db: 8 tables"), "{screen}");
}

#[test]
fn map_diagram_160x48() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char('z'));
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 160, 48).backend().to_string();
    insta::assert_snapshot!(screen);
}

/// `r` runs the classification again: the previous one stays on screen,
/// marked, until the new generation's arrives; an older one is dropped.
#[test]
fn a_refresh_classifies_again_and_drops_older_results() {
    let mut state = with_data(example_state(Instant::now()));
    let gen = state.bump_generation();
    let survey = |gen, error: &str| BgMsg::Survey {
        conn: "main-db".into(),
        gen,
        result: Err(error.into()),
        findings: Err(error.into()),
    };
    assert!(state.on_bg(survey(gen, "first")));
    assert!(!state.pg_surveying);
    let theme = Theme::builtin("dark").unwrap();
    key(&mut state, KeyCode::Char('3'));
    key(&mut state, KeyCode::Char('z'));
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(screen.contains("classification failed: first"), "{screen}");

    let (_, fx) = state.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    assert_eq!(fx, vec![oubli::tui::state::Effect::Refresh]);
    // What the loop does on Refresh: the monitors and the classification
    // start again at a new generation.
    let next = state.bump_generation();
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(
        screen.contains("classifying again… · classification failed: first"),
        "{screen}"
    );
    assert!(!state.on_bg(survey(gen, "stale")), "an older generation's");
    assert!(state.on_bg(survey(next, "second")));
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(
        screen.contains("classification failed: second") && !screen.contains("again"),
        "{screen}"
    );
}

/// Terminal injection: names that come from a store (a table, a schema, a
/// database, the server's version) are shown as visible escapes, and no
/// cell of the frame ever holds a control character.
#[test]
fn store_names_cannot_drive_the_terminal() {
    let mut state = with_data(example_state(Instant::now()));
    if let Remote::Ready { data, .. } = &mut state.postgres[0].remote {
        data.database = "db\x1b]0;PGPWN\x07".into();
        data.tables[0].name = "tbl\x1b[2J\x1b[H".into();
        data.tables[1].schema = "a\rSPOOFED".into();
    }
    let theme = Theme::builtin("dark").unwrap();
    key(&mut state, KeyCode::Char('3'));
    key(&mut state, KeyCode::Char('z'));
    let terminal = draw(&state, &theme, 120, 40);
    let buf = terminal.backend().buffer();
    assert!(
        buf.content
            .iter()
            .all(|c| !c.symbol().chars().any(char::is_control)),
        "a control character reached the frame"
    );
    let screen = terminal.backend().to_string();
    assert!(screen.contains("tbl\\x1b[2J\\x1b[H"), "{screen}");
    assert!(screen.contains("a\\rSPOOFED"), "{screen}");
    assert!(screen.contains("db\\x1b]0;PGPWN\\x07"), "{screen}");
}

/// The example register's findings, plus one of the census (a namespace)
/// and one of Postgres (a table), as the live checks add them.
fn with_store_findings(mut state: AppState) -> AppState {
    use oubli::check::{Finding, NamespaceRef, Severity};
    state.findings.push(Finding {
        kind: "pii_in_key_name",
        severity: Severity::High,
        storage: Some("redis".into()),
        namespace: Some(NamespaceRef {
            pattern: "rate_limit:{ip}".into(),
            keys: 1_991,
            bytes: 168_000,
            example: Some("rate_limit:192.168.*.*".into()),
        }),
        message: "1,991 keys of rate_limit:{ip} carry an IP address in their name.".into(),
        ..Finding::default()
    });
    state.findings.push(Finding {
        kind: "rows_past_retention",
        severity: Severity::High,
        storage: Some("postgres".into()),
        table: Some("appointments".into()),
        message: "appointments: 1,204 rows older than the retention (2 years).".into(),
        ..Finding::default()
    });
    state
}

#[test]
fn findings_view_lists_every_store_with_its_count_at_each_size() {
    let mut state = with_store_findings(with_data(example_state(Instant::now())));
    let n = state.findings.len();
    key(&mut state, KeyCode::Char('4'));
    let theme = Theme::builtin("dark").unwrap();
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let screen = draw(&state, &theme, w, h).backend().to_string();
        // The tab and the title carry the same count as the list.
        assert!(screen.contains(&format!("4 Findings · {n}")), "{screen}");
        assert!(screen.contains(&format!("{n} findings")), "{screen}");
        // Where each is: the namespace and the table of the store findings.
        assert!(screen.contains("Redis › rate_limit:{ip}"), "{screen}");
        assert!(
            screen.contains("Main Postgres DB › appointments"),
            "{screen}"
        );
        // No two columns run together: the severity is followed by a space.
        assert!(!screen.contains("highpii") && !screen.contains("mediumunknown"));
        insta::assert_snapshot!(format!("findings_{w}x{h}"), screen);
    }
    // At 200 columns the view focused before (the map) is shown beside it.
    let wide = draw(&state, &theme, 200, 50).backend().to_string();
    assert!(
        wide.contains("1 Data map") && wide.contains("Citizens"),
        "{wide}"
    );
    let narrow = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(!narrow.contains("People"), "{narrow}");
}

#[test]
fn the_findings_filter_shows_in_the_title_and_enter_goes_to_the_place() {
    let mut state = with_store_findings(with_data(example_state(Instant::now())));
    let theme = Theme::builtin("dark").unwrap();
    key(&mut state, KeyCode::Char('4'));
    key(&mut state, KeyCode::Char('/'));
    for c in "rows_past".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    key(&mut state, KeyCode::Enter);
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(screen.contains("filter \"rows_past\""), "{screen}");
    assert!(screen.contains("1 of "), "{screen}");
    insta::assert_snapshot!("findings_filtered_80x24", screen);
    // Severity cycles: high only keeps it, the count follows.
    key(&mut state, KeyCode::Char('s'));
    assert_eq!(state.visible_findings().len(), 1);
    // Enter: the Postgres view, on that table's row.
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.focus, PaneId::Postgres);
    let rdvs = state
        .pg_table_row("appointments")
        .expect("the table is listed");
    assert_eq!(state.pg_cursor.selected, rdvs);
    // Back in Findings, Esc clears the filter: every finding again.
    key(&mut state, KeyCode::Char('4'));
    key(&mut state, KeyCode::Esc);
    assert!(state.findings_view.filter.is_empty());
}

#[test]
fn the_palette_lists_every_view_s_commands_and_runs_them_there() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char('3'));
    key(&mut state, KeyCode::Char(':'));
    for c in "census".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    let entries = state.palette_entries("census");
    assert!(
        entries
            .iter()
            .any(|b| b.action == oubli::tui::action::Action::RunCensus),
        "census is offered from the Postgres view"
    );
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 80, 24).backend().to_string();
    assert!(
        screen.contains("run the census again") && screen.contains("Redis"),
        "{screen}"
    );
    // Ctrl-U clears the input.
    state.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    match &state.overlay {
        oubli::tui::state::Overlay::Palette(p) => assert_eq!(p.input.lines(), [""]),
        _ => panic!("the palette closed"),
    }
    for c in "census".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    let (_, fx) = state.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert_eq!(state.focus, PaneId::Redis);
    assert!(
        fx.contains(&oubli::tui::state::Effect::Browser(
            oubli::tui::browser::BrowserEffect::StartCensus
        )),
        "{fx:?}"
    );
}

#[test]
fn help_separates_long_keys_from_their_description() {
    let mut state = with_data(example_state(Instant::now()));
    key(&mut state, KeyCode::Char('2'));
    key(&mut state, KeyCode::Char('?'));
    let theme = Theme::builtin("dark").unwrap();
    let screen = draw(&state, &theme, 120, 40).backend().to_string();
    assert!(screen.contains("Esc/Backspace  back"), "{screen}");
}
