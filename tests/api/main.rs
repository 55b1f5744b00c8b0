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

mod support;

mod auth_modes;
mod binaries;
mod channel_auth;
mod conversations;
mod delivery;
mod fuzz_findings;
mod history;
mod hygiene;
mod reactions;
mod reads;
mod send;
mod sessions;
mod typing;
mod webhook;
