//! The console's translation catalogue: `locales/<lang>.toml`, compiled into the binary and
//! flattened to `section.key`. Every string a person reads comes from here.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A stored or requested code; anything unknown is the default, Chinese.
    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("en") || code.to_ascii_lowercase().starts_with("en-") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The first language of an `Accept-Language` header this console speaks.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header.split(',').find_map(|part| {
            let tag = part
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                Some(Lang::ZhCn)
            } else if tag.starts_with("en") {
                Some(Lang::En)
            } else {
                None
            }
        })
    }

    pub fn other(self) -> Self {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

type Strings = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Strings) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => panic!("locale key {full} must be text, not {}", other.type_str()),
        }
    }
}

fn load(source: &str) -> Strings {
    let table: toml::Table = source.parse().expect("a locale file is valid TOML");
    let mut out = Strings::new();
    flatten("", &table, &mut out);
    out
}

static EN: LazyLock<Strings> = LazyLock::new(|| load(include_str!("../../locales/en.toml")));
static ZH_CN: LazyLock<Strings> = LazyLock::new(|| load(include_str!("../../locales/zh-CN.toml")));

/// Translations in one language, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    strings: &'static Strings,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        let strings = match lang {
            Lang::ZhCn => &*ZH_CN,
            Lang::En => &*EN,
        };
        Self { lang, strings }
    }

    /// The text for `key`. A missing key shows as itself, so it is visible rather than blank; a
    /// test keeps every key a template uses in both catalogues.
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.strings.get(key).map_or(key, String::as_str)
    }

    /// The text for a key built from a value: `of("channel", "sms")` reads `channel.sms`.
    pub fn of(&self, section: &str, value: &str) -> String {
        self.get(&format!("{section}.{value}")).to_owned()
    }

    /// A word a program or a person chose (a suppression's reason, a consent's source): the
    /// catalogue's text for `section.value` when it has one, else the word as it is.
    pub fn word(&self, section: &str, value: &str) -> String {
        self.strings
            .get(&format!("{section}.{value}"))
            .map_or_else(|| value.to_owned(), String::clone)
    }

    #[cfg(test)]
    pub fn has(&self, key: &str) -> bool {
        self.strings.contains_key(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let mut en: Vec<&String> = EN.keys().collect();
        let mut zh: Vec<&String> = ZH_CN.keys().collect();
        en.sort();
        zh.sort();
        assert_eq!(en, zh);
    }

    /// Every `t.get("…")`, `t.fill("…"` or `tr("…")` in the templates and console code names a
    /// key both catalogues have.
    #[test]
    fn every_key_the_console_uses_exists() {
        let sources = [
            include_str!("../../templates/console/base.html"),
            include_str!("../../templates/console/login.html"),
            include_str!("../../templates/console/dashboard.html"),
            include_str!("../../templates/console/customers.html"),
            include_str!("../../templates/console/customer.html"),
            include_str!("../../templates/console/audit.html"),
            include_str!("../../templates/console/message.html"),
            include_str!("../../templates/console/settings_tabs.html"),
            include_str!("../../templates/console/settings_users.html"),
            include_str!("../../templates/console/settings_roles.html"),
            include_str!("settings.rs"),
            include_str!("../../templates/console/settings_shop.html"),
            include_str!("shop.rs"),
            include_str!("ownership.rs"),
            include_str!("../../templates/console/customer_owner.html"),
            include_str!("teams.rs"),
            include_str!("insights.rs"),
            include_str!("analytics.rs"),
            include_str!("analytics_period.rs"),
            include_str!("../../templates/console/analytics.html"),
            include_str!("../../templates/console/customer.html"),
            include_str!("../../templates/console/account.html"),
            include_str!("account.rs"),
            include_str!("mod.rs"),
            include_str!("login.rs"),
            include_str!("customers.rs"),
            include_str!("audit.rs"),
            include_str!("segments.rs"),
            include_str!("segment.rs"),
            include_str!("tags.rs"),
            include_str!("../../templates/console/segments.html"),
            include_str!("../../templates/console/segment.html"),
            include_str!("../../templates/console/segment_editor.html"),
            include_str!("../../templates/public/unsubscribe.html"),
            include_str!("../message_links.rs"),
            include_str!("consent.rs"),
            include_str!("engage/campaign.rs"),
            include_str!("engage/suppressions.rs"),
            include_str!("engage/journey_graph.rs"),
            include_str!("../../templates/console/engage/tabs.html"),
            include_str!("../../templates/console/engage/templates.html"),
            include_str!("../../templates/console/engage/template.html"),
            include_str!("../../templates/console/engage/template_editor.html"),
            include_str!("../../templates/console/engage/campaigns.html"),
            include_str!("../../templates/console/engage/campaign.html"),
            include_str!("../../templates/console/engage/campaign_editor.html"),
            include_str!("../../templates/console/engage/journeys.html"),
            include_str!("../../templates/console/engage/journey.html"),
            include_str!("../../templates/console/engage/journey_help.html"),
            include_str!("../../templates/console/engage/graph.html"),
            include_str!("../../templates/console/engage/suppressions.html"),
            include_str!("../../templates/console/engage/undelivered.html"),
            include_str!("../../templates/console/engage/step_editor.html"),
        ];
        let mut used = 0;
        for source in sources {
            for pattern in ["get(\"", "fill(\"", "tr(\""] {
                for piece in source.split(pattern).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !key.contains('.') {
                        continue; // not a catalogue key (e.g. a header name)
                    }
                    used += 1;
                    assert!(EN.contains_key(key), "en.toml lacks {key}");
                    assert!(ZH_CN.contains_key(key), "zh-CN.toml lacks {key}");
                }
            }
        }
        assert!(used > 50, "the scan found the keys ({used})");
    }

    #[test]
    fn languages_come_from_codes_and_headers() {
        assert_eq!(Lang::from_code("en"), Lang::En);
        assert_eq!(Lang::from_code("zh-CN"), Lang::ZhCn);
        assert_eq!(Lang::from_code("fr"), Lang::ZhCn);
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en-US;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("zh-TW,zh;q=0.9"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(
            Tr::new(Lang::En).fill("dashboard.welcome", &[("name", "Li")]),
            "Welcome, Li"
        );
    }
}
