//! Message templates written by shop staff: one set of parts (subject, HTML, text) per
//! language, rendered by minijinja in its sandbox (no files, no network, a fuel limit against
//! endless loops). Checked when saved, with the line and column of the first error; values a
//! customer lacks fall back to defaults the author sets.

use guanxi_domain::FieldError;
use guanxi_domain::messaging::Channel;
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The languages a template is written in.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// Instructions a render may spend: ample for any message, fatal to a loop that never ends.
const FUEL: u64 = 200_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub html: String,
    #[serde(default)]
    pub text: String,
}

/// A template's content as stored: parts per language and the defaults of its variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateContent {
    pub languages: BTreeMap<String, Parts>,
    #[serde(default)]
    pub defaults: Map<String, Value>,
}

/// A rendered message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

impl TemplateContent {
    /// Reads and checks a template's content for `channel`: every language known and at least
    /// one written, the parts the channel needs present, every part valid template syntax.
    pub fn parse(channel: Channel, value: &Value) -> Result<Self, FieldError> {
        let content: Self = serde_json::from_value(value.clone())
            .map_err(|e| FieldError::new("content", e.to_string()))?;
        if content.languages.is_empty() {
            return Err(FieldError::new(
                "content.languages",
                "must hold the parts of at least one language (zh-CN or en)",
            ));
        }
        for (language, parts) in &content.languages {
            let at = format!("content.languages.{language}");
            if !LANGUAGES.contains(&language.as_str()) {
                return Err(FieldError::new(at, "is not a language: use zh-CN or en"));
            }
            if channel == Channel::Email && parts.subject.trim().is_empty() {
                return Err(FieldError::new(
                    format!("{at}.subject"),
                    "an e-mail needs a subject",
                ));
            }
            if parts.text.trim().is_empty() && parts.html.trim().is_empty() {
                return Err(FieldError::new(format!("{at}.text"), "must not be empty"));
            }
            for (part, source) in content.named_parts(language) {
                check_syntax(&format!("{at}.{part}"), source)?;
            }
        }
        Ok(content)
    }

    /// Whether any part of any language names `variable` (a cheap look before reading what
    /// only some templates use).
    pub fn mentions(&self, variable: &str) -> bool {
        self.languages.values().any(|p| {
            [&p.subject, &p.html, &p.text]
                .iter()
                .any(|t| t.contains(variable))
        })
    }

    fn named_parts<'a>(&'a self, language: &str) -> Vec<(&'static str, &'a str)> {
        self.languages
            .get(language)
            .map(|p| {
                vec![
                    ("subject", p.subject.as_str()),
                    ("html", p.html.as_str()),
                    ("text", p.text.as_str()),
                ]
            })
            .unwrap_or_default()
    }

    /// The language to write to a customer in: theirs if the template has it, else Chinese,
    /// else whichever it has.
    pub fn language_for(&self, preferred: Option<&str>) -> &str {
        let has = |l: &str| self.languages.contains_key(l);
        let wanted = preferred.map(|p| if p.starts_with("zh") { "zh-CN" } else { "en" });
        match wanted {
            Some(l) if has(l) => l,
            _ if has("zh-CN") => "zh-CN",
            _ => self.languages.keys().next().map_or("zh-CN", String::as_str),
        }
    }

    /// Renders the parts of `language` with `values`; the author's defaults fill what the
    /// customer lacks (a value that is absent, null or empty).
    pub fn render(
        &self,
        language: &str,
        values: &Map<String, Value>,
    ) -> Result<Rendered, FieldError> {
        let mut context = self.defaults.clone();
        for (key, value) in values {
            let empty = value.is_null() || value.as_str().is_some_and(str::is_empty);
            if !empty || !context.contains_key(key) {
                context.insert(key.clone(), value.clone());
            }
        }
        let env = sandbox();
        let mut rendered = Rendered::default();
        for (part, source) in self.named_parts(language) {
            let field = format!("content.languages.{language}.{part}");
            // `.html` turns on escaping of values; subjects and text go out as written.
            let name = if part == "html" {
                "part.html"
            } else {
                "part.txt"
            };
            let template = env
                .template_from_named_str(name, source)
                .map_err(|e| syntax_error(&field, source, &e))?;
            let out = template.render(&context).map_err(|e| {
                FieldError::new(
                    field.clone(),
                    format!("cannot be rendered: {}", e.detail().unwrap_or("error")),
                )
            })?;
            match part {
                "subject" => rendered.subject = out.trim().to_owned(),
                "html" => rendered.html = out,
                _ => rendered.text = out,
            }
        }
        Ok(rendered)
    }
}

fn sandbox<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    // A missing value prints as nothing, but calling or indexing into one is an error.
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env
}

fn check_syntax(field: &str, source: &str) -> Result<(), FieldError> {
    sandbox()
        .template_from_str(source)
        .map(|_| ())
        .map_err(|e| syntax_error(field, source, &e))
}

/// `line 3, column 7: unexpected end of input, expected end of block`.
fn syntax_error(field: &str, source: &str, e: &minijinja::Error) -> FieldError {
    let line = e.line().unwrap_or(1);
    let column = e
        .range()
        .map(|range| {
            let start = range.start.min(source.len());
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            source[line_start..start].chars().count() + 1
        })
        .unwrap_or(1);
    FieldError::new(
        field,
        format!(
            "line {line}, column {column}: {}",
            e.detail().unwrap_or("invalid template syntax")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(text: &str) -> Value {
        json!({"languages": {"en": {"subject": "Hi", "text": text}}})
    }

    #[test]
    fn a_syntax_error_names_the_part_line_and_column() {
        let e = TemplateContent::parse(Channel::Email, &content("Hello\n{{ name }\nbye"))
            .expect_err("bad syntax");
        assert_eq!(e.field, "content.languages.en.text");
        assert!(e.reason.starts_with("line 2, column "), "{}", e.reason);
        let e = TemplateContent::parse(Channel::Email, &content("{% if x %}open"))
            .expect_err("unclosed block");
        assert!(e.reason.contains("line 1"), "{}", e.reason);
    }

    #[test]
    fn missing_values_fall_back_to_the_authors_defaults() {
        let raw = json!({
            "languages": {
                "zh-CN": {"subject": "{{ name }}，您好", "text": "{{ name }}，送您 {{ coupon_code }}"},
                "en": {"subject": "Hello {{ name }}", "html": "<p>{{ name }}</p>", "text": "x"}
            },
            "defaults": {"name": "亲爱的顾客"}
        });
        let t = TemplateContent::parse(Channel::Email, &raw).expect("valid");
        let values = json!({"name": "", "coupon_code": "GX-1"});
        let zh = t
            .render("zh-CN", values.as_object().expect("object"))
            .expect("render");
        assert_eq!(zh.subject, "亲爱的顾客，您好");
        assert_eq!(zh.text, "亲爱的顾客，送您 GX-1");
        let en = t
            .render(
                "en",
                json!({"name": "<Li & Wang>"}).as_object().expect("object"),
            )
            .expect("render");
        assert_eq!(
            en.html, "<p>&lt;Li &amp; Wang&gt;</p>",
            "HTML escapes values"
        );
        assert_eq!(en.subject, "Hello <Li & Wang>");
    }

    #[test]
    fn a_loop_that_never_ends_runs_out_of_fuel() {
        let raw = content("{% for i in range(100000000) %}{{ i }}{% endfor %}");
        let t = TemplateContent::parse(Channel::Email, &raw).expect("valid syntax");
        let e = t.render("en", &Map::new()).expect_err("out of fuel");
        assert_eq!(e.field, "content.languages.en.text");
    }

    #[test]
    fn languages_and_parts_are_checked() {
        let e =
            TemplateContent::parse(Channel::Email, &json!({"languages": {"fr": {"text": "x"}}}))
                .expect_err("unknown language");
        assert_eq!(e.field, "content.languages.fr");
        let e =
            TemplateContent::parse(Channel::Email, &json!({"languages": {"en": {"text": "x"}}}))
                .expect_err("no subject");
        assert_eq!(e.field, "content.languages.en.subject");
        assert!(
            TemplateContent::parse(
                Channel::Sms,
                &json!({"languages": {"zh-CN": {"text": "x"}}})
            )
            .is_ok()
        );
    }
}
