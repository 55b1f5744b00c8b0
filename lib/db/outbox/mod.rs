//! The outbox: `new-message` events stored with their message, delivered after
//! commit, and redelivered by the cron when Pusher failed (at least once;
//! clients dedupe by id).
//!
//! A row's life: born claimed by its send (see `messages::SEND_SQL`), then
//! delivered, or failed and retried by the cron, which claims rows with a
//! lease ([`claim`]). How a failure counts depends on its [`Failure`] kind: an
//! unavailable Pusher never backs a row off and dead-letters it only when it
//! is older than [`MAX_AGE`]; a refusal of the event backs off and
//! dead-letters after [`MAX_REFUSALS`]. Dead letters (`dead_at`) stay visible
//! until purged ([`purge`]).

mod claim;
mod purge;

pub use claim::{CLAIM_SQL, Claimed, claim};
pub use purge::{PurgeStep, purge_step};

use super::DbError;
use crate::domain::{ConversationId, Message};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// A row whose event Pusher refused this many times is dead-lettered: the
/// refusal is about the event, so retrying rarely helps, and its
/// conversation's later events wait behind it meanwhile.
pub const MAX_REFUSALS: i32 = 5;
/// Wait after the 2nd refusal; doubles with each further one, up to [`BACKOFF_CAP`].
/// The first refusal (usually the send's own try) waits for the next cron run only.
pub const BACKOFF_BASE: Duration = Duration::from_secs(10);
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// A row still undelivered this long after its message is dead-lettered at its
/// next failure, whatever the kind: an event a day late is no longer live.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Why a delivery attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Pusher could not take any event just then: down, unreachable, timing
    /// out, overloaded, or refusing our credentials or quota. Not the event's
    /// fault, so the row keeps its place with no backoff of its own (the cron
    /// paces retries: it ends a run after a few of these in a row), and as
    /// soon as Pusher is back the whole backlog goes.
    Unavailable,
    /// Pusher refused this event itself (too large, malformed).
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub message: Message,
    pub conversation_id: ConversationId,
    pub socket_id: Option<String>,
    /// Attempts before this one (the send route's own try counts once it is marked).
    pub attempts: i32,
}

/// What a failed attempt did to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Retried by a later run (after its backoff, for a refusal).
    WillRetry,
    /// Refused [`MAX_REFUSALS`] times, or older than [`MAX_AGE`]: the row is
    /// dead-lettered and never sent again.
    DeadLettered,
}

pub(super) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Pusher accepted these events.
///
/// Not a HOT update: `delivered_at` is in the predicate of the waiting-rows
/// index, so each one writes a new heap tuple and primary-key entry (measured
/// with `pg_stat_user_tables.n_tup_hot_upd`: 0 of 50, before and after
/// migration 0006). Kept that way on purpose: that index is what lets a run
/// find waiting rows without scanning a week of delivered ones. Failures and
/// claims, which repeat under a backlog, change no indexed column and are HOT
/// when the page has room (50 of 50 failures; the table keeps 20% free).
pub async fn mark_delivered(c: &impl GenericClient, ids: &[i64]) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    c.execute_typed(
        "UPDATE outbox
         SET delivered_at = now(), attempts = attempts + 1, last_attempt_at = now(),
             claimed_until = NULL
         WHERE id = ANY($1) AND delivered_at IS NULL",
        &[(&ids, Type::INT8_ARRAY)],
    )
    .await?;
    Ok(())
}

/// A delivery attempt failed: count it, back off after a refusal, or dead-letter.
pub async fn mark_failed(
    c: &impl GenericClient,
    id: i64,
    failure: Failure,
    error: &str,
) -> Result<Failed, DbError> {
    let refused = failure == Failure::Refused;
    let row = c
        .query_typed_opt(
            "UPDATE outbox
             SET attempts = attempts + 1, last_attempt_at = now(), last_error = left($2, 1000),
                 claimed_until = NULL,
                 refusals = refusals + $6::int,
                 next_attempt_at = now() + CASE WHEN NOT $6 OR refusals = 0 THEN interval '0'
                     ELSE make_interval(secs => least($4, $3 * power(2, least(refusals - 1, 30))) / 1e6)
                 END,
                 dead_at = CASE WHEN ($6 AND refusals + 1 >= $5)
                                  OR created_at < now() - make_interval(secs => $7 / 1e6)
                           THEN now() END
             WHERE id = $1 AND delivered_at IS NULL AND dead_at IS NULL
             RETURNING dead_at IS NOT NULL",
            &[
                (&id, Type::INT8),
                (&error, Type::TEXT),
                (&(micros(BACKOFF_BASE) as f64), Type::FLOAT8),
                (&(micros(BACKOFF_CAP) as f64), Type::FLOAT8),
                (&MAX_REFUSALS, Type::INT4),
                (&refused, Type::BOOL),
                (&(micros(MAX_AGE) as f64), Type::FLOAT8),
            ],
        )
        .await?;
    let dead = match row {
        Some(row) => row.try_get(0)?,
        None => false,
    };
    Ok(if dead {
        Failed::DeadLettered
    } else {
        Failed::WillRetry
    })
}

/// Gives claimed rows back without counting an attempt (not tried: the run
/// ran out of time, or an earlier event of the same conversation failed).
pub async fn release(c: &impl GenericClient, ids: &[i64]) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    c.execute_typed(
        "UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1) AND delivered_at IS NULL",
        &[(&ids, Type::INT8_ARRAY)],
    )
    .await?;
    Ok(())
}

/// Rows waiting for delivery, and rows in the dead-letter state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub waiting: i64,
    pub dead_letters: i64,
}

pub async fn backlog(c: &impl GenericClient) -> Result<Backlog, DbError> {
    let row = c
        .query_typed_one(
            "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL),
                    (SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL)",
            &[],
        )
        .await?;
    Ok(Backlog {
        waiting: row.try_get(0)?,
        dead_letters: row.try_get(1)?,
    })
}
