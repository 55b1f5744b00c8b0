//! Rows -> domain types, shared by the modules that read messages and members.

use super::DbError;
use crate::domain::{
    ClientMessageId, ConversationId, Emoji, Member, Message, MessageBody, MessageId, Reaction,
    Sender, Seq, Timestamp, UserId,
};
use time::OffsetDateTime;
use tokio_postgres::Row;

/// The columns [`message`] reads, for `messages m JOIN users u ON u.id = m.sender_id`.
macro_rules! message_columns {
    () => {
        "m.id, m.conversation_id, m.seq, m.sender_id, u.name AS sender_name, \
         u.role AS sender_role, m.body, m.client_message_id, m.created_at, \
         m.reactions_version"
    };
}
pub(crate) use message_columns;

/// The reactions of the message aliased `m`, as one JSON column that
/// [`reactions`] reads: emoji in the order first used, users in the order
/// they reacted. A correlated subquery on the reactions' primary key, so a
/// page of messages gets its reactions in the same round trip.
macro_rules! reactions_column {
    () => {
        "(SELECT coalesce(json_agg(json_build_object('emoji', r.emoji, 'user_ids', r.user_ids)
                                   ORDER BY r.first), '[]'::json)
          FROM (SELECT emoji, array_agg(user_id ORDER BY ordinal) AS user_ids,
                       min(ordinal) AS first
                FROM reactions WHERE message_id = m.id GROUP BY emoji) r) AS reactions"
    };
}
pub(crate) use reactions_column;

#[derive(serde::Deserialize)]
struct RawReaction {
    emoji: String,
    user_ids: Vec<String>,
}

/// The `reactions` column of [`reactions_column`].
pub(crate) fn reactions(row: &Row) -> Result<Vec<Reaction>, DbError> {
    let raw: Vec<RawReaction> =
        serde_json::from_value(row.try_get::<_, serde_json::Value>("reactions")?)
            .map_err(|e| DbError::Corrupt(format!("reactions: {e}")))?;
    raw.into_iter()
        .map(|r| {
            let user_ids = r
                .user_ids
                .into_iter()
                .map(user_id)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Reaction {
                emoji: Emoji::from_db(r.emoji),
                count: i64::try_from(user_ids.len()).unwrap_or(i64::MAX),
                user_ids,
            })
        })
        .collect()
}

/// A message with its reactions, from [`message_columns`] and [`reactions_column`].
pub(crate) fn message_with_reactions(row: &Row) -> Result<Message, DbError> {
    Ok(Message {
        reactions: reactions(row)?,
        ..message(row)?
    })
}

pub(crate) fn user_id(raw: String) -> Result<UserId, DbError> {
    UserId::parse("user_id", &raw).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// A message without its reactions (the caller attaches them).
pub(crate) fn message(row: &Row) -> Result<Message, DbError> {
    let client_message_id = row
        .try_get::<_, Option<String>>("client_message_id")?
        .map(|raw| ClientMessageId::parse(&raw).map_err(|e| DbError::Corrupt(e.to_string())))
        .transpose()?;
    Ok(Message {
        id: MessageId::from_db(row.try_get("id")?),
        conversation_id: ConversationId::from_db(row.try_get("conversation_id")?),
        seq: Seq::from_db(row.try_get("seq")?),
        sender: Sender {
            id: user_id(row.try_get("sender_id")?)?,
            name: row.try_get("sender_name")?,
            role: row.try_get("sender_role")?,
        },
        body: MessageBody::from_db(row.try_get("body")?),
        client_message_id,
        created_at: Timestamp(row.try_get::<_, OffsetDateTime>("created_at")?),
        reactions: Vec::new(),
        reactions_version: row.try_get("reactions_version")?,
    })
}

/// `u.id, u.name, u.role, u.online, u.last_seen_at, cm.last_read_seq` -> a member.
pub(crate) fn member(row: &Row) -> Result<Member, DbError> {
    Ok(Member {
        id: user_id(row.try_get("id")?)?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        online: row.try_get("online")?,
        last_seen_at: row
            .try_get::<_, Option<OffsetDateTime>>("last_seen_at")?
            .map(Timestamp),
        last_read_seq: Seq::from_db(row.try_get("last_read_seq")?),
    })
}

/// Ids as Postgres `text[]`.
pub(crate) fn id_strs(ids: &[UserId]) -> Vec<&str> {
    ids.iter().map(UserId::as_str).collect()
}
