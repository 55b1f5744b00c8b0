//! `POST /api/pusher/auth`: pusher-js's channel authorization endpoint.

use crate::app::App;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::limits::Action;
use crate::pusher::{ChannelName, PresenceMember, SocketId};
use http::{Method, StatusCode};

/// The channels this app uses, parsed from a channel name.
#[derive(Debug, PartialEq, Eq)]
pub enum AppChannel {
    Conversation(ConversationId),
    ConversationPresence(ConversationId),
    User(String),
    /// Anything else: nobody may subscribe.
    Other,
}

impl AppChannel {
    pub fn classify(name: &str) -> Self {
        if let Some(id) = name.strip_prefix("private-conversation-") {
            return conversation_id(id).map_or(Self::Other, Self::Conversation);
        }
        if let Some(id) = name.strip_prefix("presence-conversation-") {
            return conversation_id(id).map_or(Self::Other, Self::ConversationPresence);
        }
        if let Some(user) = name.strip_prefix("private-user-") {
            return Self::User(user.to_owned());
        }
        Self::Other
    }
}

/// Only the canonical spelling (no sign, no leading zeros) names a conversation:
/// events go to `private-conversation-7`, never to `-007`.
fn conversation_id(raw: &str) -> Option<ConversationId> {
    let canonical =
        !raw.is_empty() && !raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit());
    if !canonical {
        return None;
    }
    raw.parse()
        .ok()
        .and_then(|n| ConversationId::parse("channel_name", n).ok())
}

pub struct AuthRequest {
    pub socket_id: SocketId,
    pub channel: ChannelName,
}

impl AuthRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        let socket_id = SocketId::parse(f.str("socket_id")?).map_err(|_| {
            AppError::Validation("socket_id: must be a pusher-js socket id like 123.456".into())
        })?;
        let channel = ChannelName::parse(f.str("channel_name")?).map_err(|_| {
            AppError::Validation("channel_name: is not a valid Pusher channel name".into())
        })?;
        Ok(Self { socket_id, channel })
    }
}

fn presence_member(user: &CurrentUser) -> PresenceMember {
    PresenceMember {
        // Always the session's id, never anything from the request.
        user_id: user.id.to_string(),
        user_info: serde_json::json!({ "name": user.name, "role": user.role }),
    }
}

/// One database round trip (the rate-limit count and, for a conversation's
/// channel, membership), or none: with no limit set, the caller's own user
/// channel is signed without the database.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let user = crate::routes::session_user(app, &req).await?;
    let input = AuthRequest::parse(&req.json_or_form_fields()?)?;
    let limit = app.config.limits.get(Action::ChannelAuth);
    let channel = AppChannel::classify(input.channel.as_str());
    let conversation = match channel {
        AppChannel::Conversation(id) | AppChannel::ConversationPresence(id) => Some(id),
        AppChannel::User(_) | AppChannel::Other => None,
    };
    let member = if limit.is_some() || conversation.is_some() {
        let client = app.db.client().await?;
        let (verdict, member) =
            db::membership::channel_access(&**client, &user.id, conversation, limit).await?;
        verdict.into_result()?;
        member
    } else {
        false
    };
    let forbidden = AppError::Forbidden("you may not subscribe to this channel");
    let presence = match channel {
        AppChannel::Conversation(_) | AppChannel::ConversationPresence(_) if !member => {
            return Err(forbidden);
        }
        AppChannel::Conversation(_) => None,
        AppChannel::ConversationPresence(_) => Some(presence_member(&user)),
        AppChannel::User(owner) if owner == user.id.as_str() => None,
        AppChannel::User(_) | AppChannel::Other => return Err(forbidden),
    };
    let auth = app
        .pusher
        .authorize_channel(&input.socket_id, &input.channel, presence.as_ref())
        .map_err(|e| AppError::internal(anyhow::anyhow!("authorizing a channel: {e}")))?;
    Ok(json(StatusCode::OK, &auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_classified_strictly() {
        let c = |n| ConversationId::parse("x", n).unwrap();
        assert_eq!(
            AppChannel::classify("private-conversation-7"),
            AppChannel::Conversation(c(7))
        );
        assert_eq!(
            AppChannel::classify("presence-conversation-12"),
            AppChannel::ConversationPresence(c(12))
        );
        assert_eq!(
            AppChannel::classify("private-conversation-007"),
            AppChannel::Other
        );
        assert_eq!(
            AppChannel::classify("private-conversation-0"),
            AppChannel::Other
        );
        assert_eq!(
            AppChannel::classify("private-conversation-1x"),
            AppChannel::Other
        );
        assert_eq!(
            AppChannel::classify("private-conversation-99999999999999999999"),
            AppChannel::Other
        );
        assert_eq!(
            AppChannel::classify("private-user-u_a"),
            AppChannel::User("u_a".into())
        );
        assert_eq!(
            AppChannel::classify("private-encrypted-x"),
            AppChannel::Other
        );
        assert_eq!(AppChannel::classify("public"), AppChannel::Other);
    }
}
