//! `POST /api/messages/react`: add or remove the caller's emoji on a message.

use crate::app::App;
use crate::db::{
    self,
    reactions::{Change, ReactionChange},
};
use crate::domain::{Emoji, MessageId, Reaction};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::limits::Action as Limited;
use crate::realtime;
use http::{Method, StatusCode};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Remove,
}

pub struct ReactRequest {
    pub message_id: MessageId,
    pub emoji: Emoji,
    pub action: Action,
}

impl ReactRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        let action = match f.str("action")? {
            "add" => Action::Add,
            "remove" => Action::Remove,
            _ => {
                return Err(AppError::Validation(
                    "action: must be \"add\" or \"remove\"".into(),
                ));
            }
        };
        Ok(Self {
            message_id: MessageId::parse("message_id", f.i64("message_id")?)?,
            emoji: Emoji::parse(f.str("emoji")?)?,
            action,
        })
    }
}

#[derive(Serialize)]
struct ReactResponse {
    message_id: MessageId,
    reactions: Vec<Reaction>,
    /// The message's `reactions_version` with this list.
    version: i64,
}

/// One database round trip (see `db::reactions::change`), then one Pusher request when changed.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, mut client) = crate::routes::session(app, &req).await?;
    let input = ReactRequest::parse(&req.json_fields()?)?;
    let limit = app.config.limits.get(Limited::React);
    let action = match input.action {
        Action::Add => Change::Add,
        Action::Remove => Change::Remove,
    };
    // One round trip: the count, the check and the change (see db::reactions::change).
    let change = db::reactions::change(
        &mut client,
        action,
        input.message_id,
        &user.id,
        &input.emoji,
        limit,
    )
    .await?;
    // Back to the pool before Pusher is called: a slow Pusher must not hold a connection.
    drop(client);
    let current = match change {
        ReactionChange::Limited { retry_after_secs } => {
            return Err(AppError::RateLimited { retry_after_secs });
        }
        ReactionChange::NotFound => return Err(AppError::NotFound),
        ReactionChange::TooMany => {
            return Err(AppError::Validation(format!(
                "emoji: a message holds at most {} distinct emoji",
                db::reactions::MAX_DISTINCT_EMOJI
            )));
        }
        ReactionChange::Changed(current) => {
            realtime::reaction_updated(app, &current).await;
            current
        }
        ReactionChange::Unchanged(current) => current,
    };
    Ok(json(
        StatusCode::OK,
        &ReactResponse {
            message_id: current.message_id,
            reactions: current.reactions,
            version: current.version,
        },
    ))
}
