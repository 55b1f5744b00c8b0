//! Read positions: how far each member has read, only ever moving forward.

use super::DbError;
use crate::domain::{ConversationId, Seq, UserId};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPosition {
    pub last_read_seq: Seq,
    pub unread_count: i64,
    /// The position moved forward (broadcast `messages-read` only then).
    pub moved: bool,
    /// Whom the receipt concerns: the conversation's member count, and who
    /// wrote the message at `last_read_seq` (none at 0).
    pub members: i64,
    pub author: Option<UserId>,
}

/// Marks everything up to `seq` read; `None` when the user is not a member.
///
/// One statement: the UPDATE's condition is re-checked against the newest
/// row version when a concurrent call got there first, so the position never
/// moves back; it is capped at the conversation's last seq. When nothing
/// moved, the reported position is the one this call saw (a concurrent call
/// may just have moved it further, and reports that itself).
pub async fn mark_read(
    c: &impl GenericClient,
    conversation: ConversationId,
    user: &UserId,
    seq: Seq,
) -> Result<Option<ReadPosition>, DbError> {
    let row = c
        .query_typed_opt(
            "WITH target AS (
                 SELECT cm.last_read_seq AS before, c.last_seq, LEAST($3, c.last_seq) AS wanted
                 FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
                 WHERE cm.conversation_id = $1 AND cm.user_id = $2
             ), moved AS (
                 UPDATE conversation_members cm SET last_read_seq = target.wanted
                 FROM target
                 WHERE cm.conversation_id = $1 AND cm.user_id = $2
                   AND cm.last_read_seq < target.wanted
                 RETURNING cm.last_read_seq
             )
             SELECT target.last_seq, pos.last_read_seq,
                    EXISTS (SELECT 1 FROM moved) AS moved,
                    (SELECT count(*) FROM conversation_members
                     WHERE conversation_id = $1) AS members,
                    (SELECT m.sender_id FROM messages m
                     WHERE m.conversation_id = $1 AND m.seq = pos.last_read_seq) AS author
             FROM target
             CROSS JOIN LATERAL (
                 SELECT coalesce((SELECT last_read_seq FROM moved),
                                 GREATEST(target.before, target.wanted)) AS last_read_seq
             ) pos",
            &[
                (&conversation.get(), Type::INT8),
                (&user.as_str(), Type::TEXT),
                (&seq.get(), Type::INT8),
            ],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_seq: i64 = row.try_get("last_seq")?;
    let last_read: i64 = row.try_get("last_read_seq")?;
    Ok(Some(ReadPosition {
        last_read_seq: Seq::from_db(last_read),
        unread_count: (last_seq - last_read).max(0),
        moved: row.try_get("moved")?,
        members: row.try_get("members")?,
        author: row
            .try_get::<_, Option<String>>("author")?
            .map(super::rows::user_id)
            .transpose()?,
    }))
}
