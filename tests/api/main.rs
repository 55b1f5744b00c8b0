//! The HTTP API through the full stack: real Postgres (a schema per test),
//! a real Sockudo per test, our server on a loopback port, and a WebSocket
//! client speaking the Pusher protocol.

#[path = "../common/db.rs"]
mod db;
#[path = "../common/sockudo.rs"]
mod sockudo;
#[allow(dead_code)]
#[path = "../pusher_sockudo/ws.rs"]
mod ws;

mod db_counter;
mod proxy;
mod support;

mod auth_modes;
mod binaries;
mod channel_auth;
mod conversation_list;
mod conversation_policy;
mod conversations;
mod delivery;
mod fuzz_findings;
mod history;
mod hygiene;
mod leave;
mod presence;
mod rate_limits;
mod reactions;
mod reads;
mod redelivery;
mod round_trips;
mod send;
mod sessions;
mod slow_pusher;
mod typing;
mod webhook;
