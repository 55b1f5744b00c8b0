//! Rate-limit counters: one fixed window per (user, action), bumped by one
//! upsert. The send folds a [`take`]-like upsert into its one statement
//! (`messages::SEND_SQL`), and typing, reactions and channel auth fold
//! [`bump_limit_sql`] into theirs, so limits cost no round trip. Counting
//! comes in two kinds: [`hit`] counts every request (a refused one too, until
//! the window ends), [`take`] counts only what it allows and can be undone by
//! [`give_back`]. Windows long over are deleted by [`purge_step`] (the cron).

use super::DbError;
use crate::domain::UserId;
use crate::limits::{Action, Limit, Verdict};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// Bumps the counter of user `$u` for action `$a` (at most `$m`, window `$w`
/// seconds) and returns `hits` after this request and `secs_left` in the
/// window; a NULL `$m` (no limit) counts nothing and returns no row. A window
/// that has ended starts afresh with this request. Hits stop counting at
/// max + 1, so a client hammering a closed window cannot overflow the
/// counter. Parameter numbers are given so the text can be folded into a
/// larger statement (typing, reactions, channel auth: no round trip of its own).
#[macro_export]
#[doc(hidden)]
macro_rules! bump_limit_sql {
    ($u:literal, $a:literal, $m:literal, $w:literal) => {
        concat!(
            "INSERT INTO request_limits AS l (user_id, route, window_start, hits)
             SELECT $",
            $u,
            ", $",
            $a,
            ", now(), 1 WHERE $",
            $m,
            "::int4 IS NOT NULL
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

/// The verdict of a statement that folded in [`bump_limit_sql`] and returns
/// its `hits` and `secs_left` (NULL when no limit was set).
pub fn verdict(row: &tokio_postgres::Row, limit: Option<Limit>) -> Result<Verdict, DbError> {
    let Some(limit) = limit else {
        return Ok(Verdict::Allowed);
    };
    let hits: Option<i64> = row.try_get("hits")?;
    let secs_left: Option<f64> = row.try_get("secs_left")?;
    Ok(Verdict::from_count(
        hits.unwrap_or(0),
        limit,
        secs_left.unwrap_or(0.0),
    ))
}

/// `$m` of [`bump_limit_sql`]: the limit's max, NULL when there is none.
pub fn max_param(limit: Option<Limit>) -> Option<i32> {
    limit.map(|l| i32::try_from(l.max).unwrap_or(i32::MAX))
}

/// `$w` of [`bump_limit_sql`]: the limit's window in seconds (0 when there is none).
pub fn window_param(limit: Option<Limit>) -> f64 {
    limit.map_or(0.0, |l| l.window.as_secs_f64())
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
                (&Some(max), Type::INT4),
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

/// Counts one `action` by `user` only if it is within `limit`; `None` limit:
/// allowed, not counted. Refused attempts are not counted, so hammering a
/// limited route neither fills the counter nor moves the window's end.
/// Concurrent takes for one user serialise on the counter row, so exactly
/// `max` are allowed per window. One round trip when allowed, two when refused.
pub async fn take(
    c: &impl GenericClient,
    user: &UserId,
    action: Action,
    limit: Option<Limit>,
) -> Result<Verdict, DbError> {
    let Some(limit) = limit else {
        return Ok(Verdict::Allowed);
    };
    let max = i32::try_from(limit.max).unwrap_or(i32::MAX);
    let window = limit.window.as_secs_f64();
    let counted = c
        .query_typed_opt(
            "INSERT INTO request_limits AS l (user_id, route, window_start, hits)
             VALUES ($1, $2, now(), 1)
             ON CONFLICT (user_id, route) DO UPDATE SET
                 window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $4)
                                     THEN now() ELSE l.window_start END,
                 hits = CASE WHEN l.window_start <= now() - make_interval(secs => $4)
                             THEN 1 ELSE l.hits + 1 END
             WHERE l.window_start <= now() - make_interval(secs => $4) OR l.hits < $3
             RETURNING l.hits",
            &[
                (&user.as_str(), Type::TEXT),
                (&action.key(), Type::TEXT),
                (&max, Type::INT4),
                (&window, Type::FLOAT8),
            ],
        )
        .await?;
    if counted.is_some() {
        return Ok(Verdict::Allowed);
    }
    // Full: how long until the window ends. The row can only be gone if the
    // window ended meanwhile (purged), so a retry in 1 s is right then.
    let secs_left: f64 = c
        .query_typed_opt(
            "SELECT extract(epoch FROM window_start + make_interval(secs => $3) - now())::float8
             FROM request_limits WHERE user_id = $1 AND route = $2",
            &[
                (&user.as_str(), Type::TEXT),
                (&action.key(), Type::TEXT),
                (&window, Type::FLOAT8),
            ],
        )
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .unwrap_or(0.0);
    Ok(Verdict::from_count(
        i64::from(limit.max) + 1,
        limit,
        secs_left,
    ))
}

/// Gives back one action counted by [`take`] that did not happen after all
/// (e.g. the conversation turned out to exist already).
pub async fn give_back(
    c: &impl GenericClient,
    user: &UserId,
    action: Action,
) -> Result<(), DbError> {
    c.execute_typed(
        "UPDATE request_limits SET hits = hits - 1
         WHERE user_id = $1 AND route = $2 AND hits > 0",
        &[(&user.as_str(), Type::TEXT), (&action.key(), Type::TEXT)],
    )
    .await?;
    Ok(())
}

/// A window that started this long ago has ended under any limit
/// ([`Limit::parse`] allows windows up to 24 h), so its row only takes space:
/// deleting it is the same as the reset the next request would do.
pub const EXPIRED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Deletes at most `batch` counters whose window started before
/// `expired_after` ago; returns how many. A counter bumped meanwhile is
/// re-checked under its row lock and kept.
pub async fn purge_step(
    c: &impl GenericClient,
    expired_after: Duration,
    batch: i64,
) -> Result<u64, DbError> {
    let deleted = c
        .execute_typed(
            "DELETE FROM request_limits l
             USING (SELECT user_id, route FROM request_limits
                    WHERE window_start < now() - make_interval(secs => $1)
                    LIMIT $2) old
             WHERE l.user_id = old.user_id AND l.route = old.route
               AND l.window_start < now() - make_interval(secs => $1)",
            &[
                (&expired_after.as_secs_f64(), Type::FLOAT8),
                (&batch, Type::INT8),
            ],
        )
        .await?;
    Ok(deleted)
}
