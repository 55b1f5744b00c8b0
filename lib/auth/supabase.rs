//! Supabase Auth: access tokens signed HS256 with the legacy JWT secret
//! (`SUPABASE_JWT_SECRET`) and/or with the project's asymmetric keys (JWKS at
//! `SUPABASE_URL/auth/v1/.well-known/jwks.json`); `aud` is `authenticated`.
//! In a cookie, `@supabase/ssr` writes `sb-<ref>-auth-token` (maybe chunked
//! `.0`, `.1`, ...) holding the session JSON, `base64-`-prefixed base64url since
//! v0.4; the access token is inside.

use super::issuer::{Issuer, Keys};
use super::jwks::JwksCache;
use super::jws::VerifyKey;
use super::settings::SupabaseSettings;
use base64::Engine;
use serde_json::Value;

pub const AUDIENCE: &str = "authenticated";

pub fn issuer(settings: &SupabaseSettings) -> Issuer {
    let mut keys = Vec::new();
    if let Some(secret) = &settings.jwt_secret {
        keys.push(Keys::Fixed(vec![VerifyKey::hs256(secret.as_bytes())]));
    }
    if let Some(json) = &settings.jwks_json {
        if let Ok(fixed) = super::jws::keys_from_jwks(json.as_bytes()) {
            keys.push(Keys::Fixed(fixed));
        }
    } else if let Some(url) = &settings.url {
        keys.push(Keys::Remote(JwksCache::new(format!(
            "{}/auth/v1/.well-known/jwks.json",
            url.trim_end_matches('/')
        ))));
    }
    let mut issuer = Issuer::new("supabase", keys);
    issuer.audiences = Some(vec![AUDIENCE.into()]);
    issuer.issuer = settings
        .url
        .as_ref()
        .map(|u| format!("{}/auth/v1", u.trim_end_matches('/')));
    issuer
}

/// supabase-js's default storage key: `sb-<first label of the URL's host>-auth-token`.
pub fn cookie_name(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    let first = host.split('.').next()?;
    Some(format!("sb-{first}-auth-token"))
}

/// Whether `name` (without a `.N` chunk suffix) looks like a Supabase auth cookie.
pub fn is_auth_cookie(name: &str) -> bool {
    name.starts_with("sb-") && name.ends_with("-auth-token")
}

/// The access token in a cookie value: `base64-` + base64url(JSON), or the
/// JSON itself (older @supabase/ssr, percent-encoded), an object with
/// `access_token` or the auth-helpers' array `[access_token, refresh_token, ...]`.
pub fn access_token(value: &str) -> Option<String> {
    let json = match value.strip_prefix("base64-") {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b64.trim_end_matches('='))
                .ok()?;
            String::from_utf8(bytes).ok()?
        }
        None => super::cookies::percent_decode(value),
    };
    let session: Value = serde_json::from_str(&json).ok()?;
    let token = match &session {
        Value::Array(items) => items.first(),
        other => other.get("access_token"),
    };
    token.and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_name_comes_from_the_project_url() {
        assert_eq!(
            cookie_name("https://abcdefghijklmnopqrst.supabase.co").as_deref(),
            Some("sb-abcdefghijklmnopqrst-auth-token")
        );
        assert_eq!(
            cookie_name("http://127.0.0.1:54321").as_deref(),
            Some("sb-127-auth-token")
        );
    }

    #[test]
    fn access_tokens_come_out_of_every_cookie_shape() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"access_token":"a.b.c","refresh_token":"r"}"#);
        assert_eq!(
            access_token(&format!("base64-{b64}")).as_deref(),
            Some("a.b.c")
        );
        assert_eq!(
            access_token("%7B%22access_token%22%3A%22x.y.z%22%7D").as_deref(),
            Some("x.y.z")
        );
        assert_eq!(access_token(r#"["t.o.k","r"]"#).as_deref(), Some("t.o.k"));
        assert_eq!(access_token("base64-!!!"), None);
    }
}
