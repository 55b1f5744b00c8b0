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

/// Bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069) and
/// zero-width characters (U+200B..U+200D, U+2060, U+FEFF): invisible, and able
/// to make a name or title display as something else (a reversed file name,
/// "Teacher" spoofed by "Tea\u{200B}cher").
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// `raw` without the characters [`is_invisible_format`] names.
pub fn strip_invisible_format(raw: &str) -> String {
    raw.chars().filter(|c| !is_invisible_format(*c)).collect()
}

/// An optional conversation title: at most 200 characters, trimmed, bidirectional
/// overrides and zero-width characters removed; blank means none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let visible = strip_invisible_format(raw);
        let trimmed = visible.trim();
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
    fn titles_lose_bidi_overrides_and_zero_width_characters() {
        let title = |raw: &str| Title::parse(raw).unwrap().map(|t| t.as_str().to_owned());
        assert_eq!(
            title("\u{202E}gnp.exe\u{202C} Maths\u{200B}\u{FEFF}").as_deref(),
            Some("gnp.exe Maths")
        );
        assert_eq!(
            title("\u{2066}Te\u{200D}am\u{2069}").as_deref(),
            Some("Team")
        );
        // Nothing but invisible characters is a blank title: none.
        assert_eq!(title(" \u{200B}\u{2060} "), None);
        // Everything else is kept as it is.
        assert_eq!(title("Café ☕").as_deref(), Some("Café ☕"));
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
