//! Channel formats.
