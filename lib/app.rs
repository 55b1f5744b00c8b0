//! Per-process state, built once: configuration, the database pool and the
//! Pusher client. Nothing here connects; a function process starts its first
//! database connection right after (`Db::warm_up` in `vercel::run`).

use crate::auth::Authenticator;
use crate::config::{Config, ConfigError, Env};
use crate::db::{Db, UserCache};
use crate::pusher::Pusher;
use std::sync::Arc;

pub struct App {
    pub config: Config,
    /// Every configured sign-in mode, keys derived and JWKS caches ready.
    pub auth: Authenticator,
    pub db: Db,
    pub pusher: Pusher,
    /// Users whose row this process keeps current (see `db::UserCache`).
    pub users: UserCache,
}

impl App {
    pub fn new(config: Config) -> Result<Arc<Self>, ConfigError> {
        let db = Db::new(&config.database_url, config.db_pool_size)
            .map_err(|problem| ConfigError::new("DATABASE_URL", problem.to_string()))?;
        let pusher = Pusher::new(config.pusher.clone());
        let auth = Authenticator::new(config.session.as_ref(), &config.auth)?;
        Ok(Arc::new(Self {
            auth,
            config,
            db,
            pusher,
            users: UserCache::default(),
        }))
    }

    pub fn from_env() -> Result<Arc<Self>, ConfigError> {
        Self::new(Config::from_env(&Env::process())?)
    }
}
