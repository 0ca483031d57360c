//! The stories, one module per concern. Each asserts what a user of the store would check.

pub mod analytics;
pub mod changes;
pub mod concurrency;
pub mod customers;
pub mod events;
pub mod figures;
pub mod imports;
pub mod jobs;
pub mod journeys;
pub mod keys;
pub mod merges;
pub mod messaging;
pub mod orders;
pub mod ownership;
pub mod products;
pub mod receipts;
pub mod sealing;
pub mod search;
pub mod segments;
pub mod settings;
pub mod staff;
