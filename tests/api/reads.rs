//! POST /api/messages/read and the messages-read event.

use crate::support::{TestApp, assert_error, expect_silence};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn reading_moves_forward_only_is_capped_and_broadcasts() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    for i in 0..5 {
        t.send("u_alice", c, &format!("m{i}")).await;
    }
    let mut alice = t
        .subscriber("u_alice", &format!("private-conversation-{c}"))
        .await;
    let read = |seq: i64| {
        t.post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": seq}),
        )
    };
    let (s, b) = read(3).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"conversation_id": c, "last_read_seq": 3, "unread_count": 2})
    );
    assert_eq!(
        alice.expect("messages-read").await.data_json(),
        json!({"user_id": "u_bob", "last_read_seq": 3})
    );
    let (_, b) = read(1).await;
    assert_eq!(
        b,
        json!({"conversation_id": c, "last_read_seq": 3, "unread_count": 2})
    );
    let (_, b) = read(99).await;
    assert_eq!(
        b,
        json!({"conversation_id": c, "last_read_seq": 5, "unread_count": 0})
    );
    // The event after the backwards call is the capped forward move: no event for the no-op.
    assert_eq!(
        alice.expect("messages-read").await.data_json()["last_read_seq"],
        5
    );
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    assert_eq!(
        (
            list["conversations"][0]["last_read_seq"].as_i64(),
            list["conversations"][0]["unread_count"].as_i64()
        ),
        (Some(5), Some(0))
    );
    // The sender sees how far the other member has read (for "Seen" after a reload).
    let (_, list) = t.get("/api/conversations", Some("u_alice")).await;
    let members = list["conversations"][0]["members"].as_array().unwrap();
    let bob = members.iter().find(|m| m["id"] == "u_bob").unwrap();
    assert_eq!(bob["last_read_seq"], 5);
}

#[tokio::test]
async fn the_readers_own_tab_does_not_receive_its_read_receipt() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.send("u_alice", c, "hello").await;
    let channel = format!("private-conversation-{c}");
    let mut alice = t.subscriber("u_alice", &channel).await;
    let mut bob = t.subscriber("u_bob", &channel).await;
    let (s, b) = t
        .post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": 1, "socket_id": bob.socket_id.as_str()}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        alice.expect("messages-read").await.data_json(),
        json!({"user_id": "u_bob", "last_read_seq": 1})
    );
    // Its read call answered it already: one Pusher message fewer per read.
    expect_silence(&mut bob, std::time::Duration::from_millis(300)).await;
    let (s, b) = t
        .post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": 1, "socket_id": "12"}),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
}

#[tokio::test]
async fn with_the_lean_event_set_a_group_read_receipt_goes_to_the_author_of_the_message_read_only()
{
    let t = TestApp::start_configured(|c| c.events = messaging::realtime::EventSet::Lean).await;
    for u in ["u_alice", "u_bob", "u_carol"] {
        t.login(u).await;
    }
    let (s, g) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob", "u_carol"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let c = g["conversation"]["id"].as_i64().unwrap();
    t.send("u_alice", c, "hello both").await;
    let mut alice = t.subscriber("u_alice", "private-user-u_alice").await;
    let mut carol = t
        .subscriber("u_carol", &format!("private-conversation-{c}"))
        .await;
    let (s, b) = t
        .post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        alice.expect("messages-read").await.data_json(),
        json!({"conversation_id": c, "user_id": "u_bob", "last_read_seq": 1})
    );
    // Carol has no "Seen" to move: 1 + 1 counted messages, not 1 + every open tab.
    expect_silence(&mut carol, std::time::Duration::from_millis(300)).await;
}

#[tokio::test]
async fn read_positions_never_move_backwards_under_concurrent_calls() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    for i in 0..30 {
        t.send("u_alice", c, &format!("m{i}")).await;
    }
    let calls = (1..=30).rev().chain(1..=30).map(|seq| {
        t.post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": seq}),
        )
    });
    for (s, _) in futures_util::future::join_all(calls).await {
        assert_eq!(s, StatusCode::OK);
    }
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    assert_eq!(list["conversations"][0]["last_read_seq"], 30);
}

#[tokio::test]
async fn non_members_and_bad_fields_are_refused() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.login("u_eve").await;
    let (s, b) = t
        .post(
            "/api/messages/read",
            Some("u_eve"),
            json!({"conversation_id": c, "seq": 1}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    for (body, field) in [
        (json!({"conversation_id": c}), "seq"),
        (json!({"conversation_id": c, "seq": -1}), "seq"),
        (json!({"seq": 1}), "conversation_id"),
    ] {
        let (s, b) = t.post("/api/messages/read", Some("u_bob"), body).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        assert!(b["error"]["message"].as_str().unwrap().contains(field));
    }
}

#[tokio::test]
async fn with_the_contract_event_set_a_group_read_receipt_goes_to_the_conversation_channel() {
    let t = TestApp::start().await;
    for u in ["u_alice", "u_bob", "u_carol"] {
        t.login(u).await;
    }
    let (s, g) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob", "u_carol"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let c = g["conversation"]["id"].as_i64().unwrap();
    t.send("u_alice", c, "hello both").await;
    let mut carol = t
        .subscriber("u_carol", &format!("private-conversation-{c}"))
        .await;
    let (s, b) = t
        .post(
            "/api/messages/read",
            Some("u_bob"),
            json!({"conversation_id": c, "seq": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        carol.expect("messages-read").await.data_json(),
        json!({"user_id": "u_bob", "last_read_seq": 1})
    );
}
