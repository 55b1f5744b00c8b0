//! POST /api/messages/react and reaction-updated.

use crate::support::{TestApp, assert_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn react(
    t: &TestApp,
    user: &str,
    message: &Value,
    emoji: &str,
    action: &str,
) -> (StatusCode, Value) {
    t.post(
        "/api/messages/react",
        Some(user),
        json!({"message_id": message["id"], "emoji": emoji, "action": action}),
    )
    .await
}

#[tokio::test]
async fn reactions_are_added_removed_broadcast_and_shown_in_history() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "good news").await["message"].clone();
    let mut alice = t
        .subscriber("u_alice", &format!("private-conversation-{c}"))
        .await;
    let (s, b) = react(&t, "u_bob", &m, "👍", "add").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let expected = json!([{"emoji": "👍", "count": 1, "user_ids": ["u_bob"]}]);
    assert_eq!(b, json!({"message_id": m["id"], "reactions": expected}));
    assert_eq!(
        alice.expect("reaction-updated").await.data_json(),
        json!({"message_id": m["id"], "seq": 1, "reactions": expected})
    );
    // Twice is not an error and changes nothing.
    let (s, b) = react(&t, "u_bob", &m, "👍", "add").await;
    assert_eq!((s, &b["reactions"]), (StatusCode::OK, &expected));
    react(&t, "u_alice", &m, "👍", "add").await;
    react(&t, "u_alice", &m, "🎉", "add").await;
    let (_, h) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_bob"),
        )
        .await;
    assert_eq!(
        h["messages"][0]["reactions"],
        json!([
            {"emoji": "👍", "count": 2, "user_ids": ["u_bob", "u_alice"]},
            {"emoji": "🎉", "count": 1, "user_ids": ["u_alice"]}
        ])
    );
    let (s, b) = react(&t, "u_bob", &m, "👍", "remove").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        b["reactions"][0],
        json!({"emoji": "👍", "count": 1, "user_ids": ["u_alice"]})
    );
    let (s, _) = react(&t, "u_bob", &m, "👍", "remove").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn the_contracts_limits_hold() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "react to me").await["message"].clone();
    for i in 0..20 {
        let (s, b) = react(&t, "u_bob", &m, &format!("e{i}"), "add").await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = react(&t, "u_alice", &m, "e20", "add").await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    // An existing emoji can still be added by someone else.
    let (s, _) = react(&t, "u_alice", &m, "e3", "add").await;
    assert_eq!(s, StatusCode::OK);
    for (emoji, action) in [
        ("", "add"),
        ("a b", "add"),
        ("\u{7}", "add"),
        (&"x".repeat(33)[..], "add"),
        ("ok", "toggle"),
    ] {
        let (s, b) = react(&t, "u_alice", &m, emoji, action).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    }
    t.login("u_eve").await;
    let (s, b) = react(&t, "u_eve", &m, "👀", "add").await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = react(&t, "u_alice", &json!({"id": 987654}), "👀", "add").await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn concurrent_adds_and_removes_by_several_users_stay_consistent() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "race").await["message"].clone();
    let calls = (0..40).map(|i| {
        let user = if i % 2 == 0 { "u_alice" } else { "u_bob" };
        let action = if i % 4 < 2 { "add" } else { "remove" };
        react(&t, user, &m, "🔥", action)
    });
    futures_util::future::join_all(calls).await;
    let (_, b) = react(&t, "u_alice", &m, "🔥", "add").await;
    let rows = t.sql_one_i64("SELECT count(*) FROM reactions").await;
    let reported: i64 = b["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .sum();
    assert_eq!(rows, reported);
    assert!(
        b["reactions"][0]["user_ids"]
            .as_array()
            .unwrap()
            .contains(&json!("u_alice"))
    );
}
