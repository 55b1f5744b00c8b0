//! `GET /api/cron/redeliver`: Vercel Cron re-sends events Pusher did not accept,
//! oldest first and in seq order within each conversation.

use crate::app::App;
use crate::db;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use crate::http::{Request, Response, json};
use crate::pusher::SocketId;
use crate::realtime;
use http::{Method, StatusCode, header};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// A send still waiting on its own trigger (2 s timeout) must not race us.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(10);
/// A failed event is retried on the next run: the cron's schedule is the backoff.
const RETRY_AFTER: Duration = Duration::ZERO;
const BATCH: i64 = 200;
const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Serialize)]
struct RedeliverResponse {
    delivered: usize,
    failed: usize,
}

fn authorize(app: &App, req: &Request) -> AppResult<()> {
    let Some(secret) = app.config.cron_secret.as_deref() else {
        tracing::warn!("CRON_SECRET is not set: refusing the cron call");
        return Err(AppError::Unauthenticated("cron calls need CRON_SECRET"));
    };
    let given = req
        .header(header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(secret.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Unauthenticated(
            "a valid cron bearer token is required",
        ))
    }
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::GET, Method::POST], "GET, POST")?;
    authorize(app, &req)?;
    realtime::presence_reconcile::run(app).await;
    let client = app.db.client().await?;
    let pending = db::outbox::pending(&**client, IN_FLIGHT_GRACE, RETRY_AFTER, BATCH).await?;
    let mut members: HashMap<ConversationId, Vec<_>> = HashMap::new();
    // After one failure in a conversation, later seqs wait: clients see them in order.
    let mut blocked: HashSet<ConversationId> = HashSet::new();
    let (mut delivered, mut failed) = (0, 0);
    for item in pending {
        let conversation = item.message.conversation_id;
        if blocked.contains(&conversation) {
            continue;
        }
        if let Entry::Vacant(slot) = members.entry(conversation) {
            slot.insert(db::conversations::member_ids(&**client, conversation).await?);
        }
        let ids = members
            .get(&conversation)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let socket_id = item
            .socket_id
            .as_deref()
            .and_then(|s| SocketId::parse(s).ok());
        match realtime::trigger_message(app, ids, &item.message, socket_id.as_ref()).await {
            Ok(()) => {
                db::outbox::mark_delivered(&**client, &[item.id]).await?;
                delivered += 1;
            }
            Err(e) => {
                tracing::warn!(outbox_id = item.id, error = %e, "redelivery failed");
                db::outbox::mark_failed(&**client, item.id, &e.to_string()).await?;
                blocked.insert(conversation);
                failed += 1;
            }
        }
    }
    // Delivered rows only matter while a retry could still race them.
    let purged = db::outbox::purge_delivered(&**client, KEEP_DELIVERED).await?;
    tracing::info!(delivered, failed, purged, "redelivery run");
    Ok(json(
        StatusCode::OK,
        &RedeliverResponse { delivered, failed },
    ))
}
