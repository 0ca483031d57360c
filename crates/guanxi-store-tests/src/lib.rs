//! The storage conformance suite: one set of stories that every backend must pass.
//!
//! Each story is an `async fn` over a store (or over a [`TestDb`] when it needs a second
//! connection or the database URL). `tests/main.rs` runs every story against a fresh SQLite
//! file and, when `GUANXI_TEST_POSTGRES_URL` is set, against a fresh PostgreSQL database.

mod fixtures;
mod harness;
pub mod stories;

pub use fixtures::*;
pub use harness::{POSTGRES_URL_VAR, TestDb};
