//! Quiet hours: a daily span of the shop's clock when a channel stays silent. A message due in
//! them waits for their end; it is never dropped.

use crate::{FieldError, Millis, ShopTimeZone};
use chrono::{NaiveTime, TimeDelta, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Silence starts at this time of day…
    pub start: NaiveTime,
    /// …and ends at this one, the next day when it is earlier than `start`.
    pub end: NaiveTime,
}

impl QuietHours {
    /// The default for SMS: 21:00 to 08:00.
    pub fn evenings_and_nights() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
        }
    }

    /// `21:00-08:00`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("quiet_hours", "must be two times of day, as 21:00-08:00");
        let (start, end) = raw.trim().split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let hours = Self {
            start: time(start)?,
            end: time(end)?,
        };
        if hours.start == hours.end {
            return Err(FieldError::new(
                "quiet_hours",
                "must not start and end at the same time",
            ));
        }
        Ok(hours)
    }

    pub fn text(&self) -> String {
        format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }

    fn covers(&self, time: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// When a message due at `at` may go: `None` when it may go now, else the end of the quiet
    /// hours it falls in, on the shop's clock.
    pub fn deferred_until(&self, at: Millis, zone: ShopTimeZone) -> Option<Millis> {
        let local = Utc
            .timestamp_millis_opt(at)
            .single()?
            .naive_utc()
            .checked_add_signed(TimeDelta::milliseconds(zone.offset_ms_at(at)))?;
        if !self.covers(local.time()) {
            return None;
        }
        let mut end_day = local.date();
        if local.time() >= self.end {
            end_day = end_day.succ_opt()?;
        }
        zone.instant_of(end_day.and_time(self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Millis {
        crate::time::parse_timestamp(text, ShopTimeZone::CHINA).expect("time")
    }

    #[test]
    fn a_message_due_at_night_waits_for_the_morning() {
        let quiet = QuietHours::evenings_and_nights();
        let china = ShopTimeZone::CHINA;
        assert_eq!(quiet.deferred_until(at("2026-12-07 20:59:00"), china), None);
        assert_eq!(
            quiet.deferred_until(at("2026-12-07 21:00:00"), china),
            Some(at("2026-12-08 08:00:00"))
        );
        assert_eq!(
            quiet.deferred_until(at("2026-12-08 03:30:00"), china),
            Some(at("2026-12-08 08:00:00"))
        );
        assert_eq!(quiet.deferred_until(at("2026-12-08 08:00:00"), china), None);
    }

    #[test]
    fn quiet_hours_within_one_day_work_too() {
        let lunch = QuietHours::parse("12:00-13:30").expect("parse");
        let china = ShopTimeZone::CHINA;
        assert_eq!(
            lunch.deferred_until(at("2026-12-07 12:10:00"), china),
            Some(at("2026-12-07 13:30:00"))
        );
        assert_eq!(lunch.deferred_until(at("2026-12-07 13:30:00"), china), None);
        assert_eq!(lunch.text(), "12:00-13:30");
    }

    #[test]
    fn bad_quiet_hours_name_the_field() {
        for raw in ["21:00", "25:00-08:00", "08:00-08:00"] {
            assert_eq!(QuietHours::parse(raw).expect_err(raw).field, "quiet_hours");
        }
    }
}
