//! `POST /api/messages/typing`: a `typing` event for apps without client events,
//! at most one per user per conversation every 2 seconds.

use crate::app::App;
use crate::db;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::limits::Action;
use crate::pusher::SocketId;
use crate::realtime;
use http::{Method, StatusCode};
use std::time::Duration;

pub const THROTTLE: Duration = Duration::from_secs(2);

pub struct TypingRequest {
    pub conversation_id: ConversationId,
    pub socket_id: Option<SocketId>,
}

impl TypingRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        Ok(Self {
            conversation_id: ConversationId::parse("conversation_id", f.i64("conversation_id")?)?,
            socket_id: realtime::parse_socket_id(f.opt_str("socket_id")?)?,
        })
    }
}

/// One database round trip (count and claim), then one Pusher request when granted.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = TypingRequest::parse(&req.json_fields()?)?;
    let limit = app.config.limits.get(Action::Typing);
    // The throttle lives in the database so it holds across function
    // instances; counting and claiming are one round trip.
    let claim =
        db::typing::claim(&**client, input.conversation_id, &user.id, THROTTLE, limit).await?;
    // Back to the pool before Pusher is called: a slow Pusher must not hold a connection.
    drop(client);
    match claim {
        db::typing::Claim::Limited { retry_after_secs } => {
            return Err(AppError::RateLimited { retry_after_secs });
        }
        db::typing::Claim::NotMember => return Err(AppError::NotFound),
        db::typing::Claim::Throttled => {}
        db::typing::Claim::Granted => {
            realtime::typing(app, input.conversation_id, &user, input.socket_id.as_ref()).await;
        }
    }
    Ok(json(StatusCode::ACCEPTED, &serde_json::json!({})))
}
