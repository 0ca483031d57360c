//! Tests: customers.
