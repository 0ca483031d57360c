//! Customer intelligence, pure Rust and free of IO: the models that predict what a customer
//! will buy and be worth. The store feeds it histories; it answers numbers.

pub mod clv;
pub mod rfm;
