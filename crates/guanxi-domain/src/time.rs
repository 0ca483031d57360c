use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

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

/// Parses the timestamps integrations send: RFC 3339 with any offset, or a naive
/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` read in the given fixed offset (hours east of UTC).
pub fn parse_timestamp(raw: &str, naive_offset_hours: i32) -> Option<Millis> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.timestamp_millis());
    }
    if let Ok(at) = DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S %z") {
        return Some(at.timestamp_millis());
    }
    let offset = chrono::FixedOffset::east_opt(naive_offset_hours * 3600)?;
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
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_naive_china_time() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z", 8), Some(1000));
        assert_eq!(parse_timestamp("1970-01-01 08:00:01", 8), Some(1000));
        assert_eq!(parse_timestamp("1970/01/01 08:00:01", 8), Some(1000));
        assert_eq!(parse_timestamp("not a date", 8), None);
    }

    #[test]
    fn formats_back_to_rfc3339() {
        assert_eq!(to_rfc3339(1000), "1970-01-01T00:00:01.000Z");
    }
}
