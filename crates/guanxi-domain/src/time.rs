use crate::FieldError;
use chrono::{DateTime, NaiveDateTime, Offset, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

/// A UTC instant in milliseconds since the Unix epoch: how every timestamp is stored.
pub type Millis = i64;

pub fn to_millis(at: DateTime<Utc>) -> Millis {
    at.timestamp_millis()
}

/// RFC 3339 text for an instant; out-of-range values (never produced by our own writes) read as the epoch.
pub fn to_rfc3339(at: Millis) -> String {
    Utc.timestamp_millis_opt(at)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A shop's time zone, by its IANA name (`Asia/Shanghai`), so that daylight saving comes out
/// right for shops abroad. Local times in files, days on the dashboard and times on screen are
/// read and written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopTimeZone(Tz);

impl Default for ShopTimeZone {
    fn default() -> Self {
        Self::CHINA
    }
}

impl ShopTimeZone {
    pub const UTC: Self = Self(Tz::UTC);
    pub const CHINA: Self = Self(Tz::Asia__Shanghai);

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        raw.trim().parse::<Tz>().map(Self).map_err(|_| {
            FieldError::new(
                "time_zone",
                "is not a time zone of the IANA database, such as Asia/Shanghai",
            )
        })
    }

    /// The zone a whole number of hours east of UTC, all year round (`Etc/GMT-8` is UTC+8: the
    /// IANA names count the other way).
    pub fn fixed_hours(hours_east: i32) -> Result<Self, FieldError> {
        let name = match hours_east {
            0 => "Etc/UTC".to_owned(),
            h if h > 0 => format!("Etc/GMT-{h}"),
            h => format!("Etc/GMT+{}", -h),
        };
        Self::parse(&name)
            .map_err(|_| FieldError::new("utc_offset_hours", "must be between -12 and 14"))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zones to offer a shop: `Area/City` names, without the fixed `Etc/` zones and the
    /// old aliases (`US/Eastern`, `PRC`) that the database keeps for compatibility.
    pub fn offered() -> impl Iterator<Item = &'static str> {
        const AREAS: [&str; 9] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|name| AREAS.iter().any(|area| name.starts_with(area)))
    }

    /// How far ahead of UTC the shop's clocks are at `at`.
    pub fn offset_ms_at(&self, at: Millis) -> i64 {
        let utc = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
        i64::from(
            self.0
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc(),
        ) * 1000
    }

    /// A wall-clock time as an instant. A time that occurs twice (clocks going back) is its
    /// first occurrence; one that never occurs (clocks going forward) is read an hour later.
    pub fn instant_of(&self, local: NaiveDateTime) -> Option<Millis> {
        self.0
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                let later = local.checked_add_signed(chrono::TimeDelta::hours(1))?;
                self.0.from_local_datetime(&later).earliest()
            })
            .map(|at| at.timestamp_millis())
    }

    /// `at` on the shop's clocks, in a `chrono` format (`%Y-%m-%d %H:%M`).
    pub fn format(&self, at: Millis, format: &str) -> String {
        Utc.timestamp_millis_opt(at)
            .single()
            .map(|t| t.with_timezone(&self.0).format(format).to_string())
            .unwrap_or_default()
    }
}

/// Parses the timestamps integrations send: RFC 3339 with any offset, or a naive
/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` read as a wall-clock time in `zone`.
pub fn parse_timestamp(raw: &str, zone: ShopTimeZone) -> Option<Millis> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.timestamp_millis());
    }
    if let Ok(at) = DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S %z") {
        return Some(at.timestamp_millis());
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
            .iter()
            .find_map(|f| chrono::NaiveDate::parse_from_str(raw, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    zone.instant_of(naive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_naive_china_time() {
        let china = ShopTimeZone::CHINA;
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z", china), Some(1000));
        assert_eq!(parse_timestamp("1970-01-01 08:00:01", china), Some(1000));
        assert_eq!(parse_timestamp("1970/01/01 08:00:01", china), Some(1000));
        assert_eq!(parse_timestamp("not a date", china), None);
    }

    #[test]
    fn daylight_saving_is_followed() {
        let new_york = ShopTimeZone::parse("America/New_York").expect("a zone");
        // 2026-07-01 12:00 EDT is 16:00 UTC; 2026-01-15 12:00 EST is 17:00 UTC.
        let summer = parse_timestamp("2026-07-01 12:00:00", new_york).expect("parses");
        let winter = parse_timestamp("2026-01-15 12:00:00", new_york).expect("parses");
        assert_eq!(to_rfc3339(summer), "2026-07-01T16:00:00.000Z");
        assert_eq!(to_rfc3339(winter), "2026-01-15T17:00:00.000Z");
        assert_eq!(new_york.offset_ms_at(summer), -4 * 3_600_000);
        assert_eq!(new_york.format(winter, "%H:%M"), "12:00");
        // 02:30 on 8 March 2026 never happened in New York: read as 03:30 EDT.
        let gap = parse_timestamp("2026-03-08 02:30:00", new_york).expect("parses");
        assert_eq!(to_rfc3339(gap), "2026-03-08T07:30:00.000Z");
    }

    #[test]
    fn zones_are_named_as_iana_names_them() {
        assert_eq!(
            ShopTimeZone::fixed_hours(8),
            ShopTimeZone::parse("Etc/GMT-8")
        );
        assert_eq!(
            ShopTimeZone::fixed_hours(-5).expect("zone").name(),
            "Etc/GMT+5"
        );
        let err = ShopTimeZone::parse("Mars/Olympus").expect_err("no such zone");
        assert_eq!(err.field, "time_zone");
        assert!(ShopTimeZone::fixed_hours(15).is_err());
    }

    #[test]
    fn formats_back_to_rfc3339() {
        assert_eq!(to_rfc3339(1000), "1970-01-01T00:00:01.000Z");
    }
}
