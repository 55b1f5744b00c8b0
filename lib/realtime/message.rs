//! A stored message's events: `new-message` on the conversation channel and
//! `conversation-updated` on every member's user channel.

use super::{Delivery, conversation_channel, event, new_message_data, user_channel};
use crate::app::App;
use crate::db;
use crate::domain::{Message, UserId};
use crate::error::AppResult;
use crate::pusher::events::MAX_BATCH_EVENTS;
use crate::pusher::{BatchEvent, ChannelName, EventName, PusherError, SocketId};

/// Both events of one message, ready to send.
struct MessageEvents {
    conversation: ChannelName,
    new_message: String,
    members: Vec<ChannelName>,
    updated: String,
}

impl MessageEvents {
    fn build(members: &[UserId], message: &Message) -> Result<Self, PusherError> {
        let updated = serde_json::json!({
            "conversation_id": message.conversation_id,
            "message_id": message.id,
            "seq": message.seq,
            "sender_id": message.sender.id,
        });
        Ok(Self {
            conversation: conversation_channel(message.conversation_id)?,
            new_message: new_message_data(message)
                .map_err(|e| PusherError::Encode(e.to_string()))?,
            members: members.iter().map(user_channel).collect::<Result<_, _>>()?,
            updated: updated.to_string(),
        })
    }

    /// Small conversations (the usual student and teacher): one batch request,
    /// which Pusher accepts or refuses as a whole, so the outbox row's state
    /// is exact. Larger groups: `new-message`, and one multi-channel trigger.
    async fn send(&self, app: &App, socket_id: Option<&SocketId>) -> Result<(), PusherError> {
        let (new_message, updated) = (event("new-message")?, event("conversation-updated")?);
        if self.members.len() < MAX_BATCH_EVENTS {
            let item = |channel: &ChannelName, name: &EventName, data: &str| BatchEvent {
                channel: channel.clone(),
                name: name.clone(),
                data: data.to_owned(),
                socket_id: socket_id.cloned(),
                info: None,
            };
            let mut batch = vec![item(&self.conversation, &new_message, &self.new_message)];
            batch.extend(
                self.members
                    .iter()
                    .map(|c| item(c, &updated, &self.updated)),
            );
            return app.pusher.trigger_batch(&batch).await;
        }
        let conversation = std::slice::from_ref(&self.conversation);
        let (a, b) = tokio::join!(
            app.pusher
                .trigger(conversation, &new_message, &self.new_message, socket_id),
            async {
                // At most 100 channels per trigger; conversations hold at most 50 members.
                for chunk in self.members.chunks(100) {
                    app.pusher
                        .trigger(chunk, &updated, &self.updated, socket_id)
                        .await?;
                }
                Ok(())
            }
        );
        a.and(b)
    }
}

/// Both events, sent together (the send and the cron's redelivery).
pub async fn trigger_message(
    app: &App,
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    MessageEvents::build(members, message)?
        .send(app, socket_id)
        .await
}

/// Triggers a freshly stored message and records the outcome in its outbox
/// row. No database connection is held while Pusher answers: with a small
/// pool, a slow Pusher would otherwise queue every other request behind it.
pub async fn deliver_new_message(
    app: &App,
    message: &Message,
    members: &[UserId],
    socket_id: Option<&SocketId>,
    outbox_id: i64,
) -> AppResult<Delivery> {
    let outcome = trigger_message(app, members, message, socket_id).await;
    let client = app.db.client().await?;
    match outcome {
        Ok(()) => {
            db::outbox::mark_delivered(&**client, &[outbox_id]).await?;
            Ok(Delivery::Sent)
        }
        Err(e) => {
            tracing::warn!(message_id = %message.id, error = %e, "pusher trigger failed; event queued for redelivery");
            db::outbox::mark_failed(&**client, outbox_id, &e.to_string()).await?;
            Ok(Delivery::Queued)
        }
    }
}
