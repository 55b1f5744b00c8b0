//! Conversation summaries: what `GET /api/conversations` shows one member, read in two
//! pipelined statements plus the last messages' reactions.

use super::DbError;
use super::reactions::for_messages;
use super::rows::{self, message_columns};
use crate::domain::{ConversationId, Member, Message, MessageId, Seq, UserId};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// A conversation as `GET /api/conversations` shows it to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: Option<String>,
    pub members: Vec<Member>,
    pub last_message: Option<Message>,
    pub last_read_seq: Seq,
    pub unread_count: i64,
}

/// The user's conversations with their last message, most recent activity first.
/// `$2` NULL means all of them. The last message is found by `(conversation_id, seq)`.
const CONVERSATIONS: &str = concat!(
    "SELECT c.id AS conversation_id, c.title, c.last_seq, mine.last_read_seq, ",
    message_columns!(),
    " FROM conversation_members mine
     JOIN conversations c ON c.id = mine.conversation_id
     LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
     LEFT JOIN users u ON u.id = m.sender_id
     WHERE mine.user_id = $1 AND ($2 IS NULL OR c.id = $2)
     ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC"
);

/// Everyone in those conversations, in the order they joined.
const MEMBERS: &str = "SELECT cm.conversation_id, u.id, u.name, u.role, u.online, u.last_seen_at,
            cm.last_read_seq
     FROM conversation_members mine
     JOIN conversation_members cm ON cm.conversation_id = mine.conversation_id
     JOIN users u ON u.id = cm.user_id
     WHERE mine.user_id = $1 AND ($2 IS NULL OR mine.conversation_id = $2)
     ORDER BY cm.conversation_id, cm.joined_at, cm.user_id";

/// Summaries of the user's conversations (`only`: just that one), most recent activity first.
pub(crate) async fn load(
    c: &impl GenericClient,
    user: &UserId,
    only: Option<ConversationId>,
) -> Result<Vec<ConversationSummary>, DbError> {
    let only = only.map(ConversationId::get);
    let user = user.as_str();
    let params: [(&(dyn ToSql + Sync), Type); 2] = [(&user, Type::TEXT), (&only, Type::INT8)];
    // Two independent statements, pipelined on the one connection: one round trip.
    let (conversations, members) = tokio::try_join!(
        c.query_typed(CONVERSATIONS, &params),
        c.query_typed(MEMBERS, &params),
    )?;
    let mut by_conversation: HashMap<i64, Vec<Member>> = HashMap::new();
    for row in &members {
        by_conversation
            .entry(row.try_get("conversation_id")?)
            .or_default()
            .push(rows::member(row)?);
    }
    let mut last_ids = Vec::new();
    let mut out = Vec::with_capacity(conversations.len());
    for row in &conversations {
        let id: i64 = row.try_get("conversation_id")?;
        let last_message = match row.try_get::<_, Option<i64>>("id")? {
            Some(_) => Some(rows::message(row)?),
            None => None,
        };
        last_ids.extend(last_message.as_ref().map(|m| m.id));
        let last_seq: i64 = row.try_get("last_seq")?;
        let last_read: i64 = row.try_get("last_read_seq")?;
        out.push(ConversationSummary {
            id: ConversationId::from_db(id),
            title: row.try_get("title")?,
            members: by_conversation.remove(&id).unwrap_or_default(),
            last_message,
            last_read_seq: Seq::from_db(last_read),
            unread_count: (last_seq - last_read).max(0),
        });
    }
    let mut reactions: HashMap<MessageId, _> = for_messages(c, &last_ids).await?;
    for s in &mut out {
        if let Some(m) = s.last_message.as_mut() {
            m.reactions = reactions.remove(&m.id).unwrap_or_default();
        }
    }
    Ok(out)
}
