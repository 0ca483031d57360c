//! Amounts as JSON carries them: numbers (`88.5`, as Segment SDKs send) or decimal strings
//! (`"88.50"`, as Shopify sends).

use guanxi_domain::{Currency, FieldError, Money};
use serde_json::Value;

/// Reads an amount in `currency`. A JSON number is read from its shortest decimal form
/// (`88.5` is exactly 8850 fen, never 8849 through float rounding); an exponent (`1e3`) is
/// expanded; trailing zeros after the point are ignored (`1200.0` is fine for JPY). More
/// decimals than the currency has (`0.30000000000000004`, `1.005`) is an error, never a
/// rounding. Errors name the field `amount`; callers re-name it to the JSON path.
pub fn money_from_json(value: &Value, currency: Currency) -> Result<Money, FieldError> {
    let text = match value {
        Value::Number(n) => expand_exponent(&n.to_string())
            .ok_or_else(|| FieldError::new("amount", "is out of range"))?,
        Value::String(s) => s.clone(),
        _ => {
            return Err(FieldError::new(
                "amount",
                "must be a number or a decimal string",
            ));
        }
    };
    Money::parse(trim_zero_fraction(&text), currency)
}

/// `1.5e3` → `1500`, `2e-2` → `0.02`; text without an exponent is returned as is.
fn expand_exponent(text: &str) -> Option<String> {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return Some(text.to_owned());
    };
    let exponent: i32 = exponent.parse().ok()?;
    if exponent.abs() > 40 {
        return None;
    }
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let point = i32::try_from(whole.len()).ok()? + exponent;
    let len = i32::try_from(digits.len()).ok()?;
    let expanded = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    Some(format!("{sign}{expanded}"))
}

/// `88.50` → `88.5`, `1200.0` → `1200`; anything that is not a plain decimal is left alone.
fn trim_zero_fraction(text: &str) -> &str {
    let text = text.trim();
    match text.split_once('.') {
        Some((_, fraction))
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let trimmed = text.trim_end_matches('0');
            let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
            if trimmed.trim_start_matches(['-', '+']).is_empty() {
                "0"
            } else {
                trimmed
            }
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn cny(value: Value) -> Result<i64, FieldError> {
        money_from_json(&value, Currency::CNY).map(|m| m.minor())
    }

    fn from_text(json_text: &str, currency: Currency) -> Result<i64, FieldError> {
        let value: Value = serde_json::from_str(json_text).expect("json");
        money_from_json(&value, currency).map(|m| m.minor())
    }

    #[test]
    fn numbers_convert_without_float_surprises() {
        assert_eq!(cny(json!(88.5)), Ok(8850));
        assert_eq!(cny(json!(88)), Ok(8800));
        assert_eq!(cny(json!(0.29)), Ok(29));
        assert_eq!(cny(json!(1.15)), Ok(115));
        assert_eq!(cny(json!(-3.5)), Ok(-350));
        assert_eq!(from_text("88.50", Currency::CNY), Ok(8850));
        assert_eq!(from_text("1e3", Currency::CNY), Ok(100_000));
        assert_eq!(from_text("1.5E2", Currency::CNY), Ok(15_000));
        assert_eq!(from_text("25e-2", Currency::CNY), Ok(25));
    }

    #[test]
    fn strings_are_decimal_amounts() {
        assert_eq!(cny(json!("199.00")), Ok(19_900));
        assert_eq!(cny(json!("88.5")), Ok(8850));
        assert_eq!(cny(json!("0.0")), Ok(0));
    }

    #[test]
    fn extra_precision_and_junk_are_errors() {
        assert!(cny(json!(0.1 + 0.2)).is_err());
        assert!(cny(json!(1.005)).is_err());
        assert!(cny(json!("12.345")).is_err());
        assert!(cny(json!(true)).is_err());
        assert!(cny(json!(null)).is_err());
        assert!(from_text("1e300", Currency::CNY).is_err());
        assert!(from_text("1e-300", Currency::CNY).is_err());
    }

    #[test]
    fn currency_decimals_apply() {
        let jpy = Currency::parse("JPY").expect("code");
        let kwd = Currency::parse("KWD").expect("code");
        assert_eq!(from_text("1200", jpy), Ok(1200));
        assert_eq!(from_text("1200.0", jpy), Ok(1200));
        assert!(from_text("1200.5", jpy).is_err());
        assert_eq!(from_text("1.125", kwd), Ok(1125));
    }

    proptest! {
        #[test]
        fn json_numbers_round_trip(minor in -999_999_999_999_999i64..999_999_999_999_999i64) {
            // What an SDK does: a float amount with two decimals, serialised as JSON text.
            let amount = minor as f64 / 100.0;
            let text = serde_json::to_string(&amount).expect("serialises");
            prop_assert_eq!(from_text(&text, Currency::CNY), Ok(minor));
        }

        #[test]
        fn decimal_strings_round_trip(minor in -10_000_000_000i64..10_000_000_000i64) {
            let money = Money::from_minor(minor, Currency::CNY);
            let text = json!(money.to_decimal_string());
            prop_assert_eq!(money_from_json(&text, Currency::CNY), Ok(money));
        }
    }
}
