//! Guanxi's domain: pure types and rules. No IO, no async, no database or web crates.
//!
//! Values that reach this crate have been parsed at the edge (`Email::parse`, `Phone::parse`,
//! `Money::parse`), so code past the edge never re-validates them.

pub mod access;
pub mod email;
pub mod error;
pub mod event;
pub mod identity;
pub mod ids;
pub mod journey;
pub mod masking;
pub mod messaging;
pub mod money;
pub mod order;
pub mod personal;
pub mod phone;
pub mod profile;
pub mod resolution;
pub mod time;

pub use email::Email;
pub use error::FieldError;
pub use event::{EventInput, EventKind, EventProperties};
pub use identity::{IdentityKey, IdentityKind};
pub use ids::{CustomerId, SourceId};
pub use money::{Currency, Money};
pub use order::{OrderChange, OrderCustomer, OrderInput, OrderItemInput, OrderStatus, RefundInput};
pub use phone::{DefaultRegion, Phone};
pub use profile::ProfileInput;
pub use time::{Millis, ShopTimeZone};
