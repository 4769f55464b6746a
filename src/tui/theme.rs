//! Themes: a TOML palette plus named slots, resolved once into ratatui styles.
//!
//! A theme file (`themes/<name>.toml`) has two tables:
//!
//! * `[palette]`: named colours. A colour is `"#rrggbb"`, one of the sixteen
//!   ANSI names (`black red green yellow blue magenta cyan gray darkgray
//!   lightred lightgreen lightyellow lightblue lightmagenta lightcyan white`),
//!   `"reset"` (the terminal's own colour) or `"ansi:N"` (an indexed colour,
//!   0–255). Palette entries cannot refer to each other.
//! * `[slots]`: every slot of [`Theme`] (see [`Theme::SLOTS`]) mapped to
//!   `{ fg, bg, bold, italic, underline, reversed, dim }`, all optional. `fg`
//!   and `bg` name a palette entry or are a colour themselves. A modifier set
//!   to `true` is added, one set to `false` is removed from whatever is
//!   underneath, one left out is untouched.
//!
//! Every slot must be written down: a missing slot is an error that names it
//! (`slot = {}` inherits everything from what is underneath, which is `base`
//! for a pane's contents). Slots are *not* merged with `base` when resolved: a
//! `fg`/`bg` left out stays `None`, so a slot drawn over a popup keeps the
//! popup's background.
//!
//! Errors carry the file, line and column (1-based, columns counted in
//! characters) and the reason, e.g. `themes/x.toml:12:1: unknown slot 'bordr'
//! (did you mean 'border'?)`.
//!
//! Widgets never name a colour: they take a slot from the resolved [`Theme`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

/// Why a theme could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// The file is not a valid theme: bad TOML, an unknown or missing slot, an
    /// undefined palette name or a bad colour.
    #[error("{file}:{line}:{column}: {reason}")]
    Invalid {
        file: String,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        reason: String,
    },
    /// The theme file could not be read.
    #[error("{file}: cannot read the theme: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Neither a builtin theme nor a path to a theme file.
    #[error("unknown theme '{name}': not a builtin theme (dark, light, ansi16) nor a .toml file")]
    Unknown { name: String },
}

impl ThemeError {
    /// `(line, column)` of an [`ThemeError::Invalid`] error, both 1-based.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ThemeError::Invalid { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

macro_rules! theme_slots {
    ($( $(#[doc = $doc:literal])* $slot:ident, )+) => {
        /// Every style the screen uses, resolved once from a theme file.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            /// The builtin name, or the file stem of a theme file.
            pub name: String,
            $( $(#[doc = $doc])* pub $slot: Style, )+
        }

        impl Theme {
            /// The slot names, in declaration order, as written in theme files.
            pub const SLOTS: &'static [&'static str] = &[$(stringify!($slot)),+];

            /// Every slot with its name, in [`Theme::SLOTS`] order.
            pub fn styles(&self) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($slot), self.$slot)),+]
            }

            fn slot_mut(&mut self, name: &str) -> Option<&mut Style> {
                match name {
                    $(stringify!($slot) => Some(&mut self.$slot),)+
                    _ => None,
                }
            }

            fn unstyled(name: String) -> Theme {
                Theme { name, $($slot: Style::new(),)+ }
            }

            fn map_styles(mut self, f: impl Fn(&'static str, Style) -> Style) -> Theme {
                $(self.$slot = f(stringify!($slot), self.$slot);)+
                self
            }
        }
    };
}

theme_slots! {
    /// The screen's background and default text: drawn first, under everything.
    base,
    /// The top bar (app name, register, connections).
    header,
    /// The banner shown in read-only mode: calm.
    banner_read_only,
    /// The banner shown in write mode: alarming.
    banner_write,
    /// Borders of unfocused panes.
    border,
    /// The border of the focused pane.
    border_focused,
    /// Titles of unfocused panes.
    title,
    /// The title of the focused pane.
    title_focused,
    /// Ordinary text in a pane.
    text,
    /// Secondary text: counts, units, details.
    muted,
    /// The selected row or item.
    selected,
    /// A search match or a gap that must stand out.
    highlight,
    /// Key names in the hint bar and in help.
    key,
    /// Descriptions next to keys.
    hint,
    /// A check that passed.
    ok,
    /// A warning finding.
    warn,
    /// An error.
    error,
    /// A dangerous action (erase, bulk TTL) and its confirmation.
    dangerous,
    /// An action unavailable right now (e.g. dangerous ones in read-only mode).
    disabled,
    /// Personal data revealed on screen, and PII spans in a value.
    pii,
    /// Masked personal data (`j***@x.fr`).
    masked,
    /// Popups and dialogs.
    popup,
    /// Text inputs (filters, the `:` palette, typed confirmations).
    input,
}

const BUILTIN_SOURCES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
];

impl Default for Theme {
    /// The builtin `dark` theme.
    fn default() -> Theme {
        Theme::builtin("dark").expect("the builtin dark theme exists")
    }
}

impl Theme {
    /// The themes embedded in the binary.
    pub const BUILTIN: &'static [&'static str] = &["dark", "light", "ansi16"];

    /// A builtin theme by name, embedded in the binary (no file needed).
    pub fn builtin(name: &str) -> Option<Theme> {
        let (name, src) = BUILTIN_SOURCES.iter().find(|(n, _)| *n == name)?;
        let file = format!("themes/{name}.toml");
        // The builtin themes are checked by the tests: failing here is a bug.
        Some(Theme::from_toml(name, &file, src).unwrap_or_else(|e| panic!("{e}")))
    }

    /// A builtin theme name, or a path to a `.toml` theme file.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some(theme) = Theme::builtin(name_or_path) {
            return Ok(theme);
        }
        let path = Path::new(name_or_path);
        let looks_like_path = path.extension().is_some_and(|e| e == "toml")
            || name_or_path.contains(std::path::MAIN_SEPARATOR)
            || name_or_path.contains('/');
        if !looks_like_path && !path.is_file() {
            return Err(ThemeError::Unknown {
                name: name_or_path.to_owned(),
            });
        }
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
            file: file.clone(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.clone());
        Theme::from_toml(&name, &file, &src)
    }

    /// The theme to use: `name_or_path` or `dark`, without colour when
    /// `NO_COLOR` is set and not empty (<https://no-color.org>).
    ///
    /// Unless `COLORTERM` says `truecolor` or `24bit`, `#rrggbb` colours are
    /// sent as their nearest xterm-256 index (see [`Theme::downgraded_to_256`]);
    /// the builtin palettes only use exact xterm-256 colours, so nothing is
    /// lost, and terminals without 24-bit colour (or an SSH session that did
    /// not forward `COLORTERM`) still show the intended colours.
    pub fn from_env(name_or_path: Option<&str>) -> Result<Theme, ThemeError> {
        let theme = Theme::load(name_or_path.unwrap_or("dark"))?;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color {
            return Ok(theme.without_colour());
        }
        let truecolor = std::env::var("COLORTERM")
            .is_ok_and(|v| v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit"));
        Ok(if truecolor {
            theme
        } else {
            theme.downgraded_to_256()
        })
    }

    /// The same theme with every foreground and background colour removed
    /// (for `NO_COLOR`). Modifiers are kept, and some are forced so that
    /// nothing that matters relies on colour alone: the selection is
    /// reversed, banners are reversed (the write banner bold, the read-only
    /// one never), focused borders and titles, keys, errors and dangerous
    /// actions are bold, highlights (bold) and personal data (italic) are
    /// underlined, secondary, disabled and masked text is dim.
    pub fn without_colour(self) -> Theme {
        self.map_styles(|slot, style| {
            let kept = Style::new()
                .add_modifier(style.add_modifier)
                .remove_modifier(style.sub_modifier);
            // The read-only banner loses its bold so that it never looks
            // like the write banner.
            let kept = if slot == "banner_read_only" {
                kept.remove_modifier(Modifier::BOLD)
            } else {
                kept
            };
            let forced = match slot {
                "selected" | "banner_read_only" => Modifier::REVERSED,
                "banner_write" => Modifier::REVERSED | Modifier::BOLD,
                "header" | "border_focused" | "title_focused" | "key" | "error" | "dangerous" => {
                    Modifier::BOLD
                }
                "highlight" => Modifier::BOLD | Modifier::UNDERLINED,
                "pii" => Modifier::ITALIC | Modifier::UNDERLINED,
                "muted" | "hint" | "disabled" | "masked" => Modifier::DIM,
                _ => Modifier::empty(),
            };
            kept.add_modifier(forced)
        })
    }

    /// The same theme with every `#rrggbb` colour replaced by the nearest
    /// xterm-256 indexed colour (16–255), for terminals without 24-bit colour.
    pub fn downgraded_to_256(self) -> Theme {
        fn down(c: Option<Color>) -> Option<Color> {
            match c {
                Some(Color::Rgb(r, g, b)) => Some(Color::Indexed(nearest_xterm256(r, g, b))),
                other => other,
            }
        }
        self.map_styles(|_, mut style| {
            style.fg = down(style.fg);
            style.bg = down(style.bg);
            style.underline_color = down(style.underline_color);
            style
        })
    }

    /// Parses and resolves a theme from TOML text. `file` is only used in
    /// error messages.
    pub fn from_toml(name: &str, file: &str, src: &str) -> Result<Theme, ThemeError> {
        let invalid = |span: Option<Range<usize>>, reason: String| {
            let (line, column) = line_column(src, span.map_or(0, |s| s.start));
            ThemeError::Invalid {
                file: file.to_owned(),
                line,
                column,
                reason,
            }
        };
        let parsed: ThemeFile = toml::from_str(src)
            .map_err(|e| invalid(e.span(), e.message().trim().replace('\n', "; ")))?;

        let mut palette = BTreeMap::new();
        for (key, value) in &parsed.palette {
            let colour = parse_colour(value.get_ref()).ok_or_else(|| {
                invalid(
                    Some(value.span()),
                    format!(
                        "palette '{}': {}",
                        key.get_ref(),
                        bad_colour_reason(value.get_ref())
                    ),
                )
            })?;
            palette.insert(key.get_ref().as_str(), colour);
        }

        let mut theme = Theme::unstyled(name.to_owned());
        for (key, def) in parsed.slots.get_ref() {
            let slot = key.get_ref().as_str();
            let Some(style) = theme.slot_mut(slot) else {
                let hint = closest(slot, Theme::SLOTS)
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                return Err(invalid(
                    Some(key.span()),
                    format!("unknown slot '{slot}'{hint}"),
                ));
            };
            let def = def.get_ref();
            let colour = |field: &str, value: &Option<Spanned<String>>| match value {
                None => Ok(None),
                Some(v) => resolve_colour(&palette, v.get_ref())
                    .map(Some)
                    .map_err(|reason| {
                        invalid(Some(v.span()), format!("slot '{slot}', {field}: {reason}"))
                    }),
            };
            let mut resolved = Style::new();
            resolved.fg = colour("fg", &def.fg)?;
            resolved.bg = colour("bg", &def.bg)?;
            for (flag, modifier) in [
                (def.bold, Modifier::BOLD),
                (def.italic, Modifier::ITALIC),
                (def.underline, Modifier::UNDERLINED),
                (def.reversed, Modifier::REVERSED),
                (def.dim, Modifier::DIM),
            ] {
                resolved = match flag {
                    Some(true) => resolved.add_modifier(modifier),
                    Some(false) => resolved.remove_modifier(modifier),
                    None => resolved,
                };
            }
            *style = resolved;
        }

        let missing: Vec<String> = Theme::SLOTS
            .iter()
            .filter(|s| !parsed.slots.get_ref().keys().any(|k| k.get_ref() == *s))
            .map(|s| format!("'{s}'"))
            .collect();
        if !missing.is_empty() {
            let plural = if missing.len() == 1 { "" } else { "s" };
            return Err(invalid(
                Some(parsed.slots.span()),
                format!(
                    "missing slot{plural} {} (every slot must be defined; `slot = {{}}` inherits what is underneath)",
                    missing.join(", ")
                ),
            ));
        }
        Ok(theme)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    palette: BTreeMap<Spanned<String>, Spanned<String>>,
    slots: Spanned<BTreeMap<Spanned<String>, Spanned<SlotDef>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotDef {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    bold: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reversed: Option<bool>,
    dim: Option<bool>,
}

const ANSI_NAMES: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

/// A colour literal: `#rrggbb`, an ANSI name, `reset` or `ansi:N`.
fn parse_colour(s: &str) -> Option<Color> {
    let lower = s.trim().to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Some(n) = lower.strip_prefix("ansi:") {
        return n.parse::<u8>().ok().map(Color::Indexed);
    }
    if lower == "reset" {
        return Some(Color::Reset);
    }
    ANSI_NAMES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, c)| *c)
}

fn bad_colour_reason(s: &str) -> String {
    format!(
        "bad colour '{s}': expected \"#rrggbb\", an ANSI name (black, red, …, white), \"reset\" or \"ansi:0\" to \"ansi:255\""
    )
}

/// A slot's `fg`/`bg`: a palette name first, then a colour literal.
fn resolve_colour(palette: &BTreeMap<&str, Color>, s: &str) -> Result<Color, String> {
    if let Some(c) = palette.get(s) {
        return Ok(*c);
    }
    if let Some(c) = parse_colour(s) {
        return Ok(c);
    }
    if s.starts_with('#') || s.to_ascii_lowercase().starts_with("ansi:") {
        Err(bad_colour_reason(s))
    } else {
        Err(format!("'{s}' is neither a name in [palette] nor a colour"))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The known name closest to `word`, if it is a plausible typo.
fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The RGB value of an xterm-256 colour: 0–15 as xterm's defaults, 16–231
/// the 6×6×6 cube, 232–255 the grey ramp.
pub fn xterm256_rgb(index: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0x00, 0x00, 0x00),
        (0xcd, 0x00, 0x00),
        (0x00, 0xcd, 0x00),
        (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee),
        (0xcd, 0x00, 0xcd),
        (0x00, 0xcd, 0xcd),
        (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f),
        (0xff, 0x00, 0x00),
        (0x00, 0xff, 0x00),
        (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff),
        (0xff, 0x00, 0xff),
        (0x00, 0xff, 0xff),
        (0xff, 0xff, 0xff),
    ];
    const LEVELS: [u8; 6] = [0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
    match index {
        0..=15 => BASE[index as usize],
        16..=231 => {
            let i = index - 16;
            (
                LEVELS[(i / 36) as usize],
                LEVELS[(i / 6 % 6) as usize],
                LEVELS[(i % 6) as usize],
            )
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            (v, v, v)
        }
    }
}

/// The xterm-256 index (16–255; the first 16 are left out because terminals
/// let users redefine them) closest to an RGB colour.
pub fn nearest_xterm256(r: u8, g: u8, b: u8) -> u8 {
    let dist = |(r2, g2, b2): (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(r, r2) + d(g, g2) + d(b, b2)
    };
    (16..=255u8)
        .min_by_key(|i| dist(xterm256_rgb(*i)))
        .unwrap_or(16)
}
