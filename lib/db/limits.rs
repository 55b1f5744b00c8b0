//! Rate-limit counters: one fixed window per (user, action), bumped by one
//! upsert. The send folds the same upsert into the statement that locks its
//! conversation ([`LIMITED_LOCK_SQL`]), so it costs no round trip.

use super::DbError;
use super::messages::LOCK_SQL;
use crate::domain::UserId;
use crate::limits::{Action, Limit, Verdict};
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Transaction};

/// Bumps the counter of user `$u` for action `$a` (at most `$m`, window `$w`
/// seconds) and returns `hits` after this request and `secs_left` in the
/// window. A window that has ended starts afresh with this request. Hits stop
/// counting at max + 1, so a client hammering a closed window cannot overflow
/// the counter. Parameter numbers are given so the text can be folded into a
/// larger statement.
#[macro_export]
#[doc(hidden)]
macro_rules! bump_limit_sql {
    ($u:literal, $a:literal, $m:literal, $w:literal) => {
        concat!(
            "INSERT INTO request_limits AS l (user_id, route, window_start, hits)
             VALUES ($",
            $u,
            ", $",
            $a,
            ", now(), 1)
             ON CONFLICT (user_id, route) DO UPDATE SET
                 window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $",
            $w,
            ")
                                     THEN now() ELSE l.window_start END,
                 hits = CASE WHEN l.window_start <= now() - make_interval(secs => $",
            $w,
            ")
                             THEN 1 ELSE LEAST(l.hits, $",
            $m,
            ") + 1 END
             RETURNING l.hits::int8 AS hits,
                 extract(epoch FROM l.window_start + make_interval(secs => $",
            $w,
            ") - now())::float8
                     AS secs_left"
        )
    };
}

pub const BUMP_SQL: &str = bump_limit_sql!(1, 2, 3, 4);

/// Counts one request by `user` for `action`; `None` limit: not counted.
/// One statement, committed on its own: a refused request counts too.
pub async fn hit(
    c: &impl GenericClient,
    user: &UserId,
    action: Action,
    limit: Option<Limit>,
) -> Result<Verdict, DbError> {
    let Some(limit) = limit else {
        return Ok(Verdict::Allowed);
    };
    let max = i32::try_from(limit.max).unwrap_or(i32::MAX);
    let row = c
        .query_typed_one(
            BUMP_SQL,
            &[
                (&user.as_str(), Type::TEXT),
                (&action.key(), Type::TEXT),
                (&max, Type::INT4),
                (&limit.window.as_secs_f64(), Type::FLOAT8),
            ],
        )
        .await?;
    Ok(Verdict::from_count(
        row.try_get("hits")?,
        limit,
        row.try_get("secs_left")?,
    ))
}

/// [`LOCK_SQL`] plus the sender's send counter (`$3` action, `$4` max, `$5`
/// window seconds), in the same round trip. The counter row is locked before
/// the conversation row, in every send, so the two locks cannot deadlock.
pub const LIMITED_LOCK_SQL: &str = concat!(
    "WITH counted AS (",
    crate::bump_limit_sql!(2, 3, 4, 5),
    ")
     SELECT c.last_seq, counted.hits, counted.secs_left
     FROM counted, conversations c
     WHERE c.id = $1 AND EXISTS (
         SELECT 1 FROM conversation_members m
         WHERE m.conversation_id = c.id AND m.user_id = $2)
     FOR NO KEY UPDATE OF c"
);

/// Takes the lock, counting the send when a limit is set.
pub async fn lock_counting(
    tx: &Transaction<'_>,
    conversation: i64,
    sender: &str,
    limit: Option<Limit>,
) -> Result<Option<Verdict>, DbError> {
    let Some(limit) = limit else {
        let row = tx
            .query_typed_opt(
                LOCK_SQL,
                &[(&conversation, Type::INT8), (&sender, Type::TEXT)],
            )
            .await?;
        return Ok(row.map(|_| Verdict::Allowed));
    };
    let max = i32::try_from(limit.max).unwrap_or(i32::MAX);
    let row = tx
        .query_typed_opt(
            LIMITED_LOCK_SQL,
            &[
                (&conversation, Type::INT8),
                (&sender, Type::TEXT),
                (&Action::Send.key(), Type::TEXT),
                (&max, Type::INT4),
                (&limit.window.as_secs_f64(), Type::FLOAT8),
            ],
        )
        .await?;
    row.map(|row| {
        Ok(Verdict::from_count(
            row.try_get("hits")?,
            limit,
            row.try_get("secs_left")?,
        ))
    })
    .transpose()
}
