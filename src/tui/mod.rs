//! The terminal face of oubli: one state owner, one `select!` loop, a pure
//! render function. It calls the engines and knows nothing they don't say.

pub mod action;
pub mod app;
pub mod browser;
pub mod diagram;
pub mod keymap;
pub mod panes;
pub mod render;
pub mod state;
pub mod svg;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod widgets;
