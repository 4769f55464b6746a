//! Everything a person can ask of the console, as one enum. Keys, the help
//! screen, the hint bar and the `:` palette all map onto these.

/// The panes, in screen order (their digit is their position + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Map,
    Redis,
    Postgres,
    /// Every finding of every store, in one list.
    Findings,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [
        PaneId::Map,
        PaneId::Redis,
        PaneId::Postgres,
        PaneId::Findings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Map => "Data map",
            PaneId::Redis => "Redis",
            PaneId::Postgres => "Postgres",
            PaneId::Findings => "Findings",
        }
    }

    pub fn index(self) -> usize {
        match self {
            PaneId::Map => 0,
            PaneId::Redis => 1,
            PaneId::Postgres => 2,
            PaneId::Findings => 3,
        }
    }
}

/// Where a key is read: an overlay first, then the focused pane, then global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Pane(PaneId),
    Help,
    Palette,
    Search,
    /// Typing a confirmation for a dangerous action.
    Confirm,
    /// A change to Redis is under way (read before the focused pane).
    Running,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    Focus(PaneId),
    ToggleZoom,
    ToggleHelp,
    OpenPalette,
    Close,
    Up,
    Down,
    Left,
    Right,
    /// Map: diagram or list.
    CycleView,
    /// Find or filter in the focused view (a node, namespaces, findings).
    Search,
    /// Findings: show all, high only, high and medium.
    CycleSeverity,
    /// Namespaces: the detail of the selected one.
    Detail,
    SearchNext,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Look at the servers again now (reconnects a failed connection).
    Refresh,
    /// Palette: run the selected entry.
    Confirm,
    /// Browser: open the selected namespace or key.
    Open,
    /// Browser: back one level.
    Back,
    RunCensus,
    CycleSort,
    /// Show a value unmasked (audited).
    Reveal,
    /// Write mode: give a namespace's keys the storage's retention as TTL.
    SetTtl,
    /// Write mode: UNLINK a namespace or a key.
    Unlink,
    /// Stop the change to Redis under way.
    StopChange,
}

impl Action {
    /// A plain cursor move: a line, a page, or to either end.
    pub fn is_move(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        )
    }
}
