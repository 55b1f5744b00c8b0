//! Our Pusher layer against a real Sockudo: signed REST calls are accepted
//! (and a wrong secret refused), and a WebSocket client speaking the Pusher
//! protocol, authorized by our code, receives what we trigger.

#[path = "../common/sockudo.rs"]
mod sockudo;

mod delivery;
mod rest;
mod webhooks;
mod ws;

use messaging::pusher::{ChannelName, EventName};

pub fn channel(name: &str) -> ChannelName {
    ChannelName::parse(name).expect("test channel names are valid")
}

pub fn event(name: &str) -> EventName {
    EventName::parse(name).expect("test event names are valid")
}
