//! Tests: shopify.
