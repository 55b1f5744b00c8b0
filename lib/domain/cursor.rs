//! The opaque cursor of `GET /api/conversations`: where the previous page ended.

use super::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

/// The last conversation of a page, by (last activity, id): the keyset the list is sorted on.
/// Clients treat it as an opaque string; its spelling may change between versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub active_at: OffsetDateTime,
    pub id: i64,
}

const VERSION: &str = "c1";

impl ListCursor {
    /// `c1.<microseconds>.<id>`, base64url: Postgres keeps microseconds, so it round-trips exactly.
    pub fn encode(&self) -> String {
        let micros = self.active_at.unix_timestamp_nanos() / 1_000;
        URL_SAFE_NO_PAD.encode(format!("{VERSION}.{micros}.{}", self.id))
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "is not a cursor this server issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split('.');
        let (Some(VERSION), Some(micros), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let active_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|_| invalid())?;
        if id < 1 {
            return Err(invalid());
        }
        Ok(Self { active_at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_795_685_400_123_456_000).unwrap();
        let cursor = ListCursor {
            active_at: at,
            id: 42,
        };
        assert_eq!(ListCursor::parse(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        let forged = URL_SAFE_NO_PAD.encode("c1.1.0");
        for raw in [
            "",
            "!!",
            "abc",
            forged.as_str(),
            &URL_SAFE_NO_PAD.encode("c2.1.1"),
        ] {
            let err = ListCursor::parse(raw).unwrap_err();
            assert_eq!(err.field, "cursor", "{raw}");
        }
    }
}
