//! The campaign editor's values — audience, one or two variants, holdout, A/B test, schedule
//! — to and from the spec `guanxi_app::messaging::campaign` checks and stores.

use super::super::session::FormFields;
use super::keys_of;
use guanxi_app::messaging::campaign::{AbTest, Audience, CampaignForm, CampaignSpec, Variant};
use guanxi_domain::ShopTimeZone;
use guanxi_domain::time::parse_timestamp;
use guanxi_store::CampaignRecord;

/// The form's values as typed.
pub(super) struct CampaignDraft {
    pub(super) name: String,
    pub(super) channel: String,
    pub(super) segments: String,
    pub(super) exclude: String,
    pub(super) template_a: String,
    /// A second variant's template: with it the campaign is an A/B test.
    pub(super) template_b: String,
    pub(super) holdout_percent: String,
    pub(super) sample_percent: String,
    pub(super) metric: String,
    pub(super) decide_after_hours: String,
    pub(super) transactional: bool,
    /// `YYYY-MM-DDTHH:MM` in the shop's time zone, as a `datetime-local` box sends it.
    pub(super) send_at: String,
    /// Send at that time of day on each customer's clock.
    pub(super) local_time: bool,
    /// At most this many an hour; blank for all at once.
    pub(super) per_hour: String,
}

impl Default for CampaignDraft {
    fn default() -> Self {
        Self {
            name: String::new(),
            channel: "email".into(),
            segments: String::new(),
            exclude: String::new(),
            template_a: String::new(),
            template_b: String::new(),
            holdout_percent: "0".into(),
            sample_percent: "20".into(),
            metric: "clicked".into(),
            decide_after_hours: "4".into(),
            transactional: false,
            send_at: String::new(),
            local_time: false,
            per_hour: String::new(),
        }
    }
}

/// A number box: blank is `default`, anything else must be a whole number.
fn number<T: std::str::FromStr>(
    field: &str,
    typed: &str,
    default: T,
) -> Result<T, (String, String)> {
    if typed.trim().is_empty() {
        return Ok(default);
    }
    typed
        .trim()
        .parse()
        .map_err(|_| (field.to_owned(), "must be a whole number".to_owned()))
}

impl CampaignDraft {
    pub(super) fn of_form(form: &FormFields) -> Self {
        let raw = |name: &str| form.get(name).to_owned();
        Self {
            name: raw("name"),
            channel: raw("channel"),
            segments: raw("segments"),
            exclude: raw("exclude"),
            template_a: raw("template_a"),
            template_b: raw("template_b"),
            holdout_percent: raw("holdout_percent"),
            sample_percent: raw("sample_percent"),
            metric: raw("metric"),
            decide_after_hours: raw("decide_after_hours"),
            transactional: !form.get("transactional").is_empty(),
            send_at: raw("send_at"),
            local_time: !form.get("local_time").is_empty(),
            per_hour: raw("per_hour"),
        }
    }

    pub(super) fn of_stored(
        record: &CampaignRecord,
        spec: &CampaignSpec,
        zone: ShopTimeZone,
    ) -> Self {
        let template = |i: usize| {
            spec.variants
                .get(i)
                .map(|v| v.template.clone())
                .unwrap_or_default()
        };
        let defaults = Self::default();
        let ab = spec.ab_test.as_ref();
        Self {
            name: record.name.clone(),
            channel: record.channel.as_str().to_owned(),
            segments: spec.audience.segments.join(", "),
            exclude: spec.audience.exclude.join(", "),
            template_a: template(0),
            template_b: template(1),
            holdout_percent: spec.holdout_percent.to_string(),
            sample_percent: ab.map_or(defaults.sample_percent, |a| a.sample_percent.to_string()),
            metric: ab.map_or(defaults.metric, |a| a.metric.clone()),
            decide_after_hours: ab.map_or(defaults.decide_after_hours, |a| {
                a.decide_after_hours.to_string()
            }),
            transactional: spec.transactional,
            local_time: spec.local_time,
            per_hour: spec.per_hour.map(|n| n.to_string()).unwrap_or_default(),
            send_at: record
                .scheduled_at
                .map(|at| zone.format(at, "%Y-%m-%dT%H:%M"))
                .unwrap_or_default(),
        }
    }

    /// The form the application checks; a box that is not a number is named here. Editing a
    /// stored campaign (`base`) keeps what the form does not show: variant keys, variants
    /// past the second, the conversion window.
    pub(super) fn to_form(
        &self,
        zone: ShopTimeZone,
        base: Option<&CampaignSpec>,
    ) -> Result<CampaignForm, (String, String)> {
        let key = |i: usize, default: &str| {
            base.and_then(|b| b.variants.get(i))
                .map_or_else(|| default.to_owned(), |v| v.key.clone())
        };
        let mut variants = vec![Variant {
            key: key(0, "a"),
            template: self.template_a.clone(),
        }];
        if !self.template_b.trim().is_empty() {
            variants.push(Variant {
                key: key(1, "b"),
                template: self.template_b.clone(),
            });
            variants.extend(
                base.map_or(&[][..], |b| b.variants.get(2..).unwrap_or(&[]))
                    .iter()
                    .cloned(),
            );
        }
        let ab_test = if variants.len() > 1 {
            Some(AbTest {
                sample_percent: number("sample_percent", &self.sample_percent, 20)?,
                metric: self.metric.clone(),
                decide_after_hours: number("decide_after_hours", &self.decide_after_hours, 4)?,
            })
        } else {
            None
        };
        let spec = CampaignSpec {
            audience: Audience {
                segments: keys_of(&self.segments),
                exclude: keys_of(&self.exclude),
            },
            variants,
            transactional: self.transactional,
            holdout_percent: number("holdout_percent", &self.holdout_percent, 0)?,
            ab_test,
            conversion_days: base.map_or(5, |b| b.conversion_days),
            per_hour: match self.per_hour.trim() {
                "" => None,
                typed => Some(number("per_hour", typed, 0)?),
            },
            local_time: self.local_time,
        };
        let send_at = match self.send_at.trim() {
            "" => None,
            typed => Some(
                parse_timestamp(&typed.replacen('T', " ", 1), zone)
                    .ok_or_else(|| ("send_at".to_owned(), "is not a date and time".to_owned()))?,
            ),
        };
        Ok(CampaignForm {
            name: self.name.clone(),
            channel: self.channel.clone(),
            spec: serde_json::to_value(&spec).map_err(|e| ("spec".to_owned(), e.to_string()))?,
            send_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_template_makes_an_ab_test_and_times_are_shop_time() {
        let zone = ShopTimeZone::default();
        let draft = CampaignDraft {
            name: "Spring".into(),
            segments: "vip, loyal".into(),
            template_a: "spring_a".into(),
            template_b: "spring_b".into(),
            send_at: "2026-03-01T10:00".into(),
            ..CampaignDraft::default()
        };
        let form = draft.to_form(zone, None).expect("valid");
        assert_eq!(
            form.spec["audience"]["segments"],
            serde_json::json!(["vip", "loyal"])
        );
        assert_eq!(form.spec["variants"].as_array().map(Vec::len), Some(2));
        assert_eq!(form.spec["ab_test"]["metric"], "clicked");
        assert_eq!(form.send_at, parse_timestamp("2026-03-01 10:00", zone));

        let bad = CampaignDraft {
            holdout_percent: "ten".into(),
            ..draft
        };
        assert_eq!(
            bad.to_form(zone, None).expect_err("words").0,
            "holdout_percent"
        );
    }
}
