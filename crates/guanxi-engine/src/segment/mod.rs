//! Segments: rules over what the engine knows of each customer, kept current as customers
//! change and as the calendar turns.

pub mod activity;
pub mod event;
pub mod field;
mod json;
pub mod purchase;
pub mod rule;
pub mod text;
pub mod traits;

pub use activity::{Activity, Needs};
pub use event::{EventCondition, EventKey};
pub use field::{Field, FieldType, IdentityKinds};
pub use purchase::{Item, Measure, Purchase, Window};
pub use rule::{Comparison, Op, Operand, Rule, RuleError};
pub use traits::{TraitCondition, TraitValue};
pub mod eval;
pub mod registry;

pub use eval::{Compiled, Pass};
pub use registry::{Definition, DefinitionError, Segments, Transition, evaluation_order, preview};

#[cfg(test)]
mod tests;
