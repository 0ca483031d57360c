//! The demo shop as its users see it: reproducible, valid for the domain, and shaped like a
//! real multi-channel shop.

mod resolution;
mod shape;
mod stream;
mod validity;
