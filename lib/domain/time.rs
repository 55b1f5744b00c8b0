//! Timestamps as the contract writes them: RFC 3339 UTC with milliseconds.

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::macros::format_description;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    /// `2026-11-26T09:30:00.123Z`
    pub fn to_rfc3339_millis(self) -> String {
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        let fmt = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        utc.format(&fmt).unwrap_or_default()
    }

    pub fn from_unix_millis(ms: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .map(Self)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        let t = Timestamp::from_unix_millis(1_795_685_400_123).unwrap();
        assert_eq!(t.to_rfc3339_millis(), "2026-11-26T09:30:00.123Z");
        let t = Timestamp::from_unix_millis(1_795_685_400_000).unwrap();
        assert_eq!(t.to_rfc3339_millis(), "2026-11-26T09:30:00.000Z");
    }
}
