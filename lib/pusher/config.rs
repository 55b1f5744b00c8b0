//! Pusher settings from the environment: credentials, where the REST API
//! lives (a cluster, or a self-hosted server such as Sockudo), the optional
//! encryption master key and the request timeout.

use super::encryption::MasterKey;
use crate::config::{ConfigError, Env};
use std::fmt;
use std::time::Duration;

const DEFAULT_TIMEOUT_MS: u64 = 2000;

#[derive(Clone)]
pub struct PusherConfig {
    app_id: String,
    key: String,
    secret: String,
    cluster: Option<String>,
    scheme: String,
    host: String,
    port: Option<u16>,
    master_key: Option<MasterKey>,
    timeout: Duration,
}

impl PusherConfig {
    /// Reads `PUSHER_APP_ID`, `PUSHER_SECRET`, `NEXT_PUBLIC_PUSHER_KEY` (all
    /// required); `PUSHER_HOST` (+ optional `PUSHER_PORT`, `PUSHER_SCHEME`,
    /// default https) for a self-hosted server, else
    /// `NEXT_PUBLIC_PUSHER_CLUSTER` for `https://api-{cluster}.pusher.com`;
    /// optional `PUSHER_ENCRYPTION_MASTER_KEY_BASE64` (32 bytes) and
    /// `PUSHER_TIMEOUT_MS` (total per request, default 2000).
    /// Errors name the variable and never contain secret or key material.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let app_id = env.require("PUSHER_APP_ID")?;
        if !app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(ConfigError::new(
                "PUSHER_APP_ID",
                "may only contain letters, digits, '-', '_' and '.'",
            ));
        }
        let secret = env.require("PUSHER_SECRET")?;
        let key = env.require("NEXT_PUBLIC_PUSHER_KEY")?;
        let cluster = env.get("NEXT_PUBLIC_PUSHER_CLUSTER");
        if let Some(cluster) = &cluster {
            if !cluster
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(ConfigError::new(
                    "NEXT_PUBLIC_PUSHER_CLUSTER",
                    format!("is not a cluster name: {cluster:?}"),
                ));
            }
        }
        let (scheme, host, port) = match env.get("PUSHER_HOST") {
            Some(host) => self_hosted(env, host)?,
            None => match &cluster {
                Some(cluster) => (
                    "https".to_owned(),
                    format!("api-{cluster}.pusher.com"),
                    None,
                ),
                None => {
                    return Err(ConfigError::new(
                        "NEXT_PUBLIC_PUSHER_CLUSTER",
                        "is required unless PUSHER_HOST is set",
                    ));
                }
            },
        };
        let master_key = match env.get("PUSHER_ENCRYPTION_MASTER_KEY_BASE64") {
            None => None,
            Some(encoded) => Some(
                MasterKey::from_base64(&encoded)
                    .map_err(|p| ConfigError::new("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", p))?,
            ),
        };
        let timeout_ms: u64 = env.parse_or("PUSHER_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)?;
        if timeout_ms == 0 {
            return Err(ConfigError::new("PUSHER_TIMEOUT_MS", "must be at least 1"));
        }
        Ok(Self {
            app_id,
            key,
            secret,
            cluster,
            scheme,
            host,
            port,
            master_key,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Only when set explicitly; otherwise the scheme's default port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `{scheme}://{host}[:{port}]`, without a trailing slash.
    pub fn base_url(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{}", self.scheme, self.host, port),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    pub fn master_key(&self) -> Option<&MasterKey> {
        self.master_key.as_ref()
    }

    /// The total time one REST request may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

fn self_hosted(env: &Env, host: String) -> Result<(String, String, Option<u16>), ConfigError> {
    let bad_host = host.contains("://")
        || host
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b"/?#@".contains(&b));
    if bad_host {
        return Err(ConfigError::new(
            "PUSHER_HOST",
            format!("must be a bare host name, without scheme, port or path: {host:?}"),
        ));
    }
    let scheme = env.get("PUSHER_SCHEME").unwrap_or_else(|| "https".into());
    if scheme != "http" && scheme != "https" {
        return Err(ConfigError::new(
            "PUSHER_SCHEME",
            format!("must be http or https, not {scheme:?}"),
        ));
    }
    let port = match env.get("PUSHER_PORT") {
        None => None,
        Some(raw) => match raw.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => {
                return Err(ConfigError::new(
                    "PUSHER_PORT",
                    format!("must be a port number (1-65535), not {raw:?}"),
                ));
            }
        },
    };
    Ok((scheme, host, port))
}

impl fmt::Debug for PusherConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PusherConfig")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("base_url", &self.base_url())
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests;
