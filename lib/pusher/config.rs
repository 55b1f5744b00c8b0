//! Placeholder: replaced by the real Pusher configuration.
use crate::config::{ConfigError, Env};

#[derive(Clone, Debug)]
pub struct PusherConfig {}

impl PusherConfig {
    pub fn from_env(_env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {})
    }
}
