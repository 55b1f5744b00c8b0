//! `POST /api/pusher/webhook`: presence from Pusher's webhooks. The signature
//! is checked over the raw body before anything is parsed or changed.

use crate::app::App;
use crate::db;
use crate::domain::{Timestamp, UserId};
use crate::error::{AppError, AppResult};
use crate::http::{Request, Response, json};
use crate::pusher::{ChannelName, Webhook, WebhookError};
use http::{Method, StatusCode, header};

/// Pusher has no replay guard but `time_ms`: older deliveries are refused.
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;

fn verified(app: &App, req: &Request) -> AppResult<Webhook> {
    let hook = app
        .pusher
        .verify_webhook(
            req.header("x-pusher-key"),
            req.header("x-pusher-signature"),
            req.header(header::CONTENT_TYPE),
            &req.body,
        )
        .map_err(|e| match e {
            // Authentic (the signature was checked first) but not a webhook body.
            WebhookError::InvalidBody(detail) => {
                AppError::InvalidJson(format!("the webhook body is not valid: {detail}"))
            }
            WebhookError::WrongContentType => {
                AppError::UnsupportedMediaType("content-type must be application/json")
            }
            other => {
                tracing::warn!(error = %other, "refused a webhook");
                AppError::Unauthenticated("the webhook signature or key is not valid")
            }
        })?;
    let now_ms = (Timestamp::now().0.unix_timestamp_nanos() / 1_000_000) as i64;
    if !hook.is_fresh(now_ms, MAX_AGE_MS) {
        tracing::warn!(time_ms = hook.time_ms, "refused a stale webhook");
        return Err(AppError::Unauthenticated("the webhook is too old"));
    }
    Ok(hook)
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let hook = verified(app, &req)?;
    let mut client = None;
    let mut applied = 0;
    for event in &hook.events {
        let present = match event.name.as_str() {
            "member_added" => true,
            "member_removed" => false,
            // Authentic but not ours to act on: still a 2xx, or Pusher retries.
            _ => continue,
        };
        // Only names Pusher could have sent reach the database (no NUL, no 10 KB strings).
        let Some(channel) = event
            .channel
            .as_deref()
            .and_then(|c| ChannelName::parse(c).ok())
        else {
            continue;
        };
        let channel = channel.as_str();
        if !channel.starts_with("presence-conversation-") {
            continue;
        }
        let Some(user) = event
            .user_id
            .as_deref()
            .and_then(|u| UserId::parse("user_id", u).ok())
        else {
            continue;
        };
        if client.is_none() {
            client = Some(app.db.client().await?);
        }
        if let Some(c) = client.as_mut() {
            db::presence::apply(c, &user, channel, present, hook.time_ms).await?;
            applied += 1;
        }
    }
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "applied": applied }),
    ))
}
