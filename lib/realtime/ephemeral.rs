//! Typing, read positions and reactions: state the database keeps (or, for
//! typing, state nobody needs later), which clients re-read on reconnect, so a
//! failed trigger is logged, not queued. Each is one event on the conversation
//! channel, so only the clients that have the conversation open receive it,
//! and never the tab that caused it (its `socket_id`).

use super::{EventSet, conversation_channel, event, user_channel};
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

/// The `messages-read` events of one receipt. On the conversation channel
/// (the contract; the reader's tab has its answer, and is left out), except
/// with the lean event set in a group of 3 or more: a receipt to every open
/// tab would be about n × n messages per chat message (each of n readers, n
/// tabs), yet the only "Seen" it moves on screen is under the message at
/// `last_read_seq`, so it goes to that message's author's user channel
/// alone, with `conversation_id`; none when the reader wrote it, or at 0.
pub fn read_receipt_events(
    conversation: ConversationId,
    reader: &UserId,
    last_read_seq: Seq,
    socket_id: Option<&SocketId>,
    members: i64,
    author: Option<&UserId>,
    set: EventSet,
) -> Result<Vec<BatchEvent>, PusherError> {
    if members <= 2 || set == EventSet::Contract {
        return Ok(vec![messages_read_event(
            conversation,
            reader,
            last_read_seq,
            socket_id,
        )?]);
    }
    let Some(author) = author.filter(|a| *a != reader) else {
        return Ok(Vec::new());
    };
    let data = serde_json::json!({
        "conversation_id": conversation,
        "user_id": reader,
        "last_read_seq": last_read_seq,
    });
    Ok(vec![BatchEvent {
        channel: user_channel(author)?,
        name: event("messages-read")?,
        data: data.to_string(),
        socket_id: socket_id.cloned(),
        info: None,
    }])
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

/// A read receipt (see [`read_receipt_events`]).
pub async fn messages_read(
    app: &App,
    conversation: ConversationId,
    reader: &UserId,
    position: &db::reads::ReadPosition,
    socket_id: Option<&SocketId>,
) {
    let events = read_receipt_events(
        conversation,
        reader,
        position.last_read_seq,
        socket_id,
        position.members,
        position.author.as_ref(),
        app.config.events,
    );
    match events {
        Ok(events) => {
            for event in events {
                best_effort(app, conversation, "messages-read", Ok(event)).await;
            }
        }
        Err(e) => best_effort(app, conversation, "messages-read", Err(e)).await,
    }
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
