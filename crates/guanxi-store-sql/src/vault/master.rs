//! The master key (`GUANXI_SECRET_KEY`). It never encrypts data itself: it wraps the data keys
//! stored in the database, so rotating it re-wraps two rows instead of re-encrypting every
//! customer (envelope encryption, as cloud key services do it).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

/// Bytes of every key: the master key, data keys and the blind-index key.
pub(crate) const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// The shop's secret, parsed. Debug output never shows it.
#[derive(Clone)]
pub struct MasterKey {
    /// The key-encryption key derived from the secret (HKDF-SHA256), so the secret as typed is
    /// used for nothing else.
    wrapping: Zeroizing<[u8; KEY_BYTES]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Why a secret key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "the secret key must be 32 random bytes written as base64 (44 characters) or hex (64); \
     `guanxi secret generate` prints one"
)]
pub struct BadSecretKey;

impl MasterKey {
    /// Reads a secret written as base64 (standard or URL-safe) or hex.
    pub fn parse(text: &str) -> Result<Self, BadSecretKey> {
        let text = text.trim();
        let bytes = Zeroizing::new(
            hex::decode(text)
                .ok()
                .or_else(|| STANDARD.decode(text).ok())
                .or_else(|| URL_SAFE.decode(text).ok())
                .or_else(|| URL_SAFE_NO_PAD.decode(text).ok())
                .ok_or(BadSecretKey)?,
        );
        let secret: &[u8; KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| BadSecretKey)?;
        let mut wrapping = Zeroizing::new([0u8; KEY_BYTES]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, secret)
            .expand(b"guanxi key-encryption key v1", wrapping.as_mut())
            .map_err(|_| BadSecretKey)?;
        Ok(Self { wrapping })
    }

    /// A new random secret, as base64: what `GUANXI_SECRET_KEY` should hold.
    pub fn generate() -> String {
        let bytes = Zeroizing::new(random_key());
        STANDARD.encode(bytes.as_slice())
    }

    /// Seals a data key; `label` (its id and purpose) is bound to it, so a wrapped key copied
    /// to another row does not open.
    pub(crate) fn wrap(&self, label: &str, key: &[u8; KEY_BYTES]) -> String {
        let cipher = XChaCha20Poly1305::new(self.wrapping.as_ref().into());
        let nonce = random_nonce();
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key,
                    aad: label.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a wrapped data key; `None` when this master key did not wrap it (a wrong secret).
    pub(crate) fn unwrap(&self, label: &str, wrapped: &str) -> Option<Zeroizing<[u8; KEY_BYTES]>> {
        let raw = URL_SAFE_NO_PAD.decode(wrapped).ok()?;
        if raw.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_BYTES);
        let cipher = XChaCha20Poly1305::new(self.wrapping.as_ref().into());
        let key = Zeroizing::new(
            cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: label.as_bytes(),
                    },
                )
                .ok()?,
        );
        let mut out = Zeroizing::new([0u8; KEY_BYTES]);
        out.copy_from_slice(key.get(..KEY_BYTES)?);
        Some(out)
    }
}

pub(crate) fn random_key() -> [u8; KEY_BYTES] {
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// A nonce from the thread's CSPRNG (ChaCha12, seeded and periodically reseeded from the OS):
/// 192 random bits make a repeat out of reach, and the writer seals thousands of values a
/// second, so this avoids a system call per value. Keys still come from the OS directly.
pub(crate) fn random_nonce() -> [u8; NONCE_BYTES] {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::thread_rng().fill_bytes(&mut nonce);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_parses_and_a_short_one_does_not() {
        let secret = MasterKey::generate();
        assert!(MasterKey::parse(&secret).is_ok());
        assert!(MasterKey::parse(&hex::encode([7u8; 32])).is_ok());
        assert_eq!(
            MasterKey::parse("password").expect_err("too short"),
            BadSecretKey
        );
        assert_eq!(
            MasterKey::parse(&hex::encode([7u8; 16])).expect_err("16 bytes"),
            BadSecretKey
        );
    }

    #[test]
    fn only_the_same_secret_and_label_unwrap_a_key() {
        let master = MasterKey::parse(&MasterKey::generate()).expect("parses");
        let other = MasterKey::parse(&MasterKey::generate()).expect("parses");
        let key = random_key();
        let wrapped = master.wrap("1 data", &key);
        assert_eq!(*master.unwrap("1 data", &wrapped).expect("opens"), key);
        assert!(master.unwrap("2 data", &wrapped).is_none());
        assert!(other.unwrap("1 data", &wrapped).is_none());
        assert!(!format!("{master:?}").contains(&hex::encode(*master.wrapping)));
    }
}
