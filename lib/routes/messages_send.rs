//! `POST /api/messages/send`: store, then hand the event to Pusher.

use crate::app::App;
use crate::db::{self, messages::Inserted};
use crate::domain::{ClientMessageId, ConversationId, Message, MessageBody};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::limits::Action;
use crate::pusher::SocketId;
use crate::realtime::{self, Delivery};
use http::{Method, StatusCode};
use serde::Serialize;

pub struct SendRequest {
    pub conversation_id: ConversationId,
    pub body: MessageBody,
    pub client_message_id: Option<ClientMessageId>,
    pub socket_id: Option<SocketId>,
}

impl SendRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        Ok(Self {
            conversation_id: ConversationId::parse("conversation_id", f.i64("conversation_id")?)?,
            body: MessageBody::parse(f.str("body")?.to_owned())?,
            client_message_id: f
                .opt_str("client_message_id")?
                .map(ClientMessageId::parse)
                .transpose()?,
            socket_id: realtime::parse_socket_id(f.opt_str("socket_id")?)?,
        })
    }
}

#[derive(Serialize)]
struct SendResponse<'a> {
    message: &'a Message,
    delivery: Delivery,
}

/// On the response path: one database round trip (`db::messages::SEND_SQL`;
/// two only when a concurrent send with the same `client_message_id` won),
/// then one Pusher request for a new message. The outbox mark runs after the
/// answer (see `realtime::deliver_new_message`).
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = SendRequest::parse(&req.json_fields()?)?;
    let new = db::messages::NewMessage {
        conversation_id: input.conversation_id,
        sender: &user.id,
        body: &input.body,
        client_message_id: input.client_message_id.as_ref(),
        socket_id: input.socket_id.as_ref().map(SocketId::as_str),
        limit: app.config.limits.get(Action::Send),
    };
    match db::messages::insert(&**client, new).await? {
        Inserted::NotMember => Err(AppError::NotFound),
        Inserted::Limited { retry_after_secs } => Err(AppError::RateLimited { retry_after_secs }),
        Inserted::Replay { message, delivered } => {
            let delivery = if delivered {
                Delivery::Sent
            } else {
                Delivery::Queued
            };
            Ok(json(
                StatusCode::OK,
                &SendResponse {
                    message: &message,
                    delivery,
                },
            ))
        }
        Inserted::New {
            message,
            outbox_id,
            members,
        } => {
            // Back to the pool while Pusher answers; see deliver_new_message.
            drop(client);
            let delivery = realtime::deliver_new_message(
                app,
                &message,
                &members,
                input.socket_id.as_ref(),
                outbox_id,
            )
            .await;
            Ok(json(
                StatusCode::CREATED,
                &SendResponse {
                    message: &message,
                    delivery,
                },
            ))
        }
    }
}
