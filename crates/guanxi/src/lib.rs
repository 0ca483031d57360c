//! Wiring: config, telemetry, the store, the writer and the HTTP server, plus the CLI commands.
//! A library so tests can start the real app on port 0.

pub mod app;
pub mod cli;
mod commands;
pub mod config;
pub mod secret_key;
pub mod telemetry;

pub use app::App;
pub use config::Config;
