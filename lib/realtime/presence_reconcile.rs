//! Presence reconciliation, run by the cron: Pusher's own member lists
//! (`GET /channels?filter_by_prefix=presence-conversation-`, then
//! `GET /channels/{name}/users` for each) against what the webhooks left in the
//! database. It corrects missed or refused `member_added` / `member_removed`
//! deliveries and confirms who is still present, so "online" never outlives
//! the presence TTL without Pusher saying so.

use crate::app::App;
use crate::db::{self, presence_reconcile::Reconciled, presence_reconcile::Snapshot};
use crate::domain::{Timestamp, UserId};
use crate::pusher::ChannelName;
use futures_util::future::join_all;

const PREFIX: &str = "presence-conversation-";
/// Channels asked about per run; the rest of a larger set expire unless a later run confirms them.
const MAX_CHANNELS: usize = 500;
/// Member-list requests in flight at once.
const CONCURRENCY: usize = 8;

/// Reconciles and logs the outcome; never fails the caller (the cron's other work goes on).
pub async fn run(app: &App) {
    match reconcile(app).await {
        Ok(r) => tracing::info!(
            joined = r.joined,
            left = r.left,
            confirmed = r.confirmed,
            "presence reconciled"
        ),
        Err(e) => tracing::warn!(error = %e, "presence reconciliation skipped"),
    }
}

/// One reconciliation. When Pusher cannot list the channels nothing changes: an
/// outage must not mark everyone offline. A channel whose member list fails is
/// left as it is. The database connection is taken only after Pusher has answered.
pub async fn reconcile(app: &App) -> anyhow::Result<Reconciled> {
    let taken_ms = (Timestamp::now().0.unix_timestamp_nanos() / 1_000_000) as i64;
    let listed = app.pusher.channels(Some(PREFIX), None).await?;
    let occupied: Vec<String> = listed
        .channels
        .into_keys()
        .filter(|name| name.starts_with(PREFIX))
        .collect();
    if occupied.len() > MAX_CHANNELS {
        tracing::warn!(
            occupied = occupied.len(),
            examined = MAX_CHANNELS,
            "more occupied presence channels than one run examines"
        );
    }
    let mut examined = Vec::new();
    for batch in occupied[..occupied.len().min(MAX_CHANNELS)].chunks(CONCURRENCY) {
        let lists = join_all(batch.iter().map(|name| channel_members(app, name))).await;
        examined.extend(lists.into_iter().flatten());
    }
    let snapshot = Snapshot {
        taken_ms,
        occupied,
        examined,
    };
    let client = app.db.client().await?;
    Ok(db::presence_reconcile::reconcile(&**client, &snapshot).await?)
}

/// A channel's member ids, or `None` (logged) when Pusher would not say.
async fn channel_members(app: &App, name: &str) -> Option<(String, Vec<UserId>)> {
    let channel = ChannelName::parse(name).ok()?;
    match app.pusher.channel_users(&channel).await {
        Ok(ids) => Some((name.to_owned(), member_ids(ids))),
        Err(e) => {
            tracing::warn!(channel = name, error = %e, "presence member list failed");
            None
        }
    }
}

/// Valid ids, each once (only ids our auth route signed can be there).
fn member_ids(raw: Vec<String>) -> Vec<UserId> {
    let mut ids: Vec<UserId> = raw
        .iter()
        .filter_map(|id| UserId::parse("user_id", id).ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
