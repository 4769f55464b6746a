//! Themes (src/tui/theme.rs) and SVG screenshots (src/tui/svg.rs).

use oubli::tui::svg::{buffer_to_svg, CELL_WIDTH, PADDING};
use oubli::tui::theme::{nearest_xterm256, xterm256_rgb, Theme, ThemeError};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, List, ListItem, Paragraph};
use ratatui::Terminal;

fn builtins() -> Vec<Theme> {
    Theme::BUILTIN
        .iter()
        .map(|n| Theme::builtin(n).unwrap_or_else(|| panic!("builtin {n} missing")))
        .collect()
}

fn colours(style: &Style) -> [Option<Color>; 3] {
    [style.fg, style.bg, style.underline_color]
}

// ---------------------------------------------------------------- builtins

#[test]
fn every_builtin_parses_and_loads_by_name() {
    for name in Theme::BUILTIN {
        let theme = Theme::builtin(name).unwrap();
        assert_eq!(theme.name, *name);
        assert_eq!(Theme::load(name).unwrap(), theme);
        assert_eq!(theme.styles().len(), Theme::SLOTS.len());
    }
    assert_eq!(Theme::default().name, "dark");
    assert!(Theme::builtin("solarized").is_none());
}

#[test]
fn slots_that_must_differ_do() {
    let must_differ = [
        ("selected", "text"),
        ("banner_write", "banner_read_only"),
        ("border_focused", "border"),
        ("title_focused", "title"),
        ("highlight", "text"),
        ("pii", "text"),
        ("pii", "masked"),
        ("pii", "highlight"),
        ("masked", "text"),
        ("dangerous", "text"),
        ("disabled", "text"),
        ("error", "text"),
        ("ok", "warn"),
        ("key", "hint"),
    ];
    for theme in builtins() {
        for variant in [theme.clone(), theme.clone().without_colour()] {
            let styles = variant.styles();
            let get = |slot: &str| styles.iter().find(|(n, _)| *n == slot).unwrap().1;
            for (a, b) in must_differ {
                // Without colour, a few pairs can only differ by colour.
                if variant != theme && matches!((a, b), ("ok", "warn") | ("masked", "text")) {
                    continue;
                }
                assert_ne!(get(a), get(b), "{}: {a} == {b} ({variant:?})", theme.name);
            }
        }
    }
}

#[test]
fn write_banner_is_alarming_and_bold() {
    for theme in builtins() {
        let banner = theme.banner_write;
        assert!(
            banner.add_modifier.contains(Modifier::BOLD),
            "{}",
            theme.name
        );
        let red = match banner.bg {
            Some(Color::Red | Color::LightRed) => true,
            Some(Color::Rgb(r, g, b)) => r > 0x80 && g < 0x40 && b < 0x40,
            _ => false,
        };
        assert!(red, "{}: write banner bg {:?}", theme.name, banner.bg);
    }
}

#[test]
fn without_colour_keeps_no_colour_but_keeps_the_selection_visible() {
    for theme in builtins() {
        let plain = theme.clone().without_colour();
        assert_eq!(plain.name, theme.name);
        for (slot, style) in plain.styles() {
            assert_eq!(colours(&style), [None; 3], "{}: {slot}", theme.name);
        }
        assert!(plain.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(plain.title_focused.add_modifier.contains(Modifier::BOLD));
        assert!(plain.border_focused.add_modifier.contains(Modifier::BOLD));
        assert!(plain
            .banner_write
            .add_modifier
            .contains(Modifier::REVERSED | Modifier::BOLD));
        // Modifiers of the coloured theme are kept, but the read-only banner
        // is never bold so that it cannot look like the write banner.
        for ((slot, before), (_, after)) in theme.styles().into_iter().zip(plain.styles()) {
            let mut expected = before.add_modifier;
            if slot == "banner_read_only" {
                expected.remove(Modifier::BOLD);
            }
            assert!(after.add_modifier.contains(expected), "{slot}");
        }
        assert!(!plain.banner_read_only.add_modifier.contains(Modifier::BOLD));
    }
}

#[test]
fn ansi16_uses_only_the_16_named_colours() {
    let theme = Theme::builtin("ansi16").unwrap();
    for (slot, style) in theme.styles() {
        for colour in colours(&style).into_iter().flatten() {
            assert!(
                !matches!(colour, Color::Rgb(..) | Color::Indexed(_)),
                "ansi16 {slot}: {colour:?}"
            );
        }
    }
}

#[test]
fn hex_palettes_are_exact_xterm256_colours_so_the_downgrade_is_lossless() {
    for name in ["dark", "light"] {
        let theme = Theme::builtin(name).unwrap();
        let down = theme.clone().downgraded_to_256();
        for ((slot, style), (_, low)) in theme.styles().into_iter().zip(down.styles()) {
            for (c, d) in colours(&style).into_iter().zip(colours(&low)) {
                if let Some(Color::Rgb(r, g, b)) = c {
                    assert_eq!(d, Some(Color::Indexed(nearest_xterm256(r, g, b))));
                    assert_eq!(
                        xterm256_rgb(nearest_xterm256(r, g, b)),
                        (r, g, b),
                        "{name} {slot}: #{r:02x}{g:02x}{b:02x} is not an xterm-256 colour"
                    );
                } else {
                    assert_eq!(c, d);
                }
            }
        }
    }
}

#[test]
fn xterm256_table() {
    assert_eq!(xterm256_rgb(16), (0, 0, 0));
    assert_eq!(xterm256_rgb(196), (0xff, 0, 0));
    assert_eq!(xterm256_rgb(231), (0xff, 0xff, 0xff));
    assert_eq!(xterm256_rgb(232), (8, 8, 8));
    assert_eq!(xterm256_rgb(255), (0xee, 0xee, 0xee));
    assert_eq!(nearest_xterm256(0xff, 0x00, 0x01), 196);
    assert_eq!(nearest_xterm256(0x1c, 0x1c, 0x1c), 234);
}

#[test]
fn from_env_honours_no_color_and_colorterm() {
    // The only test that touches these variables.
    std::env::set_var("NO_COLOR", "1");
    let plain = Theme::from_env(None).unwrap();
    std::env::set_var("NO_COLOR", "");
    std::env::set_var("COLORTERM", "truecolor");
    let truecolor = Theme::from_env(Some("light")).unwrap();
    std::env::remove_var("COLORTERM");
    let indexed = Theme::from_env(None).unwrap();
    std::env::remove_var("NO_COLOR");

    assert_eq!(plain, Theme::builtin("dark").unwrap().without_colour());
    assert_eq!(truecolor, Theme::builtin("light").unwrap());
    assert_eq!(indexed, Theme::builtin("dark").unwrap().downgraded_to_256());
    assert!(matches!(indexed.base.bg, Some(Color::Indexed(234))));
}

// ------------------------------------------------------------------ files

/// `name = {}` for every slot but `except`, one per line.
fn other_slots(except: &[&str]) -> String {
    Theme::SLOTS
        .iter()
        .filter(|s| !except.contains(s))
        .map(|s| format!("{s} = {{}}\n"))
        .collect()
}

fn invalid(src: &str) -> (usize, usize, String) {
    match Theme::from_toml("t", "themes/t.toml", src) {
        Err(ThemeError::Invalid {
            file,
            line,
            column,
            reason,
        }) => {
            assert_eq!(file, "themes/t.toml");
            (line, column, reason)
        }
        other => panic!("expected an invalid theme, got {other:?}"),
    }
}

const HEAD: &str = "# a test theme\n[palette]\nfg = \"#ffffff\"\n\n[slots]\n";

#[test]
fn a_minimal_theme_resolves_palette_names_literals_and_modifiers() {
    let src = format!(
        "{HEAD}text = {{ fg = \"fg\", bg = \"ansi:17\", bold = true, dim = false }}\n\
         selected = {{ fg = \"lightcyan\", bg = \"reset\", reversed = true }}\n{}",
        other_slots(&["text", "selected"])
    );
    let theme = Theme::from_toml("t", "t.toml", &src).unwrap();
    assert_eq!(
        theme.text,
        Style::new()
            .fg(Color::Rgb(255, 255, 255))
            .bg(Color::Indexed(17))
            .add_modifier(Modifier::BOLD)
            .remove_modifier(Modifier::DIM)
    );
    assert_eq!(
        theme.selected,
        Style::new()
            .fg(Color::LightCyan)
            .bg(Color::Reset)
            .add_modifier(Modifier::REVERSED)
    );
    assert_eq!(theme.base, Style::new());
}

#[test]
fn syntax_error_has_its_position() {
    // Line 3, the value is not quoted: the error points at the `#`.
    let src = "[palette]\nfg = \"#ffffff\"\nbg = #000000\n";
    let (line, column, reason) = invalid(src);
    assert_eq!((line, column), (3, 6), "{reason}");
}

#[test]
fn unknown_slot_is_named_with_a_suggestion() {
    let src = format!("{HEAD}bordr = {{ fg = \"fg\" }}\n{}", other_slots(&[]));
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (6, 1));
    assert_eq!(reason, "unknown slot 'bordr' (did you mean 'border'?)");
}

#[test]
fn undefined_palette_name_names_the_slot() {
    let src = format!(
        "{HEAD}text = {{ fg = \"fg\", bg = \"paper\" }}\n{}",
        other_slots(&["text"])
    );
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (6, 26));
    assert_eq!(
        reason,
        "slot 'text', bg: 'paper' is neither a name in [palette] nor a colour"
    );
}

#[test]
fn bad_colour_strings_have_their_position() {
    // In the palette.
    let src = format!(
        "[palette]\nfg = \"#ffffff\"\nbg = \"#12345\"\n[slots]\n{}",
        other_slots(&[])
    );
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (3, 6));
    assert!(
        reason.starts_with("palette 'bg': bad colour '#12345': expected"),
        "{reason}"
    );

    // In a slot, and an out-of-range index.
    let src = format!(
        "{HEAD}  warn = {{ fg = \"ansi:256\" }}\n{}",
        other_slots(&["warn"])
    );
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (6, 17));
    assert!(
        reason.starts_with("slot 'warn', fg: bad colour 'ansi:256'"),
        "{reason}"
    );

    // An unknown colour name.
    let src = "[palette]\nfg = \"purple\"\n[slots]\n";
    let (line, column, reason) = invalid(src);
    assert_eq!((line, column), (2, 6));
    assert!(
        reason.starts_with("palette 'fg': bad colour 'purple'"),
        "{reason}"
    );
}

#[test]
fn unknown_fields_are_refused() {
    let src = format!("{HEAD}key = {{ bolt = true }}\n{}", other_slots(&["key"]));
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (6, 9));
    assert!(reason.contains("unknown field `bolt`"), "{reason}");

    let src = format!("[colours]\nfg = \"red\"\n[slots]\n{}", other_slots(&[]));
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (1, 2));
    assert!(reason.contains("unknown field `colours`"), "{reason}");
}

#[test]
fn missing_slots_are_named() {
    let src = format!("{HEAD}{}", other_slots(&["pii", "masked"]));
    let (line, column, reason) = invalid(&src);
    assert_eq!((line, column), (5, 1));
    assert!(
        reason.starts_with("missing slots 'pii', 'masked'"),
        "{reason}"
    );

    let (line, column, reason) = invalid("[palette]\n");
    assert_eq!((line, column), (1, 1));
    assert!(reason.contains("missing field `slots`"), "{reason}");
}

#[test]
fn errors_display_as_file_line_column_reason() {
    let src = format!("{HEAD}bordr = {{}}\n{}", other_slots(&[]));
    let err = Theme::from_toml("t", "themes/x.toml", &src).unwrap_err();
    assert_eq!(err.position(), Some((6, 1)));
    assert_eq!(
        err.to_string(),
        "themes/x.toml:6:1: unknown slot 'bordr' (did you mean 'border'?)"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let src = "[palette]\n\"café\" = \"#zz\"\n[slots]\n";
    let (line, column, _) = invalid(src);
    assert_eq!((line, column), (2, 10));
}

#[test]
fn load_from_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/ansi16.toml"))
        .unwrap();
    std::fs::write(&path, src).unwrap();
    let theme = Theme::load(path.to_str().unwrap()).unwrap();
    assert_eq!(theme.name, "mine");
    assert_eq!(theme.selected, Theme::builtin("ansi16").unwrap().selected);

    std::fs::write(&path, "[slots]\nbase = { fg = \"nope\" }\n").unwrap();
    let err = Theme::load(path.to_str().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:15: slot 'base', fg: 'nope' is neither a name in [palette] nor a colour",
            path.display()
        )
    );

    let missing = dir.path().join("absent.toml");
    assert!(matches!(
        Theme::load(missing.to_str().unwrap()),
        Err(ThemeError::Read { .. })
    ));
    assert!(matches!(
        Theme::load("solarized"),
        Err(ThemeError::Unknown { .. })
    ));
}

// -------------------------------------------------------------------- svg

fn parse_svg(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"))
}

/// The text of every `<tspan>`, in order.
fn tspans(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

fn svg_of(buf: &Buffer) -> String {
    buffer_to_svg(
        buf,
        Color::Rgb(0xd0, 0xd0, 0xd0),
        Color::Rgb(0x1c, 0x1c, 0x1c),
    )
}

#[test]
fn svg_snapshot_of_a_small_buffer() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 16, 3));
    buf.set_string(
        0,
        0,
        "oubli",
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    );
    buf.set_string(6, 0, "RO", Style::new().fg(Color::Black).bg(Color::Green));
    buf.set_string(0, 1, "> a:1", Style::new().add_modifier(Modifier::REVERSED));
    buf.set_string(
        6,
        1,
        "j***@x.fr",
        Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC),
    );
    buf.set_string(
        0,
        2,
        "ttl",
        Style::new()
            .fg(Color::Indexed(214))
            .add_modifier(Modifier::UNDERLINED),
    );
    buf.set_string(4, 2, "7 d", Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87)));
    let svg = svg_of(&buf);
    parse_svg(&svg);
    insta::assert_snapshot!(svg);
}

#[test]
fn svg_runs_merge_cells_of_one_style() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 1));
    let red = Style::new().fg(Color::Red).bg(Color::Blue);
    buf.set_string(2, 0, "hello world", red);
    let svg = svg_of(&buf);
    let doc = parse_svg(&svg);
    assert_eq!(tspans(&doc), ["hello world"]);
    let span = doc.descendants().find(|n| n.has_tag_name("tspan")).unwrap();
    assert_eq!(span.attribute("x"), Some("16.8"));
    assert_eq!(span.attribute("textLength"), Some("92.4"));
    assert_eq!(span.attribute("fill"), Some("#cd0000"));
    let rects: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#0000ee"))
        .collect();
    assert_eq!(rects.len(), 1, "one background rect for the run");
    assert_eq!(rects[0].attribute("width"), Some("92.4"));
}

#[test]
fn svg_escapes_markup_and_drops_control_characters() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 24, 1));
    let nasty = r#"<a href="x">&'</a>"#;
    buf.set_string(0, 0, nasty, Style::new());
    // set_string already filters control characters: put them in cells.
    buf[(20, 0)].set_symbol("\u{1b}");
    buf[(21, 0)].set_symbol("\u{7}x");
    let svg = svg_of(&buf);
    assert!(!svg.contains("<a"));
    assert!(!svg.chars().any(|c| c.is_control() && c != '\n'));
    let doc = parse_svg(&svg);
    // ESC becomes a blank cell, BEL is dropped from "\u{7}x".
    assert_eq!(tspans(&doc), [format!("{nasty}   x")]);
}

#[test]
fn svg_wide_characters_take_two_cells() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
    let style = Style::new().bg(Color::Indexed(24));
    buf.set_string(0, 0, "日本🦀x", style);
    let svg = svg_of(&buf);
    let doc = parse_svg(&svg);
    // No blank between the wide characters: their second cell is skipped.
    assert_eq!(tspans(&doc), ["日本🦀x"]);
    let span = doc.descendants().find(|n| n.has_tag_name("tspan")).unwrap();
    assert_eq!(span.attribute("textLength"), Some("58.8")); // 7 cells
    let rect = doc
        .descendants()
        .find(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#005f87"))
        .unwrap();
    assert_eq!(rect.attribute("width"), Some("58.8"));
}

#[test]
fn svg_reversed_swaps_colours_and_reset_uses_the_defaults() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
    let style = Style::new()
        .fg(Color::Rgb(1, 2, 3))
        .bg(Color::Rgb(250, 251, 252))
        .add_modifier(Modifier::REVERSED);
    buf.set_string(0, 0, "sel", style);
    buf.set_string(0, 1, "rev", Style::new().add_modifier(Modifier::REVERSED));
    let svg = svg_of(&buf);
    let doc = parse_svg(&svg);
    let fills = |tag: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter_map(|n| n.attribute("fill").map(str::to_owned))
            .collect()
    };
    // frame, then the two reversed runs (Reset reversed = default fg as bg).
    assert_eq!(fills("rect"), ["#1c1c1c", "#010203", "#d0d0d0"]);
    assert_eq!(fills("tspan"), ["#fafbfc", "#1c1c1c"]);
}

#[test]
fn svg_modifiers_become_font_attributes() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
    buf.set_string(0, 0, "b", Style::new().add_modifier(Modifier::BOLD));
    buf.set_string(2, 0, "i", Style::new().add_modifier(Modifier::ITALIC));
    buf.set_string(4, 0, "u", Style::new().add_modifier(Modifier::UNDERLINED));
    buf.set_string(6, 0, "d", Style::new().add_modifier(Modifier::DIM));
    buf.set_string(8, 0, "h", Style::new().add_modifier(Modifier::HIDDEN));
    let svg = svg_of(&buf);
    let doc = parse_svg(&svg);
    let spans: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .collect();
    assert_eq!(tspans(&doc), ["b", "i", "u", "d"]);
    assert_eq!(spans[0].attribute("font-weight"), Some("bold"));
    assert_eq!(spans[1].attribute("font-style"), Some("italic"));
    assert_eq!(spans[2].attribute("text-decoration"), Some("underline"));
    assert_eq!(spans[3].attribute("fill-opacity"), Some("0.6"));
}

/// A screen like the app's, drawn with a theme's slots only.
fn demo_screen(theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            f.render_widget(Block::new().style(theme.base), area);
            let [header, banner, body, hints] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Fill(1),
                Constraint::Length(1),
            ])
            .areas(area);
            f.render_widget(
                Paragraph::new(" oubli · Booking service — production").style(theme.header),
                header,
            );
            f.render_widget(
                Paragraph::new(" READ-ONLY · redis: cache · postgres: main")
                    .style(theme.banner_read_only),
                banner,
            );
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(body);
            let pane = |title: &'static str, focused: bool| {
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .title(title)
                    .border_style(if focused {
                        theme.border_focused
                    } else {
                        theme.border
                    })
                    .title_style(if focused {
                        theme.title_focused
                    } else {
                        theme.title
                    })
            };
            let items = [
                ("app:", "12 034", theme.text),
                ("session:", "8 211", theme.selected),
                ("cache:api-adresse:", "402", theme.text),
                ("rate_limit:", "97", theme.text),
            ];
            let list = List::new(items.iter().map(|(ns, n, style)| {
                ListItem::new(Line::from(vec![
                    Span::raw(format!("{ns:<20}")),
                    Span::styled(*n, theme.muted),
                ]))
                .style(*style)
            }))
            .block(pane(" Keyspace ", true));
            f.render_widget(list, left);
            let lines = vec![
                Line::from(vec![
                    Span::styled("email  ", theme.muted),
                    Span::styled("j***@x.fr", theme.masked),
                ]),
                Line::from(vec![
                    Span::styled("email  ", theme.muted),
                    Span::styled("jane@x.fr", theme.pii),
                ]),
                Line::from(Span::styled("✔ TTL within 7 days", theme.ok)),
                Line::from(Span::styled("⚠ 214 keys without TTL", theme.warn)),
                Line::from(Span::styled("✘ backups never expire", theme.error)),
                Line::from(Span::styled("erase (write mode only)", theme.disabled)),
                Line::from(Span::styled("ERASE jane@x.fr", theme.dangerous)),
                Line::from(Span::styled("match <here> & \"there\"", theme.highlight)),
                Line::from("名前: 日本 🦀"),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .style(theme.text)
                    .block(pane(" Value ", false)),
                right,
            );
            let popup = Rect::new(width / 2 - 14, height / 2 + 2, 28, 3);
            f.render_widget(Clear, popup);
            f.render_widget(
                Paragraph::new(Span::styled("filter: app:*", theme.input))
                    .block(pane(" Filter ", true))
                    .style(theme.popup),
                popup,
            );
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(" q", theme.key),
                    Span::styled(" quit  ", theme.hint),
                    Span::styled("/", theme.key),
                    Span::styled(" filter  ", theme.hint),
                    Span::styled("e", theme.key),
                    Span::styled(" erase", theme.disabled),
                ])),
                hints,
            );
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

#[test]
fn svg_of_real_screens_is_well_formed_for_every_theme() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).unwrap();
    for theme in builtins() {
        for (suffix, variant) in [
            ("", theme.clone()),
            ("-no-color", theme.clone().without_colour()),
        ] {
            for (w, h) in [(80u16, 24u16), (120, 40)] {
                let buf = demo_screen(&variant, w, h);
                let fg = variant.base.fg.unwrap_or(Color::Reset);
                let bg = variant.base.bg.unwrap_or(Color::Reset);
                let svg = buffer_to_svg(&buf, fg, bg);
                let doc = parse_svg(&svg);
                let root = doc.root_element();
                assert_eq!(root.tag_name().name(), "svg");
                let expected = f64::from(w) * CELL_WIDTH + 2.0 * PADDING;
                let width: f64 = root.attribute("width").unwrap().parse().unwrap();
                assert!((width - expected).abs() < 0.01);
                assert!(svg.contains("名前"));
                // Kept for looking at: target/tmp/screens/*.svg.
                let file = dir.join(format!("{}{suffix}-{w}x{h}.svg", theme.name));
                std::fs::write(file, &svg).unwrap();
            }
        }
    }
}
