//! The typing throttle: at most one server-side `typing` event per member per window.

use super::DbError;
use super::limits::{max_param, verdict, window_param};
use crate::domain::{ConversationId, UserId};
use crate::limits::{Action, Limit, Verdict};
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
    /// Over the caller's typing limit (checked first: counted even for a non-member).
    Limited {
        retry_after_secs: u64,
    },
}

/// The rate-limit count and the claim in one statement, so one round trip.
/// Parameters: `$1` conversation, `$2` user, `$3` throttle window seconds,
/// `$4` the limit's counter key, `$5` its max (NULL: not counted), `$6` its window.
const CLAIM_SQL: &str = concat!(
    "WITH counted AS (",
    crate::bump_limit_sql!(2, 4, 5, 6),
    "), claimed AS (
         UPDATE conversation_members SET last_typing_at = now()
         WHERE conversation_id = $1 AND user_id = $2
           AND (last_typing_at IS NULL
                OR last_typing_at <= now() - make_interval(secs => $3))
           AND ($5 IS NULL OR (SELECT hits FROM counted) <= $5)
         RETURNING 1
     )
     SELECT (SELECT hits FROM counted) AS hits, (SELECT secs_left FROM counted) AS secs_left,
            EXISTS (SELECT 1 FROM conversation_members
                    WHERE conversation_id = $1 AND user_id = $2) AS member,
            EXISTS (SELECT 1 FROM claimed) AS granted"
);

/// Counts the call against `limit`, then claims the window. Concurrent calls
/// for the same member serialise on the member's row, and the loser
/// re-checks the window against the winner's timestamp (the UPDATE's
/// condition is re-evaluated on the newest row version).
pub async fn claim(
    c: &impl GenericClient,
    conversation: ConversationId,
    user: &UserId,
    window: Duration,
    limit: Option<Limit>,
) -> Result<Claim, DbError> {
    let row = c
        .query_typed_one(
            CLAIM_SQL,
            &[
                (&conversation.get(), Type::INT8),
                (&user.as_str(), Type::TEXT),
                (&window.as_secs_f64(), Type::FLOAT8),
                (&Action::Typing.key(), Type::TEXT),
                (&max_param(limit), Type::INT4),
                (&window_param(limit), Type::FLOAT8),
            ],
        )
        .await?;
    if let Verdict::Limited { retry_after_secs } = verdict(&row, limit)? {
        return Ok(Claim::Limited { retry_after_secs });
    }
    let member: bool = row.try_get("member")?;
    let granted: bool = row.try_get("granted")?;
    Ok(match (member, granted) {
        (false, _) => Claim::NotMember,
        (true, true) => Claim::Granted,
        (true, false) => Claim::Throttled,
    })
}
