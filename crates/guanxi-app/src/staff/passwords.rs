//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use std::sync::LazyLock;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longer inputs only make hashing a denial-of-service lever.
const MAX_PASSWORD_BYTES: usize = 256;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub(super) fn check_strength(password: &str) -> Result<(), super::StaffError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(super::StaffError::Invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(super::StaffError::Invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// The PHC string to store.
pub(super) fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password within the length limit")
        .to_string()
}

/// Whether `password` matches `stored`; a corrupt stored hash never matches.
pub(super) fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches, verified against for unknown emails so that a log-in takes as
/// long whether or not the account exists.
pub(super) fn decoy_hash() -> &'static str {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash("decoy password that nobody has"));
    &DECOY
}

/// A password to hand out: 16 characters from an alphabet without look-alikes (0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("anything", "not a phc string"));
        assert!(!verify("decoy", decoy_hash()));
    }

    #[test]
    fn generated_passwords_pass_the_strength_check() {
        let p = generate_password();
        assert_eq!(p.len(), 16);
        assert!(check_strength(&p).is_ok());
        assert_ne!(p, generate_password());
        assert!(check_strength("short").is_err());
    }
}
