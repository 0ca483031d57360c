//! One cell into one domain value, with a reason that names the column when it cannot be.
//! Personal values (e-mail, phone, name, address) are never quoted in a reason.

use super::csv_rows::Row;
use guanxi_domain::ShopTimeZone;
use guanxi_domain::time::{Millis, parse_timestamp};
use guanxi_domain::{
    Currency, DefaultRegion, IdentityKey, IdentityKind, Money, OrderCustomer, OrderItemInput,
};
use serde_json::{Map, Value};

pub(crate) fn amount(
    row: &Row<'_>,
    column: &str,
    currency: Currency,
) -> Result<Option<Money>, String> {
    row.get(column)
        .map(|raw| Money::parse(raw, currency).map_err(|e| format!("{column}: {}", e.reason)))
        .transpose()
}

pub(crate) fn required_amount(
    row: &Row<'_>,
    column: &str,
    currency: Currency,
) -> Result<Money, String> {
    amount(row, column, currency)?.ok_or_else(|| format!("{column}: is empty"))
}

/// A whole number of items; `2.0` is accepted because spreadsheets write it.
pub(crate) fn quantity(row: &Row<'_>, column: &str) -> Result<Option<i64>, String> {
    let Some(raw) = row.get(column) else {
        return Ok(None);
    };
    let whole = raw
        .strip_suffix(".0")
        .or_else(|| raw.strip_suffix(".00"))
        .unwrap_or(raw);
    whole
        .parse::<i64>()
        .map(Some)
        .map_err(|_| format!("{column}: {raw:?} is not a whole number"))
}

pub(crate) fn timestamp(
    row: &Row<'_>,
    column: &str,
    zone: ShopTimeZone,
) -> Result<Option<Millis>, String> {
    row.get(column)
        .map(|raw| {
            parse_timestamp(raw, zone).ok_or_else(|| {
                format!("{column}: {raw:?} is not a date and time (YYYY-MM-DD HH:MM:SS)")
            })
        })
        .transpose()
}

pub(crate) fn required_timestamp(
    row: &Row<'_>,
    column: &str,
    zone: ShopTimeZone,
) -> Result<Millis, String> {
    timestamp(row, column, zone)?.ok_or_else(|| format!("{column}: is empty"))
}

/// Whether a value was masked by the channel (`王**`, `138****1234`).
pub(crate) fn is_masked(value: &str) -> bool {
    value.contains('*')
}

/// Who is behind an order or profile, assembled column by column.
pub(crate) struct Who {
    region: DefaultRegion,
    pub(crate) identities: Vec<IdentityKey>,
    pub(crate) traits: Map<String, Value>,
}

impl Who {
    pub(crate) fn new(region: DefaultRegion) -> Self {
        Self {
            region,
            identities: Vec::new(),
            traits: Map::new(),
        }
    }

    /// Exports: a value that identifies nobody (masked, junk, malformed) is dropped.
    pub(crate) fn lenient(&mut self, kind: IdentityKind, raw: Option<&str>) {
        if let Some(key) = raw.and_then(|raw| IdentityKey::new(kind, raw, self.region).ok()) {
            self.push(key);
        }
    }

    /// Files the user wrote: a malformed value is an error naming the column; masked values are
    /// still dropped, as they are what a shop's own export looks like.
    pub(crate) fn strict(
        &mut self,
        kind: IdentityKind,
        column: &str,
        raw: Option<&str>,
    ) -> Result<(), String> {
        let Some(raw) = raw.filter(|raw| !is_masked(raw)) else {
            return Ok(());
        };
        let key = IdentityKey::new(kind, raw, self.region)
            .map_err(|e| format!("{column}: {}", e.reason))?;
        self.push(key);
        Ok(())
    }

    fn push(&mut self, key: IdentityKey) {
        if !self.identities.contains(&key) {
            self.identities.push(key);
        }
    }

    /// A descriptive trait, unless absent or masked.
    pub(crate) fn describe(&mut self, key: &str, raw: Option<&str>) {
        if let Some(value) = raw.filter(|v| !is_masked(v)) {
            self.traits
                .insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }

    /// The order's customer; with no usable identity left, `external:<source>` = `order:<id>`
    /// keeps the order and makes a re-import resolve to the same customer.
    pub(crate) fn into_order_customer(
        mut self,
        source_name: &str,
        external_id: &str,
    ) -> OrderCustomer {
        if self.identities.is_empty() {
            let kind = IdentityKind::External {
                source: source_name.to_owned(),
            };
            self.lenient(kind, Some(&format!("order:{external_id}")));
        }
        OrderCustomer {
            identities: self.identities,
            traits: self.traits,
        }
    }
}

/// An order whose first row carries the order and every row one item (Shopify, JD and
/// orders-csv exports): a bad row rejects the order, reported at that row's line.
pub(crate) fn order_with_items(
    rows: &[Row<'_>],
    ctx: &super::Context,
    head: impl Fn(&Row<'_>, &super::Context) -> Result<guanxi_domain::OrderInput, String>,
    columns: &ItemColumns<'_>,
) -> Result<super::ImportRecord, super::Fault> {
    let Some(first) = rows.first() else {
        return Err((0, "no row".into()));
    };
    let mut order = head(first, ctx).map_err(|reason| (first.line, reason))?;
    for row in rows {
        if let Some(item) =
            item(row, columns, order.currency()).map_err(|reason| (row.line, reason))?
        {
            order.items.push(item);
        }
    }
    Ok(super::ImportRecord::Order(order))
}

/// The item line of one row: `sku`/`name`/`quantity`/`price` columns as the format names them.
pub(crate) struct ItemColumns<'c> {
    pub(crate) sku: &'c str,
    pub(crate) name: &'c str,
    pub(crate) category: Option<&'c str>,
    pub(crate) quantity: &'c str,
    pub(crate) price: &'c str,
}

/// The row's item, `None` when it names no product (no sku and no name).
pub(crate) fn item(
    row: &Row<'_>,
    columns: &ItemColumns<'_>,
    currency: Currency,
) -> Result<Option<OrderItemInput>, String> {
    let sku = row.get(columns.sku).unwrap_or_default();
    let name = row.get(columns.name).unwrap_or_default();
    if sku.is_empty() && name.is_empty() {
        return Ok(None);
    }
    let quantity = quantity(row, columns.quantity)?.unwrap_or(1);
    if quantity <= 0 {
        return Err(format!("{}: must be at least 1", columns.quantity));
    }
    let price = required_amount(row, columns.price, currency)?;
    Ok(Some(OrderItemInput {
        sku: sku.to_owned(),
        name: name.to_owned(),
        category: columns.category.and_then(|c| row.get(c)).map(str::to_owned),
        quantity,
        price,
    }))
}
