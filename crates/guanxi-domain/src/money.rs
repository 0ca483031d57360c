use crate::FieldError;
use serde::{Serialize, Serializer};

/// An ISO 4217 currency code with the number of digits after its decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not the cent; every other code has two decimals.
const ZERO_DECIMAL: &[&str] = &[
    "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG",
];
const THREE_DECIMAL: &[&str] = &["BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"];

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| FieldError::new("currency", "must be a three-letter ISO 4217 code"))?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(FieldError::new(
                "currency",
                "must be a three-letter ISO 4217 code",
            ));
        }
        Ok(Self(bytes))
    }

    pub fn code(&self) -> &str {
        // Constructed only from three ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    pub fn decimals(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.code()) {
            0
        } else if THREE_DECIMAL.contains(&self.code()) {
            3
        } else {
            2
        }
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The largest amount accepted, in minor units (10 trillion yuan): sums of many such amounts
/// still fit in 64 bits.
const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An amount in integer minor units of its currency (fen for CNY, cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::from_minor(0, currency)
    }

    /// Parses a decimal amount as shops write it: `88`, `88.5`, `88.00`, `1,288.00`, `¥88.00`,
    /// `88.00元`, `-3.50`. More decimals than the currency has is an error, never a rounding.
    pub fn parse(raw: &str, currency: Currency) -> Result<Self, FieldError> {
        let invalid = |reason: String| Err(FieldError::new("amount", reason));
        let mut text: String = raw.trim().chars().filter(|c| *c != ',').collect();
        for symbol in ["¥", "￥", "$", "元", "RMB", "CNY"] {
            text = text.replace(symbol, "");
        }
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let decimals = currency.decimals() as usize;
        if whole.is_empty() && fraction.is_empty() {
            return invalid(format!("{raw:?} is not a decimal amount"));
        }
        if !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
        {
            return invalid(format!("{raw:?} is not a decimal amount"));
        }
        if fraction.len() > decimals {
            return invalid(format!(
                "{raw:?} has more than {decimals} decimals for {}",
                currency.code()
            ));
        }
        let padded = format!("{whole}{fraction:0<decimals$}");
        let Ok(magnitude) = padded.trim_start_matches('0').parse::<i64>().or_else(|e| {
            if padded.chars().all(|c| c == '0') {
                Ok(0)
            } else {
                Err(e)
            }
        }) else {
            return invalid(format!("{raw:?} is too large"));
        };
        if magnitude > MAX_MINOR {
            return invalid(format!("{raw:?} is too large"));
        }
        Ok(Self::from_minor(
            if negative { -magnitude } else { magnitude },
            currency,
        ))
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a decimal string with the currency's decimals, as the API writes money.
    pub fn to_decimal_string(&self) -> String {
        format_minor(self.minor, self.currency)
    }
}

/// Minor units as a decimal string (`8800`, CNY → `88.00`).
pub fn format_minor(minor: i64, currency: Currency) -> String {
    let decimals = currency.decimals();
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cny(raw: &str) -> Result<i64, FieldError> {
        Money::parse(raw, Currency::CNY).map(|m| m.minor())
    }

    #[test]
    fn parses_shop_formats() {
        assert_eq!(cny("88.00"), Ok(8800));
        assert_eq!(cny("88"), Ok(8800));
        assert_eq!(cny("88.5"), Ok(8850));
        assert_eq!(cny("1,288.00元"), Ok(128_800));
        assert_eq!(cny("￥12.30"), Ok(1230));
        assert_eq!(cny("-3.50"), Ok(-350));
        assert_eq!(cny("0.00"), Ok(0));
        assert_eq!(cny(".5"), Ok(50));
    }

    #[test]
    fn rejects_junk_and_extra_precision() {
        assert!(cny("").is_err());
        assert!(cny("abc").is_err());
        assert!(cny("1.234").is_err());
        assert!(cny("1.2.3").is_err());
        assert!(cny("99999999999999999999").is_err());
        assert!(cny("10000000000001.00").is_err());
    }

    #[test]
    fn zero_decimal_currencies() {
        let jpy = Currency::parse("jpy").expect("code");
        assert_eq!(Money::parse("1200", jpy).map(|m| m.minor()), Ok(1200));
        assert!(Money::parse("12.5", jpy).is_err());
        assert_eq!(format_minor(1200, jpy), "1200");
    }

    proptest! {
        #[test]
        fn decimal_string_round_trips(minor in -10_000_000_000i64..10_000_000_000i64) {
            let m = Money::from_minor(minor, Currency::CNY);
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), Currency::CNY).expect("parses"), m);
        }
    }
}
