//! Segment tracking-API messages (identify, track, page, screen, group, alias) parsed into
//! events, following the Segment spec: `userId` or `anonymousId` (either may be null or
//! absent, not both), `timestamp` corrected for device clock skew with `sentAt`, traits in
//! `traits` or `context.traits`.

use crate::segment_ecommerce::{self, EcommerceEvent};
use guanxi_domain::ShopTimeZone;
use guanxi_domain::time::parse_timestamp;
use guanxi_domain::{
    DefaultRegion, Email, EventInput, EventKind, EventProperties, FieldError, IdentityKey,
    IdentityKind, Millis, OrderChange, Phone, SourceId,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Where a message came from and when it arrived.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub source: SourceId,
    pub source_name: &'a str,
    pub region: DefaultRegion,
    pub received_at: Millis,
    /// The batch's `sentAt`, used when a message has none of its own.
    pub sent_at: Option<&'a Value>,
}

/// A parsed message: the event, and the order change an e-commerce event implies.
#[derive(Debug, Clone)]
pub struct Message {
    pub event: EventInput,
    pub order: Option<OrderChange>,
}

/// Identity traits that name platform accounts, in priority order.
const PLATFORM_TRAITS: &[(&str, IdentityKind)] = &[
    ("shopify_customer", IdentityKind::ShopifyCustomer),
    ("wechat_unionid", IdentityKind::WechatUnionid),
    ("taobao_buyer", IdentityKind::TaobaoBuyer),
    ("taobao_ouid", IdentityKind::TaobaoOuid),
    ("jd_buyer", IdentityKind::JdBuyer),
    ("wechat_openid", IdentityKind::WechatOpenid),
];

fn id_text(value: Option<&Value>, field: &str) -> Result<Option<String>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        // Databases refuse NUL in text; no identifier or name legitimately has control characters.
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            Err(FieldError::new(field, "contains control characters"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

fn object<'a>(
    message: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, FieldError> {
    match message.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(FieldError::new(field, "must be an object")),
    }
}

fn instant(message: &Map<String, Value>, field: &str) -> Result<Option<Millis>, FieldError> {
    match message.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s, ShopTimeZone::UTC)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "must be an ISO 8601 timestamp")),
        Some(_) => Err(FieldError::new(
            field,
            "must be an ISO 8601 timestamp string",
        )),
    }
}

/// A stable id for a message sent without `messageId`, so its retry is still recognised.
fn content_id(message: &Map<String, Value>) -> String {
    let text = Value::Object(message.clone()).to_string();
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Parses one message. `implied` is the type given by the endpoint (`/v1/track`), if any.
pub fn parse(
    raw: &Value,
    implied: Option<EventKind>,
    env: &Envelope<'_>,
) -> Result<Message, FieldError> {
    let Value::Object(message) = raw else {
        return Err(FieldError::new("", "must be a JSON object"));
    };
    let kind = match (message.get("type"), implied) {
        (Some(Value::String(t)), _) => EventKind::parse(t).ok_or_else(|| {
            FieldError::new(
                "type",
                "must be identify, track, page, screen, group or alias",
            )
        })?,
        (None | Some(Value::Null), Some(kind)) => kind,
        (None | Some(Value::Null), None) => return Err(FieldError::new("type", "is required")),
        (Some(_), _) => return Err(FieldError::new("type", "must be a string")),
    };
    let user_id = id_text(message.get("userId"), "userId")?;
    let anonymous_id = id_text(message.get("anonymousId"), "anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(FieldError::new(
            "userId",
            "userId or anonymousId is required",
        ));
    }
    let message_id = match id_text(message.get("messageId"), "messageId")? {
        Some(id) if id.len() > 200 => {
            return Err(FieldError::new(
                "messageId",
                "is longer than 200 characters",
            ));
        }
        Some(id) => id,
        None => content_id(message),
    };
    let context = object(message, "context")?;
    let mut traits = Map::new();
    if let Some(Value::Object(t)) = context.and_then(|c| c.get("traits")) {
        traits.extend(t.clone());
    }
    let traits_field = if matches!(kind, EventKind::Identify | EventKind::Group) {
        "traits"
    } else {
        "context.traits"
    };
    if matches!(kind, EventKind::Identify)
        && let Some(t) = object(message, "traits")?
    {
        traits.extend(t.clone());
    }
    let properties = match kind {
        EventKind::Identify | EventKind::Group => {
            Value::Object(object(message, "traits")?.cloned().unwrap_or_default())
        }
        _ => Value::Object(object(message, "properties")?.cloned().unwrap_or_default()),
    };
    let name = match kind {
        EventKind::Track => match message.get("event") {
            Some(Value::String(e)) if !e.trim().is_empty() && !e.chars().any(char::is_control) => {
                Some(e.clone())
            }
            _ => {
                return Err(FieldError::new(
                    "event",
                    "is required for track and must be a non-empty string without control characters",
                ));
            }
        },
        EventKind::Page | EventKind::Screen => id_text(message.get("name"), "name")?,
        EventKind::Group => Some(
            id_text(message.get("groupId"), "groupId")?
                .ok_or_else(|| FieldError::new("groupId", "is required for group"))?,
        ),
        EventKind::Alias | EventKind::Identify => None,
    };

    // Identifiers, highest priority first.
    let key = |kind: IdentityKind, raw: &str| IdentityKey::new(kind, raw, env.region);
    let user_kind = || IdentityKind::UserId {
        source: env.source_name.to_owned(),
    };
    let mut identities = Vec::new();
    if let Some(u) = &user_id {
        // A placeholder ("guest", "0") identifies nobody: the message still counts if another id does.
        identities.extend(key(user_kind(), u).ok());
    }
    if kind == EventKind::Alias {
        if identities.is_empty() {
            return Err(FieldError::new("userId", "is required for alias"));
        }
        let previous = id_text(message.get("previousId"), "previousId")?
            .ok_or_else(|| FieldError::new("previousId", "is required for alias"))?;
        // The previous id may have been an anonymous id or an earlier user id.
        for k in [user_kind(), IdentityKind::AnonymousId] {
            identities
                .push(key(k, &previous).map_err(|e| FieldError::new("previousId", e.reason))?);
        }
    }
    for (trait_name, kind) in PLATFORM_TRAITS {
        if let Some(raw) = id_text(traits.get(*trait_name), trait_name)? {
            identities.push(
                key(kind.clone(), &raw).map_err(|e| {
                    FieldError::new(format!("{traits_field}.{trait_name}"), e.reason)
                })?,
            );
        }
    }
    for (trait_name, kind) in [
        ("email", IdentityKind::Email),
        ("phone", IdentityKind::Phone),
    ] {
        let Some(raw) = id_text(traits.get(trait_name), trait_name)? else {
            continue;
        };
        // Masked values (138****5678) and placeholders (test@test.com) are kept as traits but
        // identify nobody; a malformed value is the sender's mistake and refused.
        if raw.contains('*') {
            continue;
        }
        let field = || format!("{traits_field}.{trait_name}");
        match kind {
            IdentityKind::Email => Email::parse(&raw).map(|_| ()),
            _ => Phone::parse(&raw, env.region).map(|_| ()),
        }
        .map_err(|e| FieldError::new(field(), e.reason))?;
        if let Ok(k) = key(kind, &raw) {
            // Store the normalised form, so the profile shows what identifies the customer.
            traits.insert(trait_name.to_owned(), Value::String(k.value().to_owned()));
            identities.push(k);
        }
    }
    if let Some(a) = &anonymous_id {
        identities.extend(key(IdentityKind::AnonymousId, a).ok());
    }
    identities.dedup();
    if identities.is_empty() {
        return Err(FieldError::new(
            "userId",
            "neither userId nor anonymousId identifies anyone (placeholders such as \"guest\" or \"0\" do not)",
        ));
    }

    let timestamp = event_time(message, env)?;
    let order = match (kind, name.as_deref().and_then(EcommerceEvent::from_name)) {
        (EventKind::Track, Some(ecommerce)) => segment_ecommerce::order_change(
            ecommerce,
            &properties,
            env.source,
            timestamp,
            &identities,
        )?,
        _ => None,
    };
    Ok(Message {
        event: EventInput {
            source: env.source,
            message_id,
            kind,
            name,
            identities,
            force_link: kind == EventKind::Alias,
            traits,
            properties: EventProperties::new(kind, &properties),
            timestamp,
            received_at: env.received_at,
        },
        order,
    })
}

/// `timestamp`, else `originalTimestamp` corrected by the device's clock skew
/// (`receivedAt - sentAt`), else the time it arrived.
fn event_time(message: &Map<String, Value>, env: &Envelope<'_>) -> Result<Millis, FieldError> {
    if let Some(at) = instant(message, "timestamp")? {
        return Ok(at);
    }
    let sent_at = match instant(message, "sentAt")? {
        Some(at) => Some(at),
        None => match env.sent_at {
            Some(Value::String(s)) => parse_timestamp(s, ShopTimeZone::UTC),
            _ => None,
        },
    };
    Ok(match (instant(message, "originalTimestamp")?, sent_at) {
        (Some(original), Some(sent)) => env.received_at - (sent - original),
        (Some(original), None) => original,
        _ => env.received_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Envelope<'static> {
        Envelope {
            source: SourceId(1),
            source_name: "web",
            region: DefaultRegion::default(),
            received_at: 10_000,
            sent_at: None,
        }
    }

    #[test]
    fn identify_collects_identities_in_priority_order() {
        let m = parse(
            &json!({"type":"identify","userId":42,"anonymousId":"a1","messageId":"m1",
                    "traits":{"email":"Li@Example.com","phone":"13812345678","name":"李娜"}}),
            None,
            &env(),
        )
        .expect("valid");
        let kinds: Vec<String> = m.event.identities.iter().map(|k| k.kind().name()).collect();
        assert_eq!(kinds, ["user_id:web", "email", "phone", "anonymous_id"]);
        assert_eq!(m.event.traits["email"], "li@example.com");
    }

    #[test]
    fn bad_input_names_the_field() {
        let e = |v: Value| {
            parse(&v, Some(EventKind::Track), &env())
                .expect_err("invalid")
                .field
        };
        assert_eq!(e(json!({"event":"x"})), "userId");
        assert_eq!(e(json!({"userId":"u"})), "event");
        assert_eq!(
            e(json!({"userId":"u","event":"x","context":{"traits":{"email":"nope"}}})),
            "context.traits.email"
        );
        assert_eq!(
            e(json!({"userId":"u","event":"x","timestamp":"yesterday"})),
            "timestamp"
        );
        assert_eq!(e(json!({"userId":{"a":1},"event":"x"})), "userId");
    }

    #[test]
    fn masked_and_placeholder_contacts_identify_nobody() {
        let m = parse(
            &json!({"type":"identify","userId":"u1","traits":{"phone":"138****5678","email":"test@test.com"}}),
            None,
            &env(),
        )
        .expect("accepted");
        let kinds: Vec<String> = m.event.identities.iter().map(|k| k.kind().name()).collect();
        assert_eq!(kinds, ["user_id:web"]);
        assert_eq!(m.event.traits["phone"], "138****5678");
    }

    #[test]
    fn placeholder_ids_are_ignored_when_another_id_remains() {
        let m = parse(
            &json!({"type":"track","userId":"guest","anonymousId":"a-1","event":"x"}),
            None,
            &env(),
        )
        .expect("accepted");
        assert_eq!(m.event.identities.len(), 1);
        let e = parse(
            &json!({"type":"track","userId":"0","event":"x"}),
            None,
            &env(),
        )
        .expect_err("nobody");
        assert_eq!(e.field, "userId");
    }

    #[test]
    fn clock_skew_is_corrected_and_missing_ids_are_stable() {
        let v = json!({"type":"track","userId":"u","event":"x",
                       "originalTimestamp":"1970-01-01T00:00:05Z","sentAt":"1970-01-01T00:00:06Z"});
        let a = parse(&v, None, &env()).expect("valid");
        assert_eq!(a.event.timestamp, 9_000);
        let b = parse(&v, None, &env()).expect("valid");
        assert_eq!(a.event.message_id, b.event.message_id);
    }

    #[test]
    fn order_completed_becomes_an_order() {
        let m = parse(
            &json!({"type":"track","userId":"u","event":"Order Completed","messageId":"m",
                    "properties":{"order_id":"o1","total":88.5,"currency":"CNY"}}),
            None,
            &env(),
        )
        .expect("valid");
        assert!(matches!(m.order, Some(OrderChange::Upsert(ref o)) if o.total.minor() == 8850));
    }
}
