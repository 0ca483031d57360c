//! Coupon codes in messages: `{{ coupon_code }}` is each delivery's own code, short enough to
//! type at a till (`GX` and Crockford base32, no I, L, O or U) and impossible to guess: the
//! delivery id with 40 bits of an HMAC under the shop's key. The shop's checkout asks
//! `GET /api/v1/coupons/{code}` whether a code is genuine and whose it is. What a code is worth
//! and redeeming it once are the loyalty module's.

use hmac::{Hmac, Mac};

/// The key purpose coupon codes are signed under.
pub const COUPON_KEY_PURPOSE: &str = "coupon-codes";

const MAC_BYTES: usize = 5;
const ALPHABET: base32::Alphabet = base32::Alphabet::Crockford;

fn mac(delivery: i64, key: &[u8; 32]) -> [u8; MAC_BYTES] {
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    m.update(format!("coupon:{delivery}").as_bytes());
    let full = m.finalize().into_bytes();
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(&full[..MAC_BYTES]);
    out
}

/// The code of a delivery: `GX` + base32(id) + `-` + base32(MAC).
pub fn code_for(delivery: i64, key: &[u8; 32]) -> String {
    let id = base32::encode(ALPHABET, &trimmed(delivery));
    let tag = base32::encode(ALPHABET, &mac(delivery, key));
    format!("GX{id}-{tag}")
}

/// The id's bytes without leading zeros, so small ids make short codes.
fn trimmed(delivery: i64) -> Vec<u8> {
    let bytes = delivery.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    bytes[first..].to_vec()
}

/// The delivery a genuine code belongs to; `None` for anything else. Case and the confusable
/// letters of Crockford's alphabet (O for 0, I and L for 1) are forgiven.
pub fn verify(code: &str, key: &[u8; 32]) -> Option<i64> {
    let code = code.trim().to_ascii_uppercase();
    let (id, tag) = code.strip_prefix("GX")?.split_once('-')?;
    let bytes = base32::decode(ALPHABET, id)?;
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let mut full = [0u8; 8];
    full[8 - bytes.len()..].copy_from_slice(&bytes);
    let delivery = i64::from_be_bytes(full);
    let given = base32::decode(ALPHABET, tag)?;
    let expected = mac(delivery, key);
    (given.len() == MAC_BYTES
        && subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into())
    .then_some(delivery)
}

/// The delivery a genuine code came with; `None` for a code that is not one of ours (or whose
/// delivery is gone).
pub async fn lookup(
    messaging: &super::Messaging,
    principal: &guanxi_domain::access::Principal,
    code: &str,
) -> Result<Option<guanxi_store::Delivery>, super::MessagingError> {
    use guanxi_domain::access::{Action, Resource};
    principal.require(Resource::Campaigns, Action::View)?;
    let key = messaging.store.signing_key(COUPON_KEY_PURPOSE);
    let Some(id) = verify(code, &key) else {
        return Ok(None);
    };
    match messaging.store.delivery(id).await {
        Ok(d) => Ok(Some(d)),
        Err(guanxi_store::StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_verify_and_forgeries_do_not() {
        let key = [7u8; 32];
        let code = code_for(12_345, &key);
        assert!(code.starts_with("GX") && code.len() <= 16, "{code}");
        assert_eq!(verify(&code, &key), Some(12_345));
        assert_eq!(verify(&code.to_lowercase(), &key), Some(12_345));
        assert_eq!(verify(&code, &[8u8; 32]), None, "another shop's key");
        let other = code_for(12_346, &key);
        let (_, tag) = other.split_once('-').expect("dash");
        let forged = format!("{}-{tag}", code.split_once('-').expect("dash").0);
        assert_eq!(verify(&forged, &key), None, "a tag moved to another id");
        assert_eq!(verify("GX-", &key), None);
        assert_eq!(verify("SPRING10", &key), None);
    }
}
