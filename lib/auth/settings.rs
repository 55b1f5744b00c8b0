//! The sign-in modes' variables, read with the rest of the configuration
//! (lib/config.rs); each mode is on when its variable is set. A bad value is
//! one line naming the variable, and never shows a secret.

use super::claims::IdentityRules;
use crate::config::{ConfigError, Env};
use std::fmt;

#[derive(Clone, Default)]
pub struct AuthSettings {
    pub authjs: Option<AuthJsSettings>,
    pub nextauth4: Option<NextAuth4Settings>,
    pub clerk: Option<ClerkSettings>,
    pub supabase: Option<SupabaseSettings>,
    pub oidc: Option<OidcSettings>,
    pub identity: IdentityRules,
    pub trusted_origins: Vec<String>,
}

#[derive(Clone)]
pub struct AuthJsSettings {
    /// In Auth.js's order (`AUTH_SECRET_3`, `_2`, `_1`, `AUTH_SECRET`).
    pub secrets: Vec<String>,
    pub cookie_names: Vec<String>,
}

#[derive(Clone)]
pub struct NextAuth4Settings {
    pub secret: String,
}

#[derive(Clone, Default)]
pub struct ClerkSettings {
    pub pem: Option<String>,
    pub jwks_url: Option<String>,
    pub authorized_parties: Vec<String>,
}

#[derive(Clone, Default)]
pub struct SupabaseSettings {
    pub jwt_secret: Option<String>,
    pub url: Option<String>,
    /// Inline keys instead of fetching `url`'s JWKS (tests, air-gapped setups).
    pub jwks_json: Option<String>,
}

#[derive(Clone)]
pub enum JwksSource {
    Url(String),
    Json(String),
}

#[derive(Clone)]
pub struct OidcSettings {
    pub jwks: JwksSource,
    pub issuer: String,
    pub audiences: Vec<String>,
}

impl AuthSettings {
    /// Whether any mode besides our HS256 token is on.
    pub fn any_mode(&self) -> bool {
        self.authjs.is_some()
            || self.nextauth4.is_some()
            || self.clerk.is_some()
            || self.supabase.is_some()
            || self.oidc.is_some()
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let secrets = super::authjs::ordered_secrets(
            env.get("AUTH_SECRET"),
            [
                env.get("AUTH_SECRET_1"),
                env.get("AUTH_SECRET_2"),
                env.get("AUTH_SECRET_3"),
            ],
        );
        let authjs = (!secrets.is_empty()).then(|| AuthJsSettings {
            secrets,
            cookie_names: match env.get("AUTH_SESSION_COOKIE") {
                Some(name) => vec![name],
                None => super::authjs::COOKIE_NAMES.map(String::from).to_vec(),
            },
        });
        let nextauth4 = env
            .get("NEXTAUTH_SECRET")
            .map(|secret| NextAuth4Settings { secret });
        let clerk = clerk(env)?;
        let supabase = supabase(env)?;
        let oidc = oidc(env)?;
        let identity = IdentityRules {
            user_id_claim: env
                .get("AUTH_USER_ID_CLAIM")
                .unwrap_or_else(|| "sub".into()),
            role_claim: env.get("AUTH_ROLE_CLAIM").unwrap_or_else(|| "role".into()),
            default_role: env.get("AUTH_DEFAULT_ROLE"),
        };
        if identity.role_claim.split('.').next() == Some("user_metadata") {
            return Err(ConfigError::new(
                "AUTH_ROLE_CLAIM",
                "must not read user_metadata, which users can edit themselves (use app_metadata)",
            ));
        }
        let trusted_origins = list(env, "AUTH_TRUSTED_ORIGINS")
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect::<Vec<_>>();
        if let Some(bad) = trusted_origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")))
        {
            return Err(ConfigError::new(
                "AUTH_TRUSTED_ORIGINS",
                format!("{bad:?} is not an origin like https://app.example.com"),
            ));
        }
        Ok(Self {
            authjs,
            nextauth4,
            clerk,
            supabase,
            oidc,
            identity,
            trusted_origins,
        })
    }
}

fn list(env: &Env, name: &str) -> Vec<String> {
    env.get(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// https, or http to this machine only (a JWKS over plain HTTP could be swapped in transit).
fn key_url(name: &'static str, raw: String) -> Result<String, ConfigError> {
    let url = url::Url::parse(&raw).map_err(|_| ConfigError::new(name, "is not a URL"))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(raw),
        "http" if local => Ok(raw),
        _ => Err(ConfigError::new(name, "must be an https:// URL")),
    }
}

fn clerk(env: &Env) -> Result<Option<ClerkSettings>, ConfigError> {
    let pem = env.get("CLERK_JWT_KEY");
    let jwks_url = env
        .get("CLERK_JWKS_URL")
        .map(|u| key_url("CLERK_JWKS_URL", u))
        .transpose()?;
    if pem.is_none() && jwks_url.is_none() {
        return Ok(None);
    }
    if let Some(pem) = &pem {
        super::jws::VerifyKey::rs256_pem(pem).map_err(|e| ConfigError::new("CLERK_JWT_KEY", e))?;
    }
    Ok(Some(ClerkSettings {
        pem,
        jwks_url,
        authorized_parties: list(env, "CLERK_AUTHORIZED_PARTIES"),
    }))
}

fn supabase(env: &Env) -> Result<Option<SupabaseSettings>, ConfigError> {
    let jwt_secret = env.get("SUPABASE_JWT_SECRET");
    let url = env
        .get("SUPABASE_URL")
        .map(|u| key_url("SUPABASE_URL", u.trim_end_matches('/').to_owned()))
        .transpose()?;
    if jwt_secret.is_none() && url.is_none() {
        return Ok(None);
    }
    Ok(Some(SupabaseSettings {
        jwt_secret,
        url,
        jwks_json: None,
    }))
}

fn oidc(env: &Env) -> Result<Option<OidcSettings>, ConfigError> {
    let jwks = match (env.get("AUTH_JWKS_URL"), env.get("AUTH_JWKS_JSON")) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                "AUTH_JWKS_JSON",
                "set AUTH_JWKS_URL or AUTH_JWKS_JSON, not both",
            ));
        }
        (Some(url), None) => JwksSource::Url(key_url("AUTH_JWKS_URL", url)?),
        (None, Some(json)) => {
            super::jws::keys_from_jwks(json.as_bytes())
                .map_err(|e| ConfigError::new("AUTH_JWKS_JSON", e))?;
            JwksSource::Json(json)
        }
    };
    // Without both, a token the same provider issued to another app would be accepted.
    let issuer = env.get("AUTH_ISSUER").ok_or_else(|| {
        ConfigError::new(
            "AUTH_ISSUER",
            "is required with AUTH_JWKS_URL/AUTH_JWKS_JSON",
        )
    })?;
    let audiences = list(env, "AUTH_AUDIENCE");
    if audiences.is_empty() {
        return Err(ConfigError::new(
            "AUTH_AUDIENCE",
            "is required with AUTH_JWKS_URL/AUTH_JWKS_JSON",
        ));
    }
    Ok(Some(OidcSettings {
        jwks,
        issuer,
        audiences,
    }))
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Which modes are on, never a secret.
        f.debug_struct("AuthSettings")
            .field("authjs", &self.authjs.as_ref().map(|a| a.secrets.len()))
            .field("nextauth4", &self.nextauth4.is_some())
            .field("clerk", &self.clerk.is_some())
            .field("supabase", &self.supabase.is_some())
            .field("oidc", &self.oidc.as_ref().map(|o| &o.issuer))
            .field("identity", &self.identity)
            .field("trusted_origins", &self.trusted_origins)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(pairs: &[(&str, &str)]) -> ConfigError {
        AuthSettings::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap_err()
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            err(&[("CLERK_JWT_KEY", "not a pem")]).variable,
            "CLERK_JWT_KEY"
        );
        assert_eq!(
            err(&[("AUTH_JWKS_URL", "http://evil.example/jwks")]).variable,
            "AUTH_JWKS_URL"
        );
        assert_eq!(
            err(&[("AUTH_JWKS_URL", "https://x/jwks")]).variable,
            "AUTH_ISSUER"
        );
        assert_eq!(
            err(&[
                ("AUTH_JWKS_URL", "https://x/jwks"),
                ("AUTH_ISSUER", "https://x/")
            ])
            .variable,
            "AUTH_AUDIENCE"
        );
        assert_eq!(err(&[("AUTH_JWKS_JSON", "{}")]).variable, "AUTH_JWKS_JSON");
        assert_eq!(
            err(&[("AUTH_ROLE_CLAIM", "user_metadata.role")]).variable,
            "AUTH_ROLE_CLAIM"
        );
        assert_eq!(
            err(&[("AUTH_TRUSTED_ORIGINS", "app.example.com")]).variable,
            "AUTH_TRUSTED_ORIGINS"
        );
        let e = err(&[("SUPABASE_URL", "ftp://x")]);
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn modes_are_on_when_their_variable_is_set() {
        let s = AuthSettings::from_env(&Env::from_pairs([
            ("AUTH_SECRET", "a"),
            ("AUTH_SECRET_1", "b"),
            ("NEXTAUTH_SECRET", "c"),
            ("SUPABASE_URL", "https://abc.supabase.co/"),
            ("AUTH_DEFAULT_ROLE", "student"),
        ]))
        .unwrap();
        assert_eq!(s.authjs.as_ref().unwrap().secrets, ["b", "a"]);
        assert_eq!(s.authjs.as_ref().unwrap().cookie_names.len(), 2);
        assert!(s.nextauth4.is_some() && s.clerk.is_none() && s.oidc.is_none());
        assert_eq!(
            s.supabase.unwrap().url.as_deref(),
            Some("https://abc.supabase.co")
        );
        assert_eq!(s.identity.default_role.as_deref(), Some("student"));
        assert!(
            !AuthSettings::from_env(&Env::from_pairs([]))
                .unwrap()
                .any_mode()
        );
    }
}
