use crate::FieldError;
use phonenumber::country::Id as Region;

/// A phone number in E.164 (`+8613812345678`). Eleven-digit mainland mobiles without a
/// prefix get +86 whatever the default region; masked numbers (`138****1234`) never parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// The region assumed for numbers written without a country code (CN unless configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRegion(Region);

impl Default for DefaultRegion {
    fn default() -> Self {
        Self(Region::CN)
    }
}

impl std::str::FromStr for DefaultRegion {
    type Err = FieldError;
    fn from_str(code: &str) -> Result<Self, FieldError> {
        code.trim()
            .to_uppercase()
            .parse::<Region>()
            .map(Self)
            .map_err(|_| FieldError::new("default_region", "is not an ISO 3166 region code"))
    }
}

impl DefaultRegion {
    /// The ISO 3166 code (`CN`).
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl Phone {
    pub fn parse(raw: &str, region: DefaultRegion) -> Result<Self, FieldError> {
        let invalid = |reason: &str| Err(FieldError::new("phone", reason));
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return invalid("is empty");
        }
        if trimmed.contains('*') {
            return invalid("is masked");
        }
        // The parser reads letters as keypad digits (555-SHIP); people's numbers have none.
        if trimmed.chars().any(|c| c.is_alphabetic()) {
            return invalid("contains letters");
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let mainland_mobile = !trimmed.starts_with('+')
            && digits.len() == 11
            && digits.starts_with('1')
            && !trimmed.starts_with("00");
        let region = if mainland_mobile {
            Region::CN
        } else {
            region.0
        };
        let Ok(number) = phonenumber::parse(Some(region), trimmed) else {
            return invalid("is not a phone number");
        };
        if !phonenumber::is_valid(&number) {
            return invalid("is not a valid phone number for its region");
        }
        Ok(Self(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn(raw: &str) -> Result<String, FieldError> {
        Phone::parse(raw, DefaultRegion::default()).map(|p| p.0)
    }

    #[test]
    fn mainland_mobiles_get_plus_86() {
        assert_eq!(cn("13812345678"), Ok("+8613812345678".into()));
        assert_eq!(cn("138 1234 5678"), Ok("+8613812345678".into()));
        assert_eq!(cn("+86 138-1234-5678"), Ok("+8613812345678".into()));
        let us: DefaultRegion = "US".parse().expect("region");
        assert_eq!(
            Phone::parse("13812345678", us).map(|p| p.0),
            Ok("+8613812345678".into())
        );
    }

    #[test]
    fn other_regions_keep_their_code() {
        assert_eq!(cn("+1 415 555 2671"), Ok("+14155552671".into()));
    }

    #[test]
    fn masked_and_junk_are_rejected() {
        assert!(cn("138****5678").is_err());
        assert!(cn("hello").is_err());
        assert!(cn("123").is_err());
        assert!(cn("555-555-SHIP").is_err());
    }
}
