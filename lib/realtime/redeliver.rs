//! The cron's redelivery: claim a fair batch, send it with no connection
//! held, record the outcomes; again, until the queue is drained or the
//! time budget is spent.

use super::{failure_kind, trigger_message};
use crate::app::App;
use crate::db::{self, outbox::Claimed, outbox::Failed, outbox::Failure, outbox::OutboxItem};
use crate::domain::{ConversationId, UserId};
use crate::error::AppResult;
use crate::pusher::SocketId;
use futures_util::{StreamExt, stream};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Rows claimed per step.
pub const BATCH: i64 = 200;
/// A claim outlives any run (budget plus one Pusher timeout), so it only
/// expires when a run died holding it.
pub const LEASE: Duration = Duration::from_secs(120);
/// This many "unavailable" failures in a row, and Pusher is taken to be down:
/// the run stops. This is what paces retries during an outage (a few failed
/// requests per run), so rows need no backoff of their own for it.
const GIVE_UP_AFTER: usize = 3;
/// Conversations sent at once (a backlog after an outage spans many); each
/// conversation's events still go one after another.
const PARALLEL_CONVERSATIONS: usize = 8;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redelivered {
    pub delivered: usize,
    pub failed: usize,
    /// Failed for the last allowed time during this run.
    pub dead_lettered: usize,
    /// Nothing was left to send when the run ended (rather than time running
    /// out, or Pusher failing every attempt).
    pub drained: bool,
}

/// The outcome of sending one claimed batch.
#[derive(Default)]
struct Sent {
    delivered: Vec<i64>,
    failed: Vec<(i64, Failure, String)>,
    /// Claimed but not tried: give them back.
    untried: Vec<i64>,
}

/// Sends claimed rows, several conversations at once, each conversation's
/// rows one after another in seq order. After a failure, the rest of that
/// conversation waits (clients see its events in seq order).
async fn send(app: &App, claimed: &Claimed, deadline: Instant) -> Sent {
    // Conversations in claim order (oldest waiting first), each with its rows.
    let mut order: Vec<ConversationId> = Vec::new();
    let mut rows: HashMap<ConversationId, Vec<&OutboxItem>> = HashMap::new();
    for item in &claimed.items {
        rows.entry(item.conversation_id)
            .or_insert_with(|| {
                order.push(item.conversation_id);
                Vec::new()
            })
            .push(item);
    }
    let failures_in_a_row = AtomicUsize::new(0);
    // Built up front (not lazily in the stream), which keeps the future `Send`.
    let mut conversations = Vec::with_capacity(order.len());
    for id in &order {
        let members = claimed
            .members
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let items = rows.get(id).map(Vec::as_slice).unwrap_or_default();
        conversations.push(send_conversation(
            app,
            members,
            items,
            deadline,
            &failures_in_a_row,
        ));
    }
    let mut sent = Sent::default();
    let mut parts = stream::iter(conversations).buffer_unordered(PARALLEL_CONVERSATIONS);
    while let Some(part) = parts.next().await {
        sent.delivered.extend(part.delivered);
        sent.failed.extend(part.failed);
        sent.untried.extend(part.untried);
    }
    sent
}

async fn send_conversation(
    app: &App,
    members: &[UserId],
    items: &[&OutboxItem],
    deadline: Instant,
    failures_in_a_row: &AtomicUsize,
) -> Sent {
    let mut sent = Sent::default();
    for (n, item) in items.iter().enumerate() {
        let pusher_down = failures_in_a_row.load(Ordering::Relaxed) >= GIVE_UP_AFTER;
        if Instant::now() >= deadline || pusher_down {
            sent.untried.extend(items[n..].iter().map(|i| i.id));
            break;
        }
        let socket_id = item
            .socket_id
            .as_deref()
            .and_then(|s| SocketId::parse(s).ok());
        match trigger_message(app, members, &item.message, socket_id.as_ref()).await {
            Ok(()) => {
                failures_in_a_row.store(0, Ordering::Relaxed);
                sent.delivered.push(item.id);
            }
            Err(e) => {
                tracing::warn!(outbox_id = item.id, message_id = %item.message.id,
                    attempts = item.attempts + 1, error = %e, "redelivery failed");
                let kind = failure_kind(&e);
                if kind == Failure::Unavailable {
                    failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                }
                sent.failed.push((item.id, kind, e.to_string()));
                sent.untried.extend(items[n + 1..].iter().map(|i| i.id));
                break;
            }
        }
    }
    sent
}

/// Redelivers until nothing is due, `deadline` passes, or Pusher fails every
/// attempt of a step. A connection is held only to claim and to record, never
/// while Pusher answers. Rows failed in this run wait for a later run.
pub async fn redeliver(app: &App, deadline: Instant) -> AppResult<Redelivered> {
    let mut done = Redelivered::default();
    let mut tried: Vec<i64> = Vec::new();
    while Instant::now() < deadline {
        let claimed = {
            let mut client = app.db.client().await?;
            db::outbox::claim(&mut client, BATCH, LEASE, &tried).await?
        };
        if claimed.items.is_empty() {
            done.drained = true;
            break;
        }
        let sent = send(app, &claimed, deadline).await;
        let client = app.db.client().await?;
        db::outbox::mark_delivered(&**client, &sent.delivered).await?;
        for (id, kind, error) in &sent.failed {
            if db::outbox::mark_failed(&**client, *id, *kind, error).await? == Failed::DeadLettered
            {
                tracing::error!(
                    outbox_id = id,
                    error = %error,
                    "event dead-lettered (refused {} times, or older than {} h); it will not be sent again",
                    db::outbox::MAX_REFUSALS,
                    db::outbox::MAX_AGE.as_secs() / 3600
                );
                done.dead_lettered += 1;
            }
            tried.push(*id);
        }
        db::outbox::release(&**client, &sent.untried).await?;
        done.delivered += sent.delivered.len();
        done.failed += sent.failed.len();
        if sent.delivered.is_empty() && !sent.failed.is_empty() {
            break;
        }
    }
    Ok(done)
}
