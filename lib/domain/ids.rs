//! Identifiers: user ids as issued by the app's login, numeric conversation and message ids.

use super::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A user id: 1..=64 chars of `[A-Za-z0-9_-]` (the contract's rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() || raw.len() > 64 {
            return Err(FieldError::new(field, "must be 1 to 64 characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(FieldError::new(
                field,
                "may only contain A-Z, a-z, 0-9, _ and -",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An idempotency key chosen by the client: same rule as user ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientMessageId(String);

impl ClientMessageId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let field = "client_message_id";
        if raw.is_empty() || raw.len() > 64 {
            return Err(FieldError::new(field, "must be 1 to 64 characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(FieldError::new(
                field,
                "may only contain A-Z, a-z, 0-9, _ and -",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Accepts 1..=i64::MAX; the field name goes into the error.
            pub fn parse(field: &'static str, raw: i64) -> Result<Self, FieldError> {
                if raw < 1 {
                    return Err(FieldError::new(field, "must be a positive integer"));
                }
                Ok(Self(raw))
            }

            /// For values read back from the database, which only holds valid ids.
            pub fn from_db(raw: i64) -> Self {
                Self(raw)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// A conversation's id (a positive integer).
    ConversationId
);
positive_id!(
    /// A message's id (a positive integer).
    MessageId
);

/// A position in a conversation: 0 means "before the first message".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(i64);

impl Seq {
    pub const ZERO: Seq = Seq(0);

    pub fn parse(field: &'static str, raw: i64) -> Result<Self, FieldError> {
        if raw < 0 {
            return Err(FieldError::new(field, "must be an integer >= 0"));
        }
        Ok(Self(raw))
    }

    pub fn from_db(raw: i64) -> Self {
        Self(raw)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_follow_the_contract() {
        assert!(UserId::parse("sub", "u_alice-1").is_ok());
        assert!(UserId::parse("sub", "").is_err());
        assert!(UserId::parse("sub", &"a".repeat(64)).is_ok());
        assert!(UserId::parse("sub", &"a".repeat(65)).is_err());
        assert!(UserId::parse("sub", "a b").is_err());
        assert!(UserId::parse("sub", "é").is_err());
    }

    #[test]
    fn ids_must_be_positive_and_seqs_non_negative() {
        assert!(ConversationId::parse("conversation_id", 0).is_err());
        assert!(ConversationId::parse("conversation_id", 1).is_ok());
        assert!(Seq::parse("before", -1).is_err());
        assert_eq!(Seq::parse("after", 0).unwrap(), Seq::ZERO);
    }
}
