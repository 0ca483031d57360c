//! Formatting values for pages: money, local times, and personal fields.

use super::i18n::Tr;
use guanxi_domain::Currency;
use guanxi_domain::ShopTimeZone;
use guanxi_domain::money::format_minor;

/// A personal field as a page shows it.
pub enum Cell {
    Value(String),
    /// The record has none.
    Empty,
    /// The viewer's role hides this field.
    Hidden,
}

impl Cell {
    /// The text to show: the value, a dash, or the word for "hidden" in the page's language.
    pub fn text<'a>(&'a self, tr: &Tr) -> &'a str {
        match self {
            Cell::Value(v) => v,
            Cell::Empty => "—",
            Cell::Hidden => tr.get("customers.hidden"),
        }
    }

    pub fn is_hidden(&self) -> bool {
        matches!(self, Cell::Hidden)
    }
}

/// `¥88.00`, `$12.50`, `9.90 EUR`.
pub fn money(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => {
            let amount = format_minor(minor, c);
            match c.code() {
                "CNY" => format!("¥{amount}"),
                "USD" => format!("${amount}"),
                code => format!("{amount} {code}"),
            }
        }
        Err(_) => format!("{minor} {currency}"),
    }
}

/// `2026-10-01 18:00` in the shop's time zone.
pub fn local_time(at: i64, zone: ShopTimeZone) -> String {
    zone.format(at, "%Y-%m-%d %H:%M")
}
