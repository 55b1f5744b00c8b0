//! What schemathesis found when it fuzzed the API from `openapi.yaml`: each
//! case failed before its fix.

use crate::support::{TestApp, assert_error, read};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::json;

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn nul_in_any_text_field_is_a_400_naming_the_field_on_every_route() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let sent = t.send("u_alice", c, "hello").await;
    let m = sent["message"]["id"].as_i64().unwrap();
    let cases = [
        (
            "/api/messages/send",
            json!({"conversation_id": c, "body": "a\u{0}b"}),
            "body",
        ),
        (
            "/api/messages/send",
            json!({"conversation_id": c, "body": "ok", "client_message_id": "k\u{0}"}),
            "client_message_id",
        ),
        (
            "/api/messages/send",
            json!({"conversation_id": c, "body": "ok", "socket_id": "1.\u{0}"}),
            "socket_id",
        ),
        (
            "/api/conversations",
            json!({"member_ids": ["u_bob\u{0}"]}),
            "member_ids",
        ),
        (
            "/api/conversations",
            json!({"member_ids": ["u_bob"], "title": "x\u{0}"}),
            "title",
        ),
        (
            "/api/messages/react",
            json!({"message_id": m, "emoji": "\u{0}", "action": "add"}),
            "emoji",
        ),
        (
            "/api/messages/react",
            json!({"message_id": m, "emoji": "x", "action": "add\u{0}"}),
            "action",
        ),
        (
            "/api/messages/typing",
            json!({"conversation_id": c, "socket_id": "\u{0}"}),
            "socket_id",
        ),
    ];
    for (path, body, field) in cases {
        let (status, resp) = t.post(path, Some("u_alice"), body.clone()).await;
        assert_error(status, &resp, StatusCode::BAD_REQUEST, "validation_failed");
        let text = resp["error"]["message"].as_str().unwrap();
        assert!(text.contains(field), "{path} {body}: {text}");
    }
    let (status, resp) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}&before=%00"),
            Some("u_alice"),
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "validation_failed");
    // Nothing was stored by the refused sends.
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 1);
}

#[tokio::test]
async fn integral_floats_are_accepted_where_integers_are() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let (status, body) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c as f64, "body": "float id"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let seq = body["message"]["seq"].as_i64().unwrap();
    let (status, body) = t
        .post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c as f64, "seq": seq as f64}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c as f64 + 0.5, "body": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_failed");
}

#[tokio::test]
async fn a_signed_webhook_that_is_not_json_is_400_invalid_json() {
    let t = TestApp::start().await;
    let body = "this is not json";
    let req = t
        .http
        .post(format!("{}/api/pusher/webhook", t.base))
        .header("content-type", "application/json")
        .header("x-pusher-key", &t.sockudo.key)
        .header("x-pusher-signature", sign(&t.sockudo.secret, body))
        .body(body);
    let (status, resp) = read(req.send().await.unwrap()).await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "invalid_json");
    // The same body unsigned is still 401: the signature comes first.
    let req = t
        .http
        .post(format!("{}/api/pusher/webhook", t.base))
        .header("content-type", "application/json")
        .header("x-pusher-key", &t.sockudo.key)
        .header("x-pusher-signature", "00")
        .body(body);
    let (status, resp) = read(req.send().await.unwrap()).await;
    assert_error(status, &resp, StatusCode::UNAUTHORIZED, "unauthenticated");
}
