//! A stored message's events: `new-message` on the conversation channel,
//! with the contract's event set the sender's `messages-read` too (sending
//! moved their read position), and `conversation-updated` on every member's
//! user channel.

use super::{Delivery, EventSet, conversation_channel, event, new_message_data, user_channel};
use crate::app::App;
use crate::db;
use crate::domain::{Message, UserId};
use crate::pusher::events::{MAX_BATCH_EVENTS, MAX_CHANNELS};
use crate::pusher::{BatchEvent, PusherError, SocketId};

/// The events of one message, in the order they are published: `new-message`
/// on the conversation channel (and, with [`EventSet::Contract`], the
/// sender's `messages-read`, which the lean set leaves to clients to derive
/// from `new-message`), then `conversation-updated` on each member's user
/// channel (the list's badge and order). Each skips the socket that sent the
/// message. Pure, so the tests and `benches/pusher_cost.rs` count exactly what
/// a send publishes.
pub fn message_events(
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
    set: EventSet,
) -> Result<Vec<BatchEvent>, PusherError> {
    let new_message = BatchEvent {
        channel: conversation_channel(message.conversation_id)?,
        name: event("new-message")?,
        data: new_message_data(message).map_err(|e| PusherError::Encode(e.to_string()))?,
        socket_id: socket_id.cloned(),
        info: None,
    };
    let (updated, data) = (
        event("conversation-updated")?,
        serde_json::json!({
            "conversation_id": message.conversation_id,
            "message_id": message.id,
            "seq": message.seq,
            "sender_id": message.sender.id,
        })
        .to_string(),
    );
    let mut events = Vec::with_capacity(members.len() + 2);
    events.push(new_message);
    if set == EventSet::Contract {
        events.push(super::messages_read_event(
            message.conversation_id,
            &message.sender.id,
            message.seq,
            socket_id,
        )?);
    }
    for member in members {
        events.push(BatchEvent {
            channel: user_channel(member)?,
            name: updated.clone(),
            data: data.clone(),
            socket_id: socket_id.cloned(),
            info: None,
        });
    }
    Ok(events)
}

/// Small conversations (the usual student and teacher): one batch request,
/// which Pusher accepts or refuses as a whole, so the outbox row's state is
/// exact. Larger groups: the conversation-channel events as a batch and, at
/// the same time, one multi-channel trigger of `conversation-updated` (the
/// same data on every user channel).
async fn publish(app: &App, events: &[BatchEvent]) -> Result<(), PusherError> {
    if events.len() <= MAX_BATCH_EVENTS {
        return app.pusher.trigger_batch(events).await;
    }
    let on_conversation = events
        .iter()
        .take_while(|e| e.name.as_str() != "conversation-updated")
        .count();
    let (first, updated) = events.split_at(on_conversation);
    let channels: Vec<_> = updated.iter().map(|e| e.channel.clone()).collect();
    let (a, b) = tokio::join!(app.pusher.trigger_batch(first), async {
        // At most 100 channels per trigger; conversations hold at most 50 members.
        for chunk in channels.chunks(MAX_CHANNELS) {
            let e = &updated[0];
            app.pusher
                .trigger(chunk, &e.name, &e.data, e.socket_id.as_ref())
                .await?;
        }
        Ok(())
    });
    a.and(b)
}

/// The message's events, sent together (the send and the cron's redelivery).
pub async fn trigger_message(
    app: &App,
    members: &[UserId],
    message: &Message,
    socket_id: Option<&SocketId>,
) -> Result<(), PusherError> {
    let events = message_events(members, message, socket_id, app.config.events)?;
    publish(app, &events).await
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
