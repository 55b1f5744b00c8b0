//! The Message and Member shapes as the contract serialises them.

use super::{
    ClientMessageId, ConversationId, Emoji, MessageBody, MessageId, Seq, Timestamp, UserId,
};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sender {
    pub id: UserId,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// One emoji on one message: who reacted, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reaction {
    pub emoji: Emoji,
    pub count: i64,
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: Seq,
    pub sender: Sender,
    pub body: MessageBody,
    /// Always present in the JSON: `null` when the sender gave none.
    pub client_message_id: Option<ClientMessageId>,
    pub created_at: Timestamp,
    pub reactions: Vec<Reaction>,
    /// Grows by one with every change to `reactions` (0: never reacted to):
    /// a client keeps the list with the highest version it has seen.
    pub reactions_version: i64,
}

/// A conversation member as listed in `GET /api/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: UserId,
    pub name: Option<String>,
    pub role: Option<String>,
    pub online: bool,
    pub last_seen_at: Option<Timestamp>,
    /// How far this member has read: lets a client show "Seen" after a reload.
    pub last_read_seq: Seq,
}
