//! `oubli init`: a starter register from an introspected database.
