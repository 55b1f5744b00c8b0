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
    assert_eq!(
        b,
        json!({"message_id": m["id"], "reactions": expected, "version": 1})
    );
    assert_eq!(
        alice.expect("reaction-updated").await.data_json(),
        json!({"message_id": m["id"], "seq": 1, "reactions": expected, "version": 1})
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

#[tokio::test]
async fn every_change_to_a_reaction_set_gets_a_higher_version_and_no_change_keeps_it() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "versioned").await["message"].clone();
    assert_eq!(m["reactions_version"], 0);
    let mut alice = t
        .subscriber("u_alice", &format!("private-conversation-{c}"))
        .await;
    let steps = [
        ("u_bob", "👍", "add", 1),
        ("u_alice", "🎉", "add", 2),
        ("u_bob", "👍", "add", 2),
        ("u_bob", "👍", "remove", 3),
        ("u_bob", "👍", "remove", 3),
    ];
    let mut events = Vec::new();
    for (user, emoji, action, version) in steps {
        let (s, b) = react(&t, user, &m, emoji, action).await;
        assert_eq!((s, &b["version"]), (StatusCode::OK, &json!(version)), "{b}");
        events.push(b);
    }
    // One event per change, each carrying the list and the version it belongs to.
    for expected in [&events[0], &events[1], &events[3]] {
        let event = alice.expect("reaction-updated").await.data_json();
        assert_eq!(
            (&event["version"], &event["reactions"]),
            (&expected["version"], &expected["reactions"])
        );
    }
    let (_, h) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_bob"),
        )
        .await;
    assert_eq!(h["messages"][0]["reactions_version"], 3);
}

#[tokio::test]
async fn concurrent_changes_get_distinct_versions_and_the_highest_has_the_final_list() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "race").await["message"].clone();
    let emoji: Vec<String> = (0..12).map(|i| format!("e{i}")).collect();
    let calls = emoji.iter().enumerate().map(|(i, e)| {
        let user = if i % 2 == 0 { "u_alice" } else { "u_bob" };
        react(&t, user, &m, e, "add")
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut versions: Vec<i64> = answers
        .iter()
        .map(|(_, b)| b["version"].as_i64().unwrap_or(0))
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=12).collect::<Vec<_>>());
    // Each answer's list has exactly as many emoji as its version: versions order the lists.
    for (_, b) in &answers {
        assert_eq!(
            b["reactions"].as_array().map(Vec::len),
            b["version"].as_u64().map(|v| v as usize)
        );
    }
}
