//! The SQL store: one implementation of the storage traits over sqlx's `Any` driver, running
//! the same statements on SQLite and PostgreSQL. Dialect differences (id allocation, job
//! claiming, connection set-up) are confined to `Backend`; each backend has its own embedded,
//! append-only migrations folder. The conformance suite in `guanxi-store-tests` keeps the two
//! equal.

mod backend;
mod connect;
mod customers;
mod jobs;
mod keys;
mod profile;
mod rows;
mod sql;
mod write;
mod write_customers;
mod write_orders;

pub use backend::Backend;
pub use connect::{ConnectOptions, SqlStore};
