//! GET and POST /api/conversations

use crate::support::{TestApp, assert_error};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn creating_a_two_person_conversation_twice_returns_the_existing_one() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    t.login("u_bob").await;
    let (s1, b1) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob"], "title": "Maths"}),
        )
        .await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    let conv = &b1["conversation"];
    // A two-person conversation shows the other person's name, not a title its creator chose.
    assert_eq!(conv["title"], "Bob");
    assert_eq!(conv["muted"], false);
    assert_eq!(conv["last_message"], serde_json::Value::Null);
    assert_eq!(conv["last_read_seq"], 0);
    assert_eq!(conv["unread_count"], 0);
    let ids: Vec<_> = conv["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"u_alice".into()) && ids.contains(&"u_bob".into()));
    for m in conv["members"].as_array().unwrap() {
        assert_eq!(m["online"], false);
        assert!(m["last_seen_at"].is_null());
    }
    // From the other side, with the caller's own id and a repeat thrown in.
    let (s2, b2) = t
        .post(
            "/api/conversations",
            Some("u_bob"),
            json!({"member_ids": ["u_alice", "u_bob", "u_alice"]}),
        )
        .await;
    assert_eq!(s2, StatusCode::OK, "{b2}");
    assert_eq!(b2["conversation"]["id"], conv["id"]);
}

#[tokio::test]
async fn a_group_is_created_and_the_list_shows_unread_counts_newest_first() {
    let t = TestApp::start().await;
    for u in ["u_alice", "u_bob", "u_eve"] {
        t.login(u).await;
    }
    let (s, g) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob", "u_eve"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let group = g["conversation"]["id"].as_i64().unwrap();
    assert_eq!(g["conversation"]["members"].as_array().unwrap().len(), 3);
    let direct = t.conversation("u_alice", "u_bob").await;
    t.send("u_bob", group, "one").await;
    t.send("u_bob", group, "two").await;
    t.send("u_bob", direct, "three").await;
    let (s, list) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(s, StatusCode::OK);
    let convs = list["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    assert_eq!(convs[0]["id"], direct);
    assert_eq!(convs[0]["unread_count"], 1);
    assert_eq!(convs[0]["last_message"]["body"], "three");
    assert_eq!(convs[1]["id"], group);
    assert_eq!(convs[1]["unread_count"], 2);
    assert_eq!(convs[1]["last_message"]["seq"], 2);
    let (_, eve) = t.get("/api/conversations", Some("u_eve")).await;
    assert_eq!(eve["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_and_invalid_members_are_refused_naming_them() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_nobody"]}),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("u_nobody"),
        "{b}"
    );
    let too_many: Vec<String> = (0..50).map(|i| format!("u_{i}")).collect();
    for body in [
        json!({"member_ids": ["u_alice"]}),
        json!({"member_ids": []}),
        json!({"member_ids": "u_bob"}),
        json!({"member_ids": ["bad id"]}),
        json!({"member_ids": too_many}),
        json!({}),
    ] {
        let (s, b) = t
            .post("/api/conversations", Some("u_alice"), body.clone())
            .await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("member_ids"),
            "{body}: {b}"
        );
    }
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM conversations").await, 0);
}

#[tokio::test]
async fn concurrent_creates_of_the_same_pair_yield_one_conversation() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    t.login("u_bob").await;
    let calls = (0..10).map(|i| {
        let (me, other) = if i % 2 == 0 {
            ("u_alice", "u_bob")
        } else {
            ("u_bob", "u_alice")
        };
        t.post(
            "/api/conversations",
            Some(me),
            json!({"member_ids": [other]}),
        )
    });
    let results = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<_> = results
        .iter()
        .map(|(_, b)| b["conversation"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        1
    );
}
