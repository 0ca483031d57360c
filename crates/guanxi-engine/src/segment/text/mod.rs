//! The text form of a rule, for people:
//!
//! ```text
//! orders >= 2 and days_since_last_order > 60
//!   and (rfm_class in (important_value, important_keep) or tag "vip")
//!   and not identity wechat
//! ```
//!
//! `not` binds tighter than `and`, `and` tighter than `or`; parentheses group. Tags and segment
//! keys are quoted strings (`\"` and `\\` escape); choices are bare words or strings. Errors
//! name the column they were found at.

mod parser;
mod print;
mod tokens;

pub use parser::parse;
pub use print::print;
