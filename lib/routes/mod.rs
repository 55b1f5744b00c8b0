//! One module per function: its request type, response type and handler.
//! `Route` names them, for the Vercel entry points and the dev server alike.

mod conversations;
mod conversations_create;
mod conversations_leave;
mod conversations_mute;
mod cron_redeliver;
mod messages_history;
mod messages_react;
mod messages_read;
mod messages_send;
mod messages_typing;
mod pusher_auth;
mod pusher_webhook;
mod session;

pub use session::{session, session_user};

use crate::app::App;
use crate::error::AppResult;
use crate::http::{Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    MessagesSend,
    MessagesHistory,
    PusherAuth,
    Conversations,
    CronRedeliver,
    MessagesRead,
    MessagesTyping,
    MessagesReact,
    PusherWebhook,
    ConversationsLeave,
    ConversationsMute,
}

impl Route {
    pub const ALL: [Route; 11] = [
        Route::MessagesSend,
        Route::MessagesHistory,
        Route::PusherAuth,
        Route::Conversations,
        Route::CronRedeliver,
        Route::MessagesRead,
        Route::MessagesTyping,
        Route::MessagesReact,
        Route::PusherWebhook,
        Route::ConversationsLeave,
        Route::ConversationsMute,
    ];

    /// The path Vercel derives from the function's file under `api/`.
    pub fn path(self) -> &'static str {
        match self {
            Route::MessagesSend => "/api/messages/send",
            Route::MessagesHistory => "/api/messages/history",
            Route::PusherAuth => "/api/pusher/auth",
            Route::Conversations => "/api/conversations",
            Route::CronRedeliver => "/api/cron/redeliver",
            Route::MessagesRead => "/api/messages/read",
            Route::MessagesTyping => "/api/messages/typing",
            Route::MessagesReact => "/api/messages/react",
            Route::PusherWebhook => "/api/pusher/webhook",
            Route::ConversationsLeave => "/api/conversations/leave",
            Route::ConversationsMute => "/api/conversations/mute",
        }
    }

    /// Exact match, tolerating one trailing slash.
    pub fn from_path(path: &str) -> Option<Route> {
        let path = match path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => path,
        };
        Route::ALL.into_iter().find(|r| r.path() == path)
    }

    pub async fn handle(self, app: &App, req: Request) -> AppResult<Response> {
        match self {
            Route::MessagesSend => messages_send::handle(app, req).await,
            Route::MessagesHistory => messages_history::handle(app, req).await,
            Route::PusherAuth => pusher_auth::handle(app, req).await,
            Route::Conversations => conversations::handle(app, req).await,
            Route::CronRedeliver => cron_redeliver::handle(app, req).await,
            Route::MessagesRead => messages_read::handle(app, req).await,
            Route::MessagesTyping => messages_typing::handle(app, req).await,
            Route::MessagesReact => messages_react::handle(app, req).await,
            Route::PusherWebhook => pusher_webhook::handle(app, req).await,
            Route::ConversationsLeave => conversations_leave::handle(app, req).await,
            Route::ConversationsMute => conversations_mute::handle(app, req).await,
        }
    }
}
