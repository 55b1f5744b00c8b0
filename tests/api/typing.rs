//! POST /api/messages/typing and client-typing through our channel auth.

use crate::support::{TestApp, assert_error, expect_silence};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_burst_of_50_typing_calls_sends_one_event() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let calls = (0..50).map(|_| {
        t.post(
            "/api/messages/typing",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )
    });
    for (s, b) in futures_util::future::join_all(calls).await {
        assert_eq!((s, b), (StatusCode::ACCEPTED, json!({})));
    }
    assert_eq!(
        bob.expect("typing").await.data_json(),
        json!({"user_id": "u_alice", "name": "Alice"})
    );
    expect_silence(&mut bob, Duration::from_millis(700)).await;
    // After the 2 s window, the next call sends again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (s, _) = t
        .post(
            "/api/messages/typing",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(bob.expect("typing").await.data_json()["user_id"], "u_alice");
}

#[tokio::test]
async fn typing_excludes_the_given_socket_and_refuses_non_members() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("private-conversation-{c}");
    let mut alice = t.subscriber("u_alice", &channel).await;
    let mut bob = t.subscriber("u_bob", &channel).await;
    let (s, _) = t
        .post(
            "/api/messages/typing",
            Some("u_alice"),
            json!({"conversation_id": c, "socket_id": alice.socket_id.as_str()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    bob.expect("typing").await;
    expect_silence(&mut alice, Duration::from_millis(400)).await;
    t.login("u_eve").await;
    let (s, b) = t
        .post(
            "/api/messages/typing",
            Some("u_eve"),
            json!({"conversation_id": c}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn client_typing_events_pass_between_members_on_the_authorized_channel() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("private-conversation-{c}");
    let mut alice = t.subscriber("u_alice", &channel).await;
    let mut bob = t.subscriber("u_bob", &channel).await;
    alice
        .send(json!({"event": "client-typing", "channel": channel, "data": {"user_id": "u_alice", "name": "Alice"}}))
        .await;
    let frame = bob.expect("client-typing").await;
    assert_eq!(
        frame.data_json(),
        json!({"user_id": "u_alice", "name": "Alice"})
    );
}
