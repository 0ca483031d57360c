//! The SQL store. Reads and short statements run the same SQL on SQLite and PostgreSQL over
//! sqlx's `Any` driver; dialect differences are confined to `Backend`. Write transactions, the
//! hot path, are native per database: `sqlite_write` (rusqlite, on the writer's thread) and
//! `postgres_write` (sqlx-postgres with array parameters). Each backend has its own embedded,
//! append-only migrations folder. The conformance suite in `guanxi-store-tests` keeps the two
//! equal.

mod analytics;
mod audit;
mod backend;
mod connect;
mod customers;
mod event_facts;
mod facts;
mod figures;
mod imports;
mod item_facts;
mod jobs;
mod journeys;
mod keys;
mod messaging;
mod order_rules;
mod owner_cache;
mod ownership;
mod person_facts;
mod postgres_write;
mod product_lines;
mod profile;
mod reseal;
mod reseal_messaging;
mod rows;
mod sealed;
mod segment_changes;
mod segments;
mod settings;
mod sql;
mod sqlite_native;
mod sqlite_read;
mod sqlite_write;
mod staff;
mod vault;
mod write_rules;

pub use backend::Backend;
pub use connect::{ConnectOptions, SqlStore, sqlite_database_path};
pub use reseal::Resealed;
pub use vault::{BadSecretKey, MasterKey, WrongSecret};
