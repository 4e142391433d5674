//! Calendar dates of legal acts: `YYYY-MM-DD`, in the Gregorian calendar.
//!
//! A vote, a signature or a deposit happens on a day, not at a millisecond, and treaty
//! periods ("the 30th day after", "twelve months after") count days and months. The
//! entry's signed claimed time says when it was *recorded*; these dates say when the act
//! *took place*, and the status engine reasons with them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "date {0:?} is not a real calendar date written YYYY-MM-DD between 1900-01-01 and 9999-12-31"
)]
pub struct DateError(pub String);

/// A calendar day between 1900-01-01 and 9999-12-31, with one spelling: `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

impl Date {
    /// 1900-01-01, the first day a date can name.
    pub const MIN: Date = Date(time::macros::date!(1900 - 01 - 01));

    /// Builds a date from its parts, or `None` if it is not a real day in range.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1900..=9999).contains(&year) {
            return None;
        }
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    /// The UTC day of a time in ms since the epoch.
    pub fn from_unix_millis(ms: u64) -> Option<Date> {
        let secs = i64::try_from(ms / 1000).ok()?;
        let t = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
        Date::from_ymd(t.year(), t.month().into(), t.day())
    }

    /// Days since 1 January 1970 (negative before), for spacing dates on an axis.
    pub fn days_since_epoch(self) -> i64 {
        i64::from(self.0.to_julian_day()) - 2_440_588
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        self.0.month().into()
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// `n` days later, or `None` past 9999-12-31.
    pub fn plus_days(self, n: u32) -> Option<Date> {
        let d = self.0.checked_add(time::Duration::days(i64::from(n)))?;
        Date::from_ymd(d.year(), d.month().into(), d.day())
    }

    /// The day before, or `None` before 1900-01-02.
    pub fn previous_day(self) -> Option<Date> {
        let d = self.0.previous_day()?;
        Date::from_ymd(d.year(), d.month().into(), d.day())
    }

    /// `n` calendar months later. A day that does not exist in the target month (31
    /// March plus one month) becomes the month's last day (30 April), as civil-law
    /// computations of periods do.
    pub fn plus_months(self, n: u32) -> Option<Date> {
        let index = i64::from(self.year()) * 12 + i64::from(self.month()) - 1 + i64::from(n);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        let last = time::Month::try_from(month).ok().map(|m| m.length(year))?;
        Date::from_ymd(year, month, self.day().min(last))
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let err = || DateError(s.to_owned());
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
            return Err(err());
        };
        let (Ok(y), Ok(m), Ok(d)) = (i32::try_from(y), u8::try_from(m), u8::try_from(d)) else {
            return Err(err());
        };
        Date::from_ymd(y, m, d).ok_or_else(err)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!(
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        ))
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn one_spelling_per_day() {
        assert_eq!(d("2026-01-06").to_string(), "2026-01-06");
        for bad in [
            "2026-1-06",
            "2026-01-6",
            "26-01-06",
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "1899-12-31",
            "+2026-01-06",
            "2026-01-06 ",
            "2026/01/06",
            "2026-01-0٦",
            "",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(d("2028-02-29").to_string(), "2028-02-29");
    }

    #[test]
    fn periods_count_days_and_months() {
        assert_eq!(d("2026-05-19").plus_days(30), Some(d("2026-06-18")));
        assert_eq!(d("2026-12-15").plus_days(30), Some(d("2027-01-14")));
        assert_eq!(d("2026-10-01").plus_months(12), Some(d("2027-10-01")));
        assert_eq!(d("2026-03-31").plus_months(1), Some(d("2026-04-30")));
        assert_eq!(d("2027-01-31").plus_months(1), Some(d("2027-02-28")));
        assert_eq!(d("9999-12-31").plus_days(1), None);
        assert_eq!(d("9999-12-31").plus_months(1), None);
        assert_eq!(
            Date::from_unix_millis(1_767_700_800_000),
            Some(d("2026-01-06"))
        );
    }
}
