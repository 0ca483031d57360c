//! Why an operator's action was not done, for every use case that checks a permission, reads
//! a form and writes: registering sources and keys, starting imports, assigning customers.

use crate::customers::AccessError;
use guanxi_domain::access::Denied;
use guanxi_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The caller's role does not allow it, or the record is outside their scope.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Bad input: the field and the reason.
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessError> for ActionError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Denied(d) => Self::Denied(d),
            AccessError::Store(s) => Self::Store(s),
        }
    }
}
