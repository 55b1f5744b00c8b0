//! `GET /api/cron/redeliver`: Vercel Cron re-sends events Pusher did not accept
//! (fairly across conversations, in seq order within each), then purges old
//! rows (outbox, looping within a time budget; rate-limit counters whose window
//! is long over, one bounded batch).

use crate::app::App;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::http::{Request, Response, json};
use crate::realtime;
use http::{Method, StatusCode, header};
use serde::Serialize;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::time::Instant;

/// The whole run, under Vercel's shortest default function limit (10 s);
/// redelivery may use the first part, the purge gets the rest.
const BUDGET: Duration = Duration::from_secs(8);
const REDELIVERY_BUDGET: Duration = Duration::from_secs(6);
const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 24 * 3600);
/// Dead letters stay visible longer, for someone to look at (or re-queue).
const KEEP_DEAD: Duration = Duration::from_secs(30 * 24 * 3600);
const PURGE_BATCH: i64 = 5_000;

#[derive(Serialize)]
struct RedeliverResponse {
    delivered: usize,
    failed: usize,
    dead_lettered: usize,
    dead_letters: i64,
    waiting: i64,
    purged: u64,
    drained: bool,
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
    let started = Instant::now();
    let run = realtime::redeliver(app, started + REDELIVERY_BUDGET).await?;
    // Presence after the outbox: message events matter more within the budget.
    realtime::presence_reconcile::run(app).await;
    let client = app.db.client().await?;
    // Delivered rows only matter while a retry could still race them.
    let (mut purged, mut after_id) = (0, 0);
    loop {
        let step =
            db::outbox::purge_step(&**client, KEEP_DELIVERED, KEEP_DEAD, after_id, PURGE_BATCH)
                .await?;
        purged += step.deleted;
        after_id = step.next_after_id;
        if step.done || started.elapsed() >= BUDGET {
            break;
        }
    }
    // One counter row per (user, action) at most, so one batch a run keeps up.
    let limits_purged =
        db::limits::purge_step(&**client, db::limits::EXPIRED_AFTER, PURGE_BATCH).await?;
    let backlog = db::outbox::backlog(&**client).await?;
    let answer = RedeliverResponse {
        delivered: run.delivered,
        failed: run.failed,
        dead_lettered: run.dead_lettered,
        dead_letters: backlog.dead_letters,
        waiting: backlog.waiting,
        purged,
        drained: run.drained,
    };
    tracing::info!(
        delivered = answer.delivered,
        failed = answer.failed,
        dead_lettered = answer.dead_lettered,
        dead_letters = answer.dead_letters,
        waiting = answer.waiting,
        purged = answer.purged,
        limits_purged,
        drained = answer.drained,
        "redelivery run"
    );
    if answer.dead_letters > 0 {
        tracing::warn!(
            dead_letters = answer.dead_letters,
            "the outbox holds dead-lettered events (outbox.dead_at); see the README to re-queue them"
        );
    }
    Ok(json(StatusCode::OK, &answer))
}
