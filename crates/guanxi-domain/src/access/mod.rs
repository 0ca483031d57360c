//! Who may do what: permissions per resource and action, a data scope for records that have
//! an owner, and per-field access to personal data. Staff get these from their role, API keys
//! from their scopes; both become a [`Grant`], which is the one thing enforcement looks at.

mod grant;
mod permission;
mod role;

pub use grant::{Actor, Denied, Grant, Principal};
pub use permission::{Action, Permission, Resource};
pub use role::{BUILTIN_ROLES, DataScope, FieldAccess, FieldPolicy, PersonalField, Role};
