//! Claiming a fair batch of waiting rows for one redelivery step.

use super::{DbError, OutboxItem, micros};
use crate::db::messages::with_reactions;
use crate::db::pool::{Client, pg};
use crate::db::rows::{self, message_columns, user_id};
use crate::domain::{ConversationId, MessageId, UserId};
use std::collections::HashMap;
use std::time::Duration;
use tokio_postgres::types::Type;

/// Arbitrary, fixed: the transaction-scoped advisory lock that serialises claims.
const CLAIM_LOCK: i64 = 0x6f75_7462_6f78;

/// Claimed rows in the order to send them (round-robin across conversations,
/// seq order within each), with the member ids of each of their conversations.
#[derive(Debug, Default)]
pub struct Claimed {
    pub items: Vec<OutboxItem>,
    pub members: HashMap<ConversationId, Vec<UserId>>,
}

/// The selection, public so a test can check its plan. Per conversation, the waiting rows in id order (ids are
/// handed out under the conversation's lock, so id order is seq order);
/// a row may go only when it and every earlier waiting row of its
/// conversation are free (no live claim, backoff over, not already tried
/// by this run), so a conversation's events leave in seq order and a
/// failing head holds back only its own conversation. Rows are then taken
/// round-robin: every conversation's first row (oldest head first), then
/// every second row, ... One busy conversation cannot starve the others.
///
/// The claim conditions are repeated on `o` because `FOR UPDATE` re-checks
/// them against the newest row version; the window in `waiting` is not.
///
/// The plan must not depend on statistics: the outbox is nearly empty most
/// of the time, and an outage fills it faster than autovacuum re-analyses
/// it. With a 1-row estimate, joining the whole window back to `outbox`
/// became a nested loop re-running the window per row (10,000 waiting rows:
/// 146 s per claim). So the window is computed once (`MATERIALIZED`), cut to
/// `$1` rows first, and only those are looked up by primary key (an array,
/// so no join order to get wrong) and locked.
/// A row skipped as locked shortens the batch; it is not replaced.
pub const CLAIM_SQL: &str = "WITH waiting AS MATERIALIZED (
         SELECT id,
                row_number() OVER w AS place,
                min(id) OVER (PARTITION BY conversation_id) AS head,
                bool_and((claimed_until IS NULL OR claimed_until <= now())
                         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                         AND id <> ALL($3)) OVER w AS free
         FROM outbox
         WHERE delivered_at IS NULL AND dead_at IS NULL
         WINDOW w AS (PARTITION BY conversation_id ORDER BY id)
     ), first AS MATERIALIZED (
         SELECT id, place, head FROM waiting WHERE free
         ORDER BY place, head
         LIMIT $1
     ), picked AS (
         SELECT o.id FROM outbox o
         WHERE o.id = ANY (ARRAY (SELECT id FROM first))
           AND o.delivered_at IS NULL AND o.dead_at IS NULL
           AND (o.claimed_until IS NULL OR o.claimed_until <= now())
         FOR UPDATE OF o SKIP LOCKED
     )
     UPDATE outbox o SET claimed_until = clock_timestamp() + make_interval(secs => $2 / 1e6)
     FROM picked JOIN first ON first.id = picked.id
     WHERE o.id = picked.id
     RETURNING o.id, o.message_id, o.conversation_id, o.socket_id, o.attempts,
               first.place, first.head";

/// Claims up to `limit` rows for `lease` (longer than a run can last), skipping `tried`.
///
/// Claims are serialised by a transaction-scoped advisory lock (fine behind a
/// transaction-mode pooler): the claim statement's snapshot is taken after
/// the lock, so it sees every earlier run's claims, and two overlapping runs
/// never hold rows of one conversation at once (which could reorder it).
/// `SKIP LOCKED` passes over a row a send is marking right now.
pub async fn claim(
    c: &mut Client,
    limit: i64,
    lease: Duration,
    tried: &[i64],
) -> Result<Claimed, DbError> {
    let tx = pg(c).transaction().await?;
    tx.execute_typed(
        "SELECT pg_advisory_xact_lock($1)",
        &[(&CLAIM_LOCK, Type::INT8)],
    )
    .await?;
    let claimed = tx
        .query_typed(
            CLAIM_SQL,
            &[
                (&limit.max(0), Type::INT8),
                (&micros(lease), Type::INT8),
                (&tried, Type::INT8_ARRAY),
            ],
        )
        .await?;
    tx.commit().await?;
    if claimed.is_empty() {
        return Ok(Claimed::default());
    }
    let message_ids: Vec<i64> = claimed
        .iter()
        .map(|r| r.try_get("message_id"))
        .collect::<Result<_, _>>()?;
    let rows = pg(c)
        .query_typed(
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id = ANY($1)"
            ),
            &[(&message_ids, Type::INT8_ARRAY)],
        )
        .await?;
    let messages = rows
        .iter()
        .map(rows::message)
        .collect::<Result<Vec<_>, _>>()?;
    let mut messages: HashMap<MessageId, _> = with_reactions(&*pg(c), messages)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut claimed = claimed
        .into_iter()
        .map(|row| {
            Ok((
                (
                    row.try_get::<_, i64>("place")?,
                    row.try_get::<_, i64>("head")?,
                ),
                row,
            ))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    claimed.sort_by_key(|(order, _)| *order);
    let mut items = Vec::with_capacity(claimed.len());
    for (_, row) in &claimed {
        let message_id = MessageId::from_db(row.try_get("message_id")?);
        // Gone only if its message was deleted since; nothing to send then.
        let Some(message) = messages.remove(&message_id) else {
            continue;
        };
        items.push(OutboxItem {
            id: row.try_get("id")?,
            message,
            conversation_id: ConversationId::from_db(row.try_get("conversation_id")?),
            socket_id: row.try_get("socket_id")?,
            attempts: row.try_get("attempts")?,
        });
    }
    let members = members_of(c, &items).await?;
    Ok(Claimed { items, members })
}

async fn members_of(
    c: &mut Client,
    items: &[OutboxItem],
) -> Result<HashMap<ConversationId, Vec<UserId>>, DbError> {
    let mut ids: Vec<i64> = items.iter().map(|i| i.conversation_id.get()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = pg(c)
        .query_typed(
            "SELECT conversation_id, array_agg(user_id ORDER BY joined_at, user_id) AS members
             FROM conversation_members WHERE conversation_id = ANY($1)
             GROUP BY conversation_id",
            &[(&ids, Type::INT8_ARRAY)],
        )
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let members = row
            .try_get::<_, Vec<String>>("members")?
            .into_iter()
            .map(user_id)
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(ConversationId::from_db(row.try_get(0)?), members);
    }
    Ok(out)
}
