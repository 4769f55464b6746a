//! Screenshots of real screens: a ratatui [`Buffer`] (e.g. from a
//! `TestBackend`) rendered to a self-contained SVG.
//!
//! Each cell is [`CELL_WIDTH`] × [`CELL_HEIGHT`] pixels, so an 80×24 screen
//! is about 690×430 and a 120×40 one about 1030×700, inside a rounded frame of
//! [`PADDING`]. Backgrounds are drawn as one rectangle per horizontal run of
//! the same colour, text as one `<tspan>` per horizontal run of the same
//! style, each placed at its cell and stretched to its exact width
//! (`textLength`) so columns line up whatever monospace font the viewer has.
//!
//! Colours: `Rgb` as is; the 16 named colours and `Indexed` through xterm's
//! 256-colour palette; `Reset` becomes the given defaults. Modifiers: bold,
//! italic, underline and crossed-out become font attributes, reversed swaps
//! foreground and background, dim lowers the text's opacity, hidden hides it.
//! Wide characters (CJK, emoji) take two cells; following the ratatui
//! convention, the cell after one is a blank that is skipped. Control
//! characters are dropped and everything is XML-escaped.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

use super::theme::xterm256_rgb;

/// Width of one cell, in pixels (0.6 em of [`FONT_SIZE`]).
pub const CELL_WIDTH: f64 = 8.4;
/// Height of one cell, in pixels.
pub const CELL_HEIGHT: f64 = 17.0;
/// Font size, in pixels.
pub const FONT_SIZE: f64 = 14.0;
/// Space between the frame and the cells, in pixels.
pub const PADDING: f64 = 10.0;
/// Distance from the top of a cell to the text's baseline.
const BASELINE: f64 = 13.0;
/// Text opacity for `Modifier::DIM`.
const DIM_OPACITY: &str = "0.6";
const FONT_FAMILY: &str = "'JetBrains Mono','Cascadia Mono','DejaVu Sans Mono','Menlo','Consolas','Liberation Mono','Noto Sans Mono CJK SC',monospace";

/// Used when a default colour is itself `Reset`.
const FALLBACK_FG: Rgb = Rgb(0xd0, 0xd0, 0xd0);
const FALLBACK_BG: Rgb = Rgb(0x1c, 0x1c, 0x1c);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

fn to_rgb(colour: Color, default: Rgb) -> Rgb {
    let indexed = |i: u8| {
        let (r, g, b) = xterm256_rgb(i);
        Rgb(r, g, b)
    };
    match colour {
        Color::Reset => default,
        Color::Rgb(r, g, b) => Rgb(r, g, b),
        Color::Indexed(i) => indexed(i),
        Color::Black => indexed(0),
        Color::Red => indexed(1),
        Color::Green => indexed(2),
        Color::Yellow => indexed(3),
        Color::Blue => indexed(4),
        Color::Magenta => indexed(5),
        Color::Cyan => indexed(6),
        Color::Gray => indexed(7),
        Color::DarkGray => indexed(8),
        Color::LightRed => indexed(9),
        Color::LightGreen => indexed(10),
        Color::LightYellow => indexed(11),
        Color::LightBlue => indexed(12),
        Color::LightMagenta => indexed(13),
        Color::LightCyan => indexed(14),
        Color::White => indexed(15),
    }
}

/// How the text of a cell is drawn; runs of equal `Ink` become one `<tspan>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ink {
    fg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
    crossed_out: bool,
    dim: bool,
}

impl Ink {
    /// Whether a blank drawn with this ink still shows something.
    fn marks_blanks(&self) -> bool {
        self.underline || self.crossed_out
    }
}

/// One visible cell: what it shows and where.
struct Glyph {
    x: u16,
    width: u16,
    text: String,
    bg: Rgb,
    /// `None` when the text is hidden.
    ink: Option<Ink>,
}

/// Renders `buf` as a self-contained SVG document. `default_fg` and
/// `default_bg` stand for the terminal's own colours (`Color::Reset`); pass
/// the theme's `base` colours. A default that is itself `Reset` becomes a
/// light grey on near black.
pub fn buffer_to_svg(buf: &Buffer, default_fg: Color, default_bg: Color) -> String {
    let default_fg = to_rgb(default_fg, FALLBACK_FG);
    let default_bg = to_rgb(default_bg, FALLBACK_BG);
    let area = buf.area;
    let width = f64::from(area.width) * CELL_WIDTH + 2.0 * PADDING;
    let height = f64::from(area.height) * CELL_HEIGHT + 2.0 * PADDING;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="{fs}" xml:space="preserve">"#,
        w = num(width),
        h = num(height),
        fs = num(FONT_SIZE),
    );
    let _ = writeln!(
        out,
        r#"<rect width="{}" height="{}" rx="8" fill="{default_bg}"/>"#,
        num(width),
        num(height),
    );
    let _ = writeln!(
        out,
        r#"<g transform="translate({p},{p})">"#,
        p = num(PADDING)
    );

    for row in 0..area.height {
        let glyphs = row_glyphs(buf, row, default_fg, default_bg);
        let top = f64::from(row) * CELL_HEIGHT;

        // Backgrounds, merged per run of one colour; the frame already has
        // the default background.
        let mut i = 0;
        while i < glyphs.len() {
            let bg = glyphs[i].bg;
            let start = glyphs[i].x;
            let mut end = start + glyphs[i].width;
            i += 1;
            while i < glyphs.len() && glyphs[i].bg == bg && glyphs[i].x == end {
                end += glyphs[i].width;
                i += 1;
            }
            if bg != default_bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{bg}"/>"#,
                    num(f64::from(start) * CELL_WIDTH),
                    num(top),
                    num(f64::from(end - start) * CELL_WIDTH),
                    num(CELL_HEIGHT),
                );
            }
        }

        // Text, one tspan per run of one ink.
        let mut spans = String::new();
        let mut i = 0;
        while i < glyphs.len() {
            let Some(ink) = glyphs[i].ink else {
                i += 1;
                continue;
            };
            let first = i;
            let mut end = glyphs[i].x + glyphs[i].width;
            i += 1;
            while i < glyphs.len() && glyphs[i].ink == Some(ink) && glyphs[i].x == end {
                end += glyphs[i].width;
                i += 1;
            }
            let mut run = &glyphs[first..i];
            if !ink.marks_blanks() {
                // Blanks only matter for underlines and strike-throughs.
                while let [g, rest @ ..] = run {
                    if g.text != " " {
                        break;
                    }
                    run = rest;
                }
                while let [rest @ .., g] = run {
                    if g.text != " " {
                        break;
                    }
                    run = rest;
                }
            }
            let (Some(head), Some(tail)) = (run.first(), run.last()) else {
                continue;
            };
            let cells = tail.x + tail.width - head.x;
            let _ = write!(
                spans,
                r#"<tspan x="{}" textLength="{}""#,
                num(f64::from(head.x) * CELL_WIDTH),
                num(f64::from(cells) * CELL_WIDTH),
            );
            if ink.fg != default_fg {
                let _ = write!(spans, r#" fill="{}""#, ink.fg);
            }
            if ink.bold {
                spans.push_str(r#" font-weight="bold""#);
            }
            if ink.italic {
                spans.push_str(r#" font-style="italic""#);
            }
            match (ink.underline, ink.crossed_out) {
                (true, true) => spans.push_str(r#" text-decoration="underline line-through""#),
                (true, false) => spans.push_str(r#" text-decoration="underline""#),
                (false, true) => spans.push_str(r#" text-decoration="line-through""#),
                (false, false) => {}
            }
            if ink.dim {
                let _ = write!(spans, r#" fill-opacity="{DIM_OPACITY}""#);
            }
            spans.push('>');
            for g in run {
                spans.push_str(&g.text);
            }
            spans.push_str("</tspan>");
        }
        if !spans.is_empty() {
            let _ = writeln!(
                out,
                r#"<text y="{}" fill="{default_fg}">{spans}</text>"#,
                num(top + BASELINE),
            );
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// The visible cells of one row, wide characters covering two cells.
fn row_glyphs(buf: &Buffer, row: u16, default_fg: Rgb, default_bg: Rgb) -> Vec<Glyph> {
    let area = buf.area;
    let mut glyphs = Vec::with_capacity(usize::from(area.width));
    let mut col = 0;
    while col < area.width {
        let cell = &buf[(area.x + col, area.y + row)];
        let text = escape(cell.symbol());
        let width = if text.is_empty() {
            1
        } else {
            cell.symbol().width().clamp(1, 2) as u16
        };
        // A wide character at the right edge is cut to what is left.
        let width = width.min(area.width - col);
        let (text, width) = if text.is_empty() || cell.skip {
            (" ".to_owned(), 1)
        } else {
            (text, width)
        };
        let m = cell.modifier;
        let mut fg = to_rgb(cell.fg, default_fg);
        let mut bg = to_rgb(cell.bg, default_bg);
        if m.contains(Modifier::REVERSED) {
            std::mem::swap(&mut fg, &mut bg);
        }
        let ink = (!m.contains(Modifier::HIDDEN) && !cell.skip).then_some(Ink {
            fg,
            bold: m.contains(Modifier::BOLD),
            italic: m.contains(Modifier::ITALIC),
            underline: m.contains(Modifier::UNDERLINED),
            crossed_out: m.contains(Modifier::CROSSED_OUT),
            dim: m.contains(Modifier::DIM),
        });
        glyphs.push(Glyph {
            x: col,
            width,
            text,
            bg,
            ink,
        });
        col += width;
    }
    glyphs
}

/// XML-escapes a cell's symbol, dropping control characters and the
/// characters XML cannot hold.
fn escape(symbol: &str) -> String {
    let mut out = String::with_capacity(symbol.len());
    for c in symbol.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A pixel value with at most two decimals and no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}
