//! Encryption of personal data at rest. Names, phones, emails and addresses are sealed with
//! XChaCha20-Poly1305 under a data key before they reach the database, and found again through
//! keyed blind indexes (HMAC-SHA256 of the normalised value): equal values give equal tokens,
//! so exact look-ups and uniqueness work, while the table holds no readable value.
//!
//! Keys (`data_keys.rs`): one current data key seals, older ones still open what they sealed
//! until a rotation re-seals it; one index key makes the blind indexes and never changes (a new
//! one would re-index every identity). The master key (`master.rs`) only wraps those keys.

mod data_keys;
mod master;

pub use data_keys::WrongSecret;
pub(crate) use data_keys::{CURRENT_DATA_KEY, forget_retired_keys, load_or_create, rotate};
pub use master::{BadSecretKey, MasterKey};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use guanxi_store::{StoreError, StoreResult};
use hmac::{Hmac, Mac};
use master::KEY_BYTES;
use std::collections::HashMap;

/// What a sealed value is; bound to the ciphertext, so a value moved to another column does
/// not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The personal part of a customer's traits.
    Traits,
    /// An email address or phone number in `identities`.
    Identity,
    /// The personal part of an event's properties.
    Properties,
    /// An address on a suppression list.
    Suppression,
    /// An in-app message's subject and text.
    Inbox,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Traits => b"customers.traits",
            Purpose::Identity => b"identities.value",
            Purpose::Properties => b"events.properties",
            Purpose::Suppression => b"suppressions.address",
            Purpose::Inbox => b"inbox_messages.sealed_content",
        }
    }
}

/// Sealed values start with this and the id of the data key: `g1.3.<base64url nonce+ciphertext>`.
const SEALED_PREFIX: &str = "g1.";
const NONCE_BYTES: usize = 24;
/// Bytes of HMAC kept in a blind index: collisions stay out of reach (2⁻⁶⁴ at 4 billion
/// values) at 22 characters a token.
const INDEX_BYTES: usize = 16;

/// The unwrapped keys of one database.
pub(crate) struct Vault {
    current: u32,
    ciphers: HashMap<u32, XChaCha20Poly1305>,
    index: Hmac<sha2::Sha256>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault(current key {})", self.current)
    }
}

impl Vault {
    pub(crate) fn new(
        current: u32,
        data_keys: &[(u32, &[u8; KEY_BYTES])],
        index_key: &[u8; KEY_BYTES],
    ) -> Self {
        Self {
            current,
            ciphers: data_keys
                .iter()
                .map(|(id, key)| (*id, XChaCha20Poly1305::new((*key).into())))
                .collect(),
            index: <Hmac<sha2::Sha256> as Mac>::new_from_slice(index_key)
                .expect("HMAC takes a key of any length"),
        }
    }

    /// Seals `plain` under the current data key.
    pub(crate) fn seal(&self, purpose: Purpose, plain: &[u8]) -> String {
        let cipher = &self.ciphers[&self.current];
        let nonce = master::random_nonce();
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: purpose.label(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message under 256 GiB");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&sealed);
        format!(
            "{SEALED_PREFIX}{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(raw)
        )
    }

    /// Opens a value `seal` made with any of this database's data keys.
    pub(crate) fn open(&self, purpose: Purpose, sealed: &str) -> StoreResult<Vec<u8>> {
        let corrupt = || StoreError::other("a sealed value is corrupt or was moved");
        let (key_id, body) = Self::parts(sealed).ok_or_else(corrupt)?;
        let cipher = self.ciphers.get(&key_id).ok_or_else(|| {
            StoreError::other(format!(
                "a value is sealed with data key {key_id}, which this database no longer has"
            ))
        })?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| corrupt())?;
        if raw.len() < NONCE_BYTES {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_BYTES);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.label(),
                },
            )
            .map_err(|_| corrupt())
    }

    /// Opens a sealed UTF-8 text.
    pub(crate) fn open_text(&self, purpose: Purpose, sealed: &str) -> StoreResult<String> {
        String::from_utf8(self.open(purpose, sealed)?)
            .map_err(|_| StoreError::other("a sealed text is not UTF-8"))
    }

    /// Refuses to seal with a data key that is no longer the database's current one
    /// (`current_in_database`, read after another process wrote): a rotation ran while this
    /// process kept the old keys, and what it sealed now could outlive the key it needs.
    pub(crate) fn check_current(&self, current_in_database: Option<i64>) -> StoreResult<()> {
        if current_in_database == Some(i64::from(self.current)) {
            Ok(())
        } else {
            Err(StoreError::other(
                "the data keys were rotated by another process: restart guanxi to use them",
            ))
        }
    }

    /// Whether `sealed` was sealed with the current data key (a rotation re-seals the rest).
    pub(crate) fn is_current(&self, sealed: &str) -> bool {
        Self::parts(sealed).is_some_and(|(id, _)| id == self.current)
    }

    fn parts(sealed: &str) -> Option<(u32, &str)> {
        let (id, body) = sealed.strip_prefix(SEALED_PREFIX)?.split_once('.')?;
        Some((id.parse().ok()?, body))
    }

    /// A key for `purpose` (signing links in messages), derived from the index key: the same
    /// on every server of the database, unguessable without it.
    pub(crate) fn derived_key(&self, purpose: &str) -> [u8; KEY_BYTES] {
        let mut mac = self.index.clone();
        mac.update(b"derived-key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The blind index of a value of `kind` (`email`, `phone`, `name`): the same for the same
    /// value, unguessable without the index key. Callers normalise first.
    pub(crate) fn index(&self, kind: &str, value: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..INDEX_BYTES])
    }
}

#[cfg(test)]
pub(crate) fn test_vault() -> Vault {
    Vault::new(1, &[(1, &[1; KEY_BYTES])], &[2; KEY_BYTES])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose() {
        let vault = test_vault();
        let sealed = vault.seal(Purpose::Identity, b"+8613812345678");
        assert!(!sealed.contains("13812345678"));
        assert!(vault.is_current(&sealed));
        assert_eq!(
            vault.open(Purpose::Identity, &sealed).expect("opens"),
            b"+8613812345678"
        );
        assert!(vault.open(Purpose::Traits, &sealed).is_err());
        assert_ne!(sealed, vault.seal(Purpose::Identity, b"+8613812345678"));
    }

    #[test]
    fn blind_indexes_are_equal_for_equal_values_only() {
        let vault = test_vault();
        assert_eq!(
            vault.index("email", "li@example.com"),
            vault.index("email", "li@example.com")
        );
        assert_ne!(
            vault.index("email", "li@example.com"),
            vault.index("phone", "li@example.com")
        );
        let other = Vault::new(1, &[(1, &[1; KEY_BYTES])], &[3; KEY_BYTES]);
        assert_ne!(
            vault.index("email", "li@example.com"),
            other.index("email", "li@example.com")
        );
        assert_eq!(vault.index("email", "li@example.com").len(), 22);
    }

    #[test]
    fn an_older_data_key_still_opens_what_it_sealed() {
        let old = test_vault();
        let sealed = old.seal(Purpose::Traits, b"{}");
        let rotated = Vault::new(
            2,
            &[(1, &[1; KEY_BYTES]), (2, &[9; KEY_BYTES])],
            &[2; KEY_BYTES],
        );
        assert!(!rotated.is_current(&sealed));
        assert_eq!(
            rotated.open(Purpose::Traits, &sealed).expect("opens"),
            b"{}"
        );
    }
}
