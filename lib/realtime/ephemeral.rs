//! Typing, read positions and reactions: state the database keeps (or, for
//! typing, state nobody needs later), which clients re-read on reconnect, so a
//! failed trigger is logged, not queued.

use super::{conversation_channel, event};
use crate::app::App;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::{ConversationId, Seq, UserId};
use crate::pusher::SocketId;

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
    last_read_seq: Seq,
) {
    let data = serde_json::json!({ "user_id": user, "last_read_seq": last_read_seq });
    best_effort(app, conversation, "messages-read", data, None).await;
}

pub async fn typing(
    app: &App,
    conversation: ConversationId,
    user: &CurrentUser,
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
        "version": current.version,
    });
    best_effort(app, current.conversation_id, "reaction-updated", data, None).await;
}
