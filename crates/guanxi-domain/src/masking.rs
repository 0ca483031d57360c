//! How personal data is shown to someone not allowed to see it: enough to recognise, not to use.

/// `+8613812345678` → `138****5678`; other numbers keep their last four digits.
pub fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let national: &[char] = if e164.starts_with("+86") && digits.len() == 13 {
        &digits[2..]
    } else {
        &digits
    };
    if national.len() < 7 {
        return "****".into();
    }
    let head: String = national[..3].iter().collect();
    let tail: String = national[national.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `lina@example.com` → `l***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `王小明` → `王**`, `Li Na` → `L****`: the first character and one star per hidden one.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Any other personal value: fully hidden.
pub fn mask_other(_value: &str) -> String {
    "****".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_chinese_shops_do() {
        assert_eq!(mask_phone("+8613812345678"), "138****5678");
        assert_eq!(mask_email("lina@example.com"), "l***@example.com");
        assert_eq!(mask_name("王小明"), "王**");
    }
}
