//! Membership events: a member left, or changed how they follow a conversation.
//! The database holds the state and clients re-read it on reconnect, so a failed
//! trigger is logged, not queued.

use super::{conversation_channel, event, user_channel};
use crate::app::App;
use crate::domain::{ConversationId, UserId};
use crate::pusher::{ChannelName, PusherError};

async fn best_effort(
    app: &App,
    channel: Result<ChannelName, PusherError>,
    name: &str,
    data: serde_json::Value,
) {
    let result = async {
        app.pusher
            .trigger(&[channel?], &event(name)?, &data.to_string(), None)
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(event = name, error = %e, "pusher trigger failed");
    }
}

/// `membership-updated` on the member's own user channel, so their other tabs and
/// devices drop (`left`) or quieten (`muted`) the conversation at once.
pub async fn membership_updated(
    app: &App,
    user: &UserId,
    conversation: ConversationId,
    left: bool,
    muted: bool,
) {
    let data = serde_json::json!({ "conversation_id": conversation, "left": left, "muted": muted });
    best_effort(app, user_channel(user), "membership-updated", data).await;
}

/// `member-left` on the conversation channel, so the others' member lists follow.
pub async fn member_left(app: &App, conversation: ConversationId, user: &UserId) {
    let data = serde_json::json!({ "conversation_id": conversation, "user_id": user });
    best_effort(app, conversation_channel(conversation), "member-left", data).await;
}
