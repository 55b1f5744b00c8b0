//! Reactions: per-message emoji sets, each change a compare-and-set on the
//! message's `reactions_version` (see [`change`]).
//!
//! A change writes only if no other change committed since the state it
//! decided on, which makes "at most 20 distinct emoji" race-free and gives
//! every change a consistent list to broadcast, in the order changes commit.
//! Each change bumps the version under the message's row lock, so the
//! versions number the lists in commit order, whatever order the
//! `reaction-updated` events reach clients in.

use super::DbError;
use super::limits::{max_param, verdict, window_param};
use super::pool::{Client, pg};
use super::rows::{self, user_id};
use crate::domain::{ConversationId, Emoji, MessageId, Reaction, Seq, UserId};
use crate::limits::{Action, Limit, Verdict};
use std::collections::HashMap;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

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
    /// Over the caller's reaction limit: nothing written.
    Limited {
        retry_after_secs: u64,
    },
}

/// Which change a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

/// One reaction change in one statement. Parameters: `$1` message, `$2`
/// user, `$3` emoji, `$4` the limit's counter key, `$5` its max (NULL: not
/// counted), `$6` its window, `$7` the most distinct emoji.
///
/// The decision (found and visible to a member, already mine, room for
/// another emoji) is read from the statement's snapshot, and the write is a
/// compare-and-set on the message's `reactions_version`: the UPDATE's
/// condition is re-checked on the newest row version under the row lock, so
/// it fails if any change committed since the snapshot (every change bumps
/// the version). Then nothing is written and `raced` says so: [`change`]
/// runs the statement again under the message's row lock (a transaction,
/// only under contention). The list returned is the snapshot's with this
/// change applied, so it is the list as of this change's commit.
macro_rules! change_sql {
    ($wanted:literal, $too_many:literal, $write:literal, $current:literal) => {
        concat!(
            "WITH counted AS (",
            crate::bump_limit_sql!(2, 4, 5, 6),
            "), target AS (
                 SELECT m.id, m.conversation_id, m.seq, m.reactions_version AS version
                 FROM messages m
                 WHERE m.id = $1 AND EXISTS (
                     SELECT 1 FROM conversation_members cm
                     WHERE cm.conversation_id = m.conversation_id AND cm.user_id = $2)
             ), seen AS (
                 SELECT count(DISTINCT emoji) AS distinct_emoji,
                        coalesce(bool_or(emoji = $3), false) AS present,
                        coalesce(bool_or(emoji = $3 AND user_id = $2), false) AS mine
                 FROM reactions WHERE message_id = $1
             ), decided AS (
                 SELECT ($5 IS NULL OR (SELECT hits FROM counted) <= $5) AND ",
            $wanted,
            " AS wanted, ",
            $too_many,
            " AS too_many
                 FROM seen
             ), bumped AS (
                 UPDATE messages m SET reactions_version = m.reactions_version + 1
                 FROM target, decided
                 WHERE m.id = target.id AND m.reactions_version = target.version AND decided.wanted
                 RETURNING m.reactions_version
             ), ",
            $write,
            ", current AS (",
            $current,
            ")
             SELECT (SELECT hits FROM counted) AS hits, (SELECT secs_left FROM counted) AS secs_left,
                    target.id IS NOT NULL AS found, target.conversation_id, target.seq,
                    coalesce((SELECT reactions_version FROM bumped), target.version) AS version,
                    EXISTS (SELECT 1 FROM bumped) AS changed,
                    decided.wanted AND NOT EXISTS (SELECT 1 FROM bumped) AS raced,
                    decided.too_many,
                    (SELECT coalesce(json_agg(json_build_object('emoji', r.emoji, 'user_ids', r.user_ids)
                                              ORDER BY r.first), '[]'::json)
                     FROM (SELECT emoji, array_agg(user_id ORDER BY ordinal) AS user_ids,
                                  min(ordinal) AS first
                           FROM current GROUP BY emoji) r) AS reactions
             FROM decided LEFT JOIN target ON true"
        )
    };
}

const ADD_SQL: &str = change_sql!(
    "NOT seen.mine AND (seen.present OR seen.distinct_emoji < $7)",
    "NOT seen.present AND seen.distinct_emoji >= $7",
    "written AS (
         INSERT INTO reactions (message_id, user_id, emoji) SELECT $1, $2, $3 FROM bumped
         RETURNING emoji, user_id, ordinal
     )",
    "SELECT emoji, user_id, ordinal FROM reactions WHERE message_id = $1
     UNION ALL SELECT emoji, user_id, ordinal FROM written"
);

const REMOVE_SQL: &str = change_sql!(
    "seen.mine",
    "false",
    "written AS (
         DELETE FROM reactions
         WHERE message_id = $1 AND user_id = $2 AND emoji = $3 AND EXISTS (SELECT 1 FROM bumped)
         RETURNING 1
     )",
    "SELECT emoji, user_id, ordinal FROM reactions
     WHERE message_id = $1
       AND NOT (user_id = $2 AND emoji = $3 AND EXISTS (SELECT 1 FROM bumped))"
);

pub async fn add(
    c: &mut Client,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> Result<ReactionChange, DbError> {
    change(c, Change::Add, message, user, emoji, None).await
}

pub async fn remove(
    c: &mut Client,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> Result<ReactionChange, DbError> {
    change(c, Change::Remove, message, user, emoji, None).await
}

/// Adds or removes `user`'s `emoji` on `message`, counting the request
/// against `limit` first (counted even when refused or not found). One round
/// trip; five (that one, then BEGIN, lock, the statement again, COMMIT) when
/// a concurrent change to the same message committed meanwhile.
pub async fn change(
    c: &mut Client,
    change: Change,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
    limit: Option<Limit>,
) -> Result<ReactionChange, DbError> {
    let sql = match change {
        Change::Add => ADD_SQL,
        Change::Remove => REMOVE_SQL,
    };
    let row = run(&*pg(c), sql, message, user, emoji, limit).await?;
    if let Verdict::Limited { retry_after_secs } = verdict(&row, limit)? {
        return Ok(ReactionChange::Limited { retry_after_secs });
    }
    if !row.try_get::<_, bool>("raced")? {
        return outcome(message, &row);
    }
    // Lost a race: again under the row lock (already counted: not again).
    let tx = pg(c).transaction().await?;
    tx.execute_typed(
        "SELECT 1 FROM messages WHERE id = $1 FOR NO KEY UPDATE",
        &[(&message.get(), Type::INT8)],
    )
    .await?;
    let row = run(&tx, sql, message, user, emoji, None).await?;
    tx.commit().await?;
    outcome(message, &row)
}

async fn run(
    c: &impl GenericClient,
    sql: &str,
    message: MessageId,
    user: &UserId,
    emoji: &Emoji,
    limit: Option<Limit>,
) -> Result<Row, DbError> {
    Ok(c.query_typed_one(
        sql,
        &[
            (&message.get(), Type::INT8),
            (&user.as_str(), Type::TEXT),
            (&emoji.as_str(), Type::TEXT),
            (&Action::React.key(), Type::TEXT),
            (&max_param(limit), Type::INT4),
            (&window_param(limit), Type::FLOAT8),
            (&MAX_DISTINCT_EMOJI, Type::INT8),
        ],
    )
    .await?)
}

fn outcome(message: MessageId, row: &Row) -> Result<ReactionChange, DbError> {
    if !row.try_get::<_, bool>("found")? {
        return Ok(ReactionChange::NotFound);
    }
    if row.try_get::<_, bool>("too_many")? {
        return Ok(ReactionChange::TooMany);
    }
    let current = MessageReactions {
        message_id: message,
        conversation_id: ConversationId::from_db(row.try_get("conversation_id")?),
        seq: Seq::from_db(row.try_get("seq")?),
        reactions: rows::reactions(row)?,
        version: row.try_get("version")?,
    };
    Ok(if row.try_get("changed")? {
        ReactionChange::Changed(current)
    } else {
        ReactionChange::Unchanged(current)
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
