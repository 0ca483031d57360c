//! The optional second factor: RFC 6238 codes (6 digits, 30 s, SHA-1, as every authenticator
//! app expects), accepting one step of clock drift either way.

use totp_rs::{Algorithm, Secret, TOTP};

fn totp(secret_base32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// A new secret, base32, to show the user (and store once they confirm a code).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// Whether `code` is valid now for this secret. A corrupt secret accepts nothing.
pub fn check(secret_base32: &str, code: &str) -> bool {
    totp(secret_base32)
        .and_then(|t| t.check_current(code).ok())
        .unwrap_or(false)
}

/// The code valid now (for tests and for confirming set-up).
pub fn current_code(secret_base32: &str) -> Option<String> {
    totp(secret_base32)?.generate_current().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_code_checks_and_others_do_not() {
        let secret = new_secret();
        let code = current_code(&secret).expect("a valid secret");
        assert!(check(&secret, &code));
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1) % 1_000_000
        );
        assert!(!check(&secret, &wrong));
        assert!(!check("not base32!", &code));
    }
}
