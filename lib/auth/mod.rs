//! The caller's credentials -> the current user.
//!
//! - [`hs256`]: our own HS256 session token (`SESSION_SECRET`), Bearer or cookie.
//! - [`cookies`]: reading every cookie of a name from the `Cookie` headers.

pub mod cookies;
pub mod hs256;

pub use hs256::{Claims, issue, issue_session, verify};

use crate::config::SessionConfig;
use crate::domain::UserId;
use crate::error::AppError;
use http::{HeaderMap, header};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: Option<String>,
    pub role: Option<String>,
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

/// A Bearer token decides alone. Otherwise every cookie of the session name is
/// tried, so a junk or planted cookie of the same name (a sibling subdomain can
/// set one) does not shadow the real session.
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

pub(crate) fn clip(s: &str, max: usize) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control())
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
