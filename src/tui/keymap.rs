//! The one list of key bindings. Help (`?`), the hint bar and the `:` palette
//! are generated from it; each binding says what it does and whether it is
//! dangerous (dangerous ones are refused in read-only mode).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Context, PaneId};

/// A key as written in the keymap and shown on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Does a terminal key event mean this key? Shift is folded into the
    /// character (`G`, `?`) as terminals report it either way.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let relevant = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let wanted = self.mods & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        // Some terminals send BackTab, others Shift+Tab.
        let code = match ev.code {
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        code == self.code && relevant == wanted
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("^{}", base.to_uppercase())
        } else {
            base
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    pub description: &'static str,
    /// Writes to a store: refused in read-only mode, marked in help.
    pub dangerous: bool,
    /// Shown in the hint bar.
    pub hint: bool,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    description: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        description,
        dangerous: false,
        hint,
    }
}

/// A binding that writes to a store: refused in read-only mode.
const fn danger(
    context: Context,
    keys: &'static [Key],
    action: Action,
    description: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        description,
        dangerous: true,
        hint: true,
    }
}

use Context::{Global, Help, Palette};
const MAP: Context = Context::Pane(PaneId::Map);
const REDIS: Context = Context::Pane(PaneId::Redis);
const FINDINGS: Context = Context::Pane(PaneId::Findings);

/// Every binding of the console.
pub static BINDINGS: &[Binding] = &[
    b(
        Global,
        &[Key::ch('q'), Key::ctrl('c')],
        Action::Quit,
        "quit",
        true,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::Tab)],
        Action::FocusNext,
        "next pane",
        true,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous pane",
        false,
    ),
    b(
        Global,
        &[Key::ch('1')],
        Action::Focus(PaneId::Map),
        "data map pane",
        false,
    ),
    b(
        Global,
        &[Key::ch('2')],
        Action::Focus(PaneId::Redis),
        "Redis pane",
        false,
    ),
    b(
        Global,
        &[Key::ch('3')],
        Action::Focus(PaneId::Postgres),
        "Postgres pane",
        false,
    ),
    b(
        Global,
        &[Key::ch('4')],
        Action::Focus(PaneId::Findings),
        "findings: every gap of every store",
        false,
    ),
    b(
        Global,
        &[Key::ch('z')],
        Action::ToggleZoom,
        "zoom: this view alone",
        true,
    ),
    b(
        Global,
        &[Key::ch('r')],
        Action::Refresh,
        "refresh / reconnect now",
        true,
    ),
    b(Global, &[Key::ch('?')], Action::ToggleHelp, "help", true),
    b(
        Global,
        &[Key::ch(':')],
        Action::OpenPalette,
        "command palette",
        true,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::Up), Key::ch('k')],
        Action::Up,
        "up",
        false,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::Down), Key::ch('j')],
        Action::Down,
        "down",
        false,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::PageUp), Key::ctrl('b')],
        Action::PageUp,
        "page up",
        false,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::PageDown), Key::ctrl('f')],
        Action::PageDown,
        "page down",
        false,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::Home), Key::ch('g')],
        Action::Top,
        "first line",
        false,
    ),
    b(
        Global,
        &[Key::plain(KeyCode::End), Key::ch('G')],
        Action::Bottom,
        "last line",
        false,
    ),
    b(
        REDIS,
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "open namespace / key / folder",
        true,
    ),
    b(
        REDIS,
        &[Key::plain(KeyCode::Esc), Key::plain(KeyCode::Backspace)],
        Action::Back,
        "back",
        true,
    ),
    b(
        REDIS,
        &[Key::plain(KeyCode::Left), Key::ch('h')],
        Action::Left,
        "close the folder (or go to it)",
        false,
    ),
    b(
        REDIS,
        &[Key::plain(KeyCode::Right), Key::ch('l')],
        Action::Right,
        "open the folder",
        false,
    ),
    b(
        REDIS,
        &[Key::ch('c')],
        Action::RunCensus,
        "run the census again",
        true,
    ),
    b(
        REDIS,
        &[Key::ch('s')],
        Action::CycleSort,
        "sort namespaces",
        true,
    ),
    b(
        REDIS,
        &[Key::ch('/')],
        Action::Search,
        "filter namespaces / search keys",
        true,
    ),
    b(
        REDIS,
        &[Key::ch('i')],
        Action::Detail,
        "namespace detail (kinds, TTLs, findings)",
        true,
    ),
    b(
        REDIS,
        &[Key::ch('R')],
        Action::Reveal,
        "reveal / mask the value (audited)",
        true,
    ),
    danger(
        REDIS,
        &[Key::ch('T')],
        Action::SetTtl,
        "give the namespace the retention as TTL",
    ),
    danger(
        REDIS,
        &[Key::ch('D')],
        Action::Unlink,
        "unlink the namespace / key",
    ),
    b(
        MAP,
        &[Key::plain(KeyCode::Left), Key::ch('h')],
        Action::Left,
        "node to the left",
        false,
    ),
    b(
        MAP,
        &[Key::plain(KeyCode::Right), Key::ch('l')],
        Action::Right,
        "node to the right",
        false,
    ),
    b(
        MAP,
        &[Key::ch('v')],
        Action::CycleView,
        "view: diagram / list",
        true,
    ),
    b(MAP, &[Key::ch('/')], Action::Search, "find a node", true),
    b(
        MAP,
        &[Key::ch('n')],
        Action::SearchNext,
        "next match",
        false,
    ),
    b(
        FINDINGS,
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "go to it (node, namespace, table)",
        true,
    ),
    b(
        FINDINGS,
        &[Key::ch('/')],
        Action::Search,
        "filter findings",
        true,
    ),
    b(
        FINDINGS,
        &[Key::ch('s')],
        Action::CycleSeverity,
        "severity: all / high / high+medium",
        true,
    ),
    b(
        FINDINGS,
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "clear the filter",
        false,
    ),
    b(
        Help,
        &[Key::plain(KeyCode::Esc), Key::ch('?'), Key::ch('q')],
        Action::Close,
        "close help",
        true,
    ),
    b(
        Help,
        &[Key::plain(KeyCode::Up), Key::ch('k')],
        Action::Up,
        "scroll up",
        false,
    ),
    b(
        Help,
        &[Key::plain(KeyCode::Down), Key::ch('j')],
        Action::Down,
        "scroll down",
        false,
    ),
    b(
        Palette,
        &[Key::plain(KeyCode::Esc)],
        Action::Close,
        "close",
        true,
    ),
    b(
        Palette,
        &[Key::plain(KeyCode::Enter)],
        Action::Confirm,
        "run",
        true,
    ),
    b(
        Palette,
        &[Key::plain(KeyCode::Up)],
        Action::Up,
        "previous",
        true,
    ),
    b(
        Palette,
        &[Key::plain(KeyCode::Down)],
        Action::Down,
        "next",
        true,
    ),
    b(
        Context::Search,
        &[Key::plain(KeyCode::Esc), Key::plain(KeyCode::Enter)],
        Action::Close,
        "done",
        true,
    ),
    b(
        Context::Confirm,
        &[Key::plain(KeyCode::Esc)],
        Action::Close,
        "cancel",
        true,
    ),
    b(
        Context::Confirm,
        &[Key::plain(KeyCode::Enter)],
        Action::Confirm,
        "confirm",
        true,
    ),
    b(
        Context::Running,
        &[Key::plain(KeyCode::Esc)],
        Action::StopChange,
        "stop the change (what it changed is reported)",
        true,
    ),
];

/// What a key press resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Run(Action),
    /// A dangerous binding pressed in read-only mode.
    Refused(&'static Binding),
    None,
}

/// Find the binding for `ev`, looking in `contexts` in order (the first is
/// the most specific). Overlays (help, palette) do not fall through to the
/// global bindings, except Ctrl-C which always quits.
pub fn resolve(
    bindings: &'static [Binding],
    contexts: &[Context],
    ev: &KeyEvent,
    write_mode: bool,
) -> Resolved {
    if ev.kind == KeyEventKind::Release {
        return Resolved::None;
    }
    if Key::ctrl('c').matches(ev) {
        return Resolved::Run(Action::Quit);
    }
    for ctx in contexts {
        if let Some(binding) = bindings
            .iter()
            .find(|bd| bd.context == *ctx && bd.keys.iter().any(|k| k.matches(ev)))
        {
            return if binding.dangerous && !write_mode {
                Resolved::Refused(binding)
            } else {
                Resolved::Run(binding.action)
            };
        }
        if matches!(
            ctx,
            Context::Help | Context::Palette | Context::Search | Context::Confirm
        ) {
            break;
        }
    }
    Resolved::None
}

/// Bindings that apply in `contexts`, most specific first, without repeating
/// an action already listed.
pub fn active(bindings: &'static [Binding], contexts: &[Context]) -> Vec<&'static Binding> {
    let mut out: Vec<&Binding> = Vec::new();
    for ctx in contexts {
        for bd in bindings.iter().filter(|bd| bd.context == *ctx) {
            if !out.iter().any(|o| o.action == bd.action) {
                out.push(bd);
            }
        }
        if matches!(
            ctx,
            Context::Help | Context::Palette | Context::Search | Context::Confirm
        ) {
            break;
        }
    }
    out
}

/// Where a binding applies, as the palette and help name it.
pub fn context_label(ctx: Context) -> &'static str {
    match ctx {
        Context::Global => "everywhere",
        Context::Pane(p) => p.title(),
        Context::Help => "help",
        Context::Palette => "palette",
        Context::Search => "search",
        Context::Confirm => "confirm",
        Context::Running => "change under way",
    }
}

/// The keys of a binding, as shown: `q/^C`.
pub fn keys_label(bd: &Binding) -> String {
    bd.keys.iter().map(Key::label).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn pane_and_global_keys_resolve() {
        let ctx = [Context::Pane(PaneId::Map), Context::Global];
        let r = |c, m| resolve(BINDINGS, &ctx, &key(c, m), false);
        assert_eq!(
            r(KeyCode::Char('q'), KeyModifiers::NONE),
            Resolved::Run(Action::Quit)
        );
        assert_eq!(
            r(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Resolved::Run(Action::Quit)
        );
        assert_eq!(
            r(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Resolved::Run(Action::Bottom)
        );
        assert_eq!(
            r(KeyCode::Tab, KeyModifiers::SHIFT),
            Resolved::Run(Action::FocusPrev)
        );
        assert_eq!(
            r(KeyCode::Char('2'), KeyModifiers::NONE),
            Resolved::Run(Action::Focus(PaneId::Redis))
        );
        assert_eq!(r(KeyCode::Char('x'), KeyModifiers::NONE), Resolved::None);
    }

    #[test]
    fn overlays_do_not_fall_through() {
        let ctx = [Context::Palette, Context::Global];
        let ev = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(resolve(BINDINGS, &ctx, &ev, false), Resolved::None);
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            resolve(BINDINGS, &ctx, &ctrl_c, false),
            Resolved::Run(Action::Quit)
        );
    }

    #[test]
    fn dangerous_bindings_are_refused_in_read_only_mode() {
        static WITH_DANGER: &[Binding] = &[Binding {
            context: Context::Global,
            keys: &[Key::ch('D')],
            action: Action::Refresh,
            description: "delete",
            dangerous: true,
            hint: true,
        }];
        let ev = key(KeyCode::Char('D'), KeyModifiers::SHIFT);
        assert!(matches!(
            resolve(WITH_DANGER, &[Context::Global], &ev, false),
            Resolved::Refused(_)
        ));
        assert_eq!(
            resolve(WITH_DANGER, &[Context::Global], &ev, true),
            Resolved::Run(Action::Refresh)
        );
    }

    #[test]
    fn every_binding_is_described_and_no_key_is_bound_twice_in_a_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            assert!(!a.description.is_empty());
            for bb in &BINDINGS[i + 1..] {
                if a.context == bb.context {
                    for k in a.keys {
                        assert!(
                            !bb.keys.contains(k),
                            "{:?} bound twice in {:?}",
                            k,
                            a.context
                        );
                    }
                }
            }
        }
    }
}
