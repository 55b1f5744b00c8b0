//! The typing throttle: at most one server-side `typing` event per member per window.

use super::DbError;
use crate::domain::{ConversationId, UserId};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Send the event: nothing was sent for this member within the window.
    Granted,
    /// An event went out within the window (or a concurrent call just claimed it).
    Throttled,
    NotMember,
}

/// One statement: concurrent calls for the same member serialise on the row,
/// and the loser re-checks the window against the winner's timestamp.
pub async fn claim(
    c: &impl GenericClient,
    conversation: ConversationId,
    user: &UserId,
    window: Duration,
) -> Result<Claim, DbError> {
    let row = c
        .query_typed_one(
            "WITH member AS (
                 SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2
             ), claimed AS (
                 UPDATE conversation_members SET last_typing_at = now()
                 WHERE conversation_id = $1 AND user_id = $2
                   AND (last_typing_at IS NULL
                        OR last_typing_at <= now() - make_interval(secs => $3))
                 RETURNING 1
             )
             SELECT EXISTS (SELECT 1 FROM member), EXISTS (SELECT 1 FROM claimed)",
            &[
                (&conversation.get(), Type::INT8),
                (&user.as_str(), Type::TEXT),
                (&window.as_secs_f64(), Type::FLOAT8),
            ],
        )
        .await?;
    let member: bool = row.try_get(0)?;
    let granted: bool = row.try_get(1)?;
    Ok(match (member, granted) {
        (false, _) => Claim::NotMember,
        (true, true) => Claim::Granted,
        (true, false) => Claim::Throttled,
    })
}
