//! The events a stored message produces, and handing them to Pusher.
//! The database is the source of truth; Pusher delivers at most once, so an
//! event that fails here stays in the outbox for the cron to redeliver.

use crate::app::App;
use crate::db;
use crate::domain::{ConversationId, Message, UserId};
use crate::error::{AppError, AppResult};
use crate::pusher::{ChannelName, EventName, PusherError, SocketId};
use serde::Serialize;

/// Pusher refuses event data over 10 KB; the contract cuts at 10,000 bytes.
pub const MAX_EVENT_DATA_BYTES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Pusher accepted the event.
    Sent,
    /// Pusher failed; the outbox holds the event and the cron redelivers it.
    Queued,
}

pub fn parse_socket_id(raw: Option<&str>) -> AppResult<Option<SocketId>> {
    raw.map(|s| {
        SocketId::parse(s).map_err(|_| {
            AppError::Validation("socket_id: must be a pusher-js socket id like 123.456".into())
        })
    })
    .transpose()
}

fn channel(name: String) -> Result<ChannelName, PusherError> {
    ChannelName::parse(&name)
}

pub fn conversation_channel(id: ConversationId) -> Result<ChannelName, PusherError> {
    channel(format!("private-conversation-{id}"))
}

pub fn user_channel(id: &UserId) -> Result<ChannelName, PusherError> {
    channel(format!("private-user-{id}"))
}

fn event(name: &str) -> Result<EventName, PusherError> {
    EventName::parse(name)
}

/// The `new-message` data: the Message, or its truncated form when too big.
pub fn new_message_data(message: &Message) -> Result<String, serde_json::Error> {
    let full = serde_json::to_string(message)?;
    if full.len() <= MAX_EVENT_DATA_BYTES {
        return Ok(full);
    }
    serde_json::to_string(&serde_json::json!({
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "truncated": true,
    }))
}

/// `new-message` on the conversation channel and `conversation-updated` on
/// every member's user channel, sent together.
pub async fn trigger_message(
    app: &App,
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    let data = new_message_data(message).map_err(|e| PusherError::Encode(e.to_string()))?;
    let conversation = [conversation_channel(message.conversation_id)?];
    let new_message = event("new-message")?;
    let updated = serde_json::json!({
        "conversation_id": message.conversation_id,
        "message_id": message.id,
        "seq": message.seq,
        "sender_id": message.sender.id,
    })
    .to_string();
    let user_channels = members
        .iter()
        .map(user_channel)
        .collect::<Result<Vec<_>, _>>()?;
    let conversation_updated = event("conversation-updated")?;
    let (a, b) = tokio::join!(
        app.pusher
            .trigger(&conversation, &new_message, &data, socket_id),
        async {
            // At most 100 channels per trigger; conversations hold at most 50 members.
            for chunk in user_channels.chunks(100) {
                app.pusher
                    .trigger(chunk, &conversation_updated, &updated, socket_id)
                    .await?;
            }
            Ok(())
        }
    );
    a.and(b)
}

/// Triggers a freshly stored message and records the outcome in its outbox row.
pub async fn deliver_new_message(
    app: &App,
    client: &db::Client,
    message: &Message,
    socket_id: Option<&SocketId>,
    outbox_id: i64,
) -> AppResult<Delivery> {
    let members = db::conversations::member_ids(&***client, message.conversation_id).await?;
    match trigger_message(app, &members, message, socket_id).await {
        Ok(()) => {
            db::outbox::mark_delivered(&***client, &[outbox_id]).await?;
            Ok(Delivery::Sent)
        }
        Err(e) => {
            tracing::warn!(message_id = %message.id, error = %e, "pusher trigger failed; event queued for redelivery");
            db::outbox::mark_failed(&***client, outbox_id, &e.to_string()).await?;
            Ok(Delivery::Queued)
        }
    }
}

/// Best effort: these events describe state the database keeps, which
/// clients re-read on reconnect, so a failed trigger is logged, not queued.
async fn best_effort(
    app: &App,
    conversation: ConversationId,
    name: &str,
    data: serde_json::Value,
    socket_id: Option<&SocketId>,
) {
    let result = async {
        let channels = [conversation_channel(conversation)?];
        app.pusher
            .trigger(&channels, &event(name)?, &data.to_string(), socket_id)
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(event = name, conversation = %conversation, error = %e, "pusher trigger failed");
    }
}

pub async fn messages_read(
    app: &App,
    conversation: ConversationId,
    user: &UserId,
    last_read_seq: crate::domain::Seq,
) {
    let data = serde_json::json!({ "user_id": user, "last_read_seq": last_read_seq });
    best_effort(app, conversation, "messages-read", data, None).await;
}

pub async fn typing(
    app: &App,
    conversation: ConversationId,
    user: &crate::auth::CurrentUser,
    socket_id: Option<&SocketId>,
) {
    let data = serde_json::json!({ "user_id": user.id, "name": user.name });
    best_effort(app, conversation, "typing", data, socket_id).await;
}

pub async fn reaction_updated(app: &App, current: &db::reactions::MessageReactions) {
    let data = serde_json::json!({
        "message_id": current.message_id,
        "seq": current.seq,
        "reactions": current.reactions,
    });
    best_effort(app, current.conversation_id, "reaction-updated", data, None).await;
}
