//! `POST /api/conversations/mute`: the caller mutes or unmutes a conversation.

use crate::app::App;
use crate::db;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::realtime;
use http::{Method, StatusCode};

pub struct MuteRequest {
    pub conversation_id: ConversationId,
    pub muted: bool,
}

impl MuteRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        Ok(Self {
            conversation_id: ConversationId::parse("conversation_id", f.i64("conversation_id")?)?,
            muted: f.bool("muted")?,
        })
    }
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = MuteRequest::parse(&req.json_fields()?)?;
    let id = input.conversation_id;
    let Some(muted) = db::membership::set_muted(&**client, id, &user.id, input.muted).await? else {
        return Err(AppError::NotFound);
    };
    drop(client);
    realtime::membership_updated(app, &user.id, id, false, muted).await;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "conversation_id": id, "muted": muted }),
    ))
}
