//! Guanxi's use cases: ingestion through one group-committing writer, identity resolution,
//! customer profiles, keys, imports and the demo shop. Talks to storage only through the
//! `guanxi-store` traits.

pub mod action;
pub mod analytics;
pub mod audit;
pub mod builtin_segments;
pub mod credentials;
pub mod customers;
pub mod import;
pub mod ingest;
pub mod intelligence;
pub mod journeys;
pub mod key_cache;
pub mod keys;
pub mod messaging;
pub mod ownership;
pub mod privacy;
pub mod segments;
pub mod settings;
pub mod staff;
pub mod uploaded_import;

pub use action::ActionError;
pub use ingest::{IngestError, Ingestor, Outcome, OutcomeStatus, PendingWrite, WriteItem, WriteOp};
pub use settings::{Settings, SettingsError, SettingsForm, ShopSettings};
