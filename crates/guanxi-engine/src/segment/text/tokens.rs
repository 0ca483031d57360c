//! The text form cut into tokens, each with the column it starts at.

use crate::segment::rule::RuleError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Word(String),
    Number(f64),
    /// `2026-03-31`, as written.
    Date(String),
    Text(String),
    Symbol(&'static str),
}

impl Kind {
    pub(super) fn describe(&self) -> String {
        match self {
            Kind::Word(w) => format!("`{w}`"),
            Kind::Number(n) => format!("the number {n}"),
            Kind::Date(d) => format!("the date {d}"),
            Kind::Text(s) => format!("the string {s:?}"),
            Kind::Symbol(s) => format!("`{s}`"),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) column: usize,
}

const SYMBOLS: [&str; 9] = [">=", "<=", "!=", "=", ">", "<", "(", ")", ","];

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(RuleError::new(
                            format!("column {column}"),
                            "the string is not closed",
                        ));
                    }
                    Some('"') => break,
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(c) => {
                        s.push(*c);
                        i += 1;
                    }
                }
            }
            i += 1;
            tokens.push(Token {
                kind: Kind::Text(s),
                column,
            });
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                i += 1;
            }
            // A date: four digits, then -MM-DD.
            if i - start == 4 && chars.get(i) == Some(&'-') {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Date(chars[start..i].iter().collect()),
                    column,
                });
                continue;
            }
            let raw: String = chars[start..i].iter().collect();
            let n = raw.parse().map_err(|_| {
                RuleError::new(
                    format!("column {column}"),
                    format!("{raw:?} is not a number"),
                )
            })?;
            tokens.push(Token {
                kind: Kind::Number(n),
                column,
            });
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            tokens.push(Token {
                kind: Kind::Word(chars[start..i].iter().collect()),
                column,
            });
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| {
            s.chars()
                .enumerate()
                .all(|(k, sc)| chars.get(i + k) == Some(&sc))
        }) {
            i += symbol.len();
            tokens.push(Token {
                kind: Kind::Symbol(symbol),
                column,
            });
        } else {
            return Err(RuleError::new(
                format!("column {column}"),
                format!("unexpected character {c:?}"),
            ));
        }
    }
    Ok(tokens)
}
