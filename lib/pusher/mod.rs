//! Pusher Channels protocol (owned by the pusher work; placeholder so the crate builds).
mod config;
pub use config::PusherConfig;
