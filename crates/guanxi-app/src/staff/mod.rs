//! Staff: accounts with argon2id passwords and an optional TOTP second factor, log-in with
//! back-off, server-side sessions, and the roles that decide what each may do.

mod accounts;
mod admin;
mod login;
mod passwords;
mod roles;
mod sessions;
pub mod totp;

pub use accounts::{
    CreatedUser, LOCALES, change_password, create_user, disable_totp, enable_totp, reset_password,
    set_locale,
};
pub use admin::{AdminError, change_role, invite, save_role, set_enabled};
pub use login::{Credentials, LOCK_AFTER_FAILURES, log_in};
pub use passwords::{MIN_PASSWORD_CHARS, generate_password};
pub use roles::{all_roles, principal_for_key, principal_for_user, role};
pub use sessions::{
    IDLE_TIMEOUT, MAX_SESSION_AGE, SignedIn, end_session, random_token, resume_session,
};

use guanxi_domain::Millis;
use guanxi_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Bad input, naming the field.
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    /// Unknown email or wrong password: deliberately the same answer for both.
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("too many failed log-ins; try again later")]
    Locked { until: Millis },
    /// The password was right; the account also needs its authenticator code.
    #[error("enter the code from your authenticator app")]
    SecondFactorRequired,
    #[error("that authenticator code is wrong or expired")]
    WrongSecondFactor,
    /// No session, an expired one, or one of a disabled user.
    #[error("not signed in")]
    SignedOut,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn now() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
