//! The session token (an HS256 JWT issued by the Next.js app) -> the current user.

use crate::config::SessionConfig;
use crate::domain::{UserId, is_invisible_format};
use crate::error::AppError;
use http::{HeaderMap, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Display names and roles are shown to other members; longer claims are cut.
const MAX_NAME_CHARS: usize = 100;
const MAX_ROLE_CHARS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

fn validation() -> Validation {
    // Pinned to HS256: `none` and every other algorithm are refused by the crate.
    let mut v = Validation::new(Algorithm::HS256);
    v.set_required_spec_claims(&["exp", "sub"]);
    v.validate_exp = true;
    v.leeway = 5;
    v
}

/// The token from `Authorization: Bearer`, or else from the session cookie.
pub fn token_from_headers<'a>(headers: &'a HeaderMap, cookie_name: &str) -> Option<&'a str> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let mut parts = auth.splitn(2, ' ');
        if let (Some(scheme), Some(token)) = (parts.next(), parts.next()) {
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
                return Some(token.trim());
            }
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

pub fn verify(token: &str, session: &SessionConfig) -> Result<CurrentUser, AppError> {
    let key = DecodingKey::from_secret(&session.secret);
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation()).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::ExpiredSignature => AppError::Unauthenticated("the session has expired"),
            ErrorKind::MissingRequiredClaim(_) => {
                AppError::Unauthenticated("the session token lacks a required claim")
            }
            _ => AppError::Unauthenticated("the session token is not valid"),
        }
    })?;
    let claims = data.claims;
    let id = UserId::parse("sub", &claims.sub).map_err(|_| {
        AppError::Unauthenticated("the session token's subject is not a valid user id")
    })?;
    Ok(CurrentUser {
        id,
        name: claims
            .name
            .map(|n| clip(&n, MAX_NAME_CHARS))
            .filter(|n| !n.is_empty()),
        role: claims
            .role
            .map(|r| clip(&r, MAX_ROLE_CHARS))
            .filter(|r| !r.is_empty()),
    })
}

pub fn authenticate(headers: &HeaderMap, session: &SessionConfig) -> Result<CurrentUser, AppError> {
    let token = token_from_headers(headers, &session.cookie_name)
        .ok_or(AppError::Unauthenticated("no session token"))?;
    verify(token, session)
}

/// Issues a token as the Next.js app would (the dev login and tests use it).
pub fn issue(claims: &Claims, secret: &[u8]) -> Result<String, AppError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(AppError::internal)
}

/// Shown to other members as is: no control characters, and no bidirectional
/// overrides or zero-width characters that would make it display as another name.
fn clip(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect::<String>()
        .trim()
        .chars()
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn session() -> SessionConfig {
        SessionConfig {
            secret: b"0123456789abcdef0123456789abcdef".to_vec(),
            cookie_name: "session".into(),
        }
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    #[test]
    fn a_valid_token_yields_the_user() {
        let claims = Claims {
            sub: "u_alice".into(),
            exp: now() + 60,
            name: Some("Alice".into()),
            role: Some("student".into()),
        };
        let token = issue(&claims, &session().secret).unwrap();
        let user = verify(&token, &session()).unwrap();
        assert_eq!(user.id.as_str(), "u_alice");
        assert_eq!(user.name.as_deref(), Some("Alice"));
    }

    #[test]
    fn expired_wrong_secret_and_none_are_refused() {
        let expired = Claims {
            sub: "u".into(),
            exp: now() - 120,
            name: None,
            role: None,
        };
        let token = issue(&expired, &session().secret).unwrap();
        assert!(matches!(
            verify(&token, &session()),
            Err(AppError::Unauthenticated(_))
        ));
        let ok = Claims {
            sub: "u".into(),
            exp: now() + 60,
            name: None,
            role: None,
        };
        let token = issue(&ok, b"another-secret-another-secret-xx").unwrap();
        assert!(verify(&token, &session()).is_err());
        // {"alg":"none","typ":"JWT"} . {"sub":"u","exp":9999999999} . (no signature)
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1IiwiZXhwIjo5OTk5OTk5OTk5fQ.";
        assert!(verify(none, &session()).is_err());
    }

    #[test]
    fn names_lose_bidi_overrides_and_zero_width_characters() {
        let claims = Claims {
            sub: "u_mallory".into(),
            exp: now() + 60,
            name: Some("\u{200B} Ms\u{2060} Smith \u{202E}rehcaeT\u{202C}\u{FEFF}".into()),
            role: Some("stu\u{200D}dent".into()),
        };
        let token = issue(&claims, &session().secret).unwrap();
        let user = verify(&token, &session()).unwrap();
        assert_eq!(user.name.as_deref(), Some("Ms Smith rehcaeT"));
        assert_eq!(user.role.as_deref(), Some("student"));
        let only_invisible = Claims {
            name: Some("\u{2066}\u{200B}\u{2069}".into()),
            ..claims
        };
        let token = issue(&only_invisible, &session().secret).unwrap();
        assert_eq!(verify(&token, &session()).unwrap().name, None);
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
}
