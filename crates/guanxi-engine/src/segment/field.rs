//! The customer fields a segment rule can compare, with their types and allowed values.

use crate::lifecycle::Stage;
use crate::rfm::{RfmClass, RfmGroup};

/// A comparable field of a customer. Customers without counted orders have no value for any
/// field but `orders` and `spent` (both 0), so comparisons on the others are false for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Orders,
    /// In the shop's currency, major units (`spent >= 500` is ¥500).
    Spent,
    AverageOrderValue,
    DaysSinceLastOrder,
    DaysSinceFirstOrder,
    RScore,
    FScore,
    MScore,
    RfmClass,
    RfmGroup,
    Lifecycle,
    Clv,
    /// Where the customer's predicted value ranks, 0–100 (80 and up: the top fifth).
    ClvPercentile,
    PAlive,
    ChurnRisk,
    ExpectedOrders90Days,
    ExpectedOrders365Days,
}

/// What values a field takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// A number within `min..=max`; whole numbers only when `whole`.
    Number { min: f64, max: f64, whole: bool },
    /// One of these keys.
    Choice(&'static [&'static str]),
}

const RFM_CLASSES: [&str; 8] = {
    let mut keys = [""; 8];
    let mut i = 0;
    while i < 8 {
        keys[i] = RfmClass::ALL[i].key();
        i += 1;
    }
    keys
};
const RFM_GROUPS: [&str; 11] = {
    let mut keys = [""; 11];
    let mut i = 0;
    while i < 11 {
        keys[i] = RfmGroup::ALL[i].key();
        i += 1;
    }
    keys
};
const STAGES: [&str; 6] = {
    let mut keys = [""; 6];
    let mut i = 0;
    while i < 6 {
        keys[i] = Stage::ALL[i].key();
        i += 1;
    }
    keys
};

const COUNT: FieldType = FieldType::Number {
    min: 0.0,
    max: 1e9,
    whole: true,
};
const MONEY: FieldType = FieldType::Number {
    min: 0.0,
    max: 1e13,
    whole: false,
};
const DAYS: FieldType = FieldType::Number {
    min: 0.0,
    max: 36_500.0,
    whole: true,
};
const SCORE: FieldType = FieldType::Number {
    min: 1.0,
    max: 5.0,
    whole: true,
};
const PROBABILITY: FieldType = FieldType::Number {
    min: 0.0,
    max: 1.0,
    whole: false,
};
const PERCENT: FieldType = FieldType::Number {
    min: 0.0,
    max: 100.0,
    whole: false,
};
const EXPECTED: FieldType = FieldType::Number {
    min: 0.0,
    max: 1e6,
    whole: false,
};

impl Field {
    pub const ALL: [Field; 17] = [
        Field::Orders,
        Field::Spent,
        Field::AverageOrderValue,
        Field::DaysSinceLastOrder,
        Field::DaysSinceFirstOrder,
        Field::RScore,
        Field::FScore,
        Field::MScore,
        Field::RfmClass,
        Field::RfmGroup,
        Field::Lifecycle,
        Field::Clv,
        Field::ClvPercentile,
        Field::PAlive,
        Field::ChurnRisk,
        Field::ExpectedOrders90Days,
        Field::ExpectedOrders365Days,
    ];

    /// The name in both rule forms.
    pub fn key(self) -> &'static str {
        match self {
            Field::Orders => "orders",
            Field::Spent => "spent",
            Field::AverageOrderValue => "average_order_value",
            Field::DaysSinceLastOrder => "days_since_last_order",
            Field::DaysSinceFirstOrder => "days_since_first_order",
            Field::RScore => "r_score",
            Field::FScore => "f_score",
            Field::MScore => "m_score",
            Field::RfmClass => "rfm_class",
            Field::RfmGroup => "rfm_group",
            Field::Lifecycle => "lifecycle",
            Field::Clv => "clv",
            Field::ClvPercentile => "clv_percentile",
            Field::PAlive => "p_alive",
            Field::ChurnRisk => "churn_risk",
            Field::ExpectedOrders90Days => "expected_orders_90_days",
            Field::ExpectedOrders365Days => "expected_orders_365_days",
        }
    }

    pub fn parse(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn kind(self) -> FieldType {
        match self {
            Field::Orders => COUNT,
            Field::Spent | Field::AverageOrderValue | Field::Clv => MONEY,
            Field::DaysSinceLastOrder | Field::DaysSinceFirstOrder => DAYS,
            Field::RScore | Field::FScore | Field::MScore => SCORE,
            Field::RfmClass => FieldType::Choice(&RFM_CLASSES),
            Field::RfmGroup => FieldType::Choice(&RFM_GROUPS),
            Field::Lifecycle => FieldType::Choice(&STAGES),
            Field::PAlive | Field::ChurnRisk => PROBABILITY,
            Field::ClvPercentile => PERCENT,
            Field::ExpectedOrders90Days | Field::ExpectedOrders365Days => EXPECTED,
        }
    }

    /// Whether the value changes with the calendar alone, at a day's turn: such conditions are
    /// scheduled to flip at their exact instant.
    pub fn follows_the_calendar(self) -> bool {
        matches!(
            self,
            Field::DaysSinceLastOrder | Field::DaysSinceFirstOrder | Field::Lifecycle
        )
    }

    /// Whether the value depends on the fitted models or the shop-wide RFM cuts, which drift
    /// with every customer's orders and the passing hours: re-evaluated at each recut.
    pub fn drifts(self) -> bool {
        !matches!(
            self,
            Field::Orders | Field::Spent | Field::AverageOrderValue
        ) && !self.follows_the_calendar()
    }
}

/// Identifier kinds a rule can ask for (`identity wechat`). Stored kinds map onto bits; source
/// scoped kinds (`user_id:web`) count as their kind.
pub const IDENTITY_KINDS: [&str; 11] = [
    "email",
    "phone",
    "user_id",
    "anonymous_id",
    "wechat_unionid",
    "wechat_openid",
    "taobao_buyer",
    "taobao_ouid",
    "jd_buyer",
    "shopify_customer",
    "external",
];

/// `wechat` matches either WeChat identifier.
pub const WECHAT: &str = "wechat";

/// The identity kinds a customer holds, one bit per `IDENTITY_KINDS` entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdentityKinds(pub u16);

impl IdentityKinds {
    /// The bits a rule's kind name stands for; `None` for an unknown name.
    pub fn mask_of(name: &str) -> Option<u16> {
        if name == WECHAT {
            return Some(Self::bit("wechat_unionid") | Self::bit("wechat_openid"));
        }
        IDENTITY_KINDS
            .iter()
            .position(|k| *k == name)
            .map(|at| 1 << at)
    }

    fn bit(name: &str) -> u16 {
        Self::mask_of(name).unwrap_or(0)
    }

    /// Adds a stored kind (`email`, `user_id:web`, `external:crm`).
    pub fn add(&mut self, stored: &str) {
        let base = stored.split(':').next().unwrap_or(stored);
        self.0 |= Self::bit(base);
    }

    pub fn has_any(self, mask: u16) -> bool {
        self.0 & mask != 0
    }
}
