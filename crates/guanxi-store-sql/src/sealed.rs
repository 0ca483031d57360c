//! Personal data as it is stored: sealed by the vault, found through blind indexes. Every
//! statement that writes or reads traits, email and phone identities or event properties goes
//! through here, so callers of the store only ever see plain values.
//!
//! - Traits and event properties keep their entries free of personal data as plain JSON (so
//!   segments and reports can still read them) and hold the rest as one sealed entry,
//!   `SEALED_ENTRY`. Which entries are personal is `guanxi_domain::personal`'s rule, the one
//!   the console masks by.
//! - Email and phone identities store a blind index as their `value` (so the primary key still
//!   finds and deduplicates them) and the sealed address in `sealed_value`. Platform ids
//!   (open ids, buyer ids, user ids) stay as they are.
//! - A customer's `name` is found through `name_index`, the blind index of the name normalised
//!   (case and spacing), so search by exact name still works.

use crate::vault::{Purpose, Vault};
use guanxi_domain::personal::split_personal;
use guanxi_domain::{EventProperties, IdentityKey, IdentityKind};
use guanxi_store::{StoreError, StoreResult, Traits};
use serde_json::Value;
use std::borrow::Cow;

pub(crate) use guanxi_domain::personal::SEALED_ENTRY;

/// A customer's traits as stored.
pub(crate) struct StoredTraits {
    pub(crate) json: String,
    pub(crate) name_index: Option<String>,
}

pub(crate) fn seal_traits(vault: &Vault, traits: &Traits) -> StoredTraits {
    let mut all = traits.clone();
    all.remove(SEALED_ENTRY);
    let (mut plain, personal) = split_personal(all, true);
    if !personal.is_empty() {
        let sealed = vault.seal(
            Purpose::Traits,
            Value::Object(personal).to_string().as_bytes(),
        );
        plain.insert(SEALED_ENTRY.to_owned(), Value::String(sealed));
    }
    StoredTraits {
        json: Value::Object(plain).to_string(),
        name_index: name_index(vault, traits),
    }
}

/// The blind index of a customer's name, if they have one.
pub(crate) fn name_index(vault: &Vault, traits: &Traits) -> Option<String> {
    traits
        .get("name")
        .and_then(Value::as_str)
        .and_then(|name| name_search_index(vault, name))
}

/// The blind index a search for `name` looks for; `None` for a blank name.
pub(crate) fn name_search_index(vault: &Vault, name: &str) -> Option<String> {
    let normalised = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!normalised.is_empty()).then(|| vault.index("name", &normalised))
}

/// Stored traits, opened.
pub(crate) fn open_traits(vault: &Vault, json: &str) -> StoreResult<Traits> {
    let mut traits = crate::rows::traits(json)?;
    if let Some(sealed) = traits.remove(SEALED_ENTRY) {
        traits.extend(open_object(vault, Purpose::Traits, &sealed)?);
    }
    Ok(traits)
}

fn open_object(vault: &Vault, purpose: Purpose, sealed: &Value) -> StoreResult<Traits> {
    let sealed = sealed
        .as_str()
        .ok_or_else(|| StoreError::other("a sealed entry is not text"))?;
    serde_json::from_slice(&vault.open(purpose, sealed)?)
        .map_err(|e| StoreError::other(format!("a sealed object is not JSON: {e}")))
}

/// An event's properties as stored: the plain entries, and the personal ones sealed in
/// `SEALED_ENTRY` (spliced into the text, so the writer parses nothing).
pub(crate) fn seal_properties<'a>(vault: &Vault, properties: &'a EventProperties) -> Cow<'a, str> {
    let (Some(personal), Some(rest)) =
        (properties.personal(), properties.plain().strip_prefix('{'))
    else {
        return Cow::Borrowed(properties.plain());
    };
    let sealed = vault.seal(Purpose::Properties, personal.as_bytes());
    let separator = if rest.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    // The sealed text is base64url and dots: nothing in it needs escaping.
    Cow::Owned(format!(
        "{{\"{SEALED_ENTRY}\":\"{sealed}\"{separator}{rest}"
    ))
}

/// Stored event properties, opened.
pub(crate) fn open_properties(vault: &Vault, json: &str) -> StoreResult<Value> {
    let mut value = crate::rows::json(json)?;
    if let Value::Object(map) = &mut value
        && let Some(sealed) = map.remove(SEALED_ENTRY)
    {
        map.extend(open_object(vault, Purpose::Properties, &sealed)?);
    }
    Ok(value)
}

/// Whether identifiers of this kind are personal data, sealed and blind-indexed.
pub(crate) fn is_sealed_kind(kind: &IdentityKind) -> bool {
    matches!(kind, IdentityKind::Email | IdentityKind::Phone)
}

/// What `identities.value` holds for this identifier: what look-ups compare.
pub(crate) fn identity_lookup_value<'a>(vault: &Vault, key: &'a IdentityKey) -> Cow<'a, str> {
    if is_sealed_kind(key.kind()) {
        Cow::Owned(vault.index(&key.kind().name(), key.value()))
    } else {
        Cow::Borrowed(key.value())
    }
}

/// An identifier as stored: `value` and `sealed_value`.
pub(crate) fn seal_identity(vault: &Vault, key: &IdentityKey) -> (String, Option<String>) {
    let value = identity_lookup_value(vault, key).into_owned();
    let sealed =
        is_sealed_kind(key.kind()).then(|| vault.seal(Purpose::Identity, key.value().as_bytes()));
    (value, sealed)
}

/// A stored identifier, opened.
pub(crate) fn open_identity(
    vault: &Vault,
    kind: &str,
    value: &str,
    sealed: Option<&str>,
) -> StoreResult<IdentityKey> {
    match sealed {
        Some(sealed) => crate::rows::identity(kind, &vault.open_text(Purpose::Identity, sealed)?),
        None => crate::rows::identity(kind, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::test_vault;
    use guanxi_domain::EventKind;
    use serde_json::json;

    fn object(v: Value) -> Traits {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn traits_keep_plain_what_is_not_personal() {
        let vault = test_vault();
        let traits = object(json!({
            "name": "王小明", "email": "li@example.com", "plan": "gold",
            "address": {"city": "上海", "street": "南京路 1 号"}
        }));
        let stored = seal_traits(&vault, &traits);
        assert!(!stored.json.contains("王小明") && !stored.json.contains("li@example.com"));
        assert!(!stored.json.contains("南京路"));
        assert!(stored.json.contains("\"plan\":\"gold\""));
        assert_eq!(open_traits(&vault, &stored.json).expect("opens"), traits);
        assert_eq!(stored.name_index, name_search_index(&vault, "  王小明 "));
        assert_eq!(
            name_search_index(&vault, "Li  Na"),
            name_search_index(&vault, "li na")
        );
    }

    #[test]
    fn event_properties_round_trip_with_their_personal_entries_sealed() {
        let vault = test_vault();
        for value in [
            json!({"email": "a@b.cn", "sku": "LJ-250"}),
            json!({"email": "a@b.cn"}),
            json!({"sku": "LJ-250"}),
            json!({}),
        ] {
            let properties = EventProperties::new(EventKind::Track, &value);
            let stored = seal_properties(&vault, &properties);
            assert!(!stored.contains("a@b.cn"), "{stored}");
            assert_eq!(open_properties(&vault, &stored).expect("opens"), value);
        }
    }

    #[test]
    fn a_client_cannot_pass_off_its_own_sealed_entry() {
        let vault = test_vault();
        let sent = json!({"email": "a@b.cn", SEALED_ENTRY: "g1.1.forged", "sku": "X"});
        let properties = EventProperties::new(EventKind::Track, &sent);
        let stored = seal_properties(&vault, &properties);
        assert!(!stored.contains("forged"), "{stored}");
        assert_eq!(
            open_properties(&vault, &stored).expect("opens"),
            json!({"email": "a@b.cn", "sku": "X"})
        );
    }

    #[test]
    fn email_identities_are_stored_as_a_blind_index_and_a_sealed_value() {
        let vault = test_vault();
        let email = IdentityKey::from_stored("email", "li@example.com").expect("key");
        let (value, sealed) = seal_identity(&vault, &email);
        assert_ne!(value, "li@example.com");
        assert_eq!(value, identity_lookup_value(&vault, &email));
        let opened = open_identity(&vault, "email", &value, sealed.as_deref()).expect("opens");
        assert_eq!(opened, email);
        let openid = IdentityKey::from_stored("wechat_openid", "o-123").expect("key");
        assert_eq!(seal_identity(&vault, &openid), ("o-123".to_owned(), None));
    }
}
