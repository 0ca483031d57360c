//! Tests: orders.
