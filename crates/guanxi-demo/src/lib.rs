//! Demo shop.
