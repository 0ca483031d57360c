//! Dates in journeys: a customer's yearly date (a birthday trait, the anniversary of their
//! first order) and a schedule's days, read in the shop's time zone. Pure, so a clock of
//! days runs in tests in milliseconds.

use crate::Millis;
use crate::time::ShopTimeZone;
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::Value;

/// A date as customers' traits hold it: `1990-05-17`, `1990/05/17`, `05-17` (no year), or a
/// timestamp (its date in the shop's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearlyDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

impl YearlyDate {
    pub fn of_value(value: &Value, zone: ShopTimeZone) -> Option<Self> {
        let text = value.as_str()?.trim();
        for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
            if let Ok(d) = NaiveDate::parse_from_str(text, format) {
                return Some(Self::of_date(d));
            }
        }
        let month_day = text
            .split_once(['-', '/'])
            .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)));
        if let Some((month, day)) = month_day {
            // A year with 29 February checks the day exists.
            NaiveDate::from_ymd_opt(2000, month, day)?;
            return Some(Self {
                year: None,
                month,
                day,
            });
        }
        crate::time::parse_timestamp(text, zone).map(|at| Self::of_instant(at, zone))
    }

    pub fn of_instant(at: Millis, zone: ShopTimeZone) -> Self {
        Self::of_date(local_date(at, zone))
    }

    fn of_date(d: NaiveDate) -> Self {
        Self {
            year: Some(d.year()),
            month: d.month(),
            day: d.day(),
        }
    }

    /// The date in `year`; 29 February is kept on 28 February in other years.
    pub fn in_year(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day.saturating_sub(1)))
    }

    /// Whether `days_before` ahead of this year's date (the date itself when 0) falls on
    /// `today`. With `after_first_year`, the year the date was set does not count (an order's
    /// anniversary starts a year after it).
    pub fn falls_on(&self, today: NaiveDate, days_before: u32, after_first_year: bool) -> bool {
        let target = today + chrono::Duration::days(i64::from(days_before));
        let hit = self.in_year(target.year()) == Some(target);
        let too_early = after_first_year && self.year.is_some_and(|y| target.year() <= y);
        hit && !too_early
    }

    /// The next instant, after `now`, of `time` on the day `days_before` ahead of the date:
    /// this year's if still to come, else next year's.
    pub fn next_after(
        &self,
        now: Millis,
        days_before: u32,
        time: NaiveTime,
        zone: ShopTimeZone,
    ) -> Option<Millis> {
        let year = local_date(now, zone).year();
        // Two years on: a date early in January, days ahead, falls before this year ends.
        (year..=year + 2)
            .filter_map(|y| self.in_year(y))
            .map(|d| d - chrono::Duration::days(i64::from(days_before)))
            .filter_map(|d| zone.instant_of(d.and_time(time)))
            .find(|at| *at > now)
    }
}

/// The day `at` falls on in the shop's time zone.
pub fn local_date(at: Millis, zone: ShopTimeZone) -> NaiveDate {
    NaiveDate::parse_from_str(&zone.format(at, "%Y-%m-%d"), "%Y-%m-%d").unwrap_or_default()
}

/// Whether a schedule runs on `day`: on the listed weekdays (1 = Monday … 7 = Sunday), on a
/// day of the month (a day past the month's end means its last day), or every day when
/// neither is given.
pub fn scheduled_on(day: NaiveDate, weekdays: &[u8], month_day: Option<u8>) -> bool {
    let weekday_ok =
        weekdays.is_empty() || weekdays.contains(&(day.weekday().number_from_monday() as u8));
    let month_day_ok = month_day.is_none_or(|wanted| {
        let last = (28..=31)
            .rev()
            .find(|d| day.with_day(*d).is_some())
            .unwrap_or(28);
        day.day() == u32::from(wanted).min(last)
    });
    weekday_ok && month_day_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn yearly_dates_are_read_in_the_forms_shops_store() {
        let zone = ShopTimeZone::CHINA;
        let full = YearlyDate::of_value(&json!("1990-05-17"), zone).expect("date");
        assert_eq!((full.year, full.month, full.day), (Some(1990), 5, 17));
        assert_eq!(YearlyDate::of_value(&json!("1990/05/17"), zone), Some(full));
        let no_year = YearlyDate::of_value(&json!("05-17"), zone).expect("month-day");
        assert_eq!(no_year.year, None);
        // Midnight UTC is 08:00 in China: the same day.
        let stamped = YearlyDate::of_value(&json!("1990-05-17T00:00:00Z"), zone).expect("ts");
        assert_eq!((stamped.month, stamped.day), (5, 17));
        assert_eq!(YearlyDate::of_value(&json!("13-40"), zone), None);
        assert_eq!(YearlyDate::of_value(&json!(19900517), zone), None);
    }

    #[test]
    fn a_date_falls_on_its_day_or_days_before_and_leap_days_are_kept() {
        let birthday =
            YearlyDate::of_value(&json!("1990-05-17"), ShopTimeZone::CHINA).expect("date");
        assert!(birthday.falls_on(date("2026-05-17"), 0, false));
        assert!(birthday.falls_on(date("2026-05-10"), 7, false));
        assert!(!birthday.falls_on(date("2026-05-16"), 0, false));
        let leap = YearlyDate::of_value(&json!("2000-02-29"), ShopTimeZone::CHINA).expect("date");
        assert!(leap.falls_on(date("2027-02-28"), 0, false));
        assert!(leap.falls_on(date("2028-02-29"), 0, false));
        assert!(!leap.falls_on(date("2028-02-28"), 0, false));
        // A first order's anniversary starts the year after it.
        let first = YearlyDate::of_value(&json!("2026-03-01"), ShopTimeZone::CHINA).expect("date");
        assert!(!first.falls_on(date("2026-03-01"), 0, true));
        assert!(first.falls_on(date("2027-03-01"), 0, true));
    }

    #[test]
    fn the_next_occurrence_is_this_years_or_next() {
        let zone = ShopTimeZone::CHINA;
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("time");
        let birthday = YearlyDate::of_value(&json!("05-17"), zone).expect("date");
        let at = |t: &str| crate::time::parse_timestamp(t, zone).expect("time");
        assert_eq!(
            birthday.next_after(at("2026-05-01 12:00"), 0, nine, zone),
            Some(at("2026-05-17 09:00"))
        );
        assert_eq!(
            birthday.next_after(at("2026-05-17 10:00"), 0, nine, zone),
            Some(at("2027-05-17 09:00"))
        );
        assert_eq!(
            birthday.next_after(at("2026-05-01 12:00"), 3, nine, zone),
            Some(at("2026-05-14 09:00"))
        );
        // A week before 3 January, seen on 30 December: next year's date, days ahead.
        let january = YearlyDate::of_value(&json!("01-03"), zone).expect("date");
        assert_eq!(
            january.next_after(at("2026-12-30 12:00"), 7, nine, zone),
            Some(at("2027-12-27 09:00"))
        );
    }

    #[test]
    fn schedules_run_on_their_weekdays_and_month_days() {
        // 2026-12-07 is a Monday.
        assert!(scheduled_on(date("2026-12-07"), &[], None));
        assert!(scheduled_on(date("2026-12-07"), &[1, 3], None));
        assert!(!scheduled_on(date("2026-12-08"), &[1, 3], None));
        assert!(scheduled_on(date("2026-12-01"), &[], Some(1)));
        assert!(
            scheduled_on(date("2027-02-28"), &[], Some(31)),
            "the month's last day"
        );
        assert!(!scheduled_on(date("2026-12-30"), &[], Some(31)));
    }
}
