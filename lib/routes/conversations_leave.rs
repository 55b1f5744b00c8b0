//! `POST /api/conversations/leave`: the caller leaves a conversation (two-person ones too).

use crate::app::App;
use crate::db;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::realtime;
use http::{Method, StatusCode};

pub struct LeaveRequest {
    pub conversation_id: ConversationId,
}

impl LeaveRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        Ok(Self {
            conversation_id: ConversationId::parse("conversation_id", f.i64("conversation_id")?)?,
        })
    }
}

/// One statement moves the membership to its history; the events follow once
/// the connection is back in the pool.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = LeaveRequest::parse(&req.json_fields()?)?;
    let id = input.conversation_id;
    // Not a member (or already left): the same 404 as a conversation that does not exist.
    if !db::membership::leave(&**client, id, &user.id).await? {
        return Err(AppError::NotFound);
    }
    drop(client);
    tokio::join!(
        realtime::membership_updated(app, &user.id, id, true, false),
        realtime::member_left(app, id, &user.id),
    );
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "conversation_id": id, "left": true }),
    ))
}
