//! Customer intelligence, pure Rust and free of IO: the models that predict what a customer
//! will buy and be worth. The store feeds it order facts; it keeps per-customer features in
//! columns and answers scores.

pub mod clv;
pub mod distribution;
pub mod features;
pub mod lifecycle;
pub mod people;
pub mod recommend;
pub mod rfm;
pub mod scores;
pub mod segment;
