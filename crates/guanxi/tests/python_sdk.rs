//! Tests: python_sdk.
