//! The template editor's values: a subject, HTML and text box per language and the defaults
//! as `name = value` lines, to and from the content `guanxi_app::messaging` stores.

use super::super::session::FormFields;
use guanxi_app::messaging::template::{LANGUAGES, Parts, TemplateContent};
use guanxi_app::messaging::templates::TemplateForm;
use serde_json::{Map, Value};

/// One language's boxes; `code` is `zh-CN` or `en`, `field` its form-name prefix.
#[derive(Default)]
pub(super) struct LanguageParts {
    pub(super) code: &'static str,
    pub(super) field: &'static str,
    pub(super) subject: String,
    pub(super) html: String,
    pub(super) text: String,
}

#[derive(Default)]
pub(super) struct TemplateDraft {
    pub(super) key: String,
    pub(super) name: String,
    pub(super) channel: String,
    pub(super) languages: Vec<LanguageParts>,
    /// `name = value`, one per line.
    pub(super) defaults: String,
}

/// A language's form-name prefix: `zh_cn` and `en`.
fn field_of(code: &str) -> &'static str {
    if code == "en" { "en" } else { "zh_cn" }
}

impl TemplateDraft {
    pub(super) fn blank() -> Self {
        Self {
            channel: "email".to_owned(),
            languages: LANGUAGES
                .iter()
                .map(|code| LanguageParts {
                    code,
                    field: field_of(code),
                    ..LanguageParts::default()
                })
                .collect(),
            ..Self::default()
        }
    }

    pub(super) fn of_form(form: &FormFields) -> Self {
        let raw = |name: &str| form.get(name).to_owned();
        Self {
            key: raw("key"),
            name: raw("name"),
            channel: raw("channel"),
            languages: LANGUAGES
                .iter()
                .map(|code| {
                    let field = field_of(code);
                    LanguageParts {
                        code,
                        field,
                        subject: raw(&format!("{field}_subject")),
                        html: raw(&format!("{field}_html")),
                        text: raw(&format!("{field}_text")),
                    }
                })
                .collect(),
            defaults: raw("defaults"),
        }
    }

    pub(super) fn of_stored(
        key: &str,
        name: &str,
        channel: &str,
        content: &TemplateContent,
    ) -> Self {
        let mut draft = Self::blank();
        draft.key = key.to_owned();
        draft.name = name.to_owned();
        draft.channel = channel.to_owned();
        for parts in &mut draft.languages {
            if let Some(stored) = content.languages.get(parts.code) {
                parts.subject = stored.subject.clone();
                parts.html = stored.html.clone();
                parts.text = stored.text.clone();
            }
        }
        draft.defaults = content
            .defaults
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k} = {s}"),
                other => format!("{k} = {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        draft
    }

    /// The form the application checks: languages left blank are left out; a defaults line
    /// without `=` is reported by its number.
    pub(super) fn to_form(&self) -> Result<TemplateForm, (String, String)> {
        let mut content = TemplateContent::default();
        for parts in &self.languages {
            if [&parts.subject, &parts.html, &parts.text]
                .iter()
                .all(|p| p.trim().is_empty())
            {
                continue;
            }
            content.languages.insert(
                parts.code.to_owned(),
                Parts {
                    subject: parts.subject.clone(),
                    html: parts.html.clone(),
                    text: parts.text.clone(),
                },
            );
        }
        content.defaults = defaults_of(&self.defaults)?;
        let content =
            serde_json::to_value(&content).map_err(|e| ("content".to_owned(), e.to_string()))?;
        Ok(TemplateForm {
            key: self.key.clone(),
            name: self.name.clone(),
            channel: self.channel.clone(),
            content,
        })
    }
}

fn defaults_of(lines: &str) -> Result<Map<String, Value>, (String, String)> {
    let mut defaults = Map::new();
    for (i, line) in lines.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err((
                format!("defaults, line {}", i + 1),
                "write name = value".to_owned(),
            ));
        };
        defaults.insert(
            name.trim().to_owned(),
            Value::String(value.trim().to_owned()),
        );
    }
    Ok(defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_languages_are_left_out_and_defaults_are_read_by_line() {
        let mut draft = TemplateDraft::blank();
        draft.key = "welcome".into();
        draft.languages[1].subject = "Hi {{ first_name }}".into();
        draft.languages[1].text = "Welcome".into();
        draft.defaults = "first_name = friend\n\n city=上海 ".into();
        let form = draft.to_form().expect("valid");
        assert_eq!(
            form.content["languages"].as_object().map(|l| l.len()),
            Some(1)
        );
        assert_eq!(form.content["defaults"]["first_name"], "friend");
        assert_eq!(form.content["defaults"]["city"], "上海");

        draft.defaults = "first_name friend".into();
        let (at, _) = draft.to_form().expect_err("no =");
        assert_eq!(at, "defaults, line 1");
    }
}
