//! Small parsed types: once built, a value is known to be valid.

mod cursor;
mod ids;
mod message;
mod policy;
mod text;
mod time;

pub use cursor::ListCursor;
pub use ids::{ClientMessageId, ConversationId, MessageId, Seq, UserId};
pub use message::{Member, Message, Reaction, Sender};
pub use policy::ConversationPolicy;
pub use text::{Emoji, MessageBody, Title, is_invisible_format, strip_invisible_format};
pub use time::Timestamp;

/// Why a field was refused; the message names the field, for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
