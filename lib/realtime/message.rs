//! A stored message's events: `new-message` on the conversation channel and
//! `conversation-updated` on every member's user channel.

use super::{Delivery, conversation_channel, event, new_message_data, user_channel};
use crate::app::App;
use crate::db;
use crate::domain::{Message, UserId};
use crate::error::AppResult;
use crate::pusher::{PusherError, SocketId};

async fn trigger_new_message(
    app: &App,
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    let data = new_message_data(message).map_err(|e| PusherError::Encode(e.to_string()))?;
    let channel = [conversation_channel(message.conversation_id)?];
    app.pusher
        .trigger(&channel, &event("new-message")?, &data, socket_id)
        .await
}

async fn trigger_conversation_updated(
    app: &App,
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    let data = serde_json::json!({
        "conversation_id": message.conversation_id,
        "message_id": message.id,
        "seq": message.seq,
        "sender_id": message.sender.id,
    })
    .to_string();
    let channels = members
        .iter()
        .map(user_channel)
        .collect::<Result<Vec<_>, _>>()?;
    let name = event("conversation-updated")?;
    // At most 100 channels per trigger; conversations hold at most 50 members.
    for chunk in channels.chunks(100) {
        app.pusher.trigger(chunk, &name, &data, socket_id).await?;
    }
    Ok(())
}

/// Both events, sent together (the cron's redelivery path).
pub async fn trigger_message(
    app: &App,
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    let (a, b) = tokio::join!(
        trigger_new_message(app, message, socket_id),
        trigger_conversation_updated(app, members, message, socket_id),
    );
    a.and(b)
}

/// Triggers a freshly stored message and records the outcome in its outbox
/// row. The member list is read while `new-message` is already on its way, so
/// it costs the sender no extra round trip.
pub async fn deliver_new_message(
    app: &App,
    client: &db::Client,
    message: &Message,
    socket_id: Option<&SocketId>,
    outbox_id: i64,
) -> AppResult<Delivery> {
    let (sent, updated) = tokio::join!(trigger_new_message(app, message, socket_id), async {
        let members = db::conversations::member_ids(&***client, message.conversation_id).await?;
        Ok::<_, crate::error::AppError>(
            trigger_conversation_updated(app, &members, message, socket_id).await,
        )
    });
    match sent.and(updated?) {
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
