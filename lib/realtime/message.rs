//! A stored message's events: `new-message` and the sender's `messages-read`
//! on the conversation channel, and `conversation-updated` on every member's
//! user channel.

use super::{Delivery, conversation_channel, event, new_message_data, user_channel};
use crate::app::App;
use crate::db;
use crate::domain::{Message, UserId};
use crate::pusher::events::MAX_BATCH_EVENTS;
use crate::pusher::{BatchEvent, ChannelName, EventName, PusherError, SocketId};

/// The events of one message, ready to send.
struct MessageEvents {
    conversation: ChannelName,
    new_message: String,
    /// Sending moved the sender's read position to the message's seq.
    read: String,
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
            read: serde_json::json!({
                "user_id": message.sender.id,
                "last_read_seq": message.seq,
            })
            .to_string(),
            members: members.iter().map(user_channel).collect::<Result<_, _>>()?,
            updated: updated.to_string(),
        })
    }

    /// Small conversations (up to 8 members, the usual student and teacher):
    /// one batch request, which Pusher accepts or refuses as a whole, so the
    /// outbox row's state is exact. Larger groups: a batch of the two
    /// conversation-channel events, and at the same time one multi-channel
    /// trigger. `messages-read` rides along, so it costs no round trip; like
    /// every event, it skips the socket that caused it (the sender's tab).
    async fn send(&self, app: &App, socket_id: Option<&SocketId>) -> Result<(), PusherError> {
        let (new_message, updated) = (event("new-message")?, event("conversation-updated")?);
        let read = event("messages-read")?;
        let item = |channel: &ChannelName, name: &EventName, data: &str| BatchEvent {
            channel: channel.clone(),
            name: name.clone(),
            data: data.to_owned(),
            socket_id: socket_id.cloned(),
            info: None,
        };
        let mut batch = vec![
            item(&self.conversation, &new_message, &self.new_message),
            item(&self.conversation, &read, &self.read),
        ];
        if batch.len() + self.members.len() <= MAX_BATCH_EVENTS {
            batch.extend(
                self.members
                    .iter()
                    .map(|c| item(c, &updated, &self.updated)),
            );
            return app.pusher.trigger_batch(&batch).await;
        }
        let (a, b) = tokio::join!(app.pusher.trigger_batch(&batch), async {
            // At most 100 channels per trigger; conversations hold at most 50 members.
            for chunk in self.members.chunks(100) {
                app.pusher
                    .trigger(chunk, &updated, &self.updated, socket_id)
                    .await?;
            }
            Ok(())
        });
        a.and(b)
    }
}

/// The message's events, sent together (the send and the cron's redelivery).
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

/// Triggers a freshly stored message; its outcome is recorded in its outbox
/// row after the answer, in a task of its own: the send answers as soon as
/// Pusher did. No database connection is held while Pusher answers: with a
/// small pool, a slow Pusher would otherwise queue every other request.
///
/// The message is committed, so this never fails: a retry of a send that
/// failed after its commit would store the message twice. A mark that is
/// lost (no free connection, the database went away, the instance frozen or
/// stopped before the task ran) leaves the row claimed by this send until
/// its 10-second claim runs out; then the cron sends it again. That costs at
/// most a duplicate event (clients dedupe by id), never a lost one. A failed
/// trigger is recorded the same way, and if that record is lost the cron
/// retries the row anyway once the claim expires.
pub async fn deliver_new_message(
    app: &App,
    message: &Message,
    members: &[UserId],
    socket_id: Option<&SocketId>,
    outbox_id: i64,
) -> Delivery {
    let outcome = trigger_message(app, members, message, socket_id).await;
    let (delivery, failure) = match &outcome {
        Ok(()) => (Delivery::Sent, None),
        Err(e) => {
            tracing::warn!(message_id = %message.id, error = %e, "pusher trigger failed; event queued for redelivery");
            (
                Delivery::Queued,
                Some((super::failure_kind(e), e.to_string())),
            )
        }
    };
    let (db, message_id) = (app.db.clone(), message.id);
    tokio::spawn(async move {
        if let Err(e) = record(&db, outbox_id, failure).await {
            tracing::warn!(message_id = %message_id, outbox_id, error = %e,
                "could not record the delivery outcome; the cron will send the event (again) once the send's claim expires");
        }
    });
    delivery
}

async fn record(
    db: &db::Db,
    outbox_id: i64,
    failure: Option<(db::outbox::Failure, String)>,
) -> Result<(), db::DbError> {
    let client = db.client().await?;
    match failure {
        None => db::outbox::mark_delivered(&**client, &[outbox_id]).await,
        Some((kind, error)) => db::outbox::mark_failed(&**client, outbox_id, kind, &error)
            .await
            .map(drop),
    }
}
