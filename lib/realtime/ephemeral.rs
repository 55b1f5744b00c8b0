//! Typing, read positions and reactions: state the database keeps (or, for
//! typing, state nobody needs later), which clients re-read on reconnect, so a
//! failed trigger is logged, not queued. Each is one event on the conversation
//! channel, so only the clients that have the conversation open receive it,
//! and never the tab that caused it (its `socket_id`).

use super::{conversation_channel, event};
use crate::app::App;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::{ConversationId, Seq, UserId};
use crate::pusher::{BatchEvent, PusherError, SocketId};

/// One event on the conversation channel. Pure, so `benches/pusher_cost.rs`
/// and the tests count what the routes publish.
pub fn conversation_event(
    conversation: ConversationId,
    name: &str,
    data: &serde_json::Value,
    socket_id: Option<&SocketId>,
) -> Result<BatchEvent, PusherError> {
    Ok(BatchEvent {
        channel: conversation_channel(conversation)?,
        name: event(name)?,
        data: data.to_string(),
        socket_id: socket_id.cloned(),
        info: None,
    })
}

/// `messages-read`: the reader's own tab already has the answer of its read
/// call, so its socket is left out.
pub fn messages_read_event(
    conversation: ConversationId,
    user: &UserId,
    last_read_seq: Seq,
    socket_id: Option<&SocketId>,
) -> Result<BatchEvent, PusherError> {
    let data = serde_json::json!({ "user_id": user, "last_read_seq": last_read_seq });
    conversation_event(conversation, "messages-read", &data, socket_id)
}

/// The server's `typing` (when client events are off or refused).
pub fn typing_event(
    conversation: ConversationId,
    user: &CurrentUser,
    socket_id: Option<&SocketId>,
) -> Result<BatchEvent, PusherError> {
    let data = serde_json::json!({ "user_id": user.id, "name": user.name });
    conversation_event(conversation, "typing", &data, socket_id)
}

async fn best_effort(
    app: &App,
    conversation: ConversationId,
    name: &str,
    event: Result<BatchEvent, PusherError>,
) {
    let result = async {
        let e = event?;
        app.pusher
            .trigger(&[e.channel], &e.name, &e.data, e.socket_id.as_ref())
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
    last_read_seq: Seq,
    socket_id: Option<&SocketId>,
) {
    let event = messages_read_event(conversation, user, last_read_seq, socket_id);
    best_effort(app, conversation, "messages-read", event).await;
}

pub async fn typing(
    app: &App,
    conversation: ConversationId,
    user: &CurrentUser,
    socket_id: Option<&SocketId>,
) {
    let event = typing_event(conversation, user, socket_id);
    best_effort(app, conversation, "typing", event).await;
}

pub async fn reaction_updated(app: &App, current: &db::reactions::MessageReactions) {
    let data = serde_json::json!({
        "message_id": current.message_id,
        "seq": current.seq,
        "reactions": current.reactions,
        "version": current.version,
    });
    let event = conversation_event(current.conversation_id, "reaction-updated", &data, None);
    best_effort(app, current.conversation_id, "reaction-updated", event).await;
}
