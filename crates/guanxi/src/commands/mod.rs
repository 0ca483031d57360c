//! One file per CLI command.

pub mod demo;
mod demo_engagement;
pub mod evaluate;
pub mod evaluate_recommendations;
pub mod import;
pub mod keys;
pub mod secret;
pub mod serve;
pub mod users;
