//! The environment, read once at start. A bad value is one line naming the
//! variable; secrets never appear in that line.

use crate::domain::ConversationPolicy;
use crate::limits::Limits;
use crate::pusher::PusherConfig;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// What was wrong with which variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration error: {}: {}",
            self.variable, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// A source of variables: the process environment, or a map in tests.
pub struct Env(Option<HashMap<String, String>>);

impl Env {
    pub fn process() -> Self {
        Self(None)
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(Some(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ))
    }

    /// A set, non-blank value; blank counts as unset (Vercel shows unset vars as "").
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.0 {
            None => std::env::var(name).ok(),
            Some(map) => map.get(name).cloned(),
        }?;
        let trimmed = value.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    pub fn require(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError::new(name, "is required but not set"))
    }

    pub fn parse_or<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::new(name, format!("is not valid: {raw:?}"))),
        }
    }
}

/// Session token verification (see the contract's Identity section).
#[derive(Clone)]
pub struct SessionConfig {
    pub secret: Vec<u8>,
    pub cookie_name: String,
    /// `SESSION_AUDIENCE`: when set, a token must carry it in `aud`.
    pub audience: Option<String>,
    /// `SESSION_ISSUER`: when set, a token must carry it in `iss`.
    pub issuer: Option<String>,
}

impl SessionConfig {
    /// No audience or issuer required (what tests and the defaults use).
    pub fn new(secret: Vec<u8>, cookie_name: impl Into<String>) -> Self {
        Self {
            secret,
            cookie_name: cookie_name.into(),
            audience: None,
            issuer: None,
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("secret", &"<redacted>")
            .field("cookie_name", &self.cookie_name)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// Who may start conversations and how long "online" lasts without confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationConfig {
    /// `CONVERSATION_POLICY` (default `open`).
    pub policy: ConversationPolicy,
    /// `PRESENCE_TTL_SECONDS` (default 300): a member shows online in a conversation only
    /// while Pusher confirmed it (webhook or the cron's reconciliation) within this time.
    pub presence_ttl: Duration,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        Self {
            policy: ConversationPolicy::Open,
            presence_ttl: Duration::from_secs(300),
        }
    }
}

impl ConversationConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let policy = match env.get("CONVERSATION_POLICY") {
            None => defaults.policy,
            Some(raw) => ConversationPolicy::parse(&raw)
                .map_err(|problem| ConfigError::new("CONVERSATION_POLICY", problem))?,
        };
        let ttl: u64 = env.parse_or("PRESENCE_TTL_SECONDS", defaults.presence_ttl.as_secs())?;
        if ttl == 0 {
            return Err(ConfigError::new(
                "PRESENCE_TTL_SECONDS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            policy,
            presence_ttl: Duration::from_secs(ttl),
        })
    }
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub database_url_unpooled: Option<String>,
    pub db_pool_size: usize,
    pub pusher: PusherConfig,
    /// Our HS256 token (`SESSION_SECRET`); absent when only other sign-in modes are on.
    pub session: Option<SessionConfig>,
    /// The sign-in modes the Next.js app may already have (Auth.js, NextAuth v4, Clerk, Supabase, OIDC).
    pub auth: crate::auth::AuthSettings,
    /// Absent: the cron route refuses every call (logged once per call).
    pub cron_secret: Option<String>,
    pub conversations: ConversationConfig,
    /// Rate limits per user and action (`RATE_LIMIT_*`).
    pub limits: Limits,
    /// `PUSHER_EVENTS`: the contract's events, or the lean set.
    pub events: crate::realtime::EventSet,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let database_url = env.require("DATABASE_URL")?;
        let database_url_unpooled = env.get("DATABASE_URL_UNPOOLED");
        let db_pool_size: usize = env.parse_or("DATABASE_POOL_SIZE", 4)?;
        if db_pool_size == 0 {
            return Err(ConfigError::new("DATABASE_POOL_SIZE", "must be at least 1"));
        }
        let auth = crate::auth::AuthSettings::from_env(env)?;
        let session = match env.get("SESSION_SECRET") {
            Some(secret) if secret.len() < 32 => {
                return Err(ConfigError::new(
                    "SESSION_SECRET",
                    "must be at least 32 bytes long",
                ));
            }
            Some(secret) => Some(SessionConfig {
                secret: secret.into_bytes(),
                cookie_name: env
                    .get("SESSION_COOKIE")
                    .unwrap_or_else(|| "session".into()),
                audience: env.get("SESSION_AUDIENCE"),
                issuer: env.get("SESSION_ISSUER"),
            }),
            None if auth.any_mode() => None,
            None => {
                return Err(ConfigError::new(
                    "SESSION_SECRET",
                    "is required but not set (or set another sign-in mode: AUTH_SECRET, \
                     NEXTAUTH_SECRET, CLERK_JWT_KEY, CLERK_JWKS_URL, SUPABASE_JWT_SECRET, \
                     SUPABASE_URL, AUTH_JWKS_URL or AUTH_JWKS_JSON)",
                ));
            }
        };
        Ok(Self {
            database_url,
            database_url_unpooled,
            db_pool_size,
            pusher: PusherConfig::from_env(env)?,
            session,
            auth,
            cron_secret: env.get("CRON_SECRET"),
            conversations: ConversationConfig::from_env(env)?,
            limits: Limits::from_env(env)?,
            events: crate::realtime::EventSet::from_env(env)?,
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("db_pool_size", &self.db_pool_size)
            .field("pusher", &self.pusher)
            .field("session", &self.session)
            .field("conversations", &self.conversations)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}
