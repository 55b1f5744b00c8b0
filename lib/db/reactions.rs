//! Reactions: per-message emoji sets, changed under the message's row lock.
//!
//! Holding the lock makes "at most 20 distinct emoji" race-free and gives
//! every change a consistent list to broadcast, in the order changes commit.
//! Each change bumps the message's `reactions_version` under that lock, so
//! the versions number the lists in commit order, whatever order the
//! `reaction-updated` events reach clients in.

use super::DbError;
use super::pool::{Client, pg};
use super::rows::user_id;
use crate::domain::{ConversationId, Emoji, MessageId, Reaction, Seq, UserId};
use std::collections::HashMap;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Transaction};

pub const MAX_DISTINCT_EMOJI: i64 = 20;

/// A message's reactions after a change, with what the `reaction-updated` event needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReactions {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: Seq,
    pub reactions: Vec<Reaction>,
    /// The message's `reactions_version` after the change (unchanged when nothing changed).
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactionChange {
    Changed(MessageReactions),
    /// Adding twice or removing what is absent: not an error, nothing written.
    Unchanged(MessageReactions),
    /// No such message, or the user is not a member of its conversation.
    NotFound,
    /// The emoji would be the 21st distinct one on this message.
    TooMany,
}

type Param<'a> = (&'a (dyn ToSql + Sync), Type);

pub async fn add(
    c: &mut Client,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> Result<ReactionChange, DbError> {
    let tx = pg(c).transaction().await?;
    let Some(locked) = lock_message(&tx, message, user).await? else {
        tx.rollback().await?;
        return Ok(ReactionChange::NotFound);
    };
    let params: [Param; 3] = [
        (&message.get(), Type::INT8),
        (&user.as_str(), Type::TEXT),
        (&emoji.as_str(), Type::TEXT),
    ];
    let row = tx
        .query_typed_one(
            "SELECT count(DISTINCT emoji) AS distinct_emoji,
                    coalesce(bool_or(emoji = $3), false) AS emoji_present,
                    coalesce(bool_or(emoji = $3 AND user_id = $2), false) AS mine
             FROM reactions WHERE message_id = $1",
            &params,
        )
        .await?;
    let distinct: i64 = row.try_get("distinct_emoji")?;
    let present: bool = row.try_get("emoji_present")?;
    let mine: bool = row.try_get("mine")?;
    if !present && distinct >= MAX_DISTINCT_EMOJI {
        tx.rollback().await?;
        return Ok(ReactionChange::TooMany);
    }
    let version = if mine {
        locked.version
    } else {
        let row = tx
            .query_typed_one(
                "WITH added AS (
                     INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
                 )
                 UPDATE messages SET reactions_version = reactions_version + 1
                 WHERE id = $1
                 RETURNING reactions_version",
                &params,
            )
            .await?;
        row.try_get(0)?
    };
    let current = current(&tx, message, &locked, version).await?;
    tx.commit().await?;
    Ok(if mine {
        ReactionChange::Unchanged(current)
    } else {
        ReactionChange::Changed(current)
    })
}

pub async fn remove(
    c: &mut Client,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> Result<ReactionChange, DbError> {
    let tx = pg(c).transaction().await?;
    let Some(locked) = lock_message(&tx, message, user).await? else {
        tx.rollback().await?;
        return Ok(ReactionChange::NotFound);
    };
    // One statement: the version moves only when a row was deleted.
    let bumped = tx
        .query_typed_opt(
            "WITH removed AS (
                 DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3
                 RETURNING 1
             )
             UPDATE messages SET reactions_version = reactions_version + 1
             WHERE id = $1 AND EXISTS (SELECT 1 FROM removed)
             RETURNING reactions_version",
            &[
                (&message.get(), Type::INT8),
                (&user.as_str(), Type::TEXT),
                (&emoji.as_str(), Type::TEXT),
            ],
        )
        .await?;
    let deleted = bumped.is_some();
    let version = match bumped {
        Some(row) => row.try_get(0)?,
        None => locked.version,
    };
    let current = current(&tx, message, &locked, version).await?;
    tx.commit().await?;
    Ok(if deleted {
        ReactionChange::Changed(current)
    } else {
        ReactionChange::Unchanged(current)
    })
}

/// A message locked for a reaction change.
struct Locked {
    conversation_id: ConversationId,
    seq: Seq,
    version: i64,
}

/// Locks the message if the user may see it.
async fn lock_message(
    tx: &Transaction<'_>,
    message: MessageId,
    user: &UserId,
) -> Result<Option<Locked>, DbError> {
    // NO KEY UPDATE: serialises reaction changes without blocking the key-share
    // locks that foreign-key checks (new reactions, outbox rows) take.
    let row = tx
        .query_typed_opt(
            "SELECT m.conversation_id, m.seq, m.reactions_version FROM messages m
             WHERE m.id = $1 AND EXISTS (
                 SELECT 1 FROM conversation_members cm
                 WHERE cm.conversation_id = m.conversation_id AND cm.user_id = $2)
             FOR NO KEY UPDATE OF m",
            &[(&message.get(), Type::INT8), (&user.as_str(), Type::TEXT)],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Locked {
        conversation_id: ConversationId::from_db(row.try_get(0)?),
        seq: Seq::from_db(row.try_get(1)?),
        version: row.try_get(2)?,
    }))
}

async fn current(
    tx: &Transaction<'_>,
    message: MessageId,
    locked: &Locked,
    version: i64,
) -> Result<MessageReactions, DbError> {
    let reactions = for_messages(tx, &[message])
        .await?
        .remove(&message)
        .unwrap_or_default();
    Ok(MessageReactions {
        message_id: message,
        conversation_id: locked.conversation_id,
        seq: locked.seq,
        reactions,
        version,
    })
}

/// Reactions of several messages: emoji in the order first used, users in the order they reacted.
/// Messages without reactions are absent from the map.
pub async fn for_messages(
    c: &impl GenericClient,
    ids: &[MessageId],
) -> Result<HashMap<MessageId, Vec<Reaction>>, DbError> {
    let mut out: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let rows = c
        .query_typed(
            "SELECT message_id, emoji, array_agg(user_id ORDER BY ordinal) AS user_ids
             FROM reactions WHERE message_id = ANY($1)
             GROUP BY message_id, emoji
             ORDER BY message_id, min(ordinal)",
            &[(&raw, Type::INT8_ARRAY)],
        )
        .await?;
    for row in rows {
        let users = row
            .try_get::<_, Vec<String>>("user_ids")?
            .into_iter()
            .map(user_id)
            .collect::<Result<Vec<_>, _>>()?;
        out.entry(MessageId::from_db(row.try_get("message_id")?))
            .or_default()
            .push(Reaction {
                emoji: Emoji::from_db(row.try_get("emoji")?),
                count: i64::try_from(users.len()).unwrap_or(i64::MAX),
                user_ids: users,
            });
    }
    Ok(out)
}
