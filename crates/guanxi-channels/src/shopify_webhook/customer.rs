//! `customers/create` and `customers/update`: a profile, no order.

use super::fields::{object, required_id, text, timestamp};
use super::person::{Identities, full_name, name_of, set_name, set_place};
use guanxi_domain::{DefaultRegion, FieldError, IdentityKind, ProfileInput, SourceId};
use serde_json::{Map, Value};

/// Identities `shopify_customer`, `email`, then phones (the customer's, its default address's).
/// Traits `name`, `accepts_marketing` (e-mail consent `subscribed`, or the older
/// `accepts_marketing` flag) and `city`/`province`/`country` of the default address. Tags are
/// Shopify's comma-separated `tags`. `updated_at`, else `created_at`, is required.
pub(super) fn profile(
    body: &Value,
    source: SourceId,
    region: DefaultRegion,
) -> Result<ProfileInput, FieldError> {
    let customer_id = required_id(body, "id")?;
    let address = object(body, "default_address");
    let mut identities = Identities::new(region);
    identities.add(IdentityKind::ShopifyCustomer, Some(&customer_id));
    identities.add(IdentityKind::Email, text(body, "email"));
    identities.add(IdentityKind::Phone, text(body, "phone"));
    identities.add(IdentityKind::Phone, text(address, "phone"));
    let identities = identities.into_vec();
    if identities.is_empty() {
        return Err(FieldError::new(
            "id",
            "identifies nobody and there is no usable e-mail or phone",
        ));
    }
    let updated_at = match timestamp(body, "updated_at")? {
        Some(at) => at,
        None => timestamp(body, "created_at")?
            .ok_or_else(|| FieldError::new("updated_at", "is missing"))?,
    };
    let mut traits = Map::new();
    set_name(
        &mut traits,
        full_name(text(body, "first_name"), text(body, "last_name")),
    );
    set_name(&mut traits, name_of(address));
    if let Some(accepts) = accepts_marketing(body) {
        traits.insert("accepts_marketing".to_owned(), Value::Bool(accepts));
    }
    let first_address = body
        .get("addresses")
        .and_then(|a| a.get(0))
        .unwrap_or(address);
    set_place(&mut traits, &[address, first_address]);
    let tags = text(body, "tags")
        .map(|tags| {
            tags.split(',')
                .map(str::trim)
                .filter(|tag| !tag.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(ProfileInput {
        source,
        identities,
        traits,
        tags,
        updated_at,
    })
}

fn accepts_marketing(body: &Value) -> Option<bool> {
    match text(object(body, "email_marketing_consent"), "state") {
        Some(state) => Some(state == "subscribed"),
        None => body.get("accepts_marketing").and_then(Value::as_bool),
    }
}
