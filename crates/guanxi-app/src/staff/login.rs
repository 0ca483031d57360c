//! Log-in: password, then the second factor when the account has one, with back-off after
//! repeated failures. Every attempt is audited; none records the password or the email typed.

use super::accounts::verify_off_thread;
use super::sessions::{SignedIn, start_session};
use super::{StaffError, now, passwords};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::Millis;
use guanxi_domain::access::Actor;
use guanxi_store::{Store, StoreError, User};
use serde_json::json;

/// Failures in a row before the account locks; each further failure doubles the lock.
pub const LOCK_AFTER_FAILURES: i64 = 5;
const FIRST_LOCK_MS: Millis = 30_000;
const LONGEST_LOCK_MS: Millis = 3_600_000;

pub struct Credentials<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The authenticator code, for accounts with a second factor.
    pub code: Option<&'a str>,
    /// The client's address, for the audit log.
    pub ip: Option<String>,
}

/// How long an account stays locked after its `failures`-th failure in a row, if at all.
fn lock_for(failures: i64) -> Option<Millis> {
    let beyond = failures - LOCK_AFTER_FAILURES;
    (beyond >= 0).then(|| {
        FIRST_LOCK_MS
            .saturating_mul(1 << beyond.min(20))
            .min(LONGEST_LOCK_MS)
    })
}

pub async fn log_in(store: &dyn Store, c: Credentials<'_>) -> Result<SignedIn, StaffError> {
    let at = now();
    let email = c.email.trim().to_lowercase();
    let user = match store.user_by_email(&email).await {
        Ok(user) if user.disabled_at.is_none() => user,
        Ok(_) | Err(StoreError::NotFound(_)) => {
            // As slow as a real check, so the answer's timing does not tell accounts apart.
            verify_off_thread(c.password.to_owned(), passwords::decoy_hash().to_owned()).await;
            failed(store, None, "unknown_account", &c).await?;
            return Err(StaffError::WrongCredentials);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(until) = user.locked_until.filter(|until| *until > at) {
        failed(store, Some(&user), "locked", &c).await?;
        return Err(StaffError::Locked { until });
    }
    if !verify_off_thread(c.password.to_owned(), user.password_hash.clone()).await {
        count_failure(store, &user, at).await?;
        failed(store, Some(&user), "wrong_password", &c).await?;
        return Err(StaffError::WrongCredentials);
    }
    if let Some(secret) = &user.totp_secret {
        let Some(code) = c.code.map(str::trim).filter(|code| !code.is_empty()) else {
            return Err(StaffError::SecondFactorRequired);
        };
        if !super::totp::check(secret, code) {
            count_failure(store, &user, at).await?;
            failed(store, Some(&user), "wrong_code", &c).await?;
            return Err(StaffError::WrongSecondFactor);
        }
    }
    if user.failed_logins > 0 || user.locked_until.is_some() {
        store.record_login_success(user.id).await?;
    }
    let signed_in = start_session(store, user).await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&signed_in.principal.actor),
            action: "login",
            target: Some(("user", signed_in.user.id.to_string())),
            detail: json!({}),
            ip: c.ip,
        },
    )
    .await?;
    Ok(signed_in)
}

async fn count_failure(store: &dyn Store, user: &User, at: Millis) -> Result<(), StaffError> {
    let lock = lock_for(user.failed_logins + 1).map(|ms| at + ms);
    store.record_login_failure(user.id, lock).await?;
    Ok(())
}

async fn failed(
    store: &dyn Store,
    user: Option<&User>,
    reason: &str,
    c: &Credentials<'_>,
) -> Result<(), StaffError> {
    let actor = user.map(|u| Actor::Staff {
        user_id: u.id,
        team_id: u.team_id,
    });
    audit::record(
        store,
        Audit {
            actor: actor
                .as_ref()
                .map_or(AuditActor::Anonymous, AuditActor::Known),
            action: "login_failed",
            target: user.map(|u| ("user", u.id.to_string())),
            detail: json!({ "reason": reason }),
            ip: c.ip.clone(),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_after_five_failures_and_double_up_to_an_hour() {
        assert_eq!(lock_for(4), None);
        assert_eq!(lock_for(5), Some(30_000));
        assert_eq!(lock_for(6), Some(60_000));
        assert_eq!(lock_for(12), Some(3_600_000));
        assert_eq!(lock_for(200), Some(3_600_000));
    }
}
