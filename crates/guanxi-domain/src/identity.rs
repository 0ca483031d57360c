//! Identifier kinds and the guards that decide whether a value may identify anyone.

use crate::{Email, FieldError, Phone, phone::DefaultRegion};
use std::fmt;

/// What an identifier is. `UserId` and `External` are scoped to a source (by its name), so the
/// same user id from two unrelated sites never links two people.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKind {
    UserId { source: String },
    ShopifyCustomer,
    WechatUnionid,
    TaobaoBuyer,
    TaobaoOuid,
    JdBuyer,
    WechatOpenid,
    External { source: String },
    Email,
    Phone,
    AnonymousId,
}

/// Kinds that carry no source scope, with their wire names.
const UNSCOPED: &[(&str, IdentityKind)] = &[
    ("shopify_customer", IdentityKind::ShopifyCustomer),
    ("wechat_unionid", IdentityKind::WechatUnionid),
    ("taobao_buyer", IdentityKind::TaobaoBuyer),
    ("taobao_ouid", IdentityKind::TaobaoOuid),
    ("jd_buyer", IdentityKind::JdBuyer),
    ("wechat_openid", IdentityKind::WechatOpenid),
    ("email", IdentityKind::Email),
    ("phone", IdentityKind::Phone),
    ("anonymous_id", IdentityKind::AnonymousId),
];

impl IdentityKind {
    /// Parses a kind as stored and written in look-ups: `email`, `user_id:SOURCE`, `external:SOURCE`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if let Some(source) = raw.strip_prefix("user_id:") {
            return scoped(source).map(|source| Self::UserId { source });
        }
        if let Some(source) = raw.strip_prefix("external:") {
            return scoped(source).map(|source| Self::External { source });
        }
        UNSCOPED
            .iter()
            .find(|(name, _)| *name == raw)
            .map(|(_, kind)| kind.clone())
            .ok_or_else(|| FieldError::new("identity", format!("unknown identity type {raw:?}")))
    }

    /// The wire and storage name; scoped kinds include their source (`user_id:web`).
    pub fn name(&self) -> String {
        match self {
            Self::UserId { source } => format!("user_id:{source}"),
            Self::External { source } => format!("external:{source}"),
            other => UNSCOPED
                .iter()
                .find(|(_, kind)| kind == other)
                .map(|(name, _)| (*name).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The most distinct values of this kind one customer may hold. A message or merge that
    /// would exceed it does not link: two accounts sharing a family e-mail stay two people.
    pub fn limit(&self) -> Option<usize> {
        match self {
            Self::UserId { .. } | Self::ShopifyCustomer | Self::WechatUnionid => Some(1),
            Self::TaobaoBuyer | Self::TaobaoOuid | Self::JdBuyer => Some(3),
            Self::Email | Self::Phone | Self::External { .. } => Some(5),
            Self::WechatOpenid => Some(10),
            Self::AnonymousId => None,
        }
    }
}

fn scoped(source: &str) -> Result<String, FieldError> {
    if source.is_empty() || source.contains(':') {
        Err(FieldError::new(
            "identity",
            "scoped identity types are written TYPE:SOURCE",
        ))
    } else {
        Ok(source.to_owned())
    }
}

/// One identifier of one person: a kind and its normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey {
    kind: IdentityKind,
    value: String,
}

/// Values integrations send when they have nothing; they must never link two people.
const JUNK_VALUES: &[&str] = &[
    "",
    "null",
    "nil",
    "none",
    "undefined",
    "unknown",
    "0",
    "-1",
    "-",
    "n/a",
    "na",
    "guest",
    "anonymous",
    "test",
    "[object object]",
    "false",
    "true",
];
/// Placeholder contacts that many unrelated people type in.
const JUNK_CONTACTS: &[&str] = &[
    "test@test.com",
    "test@example.com",
    "noreply@example.com",
    "a@a.com",
    "example@example.com",
    "+8613800138000",
    "+8613888888888",
    "+8618888888888",
    "+8613000000000",
];

impl IdentityKey {
    /// Builds a key, normalising e-mails and phones and refusing values that cannot identify a
    /// person: empty or junk placeholders, masked values (`138****1234`), control characters.
    pub fn new(kind: IdentityKind, raw: &str, region: DefaultRegion) -> Result<Self, FieldError> {
        let field = kind.name();
        let value = match kind {
            IdentityKind::Email => Email::parse(raw)?.as_str().to_owned(),
            IdentityKind::Phone => Phone::parse(raw, region)?.as_str().to_owned(),
            _ => {
                let value = raw.trim();
                if value.contains('*') {
                    return Err(FieldError::new(field, "is masked"));
                }
                if value.chars().any(char::is_control) || value.len() > 200 {
                    return Err(FieldError::new(
                        field,
                        "must be at most 200 characters without control characters",
                    ));
                }
                value.to_owned()
            }
        };
        if JUNK_VALUES.contains(&value.to_lowercase().as_str())
            || JUNK_CONTACTS.contains(&value.as_str())
        {
            return Err(FieldError::new(
                field,
                "is a placeholder that identifies nobody",
            ));
        }
        Ok(Self { kind, value })
    }

    /// A key read back from storage, already normalised when it was written.
    pub fn from_stored(kind: &str, value: &str) -> Result<Self, FieldError> {
        Ok(Self {
            kind: IdentityKind::parse(kind)?,
            value: value.to_owned(),
        })
    }

    /// Parses the look-up form `TYPE:VALUE` (`email:a@b.cn`, `user_id:web:42`).
    pub fn parse_lookup(raw: &str, region: DefaultRegion) -> Result<Self, FieldError> {
        let scoped_kind = raw.starts_with("user_id:") || raw.starts_with("external:");
        let mut parts = raw.splitn(if scoped_kind { 3 } else { 2 }, ':');
        let kind = if scoped_kind {
            let prefix = parts.next().unwrap_or_default();
            let source = parts.next().unwrap_or_default();
            format!("{prefix}:{source}")
        } else {
            parts.next().unwrap_or_default().to_owned()
        };
        let value = parts
            .next()
            .ok_or_else(|| FieldError::new("identity", "must be written TYPE:VALUE"))?;
        let kind = IdentityKind::parse(&kind)?;
        Self::new(kind, value, region).map_err(|e| FieldError::new("identity", e.reason))
    }

    pub fn kind(&self) -> &IdentityKind {
        &self.kind
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for IdentityKey {
    /// The kind only: identity values are personal data and never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, raw: &str) -> Result<IdentityKey, FieldError> {
        IdentityKey::new(IdentityKind::parse(kind)?, raw, DefaultRegion::default())
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for name in [
            "email",
            "phone",
            "user_id:web",
            "external:erp",
            "taobao_buyer",
            "anonymous_id",
        ] {
            assert_eq!(
                IdentityKind::parse(name).map(|k| k.name()),
                Ok(name.to_owned())
            );
        }
        assert!(IdentityKind::parse("user_id:").is_err());
        assert!(IdentityKind::parse("fax").is_err());
    }

    #[test]
    fn junk_and_masked_values_identify_nobody() {
        assert!(key("anonymous_id", "undefined").is_err());
        assert!(key("user_id:web", "null").is_err());
        assert!(key("taobao_buyer", "t**9").is_err());
        assert!(key("phone", "13800138000").is_err());
        assert!(key("email", "test@test.com").is_err());
        assert!(key("taobao_buyer", "小明").is_ok());
    }

    #[test]
    fn lookups_parse_scoped_and_plain_kinds() {
        let r = DefaultRegion::default();
        let k = IdentityKey::parse_lookup("user_id:web:42:x", r).expect("parses");
        assert_eq!((k.kind().name(), k.value()), ("user_id:web".into(), "42:x"));
        let k = IdentityKey::parse_lookup("phone:13812345678", r).expect("parses");
        assert_eq!(k.value(), "+8613812345678");
        assert!(IdentityKey::parse_lookup("email", r).is_err());
    }
}
