//! The `Pusher` facade: the pure pieces plus the real clock, OS randomness
//! and the shared HTTP client. Every input is validated before any I/O.

use super::auth::{self, ChannelAuth, PresenceMember, UserAuth};
use super::config::PusherConfig;
use super::encryption::{self, random_nonce};
use super::error::PusherError;
use super::events::{self, BatchEvent, Sealer, TriggerOptions};
use super::names::{ChannelName, EventName, SocketId};
use super::requests::{self, RestRequest};
use super::responses::{BatchResponse, ChannelInfo, ChannelUsers, ChannelsList, TriggerResponse};
use super::sign::Token;
use super::transport;
use super::webhook::{self, Webhook, WebhookError};
use serde_json::Value;
use std::sync::Arc;

/// A Pusher Channels client. Cheap to clone; `new` does no I/O.
#[derive(Clone, Debug)]
pub struct Pusher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: PusherConfig,
    token: Token,
    base_url: String,
}

impl Pusher {
    pub fn new(config: PusherConfig) -> Self {
        let token = Token::new(config.key(), config.secret());
        let base_url = config.base_url();
        Self {
            inner: Arc::new(Inner {
                config,
                token,
                base_url,
            }),
        }
    }

    pub fn key(&self) -> &str {
        self.inner.config.key()
    }

    pub fn config(&self) -> &PusherConfig {
        &self.inner.config
    }

    /// Sends `event` to 1..=100 channels. `data` is already a JSON string and
    /// is sent as is; on a `private-encrypted-` channel it is sealed first.
    /// Channel names over Pusher's documented 164 characters are refused.
    pub async fn trigger(
        &self,
        channels: &[ChannelName],
        event: &EventName,
        data: &str,
        socket_id: Option<&SocketId>,
    ) -> Result<(), PusherError> {
        let options = TriggerOptions {
            socket_id,
            info: None,
        };
        self.send(&self.trigger_request(channels, event, data, options)?)
            .await?;
        Ok(())
    }

    /// [`Pusher::trigger`] asking for per-channel attributes (`info`, e.g.
    /// `user_count,subscription_count`).
    pub async fn trigger_with_info(
        &self,
        channels: &[ChannelName],
        event: &EventName,
        data: &str,
        socket_id: Option<&SocketId>,
        info: &str,
    ) -> Result<TriggerResponse, PusherError> {
        let options = TriggerOptions {
            socket_id,
            info: Some(info),
        };
        let body = self
            .send(&self.trigger_request(channels, event, data, options)?)
            .await?;
        transport::parse(&body)
    }

    /// Sends 1..=10 events in one request.
    pub async fn trigger_batch(&self, events: &[BatchEvent]) -> Result<(), PusherError> {
        self.send(&self.batch_request(events)?).await.map(drop)
    }

    /// [`Pusher::trigger_batch`] returning the attributes asked for per event.
    pub async fn trigger_batch_with_info(
        &self,
        events: &[BatchEvent],
    ) -> Result<BatchResponse, PusherError> {
        let body = self.send(&self.batch_request(events)?).await?;
        // Without `info` Pusher answers `{}`, which parses as an empty batch.
        transport::parse(&body)
    }

    /// Occupied channels, optionally only those starting with `filter_by_prefix`.
    pub async fn channels(
        &self,
        filter_by_prefix: Option<&str>,
        info: Option<&str>,
    ) -> Result<ChannelsList, PusherError> {
        let request = requests::channels(self.app_id(), filter_by_prefix, info);
        transport::parse(&self.send(&request).await?)
    }

    pub async fn channel(
        &self,
        channel: &ChannelName,
        info: Option<&str>,
    ) -> Result<ChannelInfo, PusherError> {
        let request = requests::channel(self.app_id(), channel, info);
        transport::parse(&self.send(&request).await?)
    }

    /// The ids of the users in a presence channel.
    pub async fn channel_users(&self, channel: &ChannelName) -> Result<Vec<String>, PusherError> {
        let request = requests::channel_users(self.app_id(), channel);
        let users: ChannelUsers = transport::parse(&self.send(&request).await?)?;
        Ok(users.users.into_iter().map(|u| u.id).collect())
    }

    /// Disconnects every connection signed in as `user_id`.
    pub async fn terminate_user_connections(&self, user_id: &str) -> Result<(), PusherError> {
        let request = requests::terminate_user_connections(self.app_id(), user_id)?;
        self.send(&request).await.map(drop)
    }

    /// Sends an event to every connection signed in as `user_id`.
    pub async fn send_to_user(
        &self,
        user_id: &str,
        event: &EventName,
        data: &str,
    ) -> Result<(), PusherError> {
        let request = events::send_to_user(self.app_id(), user_id, event, data)?;
        self.send(&request).await.map(drop)
    }

    /// The answer to pusher-js's channel authorization request. Presence
    /// channels need the member, serialised once: that exact string is both
    /// signed and returned.
    pub fn authorize_channel(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
        presence: Option<&PresenceMember>,
    ) -> Result<ChannelAuth, PusherError> {
        if channel.is_presence() && presence.is_none() {
            return Err(PusherError::PresenceMemberRequired(channel.to_string()));
        }
        let channel_data = presence.map(PresenceMember::channel_data);
        auth::authorize_channel(
            &self.inner.token,
            self.inner.config.master_key(),
            socket_id,
            channel,
            channel_data,
        )
    }

    /// The answer to pusher-js's user authentication (sign-in) request.
    pub fn authenticate_user(
        &self,
        socket_id: &SocketId,
        user_data: &Value,
    ) -> Result<UserAuth, PusherError> {
        auth::authenticate_user(&self.inner.token, socket_id, user_data)
    }

    /// The key pusher-js gets as `shared_secret` for an encrypted channel.
    pub fn channel_shared_secret(&self, channel: &ChannelName) -> Result<[u8; 32], PusherError> {
        let master_key = self
            .inner
            .config
            .master_key()
            .ok_or(PusherError::MasterKeyNotSetForAuth)?;
        Ok(encryption::shared_secret(channel.as_str(), master_key))
    }

    /// Verifies a webhook delivery: headers as given (`None` when absent),
    /// the raw body bytes. Never panics.
    pub fn verify_webhook(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        content_type: Option<&str>,
        raw_body: &[u8],
    ) -> Result<Webhook, WebhookError> {
        webhook::verify(&self.inner.token, key, signature, content_type, raw_body)
    }

    fn app_id(&self) -> &str {
        self.inner.config.app_id()
    }

    fn sealer<'a>(&'a self, next_nonce: &'a mut dyn FnMut() -> [u8; 24]) -> Sealer<'a> {
        Sealer {
            master_key: self.inner.config.master_key(),
            next_nonce,
        }
    }

    fn trigger_request(
        &self,
        channels: &[ChannelName],
        event: &EventName,
        data: &str,
        options: TriggerOptions<'_>,
    ) -> Result<RestRequest, PusherError> {
        let mut next_nonce = random_nonce;
        let mut sealer = self.sealer(&mut next_nonce);
        events::trigger(self.app_id(), channels, event, data, options, &mut sealer)
    }

    fn batch_request(&self, events: &[BatchEvent]) -> Result<RestRequest, PusherError> {
        let mut next_nonce = random_nonce;
        let mut sealer = self.sealer(&mut next_nonce);
        events::trigger_batch(self.app_id(), events, &mut sealer)
    }

    async fn send(&self, request: &RestRequest) -> Result<bytes::Bytes, PusherError> {
        let inner = &self.inner;
        transport::send(
            &inner.base_url,
            &inner.token,
            inner.config.timeout(),
            request,
        )
        .await
    }
}

#[cfg(test)]
mod tests;
