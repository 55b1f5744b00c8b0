//! POST /api/conversations/leave: a member leaves, two-person conversations included.

use crate::support::{TestApp, assert_error};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn after_leaving_history_send_and_channel_auth_are_closed_and_the_list_forgets_it() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.send("u_bob", c, "hello").await;
    let mut alice = t.subscriber("u_alice", "private-user-u_alice").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let (s, b) = t
        .post(
            "/api/conversations/leave",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"conversation_id": c, "left": true}));
    assert_eq!(
        alice.expect("membership-updated").await.data_json(),
        json!({"conversation_id": c, "left": true, "muted": false})
    );
    assert_eq!(
        bob.expect("member-left").await.data_json(),
        json!({"conversation_id": c, "user_id": "u_alice"})
    );

    let (s, b) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_alice"),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "still here?"}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    for channel in [
        format!("private-conversation-{c}"),
        format!("presence-conversation-{c}"),
    ] {
        let (s, b) = t.channel_auth("u_alice", "123.456", &channel).await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    }
    let (_, list) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(list["conversations"], json!([]));
    // Bob keeps the conversation, now with only himself in it, and its title is still Alice's name.
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    let conv = &list["conversations"][0];
    assert_eq!(conv["id"], c);
    assert_eq!(conv["title"], "Alice");
    let members: Vec<_> = conv["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(members, vec![json!("u_bob")]);
    // Leaving twice, or a conversation one was never in, is the same 404.
    let (s, b) = t
        .post(
            "/api/conversations/leave",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = t
        .post(
            "/api/conversations/leave",
            Some("u_alice"),
            json!({"conversation_id": 999_999}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = t
        .post("/api/conversations/leave", Some("u_alice"), json!({}))
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    // The history of the membership is kept.
    assert_eq!(
        t.sql_one_i64("SELECT count(*) FROM former_members WHERE user_id = 'u_alice'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_other_side_cannot_pull_a_leaver_back_but_the_leaver_may_return() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.send("u_bob", c, "one").await;
    t.post(
        "/api/messages/read",
        Some("u_alice"),
        json!({"conversation_id": c, "seq": 1}),
    )
    .await;
    let (s, _) = t
        .post(
            "/api/conversations/leave",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    t.send("u_bob", c, "two").await;
    // Bob asking for the pair again finds his conversation, without Alice in it.
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_bob"),
            json!({"member_ids": ["u_alice"]}),
        )
        .await;
    assert_eq!(
        (s, b["conversation"]["id"].as_i64()),
        (StatusCode::OK, Some(c))
    );
    assert_eq!(b["conversation"]["members"].as_array().unwrap().len(), 1);
    // Alice asking for it is consent: she is back, where she had read up to.
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["conversation"]["id"], c);
    assert_eq!(b["conversation"]["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            b["conversation"]["last_read_seq"].as_i64(),
            b["conversation"]["unread_count"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_member_leaves_a_group_and_the_others_carry_on() {
    let t = TestApp::start().await;
    for u in ["u_alice", "u_bob", "u_eve"] {
        t.login(u).await;
    }
    let (_, g) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob", "u_eve"]}),
        )
        .await;
    let g = g["conversation"]["id"].as_i64().unwrap();
    let (s, _) = t
        .post(
            "/api/conversations/leave",
            Some("u_eve"),
            json!({"conversation_id": g}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    t.send("u_bob", g, "without eve").await;
    let (_, list) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(
        list["conversations"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, eve) = t.get("/api/conversations", Some("u_eve")).await;
    assert_eq!(eve["conversations"], json!([]));
}
