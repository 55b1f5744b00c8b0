//! POST /api/messages/send

use crate::support::{TestApp, assert_error, expect_silence};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn send_stores_the_message_and_reports_it_sent() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let (status, body) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "Can we move our session to 4pm?", "client_message_id": "c1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["delivery"], "sent");
    let m = &body["message"];
    assert_eq!(m["conversation_id"], c);
    assert_eq!(m["seq"], 1);
    assert_eq!(
        m["sender"],
        json!({"id": "u_alice", "name": "Alice", "role": "student"})
    );
    assert_eq!(m["body"], "Can we move our session to 4pm?");
    assert_eq!(m["client_message_id"], "c1");
    assert_eq!(m["reactions"], json!([]));
    let created = m["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    // Sending moves the sender's own read position.
    let (_, list) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(list["conversations"][0]["last_read_seq"], 1);
    assert_eq!(list["conversations"][0]["unread_count"], 0);
}

#[tokio::test]
async fn client_message_id_is_null_when_not_given_and_seqs_count_up() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let first = t.send("u_alice", c, "one").await;
    let second = t.send("u_bob", c, "two").await;
    assert!(first["message"]["client_message_id"].is_null());
    assert_eq!(first["message"]["seq"], 1);
    assert_eq!(second["message"]["seq"], 2);
}

#[tokio::test]
async fn an_idempotent_replay_answers_200_with_the_original_and_no_second_event() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let req = json!({"conversation_id": c, "body": "hi", "client_message_id": "same-key"});
    let (s1, first) = t
        .post("/api/messages/send", Some("u_alice"), req.clone())
        .await;
    let (s2, second) = t.post("/api/messages/send", Some("u_alice"), req).await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(first["message"], second["message"]);
    assert_eq!(second["delivery"], "sent");
    assert_eq!(
        bob.expect("new-message").await.data_json()["id"],
        first["message"]["id"]
    );
    // The first send's own read position travels with it; the replay sends nothing.
    assert_eq!(
        bob.expect("messages-read").await.data_json()["last_read_seq"],
        1
    );
    expect_silence(&mut bob, std::time::Duration::from_millis(500)).await;
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 1);
}

#[tokio::test]
async fn the_same_key_from_another_sender_is_another_message() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let body = |_: &str| json!({"conversation_id": c, "body": "hi", "client_message_id": "k"});
    let (a, _) = t
        .post("/api/messages/send", Some("u_alice"), body("a"))
        .await;
    let (b, _) = t.post("/api/messages/send", Some("u_bob"), body("b")).await;
    assert_eq!((a, b), (StatusCode::CREATED, StatusCode::CREATED));
}

#[tokio::test]
async fn send_returns_404_to_a_non_member_and_for_an_unknown_conversation() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.login("u_eve").await;
    let (s, b) = t
        .post(
            "/api/messages/send",
            Some("u_eve"),
            json!({"conversation_id": c, "body": "x"}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b2) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": 999_999, "body": "x"}),
        )
        .await;
    assert_error(s, &b2, StatusCode::NOT_FOUND, "not_found");
    // Never reveal which: both answers are the same.
    assert_eq!(b, b2);
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 0);
}

#[tokio::test]
async fn invalid_fields_are_refused_naming_the_field() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let cases = [
        (json!({"body": "x"}), "conversation_id"),
        (
            json!({"conversation_id": "7", "body": "x"}),
            "conversation_id",
        ),
        (
            json!({"conversation_id": 0, "body": "x"}),
            "conversation_id",
        ),
        (json!({"conversation_id": c}), "body"),
        (json!({"conversation_id": c, "body": ""}), "body"),
        (json!({"conversation_id": c, "body": " \n\t "}), "body"),
        (
            json!({"conversation_id": c, "body": "é".repeat(4001)}),
            "body",
        ),
        (json!({"conversation_id": c, "body": 5}), "body"),
        (
            json!({"conversation_id": c, "body": "x", "client_message_id": "has space"}),
            "client_message_id",
        ),
        (
            json!({"conversation_id": c, "body": "x", "client_message_id": "a".repeat(65)}),
            "client_message_id",
        ),
        (
            json!({"conversation_id": c, "body": "x", "socket_id": "1234"}),
            "socket_id",
        ),
        (
            json!({"conversation_id": c, "body": "x", "socket_id": "1.2\n"}),
            "socket_id",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = t
            .post("/api/messages/send", Some("u_alice"), body.clone())
            .await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        let msg = b["error"]["message"].as_str().unwrap();
        assert!(msg.contains(field), "{body} -> {msg}");
    }
    let (s, _) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "é".repeat(4000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 1);
}
