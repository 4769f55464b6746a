//! oubli — a terminal console for the personal data kept in PostgreSQL and Redis.
//!
//! Domain engines (`register`, `redis`, `postgres`, `audit`, `demo`) know nothing of
//! the terminal; `tui` and `cli` are thin faces over them.

pub mod audit;
pub mod check;
pub mod cli;
pub mod demo;
pub mod incident;
pub mod keypattern;
pub mod logging;
pub mod offline;
pub mod pii;
pub mod postgres;
pub mod redis;
pub mod register;
pub mod show;
pub mod tls;
pub mod tui;
