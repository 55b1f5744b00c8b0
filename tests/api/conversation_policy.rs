//! Who may start a conversation with whom (CONVERSATION_POLICY), and how many per
//! period (RATE_LIMIT_CONVERSATION_CREATE).

use crate::support::{TestApp, assert_error};
use messaging::domain::ConversationPolicy;
use messaging::limits::{Action, Limit};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Alice and Eve are students, Bob is a teacher (see `support::TestApp::token`).
async fn school() -> TestApp {
    let t = TestApp::start_configured(|c| {
        c.conversations.policy =
            ConversationPolicy::parse("student>teacher,teacher>*").expect("policy");
    })
    .await;
    for u in ["u_alice", "u_bob", "u_eve"] {
        t.login(u).await;
    }
    t
}

#[tokio::test]
async fn under_the_school_policy_students_reach_teachers_and_teachers_anyone() {
    let t = school().await;
    let create = |me: &'static str, others: Vec<&'static str>| {
        t.post(
            "/api/conversations",
            Some(me),
            json!({ "member_ids": others }),
        )
    };
    let (s, b) = create("u_alice", vec!["u_bob"]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = create("u_bob", vec!["u_eve"]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = create("u_alice", vec!["u_eve"]).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    // One member the caller may not reach refuses the whole group.
    let (s, b) = create("u_alice", vec!["u_bob", "u_eve"]).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM conversations").await, 2);
}

#[tokio::test]
async fn under_a_policy_an_unknown_user_is_refused_exactly_like_a_disallowed_one() {
    let t = school().await;
    let (s1, disallowed) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_eve"]}),
        )
        .await;
    let (s2, unknown) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_nobody"]}),
        )
        .await;
    assert_error(s1, &disallowed, StatusCode::FORBIDDEN, "forbidden");
    assert_error(s2, &unknown, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        disallowed, unknown,
        "the answer must not tell which users exist"
    );
    // Malformed ids are still the caller's mistake, named as such.
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["bad id"]}),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
}

#[tokio::test]
async fn the_open_default_keeps_the_contract_for_unknown_members() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    t.login("u_eve").await;
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_eve"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "students may talk to students: {b}");
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_nobody"]}),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    assert!(b["error"]["message"].as_str().unwrap().contains("u_nobody"));
}

#[tokio::test]
async fn creating_past_the_quota_is_429_with_retry_after_and_finding_one_is_free() {
    let t = TestApp::start_configured(|c| {
        c.limits.set(
            Action::ConversationCreate,
            Some(Limit {
                max: 2,
                window: Duration::from_secs(600),
            }),
        );
    })
    .await;
    for u in ["u_alice", "u_bob", "u_eve"] {
        t.login(u).await;
    }
    let group = || {
        t.http
            .post(format!("{}/api/conversations", t.base))
            .bearer_auth(t.token("u_alice"))
            .json(&json!({"member_ids": ["u_bob", "u_eve"]}))
            .send()
    };
    assert_eq!(group().await.unwrap().status(), StatusCode::CREATED);
    let direct = t.conversation("u_alice", "u_bob").await;
    let limited = group().await.unwrap();
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    let (s, b) = crate::support::read(limited).await;
    assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Refused attempts are not counted, and nothing was created.
    assert_eq!(
        group().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM conversations").await, 2);
    // The existing two-person conversation is still found, and others have their own quota.
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob"]}),
        )
        .await;
    assert_eq!(
        (s, b["conversation"]["id"].as_i64()),
        (StatusCode::OK, Some(direct))
    );
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_bob"),
            json!({"member_ids": ["u_eve"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The window ends: creating works again.
    t.db.raw()
        .await
        .execute(
            "UPDATE request_limits SET window_start = now() - interval '601 seconds'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(group().await.unwrap().status(), StatusCode::CREATED);
}
