//! Our own session token: an HS256 JWT the Next.js app signs with `SESSION_SECRET`.

use super::{CurrentUser, MAX_NAME_CHARS, MAX_ROLE_CHARS, clip, user_id};
use crate::config::SessionConfig;
use crate::error::AppError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

fn validation(session: &SessionConfig) -> Validation {
    // Pinned to HS256: `none` and every other algorithm are refused by the crate.
    let mut v = Validation::new(Algorithm::HS256);
    let mut required = vec!["exp", "sub"];
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = 5;
    // Without an audience, any token signed with the secret is a session (as
    // before); with one, a token minted for another purpose is refused.
    if let Some(aud) = &session.audience {
        v.set_audience(&[aud]);
        required.push("aud");
    }
    if let Some(iss) = &session.issuer {
        v.set_issuer(&[iss]);
        required.push("iss");
    }
    v.set_required_spec_claims(&required);
    v
}

pub fn verify(token: &str, session: &SessionConfig) -> Result<CurrentUser, AppError> {
    let key = DecodingKey::from_secret(&session.secret);
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation(session)).map_err(|e| {
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
    Ok(CurrentUser {
        id: user_id(&claims.sub)?,
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

/// Issues a token as the Next.js app would (tests use it).
pub fn issue(claims: &Claims, secret: &[u8]) -> Result<String, AppError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(AppError::internal)
}

/// Issues a token this configuration accepts: with its audience and issuer (the dev login).
pub fn issue_session(claims: &Claims, session: &SessionConfig) -> Result<String, AppError> {
    let mut payload = serde_json::to_value(claims).map_err(AppError::internal)?;
    if let Some(aud) = &session.audience {
        payload["aud"] = aud.as_str().into();
    }
    if let Some(iss) = &session.issuer {
        payload["iss"] = iss.as_str().into();
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &payload,
        &EncodingKey::from_secret(&session.secret),
    )
    .map_err(AppError::internal)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn session() -> SessionConfig {
        SessionConfig::new(b"0123456789abcdef0123456789abcdef".to_vec(), "session")
    }

    pub(crate) fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn sign(payload: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &payload,
            &EncodingKey::from_secret(&session().secret),
        )
        .unwrap()
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
    fn a_token_not_yet_valid_is_refused() {
        let later = sign(json!({"sub": "u_a", "exp": now() + 3600, "nbf": now() + 600}));
        assert!(verify(&later, &session()).is_err());
        let now_valid = sign(json!({"sub": "u_a", "exp": now() + 3600, "nbf": now() - 1}));
        assert!(verify(&now_valid, &session()).is_ok());
    }

    #[test]
    fn with_an_audience_and_issuer_a_token_must_carry_both() {
        let mut s = session();
        s.audience = Some("messaging".into());
        s.issuer = Some("https://app.example".into());
        let exp = now() + 60;
        let verify_link = sign(json!({"sub": "u_a", "exp": exp, "typ": "email-verify"}));
        assert!(verify(&verify_link, &s).is_err(), "no aud: refused");
        let other_aud =
            sign(json!({"sub": "u_a", "exp": exp, "aud": "email", "iss": "https://app.example"}));
        assert!(verify(&other_aud, &s).is_err(), "another audience");
        let other_iss = sign(
            json!({"sub": "u_a", "exp": exp, "aud": "messaging", "iss": "https://evil.example"}),
        );
        assert!(verify(&other_iss, &s).is_err(), "another issuer");
        let good = sign(
            json!({"sub": "u_a", "exp": exp, "aud": "messaging", "iss": "https://app.example"}),
        );
        assert!(verify(&good, &s).is_ok());
        // The dev login's tokens carry what the configuration asks for.
        let claims = Claims {
            sub: "u_a".into(),
            exp,
            name: None,
            role: None,
        };
        assert!(verify(&issue_session(&claims, &s).unwrap(), &s).is_ok());
        // Without an audience configured, nothing changes.
        assert!(verify(&verify_link, &session()).is_ok());
    }
}
