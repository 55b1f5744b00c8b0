//! Event requests (trigger, batch, send to user) as the Node library builds
//! them: `data` is sent as given, sealed first on `private-encrypted-`
//! channels. Pure: the nonce source is an argument.

use super::encryption::{MasterKey, NONCE_LEN, seal, shared_secret};
use super::error::PusherError;
use super::names::{ChannelName, EventName, SocketId, check_user_id};
use super::requests::{Method, RestRequest};
use serde::Serialize;

pub const MAX_CHANNELS: usize = 100;
/// Pusher's limit on one event's `data` as sent (after sealing): 10 KB.
pub const MAX_DATA_BYTES: usize = 10_240;
/// Pusher's limit on a batch on multi-tenant clusters.
pub const MAX_BATCH_EVENTS: usize = 10;

/// What sealing needs: the master key (if configured) and fresh nonces.
pub struct Sealer<'a> {
    pub master_key: Option<&'a MasterKey>,
    pub next_nonce: &'a mut dyn FnMut() -> [u8; NONCE_LEN],
}

/// Optional trigger attributes, sent in the body.
#[derive(Clone, Copy, Debug, Default)]
pub struct TriggerOptions<'a> {
    /// This connection does not receive the event.
    pub socket_id: Option<&'a SocketId>,
    /// Attributes to return per channel, e.g. `user_count,subscription_count`.
    pub info: Option<&'a str>,
}

/// One event of a batch. `data` is already a JSON string, sent as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEvent {
    pub channel: ChannelName,
    pub name: EventName,
    pub data: String,
    pub socket_id: Option<SocketId>,
    pub info: Option<String>,
}

#[derive(Serialize)]
struct TriggerBody<'a> {
    name: &'a str,
    data: &'a str,
    channels: Vec<&'a str>,
    // The official library writes `info` before `socket_id`; the body's MD5
    // (and so the signature) depends on the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
}

#[derive(Serialize)]
struct BatchItem<'a> {
    channel: &'a str,
    name: &'a str,
    data: String,
    // The official library writes `info` before `socket_id`; the body's MD5
    // (and so the signature) depends on the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
}

#[derive(Serialize)]
struct BatchBody<'a> {
    batch: Vec<BatchItem<'a>>,
}

/// 1 to 100 channels per trigger.
pub fn check_channel_count(count: usize) -> Result<(), PusherError> {
    match count {
        0 => Err(PusherError::NoChannels),
        n if n > MAX_CHANNELS => Err(PusherError::TooManyChannels),
        _ => Ok(()),
    }
}

/// `POST /events` to 1..=100 channels. One encrypted channel may only be
/// triggered alone; channel names over 164 characters are refused.
pub fn trigger(
    app_id: &str,
    channels: &[ChannelName],
    event: &EventName,
    data: &str,
    options: TriggerOptions<'_>,
    sealer: &mut Sealer<'_>,
) -> Result<RestRequest, PusherError> {
    check_channel_count(channels.len())?;
    for channel in channels {
        channel.check_triggerable()?;
    }
    let wire_data = match channels {
        [only] => wire_data(only, data, sealer)?,
        _ if channels.iter().any(ChannelName::is_encrypted) => {
            return Err(PusherError::EncryptedMultiChannel);
        }
        _ => checked_size(data.to_owned())?,
    };
    let body = TriggerBody {
        name: event.as_str(),
        data: &wire_data,
        channels: channels.iter().map(ChannelName::as_str).collect(),
        socket_id: options.socket_id.map(SocketId::as_str),
        info: options.info,
    };
    post(app_id, "/events", &body)
}

/// `POST /batch_events`: 1 to 10 events, each sealed on its own if encrypted.
pub fn trigger_batch(
    app_id: &str,
    events: &[BatchEvent],
    sealer: &mut Sealer<'_>,
) -> Result<RestRequest, PusherError> {
    if events.is_empty() {
        return Err(PusherError::EmptyBatch);
    }
    if events.len() > MAX_BATCH_EVENTS {
        return Err(PusherError::BatchTooLarge {
            count: events.len(),
            limit: MAX_BATCH_EVENTS,
        });
    }
    let mut batch = Vec::with_capacity(events.len());
    for event in events {
        event.channel.check_triggerable()?;
        batch.push(BatchItem {
            channel: event.channel.as_str(),
            name: event.name.as_str(),
            data: wire_data(&event.channel, &event.data, sealer)?,
            socket_id: event.socket_id.as_ref().map(SocketId::as_str),
            info: event.info.as_deref(),
        });
    }
    post(app_id, "/batch_events", &BatchBody { batch })
}

/// An event to every connection signed in as `user_id`
/// (channel `#server-to-user-{id}`).
pub fn send_to_user(
    app_id: &str,
    user_id: &str,
    event: &EventName,
    data: &str,
) -> Result<RestRequest, PusherError> {
    check_user_id(user_id)?;
    let channel = format!("#server-to-user-{user_id}");
    let data = checked_size(data.to_owned())?;
    let body = TriggerBody {
        name: event.as_str(),
        data: &data,
        channels: vec![&channel],
        socket_id: None,
        info: None,
    };
    post(app_id, "/events", &body)
}

fn wire_data(
    channel: &ChannelName,
    data: &str,
    sealer: &mut Sealer<'_>,
) -> Result<String, PusherError> {
    if !channel.is_encrypted() {
        return checked_size(data.to_owned());
    }
    let master_key = sealer
        .master_key
        .ok_or(PusherError::MasterKeyNotSetForTrigger)?;
    let key = shared_secret(channel.as_str(), master_key);
    checked_size(seal(&key, &(sealer.next_nonce)(), data)?)
}

fn checked_size(data: String) -> Result<String, PusherError> {
    if data.len() > MAX_DATA_BYTES {
        return Err(PusherError::DataTooLarge {
            size: data.len(),
            limit: MAX_DATA_BYTES,
        });
    }
    Ok(data)
}

fn post(app_id: &str, sub_path: &str, body: &impl Serialize) -> Result<RestRequest, PusherError> {
    let mut request = RestRequest::new(Method::Post, app_id, sub_path);
    request.body =
        Some(serde_json::to_string(body).map_err(|e| PusherError::Encode(e.to_string()))?);
    Ok(request)
}

#[cfg(test)]
mod tests;
