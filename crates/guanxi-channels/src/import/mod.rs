//! File imports.
