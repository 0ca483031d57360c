//! Configuration: `guanxi.toml` (optional), then `GUANXI_*` environment variables, then command
//! line flags; later wins. A value passed in, never a global.

use anyhow::Context;
use guanxi_domain::messaging::{FrequencyCap, QuietHours};
use guanxi_domain::{Currency, DefaultRegion, ShopTimeZone};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://guanxi-data/guanxi.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    /// Key for encrypting personal data at rest (used from the data-protection release on).
    pub secret_key: Option<SecretString>,
    /// Region for phone numbers written without a country code (ISO 3166, default CN).
    pub default_region: String,
    /// The shop's currency (ISO 4217, default CNY).
    pub currency: String,
    /// The shop's time zone, an IANA name (default Asia/Shanghai).
    pub time_zone: String,
    /// Earlier releases' time zone, a whole number of hours east of UTC. Still read; `time_zone`
    /// wins when both are given.
    pub utc_offset_hours: Option<i32>,
    /// The shop's name, shown in the console.
    pub shop_name: String,
    /// `pretty` or `json`.
    pub log_format: String,
    pub max_connections: u32,
    /// The largest file the console accepts for import, in MiB.
    pub max_upload_mb: usize,
    /// Where links in messages point (the console's public address); default `http://LISTEN`.
    pub public_url: Option<String>,
    /// `smtp://host:port` (with `user:password@` and `?tls=required` as needed); without it
    /// e-mail waits in the queue.
    pub smtp_url: Option<SecretString>,
    /// The `From:` of e-mail.
    pub mail_from: String,
    /// E-mails per second at most (the SMTP relay's limit).
    pub email_per_second: u32,
    /// The HTTP gateway SMS go through; without it SMS wait in the queue.
    pub sms_gateway_url: Option<String>,
    pub sms_gateway_method: String,
    /// Headers as a JSON object (`{"Authorization": "…"}`): they often hold the gateway's key.
    pub sms_gateway_headers: Option<SecretString>,
    /// The request body, a template over `phone`, `text`, `delivery_id` and `segments`.
    pub sms_gateway_body: String,
    pub sms_per_second: u32,
    /// The token the gateway pushes SMS replies with (`X-Guanxi-Token`).
    pub sms_reply_token: Option<SecretString>,
    /// The token e-mail relays and SMS gateways push delivery reports with (`X-Guanxi-Token`).
    pub report_token: Option<SecretString>,
    /// Where webhook messages go and the secret they are signed with.
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<SecretString>,
    /// Hosts journey webhook steps may call besides `webhook_url`'s, separated by commas.
    pub webhook_hosts: String,
    /// Marketing messages a customer may get: `5/7d` over all channels, `sms:2/7d` on one.
    pub frequency_caps: String,
    /// When SMS and e-mail wait (shop time), `21:00-08:00`; `off` for never.
    pub sms_quiet_hours: String,
    pub email_quiet_hours: String,
    /// What a message costs, for ROI: `sms:0.05, email:0.001` in the shop currency.
    pub message_costs: String,
    /// Attribution windows in days over the defaults: `email.clicked:5, sms.sent:1`.
    pub attribution_windows: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.into(),
            listen: DEFAULT_LISTEN.into(),
            secret_key: None,
            default_region: "CN".into(),
            currency: "CNY".into(),
            time_zone: ShopTimeZone::CHINA.name().into(),
            utc_offset_hours: None,
            shop_name: String::new(),
            log_format: "pretty".into(),
            max_connections: 8,
            max_upload_mb: 256,
            public_url: None,
            smtp_url: None,
            mail_from: "Guanxi <no-reply@localhost>".into(),
            email_per_second: 50,
            sms_gateway_url: None,
            sms_gateway_method: "POST".into(),
            sms_gateway_headers: None,
            sms_gateway_body: r#"{"to": {{ phone|tojson }}, "text": {{ text|tojson }}}"#.into(),
            sms_per_second: 20,
            sms_reply_token: None,
            report_token: None,
            webhook_url: None,
            webhook_secret: None,
            webhook_hosts: String::new(),
            frequency_caps: "5/7d".into(),
            sms_quiet_hours: "21:00-08:00".into(),
            email_quiet_hours: "off".into(),
            message_costs: "sms:0.05".into(),
            attribution_windows: String::new(),
        }
    }
}

impl Config {
    /// Reads `path` if it exists, then applies `GUANXI_*` variables from `env`.
    pub fn load(path: &Path, env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let mut config: Config = if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("{} is not valid configuration", path.display()))?
        } else {
            Config::default()
        };
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        if let Some(v) = var("GUANXI_DATABASE_URL") {
            config.database_url = v;
        }
        if let Some(v) = var("GUANXI_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = var("GUANXI_SECRET_KEY") {
            config.secret_key = Some(SecretString::from(v));
        }
        if let Some(v) = var("GUANXI_DEFAULT_REGION") {
            config.default_region = v;
        }
        if let Some(v) = var("GUANXI_CURRENCY") {
            config.currency = v;
        }
        if let Some(v) = var("GUANXI_TIME_ZONE") {
            config.time_zone = v;
        }
        if let Some(v) = var("GUANXI_UTC_OFFSET_HOURS") {
            config.utc_offset_hours = Some(
                v.parse()
                    .context("GUANXI_UTC_OFFSET_HOURS must be a whole number of hours")?,
            );
        }
        if let Some(v) = var("GUANXI_SHOP_NAME") {
            config.shop_name = v;
        }
        if let Some(v) = var("GUANXI_LOG_FORMAT") {
            config.log_format = v;
        }
        if let Some(v) = var("GUANXI_MAX_CONNECTIONS") {
            config.max_connections = v
                .parse()
                .context("GUANXI_MAX_CONNECTIONS must be a number")?;
        }
        if let Some(v) = var("GUANXI_MAX_UPLOAD_MB") {
            config.max_upload_mb = v
                .parse()
                .context("GUANXI_MAX_UPLOAD_MB must be a whole number of MiB")?;
        }
        if let Some(v) = var("GUANXI_PUBLIC_URL") {
            config.public_url = Some(v);
        }
        if let Some(v) = var("GUANXI_SMTP_URL") {
            config.smtp_url = Some(SecretString::from(v));
        }
        if let Some(v) = var("GUANXI_MAIL_FROM") {
            config.mail_from = v;
        }
        if let Some(v) = var("GUANXI_EMAIL_PER_SECOND") {
            config.email_per_second = v
                .parse()
                .context("GUANXI_EMAIL_PER_SECOND must be a whole number")?;
        }
        if let Some(v) = var("GUANXI_SMS_GATEWAY_URL") {
            config.sms_gateway_url = Some(v);
        }
        if let Some(v) = var("GUANXI_SMS_GATEWAY_METHOD") {
            config.sms_gateway_method = v;
        }
        if let Some(v) = var("GUANXI_SMS_GATEWAY_HEADERS") {
            config.sms_gateway_headers = Some(SecretString::from(v));
        }
        if let Some(v) = var("GUANXI_SMS_GATEWAY_BODY") {
            config.sms_gateway_body = v;
        }
        if let Some(v) = var("GUANXI_SMS_REPLY_TOKEN") {
            config.sms_reply_token = Some(SecretString::from(v));
        }
        if let Some(v) = var("GUANXI_REPORT_TOKEN") {
            config.report_token = Some(SecretString::from(v));
        }
        if let Some(v) = var("GUANXI_WEBHOOK_URL") {
            config.webhook_url = Some(v);
        }
        if let Some(v) = var("GUANXI_WEBHOOK_SECRET") {
            config.webhook_secret = Some(SecretString::from(v));
        }
        for (name, field) in [
            ("GUANXI_WEBHOOK_HOSTS", &mut config.webhook_hosts),
            ("GUANXI_FREQUENCY_CAPS", &mut config.frequency_caps),
            ("GUANXI_SMS_QUIET_HOURS", &mut config.sms_quiet_hours),
            ("GUANXI_EMAIL_QUIET_HOURS", &mut config.email_quiet_hours),
            ("GUANXI_MESSAGE_COSTS", &mut config.message_costs),
            (
                "GUANXI_ATTRIBUTION_WINDOWS",
                &mut config.attribution_windows,
            ),
        ] {
            if let Some(v) = var(name) {
                *field = v;
            }
        }
        config.messaging()?;
        config.settings()?;
        Ok(config)
    }

    /// The shop settings the use cases need, validated: their starting values, before what the
    /// owner saved in the console is laid over them.
    /// How this server sends messages.
    pub fn messaging(&self) -> anyhow::Result<guanxi_app::messaging::MessagingConfig> {
        use guanxi_app::messaging::channels::{SmsGatewayConfig, WebhookConfig};
        use secrecy::ExposeSecret;
        let currency =
            Currency::parse(&self.currency).map_err(|e| anyhow::anyhow!("currency: {e}"))?;
        let headers: Vec<(String, String)> = match &self.sms_gateway_headers {
            Some(json) => serde_json::from_str::<std::collections::BTreeMap<String, String>>(
                json.expose_secret(),
            )
            .context("sms_gateway_headers must be a JSON object of header names and values")?
            .into_iter()
            .collect(),
            None => Vec::new(),
        };
        let sms_gateway = self.sms_gateway_url.as_ref().map(|url| SmsGatewayConfig {
            url: url.clone(),
            method: self.sms_gateway_method.clone(),
            headers,
            body: self.sms_gateway_body.clone(),
            per_second: self.sms_per_second.max(1),
        });
        let webhook = match (&self.webhook_url, &self.webhook_secret) {
            (url, Some(secret)) => Some(WebhookConfig {
                url: url.clone(),
                secret: secret.expose_secret().to_owned(),
                per_second: 50,
                timeout: std::time::Duration::from_secs(10),
            }),
            (Some(_), None) => anyhow::bail!("webhook_url needs webhook_secret to sign with"),
            _ => None,
        };
        Ok(guanxi_app::messaging::MessagingConfig {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
            smtp_url: self.smtp_url.as_ref().map(|s| s.expose_secret().to_owned()),
            mail_from: self.mail_from.clone(),
            email_per_second: self.email_per_second.max(1),
            sms_gateway,
            webhook,
            sms_reply_token: self
                .sms_reply_token
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            report_token: self
                .report_token
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            webhook_hosts: self
                .webhook_hosts
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            sms_quiet_hours: quiet_hours(&self.sms_quiet_hours)?,
            email_quiet_hours: quiet_hours(&self.email_quiet_hours)?,
            caps: FrequencyCap::parse_list(&self.frequency_caps).map_err(field_error)?,
            attribution: guanxi_app::messaging::attribution::Windows::parse(
                &self.attribution_windows,
            )
            .map_err(field_error)?,
            costs: guanxi_app::messaging::parse_costs(&self.message_costs, currency)
                .map_err(field_error)?,
        })
    }

    pub fn settings(&self) -> anyhow::Result<guanxi_app::Settings> {
        let region: DefaultRegion = self
            .default_region
            .parse()
            .map_err(|e| anyhow::anyhow!("default_region: {e}"))?;
        let currency =
            Currency::parse(&self.currency).map_err(|e| anyhow::anyhow!("currency: {e}"))?;
        let time_zone = match self.utc_offset_hours {
            Some(hours) if self.time_zone == ShopTimeZone::CHINA.name() => {
                ShopTimeZone::fixed_hours(hours)
            }
            _ => ShopTimeZone::parse(&self.time_zone),
        }
        .map_err(field_error)?;
        Ok(guanxi_app::Settings {
            shop_name: self.shop_name.trim().to_owned(),
            region,
            currency,
            time_zone,
            // Set in the console (Settings → Shop); the shop's averages until then.
            rfm: guanxi_app::settings::RfmLines::default(),
        })
    }
}

/// Quiet hours as configured; `off` (or blank) for none.
fn quiet_hours(raw: &str) -> anyhow::Result<Option<QuietHours>> {
    match raw.trim() {
        "" | "off" | "none" => Ok(None),
        text => QuietHours::parse(text).map(Some).map_err(field_error),
    }
}

fn field_error(e: guanxi_domain::FieldError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.field, e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("guanxi.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\ncurrency = \"USD\"\n").expect("write");
        let env = HashMap::from([("GUANXI_LISTEN".to_string(), "127.0.0.1:7000".to_string())]);
        let config = Config::load(&path, &env).expect("loads");
        assert_eq!(config.listen, "127.0.0.1:7000");
        assert_eq!(config.currency, "USD");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn caps_quiet_hours_costs_and_windows_are_read() {
        let env = HashMap::from([
            (
                "GUANXI_FREQUENCY_CAPS".to_string(),
                "3/7d, sms:1/1d".to_string(),
            ),
            (
                "GUANXI_EMAIL_QUIET_HOURS".to_string(),
                "22:00-07:00".to_string(),
            ),
            ("GUANXI_SMS_QUIET_HOURS".to_string(), "off".to_string()),
            (
                "GUANXI_MESSAGE_COSTS".to_string(),
                "sms:0.04, email:0.01".to_string(),
            ),
        ]);
        let config = Config::load(Path::new("/nonexistent/guanxi.toml"), &env).expect("loads");
        let messaging = config.messaging().expect("messaging");
        assert_eq!(messaging.caps.len(), 2);
        assert!(messaging.sms_quiet_hours.is_none());
        assert_eq!(
            messaging.email_quiet_hours.map(|q| q.text()),
            Some("22:00-07:00".to_owned())
        );
        use guanxi_domain::messaging::Channel;
        assert_eq!(messaging.cost_per_message(Channel::Sms), 4);
        assert_eq!(messaging.cost_per_message(Channel::Email), 1);
        let defaults = Config::default().messaging().expect("defaults");
        assert!(defaults.sms_quiet_hours.is_some() && defaults.email_quiet_hours.is_none());
        assert_eq!(defaults.cost_per_message(Channel::Sms), 5);

        let env = HashMap::from([("GUANXI_FREQUENCY_CAPS".to_string(), "lots".to_string())]);
        let err = Config::load(Path::new("/nonexistent/guanxi.toml"), &env).expect_err("bad");
        assert!(err.to_string().contains("frequency_caps"), "{err}");
    }

    #[test]
    fn bad_values_are_start_up_errors() {
        let env = HashMap::from([("GUANXI_CURRENCY".to_string(), "yuan".to_string())]);
        let err = Config::load(Path::new("/nonexistent/guanxi.toml"), &env).expect_err("invalid");
        assert!(err.to_string().contains("currency"));
        let env = HashMap::from([("GUANXI_TIME_ZONE".to_string(), "Shanghai".to_string())]);
        let err = Config::load(Path::new("/nonexistent/guanxi.toml"), &env).expect_err("invalid");
        assert!(err.to_string().contains("time_zone"), "{err}");
    }

    #[test]
    fn an_hours_offset_from_earlier_releases_still_reads() {
        let env = HashMap::from([("GUANXI_UTC_OFFSET_HOURS".to_string(), "-5".to_string())]);
        let config = Config::load(Path::new("/nonexistent/guanxi.toml"), &env).expect("loads");
        let settings = config.settings().expect("valid");
        assert_eq!(settings.time_zone.name(), "Etc/GMT+5");
    }
}
