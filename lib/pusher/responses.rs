//! Pusher's JSON answers to the REST calls that return something.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Per-channel attributes asked for with `info`; absent unless asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAttributes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
}

/// `POST /events` with `info`: attributes per channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerResponse {
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelAttributes>,
}

/// `POST /batch_events` with `info`: attributes per event, in batch order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    #[serde(default)]
    pub batch: Vec<ChannelAttributes>,
}

/// `GET /channels`: occupied channels and their attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsList {
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelAttributes>,
}

/// `GET /channels/{name}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub occupied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
    /// Cache channels only: the last event, when `info=cache` was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Value>,
}

/// `GET /channels/{name}/users`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelUsers {
    pub users: Vec<ChannelUser>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelUser {
    pub id: String,
}
