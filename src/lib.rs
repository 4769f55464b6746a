//! oubli — a terminal console for the personal data kept in PostgreSQL and Redis.
//!
//! Domain engines (`register`, `redis`, `postgres`, `demo`) know nothing of
//! the terminal; `tui` and `cli` are thin faces over them.

pub mod demo;
