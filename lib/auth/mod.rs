//! The caller's credentials -> the current user, for every sign-in mode that
//! is configured (several may be on at once):
//!
//! - [`hs256`]: our own HS256 session token (`SESSION_SECRET`), Bearer or cookie.
//! - [`authjs`]: Auth.js v5 JWE session cookies (`AUTH_SECRET`, rotation).
//! - [`nextauth4`]: NextAuth v4 JWE session cookies (`NEXTAUTH_SECRET`).
//! - [`clerk`], [`supabase`], [`oidc`]: signed tokens ([`issuer`], [`jws`], [`jwks`]).
//! - [`jwe`]: the thin JWE glue; [`claims`]: time checks and claims -> user.
//! - [`cookies`]: every cookie of a name, chunks joined; [`csrf`]: same-origin checks.
//! - [`settings`]: the variables of each mode.
//!
//! A Bearer header decides alone: when it fails, no cookie is consulted. The
//! algorithm always comes from the mode and the key, never from the token.
//! Failures are logged with their reason and answered with one generic 401.

pub mod authjs;
pub mod claims;
pub mod clerk;
pub mod cookies;
pub mod csrf;
pub mod hs256;
pub mod issuer;
pub mod jwe;
pub mod jwks;
pub mod jws;
pub mod nextauth4;
pub mod oidc;
pub mod settings;
pub mod supabase;

pub use claims::IdentityRules;
pub use hs256::{Claims, issue, issue_session, verify};
pub use settings::AuthSettings;

use crate::config::SessionConfig;
use crate::domain::UserId;
use crate::error::AppError;
use http::{HeaderMap, Method, header};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// Why a token was not accepted.
#[derive(Debug)]
pub enum Failure {
    /// Refused: logged with this reason, answered 401.
    Invalid(&'static str),
    /// No key to decide with (a JWKS that cannot be fetched): 503, retry.
    Unavailable(String),
}

/// Where the credentials came from: a cookie alone must pass the CSRF check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

const NOT_VALID: &str = "the session token is not valid";

/// Every configured mode, built once per process (keys derived, JWKS caches ready).
pub struct Authenticator {
    session: Option<SessionConfig>,
    authjs: Option<authjs::AuthJs>,
    nextauth4: Option<nextauth4::NextAuth4>,
    clerk: Option<issuer::Issuer>,
    supabase: Option<(issuer::Issuer, Option<String>)>,
    oidc: Option<issuer::Issuer>,
    rules: IdentityRules,
    csrf: csrf::Csrf,
}

impl Authenticator {
    /// Fails (naming the variable) only on keys the settings check could not catch.
    pub fn new(
        session: Option<&SessionConfig>,
        s: &AuthSettings,
    ) -> Result<Self, crate::config::ConfigError> {
        use crate::config::ConfigError;
        Ok(Self {
            session: session.cloned(),
            authjs: s
                .authjs
                .as_ref()
                .map(|a| authjs::AuthJs::new(&a.secrets, a.cookie_names.clone())),
            nextauth4: s
                .nextauth4
                .as_ref()
                .map(|n| nextauth4::NextAuth4::new(&n.secret)),
            clerk: s
                .clerk
                .as_ref()
                .map(clerk::issuer)
                .transpose()
                .map_err(|e| ConfigError::new("CLERK_JWT_KEY", e))?,
            supabase: s.supabase.as_ref().map(|sb| {
                let name = sb.url.as_deref().and_then(supabase::cookie_name);
                (supabase::issuer(sb), name)
            }),
            oidc: s
                .oidc
                .as_ref()
                .map(oidc::issuer)
                .transpose()
                .map_err(|e| ConfigError::new("AUTH_JWKS_JSON", e))?,
            rules: s.identity.clone(),
            csrf: csrf::Csrf {
                trusted_origins: s.trusted_origins.clone(),
            },
        })
    }

    /// The signed-in user; a cookie-only state-changing request must also be same-origin.
    pub async fn authenticate(
        &self,
        method: &Method,
        headers: &HeaderMap,
        now: u64,
    ) -> Result<CurrentUser, AppError> {
        let (user, via) = self.identify(headers, now).await?;
        if via == Via::Cookie {
            self.csrf.check(method, headers)?;
        }
        Ok(user)
    }

    /// Who the credentials name, and where they came from (no CSRF check).
    pub async fn identify(
        &self,
        headers: &HeaderMap,
        now: u64,
    ) -> Result<(CurrentUser, Via), AppError> {
        if let Some(token) = bearer_token(headers) {
            return self.bearer(token, now).await.map(|u| (u, Via::Bearer));
        }
        self.cookie(headers, now).await.map(|u| (u, Via::Cookie))
    }

    async fn bearer(&self, token: &str, now: u64) -> Result<CurrentUser, AppError> {
        let mut outcome = Outcome::default();
        if token.split('.').count() == 5 {
            // A JWE: Auth.js's getToken also reads it from a Bearer header.
            if let Some(a) = &self.authjs {
                for salt in a.cookie_names() {
                    if let Some(user) =
                        outcome.claims("authjs", a.verify(token, salt, now), &self.rules)
                    {
                        return Ok(user);
                    }
                }
            }
            if let Some(n) = &self.nextauth4 {
                if let Some(user) = outcome.claims("nextauth4", n.verify(token, now), &self.rules) {
                    return Ok(user);
                }
            }
            return Err(outcome.into_error());
        }
        if let Some(s) = &self.session {
            match hs256::verify(token, s) {
                Ok(user) => return Ok(user),
                Err(e) => outcome.hs256(e),
            }
        }
        for (mode, issuer) in self.issuers() {
            let result = issuer.verify(token, now).await;
            if let Some(user) = outcome.claims(mode, result, &self.rules) {
                return Ok(user);
            }
        }
        Err(outcome.into_error())
    }

    async fn cookie(&self, headers: &HeaderMap, now: u64) -> Result<CurrentUser, AppError> {
        let mut outcome = Outcome::default();
        if let Some(s) = &self.session {
            for token in cookies::values(headers, &s.cookie_name) {
                outcome.seen = true;
                match hs256::verify(token, s) {
                    Ok(user) => return Ok(user),
                    Err(e) => outcome.hs256(e),
                }
            }
        }
        if let Some(a) = &self.authjs {
            for name in a.cookie_names() {
                for token in cookies::assembled(headers, name) {
                    outcome.seen = true;
                    if let Some(user) =
                        outcome.claims("authjs", a.verify(&token, name, now), &self.rules)
                    {
                        return Ok(user);
                    }
                }
            }
        }
        if let Some(n) = &self.nextauth4 {
            for name in n.cookie_names() {
                for token in cookies::assembled(headers, name) {
                    outcome.seen = true;
                    if let Some(user) =
                        outcome.claims("nextauth4", n.verify(&token, now), &self.rules)
                    {
                        return Ok(user);
                    }
                }
            }
        }
        if let Some(c) = &self.clerk {
            for token in cookies::values(headers, clerk::COOKIE_NAME) {
                outcome.seen = true;
                if let Some(user) = outcome.claims("clerk", c.verify(token, now).await, &self.rules)
                {
                    return Ok(user);
                }
            }
        }
        if let Some((sb, name)) = &self.supabase {
            for value in supabase_cookies(headers, name.as_deref()) {
                outcome.seen = true;
                let Some(token) = supabase::access_token(&value) else {
                    outcome.invalid("supabase", "no access token in the auth cookie");
                    continue;
                };
                if let Some(user) =
                    outcome.claims("supabase", sb.verify(&token, now).await, &self.rules)
                {
                    return Ok(user);
                }
            }
        }
        if !outcome.seen {
            return Err(AppError::Unauthenticated("no session token"));
        }
        Err(outcome.into_error())
    }

    fn issuers(&self) -> impl Iterator<Item = (&'static str, &issuer::Issuer)> {
        [
            self.clerk.as_ref().map(|i| ("clerk", i)),
            self.supabase.as_ref().map(|(i, _)| ("supabase", i)),
            self.oidc.as_ref().map(|i| ("oidc", i)),
        ]
        .into_iter()
        .flatten()
    }
}

/// The Supabase auth cookie(s): the project's name when known, else any `sb-*-auth-token`.
fn supabase_cookies(headers: &HeaderMap, name: Option<&str>) -> Vec<String> {
    match name {
        Some(name) => cookies::assembled(headers, name),
        None => {
            let mut names: Vec<&str> = cookies::pairs(headers)
                .map(|(n, _)| {
                    n.rsplit_once('.')
                        .filter(|(_, i)| i.parse::<u32>().is_ok())
                        .map_or(n, |(b, _)| b)
                })
                .filter(|n| supabase::is_auth_cookie(n))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
                .into_iter()
                .flat_map(|n| cookies::assembled(headers, n))
                .collect()
        }
    }
}

/// What the modes tried said, so the answer is the right one: 503 only when no
/// mode could decide, our HS256 mode's own messages kept as they were.
#[derive(Default)]
struct Outcome {
    seen: bool,
    hs256: Option<AppError>,
    unavailable: Option<String>,
    refused: bool,
}

impl Outcome {
    fn hs256(&mut self, e: AppError) {
        tracing::debug!(mode = "hs256", reason = %e, "session token refused");
        self.hs256.get_or_insert(e);
    }

    fn invalid(&mut self, mode: &'static str, reason: &'static str) {
        tracing::info!(mode, reason, "session token refused");
        self.refused = true;
    }

    /// The user, when the mode accepted the token and its claims name a valid user.
    fn claims(
        &mut self,
        mode: &'static str,
        result: Result<Value, Failure>,
        rules: &IdentityRules,
    ) -> Option<CurrentUser> {
        match result {
            Ok(claims) => match claims::identity(&claims, rules) {
                Ok(user) => Some(user),
                Err(reason) => {
                    self.invalid(mode, reason);
                    None
                }
            },
            Err(Failure::Invalid(reason)) => {
                self.invalid(mode, reason);
                None
            }
            Err(Failure::Unavailable(e)) => {
                tracing::warn!(mode, error = %e, "no key to verify the session token with");
                self.unavailable.get_or_insert(e);
                None
            }
        }
    }

    /// A key that said no: 401. Otherwise a mode without keys: 503. Otherwise
    /// our HS256 mode's own answer, unchanged.
    fn into_error(self) -> AppError {
        if self.refused {
            return AppError::Unauthenticated(NOT_VALID);
        }
        match (self.unavailable, self.hs256) {
            (Some(e), _) => AppError::Unavailable(anyhow::anyhow!("sign-in keys unavailable: {e}")),
            (None, Some(e)) => e,
            (None, None) => AppError::Unauthenticated(NOT_VALID),
        }
    }
}

/// The token from `Authorization: Bearer`, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    let (scheme, token) = auth.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The token from `Authorization: Bearer`, or else the first session cookie.
pub fn token_from_headers<'a>(headers: &'a HeaderMap, cookie_name: &'a str) -> Option<&'a str> {
    bearer_token(headers).or_else(|| cookies::values(headers, cookie_name).next())
}

/// Our HS256 mode alone (no other mode configured): a Bearer token decides
/// alone; otherwise every cookie of the session name is tried, so a junk or
/// planted cookie of the same name (a sibling subdomain can set one) does not
/// shadow the real session.
pub fn authenticate(headers: &HeaderMap, session: &SessionConfig) -> Result<CurrentUser, AppError> {
    if let Some(token) = bearer_token(headers) {
        return verify(token, session);
    }
    let mut first_error = None;
    for token in cookies::values(headers, &session.cookie_name) {
        match verify(token, session) {
            Ok(user) => return Ok(user),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(AppError::Unauthenticated("no session token")))
}
/// Display names and roles are shown to other members; longer claims are cut.
pub(crate) const MAX_NAME_CHARS: usize = 100;
pub(crate) const MAX_ROLE_CHARS: usize = 32;

/// Shown to other members as is: no control characters, and no bidirectional
/// overrides or zero-width characters that would make it display as another name.
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !crate::domain::is_invisible_format(*c))
        .collect::<String>()
        .trim()
        .chars()
        .take(max)
        .collect()
}

pub(crate) fn user_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse("sub", raw).map_err(|_| {
        AppError::Unauthenticated("the session token's subject is not a valid user id")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn session() -> SessionConfig {
        SessionConfig::new(b"0123456789abcdef0123456789abcdef".to_vec(), "session")
    }

    fn valid() -> String {
        let exp = hs256::tests::now() + 60;
        let claims = Claims {
            sub: "u_alice".into(),
            exp,
            name: None,
            role: None,
        };
        issue(&claims, &session().secret).unwrap()
    }

    #[test]
    fn names_lose_bidi_overrides_and_zero_width_characters() {
        assert_eq!(
            clip(
                "\u{200B} Ms\u{2060} Smith \u{202E}rehcaeT\u{202C}\u{FEFF}",
                100
            ),
            "Ms Smith rehcaeT"
        );
        assert_eq!(clip("stu\u{200D}dent", 32), "student");
        assert_eq!(clip("\u{2066}\u{200B}\u{2069}", 100), "");
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; session=cookie-token"),
        );
        assert_eq!(token_from_headers(&h, "session"), Some("cookie-token"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer header-token"),
        );
        assert_eq!(token_from_headers(&h, "session"), Some("header-token"));
    }

    #[test]
    fn a_junk_cookie_of_the_same_name_does_not_shadow_the_valid_one() {
        let mut h = HeaderMap::new();
        let cookie = format!("session=junk; session={}", valid());
        h.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert_eq!(authenticate(&h, &session()).unwrap().id.as_str(), "u_alice");
        // Order does not matter, nor a second Cookie header.
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("session={}", valid())).unwrap(),
        );
        h.append(header::COOKIE, HeaderValue::from_static("session=junk"));
        assert!(authenticate(&h, &session()).is_ok());
    }

    #[test]
    fn a_bad_bearer_is_final_even_with_a_valid_cookie() {
        let mut h = HeaderMap::new();
        let cookie = format!("session={}", valid());
        h.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer junk"),
        );
        assert!(authenticate(&h, &session()).is_err());
    }
}
