//! Predicting what a customer will buy and be worth, fitted by maximum likelihood on the shop's
//! own history: BG/NBD for how often and how long customers buy, Gamma-Gamma for how much.
//! Time is counted in weeks, as in the literature, so results can be checked against it.

mod bg_nbd;
mod gamma_gamma;
mod hyp2f1;
mod optimize;
mod summary;
mod value;

pub use bg_nbd::{BgNbd, Fit};
pub use gamma_gamma::GammaGamma;
pub use optimize::FitError;
pub use summary::{History, Purchase, RepeatSummary, histories};
pub use value::{ClvModel, ClvOptions, Prediction, WEEKS_PER_MONTH};
