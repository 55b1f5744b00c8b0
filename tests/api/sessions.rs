//! Identity: the session token from the bearer header or the cookie.

use crate::support::{SESSION_SECRET, TestApp, assert_error, now_secs, read};
use messaging::auth::Claims;
use reqwest::StatusCode;
use serde_json::json;

async fn status_with_token(t: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    read(
        t.http
            .get(format!("{}/api/conversations", t.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn b64(v: &serde_json::Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn bad_tokens_get_401() {
    let t = TestApp::start().await;
    let claims = |exp: u64| Claims {
        sub: "u_alice".into(),
        exp,
        name: None,
        role: None,
    };
    let expired = t.token_with(&claims(now_secs() - 3600));
    let wrong_secret = messaging::auth::issue(
        &claims(now_secs() + 600),
        b"another-secret-another-secret-0123456",
    )
    .unwrap();
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&json!({"sub": "u_alice", "exp": now_secs() + 600}))
    );
    // Signed correctly with HS256 but without exp.
    let no_exp = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "u_alice"}),
        &jsonwebtoken::EncodingKey::from_secret(SESSION_SECRET),
    )
    .unwrap();
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &json!({"sub": "u_alice", "exp": now_secs() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(SESSION_SECRET),
    )
    .unwrap();
    let bad_sub = t.token_with(&Claims {
        sub: "not a valid id".into(),
        exp: now_secs() + 600,
        name: None,
        role: None,
    });
    for token in [
        expired,
        wrong_secret,
        none,
        no_exp,
        hs512,
        bad_sub,
        "garbage".into(),
    ] {
        let (s, b) = status_with_token(&t, &token).await;
        assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let (s, b) = t.get("/api/conversations", None).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn the_session_cookie_works_and_claims_keep_the_user_row_current() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let renamed = t.token_with(&Claims {
        sub: "u_alice".into(),
        exp: now_secs() + 600,
        name: Some("Alice Liddell".into()),
        role: Some("mentor".into()),
    });
    let req = t
        .http
        .get(format!("{}/api/conversations", t.base))
        .header("cookie", format!("theme=dark; session={renamed}"));
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    let members = list["conversations"][0]["members"].as_array().unwrap();
    let alice = members.iter().find(|m| m["id"] == "u_alice").unwrap();
    assert_eq!(
        (alice["name"].as_str(), alice["role"].as_str()),
        (Some("Alice Liddell"), Some("mentor"))
    );
    assert_eq!(list["conversations"][0]["id"], c);
}

#[tokio::test]
async fn a_junk_cookie_of_the_session_name_does_not_shadow_the_valid_one() {
    let t = TestApp::start().await;
    let token = t.token("u_alice");
    for cookie in [
        format!("session=junk; session={token}"),
        format!("session={token}; session=junk"),
        format!("theme=dark; session=; session={token}"),
    ] {
        let req = t
            .http
            .get(format!("{}/api/conversations", t.base))
            .header("cookie", cookie);
        let (s, b) = read(req.send().await.unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let req = t
        .http
        .get(format!("{}/api/conversations", t.base))
        .header("cookie", "session=junk; session=more-junk");
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_token_that_is_not_yet_valid_gets_401() {
    let t = TestApp::start().await;
    let sign = |nbf: u64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"sub": "u_alice", "exp": now_secs() + 3600, "nbf": nbf}),
            &jsonwebtoken::EncodingKey::from_secret(SESSION_SECRET),
        )
        .unwrap()
    };
    let (s, b) = status_with_token(&t, &sign(now_secs() + 600)).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, b) = status_with_token(&t, &sign(now_secs() - 1)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}
