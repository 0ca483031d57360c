//! Shopify webhooks.
