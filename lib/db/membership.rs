//! Membership over time: leaving (the row moves to `former_members`), rejoining, muting;
//! and channel auth's membership check.
//!
//! A member who leaves has no `conversation_members` row any more, so every
//! membership check elsewhere (history, send, channel auth, reads, reactions,
//! typing) refuses them without knowing that leaving exists.

use super::DbError;
use super::limits::{max_param, verdict, window_param};
use crate::domain::{ConversationId, UserId};
use crate::limits::{Action, Limit, Verdict};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// Ends `user`'s membership of `id`, keeping its history. `false` when they were
/// not a member (never were, or already left). One statement.
pub async fn leave(
    c: &impl GenericClient,
    id: ConversationId,
    user: &UserId,
) -> Result<bool, DbError> {
    let row = c
        .query_typed_opt(
            "WITH gone AS (
                 DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2
                 RETURNING conversation_id, user_id, role, joined_at, last_read_seq)
             INSERT INTO former_members (conversation_id, user_id, role, joined_at, last_read_seq, reason)
             SELECT conversation_id, user_id, role, joined_at, last_read_seq, 'left' FROM gone
             RETURNING id",
            &[(&id.get(), Type::INT8), (&user.as_str(), Type::TEXT)],
        )
        .await?;
    Ok(row.is_some())
}

/// Puts `user` back into `id` (nothing when they are in it), where they had read
/// up to when they left. `true` when they were added now.
pub async fn rejoin(
    c: &impl GenericClient,
    id: ConversationId,
    user: &UserId,
) -> Result<bool, DbError> {
    let added = c
        .execute_typed(
            "INSERT INTO conversation_members (conversation_id, user_id, last_read_seq)
             SELECT $1, $2, coalesce((SELECT f.last_read_seq FROM former_members f
                                      WHERE f.conversation_id = $1 AND f.user_id = $2
                                      ORDER BY f.left_at DESC, f.id DESC LIMIT 1), 0)
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
            &[(&id.get(), Type::INT8), (&user.as_str(), Type::TEXT)],
        )
        .await?;
    Ok(added == 1)
}

/// Mutes or unmutes `id` for `user`; `None` when they are not a member. Muting
/// again keeps the original time.
pub async fn set_muted(
    c: &impl GenericClient,
    id: ConversationId,
    user: &UserId,
    muted: bool,
) -> Result<Option<bool>, DbError> {
    let row = c
        .query_typed_opt(
            "UPDATE conversation_members
             SET muted_at = CASE WHEN $3 THEN coalesce(muted_at, now()) END
             WHERE conversation_id = $1 AND user_id = $2
             RETURNING muted_at IS NOT NULL",
            &[
                (&id.get(), Type::INT8),
                (&user.as_str(), Type::TEXT),
                (&muted, Type::BOOL),
            ],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Channel auth's database work in one round trip: counts the request
/// against `limit` (`None`: not counted) and, for a conversation's channel,
/// checks membership (`false` when no conversation is given).
pub async fn channel_access(
    c: &impl GenericClient,
    user: &UserId,
    conversation: Option<ConversationId>,
    limit: Option<Limit>,
) -> Result<(Verdict, bool), DbError> {
    let row = c
        .query_typed_one(
            concat!(
                "WITH counted AS (",
                crate::bump_limit_sql!(1, 3, 4, 5),
                ")
                 SELECT (SELECT hits FROM counted) AS hits,
                        (SELECT secs_left FROM counted) AS secs_left,
                        EXISTS (SELECT 1 FROM conversation_members
                                WHERE conversation_id = $2 AND user_id = $1) AS member"
            ),
            &[
                (&user.as_str(), Type::TEXT),
                (&conversation.map(ConversationId::get), Type::INT8),
                (&Action::ChannelAuth.key(), Type::TEXT),
                (&max_param(limit), Type::INT4),
                (&window_param(limit), Type::FLOAT8),
            ],
        )
        .await?;
    Ok((verdict(&row, limit)?, row.try_get("member")?))
}
