//! Guanxi's own CSV formats, written by people or scripts: `orders-csv` (one row per item,
//! consecutive rows with one `external_id` form an order) and `customers-csv` (one row per
//! person). Unlike channel exports, a malformed e-mail or phone here rejects the row; masked
//! values are still just dropped. See `docs/IMPORT_FORMATS.md`.

use super::cells::{
    ItemColumns, Who, order_with_items, required_amount, required_timestamp, timestamp,
};
use super::csv_rows::{Header, Row};
use super::{Context, Fault, Format, ImportRecord};
use guanxi_domain::{Currency, IdentityKind, OrderInput, OrderStatus, ProfileInput};
use serde_json::Value;

pub(crate) struct OrdersCsv;
pub(crate) struct CustomersCsv;

const ORDER_REQUIRED: &[&str] = &["external_id", "status", "total", "created_at"];

const ITEM: ItemColumns<'static> = ItemColumns {
    sku: "sku",
    name: "item_name",
    category: Some("category"),
    quantity: "quantity",
    price: "price",
};

impl Format for OrdersCsv {
    fn missing_columns(&self, header: &Header) -> Vec<String> {
        header.missing(ORDER_REQUIRED)
    }

    fn group_key(&self, row: &Row<'_>) -> Option<String> {
        row.get("external_id").map(str::to_owned)
    }

    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault> {
        order_with_items(rows, ctx, order, &ITEM)
    }
}

fn order(row: &Row<'_>, ctx: &Context) -> Result<OrderInput, String> {
    let options = &ctx.options;
    let external_id = row.require("external_id")?;
    let raw_status = row.require("status")?;
    let status = OrderStatus::parse(raw_status)
        .map_err(|e| format!("status: {raw_status:?} {}", e.reason))?;
    let currency = match row.get("currency") {
        Some(code) => {
            Currency::parse(code).map_err(|e| format!("currency: {code:?} {}", e.reason))?
        }
        None => options.default_currency,
    };
    let total = required_amount(row, "total", currency)?;
    let created_at = required_timestamp(row, "created_at", options.time_zone)?;
    let mut who = Who::new(options.region);
    identities(&mut who, row, ctx)?;
    who.describe("name", row.get("name"));
    Ok(OrderInput {
        source: options.source,
        external_id: external_id.to_owned(),
        status,
        total,
        created_at,
        customer: who.into_order_customer(&options.source_name, external_id),
        items: Vec::new(),
        refunds: Vec::new(),
    })
}

/// Identity columns of both formats, highest priority first; all optional.
const IDENTITY_COLUMNS: &[(&str, IdentityKind)] = &[
    ("shopify_customer", IdentityKind::ShopifyCustomer),
    ("wechat_unionid", IdentityKind::WechatUnionid),
    ("taobao_buyer", IdentityKind::TaobaoBuyer),
    ("jd_buyer", IdentityKind::JdBuyer),
    ("wechat_openid", IdentityKind::WechatOpenid),
    ("email", IdentityKind::Email),
    ("phone", IdentityKind::Phone),
];

fn identities(who: &mut Who, row: &Row<'_>, ctx: &Context) -> Result<(), String> {
    let user_id = IdentityKind::UserId {
        source: ctx.options.source_name.clone(),
    };
    who.strict(user_id, "user_id", row.get("user_id"))?;
    for (column, kind) in IDENTITY_COLUMNS {
        who.strict(kind.clone(), column, row.get(column))?;
    }
    Ok(())
}

fn identity_column_names() -> String {
    let mut names: Vec<&str> = vec!["user_id"];
    names.extend(IDENTITY_COLUMNS.iter().map(|(c, _)| *c));
    names.join(", ")
}

impl Format for CustomersCsv {
    fn missing_columns(&self, header: &Header) -> Vec<String> {
        let any = header.has("user_id") || IDENTITY_COLUMNS.iter().any(|(c, _)| header.has(c));
        if any {
            Vec::new()
        } else {
            vec![format!("one of {}", identity_column_names())]
        }
    }

    fn group_key(&self, _row: &Row<'_>) -> Option<String> {
        None
    }

    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault> {
        let Some(row) = rows.first() else {
            return Err((0, "no row".into()));
        };
        profile(row, ctx)
            .map(ImportRecord::Profile)
            .map_err(|reason| (row.line, reason))
    }
}

fn profile(row: &Row<'_>, ctx: &Context) -> Result<ProfileInput, String> {
    let options = &ctx.options;
    let mut who = Who::new(options.region);
    identities(&mut who, row, ctx)?;
    if who.identities.is_empty() {
        return Err(format!(
            "no identity: fill at least one of {}",
            identity_column_names()
        ));
    }
    who.describe("name", row.get("name"));
    who.describe("city", row.get("city"));
    who.describe("address", row.get("address"));
    if let Some(gender) = row.get("gender") {
        who.traits
            .insert("gender".into(), Value::String(gender.to_lowercase()));
    }
    if let Some(raw) = row.get("birthday") {
        let date = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
            .iter()
            .find_map(|f| chrono::NaiveDate::parse_from_str(raw, f).ok())
            .ok_or("birthday: is not a date (YYYY-MM-DD)")?;
        who.traits.insert(
            "birthday".into(),
            Value::String(date.format("%Y-%m-%d").to_string()),
        );
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in row
        .get("tags")
        .unwrap_or_default()
        .split([';', '；'])
        .map(str::trim)
    {
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    let updated_at = timestamp(row, "updated_at", options.time_zone)?.unwrap_or(ctx.now);
    Ok(ProfileInput {
        source: options.source,
        identities: who.identities,
        traits: who.traits,
        tags,
        updated_at,
    })
}
