//! `POST /api/messages/read`: move the caller's read position forward.

use crate::app::App;
use crate::db;
use crate::domain::{ConversationId, Seq};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::pusher::SocketId;
use crate::realtime;
use http::{Method, StatusCode};
use serde::Serialize;

pub struct ReadRequest {
    pub conversation_id: ConversationId,
    pub seq: Seq,
    /// The reader's pusher-js socket: its tab has this answer, so the event skips it.
    pub socket_id: Option<SocketId>,
}

impl ReadRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        Ok(Self {
            conversation_id: ConversationId::parse("conversation_id", f.i64("conversation_id")?)?,
            seq: Seq::parse("seq", f.i64("seq")?)?,
            socket_id: realtime::parse_socket_id(f.opt_str("socket_id")?)?,
        })
    }
}

#[derive(Serialize)]
struct ReadResponse {
    conversation_id: ConversationId,
    last_read_seq: Seq,
    unread_count: i64,
}

/// One database round trip (`db::reads::mark_read`), then one Pusher request when the position moved.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = ReadRequest::parse(&req.json_fields()?)?;
    let position = db::reads::mark_read(&**client, input.conversation_id, &user.id, input.seq)
        .await?
        .ok_or(AppError::NotFound)?;
    // Back to the pool before Pusher is called: a slow Pusher must not hold a connection.
    drop(client);
    if position.moved {
        realtime::messages_read(
            app,
            input.conversation_id,
            &user.id,
            &position,
            input.socket_id.as_ref(),
        )
        .await;
    }
    Ok(json(
        StatusCode::OK,
        &ReadResponse {
            conversation_id: input.conversation_id,
            last_read_seq: position.last_read_seq,
            unread_count: position.unread_count,
        },
    ))
}
