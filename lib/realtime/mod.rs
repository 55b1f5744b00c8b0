//! The realtime events and handing them to Pusher: channel names, event
//! payloads, delivery, and the cron's redelivery. The database is the source
//! of truth; Pusher delivers at most once, so a message event that fails
//! stays in the outbox for the cron to redeliver.

pub mod cost;
mod ephemeral;
mod membership;
mod message;
pub mod presence_reconcile;
mod redeliver;

pub use ephemeral::{
    messages_read, messages_read_event, reaction_updated, read_receipt_events, typing, typing_event,
};
pub use membership::{member_left, membership_updated};
pub use message::{deliver_new_message, message_events, trigger_message};
pub use redeliver::{Redelivered, redeliver};

use crate::db;
use crate::domain::{ConversationId, Message, UserId};
use crate::error::{AppError, AppResult};
use crate::pusher::{ChannelName, EventName, PusherError, SocketId};
use serde::Serialize;

/// Pusher refuses event data over 10 KB; the contract cuts at 10,000 bytes.
pub const MAX_EVENT_DATA_BYTES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Pusher accepted the event.
    Sent,
    /// Pusher failed; the outbox holds the event and the cron redelivers it.
    Queued,
}

/// Which events a chat message and a read receipt publish (`PUSHER_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventSet {
    /// The contract's events (`contract`, the default): a send also carries
    /// the sender's `messages-read`, and every read receipt goes to the
    /// conversation channel.
    #[default]
    Contract,
    /// Fewer counted Pusher messages (`lean`), for clients that take the
    /// sender's read position from `new-message` and hear group receipts on
    /// their user channel (this repository's web client does both): no
    /// `messages-read` with a send, and a receipt in a group of 3 or more goes
    /// only to the author of the message read (see `read_receipt_events`).
    Lean,
}

impl EventSet {
    pub fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        match env.get("PUSHER_EVENTS").as_deref() {
            None | Some("contract") => Ok(Self::Contract),
            Some("lean") => Ok(Self::Lean),
            Some(other) => Err(crate::config::ConfigError::new(
                "PUSHER_EVENTS",
                format!("must be contract or lean, not {other:?}"),
            )),
        }
    }
}

/// How the outbox counts a failed trigger.
pub(crate) fn failure_kind(e: &PusherError) -> db::outbox::Failure {
    if e.is_refusal_of_request() {
        db::outbox::Failure::Refused
    } else {
        db::outbox::Failure::Unavailable
    }
}

pub fn parse_socket_id(raw: Option<&str>) -> AppResult<Option<SocketId>> {
    raw.map(|s| {
        SocketId::parse(s).map_err(|_| {
            AppError::Validation("socket_id: must be a pusher-js socket id like 123.456".into())
        })
    })
    .transpose()
}

fn channel(name: String) -> Result<ChannelName, PusherError> {
    ChannelName::parse(&name)
}

pub fn conversation_channel(id: ConversationId) -> Result<ChannelName, PusherError> {
    channel(format!("private-conversation-{id}"))
}

pub fn user_channel(id: &UserId) -> Result<ChannelName, PusherError> {
    channel(format!("private-user-{id}"))
}

pub(crate) fn event(name: &str) -> Result<EventName, PusherError> {
    EventName::parse(name)
}

/// The `new-message` data: the Message, or its truncated form when too big.
pub fn new_message_data(message: &Message) -> Result<String, serde_json::Error> {
    let full = serde_json::to_string(message)?;
    if full.len() <= MAX_EVENT_DATA_BYTES {
        return Ok(full);
    }
    serde_json::to_string(&serde_json::json!({
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "truncated": true,
    }))
}
