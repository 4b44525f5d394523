//! Day numbers and timestamps of the generated data.

/// "Today" for the generated data: fixed, so dates do not move between runs.
pub(super) const REFERENCE_DAY: i64 = 20_605; // 2026-06-01
/// Earliest `created_at` of a product.
pub(super) const FIRST_DAY: i64 = 19_358; // 2023-01-01

/// Formats days since the Unix epoch as `YYYY-MM-DD`.
pub(crate) fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since the Unix epoch → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The current time as RFC 3339 in UTC with second precision (`2026-05-02T10:11:12Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    format_timestamp(secs)
}

/// Seconds since the Unix epoch as RFC 3339 in UTC.
pub(crate) fn format_timestamp(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Seconds since the Unix epoch of the fixed reference day (for generated timestamps).
pub(crate) fn reference_secs() -> i64 {
    REFERENCE_DAY * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_format_as_calendar_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(FIRST_DAY), "2023-01-01");
        assert_eq!(format_day(REFERENCE_DAY), "2026-06-01");
        assert_eq!(format_day(19_782), "2024-02-29");
        assert_eq!(format_timestamp(86_399), "1970-01-01T23:59:59Z");
    }
}
