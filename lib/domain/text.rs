//! Free text from users: message bodies, conversation titles, reaction emoji.

use super::FieldError;
use serde::Serialize;

/// A message body: 1..=4000 Unicode scalar values, not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars == 0 || raw.trim().is_empty() {
            return Err(FieldError::new(
                "body",
                "must not be empty or only whitespace",
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                "body",
                format!(
                    "must be at most {} characters (got {chars})",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(raw))
    }

    pub fn from_db(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional conversation title: at most 200 characters, trimmed; blank means none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > 200 {
            return Err(FieldError::new("title", "must be at most 200 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(
                "title",
                "must not contain control characters",
            ));
        }
        Ok(Some(Self(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A reaction: 1..=32 characters (scalar values, as JSON Schema's `maxLength`
/// counts them), no whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Emoji(String);

impl Emoji {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(FieldError::new("emoji", "must be 1 to 32 characters"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                "emoji",
                "must not contain whitespace or control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn from_db(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_count_unicode_scalars_not_bytes() {
        assert!(MessageBody::parse("é".repeat(4000)).is_ok());
        assert!(MessageBody::parse("é".repeat(4001)).is_err());
        assert!(MessageBody::parse(" \n\t".into()).is_err());
        assert!(MessageBody::parse(String::new()).is_err());
    }

    #[test]
    fn emoji_rules() {
        assert!(Emoji::parse("👍").is_ok());
        assert!(Emoji::parse("👍 ").is_err());
        assert!(Emoji::parse("").is_err());
        assert!(Emoji::parse(&"a".repeat(33)).is_err());
        // Characters, not bytes: 32 four-byte emoji fit, 33 do not.
        assert!(Emoji::parse(&"👍".repeat(32)).is_ok());
        assert!(Emoji::parse(&"👍".repeat(33)).is_err());
        assert!(Emoji::parse("\u{7}").is_err());
    }
}
