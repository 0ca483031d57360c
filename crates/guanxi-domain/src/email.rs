use crate::FieldError;

/// A syntactically valid e-mail address, trimmed and lower-cased so one mailbox is one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let invalid = |reason: &str| Err(FieldError::new("email", reason));
        if value.is_empty() {
            return invalid("is empty");
        }
        if value.len() > 254 {
            return invalid("is longer than 254 characters");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("contains spaces or control characters");
        }
        if value.contains('*') {
            return invalid("is masked");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return invalid("has no @");
        };
        if local.is_empty() || local.contains('@') {
            return invalid("has no valid part before @");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return invalid("has no valid domain after @");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse(" Li.Na@Example.COM ").map(|e| e.0),
            Ok("li.na@example.com".into())
        );
    }

    #[test]
    fn rejects_junk_and_masked() {
        for bad in [
            "",
            "no-at",
            "@x.com",
            "a@b",
            "a@.com",
            "a b@x.com",
            "li***@qq.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-z0-9._%+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}") {
            let e = Email::parse(&format!("{local}@{domain}")).expect("valid");
            prop_assert_eq!(Email::parse(e.as_str()).expect("still valid"), e);
        }
    }
}
