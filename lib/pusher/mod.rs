//! The Pusher Channels protocol, layered like the official Node library:
//! - [`names`]: parsed socket ids, channel and event names (Node's rules and messages);
//! - [`sign`]: REST request signing (pure, clock passed in);
//! - [`auth`]: channel authorization and user sign-in answers for pusher-js;
//! - [`encryption`]: `private-encrypted-` channels (NaCl secretbox, nonce passed in);
//! - [`webhook`]: webhook verification over the raw body;
//! - [`requests`], [`events`]: REST calls as data, validated, ready to sign;
//! - [`client`]: the `Pusher` facade doing the I/O with one shared HTTP client;
//! - [`config`], [`error`], [`responses`], [`json`] (`JSON.stringify` parity).

pub mod auth;
pub mod client;
pub mod config;
pub mod encryption;
pub mod error;
pub mod events;
pub mod json;
pub mod names;
pub mod requests;
pub mod responses;
pub mod sign;
mod transport;
pub mod webhook;

pub use auth::{ChannelAuth, PresenceMember, UserAuth};
pub use client::Pusher;
pub use config::PusherConfig;
pub use error::PusherError;
pub use events::BatchEvent;
pub use names::{ChannelKind, ChannelName, EventName, SocketId};
pub use responses::{ChannelAttributes, ChannelInfo, ChannelsList, TriggerResponse};
pub use webhook::{Webhook, WebhookError, WebhookEvent};
