//! End-to-end tests of the guanxi binary and its HTTP API: one test binary, one module per area.

mod helpers;

mod analytics;
mod at_rest;
mod browser;
mod cli;
mod console;
mod crash;
mod customers;
mod evaluate;
mod identity_story;
mod import;
mod messaging;
mod orders;
mod python_sdk;
mod scores;
mod segment;
mod segmentation;
mod shopify;
